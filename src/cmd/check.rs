//! `warmly check`: everything a render does before typesetting — the
//! plan, then composing every recipient — and a report of what was understood
//! and every problem, so nothing surprises anyone at the printer.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compose::Composer;
use crate::error::{Location, Problem, Result, Severity};
use crate::load::SourceReport;
use crate::mode::Mode;
use crate::outln;
use crate::plan;
use crate::select::ReasonKind;
use crate::settings::Settings;

/// What `warmly check` found.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub people: SourceReport,
    pub history: Option<SourceReport>,
    pub template: String,
    /// Languages there is a message for.
    pub languages: Vec<String>,
    /// With `--shard`: "2/8", and `persons` and everything below count only
    /// the people of that shard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub persons: usize,
    pub recipients: usize,
    pub opted_out: Vec<String>,
    /// Households sharing a piece, "K-1 + K-2" each.
    pub households: Vec<String>,
    /// Due, but held back by returned mail: "K-1005 moved (returned 2026-10-02)".
    pub returned: Vec<String>,
    /// Excluded by hand (the studio): "K-1003 (excluded — moved away)".
    pub excluded: Vec<String>,
    pub not_matching: usize,
    /// No occasion due in the window.
    pub not_due: usize,
    /// Due, but already in the ledger.
    pub already_done: usize,
    /// Due, but held back by the frequency cap.
    pub capped: usize,
    /// Due for a win-back, but ordered (or in touch) after the run date:
    /// "K-1004 (order on 2026-12-05)".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ordered_since: Vec<String>,
    /// Due, but kept back as the control group (`[select] control`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub control: Vec<String>,
    /// Everyone with an order by segment, for a campaign about segments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<BTreeMap<crate::insights::Segment, usize>>,
    /// Message fields that are empty for some recipients: field → ids.
    pub empty_fields: BTreeMap<String, Vec<String>>,
    pub problems: Vec<Problem>,
    /// Every person: `due` with occasion and file, or `left_out` with the reason.
    pub plan: serde_json::Value,
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

pub fn check(settings: &Settings) -> Result<CheckReport> {
    let plan = plan::prepare(settings, &Mode::Check)?;
    let (problems, empty_fields) = review(settings, &plan)?;
    let count = |kind: ReasonKind| {
        plan.left_out
            .iter()
            .filter(|l| l.reason.kind() == kind)
            .count()
    };
    let people_plan = serde_json::to_value(plan.people_json()).expect("the plan is plain data");
    Ok(CheckReport {
        template: plan.template.name.clone(),
        languages: plan.template.messages.keys().cloned().collect(),
        shard: settings.run.shard.map(|s| s.to_string()),
        persons: match settings.run.shard {
            None => plan.persons.len(),
            Some(_) => {
                plan.pieces
                    .iter()
                    .map(|p| 1 + p.members.len())
                    .sum::<usize>()
                    + plan.left_out.len()
            }
        },
        recipients: plan.pieces.len(),
        opted_out: plan.left_out_ids(ReasonKind::OptedOut),
        households: super::households(&plan, usize::MAX).2,
        returned: super::left_out_of(&plan, ReasonKind::Returned, usize::MAX),
        excluded: super::left_out_of(&plan, ReasonKind::Excluded, usize::MAX),
        not_matching: count(ReasonKind::NotMatching),
        not_due: count(ReasonKind::NotDue),
        already_done: count(ReasonKind::AlreadyDone),
        capped: count(ReasonKind::Capped),
        ordered_since: super::left_out_of(&plan, ReasonKind::OrderedSince, usize::MAX),
        control: plan.left_out_ids(ReasonKind::Control),
        segments: plan.shows_insights.then(|| segment_counts(&plan)),
        empty_fields,
        problems,
        people: plan.people,
        history: plan.history,
        plan: people_plan,
    })
}

