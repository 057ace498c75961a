//! A label sheet: every recipient composed, laid out together in one
//! document in print order; each keeps a manifest row of its own.

use super::{count_preflight, fail, row};
use crate::compose::{Label, Piece, Warning};
use crate::engine::{Engine, Failure, Unmade};
use crate::error::{Error, Result};
use crate::manifest::{ManifestRow, ManifestWriter, Status};
use crate::plan::Plan;
use crate::report::Report;
use crate::settings::Settings;
use crate::typeset::{Preflight, Typeset};
use crate::write;

/// Composes everyone, typesets the sheet, writes it and a row each.
pub(super) fn sheet(
    settings: &Settings,
    plan: &Plan,
    engine: &Engine,
    manifest: &mut ManifestWriter,
    report: &mut Report,
) -> Result<Vec<Status>> {
    let mut rows: Vec<ManifestRow> = plan
        .pieces
        .iter()
        .map(|p| row(settings, plan, p, &plan.person(p)))
        .collect();
    let mut composed: Vec<Option<Piece>> = Vec::with_capacity(plan.pieces.len());
    for (row, result) in rows.iter_mut().zip(engine.compose_all(plan)) {
        match result {
            Ok(piece) => {
                row.language = piece.lang.clone();
                composed.push(Some(piece));
            }
            Err(e) => {
                let why = e.into();
                let lang = String::new();
                fail(row, Unmade { lang, why }, report);
                composed.push(None);
            }
        }
    }
    let order = plan.print_order(settings.output.order, &settings.output.home_country);
    let on_sheet: Vec<usize> = (0..rows.len()).filter(|&i| composed[i].is_some()).collect();
    if let Some(sheet) = sheet_piece(&composed, &order) {
        match engine.typesetter.typeset(&sheet) {
            Ok(typeset) => {
                let file = plan.file(&plan.pieces[0]);
                let out = &settings.output.out_dir;
                let written = write::write_atomic(out, &file, &typeset.pdf)
                    .map_err(|e| format!("writing {}: {e}", out.join(&file).display()));
                let mut warnings = sheet.warnings.clone();
                warnings.extend(typeset.warnings.iter().cloned());
                let sha256 = write::sha256_hex(&typeset.pdf);
                let written = written.map(|_| (&typeset, sha256.as_str()));
                for &i in &on_sheet {
                    on_the_sheet(&mut rows[i], &written, &warnings, report);
                }
                for warning in &warnings {
                    report.piece_warnings.add(None, warning);
                }
            }
            Err(failed) => {
                for &i in &on_sheet {
                    let lang = rows[i].language.clone();
                    let why = Failure::Typeset(failed.clone());
                    fail(&mut rows[i], Unmade { lang, why }, report);
                }
            }
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let out = &settings.output.out_dir;
        manifest.row(i, row).map_err(|e| Error::io(out, e))?;
        count_preflight(report, row);
    }
    Ok(rows.iter().map(|r| r.status).collect())
}

/// The row of one recipient on the sheet: written (with the sheet's pages
/// and hash, and the warnings about this label), or failed with the sheet.
fn on_the_sheet(
    row: &mut ManifestRow,
    written: &std::result::Result<(&Typeset, &str), String>,
    warnings: &[Warning],
    report: &mut Report,
) {
    let (typeset, sha256) = match written {
        Ok(written) => *written,
        Err(e) => {
            let why = Failure::Write(e.clone());
            let lang = row.language.clone();
            return fail(row, Unmade { lang, why }, report);
        }
    };
    row.status = Status::Written;
    row.pages = Some(typeset.pages);
    row.sha256 = sha256.to_string();
    row.clearance_mm = typeset.clearance_mm.map(|c| (c * 10.0).round() / 10.0);
    let own = sheet_warnings(&row.id, warnings);
    row.preflight = Some(if own.is_empty() {
        Preflight::Ok
    } else {
        Preflight::Warn
    });
    row.warnings = own.join("; ");
    report.written += 1;
}

/// The warnings of one recipient on a sheet, as its manifest row shows them.
pub fn sheet_warnings(id: &str, warnings: &[Warning]) -> Vec<String> {
    warnings
        .iter()
        .filter(|w| w.recipient.as_deref() == Some(id))
        .map(Warning::with_recipient)
        .collect()
}

/// The sheet as one piece: the data of the first recipient in print order
/// (sender, theme, print) plus `labels`, every composed recipient in print
/// order; the compose warnings of all of them.
pub fn sheet_piece(composed: &[Option<Piece>], order: &[usize]) -> Option<Piece> {
    let in_order: Vec<&Piece> = order
        .iter()
        .filter_map(|&i| composed.get(i).and_then(Option::as_ref))
        .collect();
    let first = in_order.first()?;
    let mut model = first.model.clone();
    model.labels = Some(
        in_order
            .iter()
            .map(|p| Label {
                id: p.id.clone(),
                name: p.model.recipient.name.clone(),
                address: p.model.recipient.address.clone(),
                lang: p.lang.clone(),
            })
            .collect(),
    );
    Some(Piece {
        id: "sheet".into(),
        lang: first.lang.clone(),
        model,
        message: first.message.clone(),
        warnings: in_order
            .iter()
            .flat_map(|p| p.warnings.iter().cloned())
            .collect(),
        facts: 0,
        fingerprint: String::new(),
        address: String::new(),
        edited: false,
    })
}
