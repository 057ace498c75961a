//! The last stage of `warmly proof` and `warmly preview`: instead of
//! writing the pieces, show them. A proof is one PDF with a thumbnail of
//! every page of every piece and what the preflight found, for sign-off
//! before printing; a preview is one recipient's pages as PNG images. Both
//! render through typst-render, so they show exactly what would be printed.

use std::collections::BTreeMap;

use serde_json::json;

use crate::compose::Piece;
use crate::config::{Config, Sink};
use crate::error::{Error, Result};
use crate::run::{sheet_warnings, Failure, Job, Report};
use crate::template::{Manifest, Template};
use crate::typeset::{Typeset, Typesetter};
use crate::write::{self, ManifestRow};

/// Thumbnails in proofs: 60 ppi keeps a 1 000-piece proof small and still
/// shows every line of an address.
pub const THUMBNAIL_PPI: f32 = 60.0;

/// Previews default to a resolution that shows type clearly on screen.
pub const PREVIEW_PPI: f32 = 110.0;

/// Writes the proof sheet or the preview images for typeset `results`
/// (row index, outcome), already in print order.
pub(crate) fn finish(
    config: &Config,
    template: &Template,
    rows: &[ManifestRow],
    jobs: &[Job],
    results: Vec<(usize, Result<Typeset, String>)>,
    sheet: bool,
    mut report: Report,
) -> Result<Report> {
    let job_of: BTreeMap<usize, &Job> = jobs.iter().map(|j| (j.row, j)).collect();
    match &config.sink {
        Sink::Preview { id, .. } => {
            let row = rows
                .iter()
                .position(|r| r.id == *id)
                .expect("a preview has its recipient");
            let (_, result) = results.into_iter().next().ok_or_else(|| {
                Error::config(format!("{id}: {}", rows[row].error))
                    .with_hint("fix the message template; nothing was written")
            })?;
            let typeset = result.map_err(|e| Error::config(format!("{id}: {e}")))?;
            let dir = config.out_dir.join("preview");
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let stem = rows[row].file.trim_end_matches(".pdf").to_string();
            for (page, png) in typeset.images.iter().enumerate() {
                let name = format!("{stem}-{}.png", page + 1);
                report
                    .proofs
                    .push(write::write_atomic(&dir, &name, png).map_err(|e| Error::io(&dir, e))?);
            }
            for w in typeset.warnings {
                report.piece_warnings.push((id.clone(), w));
            }
            report.written = 1;
            Ok(report)
        }
        Sink::Proof => {
            let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
            files.insert("/template.typ".into(), PROOF_TYP.as_bytes().to_vec());
            let mut pieces = Vec::new();
            let (mut ok, mut warned) = (0, 0);
            let mut shown = std::collections::BTreeSet::new();
            for (n, (row_index, result)) in results.into_iter().enumerate() {
                let job = job_of[&row_index];
                let targets: Vec<&ManifestRow> = if sheet {
                    rows.iter().filter(|r| r.error.is_empty()).collect()
                } else {
                    vec![&rows[row_index]]
                };
                shown.extend(targets.iter().map(|r| r.id.clone()));
                match result {
                    Ok(typeset) => {
                        let mut pages = Vec::new();
                        let tall = typeset.images.first().is_some_and(|png| {
                            let (w, h) = png_size(png);
                            h > w
                        });
                        for (p, png) in typeset.images.into_iter().enumerate() {
                            let path = format!("/thumb/{n}-{p}.png");
                            files.insert(path.clone(), png);
                            pages.push(path);
                        }
                        let mut warnings = job.piece.warnings.clone();
                        warnings.extend(typeset.warnings);
                        // on a sheet, a warning names its label's recipient
                        let with_warnings = if sheet {
                            targets
                                .iter()
                                .filter(|r| !sheet_warnings(&r.id, &warnings).is_empty())
                                .count()
                        } else {
                            usize::from(!warnings.is_empty())
                        };
                        warned += with_warnings;
                        ok += targets.len() - with_warnings;
                        report.written += targets.len();
                        for w in &warnings {
                            report
                                .piece_warnings
                                .push((job.piece.id.clone(), w.clone()));
                        }
                        pieces.push(json!({
                            "id": if sheet { format!("{} labels", targets.len()) } else { job.piece.id.clone() },
                            "name": if sheet { String::new() } else { name_of(&job.piece) },
                            "file": job.file,
                            "pages": pages,
                            "tall": tall,
                            "warnings": warnings,
                            "error": "",
                            "clearance": typeset.clearance_mm.map(|c| format!("{c:.1}")),
                        }));
                    }
                    Err(reason) => {
                        for row in &targets {
                            report.failed.push(Failure {
                                id: row.id.clone(),
                                line: row.line,
                                reason: reason.clone(),
                            });
                        }
                        pieces.push(json!({
                            "id": job.piece.id, "name": name_of(&job.piece), "file": job.file,
                            "pages": [], "tall": false, "warnings": [], "error": reason, "clearance": null,
                        }));
                    }
                }
            }
            // recipients that failed before typesetting (the message;
            // already counted in the report)
            for row in rows
                .iter()
                .filter(|r| !r.error.is_empty() && !shown.contains(&r.id))
            {
                pieces.push(json!({
                    "id": row.id, "name": "", "file": row.file,
                    "pages": [], "tall": false, "warnings": [], "error": row.error, "clearance": null,
                }));
            }
            report.failed.sort_by_key(|f| f.line);
            let data = json!({
                "campaign": config.name,
                "date": config.date.to_string(),
                "format": if template.manifest.formats.is_empty() { template.name.clone() } else {
                    format!("{} {}", template.name, config.print.format.clone().unwrap_or_else(|| template.manifest.formats[0].clone()))
                },
                "total": rows.len(),
                "ok": ok,
                "warned": warned,
                "failed": report.failed.len(),
                "sheet": sheet,
                "pieces": pieces,
            });
            let proof = Template {
                name: "proof".into(),
                files,
                manifest: Manifest::default(),
                messages: BTreeMap::new(),
            };
            let typesetter = Typesetter::new(
                &proof,
                &[],
                &[],
                &config.font_dirs,
                config.date,
                &config.name,
            )?;
            let piece = Piece {
                index: 0,
                id: "proof".into(),
                line: 0,
                lang: "en".into(),
                data: serde_json::to_vec(&data).expect("JSON serialises"),
                message: String::new(),
                warnings: Vec::new(),
                facts: 0,
            };
            let typeset = typesetter
                .typeset(&piece)
                .map_err(|e| Error::config(format!("the proof sheet: {e}")))?;
            std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
            let path = write::write_atomic(&config.out_dir, "proof.pdf", &typeset.pdf)
                .map_err(|e| Error::io(&config.out_dir, e))?;
            report.proofs.push(path);
            Ok(report)
        }
        Sink::Files => unreachable!("render writes its own files"),
    }
}

/// Width and height from a PNG's header.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |i: usize| {
        png.get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0)
    };
    (be(16), be(20))
}

fn name_of(piece: &Piece) -> String {
    serde_json::from_slice::<serde_json::Value>(&piece.data)
        .ok()
        .and_then(|d| d["recipient"]["name"].as_str().map(str::to_string))
        .unwrap_or_default()
}

const PROOF_TYP: &str = include_str!("proof.typ");
