//! What minijinja sees: one environment (filters, functions, escaping into
//! inert Typst strings) and one context per person (`person`, `history`,
//! `sender`, `occasion`, …). Select evaluates the campaign's `where`
//! expression in it and compose renders the messages and texts in it, so
//! both see the same person the same way.

pub mod env;
pub mod history;

use std::sync::Arc;

use chrono::NaiveDate;
use indexmap::IndexMap;
use minijinja::value::Value;

use crate::insights::{Profile, Scale};
use crate::model::{join_nonempty, Person};
use crate::occasion::Occasion;
pub use env::{environment, typst_string, PLAIN_PREFIX};
pub use history::FactLog;

/// What every person's context of a run shares: the run date, the campaign
/// and the sender as texts see it.
pub struct Scope {
    pub date: NaiveDate,
    pub campaign: String,
    /// The campaign's sender with its country (default: the home country)
    /// and a `return_line` built from its address when it has none.
    pub sender: IndexMap<String, String>,
    /// What a person's segment is measured against (none without a
    /// history): `person.segment`, `person.rfm`, `person.rhythm`.
    pub scale: Option<Arc<Scale>>,
}

impl Scope {
    pub fn new(date: NaiveDate, campaign: &str, sender: &IndexMap<String, String>) -> Scope {
        let mut sender = sender.clone();
        sender
            .entry("country".into())
            .or_insert_with(|| crate::settings::DEFAULT_COUNTRY.into());
        if !sender.contains_key("return_line") {
            let field = |k: &str| sender.get(k).map(String::as_str).unwrap_or("");
            let place = join_nonempty(&[field("postal_code"), field("city")]);
            let parts: Vec<&str> = [field("company"), field("street"), place.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            let line = parts.join(" · ");
            sender.insert("return_line".into(), line);
        }
        Scope {
            date,
            campaign: campaign.to_string(),
            sender,
            scale: None,
        }
    }

    /// The scope with the run's scale, so texts and `where` see segments.
    pub fn with_scale(mut self, scale: Option<Arc<Scale>>) -> Scope {
        self.scale = scale;
        self
    }

    /// A person's rhythm, scores and segment (none without an order or
    /// without a history).
    pub fn profile(&self, person: &Person) -> Option<Profile> {
        self.scale.as_ref()?.profile(&person.events)
    }

    /// The context for one person: `person`, `history`, `sender`, `lang`,
    /// `today`, `campaign`, `salutation`, `closing`, `occasion` (none for
    /// campaigns without one), `link` (the personal URL; none without
    /// `[links]`). History facts the texts read land in `log`.
    pub fn context(&self, person: &Person, words: &Words, log: Arc<FactLog>) -> Value {
        self.household_context(person, &[], words, log)
    }

    /// [`Scope::context`] for a piece that goes to a household: `person` is
    /// the first member (with the history of all), `household` is
    /// `{ name, members, size }` — none for one person.
    pub fn household_context(
        &self,
        person: &Person,
        members: &[Person],
        words: &Words,
        log: Arc<FactLog>,
    ) -> Value {
        let mut ctx: IndexMap<String, Value> = IndexMap::new();
        let household = match (members, &words.household_name) {
            ([_, _, ..], Some(name)) => history::map_value([
                ("name", Value::from(name.as_str())),
                ("size", Value::from(members.len())),
                (
                    "members",
                    Value::from(
                        members
                            .iter()
                            .map(|m| self.person_value(m, log.clone()))
                            .collect::<Vec<_>>(),
                    ),
                ),
            ]),
            _ => Value::from(()),
        };
        ctx.insert("household".into(), household);
        ctx.insert("person".into(), self.person_value(person, log.clone()));
        ctx.insert(
            "history".into(),
            Value::from_object(history::History::new(person, self.date, log)),
        );
        ctx.insert(
            "sender".into(),
            history::map_value(
                self.sender
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str()))),
            ),
        );
        ctx.insert("lang".into(), Value::from(words.lang.as_str()));
        ctx.insert("today".into(), Value::from(self.date.to_string()));
        ctx.insert("campaign".into(), Value::from(self.campaign.as_str()));
        ctx.insert("salutation".into(), Value::from(words.salutation.as_str()));
        ctx.insert("closing".into(), Value::from(words.closing.as_str()));
        ctx.insert(
            "occasion".into(),
            words
                .occasion
                .map(|o| Value::from(minijinja::value::Serde(o)))
                .unwrap_or(Value::from(())),
        );
        ctx.insert(
            "link".into(),
            words
                .link
                .as_deref()
                .map(Value::from)
                .unwrap_or(Value::from(())),
        );
        history::map_value(ctx)
    }
}

