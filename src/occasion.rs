//! Occasions: when a person is due for a card, and why.
//!
//! A campaign names one [`Rule`] in its `[occasion]` table; [`due`] asks,
//! for one person and the run's window `[from, to]` (the run date and the
//! run date plus the lead window, both inclusive), whether that person has
//! an occasion in the window. The answer is an [`Occasion`] with the day it
//! falls on and a `key` that stays the same for the same person and the
//! same occurrence however often the campaign runs — the ledger uses it so a
//! daily run does not send the same birthday card twice.
//!
//! Everything here is pure date arithmetic on the loaded data: no clock, no
//! files. The rules shared by all kinds:
//!
//! - Only history events on or before the run date (`from`) count; an event
//!   dated in the future is invisible.
//! - A date that falls on **29 February** (a birthday, a customer-since
//!   date, a fixed `02-29`) is kept on **28 February** in years that have
//!   no 29 February. That is common practice in Germany (and keeps the day in
//!   the same month); some countries count 1 March as the legal day a leap
//!   day child comes of age, which this module does not follow.
//! - When several occurrences fall in one (long) window, the earliest one is
//!   returned — except for [`Rule::AfterEvent`], where the latest event wins
//!   (see there).
//! - Dates are exact: an occasion whose day lies before `from` is not due
//!   any more (missed runs are the caller's and the ledger's business).
//!   The exceptions are [`Rule::Silence`] and [`Rule::Lapsing`], which are
//!   states, not days.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize, Serializer};

use crate::date::parse_date;
use crate::insights::rhythm::{self, Params, Rhythm};
use crate::model::{Event, Person};

/// The longest window [`parse_window`] accepts, in days (ten years).
pub const MAX_WINDOW_DAYS: i64 = 3660;

/// The longest number of days a rule may count (`after_event`, `silence`):
/// a hundred years, so that date arithmetic can never overflow.
pub const MAX_RULE_DAYS: i64 = 36_600;

/// What a campaign sends for, from its `[occasion]` table:
///
/// ```toml
/// [occasion]
/// kind = "after_event"
/// event = "order"
/// days = 7
/// ```
///
/// Unknown kinds and unknown or misspelt keys are errors, for every kind
/// (the table is read through [`RuleToml`], because serde ignores
/// `deny_unknown_fields` for a unit variant such as `birthday`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(from = "RuleToml")]
pub enum Rule {
    /// A fixed day every year (`"12-24"`, `"01-01"`, also `"--12-24"`) or
    /// once (`"2026-12-24"`). `name` (e.g. `"christmas"`) starts the key;
    /// without it the key starts with `fixed`. A yearly `"02-29"` falls on
    /// 28 February in common years.
    Fixed {
        date: String,
        #[serde(default)]
        name: Option<String>,
    },
    /// The person's birthday (`birthday`: `YYYY-MM-DD`, or `--MM-DD`
    /// without a year). `years` is the age reached on the day (None without
    /// a birth year); the day of birth itself (age 0) is not a birthday.
    Birthday,
    /// The n-th year since `customer_since`, else since the person's first
    /// event of any kind (on or before the run date), else never. Year 0 —
    /// the first day itself — is not an anniversary, and a customer-since
    /// date after the run date gives none. `every = 5` keeps only the 5th,
    /// 10th, 15th, … year; without it every year counts.
    Anniversary {
        #[serde(default)]
        every: Option<i64>,
    },
    /// `days` days after an event of kind `event` (a thank-you 7 days after
    /// an order). Due when `event date + days` lies in the window, for the
    /// **latest** such event (two orders in one window give one card, for
    /// the newer order). Exact: run one day late with a window of 0 days
    /// and the occasion is not due — there is deliberately no grace period.
    AfterEvent { event: String, days: i64 },
    /// No contact of any kind for `days` days: every history event counts as
    /// contact. Due when `last contact + days` is on or before the window's
    /// end — reached within the window, or reached earlier and still silent
    /// (then the occasion's date is the run date). A person without any
    /// event (on or before the run date) is due on the run date with the key
    /// `silence-never`; `customer_since` is not contact.
    Silence { days: i64 },
    /// The customer's own rhythm says they are slipping away: the days
    /// since their last order reach `multiple` × their usual interval
    /// (the median of the days between their orders, rounded up to a
    /// whole day), for customers with at least `min_orders` orders (see
    /// `insights::rhythm`); customers with fewer orders (but one at least)
    /// lapse after `days` days without an order. Due like silence: when
    /// that day lies in the window, or lay before it and no order came
    /// since. The key holds the last order's date (`lapsing-2026-03-14`),
    /// so one lapse gives one piece however often the campaign runs.
    /// `max_days`: nobody silent longer than that (long lost, or never to
    /// be won back by a letter).
    Lapsing {
        multiple: f64,
        min_orders: u32,
        days: i64,
        max_days: Option<i64>,
    },
}

/// The `[occasion]` table as written: [`Rule`] with `birthday` as a variant
/// that has (no) fields, so that `deny_unknown_fields` holds for it too
/// (serde-rs/serde#2123: internally tagged unit variants accept any key).
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum RuleToml {
    Fixed {
        date: String,
        #[serde(default)]
        name: Option<String>,
    },
    Birthday(NoFields),
    Anniversary {
        #[serde(default)]
        every: Option<i64>,
    },
    AfterEvent {
        event: String,
        days: i64,
    },
    Silence {
        days: i64,
    },
    Lapsing {
        #[serde(default = "default_multiple")]
        multiple: f64,
        #[serde(default = "default_min_orders")]
        min_orders: u32,
        #[serde(default = "default_days")]
        days: i64,
        #[serde(default)]
        max_days: Option<i64>,
    },
}

fn default_multiple() -> f64 {
    rhythm::DEFAULT_MULTIPLE
}

fn default_min_orders() -> u32 {
    rhythm::DEFAULT_MIN_ORDERS
}

fn default_days() -> i64 {
    rhythm::DEFAULT_DAYS
}

/// A table without keys besides `kind`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

impl From<RuleToml> for Rule {
    fn from(rule: RuleToml) -> Self {
        match rule {
            RuleToml::Fixed { date, name } => Rule::Fixed { date, name },
            RuleToml::Birthday(NoFields {}) => Rule::Birthday,
            RuleToml::Anniversary { every } => Rule::Anniversary { every },
            RuleToml::AfterEvent { event, days } => Rule::AfterEvent { event, days },
            RuleToml::Silence { days } => Rule::Silence { days },
            RuleToml::Lapsing {
                multiple,
                min_orders,
                days,
                max_days,
            } => Rule::Lapsing {
                multiple,
                min_orders,
                days,
                max_days,
            },
        }
    }
}

impl Rule {
    /// The name that starts every key of this rule: the fixed day's `name`
    /// (else `fixed`), `birthday`, `anniversary`, `after_<event>` (e.g.
    /// `after_order`), `silence`, `lapsing`.
    pub fn name(&self) -> String {
        match self {
            Rule::Fixed { name, .. } => match name.as_deref().map(str::trim) {
                Some(name) if !name.is_empty() => name.to_string(),
                _ => "fixed".into(),
            },
            Rule::Birthday => "birthday".into(),
            Rule::Anniversary { .. } => "anniversary".into(),
            Rule::AfterEvent { event, .. } => format!("after_{}", event.trim().to_lowercase()),
            Rule::Silence { .. } => "silence".into(),
            Rule::Lapsing { .. } => "lapsing".into(),
        }
    }

