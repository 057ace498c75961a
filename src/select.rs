//! Stage 2, select: which persons receive a piece in this run, and why
//! every other person is left out.
//!
//! A person is left out when they opted out, when the campaign's
//! `[select] where` expression is false for them, when the campaign has an
//! occasion and it is not due for them, when the ledger says the piece was
//! already produced, or when the frequency cap says they got one too
//! recently, or when a person excluded them by hand (the studio). Errors
//! in the expression are configuration errors: they stop
//! the run before anything is written. Only the expression is compiled
//! here, never a message template.

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::jinja::{self, describe, Scope, Words};
use crate::ledger::Ledger;
use crate::load::returns::{HeldBack, Returns};
use crate::model::Person;
use crate::occasion::{self, Occasion};
use crate::state::Exclusions;

/// What a person is due for: the occasion and its ledger key.
#[derive(Debug, Clone, Serialize)]
pub struct Due {
    /// None for campaigns without an occasion (everyone selected, once).
    pub occasion: Option<Box<Occasion>>,
    /// The ledger key: the occasion's key (`birthday-2027`), else the campaign name.
    pub key: Box<str>,
}

impl Due {
    pub fn occasion(&self) -> Option<&Occasion> {
        self.occasion.as_deref()
    }
}

/// Why a person gets no piece in this run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The opt-out column says no mail.
    OptedOut,
    /// Due, but a piece came back (`[data] returns`): deceased or refused
    /// for good, moved or unknown until the address changes.
    Returned {
        #[serde(flatten)]
        due: Box<Due>,
        #[serde(flatten)]
        held: HeldBack,
    },
    /// Due, but a person took them out of this campaign by hand (the
    /// studio, `state/<campaign>/excluded.csv`), with their reason.
    Excluded {
        #[serde(flatten)]
        due: Box<Due>,
        #[serde(rename = "excluded_because")]
        reason: String,
    },
    /// The campaign's `[select] where` is false.
    NotMatching,
    /// The occasion is not due in the run's window.
    NotDue,
    /// Due, but the ledger holds the piece (a re-run; `--force` redoes it).
    AlreadyDone(Box<Due>),
    /// Due, but a card or letter went out too recently (policy.min_days_between).
    Capped {
        #[serde(flatten)]
        due: Box<Due>,
        /// The date of that last piece.
        last: NaiveDate,
    },
}

impl Reason {
    /// All kinds, in the order reports list them.
    pub const KINDS: [&'static str; 7] = [
        "opted_out",
        "excluded",
        "returned",
        "not_matching",
        "not_due",
        "already_done",
        "capped",
    ];

    /// The serialised name (`opted_out`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::OptedOut => "opted_out",
            Reason::Returned { .. } => "returned",
            Reason::Excluded { .. } => "excluded",
            Reason::NotMatching => "not_matching",
            Reason::NotDue => "not_due",
            Reason::AlreadyDone(_) => "already_done",
            Reason::Capped { .. } => "capped",
        }
    }

    /// What the kind means, for people.
    pub fn describe(kind: &str) -> &'static str {
        match kind {
            "opted_out" => "opted out",
            "returned" => "returned mail",
            "excluded" => "excluded",
            "not_matching" => "not matching the selection",
            "not_due" => "not due",
            "already_done" => "already in the ledger",
            "capped" => "held back by min_days_between",
            _ => "left out",
        }
    }

    /// The occasion a person was due for, when the reason has one.
    pub fn due(&self) -> Option<&Due> {
        match self {
            Reason::AlreadyDone(due)
            | Reason::Capped { due, .. }
            | Reason::Returned { due, .. }
            | Reason::Excluded { due, .. } => Some(due),
            _ => None,
        }
    }
}

/// One person's outcome.
#[derive(Debug, Clone)]
pub enum Verdict {
    Due(Due),
    Left(Reason),
}

/// True for the ways people mark "no mail" in a column.
pub fn is_opt_out(value: &str) -> bool {
    matches!(
        value.trim().to_lowercase().as_str(),
        "yes" | "ja" | "1" | "x" | "true" | "y" | "j" | "wahr" | "oui"
    )
}

/// A verdict for every person, in input order, handed to `each` with the
/// person (built once for both). `ledger` is None when the ledger does not
/// count (no state folder, or a preview). `closing_style` is the
/// template's, for the `closing` the expression may read.
pub fn select(
    persons: impl Iterator<Item = Person>,
    config: &Config,
    closing_style: &str,
    ledger: Option<&Ledger>,
    returns: Option<&Returns>,
    exclusions: &Exclusions,
    mut each: impl FnMut(Person, Verdict),
) -> Result<()> {
    let env = jinja::environment(config.date);
    let expr = match &config.select_where {
        Some(source) => Some(env.compile_expression(source).map_err(|e| {
            Error::config(format!("[select] where: {}", describe(&e)))
                .with_hint("write a minijinja expression, e.g. history.within_days(30, \"order\") | length > 0")
        })?),
        None => None,
    };
    let scope = Scope::new(config);
    for person in persons {
        if is_opt_out(person.get("opt_out")) {
            each(person, Verdict::Left(Reason::OptedOut));
            continue;
        }
        if let Some(expr) = &expr {
            let lang = person.get("language").to_lowercase();
            let words = Words::new(&person, &lang, closing_style, None);
            let ctx = scope.context(&person, &words, Default::default());
            let value = expr.eval(ctx).map_err(|e| {
                Error::config(format!(
                    "[select] where failed for {} (line {}): {}",
                    person.id,
                    person.line,
                    describe(&e)
                ))
            })?;
            if !value.is_true() {
                each(person, Verdict::Left(Reason::NotMatching));
                continue;
            }
        }
        let verdict = match verdict(&person, config, ledger) {
            Verdict::Due(due) => match (
                exclusions.get(&person.id),
                returns.and_then(|r| r.holds_back(&person)),
            ) {
                (Some(excluded), _) => Verdict::Left(Reason::Excluded {
                    due: Box::new(due),
                    reason: excluded.reason.clone(),
                }),
                (None, Some(held)) => Verdict::Left(Reason::Returned {
                    due: Box::new(due),
                    held,
                }),
                (None, None) => Verdict::Due(due),
            },
            other => other,
        };
        each(person, verdict);
    }
    Ok(())
}

/// Occasion, ledger and frequency cap for a person who wants mail and matches.
fn verdict(person: &Person, config: &Config, ledger: Option<&Ledger>) -> Verdict {
    let occasion = match &config.occasion {
        Some(rule) => {
            let to = config.date + chrono::Duration::days(config.within);
            match occasion::due(rule, person, config.date, to) {
                Some(o) => Some(o),
                None => return Verdict::Left(Reason::NotDue),
            }
        }
        None => None,
    };
    let key = occasion
        .as_ref()
        .map(|o| o.key.clone())
        .unwrap_or_else(|| config.name.clone());
    let due = Due {
        occasion: occasion.map(Box::new),
        key: key.into(),
    };
    if !config.force && ledger.is_some_and(|l| l.contains(&config.name, &due.key, &person.id)) {
        return Verdict::Left(Reason::AlreadyDone(Box::new(due)));
    }
    if let Some(last) = recent_piece(person, config, &due.key) {
        return Verdict::Left(Reason::Capped {
            due: Box::new(due),
            last,
        });
    }
    Verdict::Due(due)
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
