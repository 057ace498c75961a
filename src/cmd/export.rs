//! `warmly render --export-inputs DIR`: what the typesetter would get, one
//! folder per recipient (`data.json`, `campaign.json`, `message.typ`) — to
//! develop a template in the Typst app with real data, or to feed other
//! tools.

use std::path::Path;

use crate::compose::Composer;
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::plan;
use crate::report::FailedPiece;
use crate::settings::Settings;
use crate::write;

pub fn run(settings: &Settings, dir: &Path) -> Result<u8> {
    let plan = plan::prepare(settings, &Mode::ExportInputs(dir.to_path_buf()))?;
    let composer = Composer::new(&settings.compose, &plan.template)?
        .with_edits(plan.edits.clone())
        .with_scale(plan.scale.clone());
    let mut report = super::report(settings, &plan);
    report.out_dir = dir.to_path_buf();
    for planned in &plan.pieces {
        let person = plan.person(planned);
        let piece =
            match composer.compose_for(&person, &plan.household(planned), planned.due.occasion()) {
                Ok(piece) => piece,
                Err(e) => {
                    report.failed.push(FailedPiece {
                        id: person.id.clone(),
                        line: person.line,
                        reason: e.0,
                    });
                    continue;
                }
            };
        let file = plan.file(planned);
        let stem = file.strip_suffix(".pdf").unwrap_or(&file);
        let folder = dir.join(stem);
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let data = serde_json::to_vec_pretty(&piece.model).expect("the model is plain data");
        let campaign = crate::typeset::world::campaign_of(&data);
        for (name, bytes) in [
            ("data.json", data.as_slice()),
            ("campaign.json", campaign.as_slice()),
            ("message.typ", piece.message.as_bytes()),
        ] {
            write::write_atomic(&folder, name, bytes).map_err(|e| Error::io(&folder, e))?;
        }
        for warning in &piece.warnings {
            report.piece_warnings.add(Some(&piece.id), warning);
        }
        report.written += 1;
    }
    report.print(settings.run.quiet);
    Ok(report.exit_code())
}
