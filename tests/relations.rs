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

    // A year later the same messages give K-1001 (no new project, no new order)
    // nearly the same card: a warning in the report and the manifest that names it.
    let next = christmas(&w, 2027, "");
    let run = w.run(&["render", &next]);
    run.expect_code(0);
    run.expect_stderr("K-1007: nearly the same text as the card of 2026-12-01 (christmas-2026)");
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
