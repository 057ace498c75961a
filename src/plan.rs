//! The plan: the one answer to "who gets which piece, and why is everyone
//! else left out". Every command starts here — render, its dry run,
//! check, due, proof, preview — so they cannot disagree.
//!
//! ```text
//! Config ──prepare──> Plan { pieces (person, occasion, file), left_out (person, reason) }
//! ```
//!
//! Preparing loads the template and the data, reads the ledger (under the
//! campaign's lock for a real render) and selects; nothing is composed or
//! typeset here, so the plan stays small.

use serde::Serialize;

use crate::config::{Config, Mode, PrintOrder};
use crate::error::{Error, Problem, Result, Severity};
use crate::ledger::{Ledger, Lock};
use crate::load::{self, SourceReport};
use crate::model::Person;
use crate::select::{self, Due, Reason, Verdict};
use crate::template::{Kind, Template};
use crate::write::{self, Namer};

/// Where the ids of the people came from, for the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdSource {
    File,
    Derived,
}

impl IdSource {
    pub fn as_str(self) -> &'static str {
        match self {
            IdSource::File => "file",
            IdSource::Derived => "derived",
        }
    }
}

/// A recipient of this run and the piece they get.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Index into [`Plan::persons`].
    pub person: usize,
    pub due: Due,
    /// The output file, unique in the run (a sheet's one file for all).
    pub file: String,
}

/// A person who gets nothing, and why.
#[derive(Debug, Clone)]
pub struct LeftOut {
    pub person: usize,
    pub reason: Reason,
}

/// Everything a command needs to know before composing anything.
pub struct Plan {
    pub template: Template,
    /// Everyone in the people file, with their history (and the ledger's pieces).
    pub persons: Vec<Person>,
    pub people: SourceReport,
    pub history: Option<SourceReport>,
    /// What the loader found; errors only in `warmly check` (others stop).
    pub problems: Vec<Problem>,
    pub id_source: IdSource,
    /// The recipients, in input order.
    pub pieces: Vec<Planned>,
    pub left_out: Vec<LeftOut>,
    /// The ledger of the state folder (none without one).
    pub ledger: Option<Ledger>,
    /// Held for a render, so one campaign runs once at a time; released on drop.
    pub lock: Option<Lock>,
}

/// Turns a validated configuration into the plan of this run.
pub fn prepare(config: &Config) -> Result<Plan> {
    let template = Template::load(&config.template, config.messages_dir.as_deref())?;
    let loaded = load::load(&config.load_options())?;
    // Data errors stop every command but check, which reports them.
    if config.mode != Mode::Check && loaded.has_errors() {
        return Err(Error::Problems(
            loaded
                .problems
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .collect(),
        ));
    }
    let id_source = if loaded.people.derived_ids {
        IdSource::Derived
    } else {
        IdSource::File
    };
    let mut persons = loaded.persons;

    // The lock comes before the ledger is read: two runs must not both
    // decide that a piece is still missing.
    let lock = match (&config.state_dir, config.mode.writes_state()) {
        (Some(dir), true) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            Some(Lock::acquire(dir, &config.name)?)
        }
        _ => None,
    };
    let ledger = match &config.state_dir {
        Some(dir) => Some(Ledger::open(dir)?),
        None => None,
    };
    // The ledger's pieces are history: texts can mention the last card,
    // and the frequency cap sees it — for every command alike.
    if let Some(ledger) = &ledger {
        ledger.add_to_history(&mut persons);
    }

    let closing_style = template.closing_style();
    // A preview shows a piece even if the ledger says it was produced.
    let counted = match config.mode {
        Mode::Preview { .. } => None,
        _ => ledger.as_ref(),
    };
    let verdicts = select::select(&persons, config, closing_style, counted)?;

    check_pattern(config, &persons)?;
    let sheet_file = (template.manifest.kind == Kind::Sheet)
        .then(|| format!("{}.pdf", write::sanitize_component(&template.name)));
    let mut namer = Namer::new(&config.pattern);
    let mut pieces = Vec::new();
    let mut left_out = Vec::new();
    for (index, verdict) in verdicts.into_iter().enumerate() {
        match verdict {
            Verdict::Due(due) => pieces.push(Planned {
                person: index,
                file: match &sheet_file {
                    Some(file) => file.clone(),
                    None => namer.name(&persons[index]),
                },
                due,
            }),
            Verdict::Left(reason) => left_out.push(LeftOut {
                person: index,
                reason,
            }),
        }
    }
    Ok(Plan {
        template,
        persons,
        people: loaded.people,
        history: loaded.history,
        problems: loaded.problems,
        id_source,
        pieces,
        left_out,
        ledger,
        lock,
    })
}

