//! The command line, as clap derive structs. `settings/` turns these into
//! one validated [`crate::settings::Settings`] and `mode.rs` into the
//! command's [`crate::mode::Mode`]; nothing here touches the file system.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Personal, print-ready PDF greeting cards and letters from a customer list
/// and each customer's history.
#[derive(Debug, Parser)]
#[command(name = "warmly", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render one PDF per recipient, a combined print file and a manifest.
    #[command(after_help = RENDER_EXAMPLES)]
    Render(RenderArgs),
    /// Read everything, select and compose every recipient without
    /// typesetting, and report what was understood and every problem.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Who is due for what and why, for one or more campaigns.
    #[command(after_help = DUE_EXAMPLES)]
    Due(DueArgs),
    /// One proof-sheet PDF: a thumbnail of every page of every piece a
    /// render would produce now, with its id and the preflight's findings,
    /// for sign-off before printing. Writes nothing else.
    #[command(after_help = PROOF_EXAMPLES)]
    Proof(RenderArgs),
    /// PNG images of one recipient's pages, to look at before printing.
    #[command(after_help = PREVIEW_EXAMPLES)]
    Preview(PreviewArgs),
    /// A page in your browser: the campaigns of a folder with what is due
    /// when, a new campaign from your own export, and for each campaign
    /// every piece to look at, exclude, edit, approve and print. Served by
    /// warmly on 127.0.0.1 only; Ctrl-C ends it.
    #[command(after_help = STUDIO_EXAMPLES)]
    Studio(StudioArgs),
    /// Make a campaign from the office's own files: says what the people
    /// (and history) file is and how its columns are read, then writes a
    /// commented campaign file and starter messages to change.
    #[command(after_help = NEW_EXAMPLES)]
    New(NewArgs),
    /// Join the output folders of a sharded run (`render --shard`) into
    /// what one run would have written: manifest, PDFs, print file,
    /// postcode counts.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// Who are we losing? Customers per segment, the customers at risk by
    /// value with their own rhythm, whether the letters bring customers
    /// back (against a control group), and a win-back campaign for them.
    #[command(after_help = INSIGHTS_EXAMPLES)]
    Insights(InsightsArgs),
}

const INSIGHTS_EXAMPLES: &str = "\
Examples:
  warmly insights samples/win-back.toml
  warmly insights samples/christmas-2026.toml --json > insights.json
  warmly insights samples/christmas-2026.toml --write-campaign samples/win-back-2.toml
  warmly insights samples/win-back.toml --within 90d      re-orders within 90 days count

Writes nothing unless --write-campaign is given (then a new campaign and its
messages folder beside it; existing files are never overwritten).";

#[derive(Debug, Args)]
pub struct InsightsArgs {
    /// Campaign file (TOML): its people, history and state folder are read.
    pub campaign: PathBuf,

    /// The day to look from (YYYY-MM-DD) [default: the campaign's date, else today].
    #[arg(long, env = "WARMLY_DATE")]
    pub date: Option<String>,

    /// Days after a piece in which an order counts as coming back, e.g.
    /// `60d`, `8w`, `3m`.
    #[arg(long, value_name = "DAYS", default_value = "60d")]
    pub within: String,

    /// How many customers at risk to list (`--json` lists all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,

    /// Write a ready win-back campaign (occasion `lapsing`, control group,
    /// German and English messages in a folder of its name) to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_campaign: Option<PathBuf>,

    /// State folder with the ledger [default: `state/` beside the campaign].
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Print JSON instead of the report.
    #[arg(long)]
    pub json: bool,
}

const STUDIO_EXAMPLES: &str = "\
Examples:
  warmly studio                                          the campaigns of this folder, and a new one
  warmly studio samples/                                 the campaigns of samples/
  warmly studio samples/christmas-2026.toml              one campaign, in the browser
  warmly studio samples/thank-you.toml --no-open --port 8750

Prints `studio: http://127.0.0.1:PORT/…?token=…`; the token changes at every start.";

#[derive(Debug, Args)]
pub struct StudioArgs {
    #[command(flatten)]
    pub run: RenderArgs,

    /// The port on 127.0.0.1 [default: a free one].
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Only print the address; do not open the browser.
    #[arg(long)]
    pub no_open: bool,
}

