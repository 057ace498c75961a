//! Stage 1, load: the people table and the history table, joined by id.
//!
//! The tables come as offices have them (see `read.rs`); their headers are
//! mapped to canonical fields (`columns.rs`) and their values normalised:
//! dates to ISO (`dates.rs`), countries to ISO codes, postal codes kept as
//! text with their leading zeros. Every problem found is collected with its
//! file, line and column; errors stop a render before anything is written.
//! Input files are only ever read.

pub mod columns;
pub mod read;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::date::{self as dates, DateOrder};
use crate::error::{Error, Location, Problem, Result, Severity};
use crate::lang::normalize_country;
use crate::model::{Event, Person, PERSON_FIELDS};
use columns::{HeaderSet, Mapping};
pub use read::{read_table, Format, Table};

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
    pub header_set: HeaderSet,
    /// canonical field ← header(s)
    pub mapped: Vec<(String, String)>,
    /// Columns kept under their own names.
    pub other_columns: Vec<String>,
    pub rows: usize,
    pub date_order: DateOrder,
    pub date_order_reason: String,
    /// Ids were derived from the content (the file has no id column).
    pub derived_ids: bool,
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
            header_set: mapping.header_set,
            mapped: mapping.describe(&table.headers),
            other_columns: mapping.extra.iter().map(|(n, _)| n.clone()).collect(),
            rows: table.rows.len(),
            date_order,
            date_order_reason: reason.to_string(),
            derived_ids: false,
        }
    }
}

/// The loaded data.
#[derive(Debug)]
pub struct Loaded {
    pub persons: Vec<Person>,
    pub people: SourceReport,
    pub history: Option<SourceReport>,
    /// Errors and warnings, in file order.
    pub problems: Vec<Problem>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// For a render: stop on errors, hand back the warnings.
    pub fn into_checked(self) -> Result<(Vec<Person>, Vec<Problem>)> {
        if self.has_errors() {
            return Err(Error::Problems(
                self.problems
                    .into_iter()
                    .filter(|p| p.severity == Severity::Error)
                    .collect(),
            ));
        }
        Ok((self.persons, self.problems))
    }
}

/// Reads the people file and, when given, the history file. Structural
/// errors (a file that cannot be parsed) return `Err`; problems in values
/// are collected in [`Loaded::problems`].
pub fn load(options: &LoadOptions) -> Result<Loaded> {
    let mut problems = Vec::new();
    let table = read_table(&options.people, options.sheet.as_deref())?;
    let mapping = columns::map_people(&table.headers, &options.columns).map_err(|message| {
        Error::config(format!("{}: {message}", options.people.display())).with_hint(
            "[columns] maps warmly's field names to your headers, e.g. last_name = \"Name\"",
        )
    })?;
    let (date_order, date_order_reason) = decide_date_order(options.date_order, mapping.header_set);
    let people_file = &options.people;
    let mut persons = people(
        people_file,
        &table,
        &mapping,
        date_order,
        options.pivot_year,
        &mut problems,
    );
    let mut people = SourceReport::new(
        people_file,
        &table,
        &mapping,
        date_order,
        &date_order_reason,
    );
    people.derived_ids = !mapping.fields.contains_key("id");
    let history = match &options.history {
        Some(path) => {
            let table = read_table(path, None)?;
            let mapping = columns::map_history(&table.headers)
                .map_err(|message| Error::config(format!("{}: {message}", path.display())))?;
            attach_history(
                path,
                &table,
                &mapping,
                date_order,
                options.pivot_year,
                &mut persons,
                &mut problems,
            )?;
            Some(SourceReport::new(
                path,
                &table,
                &mapping,
                date_order,
                &date_order_reason,
            ))
        }
        None => None,
    };
    Ok(Loaded {
        persons,
        people,
        history,
        problems,
    })
}

