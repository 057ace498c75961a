//! From the command line and the campaign file to [`Settings`]: every path
//! checked, every choice validated, the command line winning over the
//! campaign. Nothing after this reads arguments or TOML.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use indexmap::IndexMap;

use super::campaign::{self, Campaign, Combined};
use super::picture::Picture;
use super::*;
use crate::args::RenderArgs;
use crate::date::{parse_date, DateOrder};
use crate::error::{Error, Result};

/// The campaign, the folder its relative paths start from, and the
/// command line.
struct Sources<'a> {
    args: &'a RenderArgs,
    campaign: Campaign,
    base: PathBuf,
}

impl Sources<'_> {
    /// A path the campaign names, relative to the campaign file.
    fn rel(&self, path: &str) -> PathBuf {
        self.base.join(path)
    }
}

pub(super) fn resolve(args: &RenderArgs) -> Result<Settings> {
    let (campaign, base) = match &args.campaign {
        Some(path) => (
            campaign::read(path)?,
            path.parent().unwrap_or(Path::new("")).to_path_buf(),
        ),
        None => (Campaign::default(), PathBuf::new()),
    };
    let src = Sources {
        args,
        campaign,
        base,
    };
    let template = template(&src)?;
    let load = load(&src)?;
    let returns = src.campaign.data.returns.as_deref().map(|r| src.rel(r));
    if let Some(path) = returns.as_ref().filter(|p| !p.is_file()) {
        return Err(Error::config(format!("{}: file not found", path.display())));
    }
    let name = name(&src, &template);
    let date = run_date(&src)?;
    let (sender, theme, pictures, notes) = pictures(&src)?;
    let home_country = match sender.get("country") {
        Some(c) if !crate::lang::normalize_country(c).is_empty() => {
            crate::lang::normalize_country(c)
        }
        _ => DEFAULT_COUNTRY.to_string(),
    };
    let run = run(&src, name, date, template, returns, home_country, notes)?;
    let (occasion, within) = occasion(&src)?;
    needs_history(&src, occasion.as_ref(), load.history.is_some())?;
    let select = SelectSettings {
        date,
        campaign: run.name.clone(),
        occasion: occasion.clone(),
        within,
        where_: src.campaign.select.where_.clone(),
        households: args.households || src.campaign.select.households.unwrap_or(false),
        segments: src.campaign.select.segments.clone().unwrap_or_default(),
        control: control(src.campaign.select.control)?,
        min_days_between: src.campaign.policy.min_days_between,
        force: args.force,
    };
    let compose = compose(&src, &run, sender, theme, occasion, &load)?;
    let typeset = typeset(&src, &run, &compose.print, pictures)?;
    let output = output(&src, &run)?;
    Ok(Settings {
        load: LoadOptions {
            pivot_year: date.year(),
            ..load
        },
        run,
        select,
        compose,
        typeset,
        output,
    })
}

/// The built-in template or a folder: a command-line path is relative to
/// the working directory, a campaign's to the campaign file.
fn template(src: &Sources) -> Result<TemplateSource> {
    let name = src
        .args
        .template
        .clone()
        .or(src.campaign.template.clone())
        .ok_or_else(|| {
            Error::config("no template given").with_hint(
                "name one with --template letter|card|<folder>, or `template = \"…\"` in the campaign",
            )
        })?;
    if BUILTIN_TEMPLATES.contains(&name.as_str()) {
        return Ok(TemplateSource::Builtin(name));
    }
    let path = match src.args.template {
        Some(_) => PathBuf::from(&name),
        None => src.rel(&name),
    };
    if !path.is_dir() {
        return Err(Error::config(format!(
            "template \"{name}\" is neither built in ({}) nor a folder",
            BUILTIN_TEMPLATES.join(", ")
        ))
        .with_hint("a template folder holds template.typ, template.toml and message.<lang>.j2"));
    }
    Ok(TemplateSource::Folder(path))
}