    /// The occasion kind this rule produces.
    pub fn kind(&self) -> OccasionKind {
        match self {
            Rule::Fixed { .. } => OccasionKind::Fixed,
            Rule::Birthday => OccasionKind::Birthday,
            Rule::Anniversary { .. } => OccasionKind::Anniversary,
            Rule::AfterEvent { .. } => OccasionKind::AfterEvent,
            Rule::Silence { .. } => OccasionKind::Silence,
            Rule::Lapsing { .. } => OccasionKind::Lapsing,
        }
    }

    /// How a `lapsing` rule judges rhythms (none for other rules).
    pub fn rhythm_params(&self) -> Option<Params> {
        match *self {
            Rule::Lapsing {
                multiple,
                min_orders,
                days,
                ..
            } => Some(Params {
                multiple,
                min_orders,
                days,
            }),
            _ => None,
        }
    }

    /// A rule that writes to customers who have gone quiet (`silence`,
    /// `lapsing`): a newer order or contact makes its piece stale.
    pub fn wins_back(&self) -> bool {
        matches!(self, Rule::Silence { .. } | Rule::Lapsing { .. })
    }

    /// Checks what serde cannot: a valid fixed date, `every` ≥ 1, an event
    /// kind, `days` in range. Meant for loading the campaign, so a bad rule
    /// is a configuration error; [`due`] answers `None` for an invalid rule.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Rule::Fixed { date, .. } => parse_fixed(date).map(|_| ()).ok_or_else(|| {
                format!(
                    "[occasion] invalid date \"{date}\": write MM-DD for every year \
                     (\"12-24\") or YYYY-MM-DD for once (\"2026-12-24\")"
                )
            }),
            Rule::Birthday => Ok(()),
            Rule::Anniversary { every } => match every {
                Some(n) if *n < 1 => Err(format!(
                    "[occasion] every = {n}: write a number of years of at least 1 \
                     (every = 5 for the 5th, 10th, 15th … year)"
                )),
                _ => Ok(()),
            },
            Rule::AfterEvent { event, days } => {
                if event.trim().is_empty() {
                    Err(
                        "[occasion] event is empty: name an event kind, e.g. event = \"order\""
                            .into(),
                    )
                } else if !(0..=MAX_RULE_DAYS).contains(days) {
                    Err(format!(
                        "[occasion] days = {days}: write a number of days from 0 to {MAX_RULE_DAYS}"
                    ))
                } else {
                    Ok(())
                }
            }
            Rule::Silence { days } => {
                if !(1..=MAX_RULE_DAYS).contains(days) {
                    Err(format!(
                        "[occasion] days = {days}: write a number of days from 1 to {MAX_RULE_DAYS}"
                    ))
                } else {
                    Ok(())
                }
            }
            Rule::Lapsing {
                multiple,
                min_orders,
                days,
                max_days,
            } => validate_lapsing(*multiple, *min_orders, *days, *max_days),
        }
    }
}

/// The `lapsing` rule's numbers, each with what it means.
fn validate_lapsing(
    multiple: f64,
    min_orders: u32,
    days: i64,
    max_days: Option<i64>,
) -> Result<(), String> {
    if !(1.0..=10.0).contains(&multiple) {
        return Err(format!(
            "[occasion] multiple = {multiple}: write how many usual intervals of silence make a \
             lapse, from 1 to 10 (1.5: half again as long as the customer usually waits)"
        ));
    }
    if !(3..=1000).contains(&min_orders) {
        return Err(format!(
            "[occasion] min_orders = {min_orders}: a rhythm needs at least 3 orders (two \
             intervals), at most 1000"
        ));
    }
    if !(1..=MAX_RULE_DAYS).contains(&days) {
        return Err(format!(
            "[occasion] days = {days}: write the days without an order after which a customer \
             with fewer than {min_orders} orders lapses, from 1 to {MAX_RULE_DAYS}"
        ));
    }
    match max_days {
        Some(max) if !(days..=MAX_RULE_DAYS).contains(&max) => Err(format!(
            "[occasion] max_days = {max}: write the longest silence still worth a letter, \
             from days ({days}) to {MAX_RULE_DAYS}, or leave it out"
        )),
        _ => Ok(()),
    }
}

/// What kind of occasion it is (serialised `fixed`, `birthday`,
/// `anniversary`, `after_event`, `silence`, `lapsing`: the `[occasion] kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OccasionKind {
    Fixed,
    Birthday,
    Anniversary,
    AfterEvent,
    Silence,
    Lapsing,
}

impl OccasionKind {
    /// The serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            OccasionKind::Fixed => "fixed",
            OccasionKind::Birthday => "birthday",
            OccasionKind::Anniversary => "anniversary",
            OccasionKind::AfterEvent => "after_event",
            OccasionKind::Silence => "silence",
            OccasionKind::Lapsing => "lapsing",
        }
    }
}

impl PartialEq<&str> for OccasionKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One occasion of one person: what it is, when, and the key under which
/// the ledger records that it was served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occasion {
    pub kind: OccasionKind,
    /// Stable per person and occurrence: `christmas-2026`, `birthday-2027`,
    /// `anniversary-2027` (the year of the occasion's date),
    /// `after_order-2026-11-04` (the triggering event's date),
    /// `silence-2026-06-01` (the last contact's date) or `silence-never`,
    /// `lapsing-2026-03-14` (the last order's date).
    pub key: String,
    /// The day of the occasion: the fixed day, the birthday, the anniversary,
    /// event date + days, or for silence max(last contact + days, run date),
    /// for lapsing max(last order + threshold, run date).
    #[serde(serialize_with = "iso_date")]
    pub date: NaiveDate,
    /// Birthday: the age reached (None without a birth year); anniversary:
    /// the n-th year; else None.
    pub years: Option<i64>,
    /// The triggering event: the event for `after_event`, the last contact
    /// for `silence` (None if never), the last order for `lapsing`, the
    /// first event when an anniversary counts from it.
    pub event: Option<EventRef>,
    /// `lapsing` only (absent otherwise): the customer's rhythm as the
    /// message may tell it — order days, the usual interval and its
    /// spread in whole days (`Some(None)`, shown as none, with too few
    /// orders for a rhythm), the days since the last order on the run
    /// date, and the silence after which they count as lapsing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_days: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread_days: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_silent: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_days: Option<i64>,
}

/// The part of an event an occasion refers to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRef {
    #[serde(serialize_with = "iso_date")]
    pub date: NaiveDate,
    pub kind: String,
    pub summary: String,
}

impl From<&Event> for EventRef {
    fn from(event: &Event) -> Self {
        EventRef {
            date: event.date,
            kind: event.kind.clone(),
            summary: event.summary.clone(),
        }
    }
}

/// Dates serialise as ISO text (`2026-12-24`), without chrono's serde feature.
fn iso_date<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

