//! The settings of a run: the campaign file (`campaign.rs`, as written) and
//! the command line, resolved once (`resolve.rs`) into small typed settings,
//! one per stage, so that each stage reads only what it needs:
//!
//! ```text
//! args.rs + campaign.toml ──resolve──> Settings { run, load, select, compose, typeset, output }
//! ```
//!
//! What a command does with its plan is not a setting: it is the
//! [`crate::mode::Mode`] it runs in. `document.rs` edits a campaign file
//! in place, keeping its comments and order (the studio's settings).

pub mod campaign;
pub mod document;
mod picture;
mod resolve;

use std::path::PathBuf;

use chrono::NaiveDate;
use indexmap::IndexMap;

pub use crate::load::LoadOptions;
pub use campaign::{PrintOrder, RepeatPolicy, Strictness};

/// Pieces per print file unless `[output] print_part` says otherwise. A
/// laid-out letter holds ~150 KiB until its part is exported (measured:
/// peak 86 MiB for 2 000 letters in parts of 100, 126 MiB in parts of 250,
/// 197 MiB in parts of 500), so the default keeps a run under 100 MiB at
/// any size. See print_file.rs.
pub const DEFAULT_PRINT_PART: usize = 100;
/// The country of a sender who names none.
pub const DEFAULT_COUNTRY: &str = "DE";
pub const DEFAULT_PATTERN: &str = "{id}-{last_name}";
pub const BUILTIN_TEMPLATES: &[&str] = &["letter", "card", "envelope", "labels"];

/// Everything a run needs, validated, one part per stage.
#[derive(Debug)]
pub struct Settings {
    pub run: RunSettings,
    pub load: LoadOptions,
    pub select: SelectSettings,
    pub compose: ComposeSettings,
    pub typeset: TypesetSettings,
    pub output: OutputSettings,
}

/// What the whole run shares: which campaign, which day, where its state
/// lives and how it runs.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Campaign name: default output folder and part of each PDF's identity.
    pub name: String,
    /// The campaign file, when there is one (its fingerprint for approvals).
    pub campaign: Option<PathBuf>,
    pub date: NaiveDate,
    pub template: TemplateSource,
    /// Folder with `message.<lang>.j2` overriding the template's.
    pub messages_dir: Option<PathBuf>,
    /// Returned mail (`[data] returns`): such people are left out.
    pub returns: Option<PathBuf>,
    /// The sender's country, normalised (`DE` when the sender has none):
    /// mail to it is domestic, sorts first and needs no country line.
    pub home_country: String,
    /// Ledger and lock folder; none = no ledger (one-off runs without a campaign).
    pub state_dir: Option<PathBuf>,
    /// `--shard I/N` / `--shards N`: only this shard's recipients; a
    /// render writes to `<out>/shard-I-of-N/` and its own ledger file.
    pub shard: Option<crate::shard::Shard>,
    pub jobs: usize,
    pub quiet: bool,
    /// Print JSON (check, dry run).
    pub json: bool,
    /// Run-wide warnings found while reading the campaign (a front image
    /// with too few pixels for print).
    pub notes: Vec<String>,
}

/// Where the layout comes from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    Builtin(String),
    Folder(PathBuf),
}

/// Stage 2, select: who is due.
#[derive(Debug, Clone)]
pub struct SelectSettings {
    pub date: NaiveDate,
    /// The ledger key of pieces without an occasion: the campaign name.
    pub campaign: String,
    /// The campaign's occasion rule; none = everyone selected, once.
    pub occasion: Option<crate::occasion::Rule>,
    /// Days after the run date in which an occasion counts as due.
    pub within: i64,
    /// `[select] where`, a minijinja expression.
    pub where_: Option<String>,
    /// One piece per household (`[select] households`, `--households`).
    pub households: bool,
    /// `[select] segments`: only customers of these (empty: everyone).
    pub segments: Vec<crate::insights::Segment>,
    /// `[select] control`: percent of the due kept back for comparison.
    pub control: u8,
    /// `policy.min_days_between`: the frequency cap.
    pub min_days_between: Option<i64>,
    /// `--force`: what the ledger holds is made again.
    pub force: bool,
}

/// Stage 3, compose: the words of every piece.
#[derive(Debug, Clone)]
pub struct ComposeSettings {
    pub date: NaiveDate,
    pub campaign: String,
    /// Default language for recipients without one.
    pub language: String,
    /// `[sender]`; `signature_image` names its virtual path.
    pub sender: IndexMap<String, String>,
    pub text: IndexMap<String, IndexMap<String, String>>,
    /// `[theme]`; `front_image` names its virtual path (`/front-image.jpg`).
    pub theme: IndexMap<String, String>,
    /// For the motif the occasion suggests.
    pub occasion: Option<crate::occasion::Rule>,
    /// `[links] personal_url`, parsed; none = no personal links.
    pub links: Option<crate::links::LinkPattern>,
    pub generic: Strictness,
    pub repeat: RepeatPolicy,
    pub print: PrintSettings,
    /// The history file, named when a recipient's history is too long.
    pub history_file: Option<PathBuf>,
}

/// The validated `[print]` section (the format is resolved against the
/// template in compose).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrintSettings {
    pub format: Option<String>,
    pub offset_x: f64,
    pub offset_y: f64,
    pub crop_marks: bool,
    pub skip: u32,
}

/// Stage 4, typeset: Typst, fonts, PDF and the preflight's strictness.
#[derive(Debug, Clone)]
pub struct TypesetSettings {
    pub date: NaiveDate,
    /// Part of every PDF's identity.
    pub campaign: String,
    pub fonts: Fonts,
    /// PDF standards every document must meet (`a-2b`, …).
    pub pdf_standards: Vec<String>,
    /// The campaign's pictures (signature, card front) at their virtual
    /// paths, which compose names in `sender` and `theme`.
    pub pictures: Vec<(String, Vec<u8>)>,
    /// Text that does not fit fails the recipient.
    pub overflow: Strictness,
    /// An address outside the window fails the recipient.
    pub window: Strictness,
    /// The calibration offset in mm: the window moves with the print.
    pub offset: (f64, f64),
}

/// Fonts besides the bundled ones (which always come first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fonts {
    /// `--font-path` folders, in the order given.
    pub dirs: Vec<PathBuf>,
    /// The fonts installed on the machine, after all others
    /// (`--system-fonts`, `[fonts] system = true`): the PDFs then depend
    /// on the machine.
    pub system: bool,
}

/// Stage 5, write: where the files go and how they are named and ordered.
#[derive(Debug, Clone)]
pub struct OutputSettings {
    pub out_dir: PathBuf,
    /// File-name pattern, e.g. `{id}-{last_name}`.
    pub pattern: String,
    /// The print file's name; none for no print file.
    pub combined: Option<String>,
    pub order: PrintOrder,
    /// Start every recipient on a front side.
    pub duplex: bool,
    /// Pieces per print file (see print_file.rs).
    pub print_part: usize,
    /// Existing PDFs are made again (they are kept otherwise).
    pub force: bool,
    /// Domestic mail first in the print order.
    pub home_country: String,
}

impl Settings {
    /// The settings of a run from its command line and campaign file.
    pub fn resolve(args: &crate::args::RenderArgs) -> crate::error::Result<Settings> {
        resolve::resolve(args)
    }
}
