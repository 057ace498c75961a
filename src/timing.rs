//! Where the time of a run goes, stage by stage: set `WARMLY_TIMINGS=1`
//! and a render prints, after its report, the total and per-piece time of
//! each stage (summed over the worker threads) to stderr; along the way it
//! prints the memory the process holds at the run's milestones (resident
//! set, from `/proc/self/status`; the peak is the kernel's high-water
//! mark). Off, a stage costs one relaxed atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// The stages of a piece, in pipeline order.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Messages, address, `/data.json`.
    Compose,
    /// `typst::compile`: evaluation and layout.
    Compile,
    /// The checks on the laid-out document (frames, fonts, window).
    Preflight,
    /// `typst_pdf::pdf` and the page boxes.
    Export,
    /// The PDF into place (atomic write) and its hash.
    Write,
    /// Manifest row and ledger lines, on the sink.
    Record,
    /// The print file: its pages exported once more, part by part, on a
    /// thread of its own.
    PrintFile,
}

const STAGES: [(Stage, &str); 7] = [
    (Stage::Compose, "compose"),
    (Stage::Compile, "compile/layout"),
    (Stage::Preflight, "preflight"),
    (Stage::Export, "PDF export"),
    (Stage::Write, "write"),
    (Stage::Record, "manifest+ledger"),
    (Stage::PrintFile, "print file"),
];

static NANOS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];
static COUNTS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("WARMLY_TIMINGS").is_some_and(|v| v != "0"))
}

/// Runs `f` and adds its time to `stage` (when timings are on).
pub fn time<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    if !on() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let i = stage as usize;
    NANOS[i].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    COUNTS[i].fetch_add(1, Ordering::Relaxed);
    out
}

/// Adds the time since `start` to `stage` (when timings are on).
pub fn add(stage: Stage, start: Instant) {
    if on() {
        let i = stage as usize;
        NANOS[i].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        COUNTS[i].fetch_add(1, Ordering::Relaxed);
    }
}

static LAYOUTS: AtomicU64 = AtomicU64::new(0);

/// Counts the layouts one compile took (Typst lays a document out until
/// its page numbers and measurements settle).
pub fn layouts(n: usize) {
    if on() {
        LAYOUTS.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// When the process started (see [`begin`]).
static BEGUN: OnceLock<Instant> = OnceLock::new();

/// Notes the start of the process, for the times of [`mark`]; `main`
/// calls it first.
pub fn begin() {
    BEGUN.get_or_init(Instant::now);
}

/// Prints the process's resident memory now, at milestone `label`, and
/// the seconds since [`begin`] to stderr (when timings are on): where a
/// run's memory and time go, as it happens (a long run can be stopped
/// once it is seen).
pub fn mark(label: &'static str) {
    if on() {
        if let Some(kib) = status_kib("VmRSS:") {
            let secs = BEGUN.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
            eprintln!(
                "memory at {label:<22} {:>7.1} MiB  ({secs:.2} s)",
                kib as f64 / 1024.0
            );
        }
    }
}

/// A `/proc/self/status` value in KiB (Linux; `None` elsewhere).
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Prints the stage table to stderr (when timings are on).
pub fn print() {
    if !on() {
        return;
    }
    let pieces = COUNTS[Stage::Compose as usize]
        .load(Ordering::Relaxed)
        .max(1);
    eprintln!("stage            calls   total ms  ms/piece");
    for (stage, name) in STAGES {
        let i = stage as usize;
        let (nanos, calls) = (
            NANOS[i].load(Ordering::Relaxed),
            COUNTS[i].load(Ordering::Relaxed),
        );
        let ms = nanos as f64 / 1e6;
        let per = ms / pieces as f64;
        eprintln!("{name:<16} {calls:>5} {ms:>10.1} {per:>9.3}");
    }
    let layouts = LAYOUTS.load(Ordering::Relaxed) as f64;
    eprintln!("layouts per compile: {:.2}", layouts / pieces as f64);
    mark("the end");
    if let Some(peak) = status_kib("VmHWM:") {
        eprintln!(
            "memory at {:<22} {:>7.1} MiB",
            "its peak",
            peak as f64 / 1024.0
        );
    }
}
