//! Data never becomes code, checked on generated strings (issue 13):
//! whatever a field holds, the escaper turns it into one inert Typst
//! string, and the PDF shows it letter for letter.

mod util;

use std::sync::OnceLock;

use proptest::prelude::*;
use typst::syntax::{ast, SyntaxKind, SyntaxNode};
use warmly::args::RenderArgs;
use warmly::engine::Engine;
use warmly::mode::Mode;
use warmly::model::Person;
use warmly::settings::Settings;

/// Every kind of node the message markup around a printed value may hold:
/// text and spaces of the message itself, and per value `#`, one string
/// and `;`. Anything else (a call, a `set`, strong, a heading, an error)
/// would mean the value became markup or code.
const INERT: &[SyntaxKind] = &[
    SyntaxKind::Markup,
    SyntaxKind::Text,
    SyntaxKind::Space,
    SyntaxKind::Hash,
    SyntaxKind::Str,
    SyntaxKind::Semicolon,
];

fn kinds(node: &SyntaxNode, out: &mut Vec<SyntaxKind>) {
    out.push(node.kind());
    for child in node.children() {
        kinds(child, out);
    }
}

/// The strings of a parsed markup, decoded.
fn strings(node: &SyntaxNode, out: &mut Vec<String>) {
    if let Some(s) = node.cast::<ast::Str>() {
        out.push(s.get().to_string());
    }
    for child in node.children() {
        strings(child, out);
    }
}

fn env() -> &'static minijinja::Environment<'static> {
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env =
            warmly::jinja::environment(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        // Where a value lands in real messages: in a sentence, right
        // after a word, before `(` and `[` (which would extend a call),
        // and at the start of a line (where `=`, `-`, `+` are markup).
        env.add_template("m.de.j2", "Hallo {{ v }}!\nx{{ v }}(1)[a]\n{{ v }}\n")
            .unwrap();
        env
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any Unicode text — control characters, quotes, backslashes, Typst's
    /// markup and code characters — comes out of the message as `#"…";`
    /// and parses to nothing but text and that string, which decodes to
    /// the value itself.
    #[test]
    fn the_escaper_output_is_inert_typst(v in any::<String>()) {
        let out = env()
            .get_template("m.de.j2")
            .unwrap()
            .render(minijinja::context! { v => v.clone() })
            .unwrap();
        let root = typst::syntax::parse(&out);
        let mut seen = Vec::new();
        kinds(&root, &mut seen);
        let stray: Vec<_> = seen.iter().filter(|k| !INERT.contains(k)).collect();
        prop_assert!(stray.is_empty(), "{stray:?} in {out:?}");
        let mut values = Vec::new();
        strings(&root, &mut values);
        // Carriage returns are dropped (a line end is a line end).
        let expected = v.replace('\r', "");
        prop_assert_eq!(values, vec![expected; 3]);
    }
}

/// The characters the bundled fonts have, and every character Typst's
/// markup and code give a meaning.
fn printable() -> Vec<char> {
    let mut chars: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
    chars.extend("äöüßÄÖÜéèêçñøåœæ".chars());
    chars.extend("αβγδλμπσωΑΒΓΔΛΣΩ".chars());
    chars.extend("абвгджзклмнпрстуфяАБВГДЖЗЯ".chars());
    chars.extend("#[]*_`$<>@=-+/\\\"'~{}()%&!?.,:;|^€§".chars());
    chars
}

/// A value as a spreadsheet cell holds it: words of those characters with
/// single spaces, short enough for one line of a letter.
fn value() -> impl Strategy<Value = String> {
    let word = prop::collection::vec(prop::sample::select(printable()), 1..8)
        .prop_map(|cs| cs.into_iter().collect::<String>());
    prop::collection::vec(word, 1..5).prop_map(|ws| ws.join(" "))
}

/// The engine of a letter run, built once: each case composes and
/// typesets one person in this process, as a render's worker does.
fn engine() -> &'static Engine<'static> {
    static ENGINE: OnceLock<Engine<'static>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        let path = dir.path();
        std::fs::create_dir_all(path.join("msg")).unwrap();
        std::fs::write(path.join("people.csv"), "id,last_name\n1,Berg\n").unwrap();
        std::fs::write(
            path.join("msg/message.de.j2"),
            "Guten Tag,\n\n»{{ person.note }}«\n",
        )
        .unwrap();
        std::fs::write(
            path.join("c.toml"),
            "template = \"letter\"\nlanguage = \"de\"\nmessages = \"msg\"\n[data]\npeople = \"people.csv\"\n\
             [sender]\ncompany = \"Test GmbH\"\nname = \"Eva Test\"\n",
        )
        .unwrap();
        let args = RenderArgs {
            campaign: Some(path.join("c.toml")),
            date: Some("2026-12-01".into()),
            ..Default::default()
        };
        let settings: &'static Settings = Box::leak(Box::new(Settings::resolve(&args).unwrap()));
        let plan = warmly::plan::prepare(settings, &Mode::Render).unwrap();
        Engine::new(settings, &plan, Default::default()).unwrap()
    })
}

proptest! {
    // Each case typesets a letter and reads it back with pdftotext.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_field_value_appears_literally_in_the_pdf(v in value()) {
        let engine = engine();
        let mut person = Person::with_fields([
            ("id", "1"),
            ("first_name", "Anna"),
            ("last_name", "Berg"),
            ("street", "Ring 1"),
            ("postal_code", "01069"),
            ("city", "Dresden"),
            ("note", v.as_str()),
        ]);
        person.id = "1".into();
        person.line = 2;
        let piece = engine.composer.compose(&person, None).unwrap();
        let typeset = engine.typesetter.typeset(&piece).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("x.pdf");
        std::fs::write(&pdf, &typeset.pdf).unwrap();
        let text = util::text(&pdf);
        prop_assert!(text.contains(&format!("»{v}«")), "{v:?} not literal in:\n{text}");
    }
}