/// Message fields that are empty for some recipients: `person.field` → ids.
pub type EmptyFields = BTreeMap<String, Vec<String>>;

/// What check finds in a plan: the loader's problems, every recipient
/// composed as a render would (`compose_everyone`), the sender, run-wide
/// notes; and the person fields the messages use that are empty for some.
pub fn review(settings: &Settings, plan: &plan::Plan) -> Result<(Vec<Problem>, EmptyFields)> {
    let mut problems = plan.problems.clone();
    let composer = Composer::new(&settings.compose, &plan.template)?
        .with_edits(plan.edits.clone())
        .with_scale(plan.scale.clone());
    let (found, empty_fields) = compose_everyone(settings, plan, &composer);
    problems.extend(found);
    if settings.compose.sender.is_empty() {
        problems.push(Problem::warning(
            None,
            "no sender given: letterhead and signature stay empty",
        ));
    }
    problems.extend(super::notes(settings));
    Ok((problems, empty_fields))
}

/// How many of the people file are in each segment (those without an
/// order in none).
fn segment_counts(plan: &plan::Plan) -> BTreeMap<crate::insights::Segment, usize> {
    let mut counts = BTreeMap::new();
    for person in plan.persons.iter() {
        if let Some(summary) = plan.summary(&person) {
            *counts.entry(summary.segment).or_default() += 1;
        }
    }
    counts
}

