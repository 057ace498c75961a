//! The exports offices hand over (tests/fixtures/exports, made by
//! generate.py and sources.py there): which program wrote them, people
//! and companies from DATEV, orders as events joined by e-mail and by
//! customer number, `load::inspect`, `setup::write_campaign` and
//! `warmly new` end to end, and bad files that must say where and what.

mod util;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;
use util::Workdir;
use warmly::error::Severity;
use warmly::load::{inspect, load, LoadOptions, Source};
use warmly::model::Person;
use warmly::setup::{self, NewCampaign, Occasion, Template};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exports")
        .join(name)
}

fn expected(file: &str) -> Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()[file].clone()
}

fn options(people: &Path, history: Option<&Path>) -> LoadOptions {
    LoadOptions {
        people: people.to_path_buf(),
        history: history.map(Path::to_path_buf),
        sheet: None,
        columns: IndexMap::new(),
        date_order: None,
        pivot_year: 2026,
    }
}

fn person<'a>(people: &'a [Person], id: &str) -> &'a Person {
    people
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn every_source_is_recognised_and_described() {
    for (file, source, words) in [
        (
            "datev-debitoren.csv",
            Source::Datev,
            "DATEV Debitoren/Kreditoren export (EXTF 700, Debitoren/Kreditoren), 6 rows, windows-1252",
        ),
        ("lexoffice-kontakte.csv", Source::Lexoffice, "lexoffice contacts export, 5 rows, UTF-8 with BOM"),
        ("sevdesk-kontakte.csv", Source::Sevdesk, "sevDesk contacts export, 4 rows, UTF-8"),
        ("outlook-kontakte-de.csv", Source::OutlookDe, "Outlook contacts export (German), 4 rows, windows-1252"),
        ("outlook-contacts.csv", Source::Outlook, "Outlook contacts export, 6 rows, windows-1252"),
        ("google-contacts.csv", Source::GoogleContacts, "Google Contacts export, 5 rows, UTF-8"),
        ("shopify-customers.csv", Source::ShopifyCustomers, "Shopify customers export, 5 rows, UTF-8"),
        ("hubspot-contacts.csv", Source::Hubspot, "HubSpot contacts export, 4 rows, UTF-8"),
        ("contacts.vcf", Source::Vcard, "vCard address book (vCard 2.1, 3.0, 4.0), 6 contacts, UTF-8"),
        ("german-excel-semicolon-cp1252.csv", Source::German, "German column names (Excel), 6 rows, windows-1252"),
        ("crm-export.csv", Source::Generic, "generic column names, 6 rows, UTF-8"),
    ] {
        let seen = inspect(&fixture(file), None).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(seen.source, source, "{file}");
        assert_eq!(seen.description, words, "{file}");
        assert!(seen.missing.is_empty(), "{file}: {:?}", seen.missing);
        assert_eq!(seen.errors(), 0, "{file}: {:?}", seen.problems);
    }
}

#[test]
fn datev_decides_person_or_company_by_adressatentyp() {
    let loaded = load(&options(&fixture("datev-debitoren.csv"), None)).unwrap();
    let people: Vec<Person> = loaded.persons.iter().collect();
    let companies: Vec<&str> = people
        .iter()
        .filter(|p| p.is_company_only())
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(companies, ["10003", "10008", "10009"]);
    // switched to a company: the old person name is not used
    let switched = person(&people, "10009");
    assert_eq!(switched.display_name(), "Tischlerei Lindemann GmbH");
    assert_eq!(switched.get("salutation"), "");
    let baron = person(&people, "10007");
    assert_eq!(baron.get("last_name"), "Freiherr von Hausen");
    assert_eq!(baron.get("company"), "");
    assert_eq!(person(&people, "10008").get("street"), "Postfach 10 02 33");
}

