//! The loader against real export formats (tests/fixtures/exports, made by
//! generate.py there): every file must load without any mapping and give
//! the canonical values in expected.json.

use std::collections::BTreeMap;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde_json::Value;
use warmly::error::Severity;
use warmly::lang::normalize_country;
use warmly::load::{load, read_table, LoadOptions};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports")
}

fn expected() -> BTreeMap<String, Value> {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
        .unwrap()
}

fn options(people: &str, history: Option<&str>) -> LoadOptions {
    LoadOptions {
        people: fixtures().join(people),
        history: history.map(|h| fixtures().join(h)),
        sheet: None,
        columns: IndexMap::new(),
        date_order: None,
        pivot_year: 2026,
    }
}

/// Compares one canonical field; countries are compared as ISO codes.
fn same(field: &str, want: &str, got: &str) -> bool {
    if field == "country" {
        normalize_country(want) == got
    } else {
        want == got
    }
}

#[test]
fn every_export_loads_without_mapping() {
    let mut failures = Vec::new();
    for (file, want) in expected() {
        if file.starts_with("history") || want["role"] == "history" {
            continue;
        }
        let loaded = load(&options(&file, None)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let errors: Vec<String> = loaded
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.to_string())
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
        if let Some(source) = want["source"].as_str() {
            let got = serde_json::to_value(loaded.people.source).unwrap();
            assert_eq!(got, source, "{file}: source");
        }
        assert_eq!(
            loaded.persons.len() as u64,
            want["rows"].as_u64().unwrap(),
            "{file}: rows"
        );
        if let Some(encoding) = want["encoding"].as_str() {
            let got = loaded.people.format.encoding.clone().unwrap_or_default();
            assert_eq!(
                got.to_lowercase(),
                encoding.to_lowercase(),
                "{file}: encoding"
            );
        }
        if let Some(delimiter) = want["delimiter"].as_str() {
            let got = loaded.people.format.delimiter.clone().unwrap_or_default();
            assert_eq!(
                if got == "tab" { "\t" } else { got.as_str() },
                delimiter,
                "{file}: delimiter"
            );
        }
        let mut rows: Vec<(usize, &serde_json::Map<String, Value>)> =
            vec![(1, want["first"].as_object().unwrap())];
        if let Some(also) = want.get("also").and_then(Value::as_object) {
            rows.extend(
                also.iter()
                    .map(|(n, v)| (n.parse().unwrap(), v.as_object().unwrap())),
            );
        }
        for (n, fields) in rows {
            let person = loaded.persons.get(n - 1);
            for (field, value) in fields {
                let value = value.as_str().unwrap_or_default();
                let got = person.get(field);
                if !same(field, value, got) {
                    failures.push(format!(
                        "{file} row {n} {field}: want {value:?}, got {got:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn german_history_joins_and_translates_kinds() {
    let loaded = load(&options(
        "german-excel-semicolon-cp1252.csv",
        Some("history-german.csv"),
    ))
    .unwrap();
    assert!(
        loaded
            .problems
            .iter()
            .all(|p| p.severity != Severity::Error),
        "{:?}",
        loaded.problems
    );
    let want = &expected()["history-german.csv"]["first"];
    let person = loaded
        .persons
        .iter()
        .find(|p| p.id == want["person_id"].as_str().unwrap())
        .unwrap();
    let event = person
        .events
        .iter()
        .find(|e| e.date.to_string() == want["date"].as_str().unwrap())
        .unwrap();
    assert_eq!(event.kind, want["kind"].as_str().unwrap());
    assert_eq!(event.extra["amount"], want["amount"].as_str().unwrap());
    let total: usize = loaded.persons.iter().map(|p| p.events.len()).sum();
    assert_eq!(
        total as u64,
        expected()["history-german.csv"]["rows"].as_u64().unwrap()
    );
}

#[test]
fn a_named_sheet_is_read() {
    for file in ["customers.xlsx", "customers.ods"] {
        let table = read_table(&fixtures().join(file), Some("Notizen")).unwrap();
        assert_eq!(table.headers, ["Stand", "Notiz"], "{file}");
        assert_eq!(table.rows.len(), 2, "{file}");
        let err = read_table(&fixtures().join(file), Some("Adressen"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no sheet \"Adressen\"") && err.contains("Kunden"),
            "{err}"
        );
    }
}

#[test]
fn ids_derived_from_content_do_not_depend_on_row_order() {
    let loaded = load(&options("google-contacts.csv", None)).unwrap();
    assert!(loaded.people.derived_ids);
    // Re-sort the file (header stays first) and load again.
    let text = std::fs::read_to_string(fixtures().join("google-contacts.csv")).unwrap();
    let mut records: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    records.reverse();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reversed.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer
        .write_record(csv::Reader::from_reader(text.as_bytes()).headers().unwrap())
        .unwrap();
    for r in &records {
        writer.write_record(r).unwrap();
    }
    writer.flush().unwrap();
    let mut opts = options("google-contacts.csv", None);
    opts.people = path;
    let reversed = load(&opts).unwrap();
    let mut a: Vec<String> = loaded.persons.iter().map(|p| p.id).collect();
    let mut b: Vec<String> = reversed.persons.iter().map(|p| p.id).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

/// The same table written in every encoding an office produces reads back
/// to the same text.
#[test]
fn encodings_round_trip() {
    let text = "Kundennr;Vorname;Nachname;Straße;Ort\r\n1;Jürgen;Weiß;Größe-Straße 12;Köln\r\n2;Zoë;Ørsted;Rue de l'Église 5;Liège\r\n";
    let utf16 = |big: bool| -> Vec<u8> {
        let mut out = if big {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            out.extend(if big {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("UTF-8", text.as_bytes().to_vec()),
        (
            "UTF-8 with BOM",
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        ),
        ("UTF-16LE with BOM", utf16(false)),
        ("UTF-16BE with BOM", utf16(true)),
        (
            "windows-1252",
            encoding_rs::WINDOWS_1252.encode(text).0.into_owned(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (encoding, bytes) in cases {
        let path = dir.path().join("people.csv");
        std::fs::write(&path, &bytes).unwrap();
        let table = read_table(&path, None).unwrap();
        assert_eq!(table.format.encoding.as_deref(), Some(encoding));
        assert_eq!(
            table.headers,
            ["Kundennr", "Vorname", "Nachname", "Straße", "Ort"],
            "{encoding}"
        );
        assert_eq!(
            table.rows.get(0).cells(),
            ["1", "Jürgen", "Weiß", "Größe-Straße 12", "Köln"],
            "{encoding}"
        );
        assert_eq!(
            table.rows.get(1).cells(),
            ["2", "Zoë", "Ørsted", "Rue de l'Église 5", "Liège"],
            "{encoding}"
        );
    }
}
