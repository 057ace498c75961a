//! A new campaign from the office's own file, in the browser: pick the
//! people file (and a history file) from the folder, see what warmly
//! recognised and how the columns map, with real rows; then occasion,
//! template, motif, sender and the message with a live preview of three
//! real recipients. Nothing in the folder changes until "Create": the
//! previews are made from a campaign written to a temporary folder.
//!
//! ```text
//! /home/api/files     the data files of the folder
//! /home/api/inspect   what a file is, its columns, automatic mapping
//! /home/api/mapping   the first rows as warmly reads them with a mapping
//! /home/api/senders   the senders of the folder's campaigns
//! /home/api/draft     the campaign as far as it goes: pieces, preview, facts
//! /home/api/create    writes it (setup::write_campaign) and opens it
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::desk::Desk;
use crate::args::RenderArgs;
use crate::error::{Error, Result};
use crate::load::inspect::{inspect_files, InspectOptions, Inspection};
use crate::mode::Mode;
use crate::setup::{self, NewCampaign};

/// The wizard's routes.
pub fn routes() -> Router<Arc<Desk>> {
    Router::new()
        .route("/home/api/files", get(files))
        .route("/home/api/inspect", post(inspect))
        .route("/home/api/mapping", post(mapping))
        .route("/home/api/senders", get(senders))
        .route("/home/api/draft", post(draft))
        .route("/home/api/create", post(create))
}

/// A file of the folder that can be a people or history file.
#[derive(Debug, Serialize)]
pub struct DataFile {
    pub name: String,
    pub bytes: u64,
    /// `csv`, `xlsx`, `vcf`, …
    pub kind: String,
}

/// The extensions warmly reads tables from (`.xls` is listed, so that its
/// refusal says what to do).
pub const DATA_EXTENSIONS: [&str; 9] = [
    "csv", "txt", "tsv", "xlsx", "xlsm", "xlsb", "ods", "vcf", "xls",
];

/// The data files of the folder, by name.
pub fn data_files(folder: &Path) -> Vec<DataFile> {
    let mut out: Vec<DataFile> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let kind = path.extension()?.to_string_lossy().to_lowercase();
            let wanted = path.is_file()
                && !name.starts_with('.')
                && DATA_EXTENSIONS.contains(&kind.as_str());
            let bytes = e.metadata().map(|m| m.len()).unwrap_or(0);
            wanted.then_some(DataFile { name, bytes, kind })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// An error for the page: what is wrong, with the hint.
struct Oops(StatusCode, String);

impl IntoResponse for Oops {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<Error> for Oops {
    fn from(e: Error) -> Oops {
        Oops(StatusCode::UNPROCESSABLE_ENTITY, in_words(&e))
    }
}

/// "kaputt.csv, line 2, column 3: a quoted field … — add the closing \"":
/// where, what, and what to do, for a person rather than a terminal.
pub fn in_words(e: &Error) -> String {
    let place = |at: &crate::error::Location| {
        let file = at
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| at.file.display().to_string());
        let mut words = file;
        if let Some(line) = at.line {
            words.push_str(&format!(", line {line}"));
        }
        if let Some(column) = at.column {
            words.push_str(&format!(", column {column}"));
        }
        words
    };
    let text = match e {
        Error::Input { at, message, .. } => format!("{}: {message}", place(at)),
        Error::Problems(problems) => problems
            .iter()
            .filter(|p| p.severity == crate::error::Severity::Error)
            .take(5)
            .map(|p| match &p.at {
                Some(at) => format!("{}: {}", place(at), p.message),
                None => p.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    };
    match e.hint() {
        Some(hint) => format!("{text} — {hint}"),
        None => text,
    }
}

/// Runs file and typesetting work off the async threads, on a thread with
/// Typst's stack.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    tokio::task::spawn_blocking(|| super::on_stack(f))
        .await
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))
}

