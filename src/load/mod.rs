//! Stage 1, load: the people table and the history table, joined by id.
//!
//! The tables come as offices have them (see `read.rs`); their headers are
//! mapped to canonical fields (`columns.rs`) and their values normalised:
//! dates to ISO (`dates.rs`), countries to ISO codes, postal codes kept as
//! text with their leading zeros. Every problem found is collected with its
//! file, line and column; errors stop a render before anything is written.
//! Input files are only ever read.

pub mod columns;
pub mod inspect;
pub mod orders;
pub mod read;
pub mod returns;
pub mod sources;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::date::{self as dates, DateOrder};
use crate::error::{Error, Location, Problem, Result, Severity};
use crate::lang::normalize_country;
use crate::model::{Event, Fields, Person, PERSON_FIELDS};
use columns::Mapping;
pub use inspect::{
    inspect, inspect_files, missing_required, InspectOptions, Inspected, Inspection,
};
pub use read::{read_table, Format, Row, Rows, Table};
pub use sources::Source;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub people: PathBuf,
    pub history: Option<PathBuf>,
    /// Workbook sheet of the people file (default: the first).
    pub sheet: Option<String>,
    /// Explicit `canonical = "Header"` mapping for the people file.
    pub columns: IndexMap<String, String>,
    /// How to read slash dates; none = from the export's locale.
    pub date_order: Option<DateOrder>,
    /// Decides two-digit years (the run date's year).
    pub pivot_year: i32,
}

/// How one file was understood, for `warmly check` and the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceReport {
    pub file: PathBuf,
    pub format: Format,
    /// The program that wrote the file.
    pub source: Source,
    /// "DATEV Debitoren/Kreditoren export (EXTF 700, …), 6 rows, windows-1252"
    pub description: String,
    /// canonical field ← header(s)
    pub mapped: Vec<(String, String)>,
    /// Columns kept under their own names.
    pub other_columns: Vec<String>,
    pub rows: usize,
    pub date_order: DateOrder,
    pub date_order_reason: String,
    /// Ids were derived from the content (the file has no id column).
    pub derived_ids: bool,
    /// History: how its rows found their people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<Join>,
}

/// How the history's rows (an orders export's orders) were joined to the
/// people: by customer number, else by e-mail (without regard to case).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Join {
    /// "person_id ← Kundennr", "email ← Email", or both ("…, else …").
    pub key: String,
    pub by_id: usize,
    pub by_email: usize,
    /// Rows that found nobody in the people file (ignored).
    pub nobody: usize,
    /// An orders export: its rows, orders and the orders left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<orders::OrdersReport>,
}

impl Join {
    /// "12 joined by Kundennr, 3 by e-mail, 1 found nobody": for the terminal.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.orders {
            let mut text = format!("{} rows → {} orders", o.rows, o.orders);
            if o.left_out > 0 {
                let by: Vec<String> = o
                    .left_out_by
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                text += &format!(" ({} left out: {})", o.left_out, by.join(", "));
            }
            parts.push(text);
        }
        parts.push(format!(
            "{} joined by customer number, {} by e-mail, {} found nobody",
            self.by_id, self.by_email, self.nobody
        ));
        parts.join("; ")
    }
}

impl SourceReport {
    fn new(
        file: &Path,
        table: &Table,
        mapping: &Mapping,
        date_order: DateOrder,
        reason: &str,
    ) -> SourceReport {
        SourceReport {
            file: file.to_path_buf(),
            format: table.format.clone(),
            source: mapping.source,
            description: mapping.source.describe(&table.format, table.rows.len()),
            mapped: mapping.describe(&table.headers),
            other_columns: mapping.extra.iter().map(|(n, _)| n.clone()).collect(),
            rows: table.rows.len(),
            date_order,
            date_order_reason: reason.to_string(),
            derived_ids: false,
            join: None,
        }
    }
}

