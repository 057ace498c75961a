//! The pipeline of `warmly render`: load → select → compose → typeset →
//! write. Everything that can stop the run is checked before the output
//! folder is touched; after that, a failing recipient is counted and the
//! others are still produced (like ripgrep's per-file errors).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::compose::{Composer, Piece};
use crate::config::{Config, PrintOrder};
use crate::error::{Error, Result, EXIT_OK, EXIT_PARTIAL};
use crate::ledger::{Entry, Ledger, Lock};
use crate::load;
use crate::select::select;
use crate::template::Template;
use crate::typeset::{Typeset, Typesetter};
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
    let lock = match (&config.state_dir, config.dry_run) {
        (Some(dir), false) => {
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
    let selection = select(&persons, config, &composer, ledger.as_ref())?;
    report.opted_out = selection.opted_out.clone();
    report.not_matching = selection.not_matching;
    let piece_kind = template
        .manifest
        .closing_style
        .clone()
        .unwrap_or_else(|| "letter".into());
    report.already_done = selection.already_done.len();
    report.not_due = selection.not_due;
    for (due, last) in &selection.capped {
        report
            .capped
            .push(format!("{} (last piece {last})", due.person.id));
    }
    let recipients = selection.recipients;
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
    let mut namer = Namer::new(&config.pattern);
    let mut jobs: Vec<Job> = Vec::new();
    let mut rows: Vec<ManifestRow> = Vec::new();
    let mut sort_keys: Vec<PrintKey> = Vec::new();
    for (index, due) in recipients.iter().enumerate() {
        let person = due.person;
        let file = namer.name(person);
        let mut row = ManifestRow {
            id: person.id.clone(),
            occasion: due.key.clone(),
            status: "failed",
            file: file.clone(),
            pages: None,
            sha256: String::new(),
            facts: None,
            warnings: String::new(),
            error: String::new(),
            line: person.line,
            language: String::new(),
            id_source,
        };
        sort_keys.push(PrintKey::of(person));
        let target = config.out_dir.join(&file);
        if target.exists() && !config.force && config.export_inputs.is_none() {
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

    // typeset + write
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    if lock.is_some() {
        write::remove_stale_temp_files(&config.out_dir);
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
        let typesetter = Typesetter::new(
            &template,
            config.signature_image.as_slice(),
            &config.pdf_standards,
            &config.font_dirs,
            config.date,
            &config.name,
        )?;
        let progress = Progress::new(jobs.len(), config.quiet);
        typeset_all(&typesetter, &jobs, config.jobs, |job, result| {
            let row = &mut rows[job.row];
            match result.and_then(|t| write_piece(config, job, t)) {
                Ok((typeset, sha)) => {
                    row.status = "written";
                    row.facts = Some(job.piece.facts);
                    report.facts.push(job.piece.facts);
                    row.pages = Some(typeset.pages);
                    row.sha256 = sha;
                    let mut warnings = job.piece.warnings.clone();
                    warnings.extend(typeset.warnings);
                    if let Some(expected) = template.manifest.pages.filter(|&p| p != typeset.pages)
                    {
                        warnings.push(format!(
                            "{} pages, the template expects {expected}",
                            typeset.pages
                        ));
                    }
                    for w in &warnings {
                        report
                            .piece_warnings
                            .push((job.piece.id.clone(), w.clone()));
                    }
                    row.warnings = warnings.join("; ");
                    report.written += 1;
                    if let Some(ledger) = ledger.as_mut() {
                        if let Err(e) = ledger.append(entry(row)) {
                            report.warnings.push(format!(
                                "{}: written, but the ledger was not updated: {e}",
                                row.id
                            ));
                        }
                    }
                }
                Err(reason) => {
                    row.error = reason.clone();
                    report.failed.push(Failure {
                        id: job.piece.id.clone(),
                        line: job.piece.line,
                        reason,
                    });
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

    let manifest = write::manifest_csv(&rows);
    report.manifest = Some(
        write::write_atomic(&config.out_dir, "manifest.csv", &manifest)
            .map_err(|e| Error::io(&config.out_dir, e))?,
    );
    if let Some(name) = &config.combined {
        let home = config
            .sender
            .get("country")
            .map(|c| crate::compose::lang::normalize_country(c))
            .unwrap_or_default();
        let home = if home.is_empty() {
            "DE".to_string()
        } else {
            home
        };
        let mut order: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].status != "failed")
            .collect();
        match config.print_order {
            PrintOrder::PostalCode => {
                order.sort_by(|&a, &b| sort_keys[a].postal(&home).cmp(&sort_keys[b].postal(&home)))
            }
            PrintOrder::Name => order.sort_by(|&a, &b| sort_keys[a].name.cmp(&sort_keys[b].name)),
            PrintOrder::Input => {}
        }
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
struct Job {
    /// Index into the manifest rows.
    row: usize,
    file: String,
    piece: Piece,
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
