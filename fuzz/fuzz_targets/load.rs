//! The people and history tables: any bytes, read the way `render` reads
//! them (`load::load`, then every person built as the workers build them).
//! The first byte picks what the bytes are (mod 4): a people CSV, a
//! people workbook (.xlsx), a history CSV next to a small people file, or
//! a people spreadsheet (.ods, read cell by cell by warmly itself).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

mod shared;

/// One scratch folder per fuzzing process; the inputs are written to it.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("warmly-fuzz-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("people.csv"),
            "id;first_name;last_name;birthday\n1;Anna;Berg;3.4.61\n2;Bo;Li;1990-02-29\n",
        )
        .unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let dir = dir();
    let (people, history) = match kind % 4 {
        0 => (dir.join("fuzz.csv"), None),
        1 => (dir.join("fuzz.xlsx"), None),
        2 => (dir.join("people.csv"), Some(dir.join("history.csv"))),
        _ => (dir.join("fuzz.ods"), None),
    };
    std::fs::write(history.as_ref().unwrap_or(&people), bytes).unwrap();
    shared::load_everyone(people, history);
});
