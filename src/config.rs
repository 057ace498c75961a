//! One validated configuration for a run, built from the command line and
//! the campaign file. Every stage reads this; none reads arguments.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indexmap::IndexMap;
use serde::Deserialize;

use crate::args::RenderArgs;
use crate::date::parse_date;
use crate::error::{Error, Result};

/// Pieces per print file unless `[output] print_part` says otherwise. A
/// laid-out letter holds ~150 KiB until its part is exported (measured:
/// peak 86 MiB for 2 000 letters in parts of 100, 126 MiB in parts of 250,
/// 197 MiB in parts of 500), so the default keeps a run under 100 MiB at
/// any size. See print_file.rs.
pub const DEFAULT_PRINT_PART: usize = 100;

/// The campaign file as written by a person (TOML). Unknown keys are errors,
/// so a misspelt setting is reported instead of silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub name: Option<String>,
    /// Built-in template name or a folder relative to the campaign file.
    pub template: Option<String>,
    /// Default language for recipients without one.
    pub language: Option<String>,
    /// Fixed run date (`2026-12-01`), else today.
    pub date: Option<toml::Value>,
    /// Folder (relative to the campaign) with `message.<lang>.j2`.
    pub messages: Option<String>,
    #[serde(default)]
    pub data: DataFiles,
    /// Sender details: company, name, role, street, postal_code, city,
    /// country, phone, email, web, bank, register, return_line.
    #[serde(default)]
    pub sender: IndexMap<String, String>,
    /// Texts per language (`[text.de]`), each a minijinja template.
    #[serde(default)]
    pub text: IndexMap<String, IndexMap<String, String>>,
    /// Colours and motif for the template (`primary`, `accent`, `motif`).
    #[serde(default)]
    pub theme: IndexMap<String, String>,
    /// canonical field = "Header in the people file"
    #[serde(default)]
    pub columns: IndexMap<String, String>,
    #[serde(default)]
    pub select: Select,
    #[serde(default)]
    pub output: Output,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default)]
    pub state: State,
    #[serde(default)]
    pub print: Print,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub fonts: FontsSection,
    /// When a person is due: `kind = "birthday"`, … (see occasion.rs), plus
    /// `within = "14d"`, the lead window.
    pub occasion: Option<toml::Table>,
}

/// Rules that protect the relationship.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Minimum days between two pieces to the same person (cards and letters
    /// in the ledger and the history count).
    pub min_days_between: Option<i64>,
    /// A text that uses no fact from the person's history: "warn" (the
    /// default) or "error" (that recipient fails).
    pub generic: Option<String>,
    /// Text that does not fit (more pages than the template declares, an
    /// address shrunk below its minimum): "warn" (default) or "error".
    pub overflow: Option<String>,
    /// A recipient address that is not inside the envelope window with
    /// 3 mm clearance: "error" (default: the post cannot read it) or "warn".
    pub window: Option<String>,
    /// A message that is (nearly) the same as the last piece the person got
    /// (the ledger keeps fingerprints): "warn" (default), "error" (that
    /// recipient fails) or "allow".
    pub repeat: Option<String>,
}

/// `[print]`: the physical side — which format, printer calibration, marks.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Print {
    /// A format of the template (`din-a`, `us-letter`, `dl`, `c5`, `3475`, …).
    pub format: Option<String>,
    /// Printer calibration in mm: everything moves right (x) / down (y).
    pub offset_x: Option<f64>,
    pub offset_y: Option<f64>,
    /// Cards: crop marks in a slug outside the bleed.
    pub crop_marks: Option<bool>,
    /// Label sheets: labels already used on the first sheet.
    pub skip: Option<u32>,
}

/// `[links]`: a personal URL per piece (see links.rs).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// `https://example.com/k/{id}`: columns of the people file in braces.
    pub personal_url: Option<String>,
}

