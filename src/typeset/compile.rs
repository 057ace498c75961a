//! Typst's compile loop, started from what the previous piece of the run
//! learnt about its own layout.
//!
//! `typst::compile` lays a document out until its introspections (page
//! numbers, `measure`, counters) stop changing, and it always starts from an
//! empty introspector. Every piece of a run comes from the same template, so
//! the introspector of a finished piece is a far better first guess: for a
//! one-page letter it already holds the answers, the first layout is the
//! last, and the layout Typst memoised for earlier pieces under the same
//! answers is reused. The loop below is Typst's own (same evaluation, same
//! `layout_document`, same check that the result is stable), only the first
//! guess differs; a guess that is wrong costs one layout, as the empty one
//! does. A document that does not settle within the usual five layouts is
//! compiled again by `typst::compile`, so its warnings are Typst's.

use std::sync::{Arc, Mutex};

use ecow::EcoVec;
use typst::comemo::{Constraint, Track, Tracked};
use typst::diag::{SourceDiagnostic, SourceResult, Warned};
use typst::engine::{Engine, Route, Sink, Traced};
use typst::foundations::{StyleChain, Target, TargetElem};
use typst::introspection::{EmptyIntrospector, Introspector};
use typst::utils::Protected;
use typst::World;
use typst_layout::{PagedDocument, PagedIntrospector};

/// Typst gives up after this many layouts (`typst::MAX_ITERS`).
const MAX_LAYOUTS: usize = 5;

/// The introspector of the last piece finished, shared by the workers.
#[derive(Default)]
pub struct Seed(Mutex<Option<Arc<PagedIntrospector>>>);

impl Seed {
    fn get(&self) -> Option<Arc<PagedIntrospector>> {
        self.0.lock().ok().and_then(|seed| seed.clone())
    }

    fn set(&self, introspector: &Arc<PagedIntrospector>) {
        if let Ok(mut seed) = self.0.lock() {
            *seed = Some(Arc::clone(introspector));
        }
    }
}

/// What a compile did besides the document: how many layouts it took.
pub struct Compiled {
    pub document: Warned<SourceResult<PagedDocument>>,
    pub layouts: usize,
    /// With `WARMLY_RELAYOUT=1`: what in the template made the first
    /// layout not the last (Typst's own convergence diagnosis).
    pub relayout: EcoVec<SourceDiagnostic>,
}

/// Compiles the world's main file to a paged document, starting the layout
/// loop from `seed` (see the module comment).
pub fn compile(world: &dyn World, seed: &Seed) -> Compiled {
    let mut sink = Sink::new();
    let traced = Traced::default();
    let mut layouts = 0;
    let explain = std::env::var_os("WARMLY_RELAYOUT").is_some_and(|v| v != "0");
    let mut relayout = EcoVec::new();
    let result = layout_loop(
        world,
        &traced,
        &mut sink,
        seed.get(),
        &mut layouts,
        explain,
        &mut relayout,
    );
    match result {
        Some(output) => {
            if let Ok(document) = &output {
                seed.set(document.introspector());
            }
            Compiled {
                document: Warned {
                    output,
                    warnings: sink.warnings(),
                },
                layouts,
                relayout,
            }
        }
        // It did not settle: Typst's own loop, with its diagnosis.
        None => Compiled {
            document: typst::compile::<PagedDocument>(world),
            layouts: layouts + MAX_LAYOUTS,
            relayout,
        },
    }
}

/// Evaluates and lays out until stable. `None` when it did not settle.
fn layout_loop(
    world: &dyn World,
    traced: &Traced,
    sink: &mut Sink,
    seed: Option<Arc<PagedIntrospector>>,
    layouts: &mut usize,
    explain: bool,
    why: &mut EcoVec<SourceDiagnostic>,
) -> Option<SourceResult<PagedDocument>> {
    let world = world.track();
    let traced = traced.track();
    let library = world.library();
    let base = StyleChain::new(&library.styles);
    let target = TargetElem::target.set(Target::Paged).wrap();
    let styles = base.chain(&target);

    // An unreadable main file: Typst's own loop gives its message.
    let main = world.source(world.main()).ok()?;
    let content = match typst_eval::eval(
        world,
        library,
        traced,
        sink.track_mut(),
        Route::default().track(),
        &main,
    ) {
        Ok(module) => module.content(),
        Err(errors) => return Some(Err(deduplicate(errors))),
    };

    let empty = EmptyIntrospector;
    let mut last: Option<PagedDocument> = None;
    for _ in 0..MAX_LAYOUTS {
        *layouts += 1;
        let introspector: &dyn Introspector = match (&last, &seed) {
            (Some(document), _) => document.introspector().as_ref(),
            (None, Some(seed)) => seed.as_ref(),
            (None, None) => &empty,
        };
        let constraint = Constraint::new();
        let mut subsink = Sink::new();
        let mut engine = Engine {
            library,
            world,
            introspector: Protected::new(introspector.track_with(&constraint)),
            traced,
            sink: subsink.track_mut(),
            route: Route::default(),
        };
        let document = match typst_layout::layout_document(&mut engine, &content, styles) {
            Ok(document) => document,
            Err(errors) => return Some(Err(deduplicate(errors))),
        };
        if constraint.validate(document.introspector().as_ref() as &dyn Introspector) {
            sink.extend_from_sink(subsink);
            let delayed = sink.delayed();
            if !delayed.is_empty() {
                return Some(Err(deduplicate(delayed)));
            }
            return Some(Ok(document));
        }
        if explain && *layouts == 1 && seed.is_some() {
            *why = why_again(world, &seed, &document, &subsink);
        }
        last = Some(document);
    }
    None
}

/// The same error twice (same place, same words) is shown once, as
/// `typst::compile` does.
fn deduplicate(mut errors: EcoVec<SourceDiagnostic>) -> EcoVec<SourceDiagnostic> {
    let mut seen = std::collections::HashSet::new();
    errors.retain(|error| seen.insert(typst::utils::hash128(&(&error.span, &error.message))));
    errors
}

/// Which introspections of the first layout got other answers from the
/// finished document than from the seed: Typst's convergence analysis,
/// fed the seed five times and the document once.
fn why_again(
    world: Tracked<dyn World + '_>,
    seed: &Option<Arc<PagedIntrospector>>,
    document: &PagedDocument,
    sink: &Sink,
) -> EcoVec<SourceDiagnostic> {
    let empty = EmptyIntrospector;
    let first: &dyn Introspector = match seed {
        Some(seed) => seed.as_ref(),
        None => &empty,
    };
    let last: &dyn Introspector = document.introspector().as_ref();
    let mut found = typst::introspection::analyze(
        world,
        [first, first, first, first, first, last],
        sink.introspections(),
    );
    // The first is Typst's summary ("did not converge within five attempts"),
    // which is not true here.
    if !found.is_empty() {
        found.remove(0);
    }
    found
}
