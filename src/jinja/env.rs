//! The minijinja environment shared by messages, texts and selection
//! expressions: strict about undefined values, and escaping every value
//! printed into a message so that data can never become Typst code.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use minijinja::value::Value;
use minijinja::{
    escape_formatter, AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior,
};

use super::history::years_between;
use crate::date::parse_date;
use crate::lang;

/// Templates whose names start with this render plain text (they go into
/// JSON, which Typst reads as inert strings); all others render Typst markup.
pub const PLAIN_PREFIX: &str = "text:";

/// Upper bound of work per render, so a runaway loop in a staff-edited
/// message stops with an error instead of hanging a scheduled run.
pub const FUEL: u64 = 200_000;

/// Builds the environment with warmly's filters and functions for a run date.
pub fn environment(run_date: NaiveDate) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Block tags on their own lines leave no blank lines behind.
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.set_fuel(Some(FUEL));
    env.set_debug(false);
    env.set_auto_escape_callback(|name| {
        if name.starts_with(PLAIN_PREFIX) {
            AutoEscape::None
        } else {
            AutoEscape::Custom("typst".into())
        }
    });
    env.set_formatter(|out, state, value| match state.auto_escape() {
        AutoEscape::Custom(name) if name == "typst" => {
            if value.is_safe() {
                write!(out, "{value}").map_err(Error::from)
            } else {
                out.write_char('#')?;
                typst_string(out, &value.to_string())?;
                out.write_char(';').map_err(Error::from)
            }
        }
        _ => escape_formatter(out, state, value),
    });

    add_filters(&mut env);
    add_functions(&mut env, run_date);
    env
}

/// The filters texts use: dates, numbers and money in the piece's language.
fn add_filters(env: &mut Environment<'static>) {
    // {{ event.date | date }}, {{ event.date | date("month") }}
    env.add_filter("date", move |state: &State, value: Value, style: Option<&str>| -> Result<String, Error> {
        let date = to_date(&value)?;
        let lang = current_lang(state);
        let style = style.unwrap_or("long");
        lang::format_date(&lang, date, style).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("unknown date style \"{style}\" (long, month, month_year, day_month, year, short, iso)"),
            )
        })
    });
    // {{ person.years | words }} → "zehn" / "ten"
    env.add_filter("words", |state: &State, n: i64| {
        lang::number_word(&current_lang(state), n)
    });
    // {{ occasion.years | ordinal }} → "21st" / "21." / "21e"
    env.add_filter("ordinal", |state: &State, n: i64| {
        lang::ordinal(&current_lang(state), n)
    });
    // {{ 1234.5 | money }} → "1.234,50 €" / "€1,234.50"
    env.add_filter("money", |state: &State, amount: f64| {
        money(&current_lang(state), amount)
    });
    // `first`/`last` of an empty list give none instead of undefined, so
    // `{% if (history.this_year("project") | last) %}` works in strict mode.
    env.add_filter("first", |seq: Vec<Value>| {
        seq.into_iter().next().unwrap_or(Value::from(()))
    });
    env.add_filter("last", |seq: Vec<Value>| {
        seq.into_iter().next_back().unwrap_or(Value::from(()))
    });
}

/// The functions texts use: time since a date, counted from the run date.
fn add_functions(env: &mut Environment<'static>, run_date: NaiveDate) {
    env.add_function("years_since", move |value: Value| -> Result<i64, Error> {
        Ok(years_between(to_date(&value)?, run_date))
    });
    env.add_function("months_since", move |value: Value| -> Result<i64, Error> {
        let from = to_date(&value)?;
        let mut months = (run_date.year() - from.year()) as i64 * 12 + run_date.month() as i64
            - from.month() as i64;
        if run_date.day() < from.day() {
            months -= 1;
        }
        Ok(months.max(0))
    });
    env.add_function("days_since", move |value: Value| -> Result<i64, Error> {
        Ok((run_date - to_date(&value)?).num_days())
    });
}

fn current_lang(state: &State) -> String {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "en".into())
}

fn to_date(value: &Value) -> Result<NaiveDate, Error> {
    let text = value.as_str().unwrap_or_default();
    parse_date(text).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("\"{value}\" is not a date (expected YYYY-MM-DD)"),
        )
    })
}

fn money(lang: &str, amount: f64) -> String {
    let cents = (amount * 100.0).round() as i64;
    let (whole, frac) = (cents.abs() / 100, cents.abs() % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    let sep = if lang == "de" { '.' } else { ',' };
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    match lang {
        "de" | "fr" => format!("{sign}{grouped},{frac:02}\u{a0}€"),
        _ => format!("{sign}€{grouped}.{frac:02}"),
    }
}

/// Writes `s` as a Typst string literal. Shown in markup as `#"…";` it is
/// inert text: no markup, no code, no smart quotes. The trailing `;` ends
/// the embedded expression so a following `(` or `[` cannot extend it.
pub fn typst_string(out: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '\\' => out.write_str("\\\\")?,
            '"' => out.write_str("\\\"")?,
            '\n' => out.write_str("\\n")?,
            '\r' => {}
            '\t' => out.write_str("\\t")?,
            c if c.is_control() => write!(out, "\\u{{{:x}}}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_inert_typst_strings() {
        let env = environment(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let out = env
            .render_str(
                "Hallo {{ name }}!",
                minijinja::context! { name => "#set page(width: 1cm) \"x\" \\" },
            )
            .unwrap();
        assert_eq!(out, "Hallo #\"#set page(width: 1cm) \\\"x\\\" \\\\\";!");
    }

    #[test]
    fn a_runaway_loop_says_so_with_its_file_and_line() {
        let mut env = environment(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        env.add_template(
            "card/message.de.j2",
            "Hallo!\n{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}",
        )
        .unwrap();
        let err = env
            .get_template("card/message.de.j2")
            .unwrap()
            .render(minijinja::context! {})
            .unwrap_err();
        let text = crate::jinja::describe(&err);
        assert!(
            text.starts_with(
                "card/message.de.j2:2: the message did not finish — a loop over too many items?"
            ),
            "{text}"
        );
    }

    #[test]
    fn undefined_fields_are_errors() {
        let env = environment(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let err = env.render_str(
            "{{ person.frist_name }}",
            minijinja::context! { person => minijinja::context! { first_name => "A" } },
        );
        assert!(err.is_err());
    }

    #[test]
    fn dates_and_money_follow_the_language() {
        let env = environment(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let out = env
            .render_str(
                "{{ d | date }} / {{ d | date('month') }} / {{ 1234.5 | money }} / {{ 10 | words }} / {{ years_since('2016-11-30') }} / {{ months_since('2026-05-14') }}",
                minijinja::context! { d => "2026-05-14", lang => "de" },
            )
            .unwrap();
        assert_eq!(
            out,
            "#\"14. Mai 2026\"; / #\"Mai\"; / #\"1.234,50\u{a0}€\"; / #\"zehn\"; / #\"10\"; / #\"6\";"
        );
    }
}
