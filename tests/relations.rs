//! What a relationship remembers: no card that repeats the last one,
//! returned mail held back, one piece per household.

mod util;

use util::{text, Workdir};

/// A copy of the Christmas sample for another year: same messages.
fn christmas(w: &Workdir, year: i32, policy: &str) -> String {
    let source = std::fs::read_to_string(w.join("samples/christmas-2026.toml")).unwrap();
    let campaign = source
        .replace(
            "name = \"christmas-2026\"",
            &format!("name = \"christmas-{year}\""),
        )
        .replace("date = \"2026-12-01\"", &format!("date = \"{year}-12-01\""))
        + policy;
    let file = format!("samples/christmas-{year}.toml");
    w.write(&file, campaign);
    file
}

fn manifest_row(w: &Workdir, folder: &str, id: &str) -> String {
    std::fs::read_to_string(w.join(&format!("{folder}/manifest.csv")))
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap_or_else(|| panic!("{id} not in the manifest of {folder}"))
        .to_string()
}

#[test]
fn a_card_that_repeats_the_last_one_is_caught() {
    let w = Workdir::new();
    w.copy_samples();
    w.run(&["render", "-q", "samples/christmas-2026.toml"])
        .expect_code(0);
    let ledger = std::fs::read_to_string(w.join("samples/state/ledger.csv")).unwrap();
    assert!(ledger.starts_with(
        "campaign,occasion,person_id,file,sha256,run_date,kind,fingerprint,address\n"
    ));
    assert!(
        ledger
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(7)
            .unwrap()
            .len()
            == 16,
        "{ledger}"
    );

    // A year later the same messages give K-1007 (no project, no order this year)
    // nearly the same card: a warning in the report and the manifest that names it.
    let next = christmas(&w, 2027, "");
    let run = w.run(&["render", &next]);
    run.expect_code(0);
    run.expect_stderr(": nearly the same text as the card of 2026-12-01 (christmas-2026)");
    let row = manifest_row(&w, "out/christmas-2027", "K-1007");
    assert!(
        row.contains("nearly the same text as the card of 2026-12-01 (christmas-2026)"),
        "{row}"
    );
    // K-1021 became a customer in 2026 ("welcome") and is a customer of one year now: a new text.
    let row = manifest_row(&w, "out/christmas-2027", "K-1012");
    assert!(
        row.contains(",the same text as the card of 2026-12-01"),
        "{row}"
    );
    let row = manifest_row(&w, "out/christmas-2027", "K-1021");
    assert!(!row.contains("same text"), "{row}");

    // policy.repeat = "error": such a recipient fails and gets no PDF; "allow" says nothing.
    let strict = christmas(&w, 2028, "\n[policy]\nrepeat = \"error\"\n");
    let run = w.run(&["render", &strict, "--out", "out/strict"]);
    run.expect_code(1);
    run.expect_stderr("failed: K-1007 (samples/customers.csv line 8): nearly the same text as the card of 2027-12-01 (christmas-2027) (policy.repeat = \"error\")");
    assert!(!w
        .pdfs("out/strict")
        .iter()
        .any(|p| p.to_string_lossy().contains("K-1007")));
    let lax = christmas(&w, 2029, "\n[policy]\nrepeat = \"allow\"\n");
    let run = w.run(&["render", &lax, "--date", "2028-12-01", "--out", "out/lax"]);
    run.expect_code(0);
    assert!(!run.stderr().contains("same text"), "{}", run.stderr());
    let card = w
        .pdfs("out/lax")
        .into_iter()
        .find(|p| p.to_string_lossy().contains("K-1007"))
        .unwrap();
    assert!(text(&card).contains("Ashworth"), "{}", text(&card));

    let bad = christmas(&w, 2030, "\n[policy]\nrepeat = \"never\"\n");
    w.run(&["render", &bad])
        .expect_code(2)
        .expect_stderr("policy.repeat = \"never\": use \"warn\", \"error\" or \"allow\"");
}