/// The occasion of `person` under `rule` whose date falls in `[from, to]`
/// (both inclusive), if any. `from` is the run date, `to` the run date plus
/// the campaign's lead window. Of several occurrences in the window the
/// earliest is returned (for `after_event`: the latest event's). An empty
/// window (`to` before `from`) and an invalid rule give `None`.
pub fn due(rule: &Rule, person: &Person, from: NaiveDate, to: NaiveDate) -> Option<Occasion> {
    if to < from || rule.validate().is_err() {
        return None;
    }
    // Only what has happened by the run date counts. `events` is sorted by
    // the loader; unsorted input is sorted here rather than misread.
    if person.events.windows(2).all(|w| w[0].date <= w[1].date) {
        let n = person.events.partition_point(|e| e.date <= from);
        due_in(rule, &person.events[..n], person, from, to)
    } else {
        let mut past: Vec<Event> = person
            .events
            .iter()
            .filter(|e| e.date <= from)
            .cloned()
            .collect();
        past.sort_by_key(|e| e.date);
        due_in(rule, &past, person, from, to)
    }
}

/// `past`: the person's events on or before `from`, sorted by date.
fn due_in(
    rule: &Rule,
    past: &[Event],
    person: &Person,
    from: NaiveDate,
    to: NaiveDate,
) -> Option<Occasion> {
    match rule {
        Rule::Fixed { date, .. } => {
            let date = match parse_fixed(date)? {
                Fixed::Once(date) => Some(date).filter(|d| (from..=to).contains(d)),
                Fixed::Yearly(month, day) => yearly(month, day, from, to).next().map(|(_, d)| d),
            }?;
            let key = format!("{}-{}", rule.name(), date.year());
            Some(occasion(rule, date, key, None, None))
        }
        Rule::Birthday => {
            let (birth_year, month, day) = parse_birthday(person.get("birthday"))?;
            yearly(month, day, from, to).find_map(|(year, date)| {
                let years = match birth_year {
                    Some(birth) if year - birth < 1 => return None,
                    Some(birth) => Some(i64::from(year - birth)),
                    None => None,
                };
                Some(occasion(
                    rule,
                    date,
                    format!("birthday-{year}"),
                    years,
                    None,
                ))
            })
        }
        Rule::Anniversary { every } => {
            anniversary(rule, every.unwrap_or(1), past, person, from, to)
        }
        Rule::AfterEvent { event, days } => {
            let wanted = event.trim();
            past.iter()
                .rev()
                .filter(|e| e.kind.trim().eq_ignore_ascii_case(wanted))
                .find_map(|e| {
                    let date = add_days(e.date, *days)?;
                    let key = format!("{}-{}", rule.name(), e.date);
                    (from..=to)
                        .contains(&date)
                        .then(|| occasion(rule, date, key, None, Some(e)))
                })
        }
        Rule::Silence { days } => match past.last() {
            None => Some(occasion(rule, from, "silence-never".into(), None, None)),
            Some(last) => {
                let reached = add_days(last.date, *days)?;
                let key = format!("silence-{}", last.date);
                (reached <= to).then(|| occasion(rule, reached.max(from), key, None, Some(last)))
            }
        },
        Rule::Lapsing { max_days, .. } => lapsing(rule, *max_days, past, from, to),
    }
}

/// A `lapsing` occasion: the customer's rhythm, judged on the run date.
fn lapsing(
    rule: &Rule,
    max_days: Option<i64>,
    past: &[Event],
    from: NaiveDate,
    to: NaiveDate,
) -> Option<Occasion> {
    let params = rule.rhythm_params()?;
    let rhythm = Rhythm::of(past, from, params.min_orders)?;
    if max_days.is_some_and(|max| rhythm.days_silent > max) {
        return None;
    }
    let threshold = rhythm.threshold(&params);
    let reached = add_days(rhythm.last, threshold)?;
    if reached > to {
        return None;
    }
    let last = past.iter().rev().find(|e| rhythm::is_order(e))?;
    let key = format!("lapsing-{}", rhythm.last);
    Some(Occasion {
        orders: Some(rhythm.orders),
        interval_days: Some(rhythm.interval.map(|i| i.median.round() as i64)),
        spread_days: Some(rhythm.interval.map(|i| i.spread.round() as i64)),
        days_silent: Some(rhythm.days_silent),
        threshold_days: Some(threshold),
        ..occasion(rule, reached.max(from), key, None, Some(last))
    })
}

/// The n-th year since `customer_since` (else the first event), every
/// `every` years.
fn anniversary(
    rule: &Rule,
    every: i64,
    past: &[Event],
    person: &Person,
    from: NaiveDate,
    to: NaiveDate,
) -> Option<Occasion> {
    let (since, first) = match parse_date(person.get("customer_since")) {
        Some(since) => (since, None),
        None => {
            let first = past.first()?;
            (first.date, Some(first))
        }
    };
    if since > from {
        return None;
    }
    yearly(since.month(), since.day(), from, to).find_map(|(year, date)| {
        let n = i64::from(year - since.year());
        let key = format!("anniversary-{year}");
        (n >= 1 && n % every == 0).then(|| occasion(rule, date, key, Some(n), first))
    })
}

/// An occasion of `rule`.
fn occasion(
    rule: &Rule,
    date: NaiveDate,
    key: String,
    years: Option<i64>,
    event: Option<&Event>,
) -> Occasion {
    Occasion {
        kind: rule.kind(),
        key,
        date,
        years,
        event: event.map(EventRef::from),
        orders: None,
        interval_days: None,
        spread_days: None,
        days_silent: None,
        threshold_days: None,
    }
}

/// Parses a lead window: a number of days with an optional unit — `d`
/// (days), `w` (weeks), `m` (months of 30 days) — e.g. `"14d"`, `"2w"`,
/// `"1m"`, `"0d"`, `"14"`. Case and spaces around the unit do not matter.
/// At most [`MAX_WINDOW_DAYS`].
pub fn parse_window(s: &str) -> Result<i64, String> {
    let hint = || {
        format!(
            "invalid window \"{s}\": write a number of days with an optional unit, \
             e.g. \"14d\", \"2w\" or \"1m\" (30 days)"
        )
    };
    let t = s.trim().to_ascii_lowercase();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    if number.is_empty() {
        return Err(hint());
    }
    let factor = match unit.trim() {
        "" | "d" => 1,
        "w" => 7,
        "m" => 30,
        _ => return Err(hint()),
    };
    let days = number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|d| *d <= MAX_WINDOW_DAYS)
        .ok_or_else(|| format!("window \"{s}\" is too long: at most {MAX_WINDOW_DAYS} days"))?;
    Ok(days)
}

/// A fixed day: every year on month-day, or once.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fixed {
    Yearly(u32, u32),
    Once(NaiveDate),
}