impl Desk {
    /// A data file of the folder by its plain name (nothing above or beside
    /// the folder can be named).
    fn data_file(&self, name: &str) -> std::result::Result<PathBuf, Oops> {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains(['/', '\\', '\0'])
            && name != "..";
        let path = self.folder.join(name);
        if plain && path.is_file() {
            Ok(path)
        } else {
            Err(Oops(
                StatusCode::NOT_FOUND,
                format!("there is no file \"{name}\" in the folder"),
            ))
        }
    }
}

async fn files(State(desk): State<Arc<Desk>>) -> Response {
    let folder = desk.folder.display().to_string();
    Json(json!({ "folder": folder, "files": data_files(&desk.folder) })).into_response()
}

/// The files the page chose, and the mapping so far.
#[derive(Debug, Deserialize)]
struct Chosen {
    file: String,
    #[serde(default)]
    history: Option<String>,
    #[serde(default)]
    sheet: Option<String>,
    /// field → header the person chose (only what differs from warmly's).
    #[serde(default)]
    mapping: IndexMap<String, String>,
}

impl Chosen {
    fn options(&self, desk: &Desk) -> std::result::Result<InspectOptions, Oops> {
        Ok(InspectOptions {
            people: desk.data_file(&self.file)?,
            history: match self.history.as_deref().filter(|h| !h.is_empty()) {
                Some(h) => Some(desk.data_file(h)?),
                None => None,
            },
            sheet: self.sheet.clone(),
            columns: self.mapping.clone(),
            date_format: None,
        })
    }
}

/// A field of the mapping table: its words, whether a campaign needs it,
/// and the column warmly found for it.
#[derive(Debug, Serialize)]
struct Field {
    field: &'static str,
    label: &'static str,
    /// "needed", or "needed, or Company" where either of two will do.
    required: Option<String>,
    header: Option<String>,
}

