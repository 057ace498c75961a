//! Compose and typeset one recipient whose fields are arbitrary text: the
//! run's `Engine` (built once, from a card campaign) composes the person
//! and Typst lays the card out, as a render's worker does. Data must never
//! become Typst code: every piece must compose, and Typst must never
//! stop on it (the preflight may fail a piece for a missing glyph).
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use warmly::args::RenderArgs;
use warmly::config::Config;
use warmly::engine::Engine;
use warmly::model::{Event, Person};

struct Run {
    engine: Engine<'static>,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("warmly-fuzz-typeset-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("msg")).unwrap();
        std::fs::write(dir.join("customers.csv"), "id;last_name\n1;Berg\n").unwrap();
        // Every field of the person and the last event reach the message.
        std::fs::write(
            dir.join("msg/message.de.j2"),
            "{{ salutation }}\n\n{{ person.first_name }} {{ person.last_name }} aus {{ person.city }}, \
             {{ person.note }}.\n{% for e in history.all %}{{ e.summary }} {% endfor %}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("campaign.toml"),
            "template = \"card\"\nlanguage = \"de\"\nmessages = \"msg\"\n[data]\npeople = \"customers.csv\"\n\
             [sender]\ncompany = \"Holzwerk\"\nname = \"Marie\"\ncity = \"Dresden\"\n[theme]\nmotif = \"christmas\"\n",
        )
        .unwrap();
        let args = RenderArgs {
            campaign: Some(dir.join("campaign.toml")),
            date: Some("2026-12-01".into()),
            ..Default::default()
        };
        let config: &'static Config = Box::leak(Box::new(Config::from_render_args(&args).unwrap()));
        let plan = warmly::plan::prepare(config).unwrap();
        let engine = Engine::new(config, &plan, Default::default()).unwrap();
        Run { engine }
    })
}

/// The fields a person can have; each is cut to 300 characters so a run
/// stays fast (the limits are tested in tests/limits.rs).
#[derive(Debug, Arbitrary)]
struct Fields<'a> {
    salutation: &'a str,
    title: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    company: &'a str,
    street: &'a str,
    postal_code: &'a str,
    city: &'a str,
    country: &'a str,
    language: &'a str,
    formality: &'a str,
    note: &'a str,
    summary: &'a str,
}

fn cut(s: &str) -> &str {
    s.char_indices().nth(300).map_or(s, |(i, _)| &s[..i])
}

fuzz_target!(|f: Fields| {
    let run = run();
    let mut person = Person::with_fields([
        ("id", "1"),
        ("salutation", cut(f.salutation)),
        ("title", cut(f.title)),
        ("first_name", cut(f.first_name)),
        ("last_name", cut(f.last_name)),
        ("company", cut(f.company)),
        ("street", cut(f.street)),
        ("postal_code", cut(f.postal_code)),
        ("city", cut(f.city)),
        ("country", cut(f.country)),
        ("language", cut(f.language)),
        ("formality", cut(f.formality)),
        ("note", cut(f.note)),
    ]);
    person.id = "1".into();
    person.line = 2;
    person.events.push(Event {
        date: chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(),
        kind: "order".into(),
        summary: cut(f.summary).into(),
        line: 2,
        extra: Default::default(),
    });
    // Short fields always compose and typeset: a failure here means data
    // changed what the message or the template does. (A first version
    // called `history.all()`, so every compose failed and Typst was never
    // reached — hence no `if let Ok`.)
    let piece = match run.engine.composer.compose(&person, None) {
        Ok(piece) => piece,
        Err(e) => panic!("compose failed: {}", e.0),
    };
    // The preflight may fail a piece (a character no bundled font has);
    // Typst itself must never stop on data.
    if let Err(warmly::typeset::Failed::Typst(e)) = run.engine.typesetter.typeset(&piece) {
        panic!("Typst failed on data: {e}");
    }
    typst::comemo::evict(2);
});
