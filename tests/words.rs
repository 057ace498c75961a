//! The words of a piece: the first letter after the salutation per
//! language, built-in messages on the documented minimal history, and
//! undefined values explained with the expression and the reason.

mod util;

use util::{text, Workdir};

/// The documented minimal history: person_id, date, kind, summary.
fn minimal_history(w: &Workdir) {
    let full = std::fs::read_to_string(util::repo().join("samples/history.csv")).unwrap();
    let minimal: String = full
        .lines()
        .map(|line| {
            let mut csv = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes());
            let record = csv.records().next().unwrap().unwrap();
            let mut out = csv::WriterBuilder::new().from_writer(vec![]);
            out.write_record(record.iter().take(4)).unwrap();
            String::from_utf8(out.into_inner().unwrap()).unwrap()
        })
        .collect();
    assert!(minimal.starts_with("person_id,date,kind,summary\n"));
    w.write("history.csv", minimal);
}

#[test]
fn built_in_messages_work_with_the_minimal_history() {
    let w = Workdir::new();
    w.copy_samples();
    minimal_history(&w);
    for template in ["card", "letter"] {
        let out = format!("out-{template}");
        let run = w.run(&[
            "render",
            "-q",
            "--template",
            template,
            "--people",
            "samples/customers.csv",
            "--history",
            "history.csv",
            "--date",
            "2026-12-01",
            "--out",
            &out,
        ]);
        run.expect_code(0);
        assert!(!run.stderr().contains("failed:"), "{}", run.stderr());
        // 30 people, 2 opted out: every other one has a piece.
        assert_eq!(w.pdfs(&out).len(), 28, "{template}: {}", run.stderr());
    }
    // K-1021 ordered this year; without a product column the card names the order's summary.
    let card = w
        .pdfs("out-card")
        .into_iter()
        .find(|p| p.to_string_lossy().contains("K-1021"))
        .unwrap();
    let card = text(&card);
    assert!(
        card.contains("viel Freude an Bücherwand Wohnzimmer."),
        "{card}"
    );
}

#[test]
fn english_continues_with_a_capital_german_in_lower_case() {
    let w = Workdir::new();
    w.copy_samples();
    w.run(&["render", "-q", "samples/christmas-2026.toml"])
        .expect_code(0);
    // K-1007 (English, customer since 2019) and K-1002 (German, since 2012).
    let pdfs = w.pdfs("out/christmas-2026");
    let find = |id: &str| {
        text(
            pdfs.iter()
                .find(|p| p.to_string_lossy().contains(id))
                .unwrap(),
        )
    };
    let en = find("K-1007");
    assert!(en.contains("Dear Mrs Ashworth, For seven years"), "{en}");
    let de = find("K-1002");
    assert!(de.contains("Sehr geehrte Frau Große-Wöstmann,"), "{de}");
    assert!(de.contains("seit 14 Jahren halten Sie"), "{de}");
}

#[test]
fn check_warns_when_a_message_starts_against_its_language() {
    let w = Workdir::new();
    w.copy_samples();
    w.write(
        "samples/christmas-2026/message.en.j2",
        "thank you, {{ person.years }} years!\n",
    );
    w.write(
        "samples/christmas-2026/message.de.j2",
        "Wir danken für {{ person.years }} Jahre.\n",
    );
    let run = w.run(&["check", "samples/christmas-2026.toml"]);
    run.expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("christmas-2026/message.en.j2: the message starts with \"thank\" in lower case; after the salutation, English starts with a capital letter"),
        "{out}"
    );
    assert!(
        out.contains("christmas-2026/message.de.j2: the message starts with \"Wir\" in upper case"),
        "{out}"
    );
    // Nouns and polite pronouns are fine in German; the fixed samples do not warn.
    w.write(
        "samples/christmas-2026/message.de.j2",
        "Sie sind seit {{ person.years }} Jahren bei uns.\n",
    );
    w.write(
        "samples/christmas-2026/message.en.j2",
        "Thank you for {{ person.years }} years!\n",
    );
    let out = w.run(&["check", "samples/christmas-2026.toml"]).stdout();
    assert!(!out.contains("the message starts with"), "{out}");
    for campaign in [
        "thank-you",
        "birthday",
        "anniversary",
        "after-purchase",
        "keep-in-touch",
    ] {
        let out = w
            .run(&["check", &format!("samples/{campaign}.toml")])
            .stdout();
        assert!(
            !out.contains("the message starts with"),
            "{campaign}: {out}"
        );
    }
}

#[test]
fn an_undefined_value_names_the_expression_and_the_reason() {
    let w = Workdir::new();
    w.copy_samples();
    minimal_history(&w);
    w.write(
        "msg/message.en.j2",
        "{% set order = history.last(\"order\") %}\nThank you for {{ order.product }}.\n",
    );
    w.write("msg/message.de.j2", "Danke, {{ person.shoe_size }}.\n");
    w.write(
        "c.toml",
        "name = \"c\"\ntemplate = \"card\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"samples/customers.csv\"\nhistory = \"history.csv\"\n",
    );
    let run = w.run(&["render", "-q", "c.toml"]);
    run.expect_stderr(
        "msg/message.en.j2:2: undefined value: order.product — the history has no column \"product\"",
    );
    run.expect_stderr(
        "msg/message.de.j2:1: undefined value: person.shoe_size — the people file has no column \"shoe_size\"",
    );
    let run = w.run(&["check", "c.toml"]);
    assert!(
        run.stdout().contains("order.product | default(\"\")"),
        "{}",
        run.stdout()
    );
}

#[test]
fn the_built_in_card_wishes_what_the_occasion_is_for() {
    let w = Workdir::new();
    w.copy_samples();
    w.write(
        "samples/bday.toml",
        "name = \"bday\"\ntemplate = \"card\"\ndate = \"2026-03-10\"\n[data]\npeople = \"customers.csv\"\nhistory = \"history.csv\"\n[occasion]\nkind = \"birthday\"\nwithin = \"10d\"\n",
    );
    w.run(&["render", "-q", "samples/bday.toml", "--out", "out/bday"])
        .expect_code(0);
    // K-1001 was born on 14 March.
    let card = w
        .pdfs("out/bday")
        .into_iter()
        .find(|p| p.to_string_lossy().contains("K-1001"))
        .unwrap();
    let card = text(&card);
    assert!(
        card.contains("Zum Geburtstag wünschen wir Ihnen alles Gute"),
        "{card}"
    );
    assert!(!card.contains("Festtage"), "{card}");
}
