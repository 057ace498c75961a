//! Stage 2, select: which persons receive a piece in this run, and why.
//!
//! A person is left out when they opted out, when the campaign's
//! `[select] where` expression is false for them, when the campaign has an
//! occasion and it is not due for them, when the ledger says the piece was
//! already produced, or when the frequency cap says they got one too
//! recently. Errors in the expression are configuration errors: they stop
//! the run before anything is written.

use chrono::NaiveDate;

use crate::compose::{describe, Composer};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::Person;
use crate::occasion::{self, Occasion};

/// A person and the occasion they are due for.
#[derive(Debug, Clone)]
pub struct Due<'p> {
    pub person: &'p Person,
    /// None for campaigns without an occasion (everyone selected, once).
    pub occasion: Option<Occasion>,
    /// The ledger key: the occasion's key (`birthday-2027`), else the campaign name.
    pub key: String,
}

/// The outcome of selection, for the run and its report.
#[derive(Debug, Default)]
pub struct Selection<'p> {
    pub recipients: Vec<Due<'p>>,
    /// Ids of persons who do not want mail.
    pub opted_out: Vec<String>,
    /// How many did not match the `where` expression.
    pub not_matching: usize,
    /// How many have no occasion due in the window.
    pub not_due: usize,
    /// Due, but the ledger holds the piece (skipped unless --force).
    pub already_done: Vec<Due<'p>>,
    /// Due, but they got a card or letter too recently (date of that piece).
    pub capped: Vec<(Due<'p>, NaiveDate)>,
}

/// True for the ways people mark "no mail" in a column.
pub fn is_opt_out(value: &str) -> bool {
    matches!(
        value.trim().to_lowercase().as_str(),
        "yes" | "ja" | "1" | "x" | "true" | "y" | "j" | "wahr" | "oui"
    )
}

pub fn select<'p>(
    persons: &'p [Person],
    config: &Config,
    composer: &Composer,
    ledger: Option<&Ledger>,
) -> Result<Selection<'p>> {
    let expr = match &config.select_where {
        Some(source) => Some(composer.env().compile_expression(source).map_err(|e| {
            Error::config(format!("[select] where: {}", describe(&e)))
                .with_hint("write a minijinja expression, e.g. history.within_days(30, \"order\") | length > 0")
        })?),
        None => None,
    };
    let mut selection = Selection::default();
    for person in persons {
        if is_opt_out(person.get("opt_out")) {
            selection.opted_out.push(person.id.clone());
            continue;
        }
        if let Some(expr) = &expr {
            let lang = person.get("language").to_lowercase();
            let ctx = composer.context(person, &lang);
            let value = expr.eval(ctx).map_err(|e| {
                Error::config(format!(
                    "[select] where failed for {} (line {}): {}",
                    person.id,
                    person.line,
                    describe(&e)
                ))
            })?;
            if !value.is_true() {
                selection.not_matching += 1;
                continue;
            }
        }
        let occasion = match &config.occasion {
            Some(rule) => {
                let to = config.date + chrono::Duration::days(config.within);
                match occasion::due(rule, person, config.date, to) {
                    Some(o) => Some(o),
                    None => {
                        selection.not_due += 1;
                        continue;
                    }
                }
            }
            None => None,
        };
        let key = occasion
            .as_ref()
            .map(|o| o.key.clone())
            .unwrap_or_else(|| config.name.clone());
        let due = Due {
            person,
            occasion,
            key,
        };
        if ledger.is_some_and(|l| l.contains(&config.name, &due.key, &person.id)) && !config.force {
            selection.already_done.push(due);
            continue;
        }
        if let Some(last) = recent_piece(person, config, &due.key) {
            selection.capped.push((due, last));
            continue;
        }
        selection.recipients.push(due);
    }
    Ok(selection)
}

/// The frequency cap: the date of a card or letter to this person within
/// `min_days_between` days before the run date (the ledger's entries are
/// history too). A piece of this very campaign and occasion does not count,
/// so `--force` can regenerate it.
fn recent_piece(person: &Person, config: &Config, key: &str) -> Option<NaiveDate> {
    let days = config.policy.min_days_between?;
    person
        .events
        .iter()
        .rev()
        .filter(|e| e.kind == "card" || e.kind == "letter")
        .filter(|e| {
            !(e.summary == config.name && e.extra.get("occasion").is_some_and(|o| o == key))
        })
        .find(|e| e.date <= config.date && (config.date - e.date).num_days() < days)
        .map(|e| e.date)
}
