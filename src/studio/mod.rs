//! The studio: a page in the assistant's own browser over the same plan and
//! engine as `render` — look at every piece, exclude, edit one person's
//! text or the campaign's message, approve and print.
//!
//! ```text
//! browser ──HTTP (127.0.0.1, token, Host, Origin)──> routes.rs ──> Studio
//!                                                      │  snapshot: Plan + Engine (rebuilt after a change)
//!                                                      │  checker: every piece composed, typeset, thumbnailed
//!                                                      └─ render job: cmd::render, then cmd::proof
//! ```
//!
//! What a person changes is written to the campaign's state folder
//! (`state.rs`), so `render`, `check` and `due` see it without the studio.
//! The studio sits below `cmd`: the commands it runs are handed in as
//! [`Commands`].

pub mod desk;
pub mod home;
pub mod routes;
pub mod security;
pub mod views;
pub mod wizard;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;

use crate::args::RenderArgs;
use crate::compose::{Composer, Piece};
use crate::engine::{Engine, Made, Unmade, STACK_SIZE};
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::plan::{self, Plan};
use crate::select::{Reason, ReasonKind};
use crate::settings::Settings;
use crate::state::{Approval, Edits, Exclusions};
use crate::typeset::Preflight;

/// Thumbnails in the grid: a card's front at about 300 px wide, sharp on
/// a screen with twice the pixels.
pub const THUMB_PPI: f32 = 56.0;
/// Pages at reading size (a letter about 1000 px wide).
pub const READ_PPI: f32 = 120.0;
/// Pages of the message editor's live preview.
pub const PREVIEW_PPI: f32 = 90.0;
/// Page images kept for the detail view (the most recent first out).
const PAGE_CACHE: usize = 96;

pub use crate::report::progress::Observer;

/// How serious a finding of `check` is, for the overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Render would stop.
    Error,
    Warning,
    /// Worth knowing (a field the messages use is empty for some).
    Note,
}

/// A finding of `check` for the overview.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Level,
    pub text: String,
}

/// The commands the studio runs, handed in by `cmd::studio`.
#[derive(Clone, Copy)]
pub struct Commands {
    /// The engine of the studio's plan (thumbnails and first pages kept).
    pub engine: for<'a> fn(&'a Settings, &Plan) -> Result<Engine<'a>>,
    /// `warmly render` with a progress observer.
    pub render: for<'a> fn(&Settings, &Observer<'a>) -> Result<u8>,
    /// `warmly proof`.
    pub proof: fn(&Settings) -> Result<u8>,
    /// What `warmly check` finds.
    pub findings: fn(&Settings, &Plan) -> Result<Vec<Finding>>,
    /// Left out per kind: (kind, count, ids with details).
    pub left_out: fn(&Plan) -> Vec<LeftOut>,
    /// `warmly insights` of the plan, re-orders counted within these days.
    pub insights: fn(&Settings, &Plan, i64) -> serde_json::Value,
    /// Writes the win-back campaign to this file: (campaign, messages folder).
    pub win_back:
        fn(&Settings, &std::path::Path) -> Result<(std::path::PathBuf, std::path::PathBuf)>,
}

/// Left out for one kind of reason: (kind, count, ids with details).
pub type LeftOut = (ReasonKind, usize, Vec<String>);

/// A page image's key: person, messages version, person version, page.
type PageKey = (u32, u64, u64, usize);

/// The plan and engine of the campaign as it is on disk now.
pub struct Snapshot {
    pub plan: Plan,
    pub engine: Engine<'static>,
    /// The message as the campaign has it, without hand-edited texts (the
    /// "restore" text of an edited piece).
    pub plain: Composer<'static>,
    /// Person index → index into `plan.pieces` (the first of a household).
    pub piece_of: HashMap<u32, usize>,
    /// Person index → left-out reason.
    pub left_of: HashMap<u32, usize>,
    /// What `check` finds, once it has looked (composing everyone takes a
    /// moment for a long list, so it happens beside the checker).
    pub findings: std::sync::OnceLock<Vec<Finding>>,
    /// Bumped with every snapshot: the checker of an older one stops.
    pub generation: u64,
}