#[test]
fn returned_mail_holds_people_back_until_their_address_changes() {
    let w = Workdir::new();
    w.copy_samples();
    // The Christmas cards went out on 2026-12-01 (the ledger keeps their addresses' hashes).
    w.run(&["render", "-q", "samples/christmas-2026.toml"])
        .expect_code(0);
    // Then three came back; a fourth row names the person by name and address.
    w.write(
        "samples/returns.csv",
        "Kundennummer;Grund;Datum\nK-1005;Empfänger verzogen;05.12.2026\nK-1012;verstorben;15.12.2026\nK-1013;unbekannt;16.12.2026\n;;\n",
    );
    w.write(
        "samples/returns-by-name.csv",
        "name,street,postal_code,city,reason,date\nMargaret Ashworth,8 Bootham Terrace,YO30 7DH,York,refused,2026-12-20\n",
    );
    let campaign = |name: &str, returns: &str| {
        let file = format!("samples/{name}.toml");
        let source = std::fs::read_to_string(w.join("samples/christmas-2026.toml")).unwrap();
        w.write(
            &file,
            source
                .replace("name = \"christmas-2026\"", &format!("name = \"{name}\""))
                .replace("date = \"2026-12-01\"", "date = \"2027-01-10\"")
                .replace(
                    "history = \"history.csv\"",
                    &format!("history = \"history.csv\"\nreturns = \"{returns}\""),
                ),
        );
        file
    };
    let new_year = campaign("new-year", "returns.csv");
    let run = w.run(&["render", &new_year, "--dry-run"]);
    run.expect_code(0);
    run.expect_stderr("left out 3: returned mail (K-1005 moved (returned 2026-12-05), K-1012 deceased (returned 2026-12-15), K-1013 unknown (returned 2026-12-16))");
    let check = w.run(&["check", &new_year]).stdout();
    assert!(
        check.contains("3 held back by returned mail: K-1005 moved (returned 2026-12-05)"),
        "{check}"
    );
    let due = w.run(&["due", &new_year]).stdout();
    let held: Vec<&str> = due.lines().filter(|l| l.contains(" held ")).collect();
    assert_eq!(held.len(), 3, "{due}");
    assert!(
        held[0].contains("K-1005") && held[0].ends_with("held back: moved (returned 2026-12-05)"),
        "{due}"
    );
    let json = w.run(&["check", &new_year, "--json"]).stdout();
    assert!(
        json.contains("\"reason\": \"returned\"") && json.contains("\"returned\": \"deceased\""),
        "{json}"
    );

    // K-1005's new address arrives with the next export: the card goes out again.
    let people = std::fs::read_to_string(w.join("samples/customers.csv")).unwrap();
    let line = people.lines().find(|l| l.starts_with("K-1005,")).unwrap();
    let street = line.split(',').nth(7).unwrap();
    w.write(
        "samples/customers.csv",
        people.replace(line, &line.replace(street, "Neue Gasse 3")),
    );
    let run = w.run(&["render", &new_year]);
    run.expect_code(0);
    let pdfs = w.pdfs("out/new-year");
    let k1005 = pdfs
        .iter()
        .find(|p| p.to_string_lossy().contains("K-1005"))
        .expect("K-1005 has a card now");
    assert!(text(k1005).contains("Lieber Jonas"), "{}", text(k1005));
    // The ledger knows the card went to another address than the one that came back.
    let ledger = std::fs::read_to_string(w.join("samples/state/ledger.csv")).unwrap();
    let addresses: Vec<&str> = ledger
        .lines()
        .filter(|l| l.contains(",K-1005,"))
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(addresses.len(), 2, "{ledger}");
    assert_ne!(addresses[0], addresses[1], "{ledger}");
    for id in ["K-1012", "K-1013"] {
        assert!(
            !pdfs.iter().any(|p| p.to_string_lossy().contains(id)),
            "{id} must stay held back"
        );
    }

    // By name and address: refused holds for good.
    let by_name = campaign("by-name", "returns-by-name.csv");
    w.run(&["render", &by_name, "--dry-run"])
        .expect_code(0)
        .expect_stderr("left out 1: returned mail (K-1007 refused (returned 2026-12-20))");

    // A reason nobody knows: the file, line and column, and what to write.
    w.write(
        "samples/returns.csv",
        "id,reason,date\nK-1005,lost in the mail,2026-12-05\n",
    );
    let run = w.run(&["render", &new_year, "--dry-run"]);
    run.expect_code(2);
    run.expect_stderr("returns.csv:2:2: unknown reason \"lost in the mail\" in column \"reason\"");
    run.expect_stderr("moved, unknown, deceased or refused");
}

