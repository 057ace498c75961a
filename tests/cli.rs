//! End-to-end tests: the real binary on fixtures and on the bundled samples,
//! judged by what the PDFs say (extracted text, pages, sizes, fonts), the
//! exit code and the messages.

mod util;

use util::{
    assert_contains_all, fonts, page_box, page_size, page_text, pages, read_manifest, repo, text,
    Workdir,
};

const A4: (f64, f64) = (595.28, 841.89);
/// A5 landscape (210 × 148 mm) plus 3 mm bleed on every side.
const CARD_WITH_BLEED: (f64, f64) = (612.28, 436.54);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.05
}

fn sample(name: &str) -> String {
    repo()
        .join("samples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn render_sample(w: &Workdir, campaign: &str) -> util::Run {
    // The ledger goes into the workdir, never into the repository's samples/.
    let run = w.run(&[
        "render",
        &sample(campaign),
        "--out",
        "out",
        "--state",
        "state",
        "--quiet",
    ]);
    run.expect_code(0);
    run
}

#[test]
fn christmas_sample_gives_one_card_per_customer() {
    let w = Workdir::new();
    let run = render_sample(&w, "christmas-2026.toml");
    let pdfs = w.pdfs("out");
    // 30 customers, 2 of them opted out.
    assert_eq!(pdfs.len(), 28, "{:?}", pdfs);
    run.expect_stderr("opted out: K-1019, K-1025");
    for pdf in &pdfs {
        assert_eq!(pages(pdf), 2, "{}", pdf.display());
        let (w, h) = page_size(pdf);
        assert!(
            close(w, CARD_WITH_BLEED.0) && close(h, CARD_WITH_BLEED.1),
            "{w} x {h}"
        );
        // TrimBox = A5 landscape, 3 mm (8.5 pt) inside the media box.
        let trim = page_box(pdf, "TrimBox");
        assert!(
            close(trim[0], 8.50)
                && close(trim[2] - trim[0], 595.28)
                && close(trim[3] - trim[1], 419.53),
            "{trim:?}"
        );
        let fonts = fonts(pdf);
        assert!(
            !fonts.is_empty() && fonts.iter().all(|(_, emb)| *emb),
            "{fonts:?}"
        );
        assert!(
            fonts.iter().any(|(n, _)| n.contains("DancingScript")),
            "handwriting face missing: {fonts:?}"
        );
    }
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    assert_eq!(manifest.len(), 28);
    assert!(manifest
        .iter()
        .all(|r| r["status"] == "written" && r["pages"] == "2" && r["sha256"].len() == 64));
    assert_eq!(pages(&w.join("out/print.pdf")), 56);
}

#[test]
fn christmas_cards_use_the_history() {
    let w = Workdir::new();
    render_sample(&w, "christmas-2026.toml");
    // A project this year is named with its month.
    let k1002 = page_text(&w.pdf_of("out", "K-1002"), 2);
    assert!(
        k1002.contains("Sehr geehrte Frau Große-Wöstmann,"),
        "{k1002}"
    );
    assert!(
        k1002.contains("Landhausküche in Eiche") && k1002.contains("im Mai"),
        "{k1002}"
    );
    // A long-standing customer is thanked for the years.
    let k1001 = page_text(&w.pdf_of("out", "K-1001"), 2);
    assert!(
        k1001.contains("Sehr geehrter Herr Dr. von Hausen,"),
        "{k1001}"
    );
    assert!(
        k1001.contains("seit 17 Jahren halten Sie uns die Treue"),
        "{k1001}"
    );
    // A first-year customer (informal) is welcomed.
    let k1005 = page_text(&w.pdf_of("out", "K-1005"), 2);
    assert!(
        k1005.contains("schön, dass du in diesem Jahr zu uns gefunden hast"),
        "{k1005}"
    );
    // A company gets the company greeting; the outside carries the sender.
    let k1003 = text(&w.pdf_of("out", "K-1003"));
    assert!(k1003.contains("Sehr geehrte Damen und Herren,"), "{k1003}");
    assert!(k1003.contains("und Ihrem ganzen Team"), "{k1003}");
    assert!(k1003.to_lowercase().contains("holzwerk lindner"), "{k1003}");
    // English customers get English cards.
    let k1008 = page_text(&w.pdf_of("out", "K-1008"), 2);
    assert!(
        k1008.contains("Merry Christmas") && k1008.contains("walnut library wall"),
        "{k1008}"
    );
}

#[test]
fn thank_you_letters_go_to_recent_orders_only() {
    let w = Workdir::new();
    let run = render_sample(&w, "thank-you.toml");
    let ids: Vec<String> = w
        .pdfs("out")
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .split('-')
                .take(2)
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    assert_eq!(
        ids,
        ["K-1001", "K-1003", "K-1006", "K-1009", "K-1011", "K-1014", "K-1021", "K-1022"]
    );
    run.expect_stderr("did not match");
    for pdf in w.pdfs("out") {
        let (width, height) = page_size(&pdf);
        assert!(
            close(width, A4.0) && close(height, A4.1),
            "{width} x {height}"
        );
        assert_eq!(pages(&pdf), 1);
        let fonts = fonts(&pdf);
        assert!(fonts.iter().all(|(_, emb)| *emb), "{fonts:?}");
        for family in ["Inter", "EBGaramond", "DancingScript"] {
            assert!(
                fonts.iter().any(|(n, _)| n.contains(family)),
                "{family} missing: {fonts:?}"
            );
        }
    }
    let k1001 = text(&w.pdf_of("out", "K-1001"));
    assert_contains_all(
        &k1001,
        &[
            "Herrn Dr. Konstantin von Hausen",
            "Bautzner Landstraße 112",
            "01324 Dresden",
            "Vielen Dank für Ihre Bestellung",
            "Sehr geehrter Herr Dr. von Hausen,",
            "30. November 2026",
            "Mit freundlichen Grüßen",
        ],
    );
    // Domestic mail has no country line.
    assert!(
        !k1001.contains("DEUTSCHLAND") && !k1001.contains("GERMANY"),
        "{k1001}"
    );
}

#[test]
fn cli_without_campaign_uses_builtin_template_and_default_folder() {
    let w = Workdir::new();
    let people = sample("customers.csv");
    let history = sample("history.csv");
    w.run(&[
        "render",
        "--template",
        "letter",
        "--people",
        &people,
        "--history",
        &history,
        "--date",
        "2026-12-01",
        "-q",
    ])
    .expect_code(0);
    let pdfs = w.pdfs("out/letter");
    assert_eq!(pdfs.len(), 28);
    assert!(w.join("out/letter/manifest.csv").exists());
    assert_eq!(pages(&w.join("out/letter/print.pdf")), 28);
}

#[test]
fn same_inputs_and_date_give_identical_pdfs() {
    let w = Workdir::new();
    for out in ["a", "b"] {
        let state = format!("state-{out}");
        w.run(&[
            "render",
            &sample("christmas-2026.toml"),
            "--out",
            out,
            "--state",
            &state,
            "-q",
            "--jobs",
            "2",
        ])
        .expect_code(0);
    }
    let a = w.pdfs("a");
    assert_eq!(a.len(), 28);
    for pdf in &a {
        let twin = w.join("b").join(pdf.file_name().unwrap());
        assert!(
            std::fs::read(pdf).unwrap() == std::fs::read(&twin).unwrap(),
            "{} differs",
            pdf.display()
        );
    }
    assert_eq!(
        std::fs::read(w.join("a/manifest.csv")).unwrap(),
        std::fs::read(w.join("b/manifest.csv")).unwrap()
    );
    assert_eq!(
        std::fs::read(w.join("a/print.pdf")).unwrap(),
        std::fs::read(w.join("b/print.pdf")).unwrap()
    );
}

/// A minimal campaign in a workdir: people, optional history, messages.
fn campaign(w: &Workdir, people: &str, history: Option<&str>, message_de: &str) -> String {
    w.write("people.csv", people);
    if let Some(h) = history {
        w.write("history.csv", h);
    }
    w.write("msg/message.de.j2", message_de);
    w.write(
        "c.toml",
        format!(
            "name = \"t\"\ntemplate = \"letter\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"people.csv\"\n{}\n[sender]\ncompany = \"Test GmbH\"\nname = \"Eva Test\"\n",
            if history.is_some() { "history = \"history.csv\"" } else { "" }
        ),
    );
    "c.toml".to_string()
}

const PEOPLE: &str =
    "id,salutation,first_name,last_name,street,postal_code,city,country,language\n\
A,Frau,Anna,Weber,Ring 1,01069,Dresden,DE,de\n\
B,Herr,Bernd,Braun,Weg 2,04109,Leipzig,DE,de\n";

#[test]
fn unclosed_quote_stops_before_anything_is_written() {
    let w = Workdir::new();
    let c = campaign(
        &w,
        "id,first_name,last_name\nA,\"Anna,Weber\nB,Bernd,Braun\n",
        None,
        "x",
    );
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(2);
    run.expect_stderr("people.csv:2:3: a quoted field starts here and is never closed");
    assert!(!w.join("out").exists());
}

#[test]
fn ragged_row_stops_with_line() {
    let w = Workdir::new();
    let c = campaign(
        &w,
        "id,first_name,last_name\nA,Anna,Weber\nB,Bernd\n",
        None,
        "x",
    );
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(2);
    run.expect_stderr("people.csv:3: this row has 2 fields, the header has 3");
    assert!(!w.join("out").exists());
}

#[test]
fn invalid_history_date_names_file_line_column_and_value() {
    let w = Workdir::new();
    let c = campaign(
        &w,
        PEOPLE,
        Some("person_id,date,kind,summary\nA,2026-05-01,order,Tisch\nB,2025-02-30,call,Aufmaß\n"),
        "x",
    );
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(2);
    run.expect_stderr("history.csv:3:2: invalid date \"2025-02-30\" in column \"date\"");
    run.expect_stderr("hint:");
    assert!(!w.join("out").exists());
}

#[test]
fn a_failing_recipient_is_reported_and_the_others_written() {
    let w = Workdir::new();
    let message = "Hallo.\n{% if person.id == \"B\" %}\n{{ person.frist_name }}\n{% endif %}\n";
    let c = campaign(&w, PEOPLE, None, message);
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(1);
    let err = run.stderr();
    assert!(err.contains("failed: B ("), "{err}");
    assert!(err.contains("people.csv line 3"), "{err}");
    assert!(err.contains("message.de.j2:3: undefined value"), "{err}");
    assert_eq!(w.pdfs("out").len(), 1);
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    assert_eq!(manifest[0]["status"], "written");
    assert_eq!(manifest[1]["status"], "failed");
    assert!(manifest[1]["error"].contains("message.de.j2:3"));
}

#[test]
fn reruns_skip_what_the_ledger_holds_and_keep_existing_files() {
    let w = Workdir::new();
    let c = campaign(&w, PEOPLE, None, "Ein Gruß.");
    w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
    let first = std::fs::read(w.join("out/A-Weber.pdf")).unwrap();
    let ledger = std::fs::read_to_string(w.join("state/ledger.csv")).unwrap();
    assert_eq!(ledger.lines().count(), 3, "{ledger}");
    assert!(
        ledger.contains("t,t,A,A-Weber.pdf,") && ledger.contains(",2026-12-01,letter"),
        "{ledger}"
    );
    std::fs::write(w.join("out/A-Weber.pdf"), b"edited by hand").unwrap();
    // A re-run produces nothing: the ledger holds both.
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(0);
    run.expect_stderr("skipped 2 recipient(s) the ledger says were already produced");
    run.expect_stderr("nothing to do");
    assert_eq!(
        std::fs::read(w.join("out/A-Weber.pdf")).unwrap(),
        b"edited by hand"
    );
    // Without the ledger, existing files are kept (and recorded again).
    std::fs::remove_file(w.join("state/ledger.csv")).unwrap();
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(0);
    run.expect_stderr("kept 2 existing file(s)");
    assert_eq!(
        std::fs::read(w.join("out/A-Weber.pdf")).unwrap(),
        b"edited by hand"
    );
    assert_eq!(
        std::fs::read_to_string(w.join("state/ledger.csv"))
            .unwrap()
            .lines()
            .count(),
        3
    );
    // --dry-run lists, writes nothing.
    let run = w.run(&["render", &c, "--out", "out", "--force", "--dry-run"]);
    run.expect_code(0);
    let planned = run.stdout();
    assert_eq!(planned, "A\tt\tA-Weber.pdf\nB\tt\tB-Braun.pdf\n");
    assert_eq!(
        std::fs::read(w.join("out/A-Weber.pdf")).unwrap(),
        b"edited by hand"
    );
    // --force regenerates.
    w.run(&["render", &c, "--out", "out", "--force", "-q"])
        .expect_code(0);
    assert_eq!(std::fs::read(w.join("out/A-Weber.pdf")).unwrap(), first);
}

#[test]
fn frequency_cap_leaves_out_recent_recipients() {
    let w = Workdir::new();
    let history =
        "person_id,date,kind,summary\nA,2026-11-20,card,Herbstgruß\nB,2026-06-01,card,Sommergruß\n";
    let c = campaign(&w, PEOPLE, Some(history), "Ein Gruß.");
    let mut toml = std::fs::read_to_string(w.join(&c)).unwrap();
    toml.push_str("[policy]\nmin_days_between = 30\n");
    w.write(&c, toml);
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(0);
    run.expect_stderr("left out 1 recipient(s) who got a piece too recently");
    run.expect_stderr("A (last piece 2026-11-20)");
    assert_eq!(w.pdfs("out").len(), 1);
    // The ledger's own pieces count too: another campaign the next day is capped for B.
    let other = std::fs::read_to_string(w.join(&c))
        .unwrap()
        .replace("name = \"t\"", "name = \"t2\"")
        .replace("2026-12-01", "2026-12-02");
    w.write("c2.toml", other);
    let run = w.run(&["render", "c2.toml", "--out", "out2"]);
    run.expect_code(0);
    run.expect_stderr("B (last piece 2026-12-01)");
}

#[test]
fn a_second_run_of_the_same_campaign_is_refused_while_one_runs() {
    let w = Workdir::new();
    let c = campaign(&w, PEOPLE, None, "Ein Gruß.");
    std::fs::create_dir_all(w.join("state")).unwrap();
    // The operating system's lock, held by a live process (this test).
    let held = w.write("state/t.lock", format!("{}\n", std::process::id()));
    let held = std::fs::File::open(held).unwrap();
    held.try_lock().unwrap();
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(2);
    run.expect_stderr(&format!(
        "another run of campaign \"t\" is in progress (process {})",
        std::process::id()
    ));
    assert!(!w.join("out").exists());
    drop(held);
    // A lock file left by a killed run holds no lock: the OS released it.
    w.write("state/t.lock", "999999999\n");
    w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
    assert!(!w.join("state/t.lock").exists());
}

#[test]
fn semicolons_and_bom_are_understood() {
    let w = Workdir::new();
    let people =
        "\u{feff}id;salutation;first_name;last_name;street;postal_code;city;country;language\n\
        A;Frau;Anna;Weber;Ring 1;01069;Dresden;DE;de\n";
    let c = campaign(&w, people, None, "Schön, {{ person.first_name }}.");
    w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
    let t = text(&w.join("out/A-Weber.pdf"));
    assert!(
        t.contains("Frau Anna Weber") && t.contains("01069 Dresden") && t.contains("Schön, Anna."),
        "{t}"
    );
}

/// Values that are Typst or Jinja syntax, and an id that tries to leave the
/// output folder: every value must appear literally, nothing outside `out`.
#[test]
fn data_is_text_never_code() {
    let hostile = [
        "#set page(width: 1cm)",
        "*x*",
        "_y_",
        "$x$",
        "@ref",
        "<l>",
        "]",
        "\\",
        "// no comment",
        "= heading",
        "- item",
        "+ enum",
        "#read(\"/etc/passwd\")",
        "{{ 7 * 7 }}",
    ];
    let w = Workdir::new();
    let mut people =
        String::from("id,first_name,last_name,street,postal_code,city,country,language,note\n");
    let mut message = String::from("Werte:\n");
    for (i, value) in hostile.iter().enumerate() {
        let quoted = format!("\"{}\"", value.replace('"', "\"\""));
        let id = if i == 0 {
            "../../x".to_string()
        } else {
            format!("P{i}")
        };
        people.push_str(&format!(
            "{id},Eva,{quoted},Weg 1,01069,Dresden,DE,de,{quoted}\n"
        ));
    }
    // Once at the start of a line (where `= `, `- `, `+ ` would be markup),
    // once inside brackets (where `]` would close a content block).
    message.push_str("\n{{ person.note }}\n\n[{{ person.note }}]\n");
    let c = campaign(&w, &people, None, &message);
    w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
    let pdfs = w.pdfs("out");
    assert_eq!(pdfs.len(), hostile.len());
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    for (row, value) in manifest.iter().zip(hostile) {
        assert_eq!(row["status"], "written");
        let pdf = w.join("out").join(&row["file"]);
        let t = text(&pdf);
        assert!(
            t.contains(&format!("[{value}]")),
            "{value:?} not literal in {}: {t}",
            pdf.display()
        );
        let (width, _) = page_size(&pdf);
        assert!(
            close(width, A4.0),
            "page width changed to {width} by {value:?}"
        );
        assert!(!t.contains("root:"), "file contents leaked");
    }
    assert_eq!(manifest[0]["id"], "../../x");
    assert_eq!(manifest[0]["file"], "x-set-page_width_1cm.pdf");
    assert!(!t_contains_49(&pdfs), "Jinja syntax in data was evaluated");
    // Nothing was written outside the output folder (but the ledger).
    let ours = [
        "people.csv",
        "c.toml",
        "msg",
        "msg/message.de.j2",
        "state",
        "state/ledger.csv",
    ];
    let outside: Vec<String> = w
        .tree()
        .into_iter()
        .filter(|p| !p.starts_with("out") && !ours.contains(&p.as_str()))
        .collect();
    assert!(outside.is_empty(), "{outside:?}");
    assert!(!w.path().parent().unwrap().join("x-Eva.pdf").exists());
}

fn t_contains_49(pdfs: &[std::path::PathBuf]) -> bool {
    pdfs.iter().any(|p| text(p).contains("[49]"))
}

#[test]
fn bad_campaign_key_is_a_clear_error() {
    let w = Workdir::new();
    w.write(
        "c.toml",
        "template = \"letter\"\n[sender]\ncompany = \"X\"\n[output]\nfolderr = \"x\"\n",
    );
    let run = w.run(&["render", "c.toml"]);
    run.expect_code(2);
    run.expect_stderr("c.toml:5:1: unknown field `folderr`");
}

#[test]
fn help_has_examples() {
    let w = Workdir::new();
    let run = w.run(&["render", "--help"]);
    run.expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("warmly render samples/christmas-2026.toml") && out.contains("--force"),
        "{out}"
    );
}

