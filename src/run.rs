//! The pipeline of `warmly render`: load → select → compose → typeset →
//! write. Everything that can stop the run is checked before the output
//! folder is touched; after that, a failing recipient is counted and the
//! others are still produced (like ripgrep's per-file errors).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::compose::{Composer, Piece};
use crate::config::{Config, PrintOrder, Sink};
use crate::error::{Error, Result, EXIT_OK, EXIT_PARTIAL};
use crate::ledger::{Entry, Ledger, Lock};
use crate::load;
use crate::select::select;
use crate::template::{Kind, Template, Window};
use crate::typeset::{Checks, Typeset, Typesetter, PREFLIGHT};
use crate::write::{self, ManifestRow, Namer};

/// Stack size of a typesetting thread: Typst recurses deeply, and rayon's
/// 2 MiB default overflowed in measurements (notes/performance.md).
const STACK_SIZE: usize = 16 << 20;

/// A recipient that was not produced.
#[derive(Debug, Clone)]
pub struct Failure {
    pub id: String,
    pub line: u64,
    pub reason: String,
}

/// What a run did, for the summary and the exit code.
#[derive(Debug, Default)]
pub struct Report {
    pub out_dir: PathBuf,
    pub people_file: PathBuf,
    pub written: usize,
    /// Outputs that existed and were kept (no --force).
    pub kept: Vec<String>,
    pub failed: Vec<Failure>,
    pub opted_out: Vec<String>,
    pub not_matching: usize,
    /// Run-wide notes (no sender, unknown ids in the history, …).
    pub warnings: Vec<String>,
    /// Recipients with warnings: (id, warning).
    pub piece_warnings: Vec<(String, String)>,
    pub manifest: Option<PathBuf>,
    pub combined: Option<PathBuf>,
    pub recipients: usize,
    /// Left out because the ledger holds them (a re-run).
    pub already_done: usize,
    /// Not due for the campaign's occasion in the window.
    pub not_due: usize,
    /// Left out by the frequency cap: "id (last piece date)".
    pub capped: Vec<String>,
    /// With --dry-run: (id, occasion, file) that would be produced.
    pub planned: Vec<(String, String, String)>,
    pub dry_run: bool,
    /// History facts used, per written piece.
    pub facts: Vec<usize>,
    /// `--test-grid`: the file written.
    pub test_grid: Option<PathBuf>,
    /// `warmly proof` / `warmly preview`: the files written.
    pub proofs: Vec<PathBuf>,
    /// Preflight results of the typeset pieces: ok, warn, fail.
    pub preflight: [usize; 3],
}

impl Report {
    pub fn exit_code(&self) -> u8 {
        if self.failed.is_empty() {
            EXIT_OK
        } else {
            EXIT_PARTIAL
        }
    }
}

