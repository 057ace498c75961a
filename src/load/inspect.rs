//! A look at a people file (and its history) before a campaign is made of
//! it: what it is, how its columns map, its first rows, the rows that will
//! fail and what a campaign still needs. `warmly new` prints it; the
//! studio's new-campaign wizard shows it (everything here is serde data).
//! Nothing is written.

use std::path::{Path, PathBuf};

use chrono::Datelike;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{columns, load, read, Format, Join, LoadOptions, Source, SourceReport};
use crate::date::DateOrder;
use crate::error::{Error, Problem, Result, Severity};

/// Rows shown as a sample.
pub const SAMPLE_ROWS: usize = 20;

/// What to look at: the people file with the mapping chosen so far, and
/// the history file if there is one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InspectOptions {
    pub people: PathBuf,
    /// Workbook sheet (default: the first).
    #[serde(default)]
    pub sheet: Option<String>,
    /// `field = "Header"` beyond (or instead of) the automatic mapping.
    #[serde(default)]
    pub columns: IndexMap<String, String>,
    /// `dmy` or `mdy` for slash dates (default: from the source).
    #[serde(default)]
    pub date_format: Option<String>,
    #[serde(default)]
    pub history: Option<PathBuf>,
}

/// One file, looked at.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub file: PathBuf,
    pub source: Source,
    /// "DATEV Debitoren/Kreditoren export (EXTF 700, …), 6 rows, windows-1252"
    pub description: String,
    pub format: Format,
    /// A workbook's sheets (the one read is `format.sheet`).
    pub sheets: Vec<String>,
    /// The headers as written.
    pub headers: Vec<String>,
    /// canonical field → header(s) (`"Straße geschäftlich | Straße privat"`),
    /// for every field that has a column, as it will be read.
    pub mapping: IndexMap<String, String>,
    /// The part of `mapping` found without help (no `columns`).
    pub automatic: IndexMap<String, String>,
    /// The first rows as text, each with its line.
    pub sample: Vec<SampleRow>,
    /// Rows below the header (an orders export: orders).
    pub rows: usize,
    /// What a render would report for this file, errors first.
    pub problems: Vec<Problem>,
    /// Rows without a name or an address: they would be printed so.
    pub incomplete: Vec<Incomplete>,
    /// What the mapping still lacks before a campaign can be made.
    pub missing: Vec<Required>,
    /// A history: how its rows find their people (key, counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<Join>,
}

impl Inspection {
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }
}

/// A row as the file has it.
#[derive(Debug, Clone, Serialize)]
pub struct SampleRow {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A row that lacks a required field.
#[derive(Debug, Clone, Serialize)]
pub struct Incomplete {
    pub line: u64,
    pub id: String,
    /// In words: "no last_name or company", "no postal_code".
    pub missing: Vec<String>,
}

/// The people file and its history, looked at.
#[derive(Debug, Clone, Serialize)]
pub struct Inspected {
    pub people: Inspection,
    pub history: Option<Inspection>,
}

/// A field (or one of several) a campaign cannot do without.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Required {
    /// Any one of these will do.
    pub fields: Vec<&'static str>,
    /// "a name: last_name or company".
    pub words: &'static str,
}

/// What a campaign needs: a name (a person's last name or a company) and
/// a postal address (street, postcode, town). The country is optional: a
/// row without one is in the sender's country.
pub const REQUIRED: [(&[&str], &str); 4] = [
    (&["last_name", "company"], "a name: last_name or company"),
    (&["street"], "the street: street"),
    (&["postal_code"], "the postcode: postal_code"),
    (&["city"], "the town: city"),
];

/// The required fields the mapped `fields` do not cover, in words.
pub fn missing_required<S: AsRef<str>>(fields: &[S]) -> Vec<Required> {
    let has = |f: &str| fields.iter().any(|m| m.as_ref() == f);
    REQUIRED
        .iter()
        .filter(|(any, _)| !any.iter().any(|f| has(f)))
        .map(|(any, words)| Required {
            fields: any.to_vec(),
            words,
        })
        .collect()
}