/// The sample customers plus three households and two people at one
/// address who work for different companies.
fn households(w: &Workdir) {
    let mut people = std::fs::read_to_string(util::repo().join("samples/customers.csv")).unwrap();
    people.push_str(concat!(
        "K-2001,Frau,,Anna,Müller,,,Hauptstraße 5,,01067,Dresden,,DE,de,informal,,,2015-03-01,,,\n",
        "K-2002,Herr,,Peter,Müller,,,Hauptstr. 5,,01067,dresden,,,de,informal,,,2018-06-01,,,\n",
        "K-2003,Ms,,Jane,Smith,,,10 High Street,,OX1 4AA,Oxford,,GB,en,formal,,,2016-01-10,,,\n",
        "K-2004,Mr,,John,Smith,,,10  High Street,,OX1 4AA,Oxford,,GB,en,formal,,,2016-01-10,,,\n",
        "K-2005,Frau,,Lena,Schulz,,,Lindenweg 2,,04109,Leipzig,,DE,de,informal,,,2020-01-01,,,\n",
        "K-2006,Herr,,Tom,Schulz,,,Lindenweg 2,,04109,Leipzig,,DE,de,informal,,,2020-01-01,,,\n",
        "K-2007,Frau,,Mia,Schulz,,,Lindenweg 2,,04109,Leipzig,,DE,de,informal,,,2020-01-01,,,\n",
        "K-2008,Herr,,Max,Weber,Weber GmbH,,Marktplatz 1,,09111,Chemnitz,,DE,de,formal,,,2019-01-01,,,\n",
        "K-2009,Frau,,Eva,Weber,Kanzlei Roth,,Marktplatz 1,,09111,Chemnitz,,DE,de,formal,,,2019-01-01,,,\n",
    ));
    w.write("people.csv", people);
    let mut history = std::fs::read_to_string(util::repo().join("samples/history.csv")).unwrap();
    history.push_str("K-2002,2026-10-20,order,Küchenbank Eiche,890.00,Küchenbank Eiche geölt\n");
    w.write("history.csv", history);
    w.write(
        "letters.toml",
        concat!(
            "name = \"letters\"\ntemplate = \"letter\"\nlanguage = \"de\"\ndate = \"2026-12-01\"\n",
            "[data]\npeople = \"people.csv\"\nhistory = \"history.csv\"\n",
            "[sender]\ncompany = \"Holzwerk Lindner GmbH\"\nname = \"Marie Lindner\"\n",
            "street = \"Am Elbufer 12\"\npostal_code = \"01069\"\ncity = \"Dresden\"\n",
            "[select]\nhouseholds = true\n",
        ),
    );
}