/// The data files (each must exist) and how to read them; the pivot year
/// follows once the run date is known.
fn load(src: &Sources) -> Result<LoadOptions> {
    let (args, data) = (src.args, &src.campaign.data);
    let people = args
        .people
        .clone()
        .or(data.people.as_deref().map(|p| src.rel(p)))
        .ok_or_else(|| {
            Error::config("no people file given").with_hint(
                "pass --people customers.csv, or set `people` under [data] in the campaign",
            )
        })?;
    let history = args
        .history
        .clone()
        .or(data.history.as_deref().map(|h| src.rel(h)));
    for path in std::iter::once(&people).chain(history.as_ref()) {
        if !path.is_file() {
            return Err(Error::config(format!("{}: file not found", path.display())));
        }
    }
    let date_order = match args.date_format.as_deref().or(data.date_format.as_deref()) {
        None => None,
        Some(s) => Some(DateOrder::parse(s).ok_or_else(|| {
            Error::config(format!("date_format \"{s}\" is not dmy or mdy"))
                .with_hint("dmy reads 04/03/2026 as 4 March, mdy as April 3")
        })?),
    };
    let mut columns = src.campaign.columns.clone();
    for (field, header) in &args.columns {
        columns.insert(field.clone(), header.clone());
    }
    Ok(LoadOptions {
        people,
        history,
        sheet: args.sheet.clone().or(data.sheet.clone()),
        columns,
        date_order,
        pivot_year: 0,
    })
}

/// The campaign's name, else the campaign file's, else the template's.
fn name(src: &Sources, template: &TemplateSource) -> String {
    if let Some(name) = &src.campaign.name {
        return name.clone();
    }
    match (&src.args.campaign, template) {
        (Some(path), _) => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        (None, TemplateSource::Builtin(n)) => n.clone(),
        (None, TemplateSource::Folder(p)) => p
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "warmly".into()),
    }
}

/// `--date`, else the campaign's `date`, else today.
fn run_date(src: &Sources) -> Result<NaiveDate> {
    let (text, what) = match (&src.args.date, &src.campaign.date) {
        (Some(s), _) => (s.clone(), "--date"),
        (None, Some(date)) => (date.text(), "date in the campaign"),
        (None, None) => return Ok(chrono::Local::now().date_naive()),
    };
    parse_date(&text).ok_or_else(|| {
        Error::config(format!("{what}: \"{text}\" is not a valid date"))
            .with_hint("write it as YYYY-MM-DD, e.g. 2026-12-01")
    })
}

/// Sender and theme with their pictures read (signature, card front),
/// named by their virtual paths; the pictures; run-wide notes on them.
#[allow(clippy::type_complexity)]
fn pictures(
    src: &Sources,
) -> Result<(
    IndexMap<String, String>,
    IndexMap<String, String>,
    Vec<(String, Vec<u8>)>,
    Vec<String>,
)> {
    let (mut sender, mut theme) = (src.campaign.sender.clone(), src.campaign.theme.clone());
    let (mut pictures, mut notes) = (Vec::new(), Vec::new());
    if let Some(file) = sender
        .get("signature_image")
        .filter(|s| !s.trim().is_empty())
    {
        let picture = Picture::read("sender.signature_image", file, &src.base, "signature")?;
        sender.insert("signature_image".into(), picture.vpath.clone());
        pictures.push((picture.vpath, picture.bytes));
    }
    if let Some(file) = theme.get("front_image").filter(|s| !s.trim().is_empty()) {
        let picture = Picture::read("theme.front_image", file, &src.base, "front-image")?;
        notes.extend(picture.front_resolution_note(file));
        theme.insert("front_image".into(), picture.vpath.clone());
        pictures.push((picture.vpath, picture.bytes));
    }
    Ok((sender, theme, pictures, notes))
}

