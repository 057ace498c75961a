//! `warmly preview CAMPAIGN --id K-1001`: PNG images of one recipient's
//! pages, rendered by typst-render from the very document a render would
//! print — also when the ledger says the piece was already produced.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::plan;
use crate::write;

pub fn run(config: &Config, id: &str, ppi: f32) -> Result<u8> {
    let plan = plan::prepare(config)?;
    let Some(planned) = plan.pieces.iter().find(|p| plan.person(p).id == id) else {
        let known = plan.persons.iter().any(|p| p.id == id);
        return Err(if known {
            Error::config(format!(
                "{id} is not a recipient of this run (opted out, not selected by [select], or no occasion due on {})",
                config.date
            ))
            .with_hint("`warmly check` and `warmly due` say why; --date moves the run date")
        } else {
            Error::config(format!(
                "no person with id \"{id}\" in {}",
                config.people.display()
            ))
            .with_hint("ids are in the first column of `warmly check`'s output and in manifest.csv")
        });
    };
    let engine = super::engine(config, &plan, Some(ppi))?;
    let piece = engine.compose(&plan, planned).map_err(|e| {
        Error::config(format!("{id}: {}", e.0))
            .with_hint("fix the message template; nothing was written")
    })?;
    let typeset = engine
        .typesetter
        .typeset(&piece)
        .map_err(|e| Error::config(format!("{id}: {e}")))?;
    let mut report = super::report(config, &plan);
    report.recipients = 1;
    let dir = config.out_dir.join("preview");
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
    report.print(config.quiet);
    Ok(report.exit_code())
}