#[test]
fn shopify_orders_are_one_event_each_joined_by_email() {
    let loaded = load(&options(
        &fixture("shopify-customers.csv"),
        Some(&fixture("shopify-orders.csv")),
    ))
    .unwrap();
    let want = expected("shopify-orders.csv");
    let join = loaded.history.as_ref().unwrap().join.clone().unwrap();
    assert_eq!(join.key, "email ← Email");
    assert_eq!((join.by_id, join.by_email, join.nobody), (0, 4, 1));
    let orders = join.orders.unwrap();
    assert_eq!(orders.orders as u64, want["orders"].as_u64().unwrap());
    assert_eq!(orders.left_out as u64, want["left_out"].as_u64().unwrap());
    assert_eq!(orders.left_out_by["cancelled"], 1);
    let people: Vec<Person> = loaded.persons.iter().collect();
    let juergen = person(&people, "7411238977735");
    assert_eq!(juergen.events.len(), 2);
    for (n, order) in [(0, "#1001"), (1, "#1005")] {
        let event = &juergen.events[n];
        let w = &want["events"][order];
        assert_eq!(event.kind, "order");
        assert_eq!(event.date.to_string(), w["date"].as_str().unwrap());
        assert_eq!(event.extra["amount"], w["amount"].as_str().unwrap());
        assert_eq!(event.extra["products"], w["products"].as_str().unwrap());
        assert_eq!(event.summary, w["products"].as_str().unwrap());
        assert_eq!(event.extra["order"], order);
    }
    // "Heidi.Gross@example.at" in the orders, lower case in the list
    let heidi = person(&people, "7411238977737");
    assert_eq!(heidi.events[0].extra["amount"], "689.00");
    // #1003 was cancelled: Lukas has no order
    assert!(person(&people, "7411238977738").events.is_empty());
    let warning = loaded
        .problems
        .iter()
        .find(|p| p.message.contains("maria.keller"));
    assert_eq!(warning.map(|p| p.severity), Some(Severity::Warning));
}

#[test]
fn woocommerce_orders_join_by_customer_number_else_email() {
    let w = Workdir::new();
    let people = w.write(
        "kunden.csv",
        "Kundennummer,Vorname,Nachname,E-Mail,Straße,PLZ,Ort\n\
         17,Katharina,Brandt,k.brandt@example.de,Hechtstraße 40,01097,Dresden\n\
         23,Tom,Becker,,Alaunstraße 9,01099,Dresden\n\
         99,Jürgen,Weiß,Juergen.Weiss@example.de,Größe-Straße 12,01069,Dresden\n",
    );
    let loaded = load(&options(&people, Some(&fixture("woocommerce-orders.csv")))).unwrap();
    let join = loaded.history.as_ref().unwrap().join.clone().unwrap();
    assert_eq!(
        join.key,
        "person_id ← customer_id, else email ← customer_email"
    );
    assert_eq!((join.by_id, join.by_email, join.nobody), (2, 1, 1));
    let orders = join.orders.unwrap();
    assert_eq!(orders.left_out, 3);
    let by: Vec<(&str, usize)> = orders
        .left_out_by
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(by, [("cancelled", 1), ("failed", 1), ("refunded", 1)]);
    let people: Vec<Person> = loaded.persons.iter().collect();
    let want = expected("woocommerce-orders.csv");
    let tom = &person(&people, "23").events;
    assert_eq!(tom.len(), 1, "the refunded order is left out");
    assert_eq!(
        tom[0].extra["amount"],
        want["events"]["4716"]["amount"].as_str().unwrap()
    );
    assert_eq!(tom[0].summary, "Konferenztisch Eiche, Stuhl Eiche");
    let juergen = &person(&people, "99").events;
    assert_eq!(juergen.len(), 1, "the failed order is left out");
    assert_eq!(juergen[0].summary, "Esstisch Nussbaum, 2 × Stuhl Eiche");
    assert_eq!(juergen[0].date.to_string(), "2026-10-02");
    assert_eq!(person(&people, "17").events.len(), 1);
}