/// `MM-DD` / `--MM-DD` (every year) or `YYYY-MM-DD` (once).
fn parse_fixed(s: &str) -> Option<Fixed> {
    let s = s.trim();
    if let Some((month, day)) = parse_month_day(s.strip_prefix("--").unwrap_or(s)) {
        return Some(Fixed::Yearly(month, day));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(Fixed::Once)
}

/// `MM-DD` with two digits each, a day that exists in a leap year.
fn parse_month_day(s: &str) -> Option<(u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 5
        || b[2] != b'-'
        || !s[..2]
            .bytes()
            .chain(s[3..].bytes())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (month, day) = (s[..2].parse().ok()?, s[3..].parse().ok()?);
    NaiveDate::from_ymd_opt(2000, month, day).map(|_| (month, day))
}

/// A birthday: (birth year if known, month, day). `--MM-DD` has no year.
fn parse_birthday(s: &str) -> Option<(Option<i32>, u32, u32)> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix("--") {
        let (month, day) = parse_month_day(rest)?;
        return Some((None, month, day));
    }
    parse_date(s).map(|d| (Some(d.year()), d.month(), d.day()))
}

/// The day `month-day` is kept in `year`: itself, or 28 February for a
/// 29 February in a common year (see the module documentation).
fn day_in_year(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).or_else(|| {
        (month == 2 && day == 29)
            .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
            .flatten()
    })
}

/// Every (year, day) of a yearly `month-day` within `[from, to]`, earliest
/// first.
fn yearly(
    month: u32,
    day: u32,
    from: NaiveDate,
    to: NaiveDate,
) -> impl Iterator<Item = (i32, NaiveDate)> {
    (from.year()..=to.year()).filter_map(move |year| {
        day_in_year(year, month, day)
            .filter(|d| (from..=to).contains(d))
            .map(|d| (year, d))
    })
}

