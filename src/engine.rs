//! The stream: the plan's pieces are composed, typeset and preflighted on
//! worker threads, one piece at a time, and each result goes to the
//! command's sink as it is done — in plan order, so manifests and ledgers
//! come out the same on every run. Memory does not grow with the number
//! of recipients: a piece lives from its composition until its sink has
//! taken it.
//!
//! ```text
//! plan.pieces ──> [worker: compose → typeset → preflight → finish] ×N ──> reorder ──> sink
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::compose::{ComposeError, Composer, Piece};
use crate::error::Result;
use crate::model::Person;
use crate::plan::{Plan, Planned};
use crate::settings::Settings;
use crate::typeset::{Checks, Failed, Typeset, Typesetter};

/// Stack size of a worker thread: Typst recurses deeply, and rayon's
/// 2 MiB default overflowed in measurements (notes/performance.md).
pub const STACK_SIZE: usize = 16 << 20;

/// A typeset piece, before its sink writes it.
pub struct Made {
    /// The recipient, built once for the whole piece.
    pub person: Person,
    pub piece: Piece,
    pub typeset: Typeset,
    /// Another shard's piece, laid out for this shard's print part only:
    /// its `typeset` has pages but no PDF.
    pub print_only: bool,
}

/// Why one recipient's piece was not made. The run goes on without it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The message or a text could not be rendered.
    Compose(String),
    /// Typst or the preflight stopped the document.
    Typeset(Failed),
    /// The finished PDF could not be written.
    Write(String),
}

impl Failure {
    /// The preflight failed it (the manifest's `preflight` says `fail`).
    pub fn is_preflight(&self) -> bool {
        matches!(self, Failure::Typeset(Failed::Preflight(_)))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Compose(m) | Failure::Write(m) => f.write_str(m),
            Failure::Typeset(failed) => failed.fmt(f),
        }
    }
}

impl From<ComposeError> for Failure {
    fn from(e: ComposeError) -> Failure {
        Failure::Compose(e.0)
    }
}

impl From<Failed> for Failure {
    fn from(f: Failed) -> Failure {
        Failure::Typeset(f)
    }
}

/// A piece that was not made: why, and the language it was composed in
/// (empty when composing failed).
#[derive(Debug, Clone)]
pub struct Unmade {
    pub lang: String,
    pub why: Failure,
}

/// The composer and typesetter of a run, shared by its worker threads.
pub struct Engine<'a> {
    pub composer: Composer<'a>,
    pub typesetter: Typesetter,
    threads: usize,
}

impl<'a> Engine<'a> {
    /// Compiles the messages (a syntax error stops here) and builds the
    /// typesetter with what the preflight checks.
    pub fn new(settings: &'a Settings, plan: &Plan, checks: Checks) -> Result<Engine<'a>> {
        let composer = Composer::new(&settings.compose, &plan.template)?
            .with_edits(plan.edits.clone())
            .with_scale(plan.scale.clone());
        let typesetter = Typesetter::new(&plan.template, &settings.typeset)?.with_checks(checks);
        Ok(Engine {
            composer,
            typesetter,
            threads: settings.run.jobs.max(1),
        })
    }

    /// Composes and typesets piece `i` of the plan (a shard's other
    /// pieces only laid out, for its share of the print file).
    fn make(&self, plan: &Plan, i: usize) -> Result<Made, Unmade> {
        let planned = plan.planned(i);
        let print_only = i >= plan.pieces.len();
        let person = plan.person(planned);
        let piece = crate::timing::time(crate::timing::Stage::Compose, || {
            self.composer
                .compose_for(&person, &plan.household(planned), planned.due.occasion())
        })
        .map_err(|e| Unmade {
            lang: String::new(),
            why: e.into(),
        })?;
        let typeset = match print_only {
            true => self.typesetter.pages(&piece),
            false => self.typesetter.typeset(&piece),
        }
        .map_err(|f| Unmade {
            lang: piece.lang.clone(),
            why: f.into(),
        })?;
        Ok(Made {
            person,
            piece,
            typeset,
            print_only,
        })
    }

    /// Composes one planned piece.
    pub fn compose(&self, plan: &Plan, planned: &Planned) -> Result<Piece, ComposeError> {
        self.composer.compose_for(
            &plan.person(planned),
            &plan.household(planned),
            planned.due.occasion(),
        )
    }

    /// Composes every planned piece on this thread, in plan order (a label
    /// sheet needs them all in one document). A failed one is `Err`.
    pub fn compose_all(&self, plan: &Plan) -> Vec<Result<Piece, ComposeError>> {
        plan.pieces
            .iter()
            .map(|planned| self.compose(plan, planned))
            .collect()
    }

    /// Makes the pieces `work` (indices into `plan.pieces`, then a shard's
    /// `plan.others`, see [`Plan::planned`]) on the worker threads:
    /// compose, typeset, then `finish` (still on the worker, e.g. write the
    /// file). `sink` gets every outcome on the calling thread, in the order
    /// of `work`. Other shards' pieces are laid out, not exported.
    pub fn stream<R: Send>(
        &self,
        plan: &Plan,
        work: &[usize],
        finish: impl Fn(&Planned, Made) -> Result<R, Unmade> + Sync,
        sink: impl FnMut(usize, Result<R, Unmade>),
    ) {
        self.stream_while(plan, work, || true, finish, sink)
    }

    /// [`Engine::stream`] that stops starting pieces once `going` says no
    /// (the studio's checker, when a newer plan replaces the one it
    /// checks); the pieces under way still reach the sink.
    pub fn stream_while<R: Send>(
        &self,
        plan: &Plan,
        work: &[usize],
        going: impl Fn() -> bool + Sync,
        finish: impl Fn(&Planned, Made) -> Result<R, Unmade> + Sync,
        mut sink: impl FnMut(usize, Result<R, Unmade>),
    ) {
        let make = |i: usize| {
            self.make(plan, i)
                .and_then(|made| finish(plan.planned(i), made))
        };
        crate::release_free_memory();
        let next = AtomicUsize::new(0);
        let threads = self.threads.clamp(1, work.len().max(1));
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<(usize, Result<R, Unmade>)>(threads * 2);
            for _ in 0..threads {
                let tx = tx.clone();
                let (next, make, going) = (&next, &make, &going);
                std::thread::Builder::new()
                    .name("piece".into())
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, move || loop {
                        if !going() {
                            break;
                        }
                        let position = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = work.get(position) else { break };
                        if tx.send((position, make(i))).is_err() {
                            break;
                        }
                    })
                    .expect("spawning a worker thread");
            }
            drop(tx);
            // Results arrive as they finish; the sink sees them in order.
            let mut waiting = BTreeMap::new();
            let mut due = 0usize;
            for (done, (position, result)) in rx.into_iter().enumerate() {
                waiting.insert(position, result);
                while let Some(result) = waiting.remove(&due) {
                    sink(work[due], result);
                    due += 1;
                }
                // Keep memory flat: drop cached results that later documents
                // did not reuse. The template's own work is hit by every
                // document and survives. Runs after failures too.
                if (done + 1).is_multiple_of(threads) {
                    typst::comemo::evict(2);
                }
            }
        });
        typst::comemo::evict(0);
    }
}