const NEW_EXAMPLES: &str = "\
Examples:
  warmly new weihnachten.toml --people Kunden.csv                 → weihnachten.toml, weihnachten/message.*.j2
  warmly new danke.toml --people shopify-customers.csv --history orders_export.csv --occasion after-order
  warmly new geburtstag.toml --people DATEV.csv --occasion birthday --sender-from weihnachten.toml
  warmly new brief.toml --people Adressen.xlsx --sheet Kunden --column last_name=\"Name des Kunden\"
  warmly new weihnachten.toml --people Kunden.csv --dry-run       shows the campaign, writes nothing

Recognises DATEV, lexoffice, sevDesk, Outlook, Google Contacts, Shopify, WooCommerce,
HubSpot and vCard exports and lists made in Excel. Then: warmly check CAMPAIGN, warmly studio CAMPAIGN.
Exit codes: 0 written, 2 nothing written (a file unreadable, a required column missing,
the campaign already there).";

/// `warmly new`: the files, the occasion, the sender; everything has a default.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The campaign file to write, e.g. `weihnachten.toml`; its messages go
    /// into the folder of the same name beside it (`weihnachten/`).
    pub campaign: PathBuf,

    /// The people file: CSV, .xlsx, .ods or .vcf, as the program exported it.
    #[arg(long, short = 'p', required = true)]
    pub people: PathBuf,

    /// The history: an orders export (Shopify, WooCommerce) or a table of
    /// orders, calls and meetings.
    #[arg(long)]
    pub history: Option<PathBuf>,

    /// Sheet of an .xlsx/.ods people file [default: the first].
    #[arg(long)]
    pub sheet: Option<String>,

    /// Read a field from a column warmly did not find, e.g.
    /// `--column last_name="Name des Kunden"` (repeatable; kept in the
    /// campaign's [columns]).
    #[arg(long = "column", value_name = "FIELD=HEADER", value_parser = parse_column)]
    pub columns: Vec<(String, String)>,

    /// How to read dates like 04/03/2026: `dmy` or `mdy` [default: from the export].
    #[arg(long, value_name = "ORDER")]
    pub date_format: Option<String>,

    /// What the campaign is for.
    #[arg(long, default_value = "christmas", value_parser = ["christmas", "new-year", "birthday", "anniversary", "after-order", "keep-in-touch"])]
    pub occasion: String,

    /// after-order: days after the order [default: 7]; keep-in-touch: days
    /// without contact [default: 180].
    #[arg(long)]
    pub days: Option<i64>,

    /// `card` or `letter` [default: card for christmas, new-year and
    /// birthday; letter otherwise].
    #[arg(long, value_parser = ["card", "letter"])]
    pub template: Option<String>,

    /// The card's motif: christmas, new-year, birthday, anniversary,
    /// thank-you, botanical [default: the occasion's].
    #[arg(long)]
    pub motif: Option<String>,

    /// Language for people whose row names none.
    #[arg(long, default_value = "de", value_parser = ["de", "en"])]
    pub language: String,

    /// The campaign's name (output folder, ledger) [default: the file name].
    #[arg(long)]
    pub name: Option<String>,

    /// A fixed run date (YYYY-MM-DD) [default: none — each run uses its day].
    #[arg(long)]
    pub date: Option<String>,

    /// Take the sender ([sender]) from another campaign file.
    #[arg(long, value_name = "CAMPAIGN")]
    pub sender_from: Option<PathBuf>,

    /// The sender's company (letterhead, return address).
    #[arg(long)]
    pub sender_company: Option<String>,
    /// The name under the message.
    #[arg(long)]
    pub sender_name: Option<String>,
    /// Under the name, e.g. Geschäftsführerin.
    #[arg(long)]
    pub sender_role: Option<String>,
    #[arg(long)]
    pub sender_street: Option<String>,
    #[arg(long)]
    pub sender_postal_code: Option<String>,
    #[arg(long)]
    pub sender_city: Option<String>,
    /// ISO code or name [default: DE].
    #[arg(long)]
    pub sender_country: Option<String>,
    #[arg(long)]
    pub sender_phone: Option<String>,
    #[arg(long)]
    pub sender_email: Option<String>,
    #[arg(long)]
    pub sender_web: Option<String>,

    /// Replace a campaign file and message folder that are there.
    #[arg(long)]
    pub force: bool,

    /// Show what would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl NewArgs {
    /// The `--sender-*` flags that were given, by the campaign's keys.
    pub fn sender_flags(&self) -> Vec<(&'static str, &str)> {
        let flags = [
            ("company", &self.sender_company),
            ("name", &self.sender_name),
            ("role", &self.sender_role),
            ("street", &self.sender_street),
            ("postal_code", &self.sender_postal_code),
            ("city", &self.sender_city),
            ("country", &self.sender_country),
            ("phone", &self.sender_phone),
            ("email", &self.sender_email),
            ("web", &self.sender_web),
        ];
        flags
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_deref()?)))
            .collect()
    }
}

