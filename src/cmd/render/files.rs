//! One PDF per recipient: kept files stay, the rest is made on the worker
//! threads and written there; manifest rows and ledger lines follow in
//! plan order, in batches, each line only after its PDF is durable. When
//! every piece is made in this run, they are made in print order and the
//! print file is exported from their pages as they come (print_file.rs).

use super::{count_preflight, fail, own_text, row};
use crate::compose::Warning;
use crate::engine::{Engine, Failure, Made, Unmade};
use crate::error::{Error, Result};
use crate::ledger::{Entry, Ledger};
use crate::manifest::{ManifestRow, ManifestWriter, Status};
use crate::plan::{Plan, Planned};
use crate::print_file::{Part, Share};
use crate::report::progress::Observer;
use crate::report::{Progress, Report};
use crate::settings::Settings;
use crate::typeset::Typeset;
use crate::write;

/// A written piece (the PDF is on disk): its manifest row, filled in on
/// the worker, and what the report counts.
pub(super) struct Written {
    /// The PDF, written but not yet in place (until the sink's batch).
    pending: Option<write::Pending>,
    row: ManifestRow,
    facts: usize,
    warnings: Vec<Warning>,
    /// For the ledger: the message's fingerprint and the address's hash.
    fingerprint: String,
    address: String,
    /// The pages, for the print file (when it is made from pages).
    laid_out: Option<ecow::EcoVec<typst_layout::Page>>,
}

/// Makes the pieces: `sink` gets them in plan order. Returns every piece's
/// status and, when the print file was made from the pages, its parts.
pub(super) fn pieces(
    mut sink: Sink,
    plan: &Plan,
    engine: &Engine,
    observer: Option<&Observer<'_>>,
) -> Result<(Vec<Status>, Option<Vec<Part>>)> {
    let (settings, output) = (sink.settings, &sink.settings.output);
    // Existing files are kept unless --force.
    let (kept, work): (Vec<usize>, Vec<usize>) = (0..plan.pieces.len())
        .partition(|&i| !output.force && output.out_dir.join(plan.file(&plan.pieces[i])).exists());
    let from_pages = output.combined.is_some() && kept.is_empty();
    let share = output
        .combined
        .as_deref()
        .filter(|_| from_pages)
        .map(|name| crate::print_file::share(plan, output, settings.run.shard, name));
    let work = match &share {
        Some(share) => share.work.clone(),
        None => work,
    };
    let maker = Maker {
        settings,
        plan,
        from_pages,
    };
    let mut progress = Progress::new(work.len(), settings.run.quiet);
    progress.observer = observer;
    let printed = stream(
        &mut sink,
        &maker,
        engine,
        &work,
        kept,
        share.as_ref(),
        &progress,
    );
    progress.finish();
    crate::timing::mark("typesetting done");
    if let Some(results) = &printed {
        sink.record_print_parts(results, share.as_ref());
    }
    let parts = printed.map(|results| results.into_iter().flatten().collect());
    match sink.error {
        Some(e) => Err(e),
        None => Ok((sink.statuses, parts)),
    }
}

