//! What a template sees of a person: `person` (every column plus a few
//! derived facts) and `history` (an object with questions about the
//! person's events, answered relative to the run date).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use minijinja::value::{from_args, Enumerator, Object, ObjectExt, Value};
use minijinja::{Error, ErrorKind, State};

use crate::date::parse_date;
use crate::insights::{Params, Profile};
use crate::model::{Event, Person};

/// Full years from `from` to `to` (birthday arithmetic; 0 if `to` is earlier).
pub fn years_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = (to.year() - from.year()) as i64;
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years.max(0)
}

/// The history facts a text used while it was rendered: non-empty history
/// questions (`last(project)`) and the derived customer facts (`years`,
/// `since`, `first_year`). A text that uses none is generic.
#[derive(Debug, Default)]
pub struct FactLog(std::sync::Mutex<std::collections::BTreeSet<String>>);

impl FactLog {
    pub fn record(&self, fact: impl Into<String>) {
        if let Ok(mut set) = self.0.lock() {
            set.insert(fact.into());
        }
    }

    pub fn count(&self) -> usize {
        self.0.lock().map(|s| s.len()).unwrap_or(0)
    }
}

/// The person as a template object: its map, and a note in the fact log
/// whenever a history-derived field is read.
#[derive(Debug)]
struct PersonObject {
    map: indexmap::IndexMap<String, Value>,
    log: Arc<FactLog>,
}

const DERIVED_FACTS: [&str; 6] = ["since", "years", "first_year", "segment", "rfm", "rhythm"];

impl Object for PersonObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let value = self.map.get(key)?.clone();
        // `first_year` false or `years` 0 tells the reader nothing.
        if DERIVED_FACTS.contains(&key) && value.is_true() {
            self.log.record(format!("person.{key}"));
        }
        Some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_enumerator(|this| {
            Box::new(
                this.map
                    .keys()
                    .map(|k| Value::from(k.as_str()))
                    .collect::<Vec<_>>()
                    .into_iter(),
            )
        })
    }
}

/// A map value with keys in insertion order.
pub fn map_value<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
    Value::from_object(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::from(k.into()), v))
            .collect::<indexmap::IndexMap<Value, Value>>(),
    )
}

/// The person as a template value: all columns, plus `name`, `is_company`,
/// `du` (a du / first-name relationship),
/// `since` (customer since, else first event), `years` (full years since)
/// and `first_year` (a customer for less than a year); with `insight`
/// (the run has a history) `segment`, `rfm` and `rhythm` (see
/// [`insight_values`]).
pub fn person_value(
    person: &Person,
    run_date: NaiveDate,
    insight: Option<(Option<Profile>, &Params)>,
    log: Arc<FactLog>,
) -> Value {
    let mut map: indexmap::IndexMap<String, Value> = person
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    map.insert("name".into(), Value::from(person.display_name()));
    map.insert("is_company".into(), Value::from(person.is_company_only()));
    // du / first name, from the formality column in any of its spellings.
    map.insert(
        "du".into(),
        Value::from(crate::lang::salutation::is_informal(person)),
    );
    let since =
        parse_date(person.get("customer_since")).or_else(|| person.events.first().map(|e| e.date));
    match since {
        Some(since) => {
            let years = years_between(since, run_date);
            map.insert("since".into(), Value::from(since.to_string()));
            map.insert("years".into(), Value::from(years));
            map.insert("first_year".into(), Value::from(years == 0));
        }
        None => {
            map.insert("since".into(), Value::from(()));
            map.insert("years".into(), Value::from(0));
            map.insert("first_year".into(), Value::from(true));
        }
    }
    if let Some((profile, params)) = insight {
        for (key, value) in insight_values(profile.as_ref(), params) {
            // A column of the people file by that name stays the column.
            map.entry(key.into()).or_insert(value);
        }
    }
    Value::from_object(PersonObject { map, log })
}