/// The loaded data.
pub struct Loaded {
    pub persons: Persons,
    pub people: SourceReport,
    pub history: Option<SourceReport>,
    /// Errors and warnings, in file order.
    pub problems: Vec<Problem>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Reads the people file and, when given, the history file. Structural
/// errors (a file that cannot be parsed) return `Err`; problems in values
/// are collected in [`Loaded::problems`].
pub fn load(options: &LoadOptions) -> Result<Loaded> {
    let mut problems = Vec::new();
    let table = read_table(&options.people, options.sheet.as_deref())?;
    let mapping = columns::map_people(&table.headers, &options.columns, &table.format).map_err(
        |message| {
            Error::config(format!("{}: {message}", options.people.display())).with_hint(
                "[columns] maps warmly's field names to your headers, e.g. last_name = \"Name\"",
            )
        },
    )?;
    let (date_order, date_order_reason) = decide_date_order(options.date_order, mapping.source);
    let people_file = &options.people;
    let mut people = SourceReport::new(
        people_file,
        &table,
        &mapping,
        date_order,
        &date_order_reason,
    );
    people.derived_ids = !mapping.fields.contains_key("id");
    let rule = PersonRule {
        path: people_file.clone(),
        order: date_order,
        pivot: options.pivot_year,
        derived: people.derived_ids,
    };
    let (rows, keys) = people_rows(&table, &mapping, &rule, &mut problems);
    let mut persons = Persons {
        table,
        mapping,
        rule,
        rows,
        history: None,
        event_starts: Vec::new(),
        extra: HashMap::new(),
    };
    let history = match &options.history {
        Some(path) => {
            let rule = EventRule {
                path: path.clone(),
                order: date_order,
                pivot: options.pivot_year,
            };
            let report =
                load_history(rule, &date_order_reason, &keys, &mut persons, &mut problems)?;
            Some(report)
        }
        None => None,
    };
    // Read and checked: the tables' text can wait on disk for the pieces.
    persons.table.rows = std::mem::take(&mut persons.table.rows).spill();
    if let Some((table, ..)) = persons.history.as_mut() {
        table.rows = std::mem::take(&mut table.rows).spill();
    }
    Ok(Loaded {
        persons,
        people,
        history,
        problems,
    })
}

fn decide_date_order(setting: Option<DateOrder>, source: Source) -> (DateOrder, String) {
    match (setting, source.date_order()) {
        (Some(order), _) => (order, "set by date_format".into()),
        (None, Some(DateOrder::Mdy)) => (
            DateOrder::Mdy,
            "Outlook exports write month/day/year; set date_format = \"dmy\" if not".into(),
        ),
        (None, _) => (
            DateOrder::Dmy,
            "day/month/year (the default); set date_format = \"mdy\" for US data".into(),
        ),
    }
}

/// Canonical person fields that hold dates.
const DATE_FIELDS: [&str; 2] = ["birthday", "customer_since"];

/// How people rows become persons (kept to build them again on demand).
struct PersonRule {
    path: PathBuf,
    order: DateOrder,
    pivot: i32,
    /// Ids are derived from the content (no id column).
    derived: bool,
}

/// Who a history row can name: a person's id, or (lower case) e-mail.
#[derive(Default)]
struct Keys {
    ids: HashMap<String, u32>,
    emails: HashMap<String, u32>,
}

/// The first pass over the people table: every problem, once; the rows
/// that are persons and their ids and e-mails (for the history; dropped
/// after it).
fn people_rows(
    table: &Table,
    mapping: &Mapping,
    rule: &PersonRule,
    problems: &mut Vec<Problem>,
) -> (Vec<u32>, Keys) {
    let path = &rule.path;
    if table.rows.is_empty() {
        problems.push(Problem::warning(
            Some(Location::file(path)),
            "the file has no rows below the header: nobody to write to",
        ));
    }
    if rule.derived && !table.rows.is_empty() {
        problems.push(Problem::warning(
            Some(Location::file(path)),
            "no id column: ids are derived from name and address (stable when the file is re-sorted)",
        ));
    }
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut by_id: HashMap<String, u32> = HashMap::new();
    let mut by_email: HashMap<String, u32> = HashMap::new();
    // address key → (id, line), as hashes: a duplicate check, not a store
    let mut by_address: HashMap<[u8; 32], (String, u64)> = HashMap::new();
    for (index, row) in table.rows.iter().enumerate() {
        let line = row.line;
        let at = |field: &str| Location::at(path, line, mapping.column(field));
        let (id, fields) = person_fields(table, &row, mapping, rule, Some(problems));
        if id.is_empty() {
            problems.push(Problem::error(
                at("id"),
                "the id is empty",
                Some("give every row an id, or remove the id column to have ids derived"),
            ));
            continue;
        }
        if let Some(&first) = by_id.get(&id) {
            let first = table.rows.get(rows[first as usize] as usize).line;
            problems.push(Problem::error(
                at("id"),
                format!("id \"{id}\" is used twice (first on line {first})"),
                Some("ids must be unique; fix or remove one of the rows"),
            ));
            continue;
        }
        let key = address_key(&fields);
        if !key.is_empty() {
            let key: [u8; 32] = Sha256::digest(key.as_bytes()).into();
            if let Some((other, other_line)) = by_address.insert(key, (id.clone(), line)) {
                problems.push(Problem::warning(
                    Some(Location::at(path, line, None)),
                    format!("{id} has the same name and address as {other} (line {other_line}): a duplicate?"),
                ).of_kind("duplicate"));
            }
        }
        let email = fields["email"].trim().to_lowercase();
        if !email.is_empty() {
            // two people with one address (a household): the first
            by_email.entry(email).or_insert(rows.len() as u32);
        }
        by_id.insert(id, rows.len() as u32);
        rows.push(index as u32);
    }
    let keys = Keys {
        ids: by_id,
        emails: by_email,
    };
    (rows, keys)
}

/// A row's fields, normalised (dates ISO, country code, postcode with its
/// zero, language code, salutation split) and its id. Problems are
/// reported only when `problems` is given (the first pass).
fn person_fields(
    table: &Table,
    row: &Row,
    mapping: &Mapping,
    rule: &PersonRule,
    mut problems: Option<&mut Vec<Problem>>,
) -> (String, Fields) {
    let at = |field: &str| Location::at(&rule.path, row.line, mapping.column(field));
    let mut fields: Fields = PERSON_FIELDS
        .iter()
        .map(|f| (f.to_string(), mapping.get(row, f).to_string()))
        .collect();
    fields.insert(
        "salutation_line".into(),
        mapping.get(row, "salutation_line").to_string(),
    );
    // The row split once: finding each of 100 000 columns from the start
    // of the row took minutes.
    let cells = row.cells();
    for (name, col) in &mapping.extra {
        fields
            .entry(name.clone())
            .or_insert_with(|| cells.get(*col).copied().unwrap_or("").to_string());
    }
    mapping.apply_blocks(row, &mut fields);
    mapping.source.adjust(&mut fields);
    split_salutation(&mut fields);
    for field in DATE_FIELDS {
        let value = fields[field].clone();
        if dates::is_empty_date(&value) {
            fields.insert(field.into(), String::new());
        } else if field == "birthday" && dates::is_partial_birthday(&value) {
            // kept as --MM-DD
        } else {
            match dates::parse(&value, rule.order, rule.pivot) {
                Some(date) => {
                    fields.insert(field.into(), date.to_string());
                }
                None => {
                    if let Some(problems) = problems.as_deref_mut() {
                        problems.push(Problem::error(
                            at(field),
                            format!("invalid date \"{value}\" in column \"{}\"", header_of(table, mapping, field)),
                            Some("write dates as YYYY-MM-DD, DD.MM.YYYY or set date_format for slash dates"),
                        ));
                    }
                }
            }
        }
    }
    let country = normalize_country(&fields["country"]);
    fields.insert("country".into(), country.clone());
    if let Some(padded) = pad_postcode(&fields["postal_code"], &country) {
        if let Some(problems) = problems {
            problems.push(
                Problem::warning(
                    Some(at("postal_code")),
                    format!(
                        "postal code {} lost its leading zero; read as {padded}",
                        fields["postal_code"]
                    ),
                )
                .of_kind("postcode"),
            );
        }
        fields.insert("postal_code".into(), padded);
    }
    let language = normalize_language(&fields["language"]);
    fields.insert("language".into(), language);
    let id = if rule.derived {
        derive_id(&fields)
    } else {
        fields["id"].clone()
    };
    fields.insert("id".into(), id.clone());
    (id, fields)
}

/// Everyone in the people file with their history. The tables are kept in
/// compact form and a [`Person`] is built from them when asked for — one
/// at a time, on whichever thread needs it — so the run holds about the
/// size of the files, not a map per person and event.
pub struct Persons {
    table: Table,
    mapping: Mapping,
    rule: PersonRule,
    /// The table row of each person (rows with errors are none).
    rows: Vec<u32>,
    /// The history, cut down to the rows of known people, by person and
    /// in date order (see `attach_history`).
    history: Option<(Table, Mapping, EventRule)>,
    /// History rows of person i: `event_starts[i]..event_starts[i + 1]`.
    event_starts: Vec<u32>,
    /// Events from elsewhere (the ledger's pieces), by person.
    extra: HashMap<u32, Vec<Event>>,
}

impl Persons {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Person `i`, with their history sorted by date.
    pub fn get(&self, i: usize) -> Person {
        let mut person = self.without_history(i);
        let events = &mut person.events;
        if let Some((table, mapping, rule)) = &self.history {
            let (from, to) = (self.event_starts[i], self.event_starts[i + 1]);
            for row in table.rows.range(from as usize, to as usize) {
                if let Some(date) = event_date(table, &row, mapping, rule, None) {
                    events.push(event_of(&row, mapping, date));
                }
            }
        }
        if let Some(extra) = self.extra.get(&(i as u32)) {
            events.extend(extra.iter().cloned());
            events.sort_by_key(|e| (e.date, e.line));
        }
        person
    }