/// What the checker found for one piece.
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub preflight: Preflight,
    /// `kind: text`, as the manifest has them.
    pub warnings: Vec<String>,
    pub generic: bool,
    /// History facts the text used (none for an edited text).
    pub facts: Option<usize>,
    pub pages: usize,
    /// Why the piece cannot be made.
    pub error: Option<String>,
    #[serde(skip)]
    pub thumb: Option<Arc<Vec<u8>>>,
}

/// Caches keyed by person index, valid for one version of the messages.
#[derive(Default)]
struct Cache {
    infos: HashMap<u32, Arc<Info>>,
    /// Bumped per person when their piece changes (an edit), so the
    /// browser fetches new images.
    versions: HashMap<u32, u64>,
    /// Bumped when the messages change: every piece changes.
    messages: u64,
    pages: VecDeque<(PageKey, Arc<Vec<u8>>)>,
}

/// Where a render started from the page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    #[default]
    Idle,
    Running,
    Done,
    Failed,
}

/// A render started from the page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Job {
    pub state: JobState,
    /// What is happening, in words.
    pub phase: String,
    pub done: usize,
    pub total: usize,
    /// Pieces per second and seconds left, once known.
    pub rate: Option<f64>,
    pub left_s: Option<u64>,
    pub exit: Option<u8>,
    pub error: Option<String>,
    /// The files of the output folder, print file and proof first.
    pub outputs: Vec<Output>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub name: String,
    pub kind: OutputKind,
    pub bytes: u64,
}

/// What a file of the output folder is, in the order they are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    Print,
    Proof,
    Manifest,
    Other,
    Piece,
}

/// The running studio.
pub struct Studio {
    pub settings: &'static Settings,
    /// The command line as given, for the render (and proof) it starts.
    pub render_args: RenderArgs,
    pub commands: Commands,
    /// This start's token and port, shared with the rest of the server.
    pub gate: Arc<security::Gate>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// One change of state at a time.
    changing: Mutex<()>,
    generation: AtomicUsize,
    cache: Mutex<Cache>,
    /// Pieces the current checker has done, and how many there are.
    checked: AtomicUsize,
    /// Requests a person waits for (a thumbnail, a page, a preview): the
    /// checker makes no new piece while there are any.
    waiting: AtomicUsize,
    pub job: Mutex<Job>,
}

impl Studio {
    /// Prepares the first snapshot (an error here stops the command, like
    /// a render would stop) and a fresh token.
    pub fn new(
        settings: &'static Settings,
        render_args: RenderArgs,
        commands: Commands,
        gate: Arc<security::Gate>,
    ) -> Result<Arc<Studio>> {
        if settings.run.state_dir.is_none() {
            return Err(Error::config(
                "the studio needs a campaign file (its state folder keeps exclusions, edits and the approval)",
            )
            .with_hint("warmly studio samples/christmas-2026.toml"));
        }
        let snapshot = build(settings, &commands, 0)?;
        if snapshot.plan.is_sheet() {
            return Err(Error::config(
                "the studio shows one piece per recipient; a label sheet has one page for all",
            )
            .with_hint("use `warmly proof` or `warmly render` for label sheets"));
        }
        Ok(Arc::new(Studio {
            settings,
            render_args,
            commands,
            gate,
            snapshot: RwLock::new(Arc::new(snapshot)),
            changing: Mutex::new(()),
            generation: AtomicUsize::new(0),
            cache: Mutex::default(),
            checked: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            job: Mutex::new(Job::default()),
        }))
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    /// Reads the campaign again after a change; the checker starts over
    /// for what is not cached. `all` forgets every piece (the messages or
    /// the data changed), `person` only that one.
    pub fn rebuild(self: &Arc<Self>, all: bool, person: Option<u32>) -> Result<()> {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) as u64 + 1;
        let snapshot = build(self.settings, &self.commands, generation)?;
        {
            let mut cache = self.cache.lock().expect("cache lock");
            if all {
                cache.infos.clear();
                cache.messages += 1;
            }
            if let Some(n) = person {
                cache.infos.remove(&n);
                *cache.versions.entry(n).or_default() += 1;
            }
        }
        *self.snapshot.write().expect("snapshot lock") = Arc::new(snapshot);
        self.start_checker();
        Ok(())
    }

