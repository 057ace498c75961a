//! `warmly render --test-grid`: only `test-grid.pdf` — the format's
//! outlines and rulers with the calibration applied, the sender from the
//! campaign and a sample from the first row, to check the printer on
//! plain paper before printing envelopes or labels.

use crate::config::Config;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::plan;
use crate::typeset::Checks;
use crate::write;

pub fn run(config: &Config) -> Result<u8> {
    let plan = plan::prepare(config)?;
    if !plan.template.manifest.test_grid {
        return Err(Error::config(format!(
            "template \"{}\" has no test grid",
            plan.template.name
        ))
        .with_hint("the built-in letter, envelope and labels templates have one"));
    }
    let engine = Engine::new(config, &plan, Checks::default())?;
    let person = (!plan.persons.is_empty())
        .then(|| plan.persons.get(0))
        .ok_or_else(|| {
            Error::config("the people file has no rows").with_hint(
                "the test grid takes the sender from the campaign and a sample from the first row",
            )
        })?;
    let mut piece = engine
        .composer
        .compose(&person, None)
        .map_err(|e| Error::config(format!("composing the test grid: {}", e.0)))?;
    piece.model.labels = Some(Vec::new());
    let typeset = engine
        .typesetter
        .typeset(&piece)
        .map_err(|e| Error::config(format!("the test grid: {e}")))?;
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    let path = write::write_atomic(&config.out_dir, "test-grid.pdf", &typeset.pdf)
        .map_err(|e| Error::io(&config.out_dir, e))?;
    let mut report = super::report(config, &plan);
    report.left_out.clear();
    report.test_grid = Some(path);
    report.print(config.quiet);
    Ok(report.exit_code())
}
