//! `warmly proof`: one PDF with a thumbnail of every page of every piece a
//! render would produce now, with its id and what the preflight found, for
//! sign-off before printing. Writes nothing else; the ledger is unchanged.

use std::collections::BTreeMap;

use serde_json::json;

use crate::config::Config;
use crate::engine::{Failure, Made, Unmade};
use crate::error::{Error, Result};
use crate::plan::{self, Plan};
use crate::report::FailedPiece;
use crate::template::{Manifest, Template};
use crate::typeset::Typesetter;
use crate::write;

use super::render::{own_text, sheet_piece, sheet_warnings};

/// Thumbnails: 60 ppi keeps a 1 000-piece proof small and still shows
/// every line of an address.
pub const THUMBNAIL_PPI: f32 = 60.0;

const PROOF_TYP: &str = include_str!("proof.typ");

pub fn run(config: &Config) -> Result<u8> {
    let plan = plan::prepare(config)?;
    let engine = super::engine(config, &plan, Some(THUMBNAIL_PPI))?;
    let mut report = super::report(config, &plan);
    let order = plan.print_order(config.print_order, &config.home_country);
    let sheet = plan.is_sheet();

    // (planned index, outcome) in print order; pieces whose text failed
    // are listed after them.
    let mut results: Vec<(usize, Result<Made, Unmade>)> = Vec::new();
    let mut unwritten: Vec<(usize, String)> = Vec::new();
    let mut on_sheet: Vec<usize> = Vec::new();
    if sheet {
        let mut composed = Vec::new();
        for (i, result) in engine.compose_all(&plan).into_iter().enumerate() {
            match result {
                Ok(piece) => {
                    on_sheet.push(i);
                    composed.push(Some(piece));
                }
                Err(e) => {
                    unwritten.push((i, e.0));
                    composed.push(None);
                }
            }
        }
        if let Some(piece) = sheet_piece(&composed, &order) {
            let first = order
                .iter()
                .copied()
                .find(|&i| composed[i].is_some())
                .unwrap_or(0);
            let person = plan.person(&plan.pieces[first]);
            let outcome = match engine.typesetter.typeset(&piece) {
                Ok(typeset) => Ok(Made {
                    person,
                    piece,
                    typeset,
                    print_only: false,
                }),
                Err(f) => Err(Unmade {
                    lang: piece.lang.clone(),
                    why: Failure::Typeset(f),
                }),
            };
            results.push((first, outcome));
        }
    } else if !plan.pieces.is_empty() {
        let all: Vec<usize> = (0..plan.pieces.len()).collect();
        let mut made: BTreeMap<usize, Result<Made, Unmade>> = BTreeMap::new();
        engine.stream(
            &plan,
            &all,
            |_, made| Ok(made),
            |i, outcome| match outcome {
                Err(Unmade {
                    why: Failure::Compose(reason),
                    ..
                }) => unwritten.push((i, reason)),
                outcome => {
                    made.insert(i, outcome);
                }
            },
        );
        for i in &order {
            if let Some(outcome) = made.remove(i) {
                results.push((*i, outcome));
            }
        }
    }
    for (i, reason) in &unwritten {
        let person = plan.person(&plan.pieces[*i]);
        report.failed.push(FailedPiece {
            id: person.id.clone(),
            line: person.line,
            reason: reason.clone(),
        });
    }

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert("/template.typ".into(), PROOF_TYP.as_bytes().to_vec());
    let mut pieces = Vec::new();
    let (mut ok, mut warned) = (0, 0);
    for (n, (i, outcome)) in results.into_iter().enumerate() {
        let planned = &plan.pieces[i];
        let person = plan.person(planned);
        let targets: Vec<usize> = if sheet { on_sheet.clone() } else { vec![i] };
        let id_of = |k: usize| plan.person(&plan.pieces[k]).id.clone();
        match outcome {
            Ok(Made { piece, typeset, .. }) => {
                let tall = typeset.images.first().is_some_and(|png| {
                    let (w, h) = png_size(png);
                    h > w
                });
                let mut pages = Vec::new();
                for (p, png) in typeset.images.into_iter().enumerate() {
                    let path = format!("/thumb/{n}-{p}.png");
                    files.insert(path.clone(), png);
                    pages.push(path);
                }
                let mut all = piece.warnings.clone();
                all.extend(typeset.warnings);
                let warnings: Vec<String> = all
                    .iter()
                    .map(|w| {
                        if sheet {
                            w.with_recipient()
                        } else {
                            own_text(w, &piece.id)
                        }
                    })
                    .collect();
                // on a sheet, a warning names its label's recipient
                let with_warnings = if sheet {
                    targets
                        .iter()
                        .filter(|&&k| !sheet_warnings(&id_of(k), &all).is_empty())
                        .count()
                } else {
                    usize::from(!all.is_empty())
                };
                warned += with_warnings;
                ok += targets.len() - with_warnings;
                report.written += targets.len();
                for w in &all {
                    report
                        .piece_warnings
                        .add((!sheet).then_some(piece.id.as_str()), w);
                }
                pieces.push(json!({
                    "id": if sheet { format!("{} labels", targets.len()) } else { piece.id.clone() },
                    "name": if sheet { String::new() } else { piece.model.recipient.name.clone() },
                    "file": plan.file(planned),
                    "pages": pages,
                    "tall": tall,
                    "warnings": warnings,
                    "error": "",
                    "clearance": typeset.clearance_mm.map(|c| format!("{c:.1}")),
                }));
            }
            Err(unmade) => {
                let reason = unmade.why.to_string();
                for &k in &targets {
                    let target = plan.person(&plan.pieces[k]);
                    report.failed.push(FailedPiece {
                        id: target.id.clone(),
                        line: target.line,
                        reason: reason.clone(),
                    });
                }
                pieces.push(json!({
                    "id": if sheet { "sheet".to_string() } else { person.id.clone() },
                    "name": person.display_name(), "file": plan.file(planned),
                    "pages": [], "tall": false, "warnings": [], "error": reason, "clearance": null,
                }));
            }
        }
    }
    // recipients whose text failed, before typesetting
    for (i, reason) in &unwritten {
        let planned = &plan.pieces[*i];
        pieces.push(json!({
            "id": plan.person(planned).id, "name": "", "file": plan.file(planned),
            "pages": [], "tall": false, "warnings": [], "error": reason, "clearance": null,
        }));
    }
    report.failed.sort_by_key(|f| f.line);
    let data = json!({
        "campaign": config.name,
        "date": config.date.to_string(),
        "format": format_label(config, &plan),
        "total": plan.pieces.len(),
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
    let typesetter = Typesetter::new(&proof, &[], &[], &config.fonts, config.date, &config.name)?;
    let data = serde_json::to_vec(&data).expect("JSON serialises");
    let typeset = typesetter
        .typeset_data("proof", data, String::new())
        .map_err(|e| Error::config(format!("the proof sheet: {e}")))?;
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    let path = write::write_atomic(&config.out_dir, "proof.pdf", &typeset.pdf)
        .map_err(|e| Error::io(&config.out_dir, e))?;
    report.proofs.push(path);
    report.print(config.quiet);
    Ok(report.exit_code())
}

/// "letter din-b": the template and the format the proof shows.
fn format_label(config: &Config, plan: &Plan) -> String {
    let template = &plan.template;
    if template.manifest.formats.is_empty() {
        template.name.clone()
    } else {
        let format = config
            .print
            .format
            .clone()
            .unwrap_or_else(|| template.manifest.formats[0].clone());
        format!("{} {format}", template.name)
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