    /// Runs `change` alone (no two writes to the state folder at once),
    /// then rebuilds.
    pub fn change(
        self: &Arc<Self>,
        all: bool,
        person: Option<u32>,
        change: impl FnOnce(&Snapshot) -> Result<()>,
    ) -> Result<()> {
        let _alone = self.changing.lock().expect("change lock");
        change(&self.snapshot())?;
        self.rebuild(all, person)
    }

    /// The version of a person's images: changes when their piece does.
    pub fn version(&self, person: u32) -> String {
        let cache = self.cache.lock().expect("cache lock");
        format!(
            "{}.{}",
            cache.messages,
            cache.versions.get(&person).copied().unwrap_or(0)
        )
    }

    pub fn info(&self, person: u32) -> Option<Arc<Info>> {
        self.cache
            .lock()
            .expect("cache lock")
            .infos
            .get(&person)
            .cloned()
    }

    /// (checked, to check) of the current snapshot.
    pub fn progress(&self) -> (usize, usize) {
        let snap = self.snapshot();
        let cache = self.cache.lock().expect("cache lock");
        let done = snap
            .plan
            .pieces
            .iter()
            .filter(|p| cache.infos.contains_key(&p.person))
            .count();
        (done, snap.plan.pieces.len())
    }

    /// Composes, typesets and thumbnails every piece not yet checked, on
    /// the engine's workers; stops when a newer snapshot replaces this one.
    pub fn start_checker(self: &Arc<Self>) {
        let studio = self.clone();
        let snap = self.snapshot();
        self.checked.store(0, Ordering::SeqCst);
        let (settings, findings, looked) = (self.settings, self.commands.findings, snap.clone());
        std::thread::Builder::new()
            .name("studio-findings".into())
            .stack_size(STACK_SIZE)
            .spawn(move || {
                in_background();
                let found = findings(settings, &looked.plan).unwrap_or_else(|e| {
                    vec![Finding {
                        severity: Level::Error,
                        text: e.to_string(),
                    }]
                });
                let _ = looked.findings.set(found);
            })
            .expect("spawning the findings thread");
        std::thread::Builder::new()
            .name("studio-check".into())
            .spawn(move || {
                in_background();
                let todo: Vec<usize> = (0..snap.plan.pieces.len())
                    .filter(|&i| studio.info(snap.plan.pieces[i].person).is_none())
                    .collect();
                // A person waiting for a picture goes first: the checker's
                // workers finish the piece they have and wait.
                let current = || loop {
                    let current =
                        studio.generation.load(Ordering::SeqCst) as u64 == snap.generation;
                    if !current || studio.waiting.load(Ordering::SeqCst) == 0 {
                        return current;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(3));
                };
                snap.engine.stream_while(
                    &snap.plan,
                    &todo,
                    current,
                    |_, made| Ok(info_of(made).0),
                    |i, result| {
                        let info = result.unwrap_or_else(failed);
                        studio.store(&snap, snap.plan.pieces[i].person, Arc::new(info));
                        studio.checked.fetch_add(1, Ordering::Relaxed);
                    },
                );
            })
            .expect("spawning the checker");
    }

    /// Keeps an info if its snapshot is still the current one.
    fn store(&self, snap: &Snapshot, person: u32, info: Arc<Info>) {
        if self.generation.load(Ordering::SeqCst) as u64 == snap.generation {
            self.cache
                .lock()
                .expect("cache lock")
                .infos
                .insert(person, info);
        }
    }