/// Streams the pieces `work` through the engine into the sink (the kept
/// ones join it in plan order), and their pages into the print file when
/// it is made from them.
fn stream(
    sink: &mut Sink,
    maker: &Maker,
    engine: &Engine,
    work: &[usize],
    kept: Vec<usize>,
    share: Option<&Share>,
    progress: &Progress,
) -> Option<Vec<std::result::Result<Part, String>>> {
    let (plan, output) = (maker.plan, &maker.settings.output);
    let mut kept = kept.into_iter().peekable();
    let positions = plan.pieces.len() + plan.others.len();
    let mut position = 0;
    crate::timing::mark("typesetting starts");
    let printed = std::thread::scope(|scope| {
        let mut print = share.map(|share| {
            crate::print_file::PrintPages::start(
                scope,
                &engine.typesetter,
                &output.out_dir,
                share.names.clone(),
                (output.print_part, positions),
                output.duplex,
            )
        });
        let finish = |planned: &Planned, made: Made| maker.finish(planned, made);
        engine.stream(plan, work, finish, |i, mut result| {
            if let (Some((print, _)), Some(share)) = (print.as_mut(), share) {
                let pages = result.as_mut().ok().and_then(|w| w.laid_out.take());
                print.piece(share.parts[position], plan.planned(i).person, pages);
            }
            position += 1;
            if position == positions / 2 {
                crate::timing::mark("half the pieces made");
            }
            if i < plan.pieces.len() {
                // (another shard's piece is in its print part, nowhere else)
                crate::timing::time(crate::timing::Stage::Record, || {
                    while let Some(k) = kept.next_if(|&k| k < i) {
                        sink.queue.push(Queued::Kept(k));
                    }
                    sink.queue.push(Queued::Made(i, Box::new(result)));
                    sink.oldest.get_or_insert_with(std::time::Instant::now);
                    if sink.due() {
                        sink.flush(plan);
                    }
                });
            }
            progress.tick();
        });
        print.map(|(print, exporter)| {
            print.finish();
            exporter
                .join()
                .unwrap_or_else(|_| vec![Err("the print file thread failed".into())])
        })
    });
    for k in kept {
        sink.queue.push(Queued::Kept(k));
    }
    sink.flush(plan);
    printed
}

/// What the workers need to finish a piece.
struct Maker<'a> {
    settings: &'a Settings,
    plan: &'a Plan,
    /// The print file is made from the pages: keep them.
    from_pages: bool,
}

impl Maker<'_> {
    /// On the worker: writes the PDF beside its place (the sink puts it
    /// there durably with its batch) and fills the manifest row.
    fn finish(&self, planned: &Planned, made: Made) -> std::result::Result<Written, Unmade> {
        let Made {
            person,
            piece,
            typeset,
            print_only,
        } = made;
        let write_start = std::time::Instant::now();
        let mut row = row(self.settings, self.plan, planned, &person);
        if print_only {
            // Another shard's piece: its pages for this shard's print part.
            return Ok(Written {
                pending: None,
                row,
                facts: 0,
                warnings: Vec::new(),
                fingerprint: String::new(),
                address: String::new(),
                laid_out: typeset.laid_out,
            });
        }
        let out = &self.settings.output.out_dir;
        let pending = write::Pending::write(out, &row.file, &typeset.pdf).map_err(|e| Unmade {
            lang: piece.lang.clone(),
            why: Failure::Write(format!("writing {}: {e}", out.join(&row.file).display())),
        })?;
        let Typeset {
            pdf,
            pages,
            warnings,
            clearance_mm,
            preflight,
            laid_out,
            ..
        } = typeset;
        let mut all = piece.warnings;
        all.extend(warnings);
        row.status = Status::Written;
        row.language = piece.lang;
        row.pages = Some(pages);
        row.sha256 = write::sha256_hex(&pdf);
        row.preflight = Some(preflight);
        row.clearance_mm = clearance_mm.map(|c| (c * 10.0).round() / 10.0);
        if self.plan.template.manifest.message && !piece.edited {
            row.facts = Some(piece.facts);
        }
        row.warnings = all
            .iter()
            .map(|w| own_text(w, &row.id))
            .collect::<Vec<_>>()
            .join("; ");
        crate::timing::add(crate::timing::Stage::Write, write_start);
        Ok(Written {
            pending: Some(pending),
            row,
            facts: piece.facts,
            warnings: all,
            fingerprint: piece.fingerprint,
            address: piece.address,
            laid_out: laid_out.filter(|_| self.from_pages),
        })
    }
}

/// Where the pieces of a render go, in plan order: a manifest row each, a
/// ledger line for each written one.
pub(super) struct Sink<'a> {
    settings: &'a Settings,
    /// What the ledger calls the pieces (card, letter, envelope).
    kind: String,
    has_message: bool,
    ledger: Option<Ledger>,
    manifest: &'a mut ManifestWriter,
    report: &'a mut Report,
    statuses: Vec<Status>,
    /// The first error that must stop the run once the stream is done.
    error: Option<Error>,
    /// Pieces waiting, in plan order, for their batch: their PDFs are put
    /// in place together, then their manifest rows and ledger lines follow.
    queue: Vec<Queued>,
    /// When the oldest waiting piece arrived.
    oldest: Option<std::time::Instant>,
    /// A batch has been flushed (the first goes at once).
    flushed: bool,
}

