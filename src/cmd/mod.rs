//! One file per command. Each takes the validated settings, asks the plan
//! (`plan::prepare`), streams what it needs through the engine into its
//! own sink, prints its report and returns the exit code.

pub mod check;
pub mod dry_run;
pub mod due;
pub mod export;
pub mod grid;
pub mod insights;
pub mod merge;
pub mod new;
pub mod preview;
pub mod proof;
pub mod render;
pub mod studio;
pub mod win_back;

use crate::engine::Engine;
use crate::error::{Problem, Result};
use crate::mode::Mode;
use crate::plan::Plan;
use crate::report::Report;
use crate::select::{Reason, ReasonKind};
use crate::settings::{Settings, Strictness};
use crate::template::{Kind, Window};
use crate::typeset::Checks;

/// `warmly render` and its modes.
pub fn render(settings: &Settings, mode: &Mode) -> Result<u8> {
    match mode {
        Mode::DryRun => dry_run::run(settings),
        Mode::ExportInputs(dir) => export::run(settings, dir),
        Mode::TestGrid => grid::run(settings),
        _ => render::run(settings),
    }
}

/// What the preflight holds this run's documents to; `keep_pages` for
/// the print file (a render's) or the studio's reading-size pages.
pub fn checks(
    settings: &Settings,
    plan: &Plan,
    engine_format: &str,
    render_ppi: Option<f32>,
    keep_pages: bool,
) -> Checks {
    let manifest = &plan.template.manifest;
    let (dx, dy) = settings.typeset.offset;
    Checks {
        // The calibration offset moves the print on the page so that the
        // printer puts it where it belongs: the window moves with it.
        window: manifest.window(engine_format).map(|w| Window {
            x: w.x + dx,
            y: w.y + dy,
            ..w
        }),
        pages: if manifest.kind == Kind::Sheet {
            None
        } else {
            manifest.pages
        },
        overflow_is_error: settings.typeset.overflow == Strictness::Error,
        window_is_error: settings.typeset.window == Strictness::Error,
        render_ppi,
        render_page: None,
        keep_pages,
    }
}

/// The engine of a command that only looks at pieces (proof, preview):
/// composer and typesetter with the run's checks, pages rendered at
/// `render_ppi` when given.
pub fn engine<'a>(
    settings: &'a Settings,
    plan: &Plan,
    render_ppi: Option<f32>,
) -> Result<Engine<'a>> {
    let format = plan.template.manifest.resolve_format(
        settings.compose.print.format.as_deref(),
        &plan.template.name,
    )?;
    Engine::new(
        settings,
        plan,
        checks(settings, plan, &format, render_ppi, false),
    )
}

/// Run-wide warnings found while reading the campaign, as problems.
pub fn notes(settings: &Settings) -> impl Iterator<Item = Problem> + '_ {
    let notes = &settings.run.notes;
    notes.iter().map(|note| Problem::warning(None, note))
}

/// The report's start: who is in, who is left out and why, run-wide notes.
pub fn report(settings: &Settings, plan: &Plan) -> Report {
    let mut problems: Vec<Problem> = plan.warnings().cloned().collect();
    problems.extend(notes(settings));
    if let (Some(changed), Some(approval)) = (plan.changed_since_approval(), &plan.approval) {
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
    if settings.compose.sender.is_empty() {
        problems.push(Problem::warning(
            None,
            "no sender given: letterhead and signature stay empty (set [sender] in a campaign)",
        ));
    }
    Report {
        out_dir: settings.output.out_dir.clone(),
        people_file: settings.load.people.clone(),
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
pub fn left_out(plan: &Plan, shown: usize) -> Vec<(ReasonKind, usize, Vec<String>)> {
    plan.reason_counts()
        .into_iter()
        .map(|(kind, n)| (kind, n, left_out_of(plan, kind, shown)))
        .collect()
}

/// The first `shown` left out for one kind of reason: the id, with the date
/// of the last piece for the capped, what came back for the returned and
/// the reason given for the excluded.
pub fn left_out_of(plan: &Plan, kind: ReasonKind, shown: usize) -> Vec<String> {
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
                Reason::OrderedSince { since, .. } => {
                    format!("{id} ({} on {})", since.kind, since.date)
                }
                _ => id,
            }
        })
        .collect()
}
