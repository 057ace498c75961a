//! Limits with clear words (issue 13, docs/guide/data.md "Limits"): whatever a
//! spreadsheet holds, warmly fails the one recipient or refuses the file
//! with the field, the place and the limit — never a panic, a hang or a
//! machine's worth of memory.

mod util;

use std::time::{Duration, Instant};

use util::{read_manifest, text, Workdir};

const HEADER: &str =
    "id,salutation,first_name,last_name,street,postal_code,city,country,language\n";
const ANNA: &str = "A,Frau,Anna,Weber,Ring 1,01069,Dresden,DE,de\n";

/// A letter campaign over `people` (written as bytes: some tests need
/// invalid text) with a message that prints the name.
fn campaign(w: &Workdir, people: &[u8], message: &str) -> String {
    w.write("people.csv", people);
    w.write("msg/message.de.j2", message);
    w.write(
        "c.toml",
        "name = \"t\"\ntemplate = \"letter\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n\
         [data]\npeople = \"people.csv\"\n[sender]\ncompany = \"Test GmbH\"\nname = \"Eva Test\"\n",
    );
    "c.toml".into()
}

const MESSAGE: &str = "Liebe Grüße an {{ person.first_name }} {{ person.last_name }}.\n";

/// Runs a render and its wall time; a generous bound, not a benchmark.
fn render(w: &Workdir, c: &str) -> (util::Run, Duration) {
    let start = Instant::now();
    let run = w.run(&["render", c, "--out", "out", "--state", "state", "-q"]);
    (run, start.elapsed())
}

/// The largest resident set of any child this test process has waited
/// for, in MiB: every run of this file stays under the bound, so the
/// largest does.
#[cfg(target_os = "linux")]
fn peak_child_mib() -> i64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    usage.ru_maxrss / 1024
}

/// Elsewhere the memory is not measured.
#[cfg(not(target_os = "linux"))]
fn peak_child_mib() -> i64 {
    0
}

/// No run of this file may use more memory than this.
const MEMORY_MIB: i64 = 600;

#[test]
fn a_two_megabyte_name_fails_that_recipient_fast() {
    let w = Workdir::new();
    let huge = "x".repeat(2 << 20);
    let people = format!("{HEADER}{ANNA}B,Herr,Bernd,{huge},Weg 2,04109,Leipzig,DE,de\n");
    let c = campaign(&w, people.as_bytes(), MESSAGE);
    let (run, took) = render(&w, &c);
    run.expect_code(1)
        .expect_stderr("failed: B (people.csv line 3): last_name has 2097152 characters, more than the 500 a name or address field may have");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // Anna's letter is written; Bernd's is not, and the manifest says why.
    assert_eq!(w.pdfs("out").len(), 1);
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    assert_eq!(manifest[1]["status"], "failed");
    assert!(manifest[1]["error"].contains("more than the 500"));
    assert!(peak_child_mib() < MEMORY_MIB, "{} MiB", peak_child_mib());
}

#[test]
fn a_long_note_may_be_longer_than_a_name_but_not_endless() {
    let w = Workdir::new();
    let fine = "Notiz ".repeat(1_000); // 6 000 characters
    let long = "y".repeat(10_001);
    let people = format!(
        "id,first_name,last_name,street,postal_code,city,note\n\
         A,Anna,Weber,Ring 1,01069,Dresden,{fine}\nB,Bernd,Braun,Weg 2,04109,Leipzig,{long}\n"
    );
    let c = campaign(&w, people.as_bytes(), MESSAGE);
    let (run, _) = render(&w, &c);
    run.expect_code(1).expect_stderr(
        "failed: B (people.csv line 3): note has 10001 characters, more than the 10000 a text field may have",
    );
    assert_eq!(w.pdfs("out").len(), 1);
}