fn decide_date_order(setting: Option<DateOrder>, set: HeaderSet) -> (DateOrder, String) {
    match (setting, set) {
        (Some(order), _) => (order, "set by date_format".into()),
        (None, HeaderSet::Outlook) => (
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

fn people(
    path: &Path,
    table: &Table,
    mapping: &Mapping,
    order: DateOrder,
    pivot: i32,
    problems: &mut Vec<Problem>,
) -> Vec<Person> {
    if table.rows.is_empty() {
        problems.push(Problem::warning(
            Some(Location::file(path)),
            "the file has no rows below the header: nobody to write to",
        ));
    }
    let derived = !mapping.fields.contains_key("id");
    if derived && !table.rows.is_empty() {
        problems.push(Problem::warning(
            Some(Location::file(path)),
            "no id column: ids are derived from name and address (stable when the file is re-sorted)",
        ));
    }
    let mut persons: Vec<Person> = Vec::with_capacity(table.rows.len());
    let mut by_id: HashMap<String, u64> = HashMap::new();
    let mut by_address: HashMap<String, (String, u64)> = HashMap::new();
    for (line, row) in &table.rows {
        let at = |field: &str| Location::at(path, *line, mapping.column(field));
        let mut fields: IndexMap<String, String> = PERSON_FIELDS
            .iter()
            .map(|f| (f.to_string(), mapping.get(row, f).to_string()))
            .collect();
        fields.insert(
            "salutation_line".into(),
            mapping.get(row, "salutation_line").to_string(),
        );
        for (name, col) in &mapping.extra {
            fields
                .entry(name.clone())
                .or_insert_with(|| row[*col].clone());
        }
        split_salutation(&mut fields);
        for field in DATE_FIELDS {
            let value = fields[field].clone();
            if dates::is_empty_date(&value) {
                fields.insert(field.into(), String::new());
            } else if field == "birthday" && dates::is_partial_birthday(&value) {
                // kept as --MM-DD
            } else {
                match dates::parse(&value, order, pivot) {
                    Some(date) => {
                        fields.insert(field.into(), date.to_string());
                    }
                    None => problems.push(Problem::error(
                        at(field),
                        format!("invalid date \"{value}\" in column \"{}\"", header_of(table, mapping, field)),
                        Some("write dates as YYYY-MM-DD, DD.MM.YYYY or set date_format for slash dates"),
                    )),
                }
            }
        }
        let country = normalize_country(&fields["country"]);
        fields.insert("country".into(), country.clone());
        if let Some(padded) = pad_postcode(&fields["postal_code"], &country) {
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
            fields.insert("postal_code".into(), padded);
        }
        let language = normalize_language(&fields["language"]);
        fields.insert("language".into(), language);

        let id = if derived {
            derive_id(&fields)
        } else {
            fields["id"].clone()
        };
        if id.is_empty() {
            problems.push(Problem::error(
                at("id"),
                "the id is empty",
                Some("give every row an id, or remove the id column to have ids derived"),
            ));
            continue;
        }
        if let Some(first) = by_id.insert(id.clone(), *line) {
            problems.push(Problem::error(
                at("id"),
                format!("id \"{id}\" is used twice (first on line {first})"),
                Some("ids must be unique; fix or remove one of the rows"),
            ));
            continue;
        }
        let key = address_key(&fields);
        if !key.is_empty() {
            if let Some((other, other_line)) = by_address.insert(key, (id.clone(), *line)) {
                problems.push(Problem::warning(
                    Some(Location::at(path, *line, None)),
                    format!("{id} has the same name and address as {other} (line {other_line}): a duplicate?"),
                ).of_kind("duplicate"));
            }
        }
        fields.insert("id".into(), id.clone());
        persons.push(Person {
            id,
            line: *line,
            fields,
            events: Vec::new(),
        });
    }
    persons
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
fn split_salutation(fields: &mut IndexMap<String, String>) {
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

fn address_key(fields: &IndexMap<String, String>) -> String {
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
fn derive_id(fields: &IndexMap<String, String>) -> String {
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

fn attach_history(
    path: &Path,
    table: &Table,
    mapping: &Mapping,
    order: DateOrder,
    pivot: i32,
    persons: &mut [Person],
    problems: &mut Vec<Problem>,
) -> Result<()> {
    if !mapping.fields.contains_key("person_id") {
        return Err(Error::input(
            Location::at(path, 1, None),
            "the history has no person_id column",
        )
        .with_hint(
            "name the column that holds the customer's id person_id, customer_id or Kundennr",
        ));
    }
    if !mapping.fields.contains_key("date") {
        return Err(Error::input(
            Location::at(path, 1, None),
            "the history has no date column",
        )
        .with_hint("add a column named date (YYYY-MM-DD)"));
    }
    let index: HashMap<String, usize> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let mut unknown = Vec::new();
    for (line, row) in &table.rows {
        let raw_date = mapping.get(row, "date");
        let date: NaiveDate = match dates::parse(raw_date, order, pivot) {
            Some(date) => date,
            None => {
                problems.push(Problem::error(
                    Location::at(path, *line, mapping.column("date")),
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
                continue;
            }
        };
        let person_id = mapping.get(row, "person_id");
        let Some(&i) = index.get(person_id) else {
            unknown.push(format!("{person_id} (line {line})"));
            continue;
        };
        let mut extra = IndexMap::new();
        for field in ["amount", "product"] {
            if mapping.fields.contains_key(field) {
                extra.insert(field.to_string(), mapping.get(row, field).to_string());
            }
        }
        for (name, col) in &mapping.extra {
            extra
                .entry(name.clone())
                .or_insert_with(|| row[*col].clone());
        }
        persons[i].events.push(Event {
            date,
            kind: columns::normalize_kind(mapping.get(row, "kind")),
            summary: mapping.get(row, "summary").to_string(),
            line: *line,
            extra,
        });
    }
    for p in persons.iter_mut() {
        p.events.sort_by_key(|e| (e.date, e.line));
    }
    if !unknown.is_empty() {
        let shown: Vec<_> = unknown.iter().take(5).cloned().collect();
        problems.push(Problem::warning(
            Some(Location::file(path)),
            format!(
                "{} event(s) name a person that is not in the list and were ignored: {}{}",
                unknown.len(),
                shown.join(", "),
                if unknown.len() > 5 { ", …" } else { "" }
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salutation_and_degree_are_split() {
        let mut f: IndexMap<String, String> = [("salutation", "Herr Dr."), ("title", "")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        split_salutation(&mut f);
        assert_eq!(
            (f["salutation"].as_str(), f["title"].as_str()),
            ("Herr", "Dr.")
        );
        let mut f: IndexMap<String, String> = [("salutation", "Dr."), ("title", "")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        split_salutation(&mut f);
        assert_eq!((f["salutation"].as_str(), f["title"].as_str()), ("", "Dr."));
        let mut f: IndexMap<String, String> = [("salutation", "Lieber Hans,"), ("title", "")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        split_salutation(&mut f);
        assert_eq!(
            (f["salutation"].as_str(), f["salutation_line"].as_str()),
            ("", "Lieber Hans,")
        );
    }

    #[test]
    fn postcodes_get_their_zero_back() {
        assert_eq!(pad_postcode("1069", "DE"), Some("01069".into()));
        assert_eq!(pad_postcode("01069", "DE"), None);
        assert_eq!(pad_postcode("SW7 2EU", "GB"), None);
        assert_eq!(pad_postcode("800", "CH"), Some("0800".into()));
    }
}