/// `[fonts]`: fonts besides the bundled ones.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontsSection {
    /// Also use the fonts installed on the machine (after the bundled
    /// ones), e.g. for Chinese, Japanese and Korean names.
    pub system: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Folder for the ledger and the lock, relative to the campaign.
    pub folder: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFiles {
    pub people: Option<String>,
    pub history: Option<String>,
    /// Returned mail: who, why (moved, unknown, deceased, refused), when.
    pub returns: Option<String>,
    /// Sheet of a workbook people file.
    pub sheet: Option<String>,
    /// `dmy` or `mdy`: how to read slash dates.
    pub date_format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Select {
    /// A minijinja expression over `person` and `history`; true selects.
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// One piece per household (people at one address, one company).
    pub households: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub folder: Option<String>,
    /// File-name pattern, e.g. `{id}-{last_name}`.
    pub pattern: Option<String>,
    /// Name of the combined print file; `false` for none.
    pub combined: Option<toml::Value>,
    /// Order of the print file: `postal_code` (default), `name`, `input`.
    pub order: Option<String>,
    /// Start every recipient on a front side (blank backs after odd pages).
    pub duplex: Option<bool>,
    /// Pieces per print file (default 100): the print file is exported from
    /// the laid-out pages, which are held in memory until their file is
    /// written; larger runs get `print-001.pdf`, `print-002.pdf`, ….
    pub print_part: Option<usize>,
    /// PDF standard, e.g. "a-2b".
    pub pdf_standard: Option<String>,
}

/// How the combined print file is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintOrder {
    PostalCode,
    Name,
    Input,
}

/// Where the layout comes from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    Builtin(String),
    Folder(PathBuf),
}

/// Everything a run needs, validated.
#[derive(Debug)]
pub struct Config {
    /// Campaign name: default output folder and part of each PDF's identity.
    pub name: String,
    /// The campaign file, when there is one (its fingerprint for approvals).
    pub campaign: Option<PathBuf>,
    pub template: TemplateSource,
    /// Folder with `message.<lang>.j2` overriding the template's.
    pub messages_dir: Option<PathBuf>,
    pub people: PathBuf,
    pub history: Option<PathBuf>,
    /// Returned mail (`[data] returns`): such people are left out.
    pub returns: Option<PathBuf>,
    /// Sheet of a workbook people file.
    pub sheet: Option<String>,
    /// Explicit column mapping for the people file.
    pub columns: IndexMap<String, String>,
    /// How to read slash dates (none: from the export's kind).
    pub date_order: Option<crate::date::DateOrder>,
    /// Where fonts come from besides the bundled ones.
    pub fonts: Fonts,
    pub out_dir: PathBuf,
    pub date: NaiveDate,
    pub language: String,
    pub jobs: usize,
    pub force: bool,
    pub quiet: bool,
    /// Print JSON (check, dry run).
    pub json: bool,
    /// Ledger and lock folder; none = no ledger (one-off runs without a campaign).
    pub state_dir: Option<PathBuf>,
    pub policy: Policy,
    /// The campaign's occasion rule; none = everyone selected, once.
    pub occasion: Option<crate::occasion::Rule>,
    /// Days after the run date in which an occasion counts as due.
    pub within: i64,
    pub sender: IndexMap<String, String>,
    /// `sender.signature_image`: the file and its bytes, served to templates
    /// as `/signature.<ext>` (and named so in `sender.signature_image`).
    pub signature_image: Option<(String, Vec<u8>)>,
    pub text: IndexMap<String, IndexMap<String, String>>,
    /// `[theme]`; `front_image` names its virtual path (`/front-image.jpg`).
    pub theme: IndexMap<String, String>,
    /// `theme.front_image`: the card front's photo or artwork, served to
    /// templates as `/front-image.<ext>`.
    pub front_image: Option<(String, Vec<u8>)>,
    /// Run-wide warnings found while reading the campaign (a front image
    /// with too few pixels for print).
    pub notes: Vec<String>,
    pub select_where: Option<String>,
    /// One piece per household (`[select] households`, `--households`).
    pub households: bool,
    pub pattern: String,
    pub combined: Option<String>,
    pub print_order: PrintOrder,
    pub duplex: bool,
    /// Pieces per print file (see print_file.rs).
    pub print_part: usize,
    /// PDF standards every document must meet (`a-2b`, …).
    pub pdf_standards: Vec<String>,
    pub print: PrintSettings,
    /// `[links] personal_url`, parsed; none = no personal links.
    pub links: Option<crate::links::LinkPattern>,
    /// The sender's country, normalised (`DE` when the sender has none):
    /// mail to it is domestic, sorts first and needs no country line.
    pub home_country: String,
    /// `--shard I/N` / `--shards N`: only this shard's recipients; a
    /// render writes to `<out>/shard-I-of-N/` and its own ledger file.
    pub shard: Option<crate::shard::Shard>,
    /// What this run does with the plan.
    pub mode: Mode,
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

/// The country of a sender who names none.
pub const DEFAULT_COUNTRY: &str = "DE";

/// What a run does with its plan: one value, set by the command (and, for
/// `render`, by `--dry-run`, `--export-inputs` or `--test-grid`).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Mode {
    /// PDFs, manifest, print file, ledger (`warmly render`).
    #[default]
    Render,
    /// Show who would get what, and why the others do not; write nothing.
    DryRun,
    /// Read everything and compose every recipient without typesetting
    /// (`warmly check`): data errors are reported, not fatal.
    Check,
    /// Write each recipient's typesetter inputs into this folder instead of PDFs.
    ExportInputs(PathBuf),
    /// Write only the printer test grid.
    TestGrid,
    /// One proof sheet with thumbnails, nothing else (`warmly proof`).
    Proof,
    /// PNG images of one recipient's pages (`warmly preview`), even when
    /// the ledger says the piece was produced.
    Preview { id: String, ppi: f32 },
    /// The studio (`warmly studio`): the plan a render would make, looked
    /// at piece by piece in the browser; its render runs as `Render`.
    Studio,
}

