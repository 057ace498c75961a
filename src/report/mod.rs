//! What a run tells people: the report of a render, proof or preview, and
//! the terminal's manners — output cut short by a closed pipe ends the
//! program quietly, and repeated warnings of one kind are summarised (a
//! count and the first few; the full list is in the manifest and `--json`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

pub mod progress;

pub use progress::Progress;

use crate::compose::{Warning, WarningKind};
use crate::error::{Problem, EXIT_OK, EXIT_PARTIAL};
use crate::select::ReasonKind;

/// How many of a kind the terminal shows before it summarises.
pub const SHOWN: usize = 3;

/// Writes a line to stdout; a reader that went away (`| head -1`) ends
/// the program quietly, as a Unix tool does.
pub fn out(line: std::fmt::Arguments) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(line).and_then(|_| stdout.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(EXIT_OK.into());
        }
    }
}

/// Writes a line to stderr; nothing to do if that is gone too.
pub fn err(line: std::fmt::Arguments) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(line).and_then(|_| stderr.write_all(b"\n"));
}

/// `outln!("…", …)`: a line on stdout that ends quietly on a closed pipe.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::report::out(format_args!($($arg)*)) };
}

/// `errln!("…", …)`: a line on stderr that never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::report::err(format_args!($($arg)*)) };
}

/// Prints problems of the loader with `prefix` ("warning"), each kind of
/// repeated problem as its first few and a count.
pub fn print_problems<'a>(
    prefix: &str,
    problems: impl IntoIterator<Item = &'a Problem>,
    to_stdout: bool,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let print = |line: String| {
        if to_stdout {
            outln!("{line}")
        } else {
            errln!("{line}")
        }
    };
    for p in problems {
        if !p.kind.is_empty() {
            let n = seen.entry(p.kind).or_default();
            *n += 1;
            if *n > SHOWN {
                continue;
            }
        }
        print(format!("{prefix}: {p}"));
    }
    for (kind, n) in seen.into_iter().filter(|&(_, n)| n > SHOWN) {
        print(format!(
            "{prefix}: … and {} more of this kind ({kind}, {n} in all; `warmly check --json` lists every one)",
            n - SHOWN
        ));
    }
}

/// A run-stopping error, its hint, and that nothing was written.
pub fn print_error(error: &crate::error::Error) {
    errln!("error: {error}");
    if let Some(hint) = error.hint() {
        errln!("hint: {hint}");
    }
    errln!("nothing was written.");
}

/// A recipient that was not produced.
#[derive(Debug, Clone)]
pub struct FailedPiece {
    pub id: String,
    pub line: u64,
    pub reason: String,
}

/// Piece warnings, counted per kind with the first few kept for the terminal.
#[derive(Debug, Default)]
pub struct WarningSummary {
    kinds: BTreeMap<WarningKind, (usize, Vec<String>)>,
}