#[test]
fn history_is_joined_by_customer_id_and_sorted_by_date() {
    let w = Workdir::new();
    let history = "customer_id,date,kind,summary,amount\n\
        A,2026-05-14,project,Küche Eiche,12000.00\n\
        A,2019-03-01,order,Regal,800.00\n\
        B,2026-01-10,call,Beratung,\n\
        A,2027-01-01,order,Zukunft,1.00\n";
    let message = "Erstes: {{ history.first().summary }}. Letztes: {{ history.last().summary }} im {{ history.last().date | date('month') }}. \
        Summe: {{ history.sum('amount', 'order') | money }}. Jahre: {{ years_since('2019-03-01') }}.";
    let c = campaign(&w, PEOPLE, Some(history), message);
    w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
    let a = text(&w.join("out/A-Weber.pdf"));
    // The 2027 event lies after the run date (2026-12-01) and does not count.
    assert!(
        a.contains("Erstes: Regal. Letztes: Küche Eiche im Mai. Summe: 800,00 €. Jahre: 7."),
        "{a}"
    );
    let b = text(&w.join("out/B-Braun.pdf"));
    assert!(
        b.contains("Erstes: Beratung.") && b.contains("Summe: 0,00 €"),
        "{b}"
    );
}

fn export(name: &str) -> String {
    repo()
        .join("tests/fixtures/exports")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn german_excel_export_renders_without_mapping() {
    let w = Workdir::new();
    let run = w.run(&[
        "render",
        "--template",
        "letter",
        "--people",
        &export("german-excel-semicolon-cp1252.csv"),
        "--history",
        &export("history-german.csv"),
        "--date",
        "2026-12-01",
        "--out",
        "out",
        "-q",
    ]);
    run.expect_code(0);
    let t = text(&w.join("out/10001-Weiß.pdf"));
    assert_contains_all(
        &t,
        &[
            "Herrn Jürgen Weiß",
            "Größe-Straße 12",
            "01069 Dresden",
            "Sehr geehrter Herr Weiß,",
        ],
    );
}

#[test]
fn check_reports_what_it_understood() {
    let w = Workdir::new();
    let run = w.run(&[
        "check",
        "--template",
        "card",
        "--people",
        &export("outlook-contacts.csv"),
    ]);
    run.expect_code(0);
    let out = run.stdout();
    assert_contains_all(
        &out,
        &[
            "CSV, windows-1252, delimiter \",\"",
            "Outlook contacts export",
            "street           ← Business Street | Home Street | Other Street",
            "ids: derived from name and address",
            "month/day/year",
            "ok: no errors",
        ],
    );
}

#[test]
fn check_lists_every_problem_and_exits_2() {
    let w = Workdir::new();
    w.write(
        "people.csv",
        "Kundennr;Anrede;Vorname;Nachname;Straße;PLZ;Ort;Geburtstag;Werbewiderspruch\n\
         1;Frau;Anna;Weber;Ring 1;1069;Dresden;31.02.1970;\n\
         2;Herr;Bernd;Braun;Weg 2;04109;Leipzig;1.1.1960;ja\n\
         3;Herr;Carl;Kurz;Weg 3;04109;Leipzig;kein Datum;\n\
         3;Frau;Dora;Lang;Weg 4;04109;Leipzig;;\n\
         5;Frau;Anna;Weber;Ring 1;01069;Dresden;;\n",
    );
    let run = w.run(&[
        "check",
        "--template",
        "letter",
        "--people",
        "people.csv",
        "--json",
    ]);
    run.expect_code(2);
    let report: serde_json::Value = serde_json::from_slice(&run.output.stdout).unwrap();
    let problems: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["severity"].as_str().unwrap(),
                p["at"].as_str().unwrap_or(""),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    let all = problems.join("\n");
    assert_contains_all(
        &all,
        &[
            "error people.csv:2:8 invalid date \"31.02.1970\" in column \"Geburtstag\"",
            "error people.csv:4:8 invalid date \"kein Datum\" in column \"Geburtstag\"",
            "error people.csv:5:1 id \"3\" is used twice (first on line 4)",
            "warning people.csv:2:6 postal code 1069 lost its leading zero; read as 01069",
            "warning people.csv:6 5 has the same name and address as 1 (line 2): a duplicate?",
        ],
    );
    assert_eq!(report["opted_out"], serde_json::json!(["2"]));
    // render runs the same checks and stops before writing.
    let run = w.run(&[
        "render",
        "--template",
        "letter",
        "--people",
        "people.csv",
        "--out",
        "out",
    ]);
    run.expect_code(2);
    run.expect_stderr("31.02.1970").expect_stderr("kein Datum");
    assert!(!w.join("out").exists());
}

#[test]
fn explicit_column_mapping_and_date_format() {
    let w = Workdir::new();
    w.write(
        "people.csv",
        "Nr,Kontakt,Familienname,Since\nA1,Eva,Roth,04/03/2020\n",
    );
    // The same mapping flags for check and render.
    let mapping = [
        "--template",
        "letter",
        "--people",
        "people.csv",
        "--column",
        "first_name=Kontakt",
        "--column",
        "customer_since=Since",
        "--date-format",
        "mdy",
    ];
    let run = w.run(&[&["check"][..], &mapping, &["--json"]].concat());
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_slice(&run.output.stdout).unwrap();
    let mapped = report["people"]["mapped"].to_string();
    assert!(
        mapped.contains("[\"first_name\",\"Kontakt\"]")
            && mapped.contains("[\"last_name\",\"Familienname\"]"),
        "{mapped}"
    );
    let run = w.run(
        &[
            &["render"][..],
            &mapping,
            &["--date", "2026-12-01", "--out", "out", "-q"],
        ]
        .concat(),
    );
    run.expect_code(0);
    // April 3, 2020 → six full years by 2026-12-01.
    let t = text(&w.join("out/A1-Roth.pdf"));
    assert!(t.contains("seit sechs Jahren"), "{t}");
}

fn due_json(w: &Workdir, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["due", "--json"];
    all.extend_from_slice(args);
    let run = w.run(&all);
    run.expect_code(0);
    serde_json::from_slice::<Vec<serde_json::Value>>(&run.output.stdout).unwrap()
}

fn summary(rows: &[serde_json::Value]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r["id"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["key"].as_str().unwrap(),
                r["occasion"]["date"].as_str().unwrap_or("-"),
                r["why"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn due_lists_occasions_across_year_end_and_leap_day() {
    let w = Workdir::new();
    w.copy_samples();
    // Christmas week: a birthday on 21 December, seen from 20 December.
    let rows = due_json(
        &w,
        &[
            "--date",
            "2026-12-20",
            "--within",
            "14d",
            "samples/birthday.toml",
        ],
    );
    assert_eq!(
        summary(&rows),
        ["K-1016 due birthday-2026 2026-12-21 birthday, turns 54"]
    );
    // Across the year end: from 28 December, a birthday on 27 January is in the next year.
    let rows = due_json(
        &w,
        &[
            "--date",
            "2026-12-28",
            "--within",
            "5w",
            "samples/birthday.toml",
        ],
    );
    assert_eq!(
        summary(&rows),
        ["K-1013 due birthday-2027 2027-01-27 birthday, turns 67"]
    );
    // Born on 29 February 1964: in 2027 the birthday is kept on 28 February.
    let rows = due_json(
        &w,
        &[
            "--date",
            "2027-02-20",
            "--within",
            "14d",
            "samples/birthday.toml",
        ],
    );
    assert!(
        summary(&rows)
            .contains(&"K-1028 due birthday-2027 2027-02-28 birthday, turns 63".to_string()),
        "{:?}",
        summary(&rows)
    );
    // ... and in the leap year 2028 on the day itself.
    let rows = due_json(
        &w,
        &[
            "--date",
            "2028-02-20",
            "--within",
            "14d",
            "samples/birthday.toml",
        ],
    );
    assert!(summary(&rows)
        .contains(&"K-1028 due birthday-2028 2028-02-29 birthday, turns 64".to_string()));
    // Several campaigns at once, each with its own date and rule.
    let rows = due_json(
        &w,
        &["samples/after-purchase.toml", "samples/keep-in-touch.toml"],
    );
    let s = summary(&rows);
    assert!(s.contains(&"K-1001 due after_order-2026-11-04 2026-11-11 order on 2026-11-04: Leiter für Bücherwand".to_string()), "{s:?}");
    assert!(
        s.contains(&"K-1029 due silence-never 2026-12-01 no contact on record".to_string()),
        "{s:?}"
    );
}

#[test]
fn occasion_campaigns_use_the_triggering_fact_and_run_once() {
    let w = Workdir::new();
    w.copy_samples();
    w.run(&["render", "samples/anniversary.toml", "--out", "out", "-q"])
        .expect_code(0);
    let t = text(&w.join("out/K-1013-Brändli.pdf"));
    assert!(
        t.contains("11 Jahre gemeinsam") && t.contains("seit elf Jahren unser Kunde"),
        "{t}"
    );
    assert!(t.contains("Wendeltreppe in Nussbaum"), "{t}");
    // The next day's run finds it in the ledger: nothing twice.
    let run = w.run(&[
        "render",
        "samples/anniversary.toml",
        "--out",
        "out",
        "--date",
        "2026-11-09",
    ]);
    run.expect_code(0);
    run.expect_stderr("skipped 1 recipient(s) the ledger says were already produced");
    let rows = due_json(&w, &["--date", "2026-11-09", "samples/anniversary.toml"]);
    assert_eq!(
        summary(&rows),
        ["K-1013 done anniversary-2026 2026-11-12 11 year(s) as a customer"]
    );
    // The ledger reads back as history: the letter is the last piece sent.
    w.write("samples/last/message.de.j2", "Zuletzt: {{ history.last('letter').summary }} am {{ history.last('letter').date | date }}.");
    let toml = std::fs::read_to_string(w.join("samples/anniversary.toml")).unwrap();
    w.write(
        "samples/echo.toml",
        toml.replace("name = \"anniversary\"", "name = \"echo\"")
            .replace("messages = \"anniversary\"", "messages = \"last\"")
            .replace("date = \"2026-11-08\"", "date = \"2026-11-10\""),
    );
    w.run(&["render", "samples/echo.toml", "--out", "echo", "-q"])
        .expect_code(0);
    let t = text(&w.join("echo/K-1013-Brändli.pdf"));
    assert!(
        t.contains("Zuletzt: anniversary am 8. November 2026."),
        "{t}"
    );
}

/// kill -9 in the middle of a run: every PDF left is complete, the ledger
/// names only complete files, and the next run produces exactly the rest.
#[test]
fn a_killed_run_resumes_with_exactly_the_missing_rest() {
    let w = Workdir::new();
    let mut people = String::from(
        "id,salutation,first_name,last_name,street,postal_code,city,country,language\n",
    );
    for i in 0..150 {
        people.push_str(&format!(
            "R{i:03},Frau,Eva,Muster{i},Weg {i},01069,Dresden,DE,de\n"
        ));
    }
    let c = campaign(&w, &people, None, "Ein Gruß an {{ person.last_name }}.");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warmly"))
        .args(["render", &c, "--out", "out", "--jobs", "1", "-q"])
        .current_dir(w.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let done = std::fs::read_dir(w.join("out"))
            .map(|d| d.count())
            .unwrap_or(0);
        if done >= 10 || started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let first = w.pdfs("out");
    assert!(
        !first.is_empty() && first.len() < 150,
        "killed after {} PDFs",
        first.len()
    );
    for pdf in &first {
        assert_eq!(pages(pdf), 1, "{} is incomplete", pdf.display());
    }
    let check_ledger = |expected: usize| {
        let ledger = read_manifest(&w.join("state/ledger.csv"));
        for line in &ledger {
            let bytes = std::fs::read(w.join("out").join(&line["file"])).unwrap();
            assert_eq!(sha256(&bytes), line["sha256"], "{}", line["file"]);
        }
        let ids: std::collections::BTreeSet<&str> =
            ledger.iter().map(|l| l["person_id"].as_str()).collect();
        assert_eq!(ids.len(), ledger.len(), "a piece is in the ledger twice");
        assert!(ledger.len() <= expected);
        ledger.len()
    };
    check_ledger(first.len());
    // The lock of the killed run is stale; the next run takes it over.
    w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
    assert_eq!(w.pdfs("out").len(), 150);
    assert_eq!(check_ledger(150), 150);
    let leftovers: Vec<String> = w
        .tree()
        .into_iter()
        .filter(|p| p.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // And a third run has nothing to do.
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(0);
    run.expect_stderr("nothing to do");
}

fn sha256(bytes: &[u8]) -> String {
    warmly::write::sha256_hex(bytes)
}

#[test]
fn generic_texts_are_flagged_and_can_be_refused() {
    let w = Workdir::new();
    let history = "person_id,date,kind,summary\nA,2026-05-14,project,Küche Eiche\n";
    let message = "{% set p = history.last('project') %}{% if p %}Danke für „{{ p.summary }}“.{% else %}Ein Gruß.{% endif %}";
    let c = campaign(&w, PEOPLE, Some(history), message);
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(0);
    run.expect_stderr("warning: B: generic text: it uses no fact from the person's history");
    run.expect_stderr("history facts per piece: none 1 · one 1 · two 0 · three or more 0");
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    assert_eq!(
        (manifest[0]["facts"].as_str(), manifest[1]["facts"].as_str()),
        ("1", "0")
    );
    assert!(manifest[1]["warnings"].contains("generic text"));
    // The campaign can make it an error: B fails, A is written.
    let mut toml = std::fs::read_to_string(w.join(&c)).unwrap();
    toml.push_str("[policy]\ngeneric = \"error\"\n");
    w.write(&c, toml);
    let run = w.run(&["render", &c, "--out", "out2", "--state", "state2"]);
    run.expect_code(1);
    run.expect_stderr("failed: B")
        .expect_stderr("policy.generic");
    assert_eq!(w.pdfs("out2").len(), 1);
}

#[test]
fn a_signature_image_replaces_the_handwritten_name() {
    let w = Workdir::new();
    let c = campaign(&w, PEOPLE, None, "Ein Gruß.");
    let signed = |dir: &str| {
        text(&w.join(&format!("{dir}/A-Weber.pdf")))
            .matches("Eva Test")
            .count()
    };
    w.run(&["render", &c, "--out", "plain", "-q"])
        .expect_code(0);
    assert_eq!(
        signed("plain"),
        3,
        "contact in the information block, handwritten and printed name"
    );
    w.write(
        "sig.svg",
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><path d="M5 30 C 20 5, 35 5, 45 30 S 75 50, 90 15 L 115 25" stroke="#1f3d33" stroke-width="2.5" fill="none"/></svg>"##,
    );
    let toml = std::fs::read_to_string(w.join(&c))
        .unwrap()
        .replace("[sender]\n", "[sender]\nsignature_image = \"sig.svg\"\n");
    w.write(&c, toml);
    w.run(&[
        "render",
        &c,
        "--out",
        "signed",
        "--state",
        "state-signed",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(
        signed("signed"),
        2,
        "the image instead of the handwritten name"
    );
    // A missing image is a configuration error before anything is written.
    let toml = std::fs::read_to_string(w.join(&c))
        .unwrap()
        .replace("sig.svg", "missing.png");
    w.write(&c, toml);
    let run = w.run(&["render", &c, "--out", "none"]);
    run.expect_code(2);
    run.expect_stderr("missing.png");
    assert!(!w.join("none").exists());
}

#[test]
fn print_file_is_sorted_by_postcode_with_duplex_padding_and_a_summary() {
    let w = Workdir::new();
    w.copy_samples();
    let toml = std::fs::read_to_string(w.join("samples/thank-you.toml")).unwrap();
    w.write(
        "samples/thank-you.toml",
        format!("{toml}\n[output]\nduplex = true\n"),
    );
    w.run(&["render", "samples/thank-you.toml", "--out", "out", "-q"])
        .expect_code(0);
    let print = w.join("out/print.pdf");
    // 8 one-page letters, each followed by a blank back.
    assert_eq!(pages(&print), 16);
    for back in [2, 4, 16] {
        assert_eq!(page_text(&print, back), "", "page {back} should be blank");
    }
    // Domestic first in postcode order, then abroad by country.
    let first_lines: Vec<String> = (1..=8)
        .map(|n| page_text(&print, 2 * n - 1))
        .map(|t| {
            [
                "01067",
                "01324",
                "01662",
                "20253",
                "1070 Wien",
                "6004 Luzern",
                "SW7 2EU",
                "1015 KL",
            ]
            .iter()
            .find(|code| t.contains(*code))
            .map(|c| c.to_string())
            .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        first_lines,
        [
            "01067",
            "01324",
            "01662",
            "20253",
            "1070 Wien",
            "6004 Luzern",
            "SW7 2EU",
            "1015 KL"
        ]
    );
    let summary = std::fs::read_to_string(w.join("out/postcodes.csv")).unwrap();
    assert!(
        summary.starts_with("country,level,code,pieces\n"),
        "{summary}"
    );
    assert!(
        summary.contains("DE,region,01,3\n") && summary.contains("DE,postal_code,20253,1\n"),
        "{summary}"
    );
    // Input order on request, no padding by default.
    let toml = std::fs::read_to_string(w.join("samples/thank-you.toml"))
        .unwrap()
        .replace("duplex = true", "order = \"input\"");
    w.write("samples/thank-you.toml", toml);
    w.run(&[
        "render",
        "samples/thank-you.toml",
        "--out",
        "out2",
        "--state",
        "state2",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(pages(&w.join("out2/print.pdf")), 8);
    assert!(page_text(&w.join("out2/print.pdf"), 1).contains("01324 Dresden"));
}

#[test]
fn pdf_a_for_archiving_and_missing_glyphs_fail_there() {
    let w = Workdir::new();
    let people = format!("{PEOPLE}C,Herr,小明,王,Weg 3,04109,Leipzig,DE,de\n");
    let c = campaign(&w, &people, None, "Ein Gruß.");
    let run = w.run(&["render", &c, "--out", "out", "--pdf-standard", "a-2b"]);
    run.expect_code(1);
    run.expect_stderr("failed: C");
    run.expect_stderr("no font can show \"小\" (U+5C0F), \"明\" (U+660E), \"王\" (U+738B)");
    let pdf = std::fs::read(w.join("out/A-Weber.pdf")).unwrap();
    let xmp = String::from_utf8_lossy(&pdf);
    assert!(
        xmp.contains("<pdfaid:part>2</pdfaid:part>")
            && xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>")
    );
    let run = w.run(&["render", &c, "--out", "x", "--pdf-standard", "x-9"]);
    run.expect_code(2);
    run.expect_stderr("unknown PDF standard \"x-9\"");
}

#[test]
fn the_studio_names_what_is_neither_a_campaign_nor_a_folder() {
    let w = Workdir::new();
    w.write("people.csv", PEOPLE);
    let run = w.run(&["studio", "people.csv", "--no-open"]);
    run.expect_code(2);
    run.expect_stderr("people.csv: not a campaign file (.toml) or a folder");
    run.expect_stderr("hint: warmly studio samples/christmas-2026.toml, or warmly studio samples/");
    assert!(run.stdout().is_empty(), "no address: {}", run.stdout());
}