#[test]
fn one_piece_per_household_with_joint_words() {
    let w = Workdir::new();
    w.copy_samples();
    households(&w);
    let check = w.run(&["check", "letters.toml"]);
    check.expect_code(0);
    assert!(
        check.stdout().contains("households: 3 piece(s) for 7 people at one address each: K-2001 + K-2002; K-2003 + K-2004; K-2005 + K-2006 + K-2007"),
        "{}",
        check.stdout()
    );
    let run = w.run(&["render", "letters.toml"]);
    run.expect_code(0);
    run.expect_stderr("one piece per household: 3 household(s) of 7 people: K-2001 + K-2002; K-2003 + K-2004; K-2005 + K-2006 + K-2007");
    let pdfs = w.pdfs("out/letters");
    let letter = |id: &str| {
        let found: Vec<_> = pdfs
            .iter()
            .filter(|p| p.to_string_lossy().contains(id))
            .collect();
        assert!(found.len() <= 1);
        found.first().map(|p| text(p))
    };
    for merged in ["K-2002", "K-2004", "K-2006", "K-2007"] {
        assert!(
            letter(merged).is_none(),
            "{merged} shares a piece and has none of their own"
        );
    }
    let mueller = letter("K-2001").unwrap();
    assert!(
        mueller.contains("Anna und Peter Müller Hauptstraße 5 01067 Dresden"),
        "{mueller}"
    );
    assert!(mueller.contains("Liebe Anna, lieber Peter,"), "{mueller}");
    // On first-name terms with two: "euch", not "dir".
    assert!(
        mueller.contains("möchten wir euch einmal ausdrücklich danken"),
        "{mueller}"
    );
    // The text knows the history of both: Peter's order is the last contact.
    assert!(mueller.contains("Küchenbank Eiche"), "{mueller}");
    let smith = letter("K-2003").unwrap();
    assert!(
        smith.contains("Jane and John Smith 10 High Street"),
        "{smith}"
    );
    assert!(smith.contains("Dear Ms Smith and Mr Smith,"), "{smith}");
    let schulz = letter("K-2005").unwrap();
    assert!(schulz.contains("Familie Schulz Lindenweg 2"), "{schulz}");
    assert!(
        schulz.contains("Liebe Lena, lieber Tom, liebe Mia,"),
        "{schulz}"
    );
    // One building, two companies: two letters.
    assert!(letter("K-2008").unwrap().contains("Weber GmbH"));
    assert!(letter("K-2009").unwrap().contains("Kanzlei Roth"));

    // The manifest names everyone; the ledger has a line per member, so a
    // re-run (with or without households) sends nobody a second piece.
    let manifest = std::fs::read_to_string(w.join("out/letters/manifest.csv")).unwrap();
    assert!(
        manifest.lines().next().unwrap().ends_with(",household"),
        "{manifest}"
    );
    assert!(
        manifest
            .lines()
            .any(|l| l.starts_with("K-2005,") && l.ends_with(",K-2005 K-2006 K-2007")),
        "{manifest}"
    );
    let ledger = std::fs::read_to_string(w.join("samples/state/ledger.csv")).unwrap_or_default()
        + &std::fs::read_to_string(w.join("state/ledger.csv")).unwrap_or_default();
    let file_of = |id: &str| {
        ledger
            .lines()
            .find(|l| l.contains(&format!(",{id},")))
            .unwrap_or_else(|| panic!("{id} not in the ledger:\n{ledger}"))
            .split(',')
            .nth(3)
            .unwrap()
            .to_string()
    };
    assert_eq!(file_of("K-2006"), file_of("K-2005"));
    assert_eq!(file_of("K-2007"), file_of("K-2005"));
    let again = w.run(&["render", "letters.toml", "--dry-run"]);
    again.expect_code(0);
    assert!(
        again.stderr().contains("dry run: 0 piece(s)"),
        "{}",
        again.stderr()
    );

    // Without households every member gets their own letter.
    let letters = |out: &str, extra: &[&str]| {
        let mut args = vec!["render", "--template", "letter", "--people", "people.csv"];
        args.extend(["--date", "2026-12-01", "--out", out]);
        args.extend(extra);
        w.run(&args).expect_code(0);
        w.pdfs(out).len()
    };
    let merged = w.pdfs("out/letters").len();
    assert_eq!(letters("out/single", &[]), merged + 4);
    assert_eq!(letters("out/joint", &["--households"]), merged);
}
