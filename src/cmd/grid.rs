//! `warmly render --test-grid`: only `test-grid.pdf` — the format's
//! outlines and rulers with the calibration applied, the sender from the
//! campaign and a sample from the first row, to check the printer on
//! plain paper before printing envelopes or labels.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::plan;
use crate::settings::Settings;
use crate::typeset::Checks;
use crate::write;

pub fn run(settings: &Settings) -> Result<u8> {
    let plan = plan::prepare(settings, &Mode::TestGrid)?;
    if !plan.template.manifest.test_grid {
        return Err(Error::config(format!(
            "template \"{}\" has no test grid",
            plan.template.name
        ))
        .with_hint("the built-in letter, envelope and labels templates have one"));
    }
    let mut engine = Engine::new(settings, &plan, Checks::default())?;
    engine.composer = engine.composer.for_test_grid();
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
    let out = &settings.output.out_dir;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let path =
        write::write_atomic(out, "test-grid.pdf", &typeset.pdf).map_err(|e| Error::io(out, e))?;
    let mut report = super::report(settings, &plan);
    report.left_out.clear();
    report.test_grid = Some(path);
    report.print(settings.run.quiet);
    Ok(report.exit_code())
}
