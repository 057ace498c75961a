//! Personal links (`[links] personal_url`): the built-in card and letter
//! print each recipient's URL as a QR code that a scanner reads back — here
//! `pdftoppm` at 300 dpi and zbar's `zbarimg` (`apt-get install
//! zbar-tools`) — exactly, with every column value percent-encoded.

mod util;

use std::path::Path;
use std::process::Command;

use util::{read_manifest, text, Workdir};

const PEOPLE: &str = "\
id,salutation,first_name,last_name,company,street,postal_code,city,country,language
K-1,Frau,Annelie,Große-Wöstmann,,Käthe-Kollwitz-Straße 58,04109,Leipzig,DE,de
K-2,Herr,Pieter,van der Meulen,,Hauptstraße 3,01067,Dresden,DE,de
K-3,Herr,Seán,O'Brien & Söhne/2,,Bergstraße 1,01069,Dresden,DE,de
K-4,,,,Buchhandlung Weißbach,Markt 1,01067,Dresden,DE,de
";

const PATTERN: &str = "https://example.com/k/{id}?n={last_name}";

/// What the code of each recipient must hold, byte for byte.
const URLS: &[(&str, &str)] = &[
    (
        "K-1",
        "https://example.com/k/K-1?n=Gro%C3%9Fe-W%C3%B6stmann",
    ),
    ("K-2", "https://example.com/k/K-2?n=van%20der%20Meulen"),
    (
        "K-3",
        "https://example.com/k/K-3?n=O%27Brien%20%26%20S%C3%B6hne%2F2",
    ),
];

/// A campaign for `template` with `[links]` (none: without) and a message
/// that shows the link.
fn campaign(w: &Workdir, template: &str, links: Option<&str>) -> String {
    w.write("people.csv", PEOPLE);
    w.write(
        "messages/message.de.j2",
        "vielen Dank für das gute Jahr. Ihr Link: {{ link }}\n",
    );
    let links = links
        .map(|p| format!("[links]\npersonal_url = \"{p}\"\n"))
        .unwrap_or_default();
    let name = format!("{template}-links.toml");
    w.write(
        &name,
        format!(
            "template = \"{template}\"\ndate = \"2026-12-01\"\nmessages = \"messages\"\n\
             [data]\npeople = \"people.csv\"\n\
             [sender]\ncompany = \"Holzwerk Lindner GmbH\"\nname = \"Marie Lindner\"\n\
             street = \"Am Elbufer 12\"\npostal_code = \"01069\"\ncity = \"Dresden\"\n\
             [policy]\ngeneric = \"warn\"\n{links}"
        ),
    );
    name
}

/// The QR codes on page 1 of `pdf`, as zbar reads them from a 300 dpi scan.
fn scan(pdf: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&stem)
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(status.success());
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(stem.with_extension("png"))
        .output()
        .unwrap_or_else(|e| panic!("zbarimg is needed (apt-get install zbar-tools): {e}"));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn card_and_letter_print_a_qr_code_that_scans_to_the_exact_url() {
    for template in ["card", "letter"] {
        let w = Workdir::new();
        let name = campaign(&w, template, Some(PATTERN));
        // K-4 is a company without a last name: half a link on paper is
        // worse than none, so that recipient fails and says why.
        w.run(&["render", &name, "--out", "out", "--quiet"])
            .expect_code(1)
            .expect_stderr("K-4")
            .expect_stderr("needs column \"last_name\", which is empty");
        let manifest = read_manifest(&w.join("out/manifest.csv"));
        for (id, url) in URLS {
            let pdf = w.pdf_of("out", id);
            assert_eq!(scan(&pdf), [*url], "{template} {id}");
            // `link` in the message text: the same URL, as text
            let words: String = text(&pdf).split_whitespace().collect();
            assert!(words.contains(url), "{template} {id}: {words}");
            let row = manifest.iter().find(|r| r["id"] == *id).unwrap();
            assert_eq!(row["link"], *url);
            assert_eq!(row["status"], "written");
            assert_eq!(row["preflight"], "ok", "{template} {id}: {row:?}");
        }
        let k4 = manifest.iter().find(|r| r["id"] == "K-4").unwrap();
        assert_eq!((k4["status"].as_str(), k4["link"].as_str()), ("failed", ""));
        assert!(k4["error"].contains("last_name"), "{k4:?}");
    }
}

