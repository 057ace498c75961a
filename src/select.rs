//! Stage 2, select: which persons receive a piece in this run, and why
//! every other person is left out.
//!
//! A person is left out when they opted out, when the campaign's
//! `[select] where` expression is false for them or their segment is not
//! among `[select] segments`, when the campaign has an occasion and it is
//! not due for them, when the ledger says the piece was already produced,
//! when the frequency cap says they got one too recently, when a win-back
//! (`silence`, `lapsing`) is stale because the history shows an order or
//! contact after the run date, when a person excluded them by hand (the
//! studio), or when the hash draws them into the campaign's control group
//! (`[select] control`). Errors in the expression are configuration
//! errors: they stop the run before anything is written. Only the
//! expression is compiled here, never a message template.

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::insights::rhythm::is_order;
use crate::jinja::{self, describe, Scope, Words};
use crate::ledger::Ledger;
use crate::load::returns::{HeldBack, Returns};
use crate::model::Person;
use crate::occasion::{self, EventRef, Occasion};
use crate::settings::SelectSettings;
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
    /// Due for a win-back (`silence`, `lapsing`), but the history shows
    /// an order (for `silence`: any contact) after the run date — the
    /// piece would arrive after they came back.
    OrderedSince {
        #[serde(flatten)]
        due: Box<Due>,
        /// The first such order or contact.
        since: EventRef,
    },
    /// Due, and drawn into the control group (`[select] control`): no
    /// piece, a `control` line in the ledger, for comparison later.
    Control(Box<Due>),
}

/// The kinds of reasons, in the order reports list them (serialised by
/// these names in `--json`, the studio and the manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    OptedOut,
    Excluded,
    Returned,
    NotMatching,
    NotDue,
    AlreadyDone,
    Capped,
    OrderedSince,
    Control,
}

impl ReasonKind {
    /// All kinds, in the order reports list them.
    pub const ALL: [ReasonKind; 9] = [
        ReasonKind::OptedOut,
        ReasonKind::Excluded,
        ReasonKind::Returned,
        ReasonKind::NotMatching,
        ReasonKind::NotDue,
        ReasonKind::AlreadyDone,
        ReasonKind::Capped,
        ReasonKind::OrderedSince,
        ReasonKind::Control,
    ];

    /// The serialised name (`opted_out`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::OptedOut => "opted_out",
            ReasonKind::Excluded => "excluded",
            ReasonKind::Returned => "returned",
            ReasonKind::NotMatching => "not_matching",
            ReasonKind::NotDue => "not_due",
            ReasonKind::AlreadyDone => "already_done",
            ReasonKind::Capped => "capped",
            ReasonKind::OrderedSince => "ordered_since",
            ReasonKind::Control => "control",
        }
    }

    /// What the kind means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ReasonKind::OptedOut => "opted out",
            ReasonKind::Returned => "returned mail",
            ReasonKind::Excluded => "excluded",
            ReasonKind::NotMatching => "not matching the selection",
            ReasonKind::NotDue => "not due",
            ReasonKind::AlreadyDone => "already in the ledger",
            ReasonKind::Capped => "held back by min_days_between",
            ReasonKind::OrderedSince => "ordered or in touch after the run date",
            ReasonKind::Control => "control group (no piece, for comparison)",
        }
    }
}

impl Reason {
    pub fn kind(&self) -> ReasonKind {
        match self {
            Reason::OptedOut => ReasonKind::OptedOut,
            Reason::Returned { .. } => ReasonKind::Returned,
            Reason::Excluded { .. } => ReasonKind::Excluded,
            Reason::NotMatching => ReasonKind::NotMatching,
            Reason::NotDue => ReasonKind::NotDue,
            Reason::AlreadyDone(_) => ReasonKind::AlreadyDone,
            Reason::Capped { .. } => ReasonKind::Capped,
            Reason::OrderedSince { .. } => ReasonKind::OrderedSince,
            Reason::Control(_) => ReasonKind::Control,
        }
    }