/// Runs the whole pipeline for one configuration.
pub fn render(config: &Config) -> Result<Report> {
    // load
    let template = Template::load(&config.template, config.messages_dir.as_deref())?;
    let loaded = load::load(&config.load_options())?;
    let id_source = if loaded.people.derived_ids {
        "derived"
    } else {
        "file"
    };
    let (mut persons, problems) = loaded.into_checked()?;

    // state: the lock (one run of a campaign at a time) and the ledger
    // (what earlier runs produced; it also reads back as history)
    // Only a render writes state; proofs, previews and grids only look.
    let writes_state = config.sink == Sink::Files
        && !config.dry_run
        && !config.test_grid
        && config.export_inputs.is_none();
    let lock = match (&config.state_dir, writes_state) {
        (Some(dir), true) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            Some(Lock::acquire(dir, &config.name)?)
        }
        _ => None,
    };
    let mut ledger = match &config.state_dir {
        Some(dir) => Some(Ledger::open(dir)?),
        None => None,
    };
    if let Some(ledger) = &ledger {
        ledger.add_to_history(&mut persons);
    }
    let mut report = Report {
        out_dir: config.out_dir.clone(),
        people_file: config.people.clone(),
        ..Report::default()
    };
    report
        .warnings
        .extend(problems.iter().map(|p| p.to_string()));
    if config.sender.is_empty() {
        report.warnings.push(
            "no sender given: letterhead and signature stay empty (set [sender] in a campaign)"
                .into(),
        );
    }

    // select
    let composer = Composer::new(config, &template)?;
    if config.test_grid {
        return test_grid(config, &template, &composer, &persons, report);
    }
    let preview = matches!(config.sink, Sink::Preview { .. });
    // A preview shows a piece even if the ledger says it was produced.
    let selection = select(
        &persons,
        config,
        &composer,
        if preview { None } else { ledger.as_ref() },
    )?;
    report.opted_out = selection.opted_out.clone();
    report.not_matching = selection.not_matching;
    // What the ledger (and so the history) calls a piece: a card or a
    // letter; a template without a message (an envelope) is no contact.
    let piece_kind = match (&template.manifest.closing_style, template.manifest.message) {
        (_, false) => "envelope".to_string(),
        (Some(style), true) => style.clone(),
        (None, true) => "letter".to_string(),
    };
    report.already_done = selection.already_done.len();
    report.not_due = selection.not_due;
    for (due, last) in &selection.capped {
        report
            .capped
            .push(format!("{} (last piece {last})", due.person.id));
    }
    let mut recipients = selection.recipients;
    if let Sink::Preview { id, .. } = &config.sink {
        recipients.retain(|due| due.person.id == *id);
        if recipients.is_empty() {
            let known = persons.iter().any(|p| p.id == *id);
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
                .with_hint(
                    "ids are in the first column of `warmly check`'s output and in manifest.csv",
                )
            });
        }
    }
    report.recipients = recipients.len();

    let known: Vec<String> = persons
        .first()
        .map(|p| {
            p.fields
                .keys()
                .cloned()
                .chain(["name".to_string()])
                .collect()
        })
        .unwrap_or_default();
    let unknown = Namer::unknown_placeholders(&config.pattern, &known);
    if !persons.is_empty() && !unknown.is_empty() {
        return Err(Error::config(format!(
            "the file-name pattern \"{}\" uses unknown field(s): {}",
            config.pattern,
            unknown.join(", ")
        ))
        .with_hint(format!("known fields: {}", known.join(", "))));
    }

    // compose
    let sheet = template.manifest.kind == Kind::Sheet;
    let sheet_file = format!("{}.pdf", write::sanitize_component(&template.name));
    // Existing files are kept only where render writes one per recipient.
    let keep_existing =
        config.sink == Sink::Files && !sheet && !config.force && config.export_inputs.is_none();
    let mut namer = Namer::new(&config.pattern);
    let mut jobs: Vec<Job> = Vec::new();
    let mut rows: Vec<ManifestRow> = Vec::new();
    let mut sort_keys: Vec<PrintKey> = Vec::new();
    for (index, due) in recipients.iter().enumerate() {
        let person = due.person;
        let file = if sheet {
            sheet_file.clone()
        } else {
            namer.name(person)
        };
        let mut row = ManifestRow {
            id: person.id.clone(),
            occasion: due.key.clone(),
            status: "failed",
            file: file.clone(),
            pages: None,
            sha256: String::new(),
            facts: None,
            preflight: "",
            clearance_mm: None,
            warnings: String::new(),
            error: String::new(),
            line: person.line,
            language: String::new(),
            id_source,
        };
        sort_keys.push(PrintKey::of(person));
        let target = config.out_dir.join(&file);
        if keep_existing && target.exists() {
            row.status = "kept";
            row.sha256 = std::fs::read(&target)
                .map(|b| write::sha256_hex(&b))
                .unwrap_or_default();
            report.kept.push(file);
        } else {
            match composer.compose(index, person, due.occasion.as_ref()) {
                Ok(piece) => {
                    row.language = piece.lang.clone();
                    jobs.push(Job {
                        row: index,
                        file,
                        piece,
                    });
                }
                Err(e) => {
                    row.error = e.0.clone();
                    report.failed.push(Failure {
                        id: person.id.clone(),
                        line: person.line,
                        reason: e.0,
                    });
                }
            }
        }
        rows.push(row);
    }

    if config.dry_run {
        report.dry_run = true;
        for row in &rows {
            report
                .planned
                .push((row.id.clone(), row.occasion.clone(), row.file.clone()));
        }
        return Ok(report);
    }

    if let Some(dir) = &config.export_inputs {
        export_inputs(dir, &jobs)?;
        report.out_dir = dir.clone();
        report.written = jobs.len();
        return Ok(report);
    }

    let home = home_country(config);
    let order = print_order(config.print_order, &sort_keys, &home);
    let checks = Checks {
        // The calibration offset moves the print on the page so that the
        // printer puts it where it belongs: the window moves with it.
        window: template.manifest.window(composer.format()).map(|w| Window {
            x: w.x + config.print.offset_x,
            y: w.y + config.print.offset_y,
            ..w
        }),
        pages: if sheet { None } else { template.manifest.pages },
        overflow_is_error: config.print.overflow_is_error,
        window_is_error: config.print.window_is_error,
        render_ppi: match &config.sink {
            Sink::Files => None,
            Sink::Proof => Some(crate::proof::THUMBNAIL_PPI),
            Sink::Preview { ppi, .. } => Some(*ppi),
        },
    };
    let typesetter = || typesetter(config, &template, checks.clone());

    // A sheet (labels) is one document for everyone, in print order.
    if sheet && !jobs.is_empty() {
        jobs = vec![sheet_job(jobs, &order, &sheet_file)?];
    }

    if config.sink != Sink::Files {
        let mut results = Vec::new();
        if !jobs.is_empty() {
            let typesetter = typesetter()?;
            let progress = Progress::new(jobs.len(), config.quiet);
            typeset_all(&typesetter, &jobs, config.jobs, |job, result| {
                results.push((job.row, result));
                progress.tick();
            });
            progress.finish();
        }
        results.sort_by_key(|(row, _)| order.iter().position(|r| r == row));
        return crate::proof::finish(config, &template, &rows, &jobs, results, sheet, report);
    }

    // typeset + write
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    if lock.is_some() {
        write::remove_stale_temp_files(&config.out_dir);
    }
    // Sheets are not sent, so they never enter the ledger.
    if sheet {
        ledger = None;
    }
    let entry = |row: &ManifestRow| Entry {
        campaign: config.name.clone(),
        occasion: row.occasion.clone(),
        person_id: row.id.clone(),
        file: row.file.clone(),
        sha256: row.sha256.clone(),
        run_date: config.date,
        kind: piece_kind.clone(),
    };
    // A kept file that the ledger lacks was finished by a run that was
    // killed before it could write the line: record it now.
    if let Some(ledger) = ledger.as_mut() {
        for row in rows.iter().filter(|r| r.status == "kept") {
            if !ledger.contains(&config.name, &row.occasion, &row.id) {
                ledger.append(entry(row))?;
            }
        }
    }
    if !jobs.is_empty() {
        let typesetter = typesetter()?;
        let progress = Progress::new(jobs.len(), config.quiet);
        typeset_all(&typesetter, &jobs, config.jobs, |job, result| {
            // A sheet's one job stands for every recipient on it.
            let targets: Vec<usize> = if sheet {
                (0..rows.len())
                    .filter(|&i| rows[i].error.is_empty())
                    .collect()
            } else {
                vec![job.row]
            };
            match result.and_then(|t| write_piece(config, job, t)) {
                Ok((typeset, sha)) => {
                    let mut warnings = job.piece.warnings.clone();
                    warnings.extend(typeset.warnings);
                    for &i in &targets {
                        let row = &mut rows[i];
                        row.status = "written";
                        row.pages = Some(typeset.pages);
                        row.sha256 = sha.clone();
                        row.preflight = typeset.preflight;
                        row.clearance_mm = typeset.clearance_mm.map(|c| (c * 10.0).round() / 10.0);
                        report.written += 1;
                        if sheet {
                            // the sheet's warnings name their recipient ("K-1: …")
                            let own = sheet_warnings(&row.id, &warnings);
                            row.preflight = if own.is_empty() { "ok" } else { "warn" };
                            row.warnings = own.join("; ");
                            continue;
                        }
                        if template.manifest.message {
                            row.facts = Some(job.piece.facts);
                            report.facts.push(job.piece.facts);
                        }
                        row.warnings = warnings.join("; ");
                        if let Some(ledger) = ledger.as_mut() {
                            if let Err(e) = ledger.append(entry(row)) {
                                report.warnings.push(format!(
                                    "{}: written, but the ledger was not updated: {e}",
                                    row.id
                                ));
                            }
                        }
                    }
                    for w in &warnings {
                        let (id, w) = match w.split_once(": ") {
                            Some((id, rest)) if sheet && rows.iter().any(|r| r.id == id) => {
                                (id.to_string(), rest.to_string())
                            }
                            _ => (job.piece.id.clone(), w.clone()),
                        };
                        report.piece_warnings.push((id, w));
                    }
                }
                Err(reason) => {
                    for &i in &targets {
                        let row = &mut rows[i];
                        row.error = reason.clone();
                        if reason.starts_with(PREFLIGHT) {
                            row.preflight = "fail";
                        }
                        report.failed.push(Failure {
                            id: row.id.clone(),
                            line: row.line,
                            reason: reason.clone(),
                        });
                    }
                }
            }
            progress.tick();
        });
        progress.finish();
    }
    report.failed.sort_by_key(|f| f.line);
    // Nothing selected (e.g. a daily run on a quiet day): leave the last
    // run's manifest and print file alone.
    if rows.is_empty() {
        return Ok(report);
    }

    for row in &rows {
        match row.preflight {
            "ok" => report.preflight[0] += 1,
            "warn" => report.preflight[1] += 1,
            "fail" => report.preflight[2] += 1,
            _ => {}
        }
    }
    let manifest = write::manifest_csv(&rows);
    report.manifest = Some(
        write::write_atomic(&config.out_dir, "manifest.csv", &manifest)
            .map_err(|e| Error::io(&config.out_dir, e))?,
    );
    if sheet {
        report.combined = rows
            .iter()
            .any(|r| r.status == "written")
            .then(|| config.out_dir.join(&sheet_file));
        return Ok(report);
    }
    if let Some(name) = &config.combined {
        let order: Vec<usize> = order
            .into_iter()
            .filter(|&i| rows[i].status != "failed")
            .collect();
        let inputs: Vec<PathBuf> = order
            .iter()
            .map(|&i| config.out_dir.join(&rows[i].file))
            .collect();
        if !inputs.is_empty() {
            let target = config.out_dir.join(name);
            match write::combine_pdfs(&inputs, &target, config.duplex) {
                Ok(()) => report.combined = Some(target),
                Err(e) => report
                    .warnings
                    .push(format!("the combined print file could not be written: {e}")),
            }
            let keys: Vec<&PrintKey> = order.iter().map(|&i| &sort_keys[i]).collect();
            let summary = write::postcode_summary(
                keys.iter()
                    .map(|k| (k.country.as_str(), k.postal_code.as_str())),
            );
            write::write_atomic(&config.out_dir, "postcodes.csv", &summary)
                .map_err(|e| Error::io(&config.out_dir, e))?;
        }
    }
    Ok(report)
}

