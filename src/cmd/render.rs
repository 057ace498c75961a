//! `warmly render`: the files sink. One PDF per recipient (or one label
//! sheet for all), the manifest and the ledger written as pieces finish,
//! then the print file and the postcode summary. Everything that can stop
//! the run is checked before the output folder is touched; after that a
//! failing recipient is counted and the others are still produced.

use crate::compose::{Label, Piece, Warning};
use crate::config::{Config, PrintOrder};
use crate::engine::{Failure, Made, Unmade};
use crate::error::{Error, Result};
use crate::ledger::Entry;
use crate::model::Person;
use crate::plan::{self, IdSource, Plan, Planned};
use crate::report::{FailedPiece, Report};
use crate::shard::{Shard, ShardInfo, ShardPart, ShardPiece};
use crate::typeset::{Preflight, Typeset};
use crate::write::{self, ManifestWriter};

pub fn run(config: &Config) -> Result<u8> {
    run_observed(config, None)
}

/// [`run`], telling `observer` (the studio's progress bar) how many pieces
/// are done of how many, as they finish.
pub fn run_observed(
    config: &Config,
    observer: Option<&(dyn Fn(usize, usize) + Send + Sync + '_)>,
) -> Result<u8> {
    let mut plan = plan::prepare(config)?;
    crate::timing::mark("planned");
    let engine = super::engine(config, &plan, None)?;
    crate::timing::mark("typesetter ready");
    let mut report = super::report(config, &plan);
    crate::typeset::Typesetter::start_trace();

    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    if plan.lock.is_some() {
        write::remove_stale_temp_files(&config.out_dir);
    }
    // A shard's `shard.json` says its folder is complete: gone until it is.
    let mut shard_info = match config.shard {
        Some(shard) => {
            remove_file_if_there(&config.out_dir.join(ShardInfo::FILE))?;
            Some(shard_info(config, &plan, shard))
        }
        None => None,
    };
    // Nothing selected (e.g. a daily run on a quiet day): leave the last
    // run's manifest and print file alone (a shard says it has none).
    if plan.pieces.is_empty() {
        write_shard_info(config, shard_info.as_ref())?;
        report.print(config.quiet);
        return Ok(report.exit_code());
    }
    let mut manifest =
        ManifestWriter::create(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    let (statuses, printed) = if plan.is_sheet() {
        (
            sheet(config, &plan, &engine, &mut manifest, &mut report)?,
            None,
        )
    } else {
        pieces(
            config,
            &mut plan,
            &engine,
            &mut manifest,
            &mut report,
            observer,
        )?
    };
    report.failed.sort_by_key(|f| f.line);
    report.manifest = Some(
        manifest
            .finish()
            .map_err(|e| Error::io(&config.out_dir, e))?,
    );
    if plan.is_sheet() {
        report.combined = statuses
            .contains(&Status::Written)
            .then(|| config.out_dir.join(plan.file(&plan.pieces[0])));
    } else if let Some(name) = &config.combined {
        print_file(
            config,
            &plan,
            &statuses,
            name,
            printed.is_some(),
            &mut report,
        )?;
    }
    if let Some(info) = shard_info.as_mut() {
        info.parts = printed
            .unwrap_or_default()
            .into_iter()
            .map(|part| ShardPart {
                name: part.name,
                inputs: part.inputs,
            })
            .collect();
    }
    write_shard_info(config, shard_info.as_ref())?;
    report.print(config.quiet);
    crate::timing::print();
    engine.typesetter.finish_trace();
    Ok(report.exit_code())
}

fn remove_file_if_there(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// What `warmly merge` needs of this shard: its place in the run, the
/// run's fingerprint, and where each of its pieces goes in the whole
/// manifest and print order.
fn shard_info(config: &Config, plan: &Plan, shard: Shard) -> ShardInfo {
    let pieces = plan
        .pieces
        .iter()
        .map(|p| ShardPiece {
            input: p.person,
            print_key: match config.print_order {
                PrintOrder::Input => String::new(),
                order => plan.print_key(p, order, &config.home_country),
            },
        })
        .collect();
    ShardInfo {
        warmly: env!("CARGO_PKG_VERSION").to_string(),
        campaign: config.name.clone(),
        run_date: config.date,
        shard: shard.index,
        of: shard.count,
        fingerprint: fingerprint(config, plan),
        print_file: config.combined.clone(),
        print_part: config.print_part,
        duplex: config.duplex,
        pieces,
        parts: Vec::new(),
    }
}

/// Written last: the shard's folder is complete.
fn write_shard_info(config: &Config, info: Option<&ShardInfo>) -> Result<()> {
    let Some(info) = info else {
        return Ok(());
    };
    let json = serde_json::to_vec_pretty(info).expect("shard.json is plain data");
    write::write_atomic(&config.out_dir, ShardInfo::FILE, &json)
        .map_err(|e| Error::io(&config.out_dir, e))?;
    Ok(())
}

/// SHA-256 of what decides the run's plan and pieces — the data files'
/// bytes, the campaign's settings, the run date, warmly's version, the
/// template's files, the pictures, the messages, exclusions and edits — so
/// that merge can refuse shards made from different inputs.
fn fingerprint(config: &Config, plan: &Plan) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let settings =
        format!(
        "{}\0{}\0{}\0{}\0{:?}\0{}\0{}\0{:?}\0{:?}\0{}\0{}\0{:?}\0{}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}",
        env!("CARGO_PKG_VERSION"),
        config.name,
        config.date,
        match &config.template {
            crate::config::TemplateSource::Builtin(name) => name.clone(),
            crate::config::TemplateSource::Folder(path) =>
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        },
        config.select_where,
        config.households,
        config.pattern,
        config.combined,
        config.print_order,
        config.print_part,
        config.duplex,
        config.occasion,
        config.within,
        config.sender,
        config.text,
        config.theme,
        config.print,
        config.columns,
    );
    hash.update(settings.as_bytes());
    for (path, bytes) in plan
        .template
        .files
        .iter()
        .chain(config.signature_image.iter().map(|(p, b)| (p, b)))
        .chain(config.front_image.iter().map(|(p, b)| (p, b)))
    {
        hash.update(format!("\0template\0{path}\0{}\0", bytes.len()).as_bytes());
        hash.update(bytes);
    }
    // The data files (each read once, in pieces), messages, exclusions
    // and edits: what an approval is checked against.
    for (what, sha) in plan.fingerprint(config) {
        hash.update(format!("\0{what}\0{sha}").as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One line of `manifest.csv`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ManifestRow {
    pub id: String,
    /// The occasion key (`birthday-2027`), or the campaign name.
    pub occasion: String,
    pub status: Status,
    pub file: String,
    pub pages: Option<usize>,
    pub sha256: String,
    /// Facts from the person's history the text used (0 = generic).
    pub facts: Option<usize>,
    /// ok, warn (printed, but look), fail (not printed); empty when not typeset
    pub preflight: Option<Preflight>,
    /// Smallest distance of the address to the envelope window's edges (mm).
    pub clearance_mm: Option<f64>,
    pub warnings: String,
    /// Why a failed recipient failed (template file and line).
    pub error: String,
    /// Line of the person in the people file.
    pub line: u64,
    pub language: String,
    /// `file`, or `derived` when the people file has no id column and the
    /// id was made from name and address.
    pub id_source: IdSource,
    /// The personal link (`[links]`; empty when it could not be made);
    /// no column without `[links]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Everyone the piece goes to, "K-1 K-2" (`households`; no column
    /// without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household: Option<String>,
    /// The text was edited by hand for this recipient (the studio); no
    /// column when no text of the campaign is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited: Option<bool>,
}

/// What became of a recipient's piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Written,
    /// The file existed and was not regenerated (no `--force`).
    Kept,
    Failed,
}

/// A manifest row for a planned piece, before it is made.
fn row(config: &Config, plan: &Plan, planned: &Planned, person: &Person) -> ManifestRow {
    ManifestRow {
        id: person.id.clone(),
        occasion: planned.due.key.to_string(),
        status: Status::Failed,
        file: plan.file_of(planned, person),
        pages: None,
        sha256: String::new(),
        facts: None,
        preflight: None,
        clearance_mm: None,
        warnings: String::new(),
        error: String::new(),
        line: person.line,
        language: String::new(),
        id_source: plan.id_source,
        link: config
            .links
            .as_ref()
            .map(|l| l.url(person).unwrap_or_default()),
        household: config
            .households
            .then(|| plan.recipient_ids(planned, &person.id).join(" ")),
        edited: (!plan.edits.is_empty()).then(|| plan.edits.get(&person.id).is_some()),
    }
}

/// A written piece (the PDF is on disk): its manifest row, filled in on
/// the worker, and what the report counts.
struct Written {
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

/// One PDF per recipient: kept files stay, the rest is made on the worker
/// threads and written there; rows and ledger lines follow in plan order.
/// When every piece is made in this run, they are made in print order and
/// the print file is exported from their pages as they come (see
/// print_file.rs); the second value is then the parts written.
fn pieces(
    config: &Config,
    plan: &mut Plan,
    engine: &crate::engine::Engine,
    manifest: &mut ManifestWriter,
    report: &mut Report,
    observer: Option<&(dyn Fn(usize, usize) + Send + Sync + '_)>,
) -> Result<(Vec<Status>, Option<Vec<crate::print_file::Part>>)> {
    let mut sink = FilesSink {
        config,
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
    };
    let plan = &*plan;
    // Existing files are kept unless --force.
    let (kept, work): (Vec<usize>, Vec<usize>) = (0..plan.pieces.len())
        .partition(|&i| !config.force && config.out_dir.join(plan.file(&plan.pieces[i])).exists());
    let from_pages = config.combined.is_some() && kept.is_empty();
    let share = config
        .combined
        .as_deref()
        .filter(|_| from_pages)
        .map(|name| crate::print_file::share(plan, config, name));
    let work = match &share {
        Some(share) => share.work.clone(),
        None => work,
    };
    let mut kept = kept.into_iter().peekable();
    let has_message = plan.template.manifest.message;
    let finish = |planned: &Planned, made: Made| -> Result<Written, Unmade> {
        let Made {
            person,
            piece,
            typeset,
            print_only,
        } = made;
        let write_start = std::time::Instant::now();
        let mut row = row(config, plan, planned, &person);
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
        // Written here, put in place durably by the sink with its batch.
        let pending =
            write::Pending::write(&config.out_dir, &row.file, &typeset.pdf).map_err(|e| {
                Unmade {
                    lang: piece.lang.clone(),
                    why: Failure::Write(format!(
                        "writing {}: {e}",
                        config.out_dir.join(&row.file).display()
                    )),
                }
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
        if has_message && !piece.edited {
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
            laid_out: laid_out.filter(|_| from_pages),
        })
    };
    let mut progress = Progress::new(work.len(), config.quiet);
    progress.observer = observer;
    let positions = plan.pieces.len() + plan.others.len();
    let mut position = 0;
    crate::timing::mark("typesetting starts");
    let printed = std::thread::scope(|scope| {
        let mut print = share.as_ref().map(|share| {
            crate::print_file::PrintPages::start(
                scope,
                &engine.typesetter,
                &config.out_dir,
                share.names.clone(),
                (config.print_part, positions),
                config.duplex,
            )
        });
        engine.stream(plan, &work, finish, |i, mut result| {
            if let (Some((print, _)), Some(share)) = (print.as_mut(), &share) {
                let pages = result.as_mut().ok().and_then(|w| w.laid_out.take());
                print.piece(share.parts[position], plan.planned(i).person, pages);
            }
            position += 1;
            if position == positions / 2 {
                crate::timing::mark("half the pieces made");
            }
            if i >= plan.pieces.len() {
                // Another shard's piece: in its print part, nowhere else.
                progress.tick();
                return;
            }
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
            progress.tick();
        });
        print.map(|(print, exporter)| {
            print.finish();
            exporter
                .join()
                .unwrap_or_else(|_| vec![Err("the print file thread failed".into())])
        })
    });
    progress.finish();
    crate::timing::mark("typesetting done");
    for k in kept {
        sink.queue.push(Queued::Kept(k));
    }
    sink.flush(plan);
    if let Some(results) = &printed {
        for result in results {
            match result {
                Ok(part) => sink.report.combined_parts.push(part.path.clone()),
                Err(e) => sink
                    .report
                    .notes
                    .push(format!("the combined print file could not be written: {e}")),
            }
        }
        if let (Some(shard), Some(share)) = (config.shard, &share) {
            sink.report.print_share = Some((shard.to_string(), share.names.len()));
        }
        sink.report.combined = sink.report.combined_parts.first().cloned();
        if sink.report.combined_parts.len() == 1 {
            sink.report.combined_parts.clear();
        }
        // Parts of an earlier, larger run would be taken for this one's.
        if let Some(name) = &config.combined {
            let written: Vec<String> = results
                .iter()
                .flatten()
                .map(|part| part.name.clone())
                .collect();
            crate::print_file::remove_other_parts(&config.out_dir, name, &written);
        }
    }
    let parts = printed.map(|results| results.into_iter().flatten().collect());
    match sink.error {
        Some(e) => Err(e),
        None => Ok((sink.statuses, parts)),
    }
}

/// Where the pieces of a render go, in plan order: a manifest row each, a
/// ledger line for each written one.
struct FilesSink<'a> {
    config: &'a Config,
    /// What the ledger calls the pieces (card, letter, envelope).
    kind: String,
    has_message: bool,
    ledger: Option<crate::ledger::Ledger>,
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
    Made(usize, Box<Result<Written, Unmade>>),
    Kept(usize),
}

/// A batch is flushed when it holds this many pieces…
const BATCH_PIECES: usize = 64;
/// …or its oldest piece has waited this long.
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

impl FilesSink<'_> {
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
        let mut files = Vec::new();
        for queued in &mut queue {
            if let Queued::Made(_, made) = queued {
                if let Ok(w) = made.as_mut() {
                    files.extend(w.pending.take());
                }
            }
        }
        let mut published = write::Pending::publish(&self.config.out_dir, files).into_iter();
        let (mut written_ids, mut had_kept) = (Vec::new(), false);
        for queued in queue {
            match queued {
                Queued::Kept(k) => {
                    had_kept = true;
                    self.kept(plan, k);
                }
                Queued::Made(i, made) => {
                    let w = match *made {
                        Ok(w) => w,
                        Err(unmade) => {
                            self.made(plan, i, Err(unmade));
                            continue;
                        }
                    };
                    let result = match published.next() {
                        Some(Err(e)) => Err(Unmade {
                            lang: w.row.language.clone(),
                            why: Failure::Write(format!(
                                "writing {}: {e}",
                                self.config.out_dir.join(&w.row.file).display()
                            )),
                        }),
                        _ => {
                            written_ids.push(w.row.id.clone());
                            Ok(w)
                        }
                    };
                    self.made(plan, i, result);
                }
            }
        }
        if let Some(Err(e)) = self.ledger.as_mut().map(|l| l.flush()) {
            for id in written_ids {
                self.report.notes.push(format!(
                    "{id}: written, but the ledger was not updated: {e}"
                ));
            }
            // A kept file's missing line stops the run, as it always did.
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
            campaign: self.config.name.clone(),
            occasion: row.occasion.clone(),
            person_id: row.id.clone(),
            file: row.file.clone(),
            sha256: row.sha256.clone(),
            run_date: self.config.date,
            kind: self.kind.clone(),
        }
    }

    /// A file that exists and stays. One that the ledger lacks was finished
    /// by a run that was killed before it could write the line: record it now.
    fn kept(&mut self, plan: &Plan, i: usize) {
        let planned = &plan.pieces[i];
        let mut row = row(self.config, plan, planned, &plan.person(planned));
        row.status = Status::Kept;
        row.sha256 = std::fs::read(self.config.out_dir.join(&row.file))
            .map(|b| write::sha256_hex(&b))
            .unwrap_or_default();
        self.report.keep(&row.file);
        for id in plan.recipient_ids(planned, &row.id) {
            let missing = self
                .ledger
                .as_ref()
                .is_some_and(|l| !l.contains(&self.config.name, &row.occasion, &id));
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
    fn made(&mut self, plan: &Plan, i: usize, result: Result<Written, Unmade>) {
        let row = match result {
            Ok(w) => {
                // A text written by hand has no facts counted (row.facts is empty).
                if self.has_message && w.row.facts.is_some() {
                    self.report.count_facts(w.facts);
                }
                for warning in &w.warnings {
                    self.report.piece_warnings.add(Some(&w.row.id), warning);
                }
                self.report.written += 1;
                // The PDF is durable (flushed, then renamed): now the
                // lines, one for everyone the piece goes to, flushed with
                // the batch.
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
                w.row
            }
            Err(unmade) => {
                let planned = &plan.pieces[i];
                let mut row = row(self.config, plan, planned, &plan.person(planned));
                fail(&mut row, unmade, self.report);
                row
            }
        };
        self.row(i, &row);
    }

    /// The manifest row of plan piece `i` (the manifest lists them in plan
    /// order, whatever order they are made in).
    fn row(&mut self, i: usize, row: &ManifestRow) {
        count_preflight(self.report, row);
        if let Err(e) = self.manifest.row(i, row) {
            self.error.get_or_insert(Error::io(&self.config.out_dir, e));
        }
    }
}

/// A warning as the manifest row of its own piece shows it: without the
/// recipient, unless it names another.
pub fn own_text(warning: &Warning, id: &str) -> String {
    match &warning.recipient {
        Some(r) if r != id => warning.with_recipient(),
        _ => warning.message.clone(),
    }
}

/// Fills a row for a piece that was not made and counts it.
fn fail(row: &mut ManifestRow, unmade: Unmade, report: &mut Report) {
    row.status = Status::Failed;
    row.language = unmade.lang;
    row.error = unmade.why.to_string();
    if unmade.why.is_preflight() {
        row.preflight = Some(Preflight::Fail);
    }
    report.failed.push(FailedPiece {
        id: row.id.clone(),
        line: row.line,
        reason: row.error.clone(),
    });
}

/// A label sheet: every recipient composed, one document in print order.
fn sheet(
    config: &Config,
    plan: &Plan,
    engine: &crate::engine::Engine,
    manifest: &mut ManifestWriter,
    report: &mut Report,
) -> Result<Vec<Status>> {
    let mut rows: Vec<ManifestRow> = plan
        .pieces
        .iter()
        .map(|p| row(config, plan, p, &plan.person(p)))
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
                fail(
                    row,
                    Unmade {
                        lang: String::new(),
                        why,
                    },
                    report,
                );
                composed.push(None);
            }
        }
    }
    let order = plan.print_order(config.print_order, &config.home_country);
    let on_sheet: Vec<usize> = (0..rows.len()).filter(|&i| composed[i].is_some()).collect();
    if let Some(sheet) = sheet_piece(&composed, &order) {
        match engine.typesetter.typeset(&sheet) {
            Ok(typeset) => {
                let sha256 = write::sha256_hex(&typeset.pdf);
                let file = &plan.file(&plan.pieces[0]);
                let written = write::write_atomic(&config.out_dir, file, &typeset.pdf);
                let mut warnings = sheet.warnings.clone();
                warnings.extend(typeset.warnings.iter().cloned());
                for &i in &on_sheet {
                    let row = &mut rows[i];
                    if let Err(e) = &written {
                        let why = Failure::Write(format!(
                            "writing {}: {e}",
                            config.out_dir.join(&**file).display()
                        ));
                        let lang = row.language.clone();
                        fail(row, Unmade { lang, why }, report);
                        continue;
                    }
                    row.status = Status::Written;
                    row.pages = Some(typeset.pages);
                    row.sha256 = sha256.clone();
                    row.clearance_mm = typeset.clearance_mm.map(|c| (c * 10.0).round() / 10.0);
                    let own = sheet_warnings(&row.id, &warnings);
                    row.preflight = Some(if own.is_empty() {
                        Preflight::Ok
                    } else {
                        Preflight::Warn
                    });
                    row.warnings = own.join("; ");
                    report.written += 1;
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
        manifest
            .row(i, row)
            .map_err(|e| Error::io(&config.out_dir, e))?;
        count_preflight(report, row);
    }
    Ok(rows.iter().map(|r| r.status).collect())
}

fn count_preflight(report: &mut Report, row: &ManifestRow) {
    match row.preflight {
        Some(Preflight::Ok) => report.preflight[0] += 1,
        Some(Preflight::Warn) => report.preflight[1] += 1,
        Some(Preflight::Fail) => report.preflight[2] += 1,
        None => {}
    }
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

/// The print file (every written or kept PDF in print order) and the
/// postcode summary for the bulk-mail hand-off.
fn print_file(
    config: &Config,
    plan: &Plan,
    statuses: &[Status],
    name: &str,
    printed: bool,
    report: &mut Report,
) -> Result<()> {
    let order: Vec<usize> = plan
        .print_order(config.print_order, &config.home_country)
        .into_iter()
        .filter(|&i| statuses[i] != Status::Failed)
        .collect();
    if order.is_empty() {
        return Ok(());
    }
    // Made from the pages already, or joined from the pieces' PDFs (some
    // were kept from an earlier run).
    if !printed {
        let target = config.out_dir.join(name);
        let inputs = order
            .iter()
            .map(|&i| config.out_dir.join(plan.file(&plan.pieces[i])));
        match write::combine_pdfs(inputs, &target, config.duplex) {
            Ok(()) => {
                report.combined = Some(target);
                crate::print_file::remove_other_parts(&config.out_dir, name, &[name.to_string()]);
            }
            Err(e) => report
                .notes
                .push(format!("the combined print file could not be written: {e}")),
        }
    }
    let summary = write::postcode_summary(order.iter().map(|&i| {
        let person = plan.person(&plan.pieces[i]);
        (
            person.get("country").to_string(),
            person.get("postal_code").to_string(),
        )
    }));
    write::write_atomic(&config.out_dir, "postcodes.csv", &summary)
        .map_err(|e| Error::io(&config.out_dir, e))?;
    Ok(())
}

/// A one-line progress display on stderr when it is a terminal (silent in
/// logs, pipes and with `--quiet`): pieces done, and once the run has
/// taken a few seconds the rate and the time left.
pub struct Progress<'a> {
    /// Told the count after every piece (the studio).
    pub observer: Option<&'a (dyn Fn(usize, usize) + Send + Sync + 'a)>,
    total: usize,
    done: std::cell::Cell<usize>,
    show: bool,
    start: std::time::Instant,
    /// When the line was last drawn (it is redrawn at most ten times a second).
    drawn: std::cell::Cell<Option<std::time::Instant>>,
}

/// Rate and time left appear after this long.
const PROGRESS_RATE_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

impl Progress<'_> {
    pub fn new(total: usize, quiet: bool) -> Progress<'static> {
        use std::io::IsTerminal;
        Progress {
            observer: None,
            total,
            done: 0.into(),
            show: !quiet && std::io::stderr().is_terminal() && total > 1,
            start: std::time::Instant::now(),
            drawn: None.into(),
        }
    }

    pub fn tick(&self) {
        self.done.set(self.done.get() + 1);
        if let Some(observer) = self.observer {
            observer(self.done.get(), self.total);
        }
        if !self.show {
            return;
        }
        let now = std::time::Instant::now();
        let last = self.done.get() == self.total;
        if !last
            && self
                .drawn
                .get()
                .is_some_and(|t| now - t < std::time::Duration::from_millis(100))
        {
            return;
        }
        self.drawn.set(Some(now));
        eprint!(
            "\r\x1b[2K  {}",
            progress_line(self.done.get(), self.total, now - self.start)
        );
    }

    pub fn finish(&self) {
        if self.show {
            eprint!("\r\x1b[2K");
        }
    }
}

/// "typesetting 120/1000 · 48.2/s · 0:18 left" (rate and time left once
/// `elapsed` passes [`PROGRESS_RATE_AFTER`]).
pub fn progress_line(done: usize, total: usize, elapsed: std::time::Duration) -> String {
    let mut line = format!("typesetting {done}/{total}");
    if elapsed >= PROGRESS_RATE_AFTER && done > 0 {
        let rate = done as f64 / elapsed.as_secs_f64();
        let left = (total.saturating_sub(done) as f64 / rate).round() as u64;
        line.push_str(&format!(
            " · {rate:.1}/s · {}:{:02} left",
            left / 60,
            left % 60
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::progress_line;
    use std::time::Duration;

    #[test]
    fn progress_shows_rate_and_time_left_after_a_few_seconds() {
        assert_eq!(
            progress_line(10, 100, Duration::from_millis(500)),
            "typesetting 10/100"
        );
        assert_eq!(
            progress_line(100, 1000, Duration::from_secs(4)),
            "typesetting 100/1000 · 25.0/s · 0:36 left"
        );
        assert_eq!(
            progress_line(10, 10000, Duration::from_secs(5)),
            "typesetting 10/10000 · 2.0/s · 83:15 left"
        );
    }
}