    /// Person `i` without their history, for what needs only the fields
    /// (file names, the print file's order): no history row is read.
    pub fn without_history(&self, i: usize) -> Person {
        let row = self.table.rows.get(self.rows[i] as usize);
        let (id, fields) = person_fields(&self.table, &row, &self.mapping, &self.rule, None);
        Person {
            id,
            line: row.line,
            fields,
            events: Vec::new(),
        }
    }

    /// The id of person `i`, without building their history.
    pub fn id(&self, i: usize) -> String {
        let row = self.table.rows.get(self.rows[i] as usize);
        person_fields(&self.table, &row, &self.mapping, &self.rule, None).0
    }

    pub fn iter(&self) -> impl Iterator<Item = Person> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Adds events from elsewhere to person `i` (sorted in by date).
    pub fn add_events(&mut self, i: usize, events: impl IntoIterator<Item = Event>) {
        self.extra.entry(i as u32).or_default().extend(events);
    }

    /// Field names of the people file, canonical ones first (the file-name
    /// pattern may use them).
    pub fn field_names(&self) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        self.get(0).fields.keys().cloned().collect()
    }
}

fn header_of(table: &Table, mapping: &Mapping, field: &str) -> String {
    mapping
        .fields
        .get(field)
        .and_then(|c| c.first())
        .map(|&c| table.headers[c].clone())
        .unwrap_or_else(|| field.to_string())
}