/// The run's typesetter: the template, the signature image, the PDF
/// standards and fonts of the configuration, and what to preflight.
fn typesetter(config: &Config, template: &Template, checks: Checks) -> Result<Typesetter> {
    Ok(Typesetter::new(
        template,
        config.signature_image.as_slice(),
        &config.pdf_standards,
        &config.font_dirs,
        config.date,
        &config.name,
    )?
    .with_checks(checks))
}

/// The sender's country: mail to it is domestic and sorts first.
fn home_country(config: &Config) -> String {
    let home = config
        .sender
        .get("country")
        .map(|c| crate::compose::lang::normalize_country(c))
        .unwrap_or_default();
    if home.is_empty() {
        "DE".to_string()
    } else {
        home
    }
}

/// Row indices in print order.
fn print_order(order: PrintOrder, keys: &[PrintKey], home: &str) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..keys.len()).collect();
    match order {
        PrintOrder::PostalCode => {
            rows.sort_by(|&a, &b| keys[a].postal(home).cmp(&keys[b].postal(home)))
        }
        PrintOrder::Name => rows.sort_by(|&a, &b| keys[a].name.cmp(&keys[b].name)),
        PrintOrder::Input => {}
    }
    rows
}

/// The warnings of one recipient on a sheet: those that name it ("K-1: …").
pub(crate) fn sheet_warnings<'a>(id: &str, warnings: &'a [String]) -> Vec<&'a str> {
    let own = format!("{id}: ");
    warnings
        .iter()
        .filter(|w| w.starts_with(&own))
        .map(String::as_str)
        .collect()
}

