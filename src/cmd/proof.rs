//! `warmly proof`: one PDF with a thumbnail of every page of every piece a
//! render would produce now, with its id and what the preflight found, for
//! sign-off before printing. Writes nothing else; the ledger is unchanged.

use std::collections::BTreeMap;

use serde_json::json;

use crate::engine::{Engine, Failure, Made, Unmade};
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::plan::{self, Plan};
use crate::report::{FailedPiece, Report};
use crate::settings::{Settings, Strictness, TypesetSettings};
use crate::template::{Manifest, Template};
use crate::typeset::Typesetter;
use crate::write;

use super::render::{own_text, sheet_piece, sheet_warnings};

/// Thumbnails: 60 ppi keeps a 1 000-piece proof small and still shows
/// every line of an address.
pub const THUMBNAIL_PPI: f32 = 60.0;

const PROOF_TYP: &str = include_str!("proof.typ");

pub fn run(settings: &Settings) -> Result<u8> {
    let plan = plan::prepare(settings, &Mode::Proof)?;
    let engine = super::engine(settings, &plan, Some(THUMBNAIL_PPI))?;
    let mut report = super::report(settings, &plan);
    let order = plan.print_order(settings.output.order, &settings.output.home_country);
    let made = if plan.is_sheet() {
        made_sheet(&plan, &engine, &order)
    } else {
        made_pieces(&plan, &engine, &order)
    };
    for (i, reason) in &made.unwritten {
        let person = plan.person(&plan.pieces[*i]);
        report.failed.push(FailedPiece {
            id: person.id.clone(),
            line: person.line,
            reason: reason.clone(),
        });
    }
    let mut sheet = Sheet::default();
    let Outcomes {
        results,
        unwritten,
        on_sheet,
    } = made;
    for (n, (i, outcome)) in results.into_iter().enumerate() {
        sheet.add(&plan, &mut report, n, i, outcome, &on_sheet);
    }
    // recipients whose text failed, before typesetting
    for (i, reason) in &unwritten {
        let planned = &plan.pieces[*i];
        sheet.pieces.push(json!({
            "id": plan.person(planned).id, "name": "", "file": plan.file(planned),
            "pages": [], "tall": false, "warnings": [], "error": reason, "clearance": null,
        }));
    }
    report.failed.sort_by_key(|f| f.line);
    let data = json!({
        "campaign": settings.run.name,
        "date": settings.run.date.to_string(),
        "format": format_label(settings, &plan),
        "total": plan.pieces.len(),
        "ok": sheet.ok,
        "warned": sheet.warned,
        "failed": report.failed.len(),
        "sheet": plan.is_sheet(),
        "pieces": sheet.pieces,
    });
    let path = write_proof(settings, sheet.files, data)?;
    report.proofs.push(path);
    report.print(settings.run.quiet);
    Ok(report.exit_code())
}

/// What was made for the proof: (planned index, outcome) in print order,
/// the pieces whose text failed, and (label sheets) who is on the sheet.
struct Outcomes {
    results: Vec<(usize, Result<Made, Unmade>)>,
    unwritten: Vec<(usize, String)>,
    on_sheet: Vec<usize>,
}

/// A label sheet: everyone composed, one document.
fn made_sheet(plan: &Plan, engine: &Engine, order: &[usize]) -> Outcomes {
    let mut made = Outcomes {
        results: Vec::new(),
        unwritten: Vec::new(),
        on_sheet: Vec::new(),
    };
    let mut composed = Vec::new();
    for (i, result) in engine.compose_all(plan).into_iter().enumerate() {
        match result {
            Ok(piece) => {
                made.on_sheet.push(i);
                composed.push(Some(piece));
            }
            Err(e) => {
                made.unwritten.push((i, e.0));
                composed.push(None);
            }
        }
    }
    if let Some(piece) = sheet_piece(&composed, order) {
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
        made.results.push((first, outcome));
    }
    made
}