    /// The occasion a person was due for, when the reason has one.
    pub fn due(&self) -> Option<&Due> {
        match self {
            Reason::AlreadyDone(due)
            | Reason::Control(due)
            | Reason::Capped { due, .. }
            | Reason::OrderedSince { due, .. }
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

/// What select decides with, besides the person: the settings, what the
/// `where` expression sees, the ledger (None when it does not count: no
/// state folder, or a preview), returned mail and exclusions by hand.
pub struct Selector<'a> {
    pub settings: &'a SelectSettings,
    pub scope: &'a Scope,
    /// The template's, for the `closing` the expression may read.
    pub closing_style: &'a str,
    pub ledger: Option<&'a Ledger>,
    pub returns: Option<&'a Returns>,
    pub exclusions: &'a Exclusions,
}

impl Selector<'_> {
    /// A verdict for every person, in input order, handed to `each` with
    /// the person (built once for both).
    pub fn select(
        &self,
        persons: impl Iterator<Item = Person>,
        mut each: impl FnMut(Person, Verdict),
    ) -> Result<()> {
        let env = jinja::environment(self.settings.date);
        let expr = match &self.settings.where_ {
            Some(source) => Some(env.compile_expression(source).map_err(|e| {
                Error::config(format!("[select] where: {}", describe(&e)))
                    .with_hint("write a minijinja expression, e.g. history.within_days(30, \"order\") | length > 0")
            })?),
            None => None,
        };
        for person in persons {
            if is_opt_out(person.get("opt_out")) {
                each(person, Verdict::Left(Reason::OptedOut));
                continue;
            }
            if let Some(expr) = &expr {
                if !self.matches(expr, &person)? {
                    each(person, Verdict::Left(Reason::NotMatching));
                    continue;
                }
            }
            if !self.in_segments(&person) {
                each(person, Verdict::Left(Reason::NotMatching));
                continue;
            }
            let verdict = match verdict(&person, self.settings, self.ledger) {
                Verdict::Due(due) => self.held_back(&person, due),
                other => other,
            };
            let verdict = match verdict {
                Verdict::Due(due) => self.control(&person, due),
                other => other,
            };
            each(person, verdict);
        }
        Ok(())
    }

    /// `[select] segments`: the person's segment is one of them (a person
    /// without an order has none).
    fn in_segments(&self, person: &Person) -> bool {
        let wanted = &self.settings.segments;
        wanted.is_empty()
            || self
                .scope
                .profile(person)
                .is_some_and(|p| wanted.contains(&p.segment))
    }

    /// The control group's draw, among those who would get the piece:
    /// only they are like the recipients.
    fn control(&self, person: &Person, due: Due) -> Verdict {
        let s = self.settings;
        match crate::insights::in_control(s.control, &s.campaign, &due.key, &person.id) {
            true => Verdict::Left(Reason::Control(Box::new(due))),
            false => Verdict::Due(due),
        }
    }

    /// The campaign's `[select] where` for one person; an error in it is a
    /// configuration error that names the person.
    fn matches(&self, expr: &minijinja::Expression<'_, '_>, person: &Person) -> Result<bool> {
        let lang = person.get("language").to_lowercase();
        let words = Words::new(person, &lang, self.closing_style, None);
        let ctx = self.scope.context(person, &words, Default::default());
        let value = expr.eval(ctx).map_err(|e| {
            Error::config(format!(
                "[select] where failed for {} (line {}): {}",
                person.id,
                person.line,
                describe(&e)
            ))
        })?;
        Ok(value.is_true())
    }

    /// A due person excluded by hand or held back by returned mail.
    fn held_back(&self, person: &Person, due: Due) -> Verdict {
        match (
            self.exclusions.get(&person.id),
            self.returns.and_then(|r| r.holds_back(person)),
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
        }
    }
}

/// Occasion, ledger and frequency cap for a person who wants mail and matches.
fn verdict(person: &Person, settings: &SelectSettings, ledger: Option<&Ledger>) -> Verdict {
    let occasion = match &settings.occasion {
        Some(rule) => {
            let to = settings.date + chrono::Duration::days(settings.within);
            match occasion::due(rule, person, settings.date, to) {
                Some(o) => Some(o),
                None => return Verdict::Left(Reason::NotDue),
            }
        }
        None => None,
    };
    let key = occasion
        .as_ref()
        .map(|o| o.key.clone())
        .unwrap_or_else(|| settings.campaign.clone());
    let due = Due {
        occasion: occasion.map(Box::new),
        key: key.into(),
    };
    if !settings.force
        && ledger.is_some_and(|l| l.contains(&settings.campaign, &due.key, &person.id))
    {
        // A control line keeps them out as it did: for comparison, not made.
        return match ledger.is_some_and(|l| l.is_control(&settings.campaign, &due.key, &person.id))
        {
            true => Verdict::Left(Reason::Control(Box::new(due))),
            false => Verdict::Left(Reason::AlreadyDone(Box::new(due))),
        };
    }
    if let Some(last) = recent_piece(person, settings, &due.key) {
        return Verdict::Left(Reason::Capped {
            due: Box::new(due),
            last,
        });
    }
    if let Some(since) = came_back(person, settings) {
        return Verdict::Left(Reason::OrderedSince {
            due: Box::new(due),
            since,
        });
    }
    Verdict::Due(due)
}

/// Freshness of a win-back: the first order (for `silence`: contact of
/// any kind but warmly's own pieces) the history shows after the run
/// date. The occasion looked only up to the run date; a history exported
/// later, or a render after the plan's fixed date, may know better — and
/// a letter asking someone back who just ordered looks careless.
fn came_back(person: &Person, settings: &SelectSettings) -> Option<EventRef> {
    let rule = settings.occasion.as_ref().filter(|r| r.wins_back())?;
    let lapsing = matches!(rule, occasion::Rule::Lapsing { .. });
    person
        .events
        .iter()
        .filter(|e| e.date > settings.date)
        .filter(|e| match lapsing {
            true => is_order(e),
            false => e.extra.get("source").is_none_or(|s| s != "ledger"),
        })
        .min_by_key(|e| e.date)
        .map(EventRef::from)
}

/// The frequency cap: the date of a card or letter to this person within
/// `min_days_between` days before the run date (the ledger's entries are
/// history too). A piece of this very campaign and occasion does not count,
/// so `--force` can regenerate it.
fn recent_piece(person: &Person, settings: &SelectSettings, key: &str) -> Option<NaiveDate> {
    let days = settings.min_days_between?;
    person
        .events
        .iter()
        .rev()
        .filter(|e| e.kind == "card" || e.kind == "letter")
        .filter(|e| {
            !(e.summary == settings.campaign && e.extra.get("occasion").is_some_and(|o| o == key))
        })
        .find(|e| e.date <= settings.date && (settings.date - e.date).num_days() < days)
        .map(|e| e.date)
}
