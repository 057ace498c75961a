//! One file per command. Each takes the validated configuration, asks the
//! plan (`plan::prepare`), streams what it needs through the engine into
//! its own sink, prints its report and returns the exit code.

pub mod check;
pub mod dry_run;
pub mod due;
pub mod export;
pub mod grid;
pub mod merge;
pub mod preview;
pub mod proof;
pub mod render;
pub mod studio;

use crate::config::{Config, Mode};
use crate::engine::Engine;
use crate::error::{Problem, Result};
use crate::plan::Plan;
use crate::report::Report;
use crate::select::Reason;
use crate::template::{Kind, Window};
use crate::typeset::Checks;

/// `warmly render` and its modes.
pub fn render(config: &Config) -> Result<u8> {
    config.check_json()?;
    match &config.mode {
        Mode::DryRun => dry_run::run(config),
        Mode::ExportInputs(dir) => export::run(config, dir),
        Mode::TestGrid => grid::run(config),
        _ => render::run(config),
    }
}

/// What the preflight holds this run's documents to.
pub fn checks(
    config: &Config,
    plan: &Plan,
    engine_format: &str,
    render_ppi: Option<f32>,
) -> Checks {
    let manifest = &plan.template.manifest;
    Checks {
        // The calibration offset moves the print on the page so that the
        // printer puts it where it belongs: the window moves with it.
        window: manifest.window(engine_format).map(|w| Window {
            x: w.x + config.print.offset_x,
            y: w.y + config.print.offset_y,
            ..w
        }),
        pages: if manifest.kind == Kind::Sheet {
            None
        } else {
            manifest.pages
        },
        overflow_is_error: config.print.overflow_is_error,
        window_is_error: config.print.window_is_error,
        render_ppi,
        keep_pages: config.mode == Mode::Render
            && config.combined.is_some()
            && manifest.kind != Kind::Sheet,
    }
}

/// The engine of a run: composer and typesetter with the run's checks.
pub fn engine<'a>(config: &'a Config, plan: &Plan, render_ppi: Option<f32>) -> Result<Engine<'a>> {
    let format = plan
        .template
        .manifest
        .resolve_format(config.print.format.as_deref(), &plan.template.name)?;
    Engine::new(config, plan, checks(config, plan, &format, render_ppi))
}

/// The report's start: who is in, who is left out and why, run-wide notes.
pub fn report(config: &Config, plan: &Plan) -> Report {
    let mut problems: Vec<Problem> = plan.warnings().cloned().collect();
    problems.extend(config.notes.iter().map(|note| Problem::warning(None, note)));
    if let (Some(changed), Some(approval)) = (plan.changed_since_approval(config), &plan.approval) {
        if !changed.is_empty() {
            problems.push(Problem::warning(
                None,
                format!(
                    "changed since the approval of {}{}: {} — look at the pieces again and approve in `warmly studio`",
                    approval.approved_at,
                    if approval.by.is_empty() { String::new() } else { format!(" by {}", approval.by) },
                    changed.join(", ")
                ),
            ));
        }
    }
    if config.sender.is_empty() {
        problems.push(Problem::warning(
            None,
            "no sender given: letterhead and signature stay empty (set [sender] in a campaign)",
        ));
    }
    Report {
        out_dir: config.out_dir.clone(),
        people_file: config.people.clone(),
        recipients: plan.pieces.len(),
        left_out: left_out(plan, 8),
        households: households(plan, 8),
        problems,
        ..Report::default()
    }
}

/// Households that share a piece: how many, how many people in them, and
/// the first `shown` as "K-1 + K-2".
pub fn households(plan: &Plan, shown: usize) -> (usize, usize, Vec<String>) {
    let (mut households, mut people) = (0, 0);
    let mut first = Vec::new();
    for piece in plan.households() {
        households += 1;
        people += 1 + piece.members.len();
        if first.len() < shown {
            first.push(
                plan.recipient_ids(piece, &plan.person(piece).id)
                    .join(" + "),
            );
        }
    }
    (households, people, first)
}

/// Left out per reason kind: (kind, count, the first `shown` ids — with the
/// date of the last piece for the capped).
pub fn left_out(plan: &Plan, shown: usize) -> Vec<(&'static str, usize, Vec<String>)> {
    plan.reason_counts()
        .into_iter()
        .map(|(kind, n)| (kind, n, left_out_of(plan, kind, shown)))
        .collect()
}

/// The first `shown` left out for one kind of reason: the id, with the date
/// of the last piece for the capped, what came back for the returned and
/// the reason given for the excluded.
pub fn left_out_of(plan: &Plan, kind: &str, shown: usize) -> Vec<String> {
    plan.left_out
        .iter()
        .filter(|l| l.reason.kind() == kind)
        .take(shown)
        .map(|l| {
            let id = plan.persons.get(l.person as usize).id;
            match &l.reason {
                Reason::Capped { last, .. } => format!("{id} (last piece {last})"),
                Reason::Returned { held, .. } => format!("{id} {}", held.describe()),
                Reason::Excluded { reason, .. } => format!("{id} (excluded — {reason})"),
                _ => id,
            }
        })
        .collect()
}