/// `date + days` for days ≥ 0; None on overflow.
fn add_days(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::try_from(days).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// `"2026-12-20..2027-01-03"` → (from, to).
    fn window(s: &str) -> (NaiveDate, NaiveDate) {
        let (from, to) = s.split_once("..").unwrap();
        (d(from), d(to))
    }

    /// An occasion as one line for tables: `"key date years"` (`-` for no
    /// years), or `"none"`.
    fn show(o: Option<Occasion>) -> String {
        match o {
            None => "none".into(),
            Some(o) => {
                let years = o.years.map_or("-".to_string(), |y| y.to_string());
                format!("{} {} {years}", o.key, o.date)
            }
        }
    }

    /// A person with the given fields and (date, kind, summary) events.
    fn person(fields: &[(&str, &str)], events: &[(&str, &str, &str)]) -> Person {
        let mut events: Vec<Event> = events
            .iter()
            .enumerate()
            .map(|(i, (date, kind, summary))| Event {
                date: d(date),
                kind: kind.to_string(),
                summary: summary.to_string(),
                line: i as u64 + 2,
                extra: IndexMap::new(),
            })
            .collect();
        events.sort_by_key(|e| e.date);
        Person {
            id: "K-1".into(),
            line: 2,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            events,
        }
    }

    fn fixed(date: &str, name: Option<&str>) -> Rule {
        Rule::Fixed {
            date: date.into(),
            name: name.map(String::from),
        }
    }

    fn after(event: &str, days: i64) -> Rule {
        Rule::AfterEvent {
            event: event.into(),
            days,
        }
    }

    fn lapsing(multiple: f64, min_orders: u32, days: i64, max_days: Option<i64>) -> Rule {
        Rule::Lapsing {
            multiple,
            min_orders,
            days,
            max_days,
        }
    }

    /// `n` orders `every` days apart from `first`, as (date, kind, summary).
    fn every(first: &str, every: u64, n: u64) -> Vec<(String, &'static str, &'static str)> {
        (0..n)
            .map(|i| {
                let date = d(first) + chrono::Days::new(i * every);
                (date.to_string(), "order", "Kaffee")
            })
            .collect()
    }

    fn person_of(events: &[(String, &str, &str)]) -> Person {
        let events: Vec<(&str, &str, &str)> = events
            .iter()
            .map(|(a, b, c)| (a.as_str(), *b, *c))
            .collect();
        person(&[], &events)
    }

    /// The keys a daily run with a window of `within` days sees from
    /// `first` for `days` days: (run date, key) of every due day.
    fn daily(
        rule: &Rule,
        p: &Person,
        first: &str,
        days: u64,
        within: u64,
    ) -> Vec<(String, String)> {
        (0..days)
            .map(|i| d(first) + chrono::Days::new(i))
            .filter_map(|from| {
                due(rule, p, from, from + chrono::Days::new(within))
                    .map(|o| (from.to_string(), o.key))
            })
            .collect()
    }

    fn event_ref(date: &str, kind: &str, summary: &str) -> Option<EventRef> {
        Some(EventRef {
            date: d(date),
            kind: kind.into(),
            summary: summary.into(),
        })
    }

    #[test]
    fn birthdays_including_29_february() {
        // (birthday, window, expected)
        let cases = [
            // Leap day child: 28 February in common years …
            (
                "2000-02-29",
                "2027-02-20..2027-03-05",
                "birthday-2027 2027-02-28 27",
            ),
            (
                "2000-02-29",
                "2027-02-28..2027-02-28",
                "birthday-2027 2027-02-28 27",
            ),
            ("2000-02-29", "2027-03-01..2027-03-01", "none"),
            // … and 29 February, not the 28th, in leap years.
            (
                "2000-02-29",
                "2028-02-20..2028-03-05",
                "birthday-2028 2028-02-29 28",
            ),
            ("2000-02-29", "2028-02-28..2028-02-28", "none"),
            ("2000-02-29", "2028-03-01..2028-03-01", "none"),
            // Without a year: the same days, no age.
            (
                "--02-29",
                "2027-02-28..2027-02-28",
                "birthday-2027 2027-02-28 -",
            ),
            ("--02-29", "2028-02-28..2028-02-28", "none"),
            (
                "--02-29",
                "2028-02-29..2028-02-29",
                "birthday-2028 2028-02-29 -",
            ),
            (
                "--03-14",
                "2026-03-01..2026-03-14",
                "birthday-2026 2026-03-14 -",
            ),
            // An ordinary birthday: on the day, ahead, missed.
            (
                "1961-04-03",
                "2026-04-03..2026-04-03",
                "birthday-2026 2026-04-03 65",
            ),
            (
                "1961-04-03",
                "2026-03-20..2026-04-03",
                "birthday-2026 2026-04-03 65",
            ),
            ("1961-04-03", "2026-03-20..2026-04-02", "none"),
            ("1961-04-03", "2026-04-04..2026-04-20", "none"),
            // Across the year end: the birthday is in the next year.
            (
                "1980-01-02",
                "2026-12-20..2027-01-03",
                "birthday-2027 2027-01-02 47",
            ),
            (
                "--01-02",
                "2026-12-20..2027-01-03",
                "birthday-2027 2027-01-02 -",
            ),
            (
                "1980-12-31",
                "2026-12-20..2027-01-03",
                "birthday-2026 2026-12-31 46",
            ),
            // A window longer than a year: the earliest occurrence.
            (
                "1980-06-01",
                "2026-07-01..2028-07-01",
                "birthday-2027 2027-06-01 47",
            ),
            // The day of birth is no birthday; the first birthday is.
            ("2026-05-01", "2026-04-25..2026-05-05", "none"),
            (
                "2025-05-01",
                "2026-04-25..2026-05-05",
                "birthday-2026 2026-05-01 1",
            ),
            (
                "2026-05-01",
                "2026-04-25..2027-05-05",
                "birthday-2027 2027-05-01 1",
            ),
            // Born after the window: nothing.
            ("2030-05-01", "2026-04-25..2026-05-05", "none"),
            // Empty or unreadable: nothing.
            ("", "2026-01-01..2026-12-31", "none"),
            ("kein Datum", "2026-01-01..2026-12-31", "none"),
            ("--13-01", "2026-01-01..2026-12-31", "none"),
        ];
        for (birthday, win, want) in cases {
            let p = person(&[("birthday", birthday)], &[("2020-01-01", "order", "")]);
            let (from, to) = window(win);
            let got = due(&Rule::Birthday, &p, from, to);
            if let Some(o) = &got {
                assert_eq!((o.kind.as_str(), &o.event), ("birthday", &None));
            }
            assert_eq!(show(got), want, "birthday {birthday:?}, window {win}");
        }
    }

    #[test]
    fn fixed_days_every_year_and_once() {
        // (date, name, window, expected)
        let cases = [
            (
                "12-24",
                Some("christmas"),
                "2026-12-20..2027-01-03",
                "christmas-2026 2026-12-24 -",
            ),
            (
                "12-24",
                Some("christmas"),
                "2026-12-24..2026-12-24",
                "christmas-2026 2026-12-24 -",
            ),
            ("12-24", Some("christmas"), "2026-12-25..2027-01-03", "none"),
            (
                "--12-24",
                Some("christmas"),
                "2027-12-01..2027-12-24",
                "christmas-2027 2027-12-24 -",
            ),
            (
                "01-01",
                Some("new_year"),
                "2026-12-25..2027-01-08",
                "new_year-2027 2027-01-01 -",
            ),
            (
                "01-01",
                None,
                "2026-12-25..2027-01-08",
                "fixed-2027 2027-01-01 -",
            ),
            (
                "01-01",
                Some("  "),
                "2026-12-25..2027-01-08",
                "fixed-2027 2027-01-01 -",
            ),
            // Once: in its year only.
            (
                "2026-12-24",
                Some("christmas"),
                "2026-12-10..2026-12-24",
                "christmas-2026 2026-12-24 -",
            ),
            (
                "2026-12-24",
                Some("christmas"),
                "2027-12-10..2027-12-24",
                "none",
            ),
            (
                "2026-12-24",
                Some("christmas"),
                "2025-12-10..2025-12-24",
                "none",
            ),
            (
                "2026-12-24",
                Some("christmas"),
                "2026-12-25..2026-12-31",
                "none",
            ),
            // Two in a long window: the earliest.
            (
                "06-30",
                Some("summer"),
                "2026-07-01..2028-07-01",
                "summer-2027 2027-06-30 -",
            ),
            // A yearly 29 February follows the birthday rule.
            (
                "02-29",
                Some("leap"),
                "2027-02-01..2027-03-31",
                "leap-2027 2027-02-28 -",
            ),
            (
                "02-29",
                Some("leap"),
                "2028-02-01..2028-03-31",
                "leap-2028 2028-02-29 -",
            ),
            // Invalid dates are never due (validate reports them).
            ("12-32", None, "2026-01-01..2026-12-31", "none"),
            ("2026-02-29", None, "2026-01-01..2026-12-31", "none"),
            ("24.12.", None, "2026-01-01..2026-12-31", "none"),
        ];
        let p = person(&[("birthday", "1970-12-24")], &[]);
        for (date, name, win, want) in cases {
            let (from, to) = window(win);
            let got = due(&fixed(date, name), &p, from, to);
            if let Some(o) = &got {
                assert_eq!((o.kind.as_str(), &o.event), ("fixed", &None));
            }
            assert_eq!(show(got), want, "fixed {date:?}, window {win}");
        }
    }

    #[test]
    fn year_end_window_finds_birthday_and_christmas() {
        let p = person(&[("birthday", "1970-01-02")], &[]);
        let (from, to) = window("2026-12-20..2027-01-03");
        let birthday = due(&Rule::Birthday, &p, from, to).unwrap();
        assert_eq!(
            (birthday.key.as_str(), birthday.date),
            ("birthday-2027", d("2027-01-02"))
        );
        let christmas = due(&fixed("12-24", Some("christmas")), &p, from, to).unwrap();
        assert_eq!(
            (christmas.key.as_str(), christmas.date),
            ("christmas-2026", d("2026-12-24"))
        );
    }

    #[test]
    fn anniversaries() {
        // (every, customer_since, window, expected)
        let cases = [
            (
                None,
                "2016-12-02",
                "2026-11-25..2026-12-09",
                "anniversary-2026 2026-12-02 10",
            ),
            (None, "2016-12-02", "2026-12-03..2026-12-09", "none"),
            (None, "2016-12-02", "2026-11-25..2026-12-01", "none"),
            (
                None,
                "2025-12-02",
                "2026-12-02..2026-12-02",
                "anniversary-2026 2026-12-02 1",
            ),
            // Year 0 — the customer-since day itself — is not an anniversary.
            (None, "2026-12-02", "2026-11-25..2026-12-09", "none"),
            // A customer-since date after the run date gives none at all.
            (None, "2026-12-02", "2026-11-25..2028-12-31", "none"),
            // every = 5: only the 5th, 10th, 15th … year.
            (
                Some(5),
                "2016-12-02",
                "2026-11-25..2026-12-09",
                "anniversary-2026 2026-12-02 10",
            ),
            (
                Some(5),
                "2021-12-02",
                "2026-11-25..2026-12-09",
                "anniversary-2026 2026-12-02 5",
            ),
            (Some(5), "2017-12-02", "2026-11-25..2026-12-09", "none"),
            (Some(5), "2016-12-02", "2027-11-25..2027-12-09", "none"),
            (Some(5), "2026-01-10", "2026-01-10..2026-12-31", "none"),
            (
                Some(1),
                "2017-12-02",
                "2026-11-25..2026-12-09",
                "anniversary-2026 2026-12-02 9",
            ),
            // every = 5 in a long window: the next multiple, not the next year.
            (
                Some(5),
                "2018-03-01",
                "2026-01-01..2028-12-31",
                "anniversary-2028 2028-03-01 10",
            ),
            // Across the year end.
            (
                None,
                "2020-01-02",
                "2026-12-20..2027-01-03",
                "anniversary-2027 2027-01-02 7",
            ),
            // Customer since 29 February follows the birthday rule.
            (
                None,
                "2016-02-29",
                "2027-02-28..2027-02-28",
                "anniversary-2027 2027-02-28 11",
            ),
            (None, "2016-02-29", "2028-02-28..2028-02-28", "none"),
            (
                None,
                "2016-02-29",
                "2028-02-29..2028-02-29",
                "anniversary-2028 2028-02-29 12",
            ),
            // every = 0 is invalid: never due (validate says why).
            (Some(0), "2016-12-02", "2026-11-25..2026-12-09", "none"),
        ];
        for (every, since, win, want) in cases {
            // The first event is older than customer_since: customer_since wins.
            let p = person(
                &[("customer_since", since)],
                &[("2010-01-01", "order", "Tisch")],
            );
            let (from, to) = window(win);
            let got = due(&Rule::Anniversary { every }, &p, from, to);
            if let Some(o) = &got {
                assert_eq!((o.kind.as_str(), &o.event), ("anniversary", &None));
            }
            assert_eq!(
                show(got),
                want,
                "every {every:?}, since {since}, window {win}"
            );
        }
    }

    #[test]
    fn anniversary_from_first_event_without_customer_since() {
        let rule = Rule::Anniversary { every: None };
        let p = person(
            &[("customer_since", "")],
            &[
                ("2018-05-03", "call", "Erstgespräch"),
                ("2019-02-01", "order", "Küche"),
            ],
        );
        let o = due(&rule, &p, d("2026-05-01"), d("2026-05-14")).unwrap();
        assert_eq!(o.event, event_ref("2018-05-03", "call", "Erstgespräch"));
        assert_eq!(show(Some(o)), "anniversary-2026 2026-05-03 8");
        // No customer_since and no events: no anniversary.
        let none = person(&[], &[]);
        assert_eq!(due(&rule, &none, d("2026-01-01"), d("2026-12-31")), None);
        // A first event after the run date does not count.
        let future = person(&[], &[("2026-06-01", "order", "Küche")]);
        assert_eq!(due(&rule, &future, d("2026-05-01"), d("2027-12-31")), None);
    }

    #[test]
    fn after_event() {
        let rule = after("order", 7);
        let p = person(
            &[],
            &[
                ("2026-11-04", "order", "Landhausküche"),
                ("2026-11-06", "call", "Rückfrage"),
            ],
        );
        // (window, expected)
        let cases = [
            // On the day, window 0.
            (
                "2026-11-11..2026-11-11",
                "after_order-2026-11-04 2026-11-11 -",
            ),
            // Ahead of the day, the window reaches it.
            (
                "2026-11-05..2026-11-11",
                "after_order-2026-11-04 2026-11-11 -",
            ),
            (
                "2026-11-04..2026-11-18",
                "after_order-2026-11-04 2026-11-11 -",
            ),
            // Ahead of the day, the window does not reach it.
            ("2026-11-05..2026-11-10", "none"),
            // A day late: exact, no grace.
            ("2026-11-12..2026-11-12", "none"),
            ("2026-11-12..2026-11-30", "none"),
            // Before the order happened: a future order does not count.
            ("2026-11-03..2026-11-30", "none"),
        ];
        for (win, want) in cases {
            let (from, to) = window(win);
            let got = due(&rule, &p, from, to);
            if let Some(o) = &got {
                assert_eq!(o.kind, "after_event");
                assert_eq!(o.event, event_ref("2026-11-04", "order", "Landhausküche"));
            }
            assert_eq!(show(got), want, "window {win}");
        }
    }

    #[test]
    fn after_event_latest_event_wins_and_kind_matters() {
        let rule = after("order", 7);
        let p = person(
            &[],
            &[
                ("2026-10-20", "order", "Regal"),
                ("2026-11-01", "order", "Tisch"),
                ("2026-11-04", "order", "Küche"),
                ("2026-11-08", "complaint", "Kratzer"),
                ("2026-11-09", "order", "Stuhl"),
            ],
        );
        // (window, expected)
        let cases = [
            // The orders of 11-01 and 11-04 both land in the window: the
            // later one wins; the order of 11-09 has not happened yet.
            (
                "2026-11-08..2026-11-22",
                "after_order-2026-11-04 2026-11-11 -",
            ),
            // The next day the 11-09 order has happened and wins.
            (
                "2026-11-09..2026-11-23",
                "after_order-2026-11-09 2026-11-16 -",
            ),
            // The latest order whose day is in the window, not the latest order.
            (
                "2026-11-08..2026-11-08",
                "after_order-2026-11-01 2026-11-08 -",
            ),
            (
                "2026-10-27..2026-10-27",
                "after_order-2026-10-20 2026-10-27 -",
            ),
        ];
        for (win, want) in cases {
            let (from, to) = window(win);
            assert_eq!(show(due(&rule, &p, from, to)), want, "window {win}");
        }
        // Another kind, matched regardless of case, with days = 0.
        let complaint = after("Complaint", 0);
        assert_eq!(complaint.name(), "after_complaint");
        let o = due(&complaint, &p, d("2026-11-08"), d("2026-11-08")).unwrap();
        assert_eq!(o.key, "after_complaint-2026-11-08");
        assert_eq!(o.event, event_ref("2026-11-08", "complaint", "Kratzer"));
        // A kind nobody has.
        assert_eq!(
            due(&after("meeting", 7), &p, d("2026-01-01"), d("2026-12-31")),
            None
        );
    }

    #[test]
    fn silence() {
        let rule = Rule::Silence { days: 180 };
        // Last contact 2026-06-01: silence is reached on 2026-11-28. The
        // meeting on 2027-03-01 counts only once it has happened.
        let p = person(
            &[],
            &[
                ("2025-01-10", "order", "Tisch"),
                ("2026-06-01", "call", "Termin"),
                ("2027-03-01", "meeting", "Besuch"),
            ],
        );
        // (window, expected)
        let cases = [
            // Not yet: the window ends before silence is reached.
            ("2026-11-01..2026-11-27", "none"),
            // Reached inside the window: on that day.
            ("2026-11-01..2026-11-28", "silence-2026-06-01 2026-11-28 -"),
            ("2026-11-28..2026-11-28", "silence-2026-06-01 2026-11-28 -"),
            // Reached earlier and still silent: due on the run date, same key.
            ("2026-12-15..2026-12-15", "silence-2026-06-01 2026-12-15 -"),
            ("2027-02-28..2027-03-14", "silence-2026-06-01 2027-02-28 -"),
            // Once the meeting has happened it is the last contact.
            ("2027-03-01..2027-03-14", "none"),
            ("2027-08-28..2027-08-28", "silence-2027-03-01 2027-08-28 -"),
        ];
        for (win, want) in cases {
            let (from, to) = window(win);
            let got = due(&rule, &p, from, to);
            if let Some(o) = &got {
                assert_eq!(o.kind, "silence");
                assert_eq!(
                    o.event.as_ref().map(|e| e.date.to_string()),
                    o.key.get(8..).map(String::from)
                );
            }
            assert_eq!(show(got), want, "window {win}");
        }
        let o = due(&rule, &p, d("2026-12-15"), d("2026-12-29")).unwrap();
        assert_eq!(o.event, event_ref("2026-06-01", "call", "Termin"));
    }

    #[test]
    fn lapsing_a_regular_customer_once_per_lapse() {
        // An order every 42 days for two years (18 orders, the last on
        // 2025-12-15), a call in between: 1.5 × 42 = 63 days of silence
        // make a lapse, on 2026-02-16.
        let mut events = every("2024-01-01", 42, 18);
        events.push(("2025-12-20".into(), "call", "Rückfrage"));
        let p = person_of(&events);
        let rule = lapsing(1.5, 3, 180, None);
        let days = daily(&rule, &p, "2025-12-15", 120, 0);
        assert_eq!(
            days.first().unwrap(),
            &("2026-02-16".into(), "lapsing-2025-12-15".into())
        );
        assert_eq!(days.len(), 120 - 63, "due every day from then on, one key");
        assert!(days.iter().all(|(_, k)| k == "lapsing-2025-12-15"));
        // A lead window of 14 days sees it 14 days ahead, on its day.
        let o = due(&rule, &p, d("2026-02-02"), d("2026-02-16")).unwrap();
        assert_eq!(
            (o.date, o.key.as_str()),
            (d("2026-02-16"), "lapsing-2025-12-15")
        );
        assert_eq!(o.kind, "lapsing");
        assert_eq!(o.event, event_ref("2025-12-15", "order", "Kaffee"));
        // On 2026-04-14 (120 days silent) the message knows the rhythm.
        let o = due(&rule, &p, d("2026-04-14"), d("2026-04-14")).unwrap();
        assert_eq!(
            (
                o.orders,
                o.interval_days,
                o.spread_days,
                o.days_silent,
                o.threshold_days
            ),
            (Some(18), Some(Some(42)), Some(Some(0)), Some(120), Some(63))
        );
        assert_eq!(o.date, d("2026-04-14"));
        // An order comes back: the lapse is over; the next one has a new key.
        let mut events = events.clone();
        events.push(("2026-04-20".into(), "order", "Kaffee"));
        let p = person_of(&events);
        assert_eq!(due(&rule, &p, d("2026-04-20"), d("2026-04-20")), None);
        let o = due(&rule, &p, d("2026-06-25"), d("2026-06-25")).unwrap();
        assert_eq!(o.key, "lapsing-2026-04-20");
    }

    #[test]
    fn lapsing_spares_the_seasonal_customer_and_falls_back_for_few_orders() {
        // Every December for five years: in August the silence is their rhythm.
        let p = person_of(&[
            ("2021-12-10".into(), "order", "Stollen"),
            ("2022-12-14".into(), "order", "Stollen"),
            ("2023-12-08".into(), "order", "Stollen"),
            ("2024-12-12".into(), "order", "Stollen"),
            ("2025-12-11".into(), "order", "Stollen"),
        ]);
        let rule = lapsing(1.5, 3, 180, None);
        assert!(daily(&rule, &p, "2026-01-01", 365, 0).is_empty());
        // 550 days (1.5 × 366.5) after the last order: 2027-06-14.
        let days = daily(&rule, &p, "2027-06-01", 30, 0);
        assert_eq!(days[0], ("2027-06-14".into(), "lapsing-2025-12-11".into()));
        // One order, or two: 180 days without an order.
        for orders in [1, 2] {
            let p = person_of(&every("2026-01-01", 30, orders));
            let last = d("2026-01-01") + chrono::Days::new((orders - 1) * 30);
            let o = due(
                &rule,
                &p,
                last + chrono::Days::new(180),
                last + chrono::Days::new(180),
            );
            let o = o.unwrap();
            assert_eq!(o.key, format!("lapsing-{last}"));
            assert_eq!(
                (o.orders, o.interval_days, o.threshold_days),
                (Some(orders as u32), Some(None), Some(180))
            );
            assert_eq!(
                due(
                    &rule,
                    &p,
                    last + chrono::Days::new(179),
                    last + chrono::Days::new(179)
                ),
                None
            );
        }
        // No order at all (only calls): never lapsing.
        let p = person(&[], &[("2020-01-01", "call", "Hallo")]);
        assert!(daily(&rule, &p, "2026-01-01", 30, 0).is_empty());
        // max_days: silent longer than that is no more written to.
        let p = person_of(&every("2026-01-01", 30, 1));
        let rule = lapsing(1.5, 3, 180, Some(200));
        assert_eq!(daily(&rule, &p, "2026-06-30", 30, 0).len(), 21);
        // A higher min_orders makes a regular customer fall back.
        let p = person_of(&every("2025-01-01", 14, 5));
        assert_eq!(
            daily(&lapsing(1.5, 3, 180, None), &p, "2025-03-01", 1, 0).len(),
            0
        );
        let o = due(
            &lapsing(2.0, 3, 180, None),
            &p,
            d("2025-03-26"),
            d("2025-03-26"),
        )
        .unwrap();
        assert_eq!((o.threshold_days, o.days_silent), (Some(28), Some(28)));
        assert_eq!(
            due(
                &lapsing(1.5, 6, 180, None),
                &p,
                d("2025-03-26"),
                d("2025-03-26")
            ),
            None
        );
    }

    #[test]
    fn silence_never_contacted() {
        let rule = Rule::Silence { days: 365 };
        // No events at all, or only future ones: due on the run date.
        // customer_since is not contact.
        for events in [&[][..], &[("2026-12-01", "order", "Tisch")][..]] {
            let p = person(&[("customer_since", "2010-01-01")], events);
            let o = due(&rule, &p, d("2026-11-10"), d("2026-11-24")).unwrap();
            assert_eq!(o.event, None);
            assert_eq!(show(Some(o)), "silence-never 2026-11-10 -");
        }
    }

    #[test]
    fn unsorted_events_are_handled() {
        let mut p = person(&[], &[]);
        for (date, kind) in [
            ("2026-06-01", "call"),
            ("2026-12-01", "order"),
            ("2025-01-01", "order"),
        ] {
            p.events.push(Event {
                date: d(date),
                kind: kind.into(),
                summary: String::new(),
                line: 0,
                extra: IndexMap::new(),
            });
        }
        let o = due(
            &Rule::Silence { days: 30 },
            &p,
            d("2026-08-01"),
            d("2026-08-01"),
        );
        assert_eq!(show(o), "silence-2026-06-01 2026-08-01 -");
        let o = due(
            &Rule::Anniversary { every: None },
            &p,
            d("2026-01-01"),
            d("2026-01-01"),
        );
        assert_eq!(show(o), "anniversary-2026 2026-01-01 1");
    }

    #[test]
    fn empty_window_invalid_rules_and_extreme_values() {
        let p = person(
            &[("birthday", "1970-01-02")],
            &[("2026-01-01", "order", "")],
        );
        assert_eq!(
            due(&Rule::Birthday, &p, d("2027-01-03"), d("2027-01-01")),
            None
        );
        // Invalid rules are never due, and validate says why.
        for rule in [
            after("order", i64::MAX),
            after("order", -1),
            Rule::Silence { days: -1 },
        ] {
            assert_eq!(
                due(&rule, &p, d("2026-01-01"), d("2026-12-31")),
                None,
                "{rule:?}"
            );
            assert!(rule.validate().is_err(), "{rule:?}");
        }
        // The largest allowed values and the end of the calendar do not overflow.
        let far = after("order", MAX_RULE_DAYS);
        let o = due(&far, &p, d("2026-01-01"), NaiveDate::MAX).unwrap();
        assert_eq!(o.date, d("2126-03-18"));
        assert!(due(&Rule::Birthday, &p, NaiveDate::MAX, NaiveDate::MAX).is_none());
        assert!(due(
            &Rule::Silence {
                days: MAX_RULE_DAYS
            },
            &p,
            NaiveDate::MAX,
            NaiveDate::MAX
        )
        .is_some());
        assert!(due(&Rule::Birthday, &p, d("2026-01-01"), NaiveDate::MAX).is_some());
    }

    #[test]
    fn parse_window_accepts_units() {
        let ok = [
            ("14d", 14),
            ("2w", 14),
            ("1m", 30),
            ("0d", 0),
            ("14", 14),
            ("0", 0),
            (" 14 D ", 14),
            ("3 w", 21),
            ("12M", 360),
            ("3660d", MAX_WINDOW_DAYS),
        ];
        for (s, days) in ok {
            assert_eq!(parse_window(s), Ok(days), "{s:?}");
        }
        let bad = [
            "",
            "d",
            "-1d",
            "+3d",
            "1.5w",
            "14x",
            "14 days",
            "1y",
            "w2",
            "1 2d",
            "3661",
            "99999999999999999999",
        ];
        for s in bad {
            let err = parse_window(s).unwrap_err();
            assert!(err.contains(&format!("\"{s}\"")), "{s:?}: {err}");
        }
        assert!(parse_window("abc").unwrap_err().contains("\"14d\""));
        assert!(parse_window("400m").unwrap_err().contains("too long"));
    }

    #[derive(Debug, Deserialize)]
    struct Wrapper {
        occasion: Rule,
    }

    fn rule_from(toml_text: &str) -> Result<Rule, String> {
        toml::from_str::<Wrapper>(&format!("[occasion]\n{toml_text}"))
            .map(|w| w.occasion)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn rules_from_toml() {
        let cases = [
            (
                "kind = \"fixed\"\ndate = \"12-24\"\nname = \"christmas\"",
                fixed("12-24", Some("christmas")),
            ),
            (
                "kind = \"fixed\"\ndate = \"2026-12-24\"",
                fixed("2026-12-24", None),
            ),
            ("kind = \"birthday\"", Rule::Birthday),
            ("kind = \"anniversary\"", Rule::Anniversary { every: None }),
            (
                "kind = \"anniversary\"\nevery = 5",
                Rule::Anniversary { every: Some(5) },
            ),
            (
                "kind = \"after_event\"\nevent = \"order\"\ndays = 7",
                after("order", 7),
            ),
            (
                "kind = \"silence\"\ndays = 365",
                Rule::Silence { days: 365 },
            ),
            ("kind = \"lapsing\"", lapsing(1.5, 3, 180, None)),
            (
                "kind = \"lapsing\"\nmultiple = 2\nmin_orders = 4\ndays = 90\nmax_days = 730",
                lapsing(2.0, 4, 90, Some(730)),
            ),
        ];
        for (text, want) in cases {
            let rule = rule_from(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(rule, want);
            assert_eq!(rule.validate(), Ok(()), "{text:?}");
        }
        let bad = [
            "kind = \"easter\"",
            "kind = \"Birthday\"",
            "date = \"12-24\"",
            "kind = \"fixed\"",
            "kind = \"fixed\"\ndate = \"12-24\"\nnmae = \"christmas\"",
            "kind = \"fixed\"\ndate = 2026-12-24",
            "kind = \"birthday\"\ndays = 3",
            "kind = \"anniversary\"\nevery = \"5\"",
            "kind = \"anniversary\"\nyears = 5",
            "kind = \"after_event\"\nevent = \"order\"",
            "kind = \"after_event\"\nevent = \"order\"\ndays = 7\nwindow = \"14d\"",
            "kind = \"after_event\"\nevent = \"order\"\ndays = \"7d\"",
            "kind = \"silence\"",
            "kind = \"silence\"\ndays = 365\nevent = \"order\"",
            "kind = \"lapsing\"\nmultiple = \"1.5\"",
            "kind = \"lapsing\"\nfactor = 1.5",
            "kind = \"lapsing\"\nmin_orders = -3",
        ];
        for text in bad {
            assert!(rule_from(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn validate_reports_bad_values() {
        let bad = [
            fixed("12-32", None),
            fixed("2026-02-29", None),
            fixed("1224", None),
            fixed("", None),
            Rule::Anniversary { every: Some(0) },
            Rule::Anniversary { every: Some(-5) },
            after(" ", 7),
            after("order", -1),
            after("order", MAX_RULE_DAYS + 1),
            Rule::Silence { days: 0 },
            lapsing(0.5, 3, 180, None),
            lapsing(f64::NAN, 3, 180, None),
            lapsing(1.5, 2, 180, None),
            lapsing(1.5, 3, 0, None),
            lapsing(1.5, 3, 180, Some(90)),
        ];
        for rule in bad {
            let err = rule.validate().unwrap_err();
            assert!(err.starts_with("[occasion]"), "{rule:?}: {err}");
        }
        assert!(fixed("12-32", None)
            .validate()
            .unwrap_err()
            .contains("\"12-32\""));
        for rule in [
            fixed("02-29", None),
            fixed("--12-24", None),
            fixed("2028-02-29", None),
        ] {
            assert_eq!(rule.validate(), Ok(()), "{rule:?}");
        }
    }

    #[test]
    fn names_kinds_and_stable_keys() {
        let cases = [
            (fixed("12-24", Some("christmas")), "christmas", "fixed"),
            (fixed("12-24", None), "fixed", "fixed"),
            (Rule::Birthday, "birthday", "birthday"),
            (
                Rule::Anniversary { every: Some(5) },
                "anniversary",
                "anniversary",
            ),
            (after(" Order ", 7), "after_order", "after_event"),
            (Rule::Silence { days: 30 }, "silence", "silence"),
            (lapsing(1.5, 3, 180, None), "lapsing", "lapsing"),
        ];
        for (rule, name, kind) in cases {
            assert_eq!(
                (rule.name().as_str(), rule.kind().as_str()),
                (name, kind),
                "{rule:?}"
            );
        }
        // Every key starts with the rule's name, and an occurrence keeps its
        // key on every run date that sees it (daily runs, 14-day window).
        let p = person(
            &[("birthday", "1970-01-02"), ("customer_since", "2016-01-05")],
            &[("2026-12-20", "order", "Küche")],
        );
        let rules = [
            fixed("12-31", Some("silvester")),
            Rule::Birthday,
            Rule::Anniversary { every: None },
            after("order", 7),
            Rule::Silence { days: 14 },
            lapsing(1.5, 3, 14, None),
        ];
        for rule in &rules {
            let keys: Vec<String> = (0..14)
                .map(|i| d("2026-12-20") + chrono::Days::new(i))
                .filter_map(|from| due(rule, &p, from, from + chrono::Days::new(14)))
                .map(|o| o.key)
                .collect();
            assert!(keys.len() > 1, "{rule:?}: {keys:?}");
            assert!(keys.iter().all(|k| k == &keys[0]), "{rule:?}: {keys:?}");
            assert!(
                keys[0].starts_with(&format!("{}-", rule.name())),
                "{keys:?}"
            );
        }
    }

    #[test]
    fn occasion_serialises_dates_as_iso_text() {
        let p = person(&[], &[("2026-11-04", "order", "Küche")]);
        let o = due(&after("order", 7), &p, d("2026-11-11"), d("2026-11-11")).unwrap();
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            concat!(
                r#"{"kind":"after_event","key":"after_order-2026-11-04","date":"2026-11-11","#,
                r#""years":null,"event":{"date":"2026-11-04","kind":"order","summary":"Küche"}}"#
            )
        );
    }
}