/// A piece waiting for its batch.
enum Queued {
    Made(usize, Box<std::result::Result<Written, Unmade>>),
    Kept(usize),
}

/// A batch is flushed when it holds this many pieces…
const BATCH_PIECES: usize = 64;
/// …or its oldest piece has waited this long.
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

impl<'a> Sink<'a> {
    /// The sink of a run; it takes the plan's ledger to append to.
    pub(super) fn new(
        settings: &'a Settings,
        plan: &mut Plan,
        manifest: &'a mut ManifestWriter,
        report: &'a mut Report,
    ) -> Sink<'a> {
        Sink {
            settings,
            kind: plan.template.piece_kind().to_string(),
            has_message: plan.template.manifest.message,
            ledger: plan.ledger.take(),
            manifest,
            report,
            statuses: vec![Status::Failed; plan.pieces.len()],
            error: None,
            queue: Vec::new(),
            oldest: None,
            flushed: false,
        }
    }

    /// Whether the batch should be flushed now: the first piece goes at
    /// once (the first PDF appears without delay), then full or old batches.
    fn due(&self) -> bool {
        !self.flushed
            || self.queue.len() >= BATCH_PIECES
            || self.oldest.is_some_and(|t| t.elapsed() >= BATCH_WAIT)
    }

    /// Puts the batch's PDFs in place durably (one flush for all), then
    /// writes their rows and ledger lines in plan order, and flushes the
    /// ledger once — a line is on disk only after its PDF is.
    fn flush(&mut self, plan: &Plan) {
        self.oldest = None;
        if self.queue.is_empty() {
            return;
        }
        self.flushed = true;
        let mut queue = std::mem::take(&mut self.queue);
        let files: Vec<write::Pending> = queue
            .iter_mut()
            .filter_map(|queued| match queued {
                Queued::Made(_, made) => match &mut **made {
                    Ok(w) => w.pending.take(),
                    Err(_) => None,
                },
                Queued::Kept(_) => None,
            })
            .collect();
        let out = &self.settings.output.out_dir;
        let mut published = write::Pending::publish(out, files).into_iter();
        let (mut written_ids, mut had_kept) = (Vec::new(), false);
        for queued in queue {
            let (i, made) = match queued {
                Queued::Kept(k) => {
                    had_kept = true;
                    self.kept(plan, k);
                    continue;
                }
                Queued::Made(i, made) => (i, *made),
            };
            let result = made.and_then(|w| match published.next() {
                Some(Err(e)) => Err(Unmade {
                    lang: w.row.language.clone(),
                    why: Failure::Write(format!(
                        "writing {}: {e}",
                        out.join(&w.row.file).display()
                    )),
                }),
                _ => {
                    written_ids.push(w.row.id.clone());
                    Ok(w)
                }
            });
            self.made(plan, i, result);
        }
        self.flush_ledger(written_ids, had_kept);
    }

    /// One flush of the ledger for the batch. A written piece whose line
    /// is missing is named; a kept file's missing line stops the run, as
    /// it always did.
    fn flush_ledger(&mut self, written_ids: Vec<String>, had_kept: bool) {
        if let Some(Err(e)) = self.ledger.as_mut().map(|l| l.flush()) {
            for id in written_ids {
                self.report.notes.push(format!(
                    "{id}: written, but the ledger was not updated: {e}"
                ));
            }
            if had_kept {
                self.error.get_or_insert(e);
            }
        }
    }

    /// The ledger line of a piece; `piece` is none for a kept file.
    fn entry(&self, row: &ManifestRow, piece: Option<&Written>) -> Entry {
        Entry {
            fingerprint: piece.map(|w| w.fingerprint.clone()).unwrap_or_default(),
            address: piece.map(|w| w.address.clone()).unwrap_or_default(),
            campaign: self.settings.run.name.clone(),
            occasion: row.occasion.clone(),
            person_id: row.id.clone(),
            file: row.file.clone(),
            sha256: row.sha256.clone(),
            run_date: self.settings.run.date,
            kind: self.kind.clone(),
        }
    }

    /// A file that exists and stays. One that the ledger lacks was finished
    /// by a run that was killed before it could write the line: record it now.
    fn kept(&mut self, plan: &Plan, i: usize) {
        let planned = &plan.pieces[i];
        let mut row = row(self.settings, plan, planned, &plan.person(planned));
        row.status = Status::Kept;
        row.sha256 = std::fs::read(self.settings.output.out_dir.join(&row.file))
            .map(|b| write::sha256_hex(&b))
            .unwrap_or_default();
        self.report.keep(&row.file);
        for id in plan.recipient_ids(planned, &row.id) {
            let campaign = &self.settings.run.name;
            let missing = self
                .ledger
                .as_ref()
                .is_some_and(|l| !l.contains(campaign, &row.occasion, &id));
            if missing {
                let entry = Entry {
                    person_id: id,
                    ..self.entry(&row, None)
                };
                if let Some(ledger) = self.ledger.as_mut() {
                    ledger.stage(entry);
                }
            }
        }
        self.statuses[i] = Status::Kept;
        self.row(i, &row);
    }

    /// A piece the engine made (and wrote) or could not make.
    fn made(&mut self, plan: &Plan, i: usize, result: std::result::Result<Written, Unmade>) {
        let w = match result {
            Ok(w) => w,
            Err(unmade) => {
                let planned = &plan.pieces[i];
                let mut row = row(self.settings, plan, planned, &plan.person(planned));
                fail(&mut row, unmade, self.report);
                return self.row(i, &row);
            }
        };
        // A text written by hand has no facts counted (row.facts is empty).
        if self.has_message && w.row.facts.is_some() {
            self.report.count_facts(w.facts);
        }
        for warning in &w.warnings {
            self.report.piece_warnings.add(Some(&w.row.id), warning);
        }
        self.report.written += 1;
        // The PDF is durable (flushed, then renamed): now the lines, one
        // for everyone the piece goes to, flushed with the batch.
        for id in plan.recipient_ids(&plan.pieces[i], &w.row.id) {
            let entry = Entry {
                person_id: id,
                ..self.entry(&w.row, Some(&w))
            };
            if let Some(ledger) = self.ledger.as_mut() {
                ledger.stage(entry);
            }
        }
        self.statuses[i] = Status::Written;
        self.row(i, &w.row);
    }

    /// The manifest row of plan piece `i` (the manifest lists them in plan
    /// order, whatever order they are made in).
    fn row(&mut self, i: usize, row: &ManifestRow) {
        count_preflight(self.report, row);
        if let Err(e) = self.manifest.row(i, row) {
            let out = &self.settings.output.out_dir;
            self.error.get_or_insert(Error::io(out, e));
        }
    }

    /// The print file's parts as written, for the report; parts of an
    /// earlier, larger run would be taken for this one's, so they go.
    fn record_print_parts(
        &mut self,
        results: &[std::result::Result<Part, String>],
        share: Option<&Share>,
    ) {
        let report = &mut *self.report;
        for result in results {
            match result {
                Ok(part) => report.combined_parts.push(part.path.clone()),
                Err(e) => report
                    .notes
                    .push(format!("the combined print file could not be written: {e}")),
            }
        }
        if let (Some(shard), Some(share)) = (self.settings.run.shard, share) {
            report.print_share = Some((shard.to_string(), share.names.len()));
        }
        report.combined = report.combined_parts.first().cloned();
        if report.combined_parts.len() == 1 {
            report.combined_parts.clear();
        }
        if let Some(name) = &self.settings.output.combined {
            let written: Vec<String> = results
                .iter()
                .flatten()
                .map(|part| part.name.clone())
                .collect();
            let out = &self.settings.output.out_dir;
            crate::print_file::remove_other_parts(out, name, &written);
        }
    }
}