const MERGE_EXAMPLES: &str = "\
Examples:
  warmly render samples/christmas-2026.toml --shard 1/3   (… 2/3, 3/3: out/christmas-2026/shard-1-of-3/ …)
  warmly merge --out out/christmas-2026 out/christmas-2026/shard-*-of-3

Exit codes: 0 merged, 1 merged but some pieces had failed in their shard,
2 nothing merged (a shard missing, twice, or of another run).";

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The folder to write the joined run into.
    #[arg(long, short = 'o', required = true)]
    pub out: PathBuf,

    /// The shards' output folders (each holds a `shard.json`), all of them.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,

    /// No summary on stderr (errors are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

const PROOF_EXAMPLES: &str = "\
Examples:
  warmly proof samples/christmas-2026.toml          → out/christmas-2026/proof.pdf
  warmly proof samples/thank-you.toml --format din-a
  warmly proof samples/labels.toml --out /tmp/check

Exit codes: 0 every piece passed, 1 some failed (shown in red), 2 nothing could be done.";

const PREVIEW_EXAMPLES: &str = "\
Examples:
  warmly preview samples/christmas-2026.toml --id K-1001   → out/christmas-2026/preview/K-1001-von-Hausen-1.png, -2.png
  warmly preview samples/thank-you.toml --id K-1003 --ppi 200";

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub run: RenderArgs,

    /// The recipient's id (first column of `warmly check`, manifest.csv).
    #[arg(long, required = true)]
    pub id: String,

    /// Resolution of the images in pixels per inch.
    #[arg(long, default_value_t = 110.0)]
    pub ppi: f32,
}