/// Merges composed pieces into one sheet document: the first piece's data
/// (sender, theme, print) plus `labels`, every recipient in print order.
fn sheet_job(jobs: Vec<Job>, order: &[usize], file: &str) -> Result<Job> {
    let position = |row: usize| order.iter().position(|&r| r == row).unwrap_or(usize::MAX);
    let mut jobs = jobs;
    jobs.sort_by_key(|job| position(job.row));
    let mut labels = Vec::new();
    let mut base: Option<serde_json::Value> = None;
    let mut warnings = Vec::new();
    for job in &jobs {
        let data: serde_json::Value = serde_json::from_slice(&job.piece.data)
            .map_err(|e| Error::config(format!("internal: composed data is not JSON: {e}")))?;
        let recipient = &data["recipient"];
        labels.push(serde_json::json!({
            "id": job.piece.id,
            "name": recipient["name"],
            "address": recipient["address"],
            "lang": job.piece.lang,
        }));
        warnings.extend(
            job.piece
                .warnings
                .iter()
                .map(|w| format!("{}: {w}", job.piece.id)),
        );
        base.get_or_insert(data);
    }
    let mut data = base.unwrap_or_default();
    data["labels"] = serde_json::Value::Array(labels);
    let first = jobs.into_iter().next().expect("a sheet has jobs");
    Ok(Job {
        row: first.row,
        file: file.to_string(),
        piece: Piece {
            id: "sheet".into(),
            data: serde_json::to_vec_pretty(&data).expect("JSON of JSON serialises"),
            warnings,
            facts: 0,
            ..first.piece
        },
    })
}