impl WarningSummary {
    /// Adds a piece's warning; `owner` is the piece's recipient (None: a sheet).
    pub fn add(&mut self, owner: Option<&str>, warning: &Warning) {
        let (count, first) = self.kinds.entry(warning.kind).or_default();
        *count += 1;
        if first.len() < SHOWN {
            let id = warning.recipient.as_deref().or(owner).unwrap_or("sheet");
            first.push(format!("{id}: {}", warning.message));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    fn print(&self) {
        for (kind, (count, first)) in &self.kinds {
            for line in first {
                errln!("warning: {line}");
            }
            if *count > first.len() {
                let kind = kind.as_str();
                errln!(
                    "warning: … and {} more warning(s) of this kind ({kind}, {count} in all; see manifest.csv)",
                    count - first.len()
                );
            }
        }
    }
}

/// What a render, proof or preview did, for the summary and the exit code.
#[derive(Debug, Default)]
pub struct Report {
    pub out_dir: PathBuf,
    pub people_file: PathBuf,
    pub recipients: usize,
    pub written: usize,
    /// Outputs that existed and were kept (no --force): count and the first few.
    pub kept: usize,
    pub kept_first: Vec<String>,
    pub failed: Vec<FailedPiece>,
    /// Left out per reason kind: (kind, count, first ids).
    pub left_out: Vec<(ReasonKind, usize, Vec<String>)>,
    /// Households merged into one piece: "K-1 + K-2", the first few; and
    /// how many households and people there are in all.
    pub households: (usize, usize, Vec<String>),
    /// Run-wide notes (the loader's warnings, no sender, …).
    pub problems: Vec<Problem>,
    /// A note that is not about the input (the ledger could not be updated, …).
    pub notes: Vec<String>,
    pub piece_warnings: WarningSummary,
    pub manifest: Option<PathBuf>,
    pub combined: Option<PathBuf>,
    /// A print file in parts (see print_file.rs): every part, in print order.
    pub combined_parts: Vec<PathBuf>,
    /// A shard's: which shard ("2/4") and how many parts the whole run's
    /// print file has (the shard made some of them).
    pub print_share: Option<(String, usize)>,
    /// History facts per written piece: none, one, two, three or more.
    pub facts: Option<[usize; 4]>,
    /// Preflight results of the typeset pieces: ok, warn, fail.
    pub preflight: [usize; 3],
    /// `--test-grid`: the file written.
    pub test_grid: Option<PathBuf>,
    /// `warmly proof` / `warmly preview`: the files written.
    pub proofs: Vec<PathBuf>,
}

impl Report {
    pub fn exit_code(&self) -> u8 {
        if self.failed.is_empty() {
            EXIT_OK
        } else {
            EXIT_PARTIAL
        }
    }

    pub fn keep(&mut self, file: &str) {
        self.kept += 1;
        if self.kept_first.len() < SHOWN {
            self.kept_first.push(file.to_string());
        }
    }

    pub fn count_facts(&mut self, facts: usize) {
        self.facts.get_or_insert([0; 4])[facts.min(3)] += 1;
    }

    fn left(&self, kind: ReasonKind) -> Option<&(ReasonKind, usize, Vec<String>)> {
        self.left_out.iter().find(|(k, _, _)| *k == kind)
    }

    /// Prints what a render did: failures first (they need action), then
    /// who was left out, the counts and where the files are.
    pub fn print(&self, quiet: bool) {
        print_problems("warning", &self.problems, false);
        for note in &self.notes {
            errln!("warning: {note}");
        }
        if !quiet {
            self.piece_warnings.print();
        }
        for failure in &self.failed {
            errln!(
                "failed: {} ({} line {}): {}",
                short(&failure.id),
                self.people_file.display(),
                failure.line,
                failure.reason
            );
        }
        if self.kept > 0 {
            errln!(
                "kept {} existing file(s) unchanged (use --force to regenerate): {}{}",
                self.kept,
                self.kept_first.join(", "),
                more(self.kept, self.kept_first.len(), ", …")
            );
        }
        self.print_left_out();
        if let Some(grid) = &self.test_grid {
            errln!(
                "test grid: {} (print it on plain paper at 100 % / \"actual size\" and hold it against the label sheet or envelope, or fold it into the window envelope)",
                grid.display()
            );
            return;
        }
        if let Some((_, n, _)) = self.left(ReasonKind::NotDue) {
            errln!("{n} person(s) have no occasion due in this run's window");
        }
        if let Some((_, n, _)) = self.left(ReasonKind::NotMatching) {
            errln!("{n} person(s) did not match the campaign's selection");
        }
        if self.recipients == 0 && self.manifest.is_none() {
            errln!(
                "nothing to do: no recipient is due → {}",
                self.out_dir.display()
            );
            return;
        }
        if !self.proofs.is_empty() {
            errln!(
                "{} recipient(s): {} shown, {} failed; no piece was written, the ledger is unchanged",
                self.recipients,
                self.written,
                self.failed.len()
            );
            for proof in &self.proofs {
                errln!("written: {}", proof.display());
            }
            return;
        }
        self.print_outputs();
    }

    /// Who was left out by the person or by hand, households, and what the
    /// ledger and the frequency cap held back.
    fn print_left_out(&self) {
        let listed = [
            (ReasonKind::OptedOut, "person(s) who opted out"),
            (ReasonKind::Excluded, "person(s) by hand (the studio)"),
            (
                ReasonKind::Returned,
                "person(s) whose mail came back ([data] returns)",
            ),
        ];
        for (kind, who) in listed {
            if let Some((_, n, ids)) = self.left(kind) {
                errln!(
                    "left out {n} {who}: {}{}",
                    ids.join(", "),
                    more(*n, ids.len(), ", …")
                );
            }
        }
        let (households, people, shown) = &self.households;
        if *households > 0 {
            errln!(
                "one piece per household: {households} household(s) of {people} people: {}{}",
                shown.join("; "),
                more(*households, shown.len(), "; …")
            );
        }
        if let Some((_, n, _)) = self.left(ReasonKind::AlreadyDone) {
            errln!(
                "skipped {n} recipient(s) the ledger says were already produced (use --force to regenerate)"
            );
        }
        if let Some((_, n, ids)) = self.left(ReasonKind::Capped) {
            errln!(
                "left out {n} recipient(s) who got a piece too recently (policy.min_days_between): {}{}",
                ids.join(", "),
                more(*n, ids.len(), ", …")
            );
        }
        let insights = [
            (
                ReasonKind::OrderedSince,
                "person(s) who ordered (or were in touch) after the run date",
            ),
            (
                ReasonKind::Control,
                "person(s) kept back as the control group (a `control` line in the ledger each)",
            ),
        ];
        for (kind, who) in insights {
            if let Some((_, n, ids)) = self.left(kind) {
                errln!(
                    "left out {n} {who}: {}{}",
                    ids.join(", "),
                    more(*n, ids.len(), ", …")
                );
            }
        }
    }

    /// The counts of a render and where its files are.
    fn print_outputs(&self) {
        errln!(
            "{} recipient(s): {} written, {} kept, {} failed → {}",
            self.recipients,
            self.written,
            self.kept,
            self.failed.len(),
            self.out_dir.display()
        );
        if let Some([none, one, two, more]) = self.facts {
            errln!(
                "history facts per piece: none {none} · one {one} · two {two} · three or more {more}"
            );
        }
        if self.preflight.iter().sum::<usize>() > 0 {
            let [ok, warn, fail] = self.preflight;
            errln!("preflight: {ok} ok · {warn} with warnings · {fail} failed (see manifest.csv)");
        }
        if let Some((shard, total)) = &self.print_share {
            self.print_share(shard, *total);
        } else {
            match self.combined_parts.as_slice() {
                [first, .., last] => errln!(
                    "print files: {} … {} ({} parts, in print order; [output] print_part sets the pieces per file)",
                    first.display(),
                    last.display(),
                    self.combined_parts.len(),
                ),
                _ => {
                    if let Some(combined) = &self.combined {
                        errln!("print file: {}", combined.display());
                    }
                }
            }
        }
        if let Some(manifest) = &self.manifest {
            errln!("manifest:   {}", manifest.display());
        }
    }

    /// A shard's parts of the run's print file.
    fn print_share(&self, shard: &str, total: usize) {
        let name = |p: &PathBuf| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        };
        let made: Vec<String> = match self.combined_parts.is_empty() {
            true => self.combined.iter().map(name).collect(),
            false => self.combined_parts.iter().map(name).collect(),
        };
        let list = match made.as_slice() {
            [] => String::new(),
            [a, b, .., z] if made.len() > 3 => format!(": {a}, {b} … {z}"),
            _ => format!(": {}", made.join(", ")),
        };
        errln!(
            "print file: shard {shard} made {} of the run's {total} part(s){list}; `warmly merge` puts the shards together",
            made.len()
        );
    }
}

/// `tail` when fewer than all (`n`) were shown.
fn more(n: usize, shown: usize, tail: &str) -> &str {
    if n > shown {
        tail
    } else {
        ""
    }
}

/// Up to eight ids, then "…": enough to find them, short enough to read.
pub fn some_ids(ids: &[String]) -> String {
    let mut s = ids.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > 8 {
        s.push_str(", …");
    }
    s
}

/// An id as the terminal shows it: a two-megabyte id (a limit's failure)
/// would flood it, so past 60 characters it is cut with an ellipsis.
fn short(id: &str) -> std::borrow::Cow<'_, str> {
    match id.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &id[..end]).into(),
        None => id.into(),
    }
}