const DUE_EXAMPLES: &str = "\
Examples:
  warmly due samples/birthday.toml
  warmly due --date 2026-12-20 --within 14d samples/*.toml
  warmly due samples/birthday.toml samples/anniversary.toml --json";

#[derive(Debug, Args)]
pub struct DueArgs {
    /// Campaign files (TOML).
    #[arg(required = true)]
    pub campaigns: Vec<PathBuf>,

    /// The day to look from (YYYY-MM-DD) [default: each campaign's date, else today].
    #[arg(long, env = "WARMLY_DATE")]
    pub date: Option<String>,

    /// How far ahead, e.g. `14d`, `2w` [default: each campaign's `within`].
    #[arg(long, value_name = "DAYS")]
    pub within: Option<String>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

const CHECK_EXAMPLES: &str = "\
Examples:
  warmly check samples/christmas-2026.toml
  warmly check --template letter --people Kunden.xlsx --column last_name=Name
  warmly check samples/thank-you.toml --json > report.json

Exit codes: 0 no errors (warnings allowed), 2 errors.";

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub run: RenderArgs,
}

const RENDER_EXAMPLES: &str = "\
Examples:
  warmly render samples/christmas-2026.toml
  warmly render samples/thank-you.toml --date 2026-11-30 --force
  warmly render samples/keep-in-touch.toml --dry-run          who would get a letter, who not and why
  warmly render --template letter --people customers.csv --history history.csv
  warmly render --template ./my-card --people customers.csv --out out/cards --jobs 2";

#[derive(Debug, Clone, Default, Args)]
pub struct RenderArgs {
    /// Campaign file (TOML): template, data files, sender, texts, selection.
    pub campaign: Option<PathBuf>,

    /// Built-in template (`letter`, `card`, `envelope`, `labels`) or a path
    /// to a template folder.
    #[arg(long, short = 't')]
    pub template: Option<String>,

    /// The people table (CSV).
    #[arg(long, short = 'p')]
    pub people: Option<PathBuf>,

    /// The relationship history (CSV: person_id, date, kind, summary, …).
    #[arg(long)]
    pub history: Option<PathBuf>,

    /// Map a field to a header of the people file, e.g.
    /// `--column last_name=Name` (repeatable; overrides the campaign's [columns]).
    #[arg(long = "column", value_name = "FIELD=HEADER", value_parser = parse_column)]
    pub columns: Vec<(String, String)>,

    /// How to read dates like 04/03/2026: `dmy` (day first) or `mdy`
    /// [default: the campaign's date_format, else from the export's kind].
    #[arg(long, value_name = "ORDER")]
    pub date_format: Option<String>,

    /// Sheet of an .xlsx/.ods people file [default: the first].
    #[arg(long)]
    pub sheet: Option<String>,

    /// Output folder [default: out/<campaign or template name>].
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,

    /// Run date (YYYY-MM-DD): the date on the letters and the "today" of all
    /// history helpers [default: the campaign's date, else today].
    #[arg(long, env = "WARMLY_DATE")]
    pub date: Option<String>,

    /// Default language for recipients without one (de, en).
    #[arg(long)]
    pub language: Option<String>,

    /// Extra folder with fonts (.otf/.ttf), added after the bundled ones.
    #[arg(long, value_name = "DIR")]
    pub font_path: Vec<PathBuf>,

    /// Also use the fonts installed on this machine, after the bundled ones
    /// and --font-path (e.g. Chinese, Japanese, Korean from the Debian
    /// package fonts-noto-cjk). The PDFs then depend on the machine's fonts.
    #[arg(long)]
    pub system_fonts: bool,

    /// Documents typeset in parallel [default: all cores].
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,

    /// Regenerate outputs that already exist (they are kept otherwise).
    #[arg(long)]
    pub force: bool,

    /// One piece per household: people at the same address (and company)
    /// get one piece with a joint name and salutation [default: the
    /// campaign's `[select] households`, else off]
    #[arg(long)]
    pub households: bool,

    /// Instead of PDFs, write each recipient's `data.json`, `campaign.json`
    /// and `message.typ` into DIR/<file name>/ — to develop a template in
    /// the Typst app with real data, or to feed other tools.
    #[arg(long, value_name = "DIR")]
    pub export_inputs: Option<PathBuf>,

    /// Lead window: an occasion up to this far after the run date is due
    /// now, e.g. `14d`, `2w` [default: the campaign's `within`, else 0d].
    #[arg(long, value_name = "DAYS")]
    pub within: Option<String>,

    /// PDF standard to enforce, e.g. `a-2b` for archiving (PDF/A-2b also
    /// turns a missing glyph into an error for that recipient).
    #[arg(long, value_name = "STANDARD")]
    pub pdf_standard: Option<String>,

    /// Show who would get what and why the others do not, and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// `check` and `--dry-run`: print JSON, every person with its piece or
    /// the reason it is left out (for scripts and schedulers).
    #[arg(long)]
    pub json: bool,

    /// Format of the template: `din-b` (default), `din-a`, `us-letter` for
    /// letters; `dl`, `c6/5`, `c5`, `us10` for envelopes; `3475`, `3490`,
    /// `l7163`, `5160` for label sheets [default: the campaign's
    /// print.format, else the template's first].
    #[arg(long)]
    pub format: Option<String>,

    /// Cards: crop marks in a slug outside the 3 mm bleed.
    #[arg(long)]
    pub crop_marks: bool,

    /// Write only `test-grid.pdf`: the format's outlines and rulers, with
    /// the campaign's print.offset_x/offset_y applied, to check the printer
    /// on plain paper before printing envelopes or labels.
    #[arg(long)]
    pub test_grid: bool,

    /// State folder with the ledger and the lock [default: `state/` beside
    /// the campaign file; none without a campaign].
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Only the recipients of shard I of N (1-based): those whose id (a
    /// household's first member's) hashes to it. Output goes to
    /// `<out>/shard-I-of-N/`; join the shards with `warmly merge`.
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,

    /// Split into N shards and take this one's index (0-based) from the
    /// scheduler: JOB_COMPLETION_INDEX (Kubernetes Indexed Job),
    /// SLURM_ARRAY_TASK_ID (Slurm array), AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,

    /// No progress line (errors and the summary are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn parse_column(s: &str) -> Result<(String, String), String> {
    let (field, header) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FIELD=HEADER, got \"{s}\""))?;
    Ok((field.trim().to_string(), header.trim().to_string()))
}