/// "Herr Dr." in one Anrede column, or "Dr." in Outlook's Title: the form
/// of address goes to `salutation`, the degree to `title`.
fn split_salutation(fields: &mut Fields) {
    let value = fields["salutation"].trim().to_string();
    if value.is_empty() {
        return;
    }
    // A whole salutation line ("Lieber Hans,") in the salutation column
    // replaces the computed one for this row.
    if value.ends_with(',') || value.ends_with(':') {
        if fields
            .get("salutation_line")
            .is_none_or(|l| l.trim().is_empty())
        {
            fields.insert("salutation_line".into(), value);
        }
        fields.insert("salutation".into(), String::new());
        return;
    }
    let is_form = |w: &str| {
        matches!(
            w.trim_end_matches('.').to_lowercase().as_str(),
            "herr"
                | "herrn"
                | "frau"
                | "mr"
                | "mrs"
                | "ms"
                | "miss"
                | "mx"
                | "madame"
                | "monsieur"
                | "mme"
                | "m"
        )
    };
    let (form, rest) = match value.split_once(' ') {
        Some((first, rest)) if is_form(first) => (first.to_string(), rest.trim().to_string()),
        _ if is_form(&value) => (value.clone(), String::new()),
        _ => (String::new(), value.clone()),
    };
    let looks_like_title =
        rest.to_lowercase().contains("dr") || rest.to_lowercase().contains("prof");
    if !rest.is_empty() && looks_like_title {
        if fields["title"].trim().is_empty() {
            fields.insert("title".into(), rest);
        }
        fields.insert("salutation".into(), form);
    }
}

