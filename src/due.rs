//! `warmly due`: who is due for what and why, across campaigns — the same
//! selection a render makes (opt-out, `where`, occasion, ledger, frequency
//! cap), without writing anything.

use serde::Serialize;

use crate::args::{DueArgs, RenderArgs};
use crate::compose::Composer;
use crate::config::Config;
use crate::error::Result;
use crate::ledger::{Ledger, LEDGER_FILE};
use crate::load;
use crate::occasion::Occasion;
use crate::select::{select, Due};
use crate::template::Template;

/// One line of the answer.
#[derive(Debug, Serialize)]
pub struct DueRow {
    pub campaign: String,
    pub id: String,
    pub name: String,
    /// `due`, `done` (the ledger holds it) or `capped` (piece too recent).
    pub status: String,
    pub occasion: Option<Occasion>,
    /// The ledger key.
    pub key: String,
    /// The triggering fact in words.
    pub why: String,
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
        let config = Config::from_render_args(&render_args)?;
        rows.extend(campaign_rows(&config)?);
    }
    Ok(rows)
}

fn campaign_rows(config: &Config) -> Result<Vec<DueRow>> {
    let template = Template::load(&config.template, config.messages_dir.as_deref())?;
    let (mut persons, _) = load::load(&config.load_options())?.into_checked()?;
    let ledger = match &config.state_dir {
        Some(dir) if dir.join(LEDGER_FILE).exists() => Some(Ledger::open(dir)?),
        _ => None,
    };
    if let Some(ledger) = &ledger {
        ledger.add_to_history(&mut persons);
    }
    let composer = Composer::new(config, &template)?;
    let selection = select(&persons, config, &composer, ledger.as_ref())?;
    let row = |due: &Due, status: &str, why_extra: Option<String>| DueRow {
        campaign: config.name.clone(),
        id: due.person.id.clone(),
        name: due.person.display_name(),
        status: status.to_string(),
        occasion: due.occasion.clone(),
        key: due.key.clone(),
        why: why_extra.unwrap_or_else(|| why(due.occasion.as_ref(), &config.name)),
    };
    let mut rows: Vec<DueRow> = selection
        .recipients
        .iter()
        .map(|d| row(d, "due", None))
        .collect();
    rows.extend(selection.already_done.iter().map(|d| row(d, "done", None)));
    rows.extend(selection.capped.iter().map(|(d, last)| {
        row(
            d,
            "capped",
            Some(format!(
                "{}; last piece {last}",
                why(d.occasion.as_ref(), &config.name)
            )),
        )
    }));
    rows.sort_by(|a, b| {
        let date = |r: &DueRow| r.occasion.as_ref().map(|o| o.date);
        (date(a), &a.id).cmp(&(date(b), &b.id))
    });
    Ok(rows)
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
    match o.kind.as_str() {
        "birthday" => match o.years {
            Some(y) => format!("birthday, turns {y}"),
            None => "birthday".to_string(),
        },
        "anniversary" => format!("{} year(s) as a customer", o.years.unwrap_or(0)),
        "after_event" => event.unwrap_or_default(),
        "silence" => match event {
            Some(e) => format!("no contact since {e}"),
            None => "no contact on record".to_string(),
        },
        _ => o.key.clone(),
    }
}

/// The table for people.
pub fn print(rows: &[DueRow]) {
    if rows.is_empty() {
        println!("nobody is due");
        return;
    }
    println!(
        "{:<16} {:<10} {:<28} {:<7} {:<10} {:<20} WHY",
        "CAMPAIGN", "ID", "NAME", "STATUS", "DATE", "OCCASION"
    );
    for r in rows {
        let date = r
            .occasion
            .as_ref()
            .map(|o| o.date.to_string())
            .unwrap_or_default();
        let name: String = r.name.chars().take(28).collect();
        println!(
            "{:<16} {:<10} {:<28} {:<7} {:<10} {:<20} {}",
            r.campaign, r.id, name, r.status, date, r.key, r.why
        );
    }
}
