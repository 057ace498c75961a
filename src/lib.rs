//! warmly: personal, print-ready PDF greeting cards and letters from a
//! customer list and each customer's relationship history.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! load ──> select ──> compose ──> typeset ──> write
//! ```
//!
//! `run.rs` strings them together; `config.rs` turns the command line
//! (`args.rs`) and the campaign file into one validated [`config::Config`].

pub mod args;
pub mod check;
pub mod compose;
pub mod config;
pub mod date;
pub mod due;
pub mod error;
pub mod ledger;
pub mod load;
pub mod model;
pub mod occasion;
pub mod proof;
pub mod report;
pub mod run;
pub mod select;
pub mod template;
pub mod typeset;
pub mod write;