/// A people file alone, with the automatic mapping.
pub fn inspect(path: &Path, sheet: Option<&str>) -> Result<Inspection> {
    let options = InspectOptions {
        people: path.to_path_buf(),
        sheet: sheet.map(str::to_string),
        ..InspectOptions::default()
    };
    Ok(inspect_files(&options)?.people)
}

/// The people file with the mapping so far, and its history: both read
/// with the same checks a render makes.
pub fn inspect_files(options: &InspectOptions) -> Result<Inspected> {
    let date_order = match options.date_format.as_deref() {
        None => None,
        Some(s) => Some(
            DateOrder::parse(s)
                .ok_or_else(|| Error::config(format!("date format \"{s}\" is not dmy or mdy")))?,
        ),
    };
    let loaded = load(&LoadOptions {
        people: options.people.clone(),
        history: options.history.clone(),
        sheet: options.sheet.clone(),
        columns: options.columns.clone(),
        date_order,
        pivot_year: chrono::Local::now().year(),
    })?;
    let table = read::read_table(&options.people, options.sheet.as_deref())?;
    let automatic = columns::map_people(&table.headers, &IndexMap::new(), &table.format)
        .map(|m| m.describe(&table.headers))
        .unwrap_or_default();
    let mut people = inspection(&table, &loaded.people, &loaded.problems)?;
    people.automatic = automatic.into_iter().collect();
    people.sheets = read::sheet_names(&options.people)?;
    people.missing = missing_required(&people.mapping.keys().collect::<Vec<_>>());
    people.incomplete = incomplete(&loaded.persons);
    let history = match (&options.history, &loaded.history) {
        (Some(path), Some(report)) => {
            let table = read::read_table(path, None)?;
            Some(inspection(&table, report, &loaded.problems)?)
        }
        _ => None,
    };
    Ok(Inspected { people, history })
}

/// One file's inspection from its table (for the sample) and its report.
fn inspection(
    table: &read::Table,
    report: &SourceReport,
    problems: &[Problem],
) -> Result<Inspection> {
    let mut problems: Vec<Problem> = problems
        .iter()
        .filter(|p| p.at.as_ref().is_some_and(|at| at.file == report.file))
        .cloned()
        .collect();
    problems.sort_by_key(|p| p.severity != Severity::Error);
    let sample = table
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .map(|row| SampleRow {
            line: row.line,
            cells: row.cells().iter().map(|c| c.to_string()).collect(),
        })
        .collect();
    Ok(Inspection {
        file: report.file.clone(),
        source: report.source,
        description: report.description.clone(),
        format: report.format.clone(),
        sheets: Vec::new(),
        headers: table.headers.clone(),
        mapping: report.mapped.iter().cloned().collect(),
        automatic: IndexMap::new(),
        sample,
        rows: report.rows,
        problems,
        incomplete: Vec::new(),
        missing: Vec::new(),
        join: report.join.clone(),
    })
}

/// The people without a name or a complete address.
fn incomplete(persons: &super::Persons) -> Vec<Incomplete> {
    let mut out = Vec::new();
    for i in 0..persons.len() {
        let person = persons.without_history(i);
        let present: Vec<&str> = REQUIRED
            .iter()
            .flat_map(|(any, _)| any.iter().copied())
            .filter(|f| !person.get(f).trim().is_empty())
            .collect();
        let missing = missing_required(&present);
        if !missing.is_empty() {
            out.push(Incomplete {
                line: person.line,
                id: person.id.clone(),
                missing: missing
                    .iter()
                    .map(|r| format!("no {}", r.fields.join(" or ")))
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_and_an_address_are_required() {
        let words = |m: Vec<Required>| m.iter().map(|r| r.words).collect::<Vec<_>>();
        assert!(missing_required(&["company", "street", "postal_code", "city"]).is_empty());
        assert_eq!(
            words(missing_required(&["first_name", "street", "city"])),
            ["a name: last_name or company", "the postcode: postal_code"]
        );
    }
}