/// What insights see of a person, for texts and `[select] where` (all
/// none for a person without an order):
///
/// - `segment`: `champions`, `loyal`, `new`, `at_risk`, `cant_lose`,
///   `hibernating` or `lost`;
/// - `rfm`: `{ r, f, m, code: "R1 F3 M2", segment, label: "can't lose" }`;
/// - `rhythm`: `{ orders, first_order, last_order, interval_days,
///   spread_days, days_silent, threshold_days, lapsing, total, average }`
///   (`interval_days` and `spread_days` none with too few orders).
pub fn insight_values(profile: Option<&Profile>, params: &Params) -> [(&'static str, Value); 3] {
    let none = || Value::from(());
    let Some(p) = profile else {
        return [("segment", none()), ("rfm", none()), ("rhythm", none())];
    };
    let r = &p.rhythm;
    let rfm = map_value([
        ("r", Value::from(p.scores.r)),
        ("f", Value::from(p.scores.f)),
        ("m", Value::from(p.scores.m)),
        ("code", Value::from(p.scores.to_string())),
        ("segment", Value::from(p.segment.as_str())),
        ("label", Value::from(p.segment.label())),
    ]);
    let rhythm = map_value([
        ("orders", Value::from(r.orders)),
        ("first_order", Value::from(r.first.to_string())),
        ("last_order", Value::from(r.last.to_string())),
        (
            "interval_days",
            r.interval
                .map_or_else(none, |i| Value::from(i.median.round() as i64)),
        ),
        (
            "spread_days",
            r.interval
                .map_or_else(none, |i| Value::from(i.spread.round() as i64)),
        ),
        ("days_silent", Value::from(r.days_silent)),
        ("threshold_days", Value::from(r.threshold(params))),
        ("lapsing", Value::from(r.is_lapsing(params))),
        ("total", Value::from(r.total)),
        ("average", r.average().map_or_else(none, Value::from)),
    ]);
    [
        ("segment", Value::from(p.segment.as_str())),
        ("rfm", rfm),
        ("rhythm", rhythm),
    ]
}

/// An event as a template value: `date` (ISO), `kind`, `summary`, `year`,
/// `month`, `days_ago`, and its other columns (`amount`, `product`, …).
fn event_value(event: &Event, run_date: NaiveDate) -> Value {
    let mut map: indexmap::IndexMap<String, Value> = indexmap::IndexMap::new();
    map.insert("date".into(), Value::from(event.date.to_string()));
    map.insert("kind".into(), Value::from(event.kind.as_str()));
    map.insert("summary".into(), Value::from(event.summary.as_str()));
    map.insert("year".into(), Value::from(event.date.year()));
    map.insert("month".into(), Value::from(event.date.month()));
    map.insert(
        "days_ago".into(),
        Value::from((run_date - event.date).num_days()),
    );
    for (k, v) in &event.extra {
        map.entry(k.clone())
            .or_insert_with(|| Value::from(v.as_str()));
    }
    map_value(map)
}

/// The `history` object. Only events up to the run date count: the future
/// has not happened yet when the card is written.
#[derive(Debug)]
pub struct History {
    events: Vec<(Event, Value)>,
    run_date: NaiveDate,
    log: Arc<FactLog>,
}

impl History {
    pub fn new(person: &Person, run_date: NaiveDate, log: Arc<FactLog>) -> History {
        let events = person
            .events
            .iter()
            .filter(|e| e.date <= run_date)
            .map(|e| (e.clone(), event_value(e, run_date)))
            .collect();
        History {
            events,
            run_date,
            log,
        }
    }

    fn of_kind<'a>(
        &'a self,
        kind: Option<&'a str>,
    ) -> impl DoubleEndedIterator<Item = &'a (Event, Value)> + 'a {
        self.events
            .iter()
            .filter(move |(e, _)| kind.is_none_or(|k| e.kind.eq_ignore_ascii_case(k)))
    }
}