/// `--test-grid`: the template's outlines and rulers with the calibration
/// applied, data of the first person (for the sender), one file.
fn test_grid(
    config: &Config,
    template: &Template,
    composer: &Composer,
    persons: &[crate::model::Person],
    mut report: Report,
) -> Result<Report> {
    if !template.manifest.test_grid {
        return Err(
            Error::config(format!("template \"{}\" has no test grid", template.name))
                .with_hint("the built-in letter, envelope and labels templates have one"),
        );
    }
    let person = persons.first().ok_or_else(|| {
        Error::config("the people file has no rows").with_hint(
            "the test grid takes the sender from the campaign and a sample from the first row",
        )
    })?;
    let piece = composer
        .compose(0, person, None)
        .map_err(|e| Error::config(format!("composing the test grid: {}", e.0)))?;
    let mut data: serde_json::Value = serde_json::from_slice(&piece.data)
        .map_err(|e| Error::config(format!("internal: composed data is not JSON: {e}")))?;
    data["labels"] = serde_json::Value::Array(Vec::new());
    let piece = Piece {
        data: serde_json::to_vec_pretty(&data).expect("JSON serialises"),
        ..piece
    };
    let typesetter = typesetter(config, template, Checks::default())?;
    let typeset = typesetter
        .typeset(&piece)
        .map_err(|e| Error::config(format!("the test grid: {e}")))?;
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    let path = write::write_atomic(&config.out_dir, "test-grid.pdf", &typeset.pdf)
        .map_err(|e| Error::io(&config.out_dir, e))?;
    report.test_grid = Some(path);
    Ok(report)
}