impl Mode {
    /// Only a real render writes state: it takes the lock and adds to the ledger.
    pub fn writes_state(&self) -> bool {
        *self == Mode::Render
    }
}

/// The validated `[print]` section (format is resolved against the
/// template later, in compose).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrintSettings {
    pub format: Option<String>,
    pub offset_x: f64,
    pub offset_y: f64,
    pub crop_marks: bool,
    pub skip: u32,
    pub overflow_is_error: bool,
    pub window_is_error: bool,
}

pub const DEFAULT_PATTERN: &str = "{id}-{last_name}";
pub const BUILTIN_TEMPLATES: &[&str] = &["letter", "card", "envelope", "labels"];

impl Config {
    /// The configuration for a command that sets its own mode (check,
    /// proof, preview).
    pub fn for_mode(args: &RenderArgs, mode: Mode) -> Result<Config> {
        if let Mode::Preview { ppi, .. } = mode {
            if !(10.0..=1200.0).contains(&ppi) {
                return Err(Error::config(format!(
                    "--ppi {ppi}: use 10 to 1200 pixels per inch"
                )));
            }
        }
        let mut config = Config::from_render_args(args)?;
        config.mode = mode;
        config.check_json()?;
        config.check_shard()?;
        Ok(config)
    }

    /// `--json` is for answers a script reads: check and the dry run.
    pub fn check_json(&self) -> Result<()> {
        if self.json && !matches!(self.mode, Mode::Check | Mode::DryRun) {
            return Err(
                Error::config("--json works with `warmly check` and `render --dry-run`")
                    .with_hint("render, proof and preview write files; their report is on stderr"),
            );
        }
        Ok(())
    }

    /// A shard is a part of a render: its dry run and check show that
    /// part's plan; the other modes make no sense for a part.
    pub fn check_shard(&self) -> Result<()> {
        match (&self.shard, &self.mode) {
            (None, _) | (Some(_), Mode::Render | Mode::DryRun | Mode::Check) => Ok(()),
            (Some(shard), _) => Err(Error::config(format!(
                "--shard {shard}: shards work with `render`, `render --dry-run` and `check`"
            ))
            .with_hint(
                "proofs, previews, exported inputs and the test grid are for the whole run",
            )),
        }
    }

