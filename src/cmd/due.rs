//! `warmly due`: who is due for what and why, across campaigns — the same
//! plan a render makes (opt-out, `where`, occasion, ledger, frequency
//! cap), without compiling a message or writing anything.

use serde::Serialize;

use crate::args::{DueArgs, RenderArgs};
use crate::error::Result;
use crate::mode::{self, Mode};
use crate::occasion::{Occasion, OccasionKind};
use crate::outln;
use crate::plan;
use crate::select::{Due, Reason, ReasonKind};
use crate::settings::Settings;

/// One line of the answer.
#[derive(Debug, Serialize)]
pub struct DueRow {
    pub campaign: String,
    pub id: String,
    pub name: String,
    /// `due`, `done` (the ledger holds it), `held` (returned mail),
    /// `excluded` (by hand), `capped` (piece too recent), `control` (kept
    /// back for comparison) or `back` (ordered again after the run date).
    pub status: String,
    pub occasion: Option<Occasion>,
    /// The ledger key.
    pub key: String,
    /// The triggering fact in words.
    pub why: String,
    /// Segment, scores and rhythm, for a campaign about them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insight: Option<crate::insights::Summary>,
}

/// Answers for every campaign, in order.
pub fn due(args: &DueArgs) -> Result<Vec<DueRow>> {
    let mut rows = Vec::new();
    for campaign in &args.campaigns {
        let render_args = RenderArgs {
            campaign: Some(campaign.clone()),
            date: args.date.clone(),
            within: args.within.clone(),
            dry_run: true,
            ..RenderArgs::default()
        };
        let settings = mode::settings(&render_args, &Mode::DryRun)?;
        rows.extend(campaign_rows(&settings)?);
    }
    Ok(rows)
}

/// `warmly due`: the table or JSON.
pub fn run(args: &DueArgs) -> Result<u8> {
    let rows = due(args)?;
    if args.json {
        let json = serde_json::to_string_pretty(&rows).expect("the rows are plain data");
        outln!("{json}");
    } else {
        print(&rows);
    }
    Ok(crate::error::EXIT_OK)
}

fn campaign_rows(settings: &Settings) -> Result<Vec<DueRow>> {
    let plan = plan::prepare(settings, &Mode::DryRun)?;
    let name = &settings.run.name;
    let row = |person: u32, due: &Due, status: &str, why_extra: Option<String>| {
        let person = plan.persons.get(person as usize);
        DueRow {
            insight: plan.shown_summary(&person),
            campaign: name.clone(),
            id: person.id.clone(),
            name: person.display_name(),
            status: status.to_string(),
            occasion: due.occasion().cloned(),
            key: due.key.to_string(),
            why: why_extra.unwrap_or_else(|| why(due.occasion(), name)),
        }
    };
    let mut rows: Vec<DueRow> = plan
        .pieces
        .iter()
        .map(|p| row(p.person, &p.due, "due", None))
        .collect();
    for left in &plan.left_out {
        if let Some((due, status, why)) = left_status(&left.reason, name) {
            rows.push(row(left.person, due, status, Some(why)));
        }
    }
    rows.sort_by(|a, b| {
        let date = |r: &DueRow| r.occasion.as_ref().map(|o| o.date);
        (date(a), &a.id).cmp(&(date(b), &b.id))
    });
    Ok(rows)
}

/// A left-out person who was due: the occasion, the status and why in
/// words (none for those never due: opted out, not matching, not due).
fn left_status<'r>(reason: &'r Reason, name: &str) -> Option<(&'r Due, &'static str, String)> {
    let due = reason.due()?;
    let occasion = why(due.occasion(), name);
    let (status, why) = match reason {
        Reason::AlreadyDone(_) => ("done", occasion),
        Reason::Returned { held, .. } => (
            "held",
            format!("{occasion}; held back: {}", held.describe()),
        ),
        Reason::Excluded { reason, .. } => (
            "excluded",
            format!("{occasion}; left out: excluded — {reason}"),
        ),
        Reason::Capped { last, .. } => ("capped", format!("{occasion}; last piece {last}")),
        Reason::Control(_) => (
            "control",
            format!("{occasion}; {}", ReasonKind::Control.describe()),
        ),
        Reason::OrderedSince { since, .. } => (
            "back",
            format!(
                "{occasion}; but {} on {}: {}",
                since.kind, since.date, since.summary
            ),
        ),
        _ => return None,
    };
    Some((due, status, why))
}

/// "turns 60", "10 years since 2016-12-02", "order on 2026-11-04: Esstisch".
fn why(occasion: Option<&Occasion>, campaign: &str) -> String {
    let Some(o) = occasion else {
        return format!("selected by campaign {campaign}");
    };
    let event = o
        .event
        .as_ref()
        .map(|e| format!("{} on {}: {}", e.kind, e.date, e.summary));
    match o.kind {
        OccasionKind::Birthday => match o.years {
            Some(y) => format!("birthday, turns {y}"),
            None => "birthday".to_string(),
        },
        OccasionKind::Anniversary => format!("{} year(s) as a customer", o.years.unwrap_or(0)),
        OccasionKind::AfterEvent => event.unwrap_or_default(),
        OccasionKind::Silence => match event {
            Some(e) => format!("no contact since {e}"),
            None => "no contact on record".to_string(),
        },
        OccasionKind::Fixed => o.key.clone(),
        OccasionKind::Lapsing => lapse(o),
    }
}

/// "ordered 9 times, every 41 days (±6); last order on 2026-07-26, 128
/// days ago, 3.1× the rhythm" — or, with too few orders for a rhythm,
/// "ordered once; last order on 2026-01-10, 203 days ago (lapsing after
/// 180 days)".
fn lapse(o: &Occasion) -> String {
    let times = match o.orders.unwrap_or(0) {
        1 => "ordered once".to_string(),
        n => format!("ordered {n} times"),
    };
    let last = o
        .event
        .as_ref()
        .map(|e| format!("last order on {}", e.date))
        .unwrap_or_else(|| "last order".into());
    let silent = o.days_silent.unwrap_or(0);
    match (o.interval_days.flatten(), o.spread_days.flatten()) {
        (Some(every), Some(spread)) if every > 0 => format!(
            "{times}, every {every} days (±{spread}); {last}, {silent} days ago, {:.1}× the rhythm",
            silent as f64 / every as f64
        ),
        _ => format!(
            "{times}; {last}, {silent} days ago (lapsing after {} days)",
            o.threshold_days.unwrap_or(0)
        ),
    }
}

/// The table for people.
pub fn print(rows: &[DueRow]) {
    if rows.is_empty() {
        outln!("nobody is due");
        return;
    }
    outln!(
        "{:<16} {:<10} {:<28} {:<7} {:<10} {:<20} WHY",
        "CAMPAIGN",
        "ID",
        "NAME",
        "STATUS",
        "DATE",
        "OCCASION"
    );
    for r in rows {
        let date = r
            .occasion
            .as_ref()
            .map(|o| o.date.to_string())
            .unwrap_or_default();
        let name: String = r.name.chars().take(28).collect();
        outln!(
            "{:<16} {:<10} {:<28} {:<7} {:<10} {:<20} {}",
            r.campaign,
            r.id,
            name,
            r.status,
            date,
            r.key,
            r.why
        );
    }
}