#[test]
fn orders_whose_emails_match_nobody_are_an_error_that_says_what_to_do() {
    let w = Workdir::new();
    let people = w.write(
        "kunden.csv",
        "Kundennr;Vorname;Nachname;E-Mail;Straße;PLZ;Ort\n\
         K-1;Anna;Weber;anna.weber@example.de;Hauptstraße 5;01067;Dresden\n",
    );
    let loaded = load(&options(&people, Some(&fixture("shopify-orders.csv")))).unwrap();
    let error = loaded
        .problems
        .iter()
        .find(|p| p.severity == Severity::Error)
        .expect("an error");
    let text = format!("{error} {}", error.hint.clone().unwrap_or_default());
    assert!(
        text.contains(
            "shopify-orders.csv: none of the 5 event(s) names a person of the people file \
             (joined by email ← Email): juergen.weiss@example.de (line 2)"
        ),
        "{text}"
    );
    assert!(text.contains("--column email="), "{text}");
}

#[test]
fn a_datev_file_cut_after_its_format_line_and_a_broken_vcard_say_where() {
    let w = Workdir::new();
    let datev = std::fs::read(fixture("datev-debitoren.csv")).unwrap();
    let first = datev.iter().position(|&b| b == b'\n').unwrap();
    let cut = w.write("cut.csv", &datev[..=first]);
    let e = load(&options(&cut, None)).err().unwrap();
    assert!(e.to_string().ends_with("cut.csv:2: the DATEV export ends after its format line (EXTF 700, Debitoren/Kreditoren): the line with the column names and the accounts are missing"), "{e}");
    assert!(e.hint().unwrap().contains("export it again from DATEV"));
    // (the file is not UTF-8 as a whole: a fold splits a character)
    let vcf = std::fs::read(fixture("contacts.vcf")).unwrap();
    let at = vcf.windows(6).position(|w| w == b"FN:B\xc3\xa4").unwrap();
    let mut broken = vcf.clone();
    broken[at + 2] = b' ';
    let broken = w.write("broken.vcf", broken);
    let e = load(&options(&broken, None)).err().unwrap().to_string();
    assert!(e.contains("broken.vcf:"), "{e}");
    assert!(
        e.contains("\"FN Bäckerei Größl & Söhne GmbH\" is not a vCard line"),
        "{e}"
    );
}