    /// Reads the campaign (if any) and merges the command line over it.
    pub fn from_render_args(args: &RenderArgs) -> Result<Config> {
        let (campaign, base) = match &args.campaign {
            Some(path) => (
                read_campaign(path)?,
                path.parent().unwrap_or(Path::new("")).to_path_buf(),
            ),
            None => (Campaign::default(), PathBuf::new()),
        };
        let rel = |s: &str| base.join(s);

        let template_name = args.template.clone().or(campaign.template.clone()).ok_or_else(|| {
            Error::config("no template given")
                .with_hint("name one with --template letter|card|<folder>, or `template = \"…\"` in the campaign")
        })?;
        let template = if BUILTIN_TEMPLATES.contains(&template_name.as_str()) {
            TemplateSource::Builtin(template_name.clone())
        } else {
            // A command-line path is relative to the working directory, a
            // campaign path to the campaign file.
            let path = if args.template.is_some() {
                PathBuf::from(&template_name)
            } else {
                rel(&template_name)
            };
            if !path.is_dir() {
                return Err(Error::config(format!(
                    "template \"{template_name}\" is neither built in ({}) nor a folder",
                    BUILTIN_TEMPLATES.join(", ")
                ))
                .with_hint(
                    "a template folder holds template.typ, template.toml and message.<lang>.j2",
                ));
            }
            TemplateSource::Folder(path)
        };

        let people = args
            .people
            .clone()
            .or(campaign.data.people.as_deref().map(rel))
            .ok_or_else(|| {
                Error::config("no people file given").with_hint(
                    "pass --people customers.csv, or set `people` under [data] in the campaign",
                )
            })?;
        let history = args
            .history
            .clone()
            .or(campaign.data.history.as_deref().map(rel));
        let returns = campaign.data.returns.as_deref().map(rel);
        for path in std::iter::once(&people)
            .chain(history.as_ref())
            .chain(returns.as_ref())
        {
            if !path.is_file() {
                return Err(Error::config(format!("{}: file not found", path.display())));
            }
        }
        for dir in &args.font_path {
            if !dir.is_dir() {
                return Err(Error::config(format!(
                    "--font-path {}: not a folder",
                    dir.display()
                )));
            }
        }

        let name = campaign
            .name
            .clone()
            .unwrap_or_else(|| match (&args.campaign, &template) {
                (Some(path), _) => path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                (None, TemplateSource::Builtin(n)) => n.clone(),
                (None, TemplateSource::Folder(p)) => p
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "warmly".into()),
            });

        let date = match (&args.date, &campaign.date) {
            (Some(s), _) => parse_run_date(s, "--date")?,
            (None, Some(toml::Value::String(s))) => parse_run_date(s, "date in the campaign")?,
            (None, Some(toml::Value::Datetime(d))) => {
                parse_run_date(&d.to_string(), "date in the campaign")?
            }
            (None, Some(other)) => {
                return Err(Error::config(format!(
                    "date in the campaign must be a date, not {other}"
                )))
            }
            (None, None) => chrono::Local::now().date_naive(),
        };

        let out_dir = args
            .out
            .clone()
            .or(campaign.output.folder.as_deref().map(rel))
            .unwrap_or_else(|| Path::new("out").join(crate::write::sanitize_component(&name)));

        let combined = match &campaign.output.combined {
            None => Some("print.pdf".to_string()),
            Some(toml::Value::Boolean(false)) => None,
            Some(toml::Value::Boolean(true)) => Some("print.pdf".to_string()),
            Some(toml::Value::String(s)) => Some(crate::write::sanitize_component(s)),
            Some(other) => {
                return Err(Error::config(format!(
                    "output.combined must be a file name or false, not {other}"
                )))
            }
        };