/// One piece per recipient, made on the engine's workers.
fn made_pieces(plan: &Plan, engine: &Engine, order: &[usize]) -> Outcomes {
    let mut unwritten = Vec::new();
    let all: Vec<usize> = (0..plan.pieces.len()).collect();
    let mut made: BTreeMap<usize, Result<Made, Unmade>> = BTreeMap::new();
    if !all.is_empty() {
        engine.stream(
            plan,
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
    }
    let results = order
        .iter()
        .filter_map(|i| made.remove(i).map(|outcome| (*i, outcome)))
        .collect();
    Outcomes {
        results,
        unwritten,
        on_sheet: Vec::new(),
    }
}

/// The proof sheet as it fills: thumbnails (virtual files), one entry per
/// piece, and the counts.
#[derive(Default)]
struct Sheet {
    files: BTreeMap<String, Vec<u8>>,
    pieces: Vec<serde_json::Value>,
    ok: usize,
    warned: usize,
}

impl Sheet {
    /// The `n`-th piece of the proof (planned index `i`); `on_sheet` are
    /// the recipients of a label sheet.
    fn add(
        &mut self,
        plan: &Plan,
        report: &mut Report,
        n: usize,
        i: usize,
        outcome: Result<Made, Unmade>,
        on_sheet: &[usize],
    ) {
        let sheet = plan.is_sheet();
        let planned = &plan.pieces[i];
        let targets: Vec<usize> = if sheet { on_sheet.to_vec() } else { vec![i] };
        let Made { piece, typeset, .. } = match outcome {
            Ok(made) => made,
            Err(unmade) => return self.failed(plan, report, i, &targets, unmade),
        };
        let tall = typeset.images.first().is_some_and(|png| {
            let (w, h) = png_size(png);
            h > w
        });
        let mut pages = Vec::new();
        for (p, png) in typeset.images.into_iter().enumerate() {
            let path = format!("/thumb/{n}-{p}.png");
            self.files.insert(path.clone(), png);
            pages.push(path);
        }
        let mut all = piece.warnings.clone();
        all.extend(typeset.warnings);
        let warnings: Vec<String> = all
            .iter()
            .map(|w| match sheet {
                true => w.with_recipient(),
                false => own_text(w, &piece.id),
            })
            .collect();
        // on a sheet, a warning names its label's recipient
        let id_of = |k: usize| plan.person(&plan.pieces[k]).id.clone();
        let with_warnings = if sheet {
            targets
                .iter()
                .filter(|&&k| !sheet_warnings(&id_of(k), &all).is_empty())
                .count()
        } else {
            usize::from(!all.is_empty())
        };
        self.warned += with_warnings;
        self.ok += targets.len() - with_warnings;
        report.written += targets.len();
        for w in &all {
            report
                .piece_warnings
                .add((!sheet).then_some(piece.id.as_str()), w);
        }
        self.pieces.push(json!({
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

    /// A piece that could not be made: each of its recipients fails.
    fn failed(
        &mut self,
        plan: &Plan,
        report: &mut Report,
        i: usize,
        targets: &[usize],
        unmade: Unmade,
    ) {
        let planned = &plan.pieces[i];
        let person = plan.person(planned);
        let reason = unmade.why.to_string();
        for &k in targets {
            let target = plan.person(&plan.pieces[k]);
            report.failed.push(FailedPiece {
                id: target.id.clone(),
                line: target.line,
                reason: reason.clone(),
            });
        }
        self.pieces.push(json!({
            "id": if plan.is_sheet() { "sheet".to_string() } else { person.id.clone() },
            "name": person.display_name(), "file": plan.file(planned),
            "pages": [], "tall": false, "warnings": [], "error": reason, "clearance": null,
        }));
    }
}

/// Typesets the proof sheet (`proof.typ` with the thumbnails) and writes
/// `proof.pdf`.
fn write_proof(
    settings: &Settings,
    mut files: BTreeMap<String, Vec<u8>>,
    data: serde_json::Value,
) -> Result<std::path::PathBuf> {
    files.insert("/template.typ".into(), PROOF_TYP.as_bytes().to_vec());
    let proof = Template {
        name: "proof".into(),
        files,
        manifest: Manifest::default(),
        messages: BTreeMap::new(),
    };
    // The proof is warmly's own page: no pictures, no standard to meet.
    let own = TypesetSettings {
        pictures: Vec::new(),
        pdf_standards: Vec::new(),
        fonts: settings.typeset.fonts.clone(),
        date: settings.typeset.date,
        campaign: settings.typeset.campaign.clone(),
        overflow: Strictness::Warn,
        window: Strictness::Warn,
        offset: (0.0, 0.0),
    };
    let typesetter = Typesetter::new(&proof, &own)?;
    let data = serde_json::to_vec(&data).expect("JSON serialises");
    let typeset = typesetter
        .typeset_data("proof", data, String::new())
        .map_err(|e| Error::config(format!("the proof sheet: {e}")))?;
    let out = &settings.output.out_dir;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    write::write_atomic(out, "proof.pdf", &typeset.pdf).map_err(|e| Error::io(out, e))
}

/// "letter din-b": the template and the format the proof shows.
fn format_label(settings: &Settings, plan: &Plan) -> String {
    let template = &plan.template;
    if template.manifest.formats.is_empty() {
        template.name.clone()
    } else {
        let format = settings
            .compose
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
