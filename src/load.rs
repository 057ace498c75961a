//! Stage 1, load: the people table and the history table, joined by id.
//!
//! Everything here either succeeds completely or returns an [`Error`] naming
//! file, line and column, before any output exists. Input files are only
//! ever read.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::error::{Error, Location, Result};
use crate::model::{Event, Person, PERSON_FIELDS};

/// A table read from a CSV file: normalised headers and text rows.
#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    /// Each row with the 1-based line where it starts.
    pub rows: Vec<(u64, Vec<String>)>,
    /// What was detected, for the report (`utf-8`, `utf-8 with BOM`; `,` or `;`).
    pub encoding: &'static str,
    pub delimiter: u8,
}

/// What loading found besides the persons: notes for the report.
#[derive(Debug, Default)]
pub struct LoadNotes {
    pub warnings: Vec<String>,
    /// True when ids were derived from the content because the file has none.
    pub derived_ids: bool,
}

/// Reads the people file and, when given, the history file.
pub fn load(people: &Path, history: Option<&Path>) -> Result<(Vec<Person>, LoadNotes)> {
    let mut notes = LoadNotes::default();
    let table = read_table(people)?;
    let mut persons = people_from_table(people, &table, &mut notes)?;
    if let Some(history) = history {
        let table = read_table(history)?;
        attach_history(history, &table, &mut persons, &mut notes)?;
    }
    Ok((persons, notes))
}

/// Reads a CSV file: UTF-8 with or without BOM, delimiter detected from the
/// header line. Every row must have as many fields as the header.
pub fn read_table(path: &Path) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (text, encoding) = decode(path, &bytes)?;
    let delimiter = detect_delimiter(text);
    check_quotes(path, text, delimiter)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(normalize_header)
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err(
            Error::input(Location::at(path, 1, None), "the file has no header row")
                .with_hint("the first line must name the columns, e.g. id,first_name,last_name,…"),
        );
    }
    let mut seen = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(h.clone(), i) {
            return Err(Error::input(
                Location::at(path, 1, Some(i as u64 + 1)),
                format!(
                    "column \"{h}\" appears twice (columns {} and {})",
                    first + 1,
                    i + 1
                ),
            )
            .with_hint("rename or remove one of the two columns"));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank line at the end of an Excel export
        }
        rows.push((line, record.iter().map(|f| f.trim().to_string()).collect()));
    }
    Ok(Table {
        headers,
        rows,
        encoding,
        delimiter,
    })
}

fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<(&'a str, &'static str)> {
    let (body, encoding) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, "utf-8 with BOM"),
        None => (bytes, "utf-8"),
    };
    match std::str::from_utf8(body) {
        Ok(text) => Ok((text, encoding)),
        Err(e) => {
            let offset = e.valid_up_to();
            let before = &body[..offset];
            let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            let column = before.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
            Err(Error::input(
                Location::at(path, line, Some(column)),
                format!("the file is not valid UTF-8 (byte 0x{:02X})", body[offset]),
            )
            .with_hint("save the file as \"CSV UTF-8\" (Excel: Save As → CSV UTF-8)"))
        }
    }
}

/// Finds a quoted field that is never closed. The CSV parser would read it to
/// the end of the file as one field; we want the line where it opened.
fn check_quotes(path: &Path, text: &str, delimiter: u8) -> Result<()> {
    let delimiter = char::from(delimiter);
    let (mut line, mut col) = (1u64, 0u64);
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut opened = (0, 0);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        col += 1;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    col += 1;
                } else {
                    in_quotes = false;
                }
            } else if c == '\n' {
                line += 1;
                col = 0;
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                opened = (line, col);
            }
            '\n' => {
                line += 1;
                col = 0;
                at_field_start = true;
                continue;
            }
            c if c == delimiter => {
                at_field_start = true;
                continue;
            }
            '\r' => continue,
            _ => {}
        }
        at_field_start = false;
    }
    if in_quotes {
        return Err(Error::input(
            Location::at(path, opened.0, Some(opened.1)),
            "a quoted field starts here and is never closed",
        )
        .with_hint("add the closing \" (a \" inside a field is written as \"\")"));
    }
    Ok(())
}