        let print_order = match campaign.output.order.as_deref() {
            None | Some("postal_code") | Some("postcode") | Some("plz") => PrintOrder::PostalCode,
            Some("name") => PrintOrder::Name,
            Some("input") => PrintOrder::Input,
            Some(other) => {
                return Err(Error::config(format!(
                    "output.order = \"{other}\": use \"postal_code\", \"name\" or \"input\""
                )))
            }
        };
        let duplex = campaign.output.duplex.unwrap_or(false);
        let print_part = match campaign.output.print_part {
            Some(0) => {
                return Err(Error::config(
                    "output.print_part = 0: a print file holds at least one piece",
                ))
            }
            Some(n) => n,
            None => DEFAULT_PRINT_PART,
        };
        let jobs = match args.jobs {
            Some(0) => return Err(Error::config("--jobs must be at least 1")),
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        };

        let date_order = match args
            .date_format
            .as_deref()
            .or(campaign.data.date_format.as_deref())
        {
            None => None,
            Some(s) => Some(crate::date::DateOrder::parse(s).ok_or_else(|| {
                Error::config(format!("date_format \"{s}\" is not dmy or mdy"))
                    .with_hint("dmy reads 04/03/2026 as 4 March, mdy as April 3")
            })?),
        };
        let (occasion, campaign_within) = match &campaign.occasion {
            None => (None, None),
            Some(table) => {
                let mut table = table.clone();
                let within = table.remove("within").map(|v| match v {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                });
                let rule: crate::occasion::Rule = table.try_into().map_err(|e: toml::de::Error| {
                    Error::config(format!("[occasion]: {}", e.message()))
                        .with_hint("kind = \"fixed\" | \"birthday\" | \"anniversary\" | \"after_event\" | \"silence\" (see README)")
                })?;
                rule.validate().map_err(Error::config)?;
                (Some(rule), within)
            }
        };
        let within = match args.within.as_deref().or(campaign_within.as_deref()) {
            Some(s) => crate::occasion::parse_window(s)
                .map_err(|e| Error::config(format!("within: {e}")))?,
            None => 0,
        };
        if let Some(g) = campaign
            .policy
            .generic
            .as_deref()
            .filter(|g| !["warn", "error"].contains(g))
        {
            return Err(Error::config(format!(
                "policy.generic = \"{g}\": use \"warn\" or \"error\""
            )));
        }
        for (key, value) in [
            ("overflow", &campaign.policy.overflow),
            ("window", &campaign.policy.window),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !["warn", "error"].contains(v)) {
                return Err(Error::config(format!(
                    "policy.{key} = \"{v}\": use \"warn\" or \"error\""
                )));
            }
        }
        if let Some(v) = campaign
            .policy
            .repeat
            .as_deref()
            .filter(|v| !["warn", "error", "allow"].contains(v))
        {
            return Err(Error::config(format!(
                "policy.repeat = \"{v}\": use \"warn\", \"error\" or \"allow\""
            )));
        }
        let offset = |v: Option<f64>, key: &str| -> Result<f64> {
            match v {
                Some(v) if !v.is_finite() || v.abs() > 20.0 => Err(Error::config(format!(
                    "print.{key} = {v}: a calibration offset is a few mm (at most ±20)"
                ))),
                v => Ok(v.unwrap_or(0.0)),
            }
        };
        let print = PrintSettings {
            format: args.format.clone().or(campaign.print.format.clone()),
            offset_x: offset(campaign.print.offset_x, "offset_x")?,
            offset_y: offset(campaign.print.offset_y, "offset_y")?,
            crop_marks: args.crop_marks || campaign.print.crop_marks.unwrap_or(false),
            skip: campaign.print.skip.unwrap_or(0),
            overflow_is_error: campaign.policy.overflow.as_deref() == Some("error"),
            window_is_error: campaign.policy.window.as_deref() != Some("warn"),
        };
        let mut sender = campaign.sender.clone();
        let signature_image = match sender
            .get("signature_image")
            .filter(|s| !s.trim().is_empty())
        {
            None => None,
            Some(file) => {
                let picture = Picture::read("sender.signature_image", file, &base, "signature")?;
                sender.insert("signature_image".into(), picture.vpath.clone());
                Some((picture.vpath, picture.bytes))
            }
        };
        let mut theme = campaign.theme.clone();
        let mut notes = Vec::new();
        let front_image = match theme.get("front_image").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(file) => {
                let picture = Picture::read("theme.front_image", file, &base, "front-image")?;
                notes.extend(picture.front_resolution_note(file));
                theme.insert("front_image".into(), picture.vpath.clone());
                Some((picture.vpath, picture.bytes))
            }
        };
        let links = campaign
            .links
            .personal_url
            .as_deref()
            .map(crate::links::LinkPattern::parse)
            .transpose()?;
        let mut columns = campaign.columns.clone();
        for (field, header) in &args.columns {
            columns.insert(field.clone(), header.clone());
        }

        let home_country = match sender.get("country") {
            Some(c) if !crate::lang::normalize_country(c).is_empty() => {
                crate::lang::normalize_country(c)
            }
            _ => DEFAULT_COUNTRY.to_string(),
        };
        let modes = [
            args.dry_run.then_some(Mode::DryRun),
            args.export_inputs.clone().map(Mode::ExportInputs),
            args.test_grid.then_some(Mode::TestGrid),
        ];
        let mode = match modes.into_iter().flatten().collect::<Vec<_>>().as_slice() {
            [] => Mode::Render,
            [one] => one.clone(),
            _ => {
                return Err(Error::config(
                    "--dry-run, --export-inputs and --test-grid exclude each other",
                )
                .with_hint("pick one of them for this run"))
            }
        };
        let language = args
            .language
            .clone()
            .or(campaign.language.clone())
            .unwrap_or_else(|| "de".into());
        let shard = match (&args.shard, args.shards) {
            (Some(text), _) => Some(crate::shard::Shard::parse(text)?),
            (None, Some(count)) => Some(crate::shard::Shard::from_scheduler(count, |name| {
                std::env::var(name).ok()
            })?),
            (None, None) => None,
        };
        // Shards of one run share the command line (an array job starts
        // the same one N times), so each writes below the run's folder.
        let out_dir = match &shard {
            Some(shard) => out_dir.join(shard.name()),
            None => out_dir,
        };

        Ok(Config {
            name,
            campaign: args.campaign.clone(),
            template,
            messages_dir: campaign.messages.as_deref().map(rel),
            people,
            history,
            returns,
            sheet: args.sheet.clone().or(campaign.data.sheet.clone()),
            columns,
            date_order,
            fonts: Fonts {
                dirs: args.font_path.clone(),
                system: args.system_fonts || campaign.fonts.system.unwrap_or(false),
            },
            out_dir,
            date,
            language: language.to_lowercase(),
            jobs,
            force: args.force,
            state_dir: args.state.clone().or_else(|| {
                args.campaign
                    .as_ref()
                    .map(|_| rel(campaign.state.folder.as_deref().unwrap_or("state")))
            }),
            policy: campaign.policy.clone(),
            occasion,
            within,
            quiet: args.quiet,
            json: args.json,
            sender,
            signature_image,
            text: campaign.text,
            households: args.households || campaign.select.households.unwrap_or(false),
            theme,
            front_image,
            notes,
            select_where: campaign.select.where_,
            pattern: campaign
                .output
                .pattern
                .unwrap_or_else(|| DEFAULT_PATTERN.into()),
            combined,
            print_order,
            duplex,
            print_part,
            pdf_standards: args
                .pdf_standard
                .clone()
                .or(campaign.output.pdf_standard.clone())
                .into_iter()
                .collect(),
            print,
            links,
            home_country,
            shard,
            mode,
        })
        .and_then(|config: Config| config.check_shard().map(|_| config))
    }
}

