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

pub mod args;
pub mod cmd;
pub mod compose;
pub mod config;
pub mod date;
pub mod engine;
pub mod error;
pub mod jinja;
pub mod lang;
pub mod ledger;
pub mod load;
pub mod model;
pub mod occasion;
pub mod plan;
pub mod report;
pub mod select;
pub mod template;
pub mod typeset;
pub mod write;