/// The file-name pattern may only use fields the people file has.
fn check_pattern(config: &Config, persons: &[Person]) -> Result<()> {
    let Some(first) = persons.first() else {
        return Ok(());
    };
    let known: Vec<String> = first
        .fields
        .keys()
        .cloned()
        .chain(["name".to_string()])
        .collect();
    let unknown = Namer::unknown_placeholders(&config.pattern, &known);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::config(format!(
        "the file-name pattern \"{}\" uses unknown field(s): {}",
        config.pattern,
        unknown.join(", ")
    ))
    .with_hint(format!("known fields: {}", known.join(", "))))
}

impl Plan {
    /// The template lays everyone out in one document (a label sheet).
    pub fn is_sheet(&self) -> bool {
        self.template.manifest.kind == Kind::Sheet
    }

    pub fn person(&self, piece: &Planned) -> &Person {
        &self.persons[piece.person]
    }

    /// How many were left out for each reason, in the order of [`Reason::KINDS`]
    /// (kinds with none are left out).
    pub fn reason_counts(&self) -> Vec<(&'static str, usize)> {
        Reason::KINDS
            .iter()
            .map(|&kind| {
                let n = self
                    .left_out
                    .iter()
                    .filter(|l| l.reason.kind() == kind)
                    .count();
                (kind, n)
            })
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Ids of those left out for one kind of reason, in input order.
    pub fn left_out_ids(&self, kind: &str) -> Vec<String> {
        self.left_out
            .iter()
            .filter(|l| l.reason.kind() == kind)
            .map(|l| self.persons[l.person].id.clone())
            .collect()
    }

    /// Warnings from loading, for the report.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    /// The plan as JSON rows per person: recipients and the left out,
    /// with reasons (`check --json`, `render --dry-run --json`).
    pub fn people_json(&self) -> Vec<PersonRow<'_>> {
        let mut rows: Vec<PersonRow> = self
            .pieces
            .iter()
            .map(|p| PersonRow {
                id: &self.persons[p.person].id,
                line: self.persons[p.person].line,
                status: "due",
                reason: None,
                occasion: p.due.occasion.as_ref().map(|o| o.key.as_str()),
                key: Some(&p.due.key),
                file: Some(&p.file),
            })
            .collect();
        rows.extend(self.left_out.iter().map(|l| PersonRow {
            id: &self.persons[l.person].id,
            line: self.persons[l.person].line,
            status: "left_out",
            reason: Some(&l.reason),
            occasion: None,
            key: None,
            file: None,
        }));
        rows.sort_by_key(|r| r.line);
        rows
    }
}

/// One person in the plan's JSON.
#[derive(Debug, Serialize)]
pub struct PersonRow<'a> {
    pub id: &'a str,
    pub line: u64,
    /// `due` or `left_out`.
    pub status: &'static str,
    /// Why a person is left out (`reason`: `opted_out`, `not_due`, …, with
    /// the occasion and the last piece's date where they apply).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occasion: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
}

impl Plan {
    /// Indices into [`Plan::pieces`] in the order of the print file: by
    /// postcode (domestic mail first, then abroad by country), by name, or
    /// as in the input.
    pub fn print_order(&self, order: PrintOrder, home: &str) -> Vec<usize> {
        let keys: Vec<PrintKey> = self
            .pieces
            .iter()
            .map(|p| PrintKey::of(self.person(p)))
            .collect();
        let mut rows: Vec<usize> = (0..keys.len()).collect();
        match order {
            PrintOrder::PostalCode => {
                rows.sort_by(|&a, &b| keys[a].postal(home).cmp(&keys[b].postal(home)))
            }
            PrintOrder::Name => rows.sort_by(|&a, &b| keys[a].name.cmp(&keys[b].name)),
            PrintOrder::Input => {}
        }
        rows
    }
}

/// What the print file is sorted by.
struct PrintKey<'p> {
    country: &'p str,
    postal_code: &'p str,
    /// Last name (or company), then first name, lower case.
    name: String,
}

impl<'p> PrintKey<'p> {
    fn of(person: &'p Person) -> PrintKey<'p> {
        let last = if person.get("last_name").is_empty() {
            person.get("company")
        } else {
            person.get("last_name")
        };
        PrintKey {
            country: person.get("country"),
            postal_code: person.get("postal_code"),
            name: format!("{} {}", last, person.get("first_name")).to_lowercase(),
        }
    }

    /// Domestic mail first, by postcode; then abroad by country and postcode.
    fn postal(&self, home: &str) -> (bool, &str, &str, &str) {
        let abroad = !self.country.is_empty() && self.country != home;
        (
            abroad,
            if abroad { self.country } else { "" },
            self.postal_code,
            self.name.as_str(),
        )
    }
}