impl Scope {
    /// `person` in a context: the columns, the derived facts and what
    /// insights see in the history.
    fn person_value(&self, person: &Person, log: Arc<FactLog>) -> Value {
        let insight = self
            .scale
            .as_deref()
            .map(|scale| (scale.profile(&person.events), &scale.params));
        history::person_value(person, self.date, insight, log)
    }
}

/// The per-person words a context carries besides the person.
pub struct Words<'o> {
    pub lang: String,
    /// A household's joint name ("Anna und Peter Müller"); none for one person.
    pub household_name: Option<String>,
    pub salutation: String,
    pub closing: String,
    pub occasion: Option<&'o Occasion>,
    /// The personal URL (`[links]`), set by compose.
    pub link: Option<String>,
}

impl<'o> Words<'o> {
    /// Salutation and closing computed by the language rules.
    pub fn new(
        person: &Person,
        lang: &str,
        closing_style: &str,
        occasion: Option<&'o Occasion>,
    ) -> Self {
        Words {
            lang: lang.to_string(),
            household_name: None,
            salutation: crate::lang::salutation::salutation_line(person, lang),
            closing: crate::lang::salutation::closing(person, lang, closing_style),
            occasion,
            link: None,
        }
    }
}

/// "message.de.j2:3: undefined value (person.frist_name)".
pub fn describe(e: &minijinja::Error) -> String {
    describe_in(e, None)
}

/// The variables every message and text sees.
pub const CONTEXT_KEYS: [&str; 11] = [
    "household",
    "person",
    "history",
    "sender",
    "lang",
    "today",
    "campaign",
    "salutation",
    "closing",
    "occasion",
    "link",
];

/// Like [`describe`], and with the template's source at hand an undefined
/// value names the expression and why it is undefined:
/// "card/message.de.j2:15: undefined value: order.product — the history has
/// no column \"product\" (write `order.product | default(\"\")` …)".
pub fn describe_in(e: &minijinja::Error, source: Option<&str>) -> String {
    let expr = source
        .zip(e.range())
        .and_then(|(src, range)| src.get(range))
        .map(str::trim)
        .filter(|x| !x.is_empty());
    match (e.kind(), expr) {
        // minijinja says "engine ran out of fuel": words for the person who
        // wrote the loop.
        (minijinja::ErrorKind::OutOfFuel, _) => {
            let mut s = location(e);
            s.push_str(&format!(
                "the message did not finish — a loop over too many items? \
                 (warmly stops a message after {} steps; loop over fewer, \
                 e.g. `history.all[:10]`)",
                env::FUEL
            ));
            s
        }
        (minijinja::ErrorKind::UndefinedError, Some(expr)) => {
            let mut s = location(e);
            s.push_str(&format!(
                "undefined value: {expr} — {}",
                why_undefined(expr)
            ));
            s
        }
        _ => {
            let mut s = location(e);
            s.push_str(&e.kind().to_string());
            if let Some(detail) = e.detail() {
                s.push_str(&format!(": {detail}"));
            }
            s
        }
    }
}

fn location(e: &minijinja::Error) -> String {
    let mut s = String::new();
    if let Some(name) = e.name() {
        s.push_str(name);
        if let Some(line) = e.line() {
            s.push_str(&format!(":{line}"));
        }
        s.push_str(": ");
    }
    s
}

/// Why `expr` (as written in the template) is undefined, judged by its
/// shape: a bare name is not a variable; `person.x`, `sender.x` and
/// `occasion.x` lack a field; anything else with a field is an event of the
/// history (a loop variable or a `set` from a history question).
fn why_undefined(expr: &str) -> String {
    let path: Vec<&str> = expr.split('.').map(str::trim).collect();
    let is_path = path
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !is_path {
        return "a value in it is not defined (write `x | default(\"\")` or test `x is defined`)"
            .into();
    }
    let field = path[path.len() - 1];
    let hint = format!("write `{expr} | default(\"\")` or test `{expr} is defined`");
    match path.as_slice() {
        [name] => format!(
            "there is no variable \"{name}\" (there are {}; or `set` it first)",
            CONTEXT_KEYS.join(", ")
        ),
        ["person", "segment" | "rfm" | "rhythm", ..] => format!(
            "warmly reads it from the orders in the history, and this run has none \
             (name the history under [data]; {hint})"
        ),
        ["person", ..] => format!("the people file has no column \"{field}\" ({hint})"),
        ["sender", ..] => format!("the campaign's [sender] has no \"{field}\" ({hint})"),
        ["occasion", ..] => format!("the occasion has no \"{field}\" ({hint})"),
        _ => format!("the history has no column \"{field}\" ({hint})"),
    }
}
