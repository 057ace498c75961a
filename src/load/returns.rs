//! Returned mail: `[data] returns = "returns.csv"`, the envelopes that came
//! back — who (an id, or a name and the address), why (moved, unknown,
//! deceased, refused; German and French words too) and when. Such people
//! are left out: for good when they died or refused the mail, and until
//! their address in the people file changes when they moved or are unknown
//! there.
//!
//! Which address came back: the one in the returns row when it has one,
//! else the address of the last piece the ledger sent on or before the
//! return date (the ledger keeps a hash of it). Without either, the person
//! stays left out until the row is removed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use super::columns::normalize;
use super::read::{read_table, Row, Table};
use crate::date::{self, DateOrder};
use crate::error::{Location, Problem, Result};
use crate::identity::{address_hash, address_key};
use crate::model::Person;

/// Why a piece came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReturnReason {
    Moved,
    Unknown,
    Deceased,
    Refused,
}

impl ReturnReason {
    /// The reason as a returns file writes it (English, German, French,
    /// the words on Deutsche Post's and La Poste's stickers).
    pub fn parse(value: &str) -> Option<ReturnReason> {
        let v = value.trim().to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| v.contains(w));
        if has(&[
            "deceased",
            "died",
            "dead",
            "verstorben",
            "gestorben",
            "décédé",
            "decede",
        ]) {
            Some(ReturnReason::Deceased)
        } else if has(&["refus", "verweiger", "zurückgewiesen"]) {
            Some(ReturnReason::Refused)
        } else if has(&[
            "moved",
            "verzogen",
            "umgezogen",
            "déménagé",
            "demenage",
            "new address",
        ]) {
            Some(ReturnReason::Moved)
        } else if has(&[
            "unknown",
            "unbekannt",
            "unzustellbar",
            "undeliverable",
            "inconnu",
            "n'habite pas",
            "nicht ermittelt",
        ]) {
            Some(ReturnReason::Unknown)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReturnReason::Moved => "moved",
            ReturnReason::Unknown => "unknown",
            ReturnReason::Deceased => "deceased",
            ReturnReason::Refused => "refused",
        }
    }

    /// Deceased and refused hold for good; the others until the address changes.
    pub fn is_final(self) -> bool {
        matches!(self, ReturnReason::Deceased | ReturnReason::Refused)
    }
}

/// One returned piece.
#[derive(Debug, Clone)]
struct Returned {
    line: u64,
    reason: ReturnReason,
    date: Option<NaiveDate>,
    /// The address it came back from (see [`local`]).
    address: Option<String>,
}

/// Why a person is held back, for the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldBack {
    pub returned: ReturnReason,
    /// When it came back, if the file says.
    pub date: Option<NaiveDate>,
    /// The line in the returns file.
    pub returns_line: u64,
}

impl HeldBack {
    /// "moved (returned 2026-10-02)".
    pub fn describe(&self) -> String {
        match self.date {
            Some(date) => format!("{} (returned {date})", self.returned.as_str()),
            None => self.returned.as_str().to_string(),
        }
    }
}

/// The returns file, by id and by name and address.
#[derive(Debug, Default)]
pub struct Returns {
    pub file: PathBuf,
    by_id: HashMap<String, Vec<Returned>>,
    by_name: HashMap<(String, String), Vec<Returned>>,
    sender_country: String,
}

const ID: &[&str] = &[
    "id",
    "person_id",
    "customer_id",
    "kundennummer",
    "kundennr",
    "kunden_nr",
    "nr",
];
const REASON: &[&str] = &["reason", "grund", "status", "motif", "vermerk"];
const DATE: &[&str] = &["date", "datum", "returned", "zurück_am", "eingang"];
const NAME: &[&str] = &["name", "recipient", "empfänger", "nom"];
const FIRST: &[&str] = &["first_name", "vorname", "prénom"];
const LAST: &[&str] = &["last_name", "nachname", "surname", "nom_de_famille"];
const COMPANY: &[&str] = &["company", "firma", "société", "organization"];
const STREET: &[&str] = &["street", "straße", "strasse", "address", "adresse", "rue"];
const POSTAL: &[&str] = &["postal_code", "postcode", "zip", "plz", "code_postal"];
const CITY: &[&str] = &["city", "ort", "stadt", "ville"];
const COUNTRY: &[&str] = &["country", "land", "pays"];

