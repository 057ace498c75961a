//! Stage 5, write: file names from a pattern (`names.rs`), files that are
//! complete or not there (`durable.rs`), the postcode counts for the post
//! (`postcodes.rs`). Every output lands inside the output folder. The
//! manifest is `manifest.rs`, the PDF byte work `pdf/`.

pub mod durable;
pub mod names;
pub mod postcodes;

pub use durable::{remove_stale_temp_files, sha256_file, sha256_hex, write_atomic, Pending};
pub use names::{sanitize_component, Namer};
pub use postcodes::{postcode_summary, PostcodeCounts};