/// Composes every recipient as a render would: the ones that fail, the
/// messages whose first word after the salutation is wrongly cased, and
/// the person fields the messages use that are empty for some.
fn compose_everyone(
    settings: &Settings,
    plan: &plan::Plan,
    composer: &Composer,
) -> (Vec<Problem>, EmptyFields) {
    let mut problems = Vec::new();
    let used = composer.person_fields_used();
    let mut empty_fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Message file → (what is wrong with its first word, recipients).
    let mut openings: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for planned in &plan.pieces {
        let person = plan.person(planned);
        match composer.compose_for(&person, &plan.household(planned), planned.due.occasion()) {
            Err(e) => problems.push(Problem::error(
                Location::at(&settings.load.people, person.line, None),
                format!("{}: {}", person.id, e.0),
                Some("fix the message template or the data; render would skip this recipient"),
            )),
            Ok(piece) => {
                if let Some(why) = crate::lang::opening_case_problem(&piece.lang, &piece.message) {
                    let name = composer.message_name(&piece.lang).unwrap_or("message");
                    let entry = openings
                        .entry(name.to_string())
                        .or_insert((why, Vec::new()));
                    entry.1.push(person.id.clone());
                }
            }
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
    for (name, (why, ids)) in openings {
        problems.push(Problem::warning(
            None,
            format!(
                "{name}: the message {why} — for {} recipient(s): {}",
                ids.len(),
                crate::report::some_ids(&ids)
            ),
        ));
    }
    (problems, empty_fields)
}

/// `warmly check`: the report as text or JSON; exit 2 when render would stop.
pub fn run(settings: &Settings) -> Result<u8> {
    let report = check(settings)?;
    if settings.run.json {
        let json = serde_json::to_string_pretty(&report).expect("the report is plain data");
        outln!("{json}");
    } else {
        print(&report);
    }
    Ok(report.exit_code())
}

/// The report for people, on stdout.
pub fn print(report: &CheckReport) {
    print_source("people", &report.people);
    if let Some(history) = &report.history {
        print_source("history", history);
    }
    outln!(
        "template: {} (messages in {})",
        report.template,
        report.languages.join(", ")
    );
    if let Some(shard) = &report.shard {
        outln!(
            "shard: {shard} — only the people whose id (a household's first member's) hashes to it"
        );
    }
    print_recipients(report);
    for (field, ids) in &report.empty_fields {
        outln!(
            "note: the messages use {field}, which is empty for {} recipient(s): {}",
            ids.len(),
            crate::report::some_ids(ids)
        );
    }
    crate::report::print_problems(
        "warning",
        report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Warning),
        true,
    );
    for p in report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
    {
        outln!("error: {p}");
        if let Some(hint) = &p.hint {
            outln!("  hint: {hint}");
        }
    }
    match report.errors() {
        0 => outln!("ok: no errors — ready to render"),
        n => outln!("{n} error(s): render would stop before writing anything"),
    }
}

/// How one file was read: format, encoding, which column fed which field.
fn print_source(label: &str, s: &SourceReport) {
    let mut how = vec![s.format.kind.clone()];
    how.extend(s.format.encoding.clone());
    how.extend(
        s.format
            .delimiter
            .as_ref()
            .map(|d| format!("delimiter \"{d}\"")),
    );
    how.extend(s.format.sheet.as_ref().map(|n| format!("sheet \"{n}\"")));
    outln!(
        "{label}: {} — {}, {} rows",
        s.file.display(),
        how.join(", "),
        s.rows
    );
    outln!("  recognised: {}", s.source.name());
    if let Some(detail) = &s.format.detail {
        outln!("  file says: {detail}");
    }
    for (field, header) in &s.mapped {
        outln!("    {field:<16} ← {header}");
    }
    if !s.other_columns.is_empty() {
        let usable = match s.join {
            Some(_) => "kept on each event",
            None => "usable as person.<name>",
        };
        outln!("  other columns ({usable}): {}", s.other_columns.join(", "));
    }
    if s.derived_ids {
        outln!("  ids: derived from name and address (no id column)");
    }
    outln!("  dates: {}", s.date_order_reason);
    if let Some(join) = &s.join {
        outln!("  joined by {}: {}", join.key, join.describe());
    }
}

/// Who gets a piece, who is left out and why, and the households.
fn print_recipients(report: &CheckReport) {
    let mut left_out = vec![format!("{} opted out", report.opted_out.len())];
    if !report.opted_out.is_empty() {
        left_out[0].push_str(&format!(": {}", report.opted_out.join(", ")));
    }
    if !report.excluded.is_empty() {
        left_out.push(format!(
            "{} left out by hand: {}",
            report.excluded.len(),
            report.excluded.join(", ")
        ));
    }
    if !report.returned.is_empty() {
        left_out.push(format!(
            "{} held back by returned mail: {}",
            report.returned.len(),
            report.returned.join(", ")
        ));
    }
    for (ids, kind) in [
        (&report.ordered_since, ReasonKind::OrderedSince),
        (&report.control, ReasonKind::Control),
    ] {
        if !ids.is_empty() {
            left_out.push(format!(
                "{} {}: {}",
                ids.len(),
                kind.describe(),
                crate::report::some_ids(ids)
            ));
        }
    }
    for (n, kind) in [
        (report.not_matching, ReasonKind::NotMatching),
        (report.not_due, ReasonKind::NotDue),
        (report.already_done, ReasonKind::AlreadyDone),
        (report.capped, ReasonKind::Capped),
    ] {
        if n > 0 {
            left_out.push(format!("{n} {}", kind.describe()));
        }
    }
    outln!(
        "recipients: {} of {} ({})",
        report.recipients,
        report.persons,
        left_out.join("; ")
    );
    if let Some(segments) = &report.segments {
        let counts: Vec<String> = crate::insights::Segment::ALL
            .iter()
            .filter_map(|s| segments.get(s).map(|n| format!("{} {n}", s.label())))
            .collect();
        outln!(
            "segments: {} (docs/guide/insights.md)",
            if counts.is_empty() {
                "nobody has ordered yet".to_string()
            } else {
                counts.join(", ")
            }
        );
    }
    if !report.households.is_empty() {
        outln!(
            "households: {} piece(s) for {} people at one address each: {}",
            report.households.len(),
            report
                .households
                .iter()
                .map(|h| h.split(" + ").count())
                .sum::<usize>(),
            report.households.join("; ")
        );
    }
}
