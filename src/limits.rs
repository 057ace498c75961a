//! The limits on what one input may hold, and the words for crossing them.
//!
//! A spreadsheet can hold anything: a pasted log in a name cell, a whole
//! file in one field. Typesetting two million letters as a name takes
//! Typst 20 s and 1.5 GB; a nightly run on a cluster must instead fail
//! that one recipient at once, naming the field, the row and the limit
//! (docs/guide/data.md, "Limits"). The limits are far above what a card can show, so a
//! real customer never meets them.

use crate::model::Person;

/// Characters a name or address field may have (and the other canonical
/// person fields: id, dates, language, …). The longest real company
/// names and street lines are well under 200.
pub const SHORT_FIELD: usize = 500;

/// Characters a free-text field may have: the people file's own columns
/// (notes, tags) and the history's (summary, product, …).
pub const TEXT_FIELD: usize = 10_000;

/// Bytes a people or history file may have. Loading keeps the table in
/// memory (about its size again, ARCHITECTURE.md), so a larger file is
/// refused before it is read rather than filling the machine; 1 GiB is
/// several million customers.
pub const TABLE_BYTES: u64 = 1 << 30;

/// Cells a workbook sheet may span (rows with content × columns of its
/// used range). `.xlsx`, `.xlsb` and `.ods` sheets are read cell by cell,
/// keeping only cells with content, so the empty rows between a table and
/// a stray cell at XFD1048576 cost nothing; but every row with content is
/// then made as wide as the widest, and an `.ods` can repeat one cell
/// over the whole sheet in a few bytes. Ten million cells is 200 000 rows
/// of 50 columns. (`.xls` is refused: src/load/read.rs `refuse_xls`.)
pub const SHEET_CELLS: u64 = 10_000_000;

/// Columns a table may have. Excel and LibreOffice stop at 16 384; a
/// customer list has a few dozen. Without a limit, a 98-byte `.xlsb` whose
/// one cell claims column 8 million became a header of 8 million names
/// (400 MB, 5 s; fuzz/README run 12), and a CSV of commas one 8-byte
/// field bound per comma before warmly saw the header.
pub const COLUMNS: u64 = 100_000;

/// The limit of a person field.
/// The canonical person columns (but `tags`) and `salutation_line` are
/// names and addresses, held to [`SHORT_FIELD`]; every other field is free
/// text.
pub fn field_limit(field: &str) -> usize {
    let short = (crate::model::PERSON_FIELDS.contains(&field) && field != "tags")
        || field == "salutation_line";
    if short {
        SHORT_FIELD
    } else {
        TEXT_FIELD
    }
}

/// Why `person` (and their history) cannot be composed: the first field
/// over its limit (the caller names the person's row; an event's is
/// named here, in `history_file`). Counting stops at the limit, so a 2 MB cell costs no more
/// than a short one.
pub fn check_person(person: &Person, history_file: Option<&std::path::Path>) -> Result<(), String> {
    for (field, value) in &person.fields {
        let limit = field_limit(field);
        if longer_than(value, limit) {
            // Every report of a failed recipient already names its row.
            return Err(too_long(field, value, limit, "the people file"));
        }
    }
    for event in &person.events {
        let fields = [("kind", event.kind.as_str()), ("summary", &event.summary)];
        let extra = event.extra.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        for (field, value) in fields.into_iter().chain(extra) {
            let limit = if field == "kind" {
                SHORT_FIELD
            } else {
                TEXT_FIELD
            };
            if longer_than(value, limit) {
                let file = history_file.map_or("the history".into(), |f| f.display().to_string());
                let field = format!("{field} ({file} line {})", event.line);
                return Err(too_long(&field, value, limit, "the history"));
            }
        }
    }
    Ok(())
}

fn longer_than(value: &str, limit: usize) -> bool {
    // Bytes bound characters from above: most values end the check here.
    value.len() > limit && value.chars().nth(limit).is_some()
}

fn too_long(field: &str, value: &str, limit: usize, file: &str) -> String {
    let kind = if limit == SHORT_FIELD {
        "a name or address field"
    } else {
        "a text field"
    };
    format!(
        "{field} has {} characters, more than the {limit} {kind} may have — \
         shorten or empty that cell in {file} (docs/guide/data.md: \"Limits\")",
        value.chars().count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_names_field_row_and_limit() {
        let name = "x".repeat(501);
        let mut person = Person::with_fields([("last_name", name.as_str()), ("note", "ok")]);
        person.line = 7;
        let err = check_person(&person, None).unwrap_err();
        assert!(
            err.starts_with("last_name has 501 characters, more than the 500"),
            "{err}"
        );
        // 500 characters of four bytes each are within the limit.
        let name = "𝔸".repeat(500);
        let person = Person::with_fields([("last_name", name.as_str())]);
        assert!(check_person(&person, None).is_ok());
        // A free-text column may be longer.
        let note = "y".repeat(9_000);
        let person = Person::with_fields([("note", note.as_str())]);
        assert!(check_person(&person, None).is_ok());
    }
}
