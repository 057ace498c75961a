//! `warmly check`: everything a render does before typesetting — load,
//! select, compose every recipient — and a report of what was understood
//! and every problem, so nothing surprises anyone at the printer.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compose::Composer;
use crate::config::Config;
use crate::error::{Location, Problem, Result, Severity};
use crate::load::{self, SourceReport};
use crate::select::select;
use crate::template::Template;

/// What `warmly check` found.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub people: SourceReport,
    pub history: Option<SourceReport>,
    pub template: String,
    /// Languages there is a message for.
    pub languages: Vec<String>,
    pub persons: usize,
    pub recipients: usize,
    pub opted_out: Vec<String>,
    pub not_matching: usize,
    /// No occasion due in the window.
    pub not_due: usize,
    /// Due, but already in the ledger.
    pub already_done: usize,
    /// Due, but held back by the frequency cap.
    pub capped: usize,
    /// Message fields that are empty for some recipients: field → ids.
    pub empty_fields: BTreeMap<String, Vec<String>>,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    pub fn exit_code(&self) -> u8 {
        if self.errors() > 0 {
            crate::error::EXIT_BAD_INPUT
        } else {
            crate::error::EXIT_OK
        }
    }
}

pub fn check(config: &Config) -> Result<CheckReport> {
    let template = Template::load(&config.template, config.messages_dir.as_deref())?;
    let loaded = load::load(&config.load_options())?;
    let mut problems = loaded.problems;
    let composer = Composer::new(config, &template)?;
    let ledger = match &config.state_dir {
        Some(dir) if dir.join(crate::ledger::LEDGER_FILE).exists() => {
            Some(crate::ledger::Ledger::open(dir)?)
        }
        _ => None,
    };
    let selection = select(&loaded.persons, config, &composer, ledger.as_ref())?;
    let used = composer.person_fields_used();
    let mut empty_fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (index, due) in selection.recipients.iter().enumerate() {
        let person = due.person;
        if let Err(e) = composer.compose(index, person, due.occasion.as_ref()) {
            problems.push(Problem::error(
                Location::at(&config.people, person.line, None),
                format!("{}: {}", person.id, e.0),
                Some("fix the message template or the data; render would skip this recipient"),
            ));
        }
        for field in &used {
            if person
                .fields
                .get(field)
                .is_some_and(|v| v.trim().is_empty())
            {
                empty_fields
                    .entry(format!("person.{field}"))
                    .or_default()
                    .push(person.id.clone());
            }
        }
    }
    if config.sender.is_empty() {
        problems.push(Problem::warning(
            None,
            "no sender given: letterhead and signature stay empty",
        ));
    }
    Ok(CheckReport {
        people: loaded.people,
        history: loaded.history,
        template: template.name.clone(),
        languages: template.messages.keys().cloned().collect(),
        persons: loaded.persons.len(),
        recipients: selection.recipients.len(),
        opted_out: selection.opted_out,
        not_matching: selection.not_matching,
        not_due: selection.not_due,
        already_done: selection.already_done.len(),
        capped: selection.capped.len(),
        empty_fields,
        problems,
    })
}

/// The report for people, on stdout.
pub fn print(report: &CheckReport) {
    let source = |label: &str, s: &SourceReport| {
        let mut how = vec![s.format.kind.clone()];
        how.extend(s.format.encoding.clone());
        how.extend(
            s.format
                .delimiter
                .as_ref()
                .map(|d| format!("delimiter \"{d}\"")),
        );
        how.extend(s.format.sheet.as_ref().map(|n| format!("sheet \"{n}\"")));
        println!(
            "{label}: {} — {}, {} rows",
            s.file.display(),
            how.join(", "),
            s.rows
        );
        println!("  columns: {}", s.header_set.describe());
        for (field, header) in &s.mapped {
            println!("    {field:<16} ← {header}");
        }
        if !s.other_columns.is_empty() {
            println!(
                "  other columns (usable as person.<name>): {}",
                s.other_columns.join(", ")
            );
        }
        if s.derived_ids {
            println!("  ids: derived from name and address (no id column)");
        }
        println!("  dates: {}", s.date_order_reason);
    };
    source("people", &report.people);
    if let Some(history) = &report.history {
        source("history", history);
    }
    println!(
        "template: {} (messages in {})",
        report.template,
        report.languages.join(", ")
    );
    let mut left_out = vec![format!("{} opted out", report.opted_out.len())];
    if !report.opted_out.is_empty() {
        left_out[0].push_str(&format!(": {}", report.opted_out.join(", ")));
    }
    for (n, what) in [
        (report.not_matching, "not matching the selection"),
        (report.not_due, "not due"),
        (report.already_done, "already in the ledger"),
        (report.capped, "held back by min_days_between"),
    ] {
        if n > 0 {
            left_out.push(format!("{n} {what}"));
        }
    }
    println!(
        "recipients: {} of {} ({})",
        report.recipients,
        report.persons,
        left_out.join("; ")
    );
    for (field, ids) in &report.empty_fields {
        println!(
            "note: the messages use {field}, which is empty for {} recipient(s): {}{}",
            ids.len(),
            ids.iter().take(8).cloned().collect::<Vec<_>>().join(", "),
            if ids.len() > 8 { ", …" } else { "" }
        );
    }
    for p in report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
    {
        println!("warning: {p}");
    }
    for p in report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
    {
        println!("error: {p}");
        if let Some(hint) = &p.hint {
            println!("  hint: {hint}");
        }
    }
    match report.errors() {
        0 => println!("ok: no errors — ready to render"),
        n => println!("{n} error(s): render would stop before writing anything"),
    }
}