/// Where the returns file keeps what (column indices).
#[derive(Clone, Copy)]
struct Columns {
    id: Option<usize>,
    reason: usize,
    date: Option<usize>,
    /// name, first name, last name, company
    who: [Option<usize>; 4],
    /// street, postal code, city, country
    address: [Option<usize>; 4],
}

fn column(headers: &[String], names: &[&str]) -> Option<usize> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    names
        .iter()
        .find_map(|n| normalized.iter().position(|h| h == n))
}

/// Street, postal code and city of an [`address_key`], without the country:
/// a returns file often has no country column, and the same street, code
/// and city in another country is not a case worth a column.
fn local(key: &str) -> String {
    key.rsplit_once('|')
        .map_or(key, |(local, _)| local)
        .to_string()
}

/// A name as a key: lower case, letters and digits only.
fn name_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

impl Returns {
    /// Reads the returns file. Rows it cannot use are problems (file, line,
    /// column and what to do); the rest counts.
    pub fn load(path: &Path, sender_country: &str) -> Result<(Returns, Vec<Problem>)> {
        let table = read_table(path, None)?;
        let mut problems = Vec::new();
        let mut returns = Returns {
            file: path.to_path_buf(),
            sender_country: sender_country.to_string(),
            ..Returns::default()
        };
        let col = |names: &[&str]| column(&table.headers, names);
        let Some(reason) = col(REASON) else {
            problems.push(Problem::error(
                Location::at(path, 1, None),
                format!(
                    "the returns file has no reason column (headers: {})",
                    table.headers.join(", ")
                ),
                Some("add a column \"reason\" (moved, unknown, deceased, refused)"),
            ));
            return Ok((returns, problems));
        };
        let columns = Columns {
            id: col(ID),
            reason,
            date: col(DATE),
            who: [col(NAME), col(FIRST), col(LAST), col(COMPANY)],
            address: [col(STREET), col(POSTAL), col(CITY), col(COUNTRY)],
        };
        if columns.id.is_none()
            && (columns.who.iter().all(Option::is_none) || columns.address[0].is_none())
        {
            problems.push(Problem::error(
                Location::at(path, 1, None),
                format!(
                    "the returns file names nobody: it needs an id column, or a name and a street (headers: {})",
                    table.headers.join(", ")
                ),
                Some("add the customer number as \"id\", or \"name\", \"street\", \"postal_code\", \"city\""),
            ));
            return Ok((returns, problems));
        }
        for row in table.rows.iter() {
            returns.add_row(&table, &row, &columns, &mut problems);
        }
        Ok((returns, problems))
    }