    /// While the returned guard lives, the checker makes no new piece:
    /// a person is waiting for this request.
    pub fn waiting(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting(&self.waiting)
    }

    /// The thumbnail of a person's first page (made now if the checker
    /// has not come to it yet).
    pub fn thumbnail(&self, person: u32) -> Option<Arc<Vec<u8>>> {
        if let Some(info) = self.info(person) {
            return info.thumb.clone();
        }
        let _first = self.waiting();
        let snap = self.snapshot();
        let i = *snap.piece_of.get(&person)?;
        let info = Arc::new(on_stack(|| make(&snap, i).0));
        self.store(&snap, person, info.clone());
        info.thumb.clone()
    }

    /// One page of a person's piece at reading size (PNG).
    pub fn page(&self, person: u32, page: usize) -> std::result::Result<Arc<Vec<u8>>, String> {
        let _first = self.waiting();
        let snap = self.snapshot();
        let (messages, version) = {
            let cache = self.cache.lock().expect("cache lock");
            (
                cache.messages,
                cache.versions.get(&person).copied().unwrap_or(0),
            )
        };
        let key = (person, messages, version, page);
        if let Some((_, png)) = self
            .cache
            .lock()
            .expect("cache lock")
            .pages
            .iter()
            .find(|(k, _)| *k == key)
        {
            return Ok(png.clone());
        }
        let i = *snap
            .piece_of
            .get(&person)
            .ok_or("this person gets no piece in this run")?;
        let (info, laid_out) = on_stack(|| make(&snap, i));
        let pages = laid_out.ok_or_else(|| info.error.clone().unwrap_or_default())?;
        let pngs = crate::typeset::render_pages(&pages, READ_PPI)?;
        let mut cache = self.cache.lock().expect("cache lock");
        let mut wanted = None;
        for (p, png) in pngs.into_iter().enumerate() {
            let png = Arc::new(png);
            if p == page {
                wanted = Some(png.clone());
            }
            cache.pages.push_back(((person, messages, version, p), png));
        }
        while cache.pages.len() > PAGE_CACHE {
            cache.pages.pop_front();
        }
        wanted.ok_or_else(|| format!("the piece has no page {}", page + 1))
    }

    /// The approval on record and what changed since.
    pub fn approval(&self) -> Option<(Approval, Vec<&'static str>)> {
        let snap = self.snapshot();
        let approval = snap.plan.approval.clone()?;
        let changed = approval.changed(&snap.plan.fingerprint());
        Some((approval, changed))
    }
}