impl Object for History {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "all" => {
                if !self.events.is_empty() {
                    self.log.record("history.all");
                }
                Some(self.events.iter().map(|(_, v)| v.clone()).collect())
            }
            "count" => Some(Value::from(self.events.len())),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["all", "count"])
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let answer = self.answer(method, args)?;
        // A question with a non-empty answer is a fact the text can use.
        let empty = answer.is_none()
            || answer.len() == Some(0)
            || answer.as_i64() == Some(0)
            || f64::try_from(answer.clone()).is_ok_and(|f| f == 0.0);
        if !empty {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            self.log
                .record(format!("history.{method}({})", args.join(", ")));
        }
        Ok(answer)
    }
}

impl History {
    fn answer(&self, method: &str, args: &[Value]) -> Result<Value, Error> {
        let list = |it: &mut dyn Iterator<Item = &(Event, Value)>| -> Value {
            it.map(|(_, v)| v.clone()).collect()
        };
        match method {
            // history.of("order") → every order, oldest first
            "of" | "events" => {
                let (kind,): (Option<&str>,) = from_args(args)?;
                Ok(list(&mut self.of_kind(kind)))
            }
            // history.last("project") → the latest project, or none
            "last" => {
                let (kind,): (Option<&str>,) = from_args(args)?;
                Ok(self.of_kind(kind).next_back().map(|(_, v)| v.clone()).unwrap_or(Value::from(())))
            }
            "first" => {
                let (kind,): (Option<&str>,) = from_args(args)?;
                Ok(self.of_kind(kind).next().map(|(_, v)| v.clone()).unwrap_or(Value::from(())))
            }
            "count_of" => {
                let (kind,): (Option<&str>,) = from_args(args)?;
                Ok(Value::from(self.of_kind(kind).count()))
            }
            // history.this_year("project") → events of the run date's year
            "this_year" => {
                let (kind,): (Option<&str>,) = from_args(args)?;
                let year = self.run_date.year();
                Ok(list(&mut self.of_kind(kind).filter(|(e, _)| e.date.year() == year)))
            }
            // history.within_days(30, "order") → events of the last 30 days
            "within_days" => {
                let (days, kind): (i64, Option<&str>) = from_args(args)?;
                let from = self.run_date - chrono::Duration::days(days);
                Ok(list(&mut self.of_kind(kind).filter(|(e, _)| e.date >= from)))
            }
            // history.sum("amount", "order") → total of a numeric column
            "sum" => {
                let (field, kind): (&str, Option<&str>) = from_args(args)?;
                let total: f64 = self
                    .of_kind(kind)
                    .filter_map(|(e, _)| e.extra.get(field).and_then(|v| parse_number(v)))
                    .sum();
                Ok(Value::from(total))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!(
                    "history has no method \"{method}\" (known: of, last, first, count_of, this_year, within_days, sum)"
                ),
            )),
        }
    }
}

/// Numbers as offices write them: `1234.50`, `1.234,50`, `1,234.50`,
/// `€ 89` (one reader for texts and insights alike).
fn parse_number(s: &str) -> Option<f64> {
    crate::insights::parse_amount(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_years() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(years_between(d(2016, 12, 2), d(2026, 12, 1)), 9);
        assert_eq!(years_between(d(2016, 12, 1), d(2026, 12, 1)), 10);
        assert_eq!(years_between(d(2027, 1, 1), d(2026, 12, 1)), 0);
    }

    #[test]
    fn numbers_in_both_notations() {
        assert_eq!(parse_number("1234.50"), Some(1234.5));
        assert_eq!(parse_number("1.234,50 €"), Some(1234.5));
        assert_eq!(parse_number("1,234.50"), Some(1234.5));
        assert_eq!(parse_number("€ 89"), Some(89.0));
        assert_eq!(parse_number(""), None);
    }
}
