//! What the table targets share (not a target itself: fuzz/Cargo.toml
//! lists the targets).

use std::path::PathBuf;

use warmly::load::{load, LoadOptions};

/// Reads `people` (and `history`) the way `render` does, then builds every
/// person as the workers build them.
pub fn load_everyone(people: PathBuf, history: Option<PathBuf>) {
    let options = LoadOptions {
        people,
        history,
        sheet: None,
        columns: Default::default(),
        date_order: None,
        pivot_year: 2026,
    };
    if let Ok(loaded) = load(&options) {
        for person in loaded.persons.iter() {
            // What compose reads first; the limits check needs it whole.
            std::hint::black_box(person.display_name());
        }
    }
}