/// Picks `,`, `;` or tab: whichever occurs most often in the header line
/// outside quotes. German Excel writes `;`.
fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for c in header.bytes() {
        if c == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            for (d, n) in counts.iter_mut() {
                if *d == c {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map(|(d, _)| *d)
        .unwrap_or(b',')
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::input(
            Location {
                file: path.to_path_buf(),
                line,
                column: None,
            },
            format!("this row has {len} fields, the header has {expected_len}"),
        )
        .with_hint(
            "check for a missing or extra delimiter, or a field with a delimiter that needs quotes",
        ),
        csv::ErrorKind::Utf8 { err, .. } => Error::input(
            Location {
                file: path.to_path_buf(),
                line,
                column: Some(err.field() as u64 + 1),
            },
            "the field is not valid UTF-8",
        ),
        csv::ErrorKind::Io(io) => Error::io(path, std::io::Error::new(io.kind(), io.to_string())),
        _ => Error::input(
            Location {
                file: path.to_path_buf(),
                line,
                column: None,
            },
            e.to_string(),
        ),
    }
}

/// `First Name` → `first_name`: lower case, spaces and dashes to `_`.
pub fn normalize_header(h: &str) -> String {
    let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
    let mut out = String::with_capacity(h.len());
    for c in h.chars() {
        if c.is_whitespace() || c == '-' {
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn people_from_table(path: &Path, table: &Table, notes: &mut LoadNotes) -> Result<Vec<Person>> {
    let id_col = table.headers.iter().position(|h| h == "id");
    if id_col.is_none() {
        notes.derived_ids = true;
        notes.warnings.push(format!(
            "{}: no id column; ids are derived from name and address (stable when the file is re-sorted)",
            path.display()
        ));
    }
    let mut persons: Vec<Person> = Vec::with_capacity(table.rows.len());
    let mut by_id: HashMap<String, u64> = HashMap::new();
    for (line, row) in &table.rows {
        let mut fields: IndexMap<String, String> = PERSON_FIELDS
            .iter()
            .map(|f| (f.to_string(), String::new()))
            .collect();
        for (h, v) in table.headers.iter().zip(row) {
            if !h.is_empty() {
                fields.insert(h.clone(), v.clone());
            }
        }
        for date_col in ["birthday", "customer_since"] {
            let value = &fields[date_col];
            if !value.is_empty() {
                let col = table
                    .headers
                    .iter()
                    .position(|h| h == date_col)
                    .map(|c| c as u64 + 1);
                let date = parse_date(value).ok_or_else(|| {
                    Error::input(
                        Location::at(path, *line, col),
                        format!("invalid date \"{value}\" in column \"{date_col}\""),
                    )
                    .with_hint("write dates as YYYY-MM-DD or DD.MM.YYYY")
                })?;
                fields.insert(date_col.to_string(), date.to_string());
            }
        }
        let id = match id_col {
            Some(_) => fields["id"].clone(),
            None => derive_id(&fields),
        };
        if id.is_empty() {
            return Err(Error::input(
                Location::at(path, *line, id_col.map(|c| c as u64 + 1)),
                "the id is empty",
            )
            .with_hint("give every row an id, or remove the id column to have ids derived"));
        }
        if let Some(first) = by_id.insert(id.clone(), *line) {
            return Err(Error::input(
                Location::at(path, *line, id_col.map(|c| c as u64 + 1)),
                format!("id \"{id}\" is used twice (first on line {first})"),
            )
            .with_hint("ids must be unique; fix or remove one of the rows"));
        }
        fields.insert("id".into(), id.clone());
        persons.push(Person {
            id,
            line: *line,
            fields,
            events: Vec::new(),
        });
    }
    Ok(persons)
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

/// Columns that name the person in a history file, in order of preference.
const HISTORY_ID_COLUMNS: &[&str] = &["person_id", "customer_id", "id"];

fn attach_history(
    path: &Path,
    table: &Table,
    persons: &mut [Person],
    notes: &mut LoadNotes,
) -> Result<()> {
    let col = |name: &str| table.headers.iter().position(|h| h == name);
    let id_col = HISTORY_ID_COLUMNS
        .iter()
        .find_map(|c| col(c))
        .ok_or_else(|| {
            Error::input(
                Location::at(path, 1, None),
                "the history has no person_id column",
            )
            .with_hint("name the column that holds the customer's id person_id, customer_id or id")
        })?;
    let date_col = col("date").ok_or_else(|| {
        Error::input(
            Location::at(path, 1, None),
            "the history has no date column",
        )
        .with_hint("add a column named date (YYYY-MM-DD)")
    })?;
    let kind_col = col("kind").or_else(|| col("type"));
    let summary_col = col("summary").or_else(|| col("description"));
    let index: HashMap<String, usize> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let mut unknown = Vec::new();
    for (line, row) in &table.rows {
        let raw_date = &row[date_col];
        let date = parse_date(raw_date).ok_or_else(|| {
            Error::input(
                Location::at(path, *line, Some(date_col as u64 + 1)),
                if raw_date.is_empty() {
                    "the date is empty".to_string()
                } else {
                    format!("invalid date \"{raw_date}\" in column \"date\"")
                },
            )
            .with_hint("write dates as YYYY-MM-DD or DD.MM.YYYY")
        })?;
        let person_id = &row[id_col];
        let Some(&i) = index.get(person_id) else {
            unknown.push(format!("{person_id} (line {line})"));
            continue;
        };
        let mut extra = IndexMap::new();
        for (c, h) in table.headers.iter().enumerate() {
            if c != id_col
                && c != date_col
                && Some(c) != kind_col
                && Some(c) != summary_col
                && !h.is_empty()
            {
                extra.insert(h.clone(), row[c].clone());
            }
        }
        persons[i].events.push(Event {
            date,
            kind: kind_col.map(|c| row[c].to_lowercase()).unwrap_or_default(),
            summary: summary_col.map(|c| row[c].clone()).unwrap_or_default(),
            line: *line,
            extra,
        });
    }
    for p in persons.iter_mut() {
        p.events.sort_by_key(|e| (e.date, e.line));
    }
    if !unknown.is_empty() {
        let shown: Vec<_> = unknown.iter().take(5).cloned().collect();
        notes.warnings.push(format!(
            "{}: {} event(s) name a person that is not in the list and were ignored: {}{}",
            path.display(),
            unknown.len(),
            shown.join(", "),
            if unknown.len() > 5 { ", …" } else { "" }
        ));
    }
    Ok(())
}

/// Parses `YYYY-MM-DD` and `DD.MM.YYYY` (also `D.M.YYYY`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
        .filter(|_| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_normalised() {
        assert_eq!(normalize_header(" First Name "), "first_name");
        assert_eq!(normalize_header("customer-since"), "customer_since");
    }

    #[test]
    fn delimiter_is_detected_outside_quotes() {
        assert_eq!(detect_delimiter("id;name;\"a,b\"\n"), b';');
        assert_eq!(detect_delimiter("id,name,\"a;b\"\n"), b',');
        assert_eq!(detect_delimiter("id\tname\n"), b'\t');
    }

    #[test]
    fn dates_in_iso_and_german_form() {
        assert_eq!(
            parse_date("2026-12-24"),
            NaiveDate::from_ymd_opt(2026, 12, 24)
        );
        assert_eq!(
            parse_date("24.12.2026"),
            NaiveDate::from_ymd_opt(2026, 12, 24)
        );
        assert_eq!(parse_date("2025-02-30"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn unclosed_quote_names_where_it_opened() {
        let err = check_quotes(Path::new("x.csv"), "id,name\n1,\"Anna\n2,Bob\n", b',').unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv:2:3: a quoted field starts here and is never closed"
        );
        assert!(check_quotes(Path::new("x.csv"), "id,name\n1,\"An \"\"na\"\"\"\n", b',').is_ok());
    }
}
