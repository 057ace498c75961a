//! warmly: personal, print-ready PDF greeting cards and letters from a
//! customer list and each customer's relationship history.
//!
//! The pipeline, one module per stage, and the engine that runs it:
//!
//! ```text
//! load ──> select ──> compose ──> typeset ──> write
//! └──── plan ─────┘   └──── engine (worker threads) ────> sink (cmd/*)
//! ```
//!
//! `settings/` turns the command line (`args.rs`) and the campaign file into
//! one validated [`settings::Settings`], a part per stage; the command's
//! [`mode::Mode`] says what it does with the plan; `plan.rs` answers who
//! gets which piece;
//! `engine.rs` streams the pieces; each command in `cmd/` is one sink.
//! ARCHITECTURE.md has the map.

/// Gives memory that is free again back to the system now — after planning,
/// before the workers start, so the transient tables of the plan do not add
/// to the peak of the stream. The binary's allocator is mimalloc (main.rs);
/// a program that links the library with another allocator loses nothing
/// (mimalloc's own heaps are then empty).
pub fn release_free_memory() {
    // SAFETY: mi_collect only walks the allocator's own free lists.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

pub mod args;
pub mod cmd;
pub mod compose;
pub mod date;
pub mod engine;
pub mod error;
pub mod identity;
pub mod insights;
pub mod jinja;
pub mod lang;
pub mod ledger;
pub mod limits;
pub mod links;
pub mod load;
pub mod manifest;
pub mod mode;
pub mod model;
pub mod occasion;
pub mod pdf;
pub mod plan;
pub mod print_file;
pub mod report;
pub mod select;
pub mod settings;
pub mod setup;
pub mod shard;
pub mod state;
pub mod studio;
pub mod template;
pub mod timing;
pub mod typeset;
pub mod write;
