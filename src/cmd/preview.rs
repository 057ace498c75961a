//! `warmly preview CAMPAIGN --id K-1001`: PNG images of one recipient's
//! pages, rendered by typst-render from the very document a render would
//! print — also when the ledger says the piece was already produced.

use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::plan;
use crate::settings::Settings;
use crate::write;

pub fn run(settings: &Settings, id: &str, ppi: f32) -> Result<u8> {
    let mode = Mode::Preview {
        id: id.to_string(),
        ppi,
    };
    let plan = plan::prepare(settings, &mode)?;
    let Some(planned) = plan.pieces.iter().find(|p| plan.person(p).id == id) else {
        let known = plan.persons.iter().any(|p| p.id == id);
        return Err(if known {
            Error::config(format!(
                "{id} is not a recipient of this run (opted out, not selected by [select], or no occasion due on {})",
                settings.run.date
            ))
            .with_hint("`warmly check` and `warmly due` say why; --date moves the run date")
        } else {
            Error::config(format!(
                "no person with id \"{id}\" in {}",
                settings.load.people.display()
            ))
            .with_hint("ids are in the first column of `warmly check`'s output and in manifest.csv")
        });
    };
    let engine = super::engine(settings, &plan, Some(ppi))?;
    let piece = engine.compose(&plan, planned).map_err(|e| {
        Error::config(format!("{id}: {}", e.0))
            .with_hint("fix the message template; nothing was written")
    })?;
    let typeset = engine
        .typesetter
        .typeset(&piece)
        .map_err(|e| Error::config(format!("{id}: {e}")))?;
    let mut report = super::report(settings, &plan);
    report.recipients = 1;
    let dir = settings.output.out_dir.join("preview");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let file = plan.file(planned);
    let stem = file.trim_end_matches(".pdf");
    for (page, png) in typeset.images.iter().enumerate() {
        let name = format!("{stem}-{}.png", page + 1);
        report
            .proofs
            .push(write::write_atomic(&dir, &name, png).map_err(|e| Error::io(&dir, e))?);
    }
    for warning in &typeset.warnings {
        report.piece_warnings.add(Some(id), warning);
    }
    report.written = 1;
    report.print(settings.run.quiet);
    Ok(report.exit_code())
}