/// What the whole run shares.
fn run(
    src: &Sources,
    name: String,
    date: NaiveDate,
    template: TemplateSource,
    returns: Option<PathBuf>,
    home_country: String,
    notes: Vec<String>,
) -> Result<RunSettings> {
    let args = src.args;
    let jobs = match args.jobs {
        Some(0) => return Err(Error::config("--jobs must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let shard = match (&args.shard, args.shards) {
        (Some(text), _) => Some(crate::shard::Shard::parse(text)?),
        (None, Some(count)) => Some(crate::shard::Shard::from_scheduler(count, |name| {
            std::env::var(name).ok()
        })?),
        (None, None) => None,
    };
    let state_folder = src.campaign.state.folder.as_deref().unwrap_or("state");
    Ok(RunSettings {
        campaign: args.campaign.clone(),
        date,
        template,
        messages_dir: src.campaign.messages.as_deref().map(|m| src.rel(m)),
        returns,
        home_country,
        state_dir: args
            .state
            .clone()
            .or_else(|| args.campaign.as_ref().map(|_| src.rel(state_folder))),
        shard,
        jobs,
        quiet: args.quiet,
        json: args.json,
        notes,
        name,
    })
}

/// A `lapsing` occasion and `[select] segments` read the orders in the
/// history: without one they would quietly select nobody.
fn needs_history(
    src: &Sources,
    occasion: Option<&crate::occasion::Rule>,
    has_history: bool,
) -> Result<()> {
    let what = match (occasion, &src.campaign.select.segments) {
        _ if has_history => return Ok(()),
        (Some(crate::occasion::Rule::Lapsing { .. }), _) => "[occasion] kind = \"lapsing\"",
        (_, Some(segments)) if !segments.is_empty() => "[select] segments",
        _ => return Ok(()),
    };
    Err(Error::config(format!(
        "{what} reads the customers' orders, but the campaign has no history"
    ))
    .with_hint("name the history file under [data] (history = \"history.csv\") or pass --history"))
}

/// `[select] control`: a percentage a small shop can afford to keep back.
fn control(percent: Option<i64>) -> Result<u8> {
    let max = crate::insights::control::MAX_CONTROL;
    match percent {
        None => Ok(0),
        Some(p) if (0..=i64::from(max)).contains(&p) => Ok(p as u8),
        Some(p) => Err(Error::config(format!(
            "[select] control = {p}: write the percent of the customers due to keep back, from 0 to {max}"
        ))
        .with_hint("10 keeps about one in ten out of the mail, to see later whether the pieces bring customers back (docs/guide/insights.md)")),
    }
}

/// The `[occasion]` rule and the lead window (`--within`, else the
/// occasion's `within`, else none).
fn occasion(src: &Sources) -> Result<(Option<crate::occasion::Rule>, i64)> {
    let (rule, within) = match &src.campaign.occasion {
        None => (None, None),
        Some(table) => {
            let mut table = table.clone();
            let within = table.remove("within").map(|v| match v {
                toml::Value::String(s) => s,
                other => other.to_string(),
            });
            let rule: crate::occasion::Rule = table.try_into().map_err(|e: toml::de::Error| {
                Error::config(format!("[occasion]: {}", e.message())).with_hint(
                    "kind = \"fixed\" | \"birthday\" | \"anniversary\" | \"after_event\" | \
                         \"silence\" | \"lapsing\" (docs/guide/occasions.md)",
                )
            })?;
            rule.validate().map_err(Error::config)?;
            (Some(rule), within)
        }
    };
    let within = match src.args.within.as_deref().or(within.as_deref()) {
        Some(s) => {
            crate::occasion::parse_window(s).map_err(|e| Error::config(format!("within: {e}")))?
        }
        None => 0,
    };
    Ok((rule, within))
}

/// What compose needs: words, theme, links, the print data and how strict
/// to be about generic and repeated texts.
fn compose(
    src: &Sources,
    run: &RunSettings,
    sender: IndexMap<String, String>,
    theme: IndexMap<String, String>,
    occasion: Option<crate::occasion::Rule>,
    load: &LoadOptions,
) -> Result<ComposeSettings> {
    let (args, c) = (src.args, &src.campaign);
    let offset = |v: Option<f64>, key: &str| -> Result<f64> {
        match v {
            Some(v) if !v.is_finite() || v.abs() > 20.0 => Err(Error::config(format!(
                "print.{key} = {v}: a calibration offset is a few mm (at most ±20)"
            ))),
            v => Ok(v.unwrap_or(0.0)),
        }
    };
    let links = c
        .links
        .personal_url
        .as_deref()
        .map(crate::links::LinkPattern::parse)
        .transpose()?;
    Ok(ComposeSettings {
        date: run.date,
        campaign: run.name.clone(),
        language: args
            .language
            .clone()
            .or(c.language.clone())
            .unwrap_or_else(|| "de".into())
            .to_lowercase(),
        sender,
        text: c.text.clone(),
        theme,
        occasion,
        links,
        generic: c.policy.generic.unwrap_or(Strictness::Warn),
        repeat: c.policy.repeat.unwrap_or(RepeatPolicy::Warn),
        print: PrintSettings {
            format: args.format.clone().or(c.print.format.clone()),
            offset_x: offset(c.print.offset_x, "offset_x")?,
            offset_y: offset(c.print.offset_y, "offset_y")?,
            crop_marks: args.crop_marks || c.print.crop_marks.unwrap_or(false),
            skip: c.print.skip.unwrap_or(0),
        },
        history_file: load.history.clone(),
    })
}

/// Fonts, PDF standards, pictures and the preflight's strictness.
fn typeset(
    src: &Sources,
    run: &RunSettings,
    print: &PrintSettings,
    pictures: Vec<(String, Vec<u8>)>,
) -> Result<TypesetSettings> {
    let (args, c) = (src.args, &src.campaign);
    for dir in &args.font_path {
        if !dir.is_dir() {
            return Err(Error::config(format!(
                "--font-path {}: not a folder",
                dir.display()
            )));
        }
    }
    Ok(TypesetSettings {
        date: run.date,
        campaign: run.name.clone(),
        fonts: Fonts {
            dirs: args.font_path.clone(),
            system: args.system_fonts || c.fonts.system.unwrap_or(false),
        },
        pdf_standards: args
            .pdf_standard
            .clone()
            .or(c.output.pdf_standard.clone())
            .into_iter()
            .collect(),
        pictures,
        overflow: c.policy.overflow.unwrap_or(Strictness::Warn),
        window: c.policy.window.unwrap_or(Strictness::Error),
        offset: (print.offset_x, print.offset_y),
    })
}

/// The output folder (a shard's below the run's), names, print file.
fn output(src: &Sources, run: &RunSettings) -> Result<OutputSettings> {
    let o = &src.campaign.output;
    let out_dir = src
        .args
        .out
        .clone()
        .or(o.folder.as_deref().map(|f| src.rel(f)))
        .unwrap_or_else(|| Path::new("out").join(crate::write::sanitize_component(&run.name)));
    // Shards of one run share the command line (an array job starts the
    // same one N times), so each writes below the run's folder.
    let out_dir = match &run.shard {
        Some(shard) => out_dir.join(shard.name()),
        None => out_dir,
    };
    let combined = match &o.combined {
        None | Some(Combined::On(true)) => Some("print.pdf".to_string()),
        Some(Combined::On(false)) => None,
        Some(Combined::Named(s)) => Some(crate::write::sanitize_component(s)),
    };
    let print_part = match o.print_part {
        Some(0) => {
            return Err(Error::config(
                "output.print_part = 0: a print file holds at least one piece",
            ))
        }
        Some(n) => n,
        None => DEFAULT_PRINT_PART,
    };
    Ok(OutputSettings {
        out_dir,
        pattern: o.pattern.clone().unwrap_or_else(|| DEFAULT_PATTERN.into()),
        combined,
        order: o.order.unwrap_or_default(),
        duplex: o.duplex.unwrap_or(false),
        print_part,
        force: src.args.force,
        home_country: run.home_country.clone(),
    })
}