/// Lowers this thread's priority (and that of the threads it starts):
/// checking every piece and composing for the findings must not slow the
/// pictures and previews a person is waiting for. Linux only; elsewhere
/// the `waiting` guard alone gives requests the way.
pub fn in_background() {
    #[cfg(target_os = "linux")]
    // SAFETY: sets the nice value of the calling thread (its kernel id);
    // a failure leaves the priority as it was.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

/// A request a person waits for; see [`Studio::waiting`].
pub struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The plan, engine and findings of the campaign as it is on disk.
fn build(settings: &'static Settings, commands: &Commands, generation: u64) -> Result<Snapshot> {
    let plan = plan::prepare(settings, &Mode::Studio)?;
    let engine = (commands.engine)(settings, &plan)?;
    let plain = Composer::new(&settings.compose, &plan.template)?.with_scale(plan.scale.clone());
    let mut piece_of = HashMap::new();
    for (i, piece) in plan.pieces.iter().enumerate() {
        piece_of.insert(piece.person, i);
        for &m in piece.members.iter() {
            piece_of.insert(m, i);
        }
    }
    let left_of = plan
        .left_out
        .iter()
        .enumerate()
        .map(|(i, l)| (l.person, i))
        .collect();
    Ok(Snapshot {
        plan,
        engine,
        plain,
        piece_of,
        left_of,
        findings: Default::default(),
        generation,
    })
}

/// Composes and typesets piece `i` (a request's, outside the checker):
/// what the grid shows, and the laid-out pages for larger images.
fn make(snap: &Snapshot, i: usize) -> (Info, Option<ecow::EcoVec<typst_layout::Page>>) {
    let planned = &snap.plan.pieces[i];
    let person = snap.plan.person(planned);
    let piece = match snap.engine.compose(&snap.plan, planned) {
        Ok(piece) => piece,
        Err(e) => {
            let why = e.into();
            return (
                failed(Unmade {
                    lang: String::new(),
                    why,
                }),
                None,
            );
        }
    };
    match snap.engine.typesetter.typeset(&piece) {
        Ok(typeset) => info_of(Made {
            person,
            piece,
            typeset,
            print_only: false,
        }),
        Err(e) => {
            let why = e.into();
            (
                failed(Unmade {
                    lang: piece.lang,
                    why,
                }),
                None,
            )
        }
    }
}

/// What the grid shows of a piece that could not be made.
fn failed(unmade: Unmade) -> Info {
    Info {
        preflight: Preflight::Fail,
        warnings: Vec::new(),
        generic: false,
        facts: None,
        pages: 0,
        error: Some(unmade.why.to_string()),
        thumb: None,
    }
}

/// What the grid shows of a made piece, and its laid-out pages.
fn info_of(made: Made) -> (Info, Option<ecow::EcoVec<typst_layout::Page>>) {
    let Made { piece, typeset, .. } = made;
    let mut warnings: Vec<String> = piece
        .warnings
        .iter()
        .chain(&typeset.warnings)
        .map(|w| format!("{}: {}", w.kind.as_str(), w.message))
        .collect();
    warnings.dedup();
    let generic = piece
        .warnings
        .iter()
        .any(|w| w.kind == crate::compose::WarningKind::Generic);
    // The engine renders the one page a thumbnail shows (cmd/studio.rs).
    let info = Info {
        preflight: typeset.preflight,
        warnings,
        generic,
        facts: (!piece.edited).then_some(piece.facts),
        pages: typeset.pages,
        error: None,
        thumb: typeset.images.into_iter().next().map(Arc::new),
    };
    (info, typeset.laid_out)
}

/// Runs `f` on a thread with Typst's stack (a request thread's is small).
pub fn on_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, f)
            .expect("spawning a typesetting thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The settings of a render (or proof) started from the studio: the
/// command line of the studio, as that command.
pub fn run_settings(args: &RenderArgs, mode: Mode) -> Result<Settings> {
    let mut args = args.clone();
    args.dry_run = false;
    args.export_inputs = None;
    args.test_grid = false;
    args.json = false;
    args.quiet = true;
    crate::mode::settings(&args, &mode)
}

/// Words for a left-out person's reason.
pub fn reason_text(reason: &Reason) -> String {
    match reason {
        Reason::Excluded { reason, .. } => format!("excluded — {reason}"),
        Reason::Returned { held, .. } => format!("returned mail: {}", held.describe()),
        Reason::Capped { last, .. } => format!("had a piece on {last} (min_days_between)"),
        Reason::OrderedSince { since, .. } => {
            format!(
                "{} on {}, after the run date: no win-back needed",
                since.kind, since.date
            )
        }
        other => other.kind().describe().to_string(),
    }
}

/// Exclusions and edits of the campaign, for a change.
pub fn state_of(snap: &Snapshot) -> Result<(std::path::PathBuf, Exclusions, Edits)> {
    let dir = snap
        .plan
        .state_dir
        .clone()
        .ok_or_else(|| Error::config("no state folder"))?;
    Ok((dir, snap.plan.exclusions.clone(), snap.plan.edits.clone()))
}

/// A person's piece composed (no typesetting): for the text and the facts.
pub fn compose(
    snap: &Snapshot,
    composer: &Composer,
    i: usize,
) -> std::result::Result<Piece, String> {
    let planned = &snap.plan.pieces[i];
    composer
        .compose_for(
            &snap.plan.person(planned),
            &snap.plan.household(planned),
            planned.due.occasion(),
        )
        .map_err(|e| e.0)
}