/// A picture the campaign names (a signature, the card front), read and
/// decoded once before anything is made.
struct Picture {
    /// Where templates find it: `/<name>.<ext>`.
    vpath: String,
    bytes: Vec<u8>,
    /// Width and height of a raster image.
    pixels: Option<(u32, u32)>,
}

impl Picture {
    /// Reads `file` (relative to the campaign folder `base`) for the
    /// setting `key`: a PNG, JPEG or SVG that Typst can decode, or a
    /// configuration error that names the file and what to do.
    fn read(key: &str, file: &str, base: &Path, name: &str) -> Result<Picture> {
        use typst::foundations::Bytes;
        use typst::visualize::{ExchangeFormat, RasterImage, SvgImage};

        let path = base.join(file.trim());
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase)
            .unwrap_or_default();
        let format = match ext.as_str() {
            "png" => Some(ExchangeFormat::Png),
            "jpg" | "jpeg" => Some(ExchangeFormat::Jpg),
            "svg" => None,
            _ => {
                return Err(Error::config(format!(
                    "{key} {}: not a picture warmly can print",
                    path.display()
                ))
                .with_hint("use a .png, .jpg or .svg file (export other formats to one of these)"))
            }
        };
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::config(format!("{key} {}: {e}", path.display())).with_hint(format!(
                "the path is relative to the campaign file{}",
                if base.as_os_str().is_empty() {
                    String::new()
                } else {
                    format!(" (in {})", base.display())
                }
            ))
        })?;
        let decoded = Bytes::new(bytes.clone());
        let pixels = match format {
            Some(format) => RasterImage::plain(decoded, format)
                .map(|image| Some((image.width(), image.height())))
                .map_err(|e| e.to_string()),
            None => SvgImage::new(decoded)
                .map(|_| None)
                .map_err(|_| "not a well-formed SVG file".to_string()),
        }
        .map_err(|e| {
            Error::config(format!(
                "{key} {}: cannot be read as {}: {e}",
                path.display(),
                ext.to_uppercase()
            ))
            .with_hint(
                "save it again as PNG, JPEG or SVG (a renamed file of another kind does not work)",
            )
        })?;
        Ok(Picture {
            vpath: format!("/{name}.{ext}"),
            bytes,
            pixels,
        })
    }

    /// A warning when a raster image covering a card front (A6 with 3 mm
    /// bleed, 108 × 154 mm) has fewer than 200 pixels per inch there.
    fn front_resolution_note(&self, file: &str) -> Option<String> {
        let (w, h) = self.pixels?;
        let ppi = (f64::from(w) / (108.0 / 25.4)).min(f64::from(h) / (154.0 / 25.4));
        (ppi < 200.0).then(|| {
            format!(
                "theme.front_image {file}: {w} × {h} px is about {ppi:.0} ppi on the card front \
                 (108 × 154 mm with bleed) and prints soft; 300 ppi needs 1276 × 1819 px"
            )
        })
    }
}

fn read_campaign(path: &Path) -> Result<Campaign> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    toml::from_str(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before
                    .rsplit('\n')
                    .next()
                    .map(|l| l.chars().count())
                    .unwrap_or(0)
                    + 1;
                (line, col)
            })
            .unwrap_or((1, 1));
        Error::config(format!("{}:{line}:{col}: {}", path.display(), e.message()))
            .with_hint("see \"The campaign file\" in README.md for the keys a campaign can have")
    })
}

fn parse_run_date(s: &str, what: &str) -> Result<NaiveDate> {
    parse_date(s).ok_or_else(|| {
        Error::config(format!("{what}: \"{s}\" is not a valid date"))
            .with_hint("write it as YYYY-MM-DD, e.g. 2026-12-01")
    })
}

impl Config {
    /// What the loader needs.
    pub fn load_options(&self) -> crate::load::LoadOptions {
        use chrono::Datelike;
        crate::load::LoadOptions {
            people: self.people.clone(),
            history: self.history.clone(),
            sheet: self.sheet.clone(),
            columns: self.columns.clone(),
            date_order: self.date_order,
            pivot_year: self.date.year(),
        }
    }
}