/// The fields the wizard asks about, in a person's order, with their words.
const FIELDS: [(&str, &str); 18] = [
    ("id", "Customer number"),
    ("salutation", "Salutation (Herr, Frau, Mr, …)"),
    ("title", "Title (Dr., Prof.)"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("company", "Company"),
    ("department", "Department"),
    ("street", "Street and number"),
    ("street2", "Address line 2"),
    ("postal_code", "Postcode"),
    ("city", "Town"),
    ("country", "Country"),
    ("language", "Language"),
    ("formality", "Du or Sie"),
    ("email", "E-mail"),
    ("birthday", "Birthday"),
    ("customer_since", "Customer since"),
    ("opt_out", "No mail wanted (opt-out)"),
];

/// What step 1 shows of the chosen files.
async fn inspect(
    State(desk): State<Arc<Desk>>,
    Json(chosen): Json<Chosen>,
) -> std::result::Result<Response, Oops> {
    let options = chosen.options(&desk)?;
    let inspected = blocking(move || inspect_files(&options)).await?;
    let people = &inspected.people;
    let fields: Vec<Field> = FIELDS
        .iter()
        .map(|&(field, label)| Field {
            field,
            label,
            required: required_words(field),
            header: people.mapping.get(field).cloned(),
        })
        .collect();
    let history = inspected.history.as_ref().map(history_json);
    Ok(Json(json!({
        "source": people.source.name(),
        "description": people.description,
        "format": format_words(people),
        "rows": people.rows,
        "headers": people.headers,
        "mapping": people.mapping,
        "fields": fields,
        "errors": people.errors(),
        "problems": people.problems.iter().take(20).map(|p| p.to_string()).collect::<Vec<_>>(),
        "history": history,
    }))
    .into_response())
}

/// Whether a campaign needs the field, in words: "needed", or "needed, or
/// company" where another field would do as well.
fn required_words(field: &str) -> Option<String> {
    let (any, _) = crate::load::inspect::REQUIRED
        .iter()
        .find(|(any, _)| any.contains(&field))?;
    let others: Vec<&str> = any
        .iter()
        .filter(|f| **f != field)
        .filter_map(|f| FIELDS.iter().find(|(name, _)| name == f).map(|(_, l)| *l))
        .collect();
    Some(match others.as_slice() {
        [] => "needed".to_string(),
        others => format!("needed, or {}", others.join(" or ").to_lowercase()),
    })
}

/// "CSV, windows-1252, delimiter ;" or "XLSX, sheet Kunden".
fn format_words(i: &Inspection) -> String {
    let f = &i.format;
    let mut words = vec![f.kind.clone()];
    words.extend(f.encoding.clone());
    words.extend(f.delimiter.as_ref().map(|d| format!("delimiter {d}")));
    words.extend(f.sheet.as_ref().map(|s| format!("sheet {s}")));
    words.join(", ")
}

fn history_json(h: &Inspection) -> serde_json::Value {
    let summary = match &h.join {
        Some(join) => join.describe(),
        None => format!("{} rows", h.rows),
    };
    let file = h
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    json!({
        "file": file,
        "source": h.source.name(),
        "description": h.description,
        "summary": summary,
        "problems": h.problems.iter().take(20).map(|p| p.to_string()).collect::<Vec<_>>(),
    })
}

/// A person as warmly will address them.
#[derive(Debug, Serialize)]
struct ReadRow {
    line: u64,
    name: String,
    address: Vec<String>,
}

/// Step 2: with the mapping so far, what is still missing, the first
/// rows as warmly reads them, and the rows that will fail.
async fn mapping(
    State(desk): State<Arc<Desk>>,
    Json(chosen): Json<Chosen>,
) -> std::result::Result<Response, Oops> {
    let options = chosen.options(&desk)?;
    let value = blocking(move || -> Result<serde_json::Value> {
        let inspected = inspect_files(&options)?;
        let people = inspected.people;
        let loaded = crate::load::load(&crate::load::LoadOptions {
            people: options.people.clone(),
            history: None,
            sheet: options.sheet.clone(),
            columns: options.columns.clone(),
            date_order: None,
            pivot_year: chrono::Datelike::year(&chrono::Local::now().date_naive()),
        })?;
        let rows: Vec<ReadRow> = (0..loaded.persons.len().min(8))
            .map(|i| {
                let person = loaded.persons.without_history(i);
                // German exports first: a row without a language reads as
                // German until the campaign's language is chosen.
                let lang = match person.get("language") {
                    "" => "de".to_string(),
                    own => own.to_string(),
                };
                let address = crate::compose::address::address_lines(
                    &person,
                    &lang,
                    crate::settings::DEFAULT_COUNTRY,
                );
                ReadRow {
                    line: person.line,
                    name: person.display_name(),
                    address,
                }
            })
            .collect();
        let mut failing: Vec<serde_json::Value> = people
            .incomplete
            .iter()
            .take(30)
            .map(|i| json!({ "line": i.line, "reason": format!("{}: {}", i.id, i.missing.join(", ")) }))
            .collect();
        failing.extend(
            people
                .problems
                .iter()
                .filter(|p| p.severity == crate::error::Severity::Error)
                .take(30)
                .map(|p| json!({ "line": p.at.as_ref().and_then(|l| l.line).unwrap_or(0), "reason": p.to_string() })),
        );
        Ok(json!({
            "missing": people.missing.iter().map(|r| r.words).collect::<Vec<_>>(),
            "rows": rows,
            "failing": failing,
        }))
    })
    .await?;
    Ok(Json(value).into_response())
}

/// The senders of the folder's campaigns, to start from.
async fn senders(State(desk): State<Arc<Desk>>) -> Response {
    let folder = desk.folder.clone();
    let found = blocking(move || {
        let mut out = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            let Ok(campaign) = crate::settings::campaign::read(&path) else {
                continue;
            };
            if campaign.sender.is_empty() {
                continue;
            }
            let name = super::desk::name_of(&path).unwrap_or_default();
            out.push(json!({ "campaign": name, "sender": campaign.sender }));
        }
        out
    })
    .await;
    Json(json!({ "senders": found })).into_response()
}