/// German, US, French and Italian codes have five digits, Austrian, Swiss,
/// Belgian and Danish four: a shorter all-digit code lost its leading zero
/// in a spreadsheet.
fn pad_postcode(code: &str, country: &str) -> Option<String> {
    let code = code.trim();
    let width = match country {
        "DE" | "" | "US" | "FR" | "IT" | "ES" | "FI" => 5,
        "AT" | "CH" | "BE" | "DK" | "LU" | "NO" => 4,
        _ => return None,
    };
    (!code.is_empty() && code.len() < width && code.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{code:0>width$}"))
}

fn normalize_language(value: &str) -> String {
    let v = value.trim().to_lowercase();
    match v.as_str() {
        "deutsch" | "german" | "ger" | "deu" | "de-de" | "de-at" | "de-ch" => "de",
        "englisch" | "english" | "eng" | "en-gb" | "en-us" => "en",
        "französisch" | "french" | "français" | "francais" | "fra" | "fr-fr" | "fr-ch" => "fr",
        _ => return v,
    }
    .to_string()
}

fn address_key(fields: &Fields) -> String {
    let parts = [
        "first_name",
        "last_name",
        "company",
        "street",
        "postal_code",
    ]
    .map(|k| fields[k].trim().to_lowercase());
    if parts[3].is_empty() || (parts[0].is_empty() && parts[1].is_empty() && parts[2].is_empty()) {
        return String::new();
    }
    parts.join("\u{1f}")
}

/// A content-derived id: the same person gets the same id however the file
/// is sorted.
fn derive_id(fields: &Fields) -> String {
    let mut hasher = Sha256::new();
    for key in [
        "first_name",
        "last_name",
        "company",
        "street",
        "postal_code",
        "city",
        "country",
    ] {
        hasher.update(fields[key].to_lowercase().as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("P-{hex}")
}

/// How history rows become events.
struct EventRule {
    path: PathBuf,
    order: DateOrder,
    pivot: i32,
}

/// An event row's date; a problem (first pass only) when it has none.
fn event_date(
    table: &Table,
    row: &Row,
    mapping: &Mapping,
    rule: &EventRule,
    problems: Option<&mut Vec<Problem>>,
) -> Option<NaiveDate> {
    let raw_date = mapping.get(row, "date");
    let date = dates::parse(raw_date, rule.order, rule.pivot);
    if let (None, Some(problems)) = (date, problems) {
        problems.push(Problem::error(
            Location::at(&rule.path, row.line, mapping.column("date")),
            if raw_date.is_empty() {
                "the date is empty".to_string()
            } else {
                format!(
                    "invalid date \"{raw_date}\" in column \"{}\"",
                    header_of(table, mapping, "date")
                )
            },
            Some("write dates as YYYY-MM-DD or DD.MM.YYYY"),
        ));
    }
    date
}

fn event_of(row: &Row, mapping: &Mapping, date: NaiveDate) -> Event {
    let mut extra = IndexMap::new();
    for field in ["amount", "product"] {
        if mapping.fields.contains_key(field) {
            extra.insert(field.to_string(), mapping.get(row, field).to_string());
        }
    }
    let cells = row.cells();
    for (name, col) in &mapping.extra {
        extra
            .entry(name.clone())
            .or_insert_with(|| cells.get(*col).copied().unwrap_or("").to_string());
    }
    Event {
        date,
        kind: columns::normalize_kind(mapping.get(row, "kind")),
        summary: mapping.get(row, "summary").to_string(),
        line: row.line,
        extra,
    }
}

/// Reads the history (an orders export grouped into orders first), joins
/// it to the people and reports how.
fn load_history(
    rule: EventRule,
    reason: &str,
    keys: &Keys,
    persons: &mut Persons,
    problems: &mut Vec<Problem>,
) -> Result<SourceReport> {
    let path = rule.path.clone();
    let table = read_table(&path, None)?;
    let source = columns::detect(&table.headers, &table.format);
    let (mut table, orders) = match source.is_orders() {
        true => orders::group(&path, table, source).map(|(t, r)| (t, Some(r)))?,
        false => (table, None),
    };
    let mut mapping = columns::map_history(&table.headers, &table.format)
        .map_err(|message| Error::config(format!("{}: {message}", path.display())))?;
    mapping.source = source;
    let mut report = SourceReport::new(&path, &table, &mapping, rule.order, reason);
    if let Some(orders) = &orders {
        // the export's own headers, not the orders table's
        for (_, header) in report.mapped.iter_mut() {
            let origin = orders.origin.iter().find(|(k, _)| k == header);
            if let Some((_, original)) = origin {
                *header = original.clone();
            }
        }
    }
    // "customer_id ← customer_id, else email ← customer_email"
    let key = report
        .mapped
        .iter()
        .filter(|(f, _)| f == "person_id" || f == "email");
    let key: Vec<String> = key.map(|(f, h)| format!("{f} ← {h}")).collect();
    let on = (&rule, keys, key.join(", else "));
    let mut join = attach_history(&mut table, &mapping, on, persons, problems)?;
    join.orders = orders;
    report.join = Some(join);
    persons.history = Some((table, mapping, rule));
    Ok(report)
}

/// The history cannot be joined at all: it has no key, or it is keyed by
/// e-mail and the people have none.
fn check_join_key(path: &Path, table: &Table, mapping: &Mapping, keys: &Keys) -> Result<()> {
    let (by_id, by_email) = (
        mapping.fields.contains_key("person_id"),
        mapping.fields.contains_key("email"),
    );
    if !by_id && !by_email {
        return Err(Error::input(
            Location::at(path, 1, None),
            "the history has no column that names the person (a customer number or an e-mail)",
        )
        .with_hint("name the column with the customer's id person_id, customer_id or Kundennr, or the one with the e-mail email"));
    }
    if !by_id && keys.emails.is_empty() {
        return Err(Error::input(
            Location::at(path, 1, None),
            format!(
                "the history names people by e-mail (column \"{}\"), but the people file has no e-mail addresses",
                header_of(table, mapping, "email")
            ),
        )
        .with_hint("map the people file's e-mail column, e.g. --column email=\"E-Mail\" (or `email = \"…\"` under [columns])"));
    }
    if !mapping.fields.contains_key("date") {
        return Err(Error::input(
            Location::at(path, 1, None),
            "the history has no date column",
        )
        .with_hint("add a column named date (YYYY-MM-DD)"));
    }
    Ok(())
}

/// The person a history row names: by customer number, else by e-mail
/// (without regard to case); and whether it was the number.
fn person_of(row: &Row, mapping: &Mapping, keys: &Keys) -> Option<(u32, bool)> {
    let id = mapping.get(row, "person_id").trim();
    let email = mapping.get(row, "email").trim().to_lowercase();
    let by_id = (!id.is_empty()).then(|| keys.ids.get(id)).flatten();
    let by_email = (!email.is_empty())
        .then(|| keys.emails.get(&email))
        .flatten();
    by_id
        .map(|&i| (i, true))
        .or_else(|| by_email.map(|&i| (i, false)))
}

/// The first pass over the history: every problem once, and which rows
/// belong to whom, in date order. The table keeps only those rows, in
/// that order.
fn attach_history(
    table: &mut Table,
    mapping: &Mapping,
    (rule, keys, key): (&EventRule, &Keys, String),
    persons: &mut Persons,
    problems: &mut Vec<Problem>,
) -> Result<Join> {
    let path = &rule.path;
    check_join_key(path, table, mapping, keys)?;
    let mut join = Join {
        key,
        by_id: 0,
        by_email: 0,
        nobody: 0,
        orders: None,
    };
    let mut unknown = Vec::new();
    // (person, date, line, row)
    let mut found: Vec<(u32, NaiveDate, u64, u32)> = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let Some(date) = event_date(table, &row, mapping, rule, Some(problems)) else {
            continue;
        };
        let Some((i, by_id)) = person_of(&row, mapping, keys) else {
            let id = mapping.get(&row, "person_id");
            let who = if id.is_empty() {
                mapping.get(&row, "email")
            } else {
                id
            };
            unknown.push(format!("{who} (line {})", row.line));
            continue;
        };
        if by_id {
            join.by_id += 1;
        } else {
            join.by_email += 1;
        }
        found.push((i, date, row.line, r as u32));
    }
    join.nobody = unknown.len();
    found.sort_unstable();
    let mut starts = Vec::with_capacity(persons.len() + 1);
    let mut next = 0usize;
    for i in 0..persons.len() as u32 {
        starts.push(next as u32);
        while next < found.len() && found[next].0 == i {
            next += 1;
        }
    }
    starts.push(next as u32);
    persons.event_starts = starts;
    // Kept for the whole run, so only what the pieces read: the matched
    // rows in person and date order, without the id or e-mail they were
    // matched by (a tenth of a typical history; BENCHMARKS.md).
    let keep: Vec<u32> = found.iter().map(|f| f.3).collect();
    let mut blank = mapping.fields.get("person_id").cloned().unwrap_or_default();
    blank.extend(mapping.fields.get("email").cloned().unwrap_or_default());
    table.rows = table.rows.subset(&keep, &blank);
    report_unknown(path, &join, &unknown, problems);
    Ok(join)
}

/// Rows that found nobody: a warning naming the first few; none found
/// anybody at all is an error (the wrong file, or the wrong key).
fn report_unknown(path: &Path, join: &Join, unknown: &[String], problems: &mut Vec<Problem>) {
    if unknown.is_empty() {
        return;
    }
    let shown: Vec<_> = unknown.iter().take(5).cloned().collect();
    let list = format!(
        "{}{}",
        shown.join(", "),
        if unknown.len() > 5 { ", …" } else { "" }
    );
    if join.by_id + join.by_email > 0 {
        problems.push(Problem::warning(
            Some(Location::file(path)),
            format!(
                "{} event(s) name a person that is not in the list and were ignored: {list}",
                unknown.len()
            ),
        ));
        return;
    }
    problems.push(Problem::error(
        Location::file(path),
        format!(
            "none of the {} event(s) names a person of the people file (joined by {}): {list}",
            unknown.len(),
            join.key
        ),
        Some("is it the history of these people? The people file needs the same customer numbers (its id) or e-mail addresses (its email column; map it with --column email=…)"),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salutation_and_degree_are_split() {
        let mut f: Fields = [("salutation", "Herr Dr."), ("title", "")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into_iter()
            .collect();
        split_salutation(&mut f);
        assert_eq!(
            (f["salutation"].as_str(), f["title"].as_str()),
            ("Herr", "Dr.")
        );
        let mut f: Fields = [("salutation", "Dr."), ("title", "")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into_iter()
            .collect();
        split_salutation(&mut f);
        assert_eq!((f["salutation"].as_str(), f["title"].as_str()), ("", "Dr."));
        let mut f: Fields = [("salutation", "Lieber Hans,"), ("title", "")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into_iter()
            .collect();
        split_salutation(&mut f);
        assert_eq!(
            (f["salutation"].as_str(), f["salutation_line"].as_str()),
            ("", "Lieber Hans,")
        );
    }

    #[test]
    #[cfg(unix)] // tables are spilled on Unix only
    fn a_large_history_waits_on_disk_and_gives_each_person_their_events() {
        let dir = tempfile::tempdir().unwrap();
        let people = dir.path().join("people.csv");
        let history = dir.path().join("history.csv");
        std::fs::write(
            &people,
            "id,first_name,last_name\nK-1,Anna,Weber\nK-2,Bob,Stein\n",
        )
        .unwrap();
        // 30 000 events (over 1 MiB once matched), newest first in the file,
        // and some for nobody in the list
        let mut text = String::from("person_id,date,kind,summary,amount\n");
        for n in (0..30_000).rev() {
            let who = ["K-1", "K-2", "K-9"][n % 3];
            let day = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
                + chrono::Days::new(n as u64 / 3);
            text += &format!(
                "{who},{day},order,Esstisch aus massiver Eiche geölt Nummer {n:05},{n}.00\n"
            );
        }
        std::fs::write(&history, text).unwrap();
        let loaded = load(&LoadOptions {
            people,
            history: Some(history),
            sheet: None,
            columns: IndexMap::new(),
            date_order: None,
            pivot_year: 2026,
        })
        .unwrap();
        let persons = &loaded.persons;
        let (table, ..) = persons.history.as_ref().unwrap();
        assert!(table.rows.on_disk());
        assert!(!persons.table.rows.on_disk());
        let bob = persons.get(1);
        assert_eq!((bob.id.as_str(), bob.get("first_name")), ("K-2", "Bob"));
        assert_eq!(bob.events.len(), 10_000);
        let (first, last) = (&bob.events[0], &bob.events[9_999]);
        assert_eq!(first.date.to_string(), "2000-01-01");
        assert_eq!(
            first.summary,
            "Esstisch aus massiver Eiche geölt Nummer 00001"
        );
        assert_eq!(first.extra["amount"], "1.00");
        assert_eq!(
            last.summary,
            "Esstisch aus massiver Eiche geölt Nummer 29998"
        );
        assert!(bob.events.windows(2).all(|w| w[0].date <= w[1].date));
        assert_eq!(persons.get(0).events.len(), 10_000);
    }

    #[test]
    fn postcodes_get_their_zero_back() {
        assert_eq!(pad_postcode("1069", "DE"), Some("01069".into()));
        assert_eq!(pad_postcode("01069", "DE"), None);
        assert_eq!(pad_postcode("SW7 2EU", "GB"), None);
        assert_eq!(pad_postcode("800", "CH"), Some("0800".into()));
    }
}
