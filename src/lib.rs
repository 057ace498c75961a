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
//! `config.rs` turns the command line (`args.rs`) and the campaign file into
//! one validated [`config::Config`]; `plan.rs` answers who gets which piece;
//! `engine.rs` streams the pieces; each command in `cmd/` is one sink.
//! ARCHITECTURE.md has the map.

/// mimalloc, without transparent huge pages: memory a piece frees is reused
/// by the next on any thread and given back to the system, so a long run
/// stays flat where glibc's per-thread arenas kept growing (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` (the option's place in its `mi_option_e`;
/// libmimalloc-sys names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory a piece frees goes back to the system at once rather than after
/// mimalloc's default 10 ms, which it only checks now and then: with the
/// default a long run crept up by about 0.5 KiB a piece (allocator
/// retention, not a leak: 20 000 letters ended at 75 MiB, with this at 64;
/// BENCHMARKS.md). Called first thing in `main`. An operator's own
/// `MIMALLOC_PURGE_DELAY` (mimalloc reads it at start) is left as it is.
pub fn return_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: sets an allocator option; valid at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

/// Gives memory that is free again back to the system now — after planning,
/// before the workers start, so the transient tables of the plan do not add
/// to the peak of the stream.
pub fn release_free_memory() {
    // SAFETY: mi_collect only walks the allocator's own free lists.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

pub mod args;
pub mod cmd;
pub mod compose;
pub mod config;
pub mod date;
pub mod engine;
pub mod error;
pub mod identity;
pub mod jinja;
pub mod lang;
pub mod ledger;
pub mod limits;
pub mod links;
pub mod load;
pub mod model;
pub mod occasion;
pub mod plan;
pub mod print_file;
pub mod report;
pub mod select;
pub mod shard;
pub mod state;
pub mod studio;
pub mod template;
pub mod timing;
pub mod typeset;
pub mod write;