#[test]
fn the_url_is_printed_beneath_the_code_as_people_read_it() {
    let w = Workdir::new();
    let name = campaign(&w, "card", Some(PATTERN));
    w.run(&["render", &name, "--out", "out", "--quiet"]);
    // page 1 is the outside: the back panel carries the code and its text
    let outside = util::page_text(&w.pdf_of("out", "K-1"), 1);
    assert!(
        outside.contains("example.com/k/K-1?n=Große-Wöstmann"),
        "{outside}"
    );
}

#[test]
fn a_long_link_still_scans_and_is_flagged() {
    let w = Workdir::new();
    let long = "https://www.holzwerk-lindner.de/kundenbereich/weihnachten-2026/{id}?name={last_name}&stadt={city}&von={first_name}";
    let name = campaign(&w, "card", Some(long));
    let run = w.run(&["render", &name, "--out", "out", "--quiet"]);
    run.expect_code(1);
    let url = "https://www.holzwerk-lindner.de/kundenbereich/weihnachten-2026/K-1?name=Gro%C3%9Fe-W%C3%B6stmann&stadt=Leipzig&von=Annelie";
    assert_eq!(scan(&w.pdf_of("out", "K-1")), [url]);
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    assert!(
        manifest[0]["warnings"].contains("personal link is long"),
        "{:?}",
        manifest[0]
    );
}

#[test]
fn without_links_there_is_no_link_anywhere() {
    let w = Workdir::new();
    let name = campaign(&w, "letter", None);
    w.write(
        "messages/message.de.j2",
        "{% if link %}LINK{% else %}vielen Dank für das gute Jahr.{% endif %}\n",
    );
    w.run(&["render", &name, "--out", "out", "--quiet"])
        .expect_code(0);
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    assert!(!manifest[0].contains_key("link"), "{:?}", manifest[0]);
    assert!(scan(&w.pdf_of("out", "K-1")).is_empty());
    assert!(!text(&w.pdf_of("out", "K-1")).contains("LINK"));
    w.run(&[
        "render",
        &name,
        "--export-inputs",
        "inputs",
        "--force",
        "--quiet",
    ])
    .expect_code(0);
    let data = std::fs::read_to_string(
        util::walk(&w.join("inputs"))
            .into_iter()
            .find(|p| p.ends_with("data.json"))
            .unwrap(),
    )
    .unwrap();
    assert!(!data.contains("\"link\""), "{data}");
}

#[test]
fn an_unknown_column_stops_the_run_naming_it_and_the_columns_there_are() {
    let w = Workdir::new();
    let name = campaign(&w, "card", Some("https://example.com/k/{kundennummer}"));
    for command in ["render", "check"] {
        w.run(&[command, &name, "--out", "out"])
            .expect_code(2)
            .expect_stderr("uses a column the people file does not have: kundennummer")
            .expect_stderr(
                "the people file's columns: id, salutation, title, first_name, last_name",
            );
    }
    assert!(!w.join("out").exists());

    for (pattern, why) in [
        ("example.com/{id}", "starts with https://"),
        ("https://example.com/{id", r#"without its "}""#),
    ] {
        let name = campaign(&w, "card", Some(pattern));
        w.run(&["check", &name])
            .expect_code(2)
            .expect_stderr("links.personal_url")
            .expect_stderr(why);
    }
    // a misspelt key of [links] is named too
    w.write(
        "typo.toml",
        "template = \"card\"\n[data]\npeople = \"people.csv\"\n[links]\npersonal_link = \"https://x.de/{id}\"\n",
    );
    w.run(&["check", "typo.toml"])
        .expect_code(2)
        .expect_stderr("personal_link");
}

#[test]
fn the_test_grid_needs_no_link() {
    let w = Workdir::new();
    let name = campaign(&w, "letter", Some(PATTERN));
    // the grid takes its sample from the first row: here one without a last name
    let company_first: String = PEOPLE
        .lines()
        .take(1)
        .chain(PEOPLE.lines().skip(4))
        .map(|l| format!("{l}\n"))
        .collect();
    w.write("people.csv", company_first);
    w.run(&["render", &name, "--test-grid", "--out", "grid", "--quiet"])
        .expect_code(0);
    assert!(scan(&w.join("grid/test-grid.pdf")).is_empty());
}
