//! Insights: what the history says about each customer and about the
//! letters — each customer's own rhythm of ordering (`rhythm.rs`), named
//! segments from recency, frequency and money (`segment.rs`), and whether
//! the letters bring customers back, measured against a control group
//! (`control.rs`).
//!
//! ```text
//! events of kind order ──> Rhythm (count, interval ± spread, value, silence)
//!                             │  against everyone's (Scale)
//!                             ▼
//!                          Scores R·F·M 1–3 ──RULES──> Segment
//! ledger (letters, control) + later orders ──> Comparison (Newcombe interval)
//! ```
//!
//! Everything here is pure, like `occasion.rs`: no clock, no files; the
//! run date is an argument. `occasion.rs` asks it when a customer is
//! lapsing, `jinja/` shows it to messages (`person.segment`,
//! `person.rhythm`), `select.rs` draws the control group with it, and
//! `cmd/insights.rs` and the studio report it. docs/guide/insights.md
//! explains the rules to people.

pub mod control;
pub mod rhythm;
pub mod segment;

pub use control::{in_control, Comparison, Observation, Verdict};
pub use rhythm::{parse_amount, Params, Rhythm};
pub use segment::{Profile, Scale, Scores, Segment, Summary, RULES};