/// The wizard's answers, as the page sends them.
#[derive(Debug, Clone, Deserialize)]
struct Answers {
    name: String,
    people: String,
    #[serde(default)]
    history: Option<String>,
    #[serde(default)]
    mapping: IndexMap<String, String>,
    occasion: String,
    #[serde(default)]
    days: Option<i64>,
    #[serde(default)]
    silence: Option<i64>,
    template: String,
    #[serde(default)]
    motif: Option<String>,
    language: String,
    #[serde(default)]
    sender: IndexMap<String, String>,
    #[serde(default)]
    messages: IndexMap<String, String>,
    /// The language whose message the preview shows.
    #[serde(default)]
    preview_lang: Option<String>,
    /// Only the files that "Create" would write (no preview).
    #[serde(default)]
    files_only: bool,
}

impl Answers {
    /// The campaign's file name: its name, made a plain file name.
    fn file_name(&self) -> std::result::Result<String, Oops> {
        let name = crate::write::sanitize_component(self.name.trim());
        if self.name.trim().is_empty() || name == "unnamed" {
            return Err(Oops(
                StatusCode::BAD_REQUEST,
                "give the campaign a name".into(),
            ));
        }
        Ok(format!("{name}.toml"))
    }

    /// The campaign `setup` writes.
    fn new_campaign(&self, desk: &Desk) -> std::result::Result<NewCampaign, Oops> {
        let occasion = setup::Occasion::parse(&self.occasion).ok_or_else(|| {
            Oops(
                StatusCode::BAD_REQUEST,
                format!("no occasion \"{}\"", self.occasion),
            )
        })?;
        let template = match self.template.as_str() {
            "card" => setup::Template::Card,
            "letter" => setup::Template::Letter,
            other => {
                return Err(Oops(
                    StatusCode::BAD_REQUEST,
                    format!("no template \"{other}\""),
                ))
            }
        };
        let days = match occasion {
            setup::Occasion::AfterOrder => self.days,
            setup::Occasion::KeepInTouch => self.silence,
            _ => None,
        };
        let sender = self
            .sender
            .iter()
            .filter(|(k, v)| setup::SENDER_KEYS.contains(&k.as_str()) && !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .collect();
        Ok(NewCampaign {
            name: Some(self.name.trim().to_string()),
            people: desk.data_file(&self.people)?,
            history: match self.history.as_deref().filter(|h| !h.is_empty()) {
                Some(h) => Some(desk.data_file(h)?),
                None => None,
            },
            sheet: None,
            columns: self.mapping.clone(),
            date_format: None,
            occasion,
            days,
            template,
            motif: self.motif.clone().filter(|m| !m.is_empty()),
            sender,
            language: self.language.clone(),
            messages: IndexMap::new(),
            date: None,
        })
    }

    /// What decides the plan of the preview (everything but the messages).
    fn plan_key(&self) -> String {
        let mut copy = self.clone();
        copy.messages.clear();
        copy.preview_lang = None;
        copy.files_only = false;
        format!("{copy:?}")
    }
}

/// The preview's plan of the campaign as the wizard has it so far, made
/// from a copy written to a temporary folder; kept while only the message
/// changes, so a keystroke costs three pieces, not a reading of the list.
pub struct DraftPlan {
    key: String,
    _dir: tempfile::TempDir,
    settings: Box<crate::settings::Settings>,
    plan: crate::plan::Plan,
    typesetter: crate::typeset::Typesetter,
    /// The people shown (indices into the plan's persons) with the
    /// occasion their piece is for: three different recipients.
    shown: Vec<(usize, Option<crate::occasion::Occasion>)>,
    /// Customers who get a piece in the coming year.
    due: usize,
    /// The starter message per language, as "Create" would write it.
    starters: IndexMap<String, String>,
    facts: Vec<serde_json::Value>,
}

/// The last preview plan.
#[derive(Default)]
pub struct Drafts(Mutex<Option<Arc<DraftPlan>>>);

impl DraftPlan {
    fn make(desk: &Desk, answers: &Answers, new: &NewCampaign) -> Result<DraftPlan> {
        let dir = tempfile::Builder::new()
            .prefix("warmly-draft")
            .tempdir()
            .map_err(|e| Error::config(format!("a temporary folder for the preview: {e}")))?;
        let campaign = dir
            .path()
            .join(answers.file_name().unwrap_or_else(|_| "draft.toml".into()));
        let files = setup::campaign_files(new, &campaign)?;
        let starters = files
            .messages
            .iter()
            .map(|(name, text)| {
                let lang = name.trim_start_matches("message.").trim_end_matches(".j2");
                (lang.to_string(), text.clone())
            })
            .collect();
        std::fs::create_dir_all(&files.messages_dir)
            .map_err(|e| Error::io(&files.messages_dir, e))?;
        for (name, text) in &files.messages {
            std::fs::write(files.messages_dir.join(name), text)
                .map_err(|e| Error::io(&files.messages_dir, e))?;
        }
        std::fs::write(&campaign, &files.campaign_text).map_err(|e| Error::io(&campaign, e))?;
        // A year ahead, so that a birthday campaign shows someone too.
        let args = RenderArgs {
            campaign: Some(campaign),
            state: Some(dir.path().join("state")),
            within: Some(format!("{}d", super::home::AHEAD_DAYS)),
            jobs: Some(1),
            quiet: true,
            ..RenderArgs::default()
        };
        let _ = desk;
        let mode = Mode::Preview {
            id: String::new(),
            ppi: super::PREVIEW_PPI,
        };
        let settings = Box::new(crate::mode::settings(&args, &Mode::DryRun)?);
        let plan = crate::plan::prepare(&settings, &mode)?;
        let due = plan.pieces.len();
        let card = plan.template.closing_style() == "card";
        let checks = crate::typeset::Checks {
            render_ppi: Some(super::PREVIEW_PPI),
            render_page: Some(usize::from(card)),
            ..Default::default()
        };
        let typesetter =
            crate::typeset::Typesetter::new(&plan.template, &settings.typeset)?.with_checks(checks);
        let shown = three(&plan, &settings.select);
        let facts = facts(&plan, new.occasion);
        Ok(DraftPlan {
            key: answers.plan_key(),
            _dir: dir,
            settings,
            plan,
            typesetter,
            shown,
            due,
            starters,
            facts,
        })
    }
}

/// Three different recipients for the preview — the first, a company and
/// one with a history, where the first 500 people have them — each with
/// the occasion of their piece: the one due in the coming year, else (a
/// thank-you for an order of the past, a silence that has not begun) the
/// one their history last gave.
fn three(
    plan: &crate::plan::Plan,
    select: &crate::settings::SelectSettings,
) -> Vec<(usize, Option<crate::occasion::Occasion>)> {
    let occasion_of = |i: usize| -> Option<Option<crate::occasion::Occasion>> {
        let person = plan.persons.get(i);
        let Some(rule) = &select.occasion else {
            return Some(None);
        };
        let ahead = select.date + chrono::Days::new(super::home::AHEAD_DAYS as u64);
        crate::occasion::due(rule, &person, select.date, ahead)
            .or_else(|| last_occasion(rule, &person))
            .map(Some)
    };
    let first = 0..plan.persons.len().min(500);
    let company = first.clone().find(|&i| {
        let p = plan.persons.without_history(i);
        p.get("last_name").is_empty() && !p.get("company").is_empty() && occasion_of(i).is_some()
    });
    let with_history = first
        .clone()
        .find(|&i| plan.persons.get(i).events.len() >= 2 && occasion_of(i).is_some());
    let mut shown: Vec<(usize, Option<crate::occasion::Occasion>)> = Vec::new();
    let candidates = [company, with_history].into_iter().flatten().chain(first);
    for i in candidates {
        if shown.len() == 3 {
            break;
        }
        if shown.iter().all(|(j, _)| *j != i) {
            if let Some(occasion) = occasion_of(i) {
                shown.push((i, occasion));
            }
        }
    }
    shown.sort_by_key(|(i, _)| *i);
    shown
}

/// The occasion a person's history last gave, for rules that follow the
/// history: the thank-you for their latest order, the silence after their
/// last contact.
fn last_occasion(
    rule: &crate::occasion::Rule,
    person: &crate::model::Person,
) -> Option<crate::occasion::Occasion> {
    use crate::occasion::Rule;
    let day = match rule {
        Rule::AfterEvent { event, days } => {
            let last = person
                .events
                .iter()
                .rev()
                .find(|e| e.kind.trim().eq_ignore_ascii_case(event.trim()))?;
            last.date + chrono::Days::new(u64::try_from(*days).ok()?)
        }
        Rule::Silence { days } => {
            let last = person.events.last()?;
            last.date + chrono::Days::new(u64::try_from(*days).ok()?)
        }
        _ => return None,
    };
    crate::occasion::due(rule, person, day, day)
}

/// What the texts can use: the person, the occasion, and each kind of
/// event the history has (with how many of the first customers have one).
fn facts(plan: &crate::plan::Plan, occasion: setup::Occasion) -> Vec<serde_json::Value> {
    let mut out = vec![
        json!({ "snippet": "{{ person.first_name }}", "text": "the first name" }),
        json!({ "snippet": "{{ person.years }}", "text": "years as a customer" }),
    ];
    match occasion {
        setup::Occasion::AfterOrder => out.push(json!({ "snippet": "{{ occasion.event.summary }}", "text": "the order this letter thanks for" })),
        setup::Occasion::Birthday => out.push(json!({ "snippet": "{{ occasion.years }}", "text": "the age reached (when the year of birth is known)" })),
        setup::Occasion::Anniversary => out.push(json!({ "snippet": "{{ occasion.years }}", "text": "the years this anniversary counts" })),
        _ => {}
    }
    let mut kinds: IndexMap<String, usize> = IndexMap::new();
    let looked = plan.persons.len().min(2000);
    for i in 0..looked {
        let mut seen: Vec<&str> = Vec::new();
        let person = plan.persons.get(i);
        for e in &person.events {
            if !seen.contains(&e.kind.as_str()) {
                seen.push(&e.kind);
                *kinds.entry(e.kind.clone()).or_default() += 1;
            }
        }
    }
    kinds.sort_by(|_, a, _, b| b.cmp(a));
    for (kind, n) in kinds.iter().take(5) {
        out.push(json!({
            "snippet": format!("{{{{ (history.last(\"{kind}\")).summary }}}}"),
            "text": format!("the latest {kind} ({n} of {looked} customers have one)"),
        }));
    }
    if kinds.contains_key("order") {
        out.push(
            json!({ "snippet": "{{ history.count_of(\"order\") }}", "text": "how many orders" }),
        );
    }
    out
}

impl Drafts {
    /// The plan for these answers: the last one when only the message
    /// changed, else a new one.
    fn plan(&self, desk: &Desk, answers: &Answers, new: &NewCampaign) -> Result<Arc<DraftPlan>> {
        let key = answers.plan_key();
        if let Some(plan) = self
            .0
            .lock()
            .expect("drafts lock")
            .as_ref()
            .filter(|p| p.key == key)
        {
            return Ok(plan.clone());
        }
        let plan = Arc::new(DraftPlan::make(desk, answers, new)?);
        *self.0.lock().expect("drafts lock") = Some(plan.clone());
        Ok(plan)
    }
}

/// The shown recipients with the answers' messages: their pages, or why
/// the message does not work.
fn preview(draft: &DraftPlan, answers: &Answers) -> Result<Vec<serde_json::Value>> {
    let mut template = draft.plan.template.clone();
    for (lang, text) in &answers.messages {
        if let Some(entry) = template.messages.get_mut(lang) {
            entry.1 = text.clone();
        }
    }
    let composer = crate::compose::Composer::new(&draft.settings.compose, &template)?
        .with_scale(draft.plan.scale.clone());
    let mut out = Vec::new();
    for (i, occasion) in &draft.shown {
        let person = draft.plan.persons.get(*i);
        let mut shown = json!({ "id": person.id, "name": person.display_name(), "pages": [] });
        let made = composer
            .compose_for(&person, &[], occasion.as_ref())
            .map_err(|e| e.0)
            .and_then(|piece| draft.typesetter.typeset(&piece).map_err(|e| e.to_string()));
        match made {
            Ok(typeset) => {
                let pages: Vec<String> = typeset
                    .images
                    .iter()
                    .map(|png| format!("data:image/png;base64,{}", super::routes::base64(png)))
                    .collect();
                shown["pages"] = json!(pages);
            }
            Err(e) => shown["error"] = json!(e),
        }
        out.push(shown);
    }
    Ok(out)
}

/// The campaign as far as the wizard has it: how many get a piece, three
/// of them with the message, what the history offers, the starter messages
/// — or what is wrong, in words.
async fn draft(
    State(desk): State<Arc<Desk>>,
    Json(answers): Json<Answers>,
) -> std::result::Result<Response, Oops> {
    let new = answers.new_campaign(&desk)?;
    let file = answers.file_name()?;
    let value = blocking(move || -> Result<serde_json::Value> {
        // Reading the list is what takes time: the files and the plan are
        // made again only when more than the message changed.
        let draft = desk.wizard.plan(&desk, &answers, &new)?;
        let stem = file.trim_end_matches(".toml");
        let exists = desk.folder.join(&file).exists() || desk.folder.join(stem).exists();
        let starters = draft.starters.clone();
        let written: Vec<String> = std::iter::once(file.clone())
            .chain(
                draft
                    .starters
                    .keys()
                    .map(|lang| format!("{stem}/message.{lang}.j2")),
            )
            .collect();
        let mut answers = answers;
        for (lang, text) in &starters {
            answers
                .messages
                .entry(lang.clone())
                .or_insert_with(|| text.clone());
        }
        let (preview, error) = match answers.files_only {
            true => (Vec::new(), None),
            false => match preview(&draft, &answers) {
                Ok(p) => (p, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            },
        };
        let failed = preview
            .iter()
            .find_map(|p| p.get("error").and_then(|e| e.as_str()).map(String::from));
        let error = error.or(failed);
        Ok(json!({
            "ok": error.is_none(),
            "error": error,
            "pieces": draft.due,
            "preview": preview,
            "facts": draft.facts,
            "messages": starters,
            "files": written,
            "exists": exists,
        }))
    })
    .await?;
    Ok(Json(value).into_response())
}

/// Writes the campaign into the folder and says where it opens.
async fn create(
    State(desk): State<Arc<Desk>>,
    Json(answers): Json<Answers>,
) -> std::result::Result<Response, Oops> {
    let mut new = answers.new_campaign(&desk)?;
    new.messages = answers.messages.clone();
    let file = answers.file_name()?;
    let name = file.trim_end_matches(".toml").to_string();
    let desk2 = desk.clone();
    blocking(move || setup::write_campaign(&new, &desk2.folder.join(&file), false)).await?;
    desk.close(&name);
    desk.home.forget();
    Ok(Json(json!({ "ok": true, "url": format!("/c/{name}/") })).into_response())
}