/// Writes what the typesetter would get, one folder per recipient.
fn export_inputs(dir: &std::path::Path, jobs: &[Job]) -> Result<()> {
    for job in jobs {
        let stem = job.file.strip_suffix(".pdf").unwrap_or(&job.file);
        let folder = dir.join(stem);
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        for (name, bytes) in [
            ("data.json", job.piece.data.as_slice()),
            ("message.typ", job.piece.message.as_bytes()),
        ] {
            write::write_atomic(&folder, name, bytes).map_err(|e| Error::io(&folder, e))?;
        }
    }
    Ok(())
}

/// What the print file is sorted by.
struct PrintKey {
    country: String,
    postal_code: String,
    /// Last name (or company), then first name, lower case.
    name: String,
}

impl PrintKey {
    fn of(person: &crate::model::Person) -> PrintKey {
        let last = if person.get("last_name").is_empty() {
            person.get("company")
        } else {
            person.get("last_name")
        };
        PrintKey {
            country: person.get("country").to_string(),
            postal_code: person.get("postal_code").to_string(),
            name: format!("{} {}", last, person.get("first_name")).to_lowercase(),
        }
    }

    /// Domestic mail first, by postcode; then abroad by country and postcode.
    fn postal(&self, home: &str) -> (bool, &str, &str, &str) {
        let abroad = !self.country.is_empty() && self.country != home;
        (
            abroad,
            if abroad { self.country.as_str() } else { "" },
            self.postal_code.as_str(),
            self.name.as_str(),
        )
    }
}

/// A composed piece waiting for the typesetter.
pub(crate) struct Job {
    /// Index into the manifest rows.
    pub row: usize,
    pub file: String,
    pub piece: Piece,
}

fn write_piece(config: &Config, job: &Job, typeset: Typeset) -> Result<(Typeset, String), String> {
    let sha = write::sha256_hex(&typeset.pdf);
    write::write_atomic(&config.out_dir, &job.file, &typeset.pdf)
        .map_err(|e| format!("writing {}: {e}", config.out_dir.join(&job.file).display()))?;
    Ok((typeset, sha))
}

/// Typesets every job on `threads` OS threads with large stacks; results
/// come back to the calling thread (which writes them) in completion order.
fn typeset_all(
    typesetter: &Typesetter,
    jobs: &[Job],
    threads: usize,
    mut on_result: impl FnMut(&Job, Result<Typeset, String>),
) {
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, jobs.len().max(1));
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Result<Typeset, String>)>(threads * 2);
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            std::thread::Builder::new()
                .name("typeset".into())
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let result = typesetter.typeset(&job.piece);
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                })
                .expect("spawning a typesetting thread");
        }
        drop(tx);
        let mut done = 0usize;
        for (i, result) in rx {
            on_result(&jobs[i], result);
            done += 1;
            // Keep memory flat: drop cached results that later documents did
            // not reuse. The template's own work is hit by every document and
            // survives. Always runs, also after failures.
            if done.is_multiple_of(threads) {
                typst::comemo::evict(2);
            }
        }
    });
    typst::comemo::evict(0);
}

/// A one-line progress display on a terminal; silent in logs.
struct Progress {
    total: usize,
    done: std::cell::Cell<usize>,
    show: bool,
}

impl Progress {
    fn new(total: usize, quiet: bool) -> Progress {
        Progress {
            total,
            done: 0.into(),
            show: !quiet && std::io::stderr().is_terminal() && total > 1,
        }
    }

    fn tick(&self) {
        self.done.set(self.done.get() + 1);
        if self.show {
            eprint!("\r  typesetting {}/{}", self.done.get(), self.total);
        }
    }

    fn finish(&self) {
        if self.show {
            eprint!("\r\x1b[2K");
        }
    }
}