    fn add_row(
        &mut self,
        table: &Table,
        row: &Row,
        columns: &Columns,
        problems: &mut Vec<Problem>,
    ) {
        let Columns {
            id,
            reason: reason_col,
            date: when,
            who: [name, first, last, company],
            address,
        } = *columns;
        let cell = |c: Option<usize>| c.map(|c| row.get(c).trim()).unwrap_or("");
        let at = |c: usize| Location::at(&self.file, row.line, Some(c as u64 + 1));
        if row.cells().iter().all(|c| c.trim().is_empty()) {
            return;
        }
        let Some(reason) = ReturnReason::parse(cell(Some(reason_col))) else {
            problems.push(Problem::error(
                at(reason_col),
                format!(
                    "unknown reason \"{}\" in column \"{}\"",
                    cell(Some(reason_col)),
                    table.headers[reason_col]
                ),
                Some("write moved, unknown, deceased or refused (verzogen, unbekannt, verstorben, verweigert)"),
            ));
            return;
        };
        let date = match (when, cell(when)) {
            (Some(c), raw) if !raw.is_empty() => match date::parse(raw, DateOrder::Dmy, 2000) {
                Some(d) => Some(d),
                None => {
                    let hint = Some("write dates as YYYY-MM-DD or DD.MM.YYYY");
                    let what = format!("invalid date \"{raw}\"");
                    return problems.push(Problem::error(at(c), what, hint));
                }
            },
            _ => None,
        };
        let street = cell(address[0]);
        let address_key = (!street.is_empty()).then(|| {
            let fields = ["street", "postal_code", "city", "country"];
            let person = Person::with_fields(fields.into_iter().zip(address.map(cell)));
            local(&address_key(&person, &self.sender_country))
        });
        let returned = Returned {
            line: row.line,
            reason,
            date,
            address: address_key.clone(),
        };
        let id = cell(id);
        if !id.is_empty() {
            self.by_id.entry(id.to_string()).or_default().push(returned);
            return;
        }
        let who = who_of(cell(name), cell(first), cell(last), cell(company));
        match (name_key(&who), address_key) {
            (who, Some(address)) if !who.is_empty() => self
                .by_name
                .entry((who, address))
                .or_default()
                .push(returned),
            _ => problems.push(Problem::error(
                Location::at(&self.file, row.line, None),
                "this row names nobody: no id, or no name and street",
                Some("give the customer number, or the name and the address as on the envelope"),
            )),
        }
    }

    /// Whether the person is held back by a returned piece: the latest
    /// return for them that still holds.
    pub fn holds_back(&self, person: &Person) -> Option<HeldBack> {
        let address = local(&address_key(person, &self.sender_country));
        let names = [
            person.display_name(),
            format!("{} {}", person.get("first_name"), person.get("last_name")),
            person.get("company").to_string(),
        ];
        let by_name = names
            .iter()
            .map(|n| name_key(n))
            .filter(|n| !n.is_empty())
            .filter_map(|n| self.by_name.get(&(n, address.clone())));
        let mut rows: Vec<&Returned> = self
            .by_id
            .get(&person.id)
            .into_iter()
            .chain(by_name)
            .flatten()
            .collect();
        rows.sort_by_key(|r| (r.date, r.line));
        rows.into_iter()
            .rev()
            .find(|r| r.reason.is_final() || self.same_address(person, r, &address))
            .map(|r| HeldBack {
                returned: r.reason,
                date: r.date,
                returns_line: r.line,
            })
    }

    /// A "moved" or "unknown" return holds while the person's address is the
    /// one that came back — or cannot be told, so nobody is written to twice
    /// at an address the post says is wrong.
    fn same_address(&self, person: &Person, r: &Returned, address: &str) -> bool {
        if let Some(returned) = &r.address {
            return returned == address;
        }
        let sent = person
            .events
            .iter()
            .rev()
            .filter(|e| r.date.is_none_or(|d| e.date <= d))
            .find_map(|e| e.extra.get("address_hash").filter(|h| !h.is_empty()));
        match sent {
            Some(hash) => *hash == address_hash(person, &self.sender_country),
            None => true,
        }
    }
}

/// Who a row names: the name column, else first and last name, else the
/// company.
fn who_of(name: &str, first: &str, last: &str, company: &str) -> String {
    if !name.is_empty() {
        return name.to_string();
    }
    let full = format!("{first} {last}");
    if full.trim().is_empty() {
        company.to_string()
    } else {
        full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_in_three_languages() {
        for (text, reason) in [
            ("moved", ReturnReason::Moved),
            ("Empfänger verzogen", ReturnReason::Moved),
            ("Empfänger unbekannt", ReturnReason::Unknown),
            ("unzustellbar", ReturnReason::Unknown),
            ("n'habite pas à l'adresse indiquée", ReturnReason::Unknown),
            ("verstorben", ReturnReason::Deceased),
            ("Annahme verweigert", ReturnReason::Refused),
            ("refusé", ReturnReason::Refused),
        ] {
            assert_eq!(ReturnReason::parse(text), Some(reason), "{text}");
        }
        assert_eq!(ReturnReason::parse("lost"), None);
    }
}