fn new_campaign(people: &Path, history: Option<&Path>, occasion: Occasion) -> NewCampaign {
    NewCampaign {
        name: None,
        people: people.to_path_buf(),
        history: history.map(Path::to_path_buf),
        sheet: None,
        columns: IndexMap::new(),
        date_format: None,
        occasion,
        days: None,
        template: occasion.template(),
        motif: None,
        sender: [("company", "Holzwerk Lindner GmbH"), ("city", "Dresden")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into_iter()
            .collect(),
        language: "de".into(),
        messages: IndexMap::new(),
        date: Some("2026-12-01".into()),
    }
}

#[test]
fn write_campaign_writes_nothing_before_and_never_over_a_campaign() {
    let w = Workdir::new();
    let people = w.write(
        "kunden.csv",
        std::fs::read(fixture("crm-export.csv")).unwrap(),
    );
    let campaign = w.join("weihnachten.toml");
    let setup = new_campaign(&people, None, Occasion::Christmas);
    let files = setup::campaign_files(&setup, &campaign).unwrap();
    assert!(
        !campaign.exists() && !w.join("weihnachten").exists(),
        "a preview writes nothing"
    );
    assert!(
        files.campaign_text.contains("people = \"kunden.csv\""),
        "{}",
        files.campaign_text
    );
    setup::write_campaign(&setup, &campaign, false).unwrap();
    assert_eq!(
        std::fs::read_to_string(&campaign).unwrap(),
        files.campaign_text
    );
    let again = setup::write_campaign(&setup, &campaign, false).unwrap_err();
    assert!(again.to_string().contains("is there already"), "{again}");
    setup::write_campaign(&setup, &campaign, true).unwrap();
    // a mapping of one's own is kept; the automatic one only as a comment
    let mut own = setup.clone();
    own.columns.insert("last_name".into(), "Last name".into());
    own.columns.insert("tags".into(), "Language".into());
    let text = setup::campaign_files(&own, &campaign)
        .unwrap()
        .campaign_text;
    assert!(text.contains("[columns]\ntags = \"Language\"\n"), "{text}");
    assert!(!text.contains("last_name = \"Last name\""), "{text}");
}

#[test]
fn every_occasion_makes_a_campaign_that_passes_check() {
    let w = Workdir::new();
    let people = w.write(
        "kunden.csv",
        std::fs::read(fixture("shopify-customers.csv")).unwrap(),
    );
    let orders = w.write(
        "orders.csv",
        std::fs::read(fixture("shopify-orders.csv")).unwrap(),
    );
    for occasion in Occasion::ALL {
        let campaign = w.join(&format!("{}.toml", occasion.word()));
        let mut setup = new_campaign(&people, Some(&orders), occasion);
        setup.template = if occasion == Occasion::Birthday {
            Template::Letter
        } else {
            setup.template
        };
        setup::write_campaign(&setup, &campaign, false).unwrap();
        let run = w.run(&["check", campaign.to_str().unwrap(), "--state", "state"]);
        assert_eq!(
            run.code(),
            0,
            "{occasion:?}:\n{}\n{}",
            run.stdout(),
            run.stderr()
        );
    }
}

#[test]
fn warmly_new_prints_what_it_found_and_the_campaign_renders() {
    let w = Workdir::new();
    w.write(
        "Debitoren.csv",
        std::fs::read(fixture("datev-debitoren.csv")).unwrap(),
    );
    let run = w.run(&[
        "new",
        "weihnachten.toml",
        "--people",
        "Debitoren.csv",
        "--date",
        "2026-12-01",
        "--sender-company",
        "Holzwerk Lindner GmbH",
        "--sender-city",
        "Dresden",
    ]);
    run.expect_code(0);
    let out = run.stdout();
    for line in [
        "people: Debitoren.csv",
        "  DATEV Debitoren/Kreditoren export (EXTF 700, Debitoren/Kreditoren), 6 rows, windows-1252 — delimiter \";\"",
        "    company          ← Name (Adressatentyp Unternehmen) | Name (Adressatentyp keine Angabe)",
        "    salutation_line  ← Abweichende Anrede",
        "wrote weihnachten.toml",
        "wrote weihnachten/message.de.j2",
        "next: warmly check weihnachten.toml",
        "      warmly studio weihnachten.toml",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} not in:\n{out}");
    }
    w.run(&["check", "weihnachten.toml"]).expect_code(0);
    let dry = w.run(&["render", "weihnachten.toml", "--dry-run"]);
    dry.expect_code(0);
    let stdout = dry.stdout();
    let pieces = stdout.lines().filter(|l| l.contains('\t'));
    let ids: Vec<&str> = pieces.map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(
        ids,
        ["10001", "10002", "10003", "10007", "10008", "10009"],
        "{}",
        dry.stdout()
    );
    w.run(&["render", "weihnachten.toml", "-q"]).expect_code(0);
    assert_eq!(w.pdfs("out/weihnachten").len(), 6);
    let text = util::text(&w.pdf_of("out/weihnachten", "10007"));
    assert!(
        text.contains("Sehr geehrter Herr Dr. von Hausen,"),
        "{text}"
    );
    // the campaign is there now: not again
    let again = w.run(&["new", "weihnachten.toml", "--people", "Debitoren.csv"]);
    again.expect_code(2);
    assert!(
        again.stderr().contains("weihnachten.toml is there already"),
        "{}",
        again.stderr()
    );
}