#[test]
fn a_long_history_summary_names_the_history_line() {
    let w = Workdir::new();
    let c = campaign(
        &w,
        format!("{HEADER}{ANNA}").as_bytes(),
        "{% for e in history.all %}{{ e.summary }}{% endfor %}\n",
    );
    let summary = "z".repeat(10_001);
    w.write(
        "history.csv",
        format!(
            "person_id,date,kind,summary\nA,2026-01-02,order,Tisch\nA,2026-02-03,order,{summary}\n"
        ),
    );
    let toml = std::fs::read_to_string(w.join("c.toml")).unwrap();
    w.write(
        "c.toml",
        toml.replace("[data]\n", "[data]\nhistory = \"history.csv\"\n"),
    );
    let (run, _) = render(&w, &c);
    run.expect_code(1)
        .expect_stderr("summary (history.csv line 3) has 10001 characters");
}

#[test]
fn an_endless_message_says_so_in_words_with_file_and_line() {
    let w = Workdir::new();
    let message = "Hallo {{ person.first_name }},\n\n\
         {% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}{% endfor %}\n";
    let c = campaign(&w, format!("{HEADER}{ANNA}").as_bytes(), message);
    let (run, took) = render(&w, &c);
    let err = run.stderr();
    run.expect_code(1);
    assert!(
        err.contains("message.de.j2:3: the message did not finish — a loop over too many items?"),
        "{err}"
    );
    assert!(!err.contains("fuel"), "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn a_people_file_larger_than_the_limit_is_refused_before_reading() {
    let w = Workdir::new();
    let c = campaign(&w, b"", MESSAGE);
    // Sparse: 1 GiB and a byte, without writing a gigabyte.
    let file = std::fs::File::options()
        .write(true)
        .open(w.join("people.csv"))
        .unwrap();
    file.set_len((1 << 30) + 1).unwrap();
    let (run, took) = render(&w, &c);
    run.expect_code(2).expect_stderr(
        "people.csv: the file has 1024 MiB, more than the 1024 MiB a people or history file may have",
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(!w.join("out").exists());
}

/// Inputs that once were, or could be, a panic, a hang or a memory bomb:
/// each ends with a clear exit code quickly.
#[test]
fn nasty_people_files_end_cleanly() {
    let line = "a".repeat(8 << 20);
    // with id and last_name, as wide as a table may be (limits::COLUMNS)
    let many = (0..99_998)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let many_values = vec!["v"; 99_998].join(",");
    let nested = format!("{}#{{x}}{}", "[".repeat(200), "]".repeat(200));
    let cases: Vec<(&str, Vec<u8>, &[i32])> = vec![
        ("one huge line, no newline", line.into_bytes(), &[0, 2]),
        (
            "100 000 columns",
            format!("id,last_name,{many}\nA,Weber,{many_values}\n").into_bytes(),
            &[0],
        ),
        (
            "NUL bytes",
            format!("{HEADER}A,Frau,An\0na,We\0ber,Ring 1,01069,Dresden,DE,de\n").into_bytes(),
            &[0, 1],
        ),
        (
            "invalid UTF-8 after a UTF-8 BOM",
            [
                b"\xEF\xBB\xBF".as_slice(),
                HEADER.as_bytes(),
                b"A,Frau,\xC3\x28\xFF,Weber,Ring 1,01069,Dresden,DE,de\n",
            ]
            .concat(),
            &[0],
        ),
        (
            "UTF-16 with an odd byte and a lone surrogate",
            {
                let mut b = vec![0xFF, 0xFE];
                for u in
                    format!("{HEADER}A,Frau,Anna,Weber,Ring 1,01069,Dresden,DE,de\n").encode_utf16()
                {
                    b.extend(u.to_le_bytes());
                }
                b.extend([0x00, 0xD8, 0x41]); // lone high surrogate, half a unit
                b
            },
            &[0, 2],
        ),
        (
            "Windows-1252 guess with C1 and undefined bytes",
            [
                HEADER.as_bytes(),
                b"A,Frau,\x81\x8D\x8F\x90\x9D,M\xFCller,Ring 1,01069,Dresden,DE,de\n",
            ]
            .concat(),
            &[0],
        ),
        (
            "giant numbers in dates",
            "id,last_name,birthday,customer_since\n\
             A,Weber,99999999999999999999.12.2026,1.1.999999999999\n\
             B,Braun,31/12/-5,4294967296-01-01\n"
                .as_bytes()
                .to_vec(),
            &[2],
        ),
        (
            "deeply nested Typst-special characters",
            format!(
                "id,last_name,city\nA,\"{nested}\",\"{}\"\n",
                "$\\*_`<@=-+/~\"\"'".repeat(20)
            )
            .into_bytes(),
            &[0],
        ),
    ];
    for (what, bytes, codes) in cases {
        let w = Workdir::new();
        let c = campaign(&w, &bytes, MESSAGE);
        let (run, took) = render(&w, &c);
        assert!(
            codes.contains(&run.code()),
            "{what}: exit code {} not in {codes:?}:\n{}",
            run.code(),
            run.stderr()
        );
        assert!(
            !run.stderr().contains("panicked"),
            "{what}: {}",
            run.stderr()
        );
        assert!(took < Duration::from_secs(30), "{what}: took {took:?}");
        if what.starts_with("deeply nested") {
            let t = text(&w.pdfs("out")[0]);
            assert!(t.contains("[[[[#{x}]]]]"), "{what}: {t}");
        }
    }
    assert!(peak_child_mib() < MEMORY_MIB, "{} MiB", peak_child_mib());
}

/// Found while writing the date fuzz target: a seven-byte birthday with
/// a multi-byte character across byte 4 (`--1€1`) panicked in the check
/// for Google's year-less `--MM-DD`. It is an invalid date like any other.
#[test]
fn a_birthday_with_a_euro_sign_is_an_invalid_date_not_a_panic() {
    let w = Workdir::new();
    let people = "id,last_name,birthday\nA,Weber,--03-14\nB,Braun,--1€1\n";
    let c = campaign(&w, people.as_bytes(), MESSAGE);
    let (run, _) = render(&w, &c);
    run.expect_code(2)
        .expect_stderr("people.csv:3:3: invalid date \"--1€1\" in column \"birthday\"");
}

/// Found by the date fuzz target: chrono's `%Y` takes a sign and `%m`
/// one digit, so `-32222-9-6` was a birthday in the year -32222.
#[test]
fn a_negative_year_is_an_invalid_date() {
    let w = Workdir::new();
    let people = "id,last_name,birthday\nA,Weber,-32222-9-6\n";
    let c = campaign(&w, people.as_bytes(), MESSAGE);
    let (run, _) = render(&w, &c);
    run.expect_code(2)
        .expect_stderr("people.csv:2:3: invalid date \"-32222-9-6\" in column \"birthday\"");
}

/// A workbook with a table and one stray cell far away: calamine's dense
/// grid over the used range would have been seventeen billion cells.
fn render_workbook(fixture: &str) -> (util::Run, Duration, Workdir) {
    let w = Workdir::new();
    let bytes = std::fs::read(util::repo().join("tests/fixtures/limits").join(fixture)).unwrap();
    w.write("people.xlsx", bytes);
    let c = campaign(&w, b"", MESSAGE);
    let toml = std::fs::read_to_string(w.join("c.toml")).unwrap();
    w.write("c.toml", toml.replace("people.csv", "people.xlsx"));
    let (run, took) = render(&w, &c);
    (run, took, w)
}

#[test]
fn a_stray_cell_at_the_end_of_a_sheet_costs_nothing() {
    let (run, took, w) = render_workbook("table.xlsx");
    run.expect_code(0);
    assert_eq!(w.pdfs("out").len(), 1);
    // The same table with a cell in XFD1048576: that row is read (and
    // has no id), the empty million rows and sixteen thousand columns
    // between are not.
    let (run, took_stray, _) = render_workbook("stray-cell.xlsx");
    run.expect_code(2)
        .expect_stderr("people.xlsx:1048576:1: the id is empty");
    assert!(took < Duration::from_secs(20) && took_stray < Duration::from_secs(20));
    assert!(peak_child_mib() < MEMORY_MIB, "{} MiB", peak_child_mib());
}

#[test]
fn a_sheet_wider_than_the_limit_is_refused_with_its_last_cell() {
    // 701 rows with content, the header reaching column XFD.
    let (run, _, w) = render_workbook("wide.xlsx");
    run.expect_code(2).expect_stderr(
        "people.xlsx: sheet \"Kunden\" uses 701 rows × 16384 columns (up to cell XFD701), more than the 10000000 cells warmly reads",
    );
    assert!(!w.join("out").exists());
}

/// An `.ods` package (`mimetype`, manifest, `content.xml`) whose first
/// sheet, `Kunden`, holds `rows` (the XML of its `table:table-row`s).
fn ods(rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
    )
    .unwrap();
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Kunden">{rows}</table:table><table:table table:name="Notizen"><table:table-row><table:table-cell office:value-type="string"><text:p>Notiz</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

/// A text cell.
fn s(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

/// `n` empty cells, as LibreOffice writes them.
fn blank(n: u64) -> String {
    format!(r#"<table:table-cell table:number-columns-repeated="{n}"/>"#)
}

/// A header and Anna, in the columns `campaign` needs.
fn anna_rows() -> String {
    let header = [
        "id",
        "salutation",
        "first_name",
        "last_name",
        "street",
        "postal_code",
        "city",
    ];
    let anna = ["A", "Frau", "Anna", "Weber", "Ring 1", "01069", "Dresden"];
    let row = |cells: &[&str]| {
        let cells: String = cells.iter().map(|c| s(c)).collect();
        format!("<table:table-row>{cells}</table:table-row>")
    };
    row(&header) + &row(&anna)
}

/// Renders a campaign whose people file is `file`, holding `bytes`.
fn render_people(file: &str, bytes: &[u8]) -> (util::Run, Duration, Workdir) {
    let w = Workdir::new();
    let c = campaign(&w, b"", MESSAGE);
    w.write(file, bytes);
    let toml = std::fs::read_to_string(w.join("c.toml")).unwrap();
    w.write("c.toml", toml.replace("people.csv", file));
    let (run, took) = render(&w, &c);
    (run, took, w)
}

/// The .ods of issue 13: a million empty rows (one element with
/// `table:number-rows-repeated`) and a stray cell in column CM after
/// them. calamine's dense grid made that 95 million cells (7.4 GB, 8 s);
/// read cell by cell, the empty rows cost nothing, as in an .xlsx.
#[test]
fn an_ods_with_a_stray_cell_far_away_costs_nothing() {
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="1048000">{}</table:table-row><table:table-row>{}{}</table:table-row>"#,
        anna_rows(),
        blank(7),
        blank(90),
        s("x")
    );
    let (run, took, _) = render_people("people.ods", &ods(&rows));
    run.expect_code(2)
        .expect_stderr("people.ods:1048003:1: the id is empty");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(peak_child_mib() < MEMORY_MIB, "{} MiB", peak_child_mib());
    // Without the stray row the letter is written.
    let (run, _, w) = render_people("people.ods", &ods(&anna_rows()));
    run.expect_code(0);
    assert_eq!(w.pdfs("out").len(), 1);
}

#[test]
fn an_ods_wider_than_the_limit_is_refused_with_its_last_cell() {
    // The header reaches column XFD; 700 rows of one value below it.
    let rows = format!(
        r#"<table:table-row>{}{}{}</table:table-row><table:table-row table:number-rows-repeated="700">{}</table:table-row>"#,
        s("id"),
        blank(16_382),
        s("far"),
        s("A")
    );
    let (run, took, w) = render_people("people.ods", &ods(&rows));
    run.expect_code(2).expect_stderr(
        "people.ods: sheet \"Kunden\" uses 701 rows × 16384 columns (up to cell XFD701), more than the 10000000 cells warmly reads",
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(!w.join("out").exists());
    // A cell repeated over the whole sheet (17 billion cells in a few
    // hundred bytes) is refused as soon as it passes the limit.
    let rows = format!(
        r#"<table:table-row>{}</table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/></table:table-row>"#,
        s("id")
    );
    let (run, took, _) = render_people("people.ods", &ods(&rows));
    run.expect_code(2).expect_stderr(
        "people.ods: sheet \"Kunden\" uses 1048576 rows × 16384 columns (up to cell XFD1048576), more than the 10000000 cells warmly reads",
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(peak_child_mib() < MEMORY_MIB, "{} MiB", peak_child_mib());
}

/// A table as LibreOffice writes it still reads as a person sees it.
#[test]
fn an_ods_table_reads_its_values() {
    let w = Workdir::new();
    let rows = format!(
        concat!(
            r#"<table:table-row table:number-rows-repeated="2">{blank}</table:table-row>"#,
            r#"<table:table-row>{blank1}{id}{name}{born}{amount}{note}{a}{b}{c}{blank}</table:table-row>"#,
            r#"<table:table-row>{blank1}<table:table-cell office:value-type="float" office:value="10001"><text:p>10001</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string"><text:p>Anna <text:span>Weber</text:span></text:p><text:p>geb. Braun</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="date" office:date-value="1961-04-03"><text:p>03.04.61</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="currency" office:currency="EUR" office:value="1234.5"><text:p>1.234,50 €</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string"><text:p>Tisch<text:s text:c="2"/>&amp; Stühle</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="float" office:value="0.5" table:number-columns-repeated="3"><text:p>0,5</text:p></table:table-cell>{blank}</table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="1000">{blank}</table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="2">{blank1}{k2}<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>WAHR</text:p></table:table-cell>{blank}</table:table-row>"#,
        ),
        blank = blank(1024),
        blank1 = blank(1),
        id = s("Kundennr"),
        name = s("Name"),
        born = s("Geburtstag"),
        amount = s("Umsatz"),
        note = s("Notiz"),
        a = s("a"),
        b = s("b"),
        c = s("c"),
        k2 = s("K-2"),
    );
    let path = w.write("people.ods", ods(&rows));
    let table = warmly::load::read_table(&path, None).unwrap();
    assert_eq!(table.format.kind, "ODS");
    assert_eq!(table.format.sheet.as_deref(), Some("Kunden"));
    assert_eq!(
        table.headers,
        [
            "Kundennr",
            "Name",
            "Geburtstag",
            "Umsatz",
            "Notiz",
            "a",
            "b",
            "c"
        ]
    );
    let rows: Vec<_> = table.rows.iter().collect();
    let rows: Vec<(u64, Vec<&str>)> = rows.iter().map(|r| (r.line, r.cells())).collect();
    assert_eq!(
        rows,
        [
            (
                4,
                vec![
                    "10001",
                    "Anna Weber\ngeb. Braun",
                    "1961-04-03",
                    "1234.5",
                    "Tisch  & Stühle",
                    "0.5",
                    "0.5",
                    "0.5"
                ]
            ),
            (1005, vec!["K-2", "TRUE", "", "", "", "", "", ""]),
            (1006, vec!["K-2", "TRUE", "", "", "", "", "", ""]),
        ]
    );
    let notes = warmly::load::read_table(&path, Some("Notizen")).unwrap();
    assert_eq!(notes.headers, ["Notiz"]);
    let err = warmly::load::read_table(&path, Some("Adressen"))
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("no sheet \"Adressen\" (sheets: Kunden, Notizen)"),
        "{err}"
    );
}

/// calamine reads every sheet of an .xls into a dense grid as it opens
/// it, and trusts the file's sizes: a 5 KB file could take gigabytes or
/// abort warmly. It is refused before it is read, with the way out.
#[test]
fn an_xls_workbook_is_refused_with_the_way_out() {
    let (run, _, w) = render_people("people.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    run.expect_code(2)
        .expect_stderr("people.xls: an Excel 97–2003 workbook (.xls) is not read")
        .expect_stderr("save it as .xlsx");
    assert!(!w.join("out").exists());
}

/// An `.xlsb` is read by calamine, which trusts the file's own indexes: a
/// shared-string index past the table, a sheet named by a relationship
/// the workbook lacks or a record cut short made it panic. Such a file is
/// refused like any unreadable workbook; a sound one is read (the files:
/// tests/data/xlsb/make_xlsb.py).
#[test]
fn a_damaged_xlsb_is_refused_not_a_crash() {
    let data = util::repo().join("tests/data/xlsb");
    let (run, _, w) = render_people(
        "people.xlsb",
        &std::fs::read(data.join("good.xlsb")).unwrap(),
    );
    run.expect_code(0);
    let pdfs = w.pdfs("out");
    let texts: Vec<String> = pdfs.iter().map(|p| util::text(p)).collect();
    assert_eq!(pdfs.len(), 2);
    assert!(texts
        .iter()
        .any(|t| t.contains("Liebe Grüße an Anna Weber.")));
    assert!(texts
        .iter()
        .any(|t| t.contains("Liebe Grüße an Bob Stein.")));
    for (file, why) in [
        ("bad-string-index.xlsb", "index out of bounds"),
        ("bad-relationship.xlsb", "no entry found for key"),
        ("short-record.xlsb", "out of range for slice"),
    ] {
        let (run, _, w) = render_people("people.xlsb", &std::fs::read(data.join(file)).unwrap());
        run.expect_code(2)
            .expect_stderr("people.xlsb: cannot read the workbook, it is damaged (")
            .expect_stderr(why)
            .expect_stderr("save it again as .xlsx or .ods");
        assert!(
            !run.stderr().contains("panicked"),
            "{file}: {}",
            run.stderr()
        );
        assert!(!w.join("out").exists());
    }
}

/// A table is at most 100 000 columns wide (limits::COLUMNS; the nasty
/// files above have a table of exactly that). Wider is refused before it
/// is read into names: a CSV at the line and column where it gets too
/// wide, a workbook whose one cell claims column 8 000 000 (found by
/// fuzzing: 400 MB and 5 s for a 1.5 KB file) by the cell.
#[test]
fn a_table_wider_than_100_000_columns_is_refused() {
    let header = format!("id,last_name{}", ",x".repeat(99_999));
    let col = header.match_indices(',').nth(99_999).unwrap().0 + 1;
    let w = Workdir::new();
    let c = campaign(&w, format!("{header}\nA,Weber\n").as_bytes(), MESSAGE);
    let (run, took) = render(&w, &c);
    run.expect_code(2)
        .expect_stderr(&format!(
            "people.csv:1:{col}: more than 100000 columns in one line"
        ))
        .expect_stderr("a customer list has a few dozen columns");
    assert!(took < Duration::from_secs(10), "took {took:?}");

    let data = util::repo().join("tests/data/xlsb");
    let (run, took, w) = render_people(
        "people.xlsb",
        &std::fs::read(data.join("far-column.xlsb")).unwrap(),
    );
    run.expect_code(2).expect_stderr(
        "people.xlsb: sheet \"Kunden\" uses 1 rows × 8000001 columns (up to cell QMDHI1), more than the 100000 columns warmly reads",
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(!w.join("out").exists());
    assert!(peak_child_mib() < MEMORY_MIB, "{} MiB", peak_child_mib());
}

/// `<text:s text:c="…"/>` is a run of spaces in a few bytes: a cell
/// of four billion is refused before it is made, not typed out.
#[test]
fn an_ods_cell_of_endless_spaces_is_refused() {
    let w = Workdir::new();
    let rows = format!(
        r#"<table:table-row>{}</table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="4000000000"/>b</text:p></table:table-cell></table:table-row>"#,
        s("id")
    );
    let path = w.write("people.ods", ods(&rows));
    let start = Instant::now();
    let err = warmly::load::read_table(&path, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("sheet \"Kunden\" holds more than 1024 MiB of text (up to cell A2)"),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}
