//! Stage 2, select: which persons receive a piece in this run.
//!
//! A person is left out when they opted out, or when the campaign's
//! `[select] where` expression is false for them. Errors in the expression
//! are configuration errors: they stop the run before anything is written.

use crate::compose::{describe, Composer};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Person;

/// The outcome of selection, for the run and its report.
#[derive(Debug, Default)]
pub struct Selection<'p> {
    pub recipients: Vec<&'p Person>,
    /// Ids of persons who do not want mail.
    pub opted_out: Vec<String>,
    /// How many did not match the `where` expression.
    pub not_matching: usize,
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
        selection.recipients.push(person);
    }
    Ok(selection)
}