#[test]
fn warmly_new_refuses_without_a_name_or_an_address_and_says_how_to_map() {
    let w = Workdir::new();
    w.write(
        "liste.csv",
        "Nr;Kunde;Anschrift 1;Postleitzahl;Ort\n1;Anna Weber;Hauptstraße 5;01067;Dresden\n",
    );
    let run = w.run(&["new", "x.toml", "--people", "liste.csv"]);
    run.expect_code(2);
    let out = run.stdout();
    assert!(
        out.contains("error: no column for a name: last_name or company"),
        "{out}"
    );
    assert!(
        out.contains("error: no column for the street: street"),
        "{out}"
    );
    assert!(out.contains("hint: name the column with --column last_name=\"Header\"; the file's headers: Nr, Kunde, Anschrift 1, Postleitzahl, Ort"), "{out}");
    assert!(!w.join("x.toml").exists() && !w.join("x").exists());
    let run = w.run(&[
        "new",
        "x.toml",
        "--people",
        "liste.csv",
        "--column",
        "last_name=Kunde",
        "--column",
        "street=Anschrift 1",
        "--date",
        "2026-12-01",
    ]);
    run.expect_code(0);
    let text = std::fs::read_to_string(w.join("x.toml")).unwrap();
    assert!(
        text.contains("[columns]\nlast_name = \"Kunde\"\nstreet = \"Anschrift 1\"\n"),
        "{text}"
    );
    w.run(&["check", "x.toml"]).expect_code(0);
    // an orders export is no list of people
    w.write(
        "orders.csv",
        std::fs::read(fixture("shopify-orders.csv")).unwrap(),
    );
    let run = w.run(&["new", "y.toml", "--people", "orders.csv"]);
    run.expect_code(2);
    assert!(
        run.stdout().contains("pass it as --history"),
        "{}",
        run.stdout()
    );
}

#[test]
fn inspection_is_data_for_the_wizard() {
    let seen = inspect(&fixture("customers.xlsx"), None).unwrap();
    assert_eq!(seen.sheets, ["Kunden", "Notizen"]);
    assert_eq!(seen.sample.len(), 6);
    assert_eq!(seen.sample[0].line, 2);
    assert_eq!(seen.sample[0].cells[3], "Jürgen");
    assert_eq!(seen.mapping["postal_code"], "PLZ");
    let json = serde_json::to_value(&seen).unwrap();
    assert_eq!(json["source"], "german");
    assert_eq!(json["format"]["sheet"], "Kunden");
    let both = warmly::load::inspect_files(&warmly::load::InspectOptions {
        people: fixture("shopify-customers.csv"),
        history: Some(fixture("shopify-orders.csv")),
        ..Default::default()
    })
    .unwrap();
    let history = both.history.unwrap();
    assert_eq!(history.source, Source::ShopifyOrders);
    assert_eq!(
        history.description,
        "Shopify orders export, 5 orders, UTF-8"
    );
    assert_eq!(history.mapping["amount"], "Total");
    assert_eq!(history.sample.len(), 9, "the rows as the file has them");
    assert_eq!(history.join.unwrap().by_email, 4);
}

#[test]
fn warmly_new_shows_the_join_and_a_dry_run_writes_nothing() {
    let w = Workdir::new();
    w.write(
        "kunden.csv",
        std::fs::read(fixture("shopify-customers.csv")).unwrap(),
    );
    w.write(
        "orders.csv",
        std::fs::read(fixture("shopify-orders.csv")).unwrap(),
    );
    let run = w.run(&[
        "new",
        "danke.toml",
        "-p",
        "kunden.csv",
        "--history",
        "orders.csv",
        "--occasion",
        "after-order",
        "--dry-run",
    ]);
    run.expect_code(0);
    let out = run.stdout();
    assert!(out.contains("  joined by email ← Email: 9 rows → 5 orders (1 left out: 1 cancelled); 0 joined by customer number, 4 by e-mail, 1 found nobody"), "{out}");
    assert!(
        out.contains(
            "--- danke.toml (not written)\n# danke: a thank-you some days after each order"
        ),
        "{out}"
    );
    assert!(
        out.contains("kind = \"after_event\"\nevent = \"order\"\ndays = 7 "),
        "{out}"
    );
    assert!(!w.join("danke.toml").exists() && !w.join("danke").exists());
}
