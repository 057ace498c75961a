//! Issue 10, "Scripts": names, addresses and messages in Arabic, Hebrew,
//! Chinese, Japanese, Korean, Greek, Cyrillic, Turkish and Vietnamese in the
//! built-in card and letter (tests/data/scripts: one person per script).
//! Everything is read back from the PDFs: their text (pdftotext), pages,
//! fonts (pdffonts) and word positions (pdftotext -bbox).
//!
//! Chinese, Japanese and Korean need a CJK font on the machine
//! (`--system-fonts`); the tests that use one fail, naming the Debian
//! package, when none is installed (`.ci/run` installs fonts-noto-cjk).

mod util;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use util::*;

/// Each person of tests/data/scripts/people.csv with the parts of the name
/// the PDFs must show (first names, last names).
const PEOPLE: &[(&str, &[&str])] = &[
    ("S-AR", &["محمد", "الحربي"]),
    ("S-HE", &["שרה", "כהן"]),
    ("S-ZH", &["明", "陈"]),
    ("S-JA", &["太郎", "山田"]),
    ("S-KO", &["민준", "김"]),
    ("S-EL", &["Ελένη", "Παπαδοπούλου"]),
    ("S-RU", &["Наталья", "Иванова"]),
    ("S-TR", &["Şükrü", "İsmail", "Ağaoğlu"]),
    ("S-VI", &["Thị", "Ngọc", "Hữu", "Nguyễn"]),
];

/// The people whose names need a CJK font.
const CJK: &[&str] = &["S-ZH", "S-JA", "S-KO"];

/// A workdir with the scripts data set in `scripts/`.
fn workdir() -> Workdir {
    let w = Workdir::new();
    let src = repo().join("tests/data/scripts");
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        w.write(
            &format!("scripts/{}", rel.display()),
            std::fs::read(&entry).unwrap(),
        );
    }
    w
}

/// Renders the campaign with a built-in template into `out`.
fn render(w: &Workdir, template: &str, out: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "render",
        "scripts/scripts.toml",
        "--template",
        template,
        "--out",
        out,
        "--state",
        "state",
        "--force",
        "-q",
    ];
    args.extend_from_slice(extra);
    w.run(&args)
}

/// The manifest rows of a run by id.
fn manifest(w: &Workdir, out: &str) -> HashMap<String, HashMap<String, String>> {
    read_manifest(&w.join(&format!("{out}/manifest.csv")))
        .into_iter()
        .map(|row| (row["id"].clone(), row))
        .collect()
}

/// The PDF of a written piece, from its manifest row.
fn pdf_of(w: &Workdir, out: &str, row: &HashMap<String, String>) -> PathBuf {
    assert_eq!(row["status"], "written", "{row:?}");
    w.join(&format!("{out}/{}", row["file"]))
}

/// Fails clearly when the machine has no CJK font for `--system-fonts`.
fn require_cjk_font() {
    fn has_cjk(dir: &Path) -> bool {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let path = e.path();
                if path.is_dir() {
                    has_cjk(&path)
                } else {
                    path.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains("CJK"))
                }
            })
    }
    assert!(
        has_cjk(Path::new("/usr/share/fonts")),
        "this test needs a Chinese/Japanese/Korean font installed on the machine: \
         apt-get install fonts-noto-cjk (.ci/run does)"
    );
}

/// Every name part of `id` is in the text of `pdf`.
#[track_caller]
fn names_in(pdf: &Path, id: &str) {
    let (_, names) = PEOPLE.iter().find(|(i, _)| *i == id).unwrap();
    assert_contains_all(&text(pdf), names);
}

#[test]
fn every_script_but_cjk_prints_with_the_bundled_fonts_and_cjk_fails_naming_the_option() {
    let w = workdir();
    for (template, pages_each) in [("letter", 1), ("card", 2)] {
        let out = format!("out-{template}");
        let run = render(&w, template, &out, &[]);
        // some recipients failed, the others were produced
        run.expect_code(1);
        for id in CJK {
            run.expect_stderr(&format!("failed: {id} (scripts/people.csv line"));
        }
        run.expect_stderr("(Chinese/Japanese/Korean (Han))");
        run.expect_stderr("(Korean (Hangul))");
        run.expect_stderr(
            "use the fonts installed on this machine with --system-fonts or \
             `[fonts] system = true` in the campaign (Debian/Ubuntu: apt-get install fonts-noto-cjk)",
        );
        let rows = manifest(&w, &out);
        for (id, _) in PEOPLE {
            let row = &rows[*id];
            if CJK.contains(id) {
                assert_eq!(row["status"], "failed", "{row:?}");
                assert!(row["error"].contains("--system-fonts"), "{row:?}");
                assert!(!w.join(&format!("{out}/{}", row["file"])).exists());
                continue;
            }
            let pdf = pdf_of(&w, &out, row);
            assert_eq!(pages(&pdf), pages_each, "{}", pdf.display());
            names_in(&pdf, id);
            // nothing fell back to a font outside the binary, all embedded
            let fonts = fonts(&pdf);
            assert!(fonts.iter().all(|(_, embedded)| *embedded), "{fonts:?}");
        }
        // the Arabic and Hebrew come from the bundled Noto faces
        let names = |id: &str| -> Vec<String> {
            fonts(&pdf_of(&w, &out, &rows[id]))
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        let has = |id: &str, face: &str| names(id).iter().any(|n| n.contains(face));
        assert!(has("S-AR", "NotoNaskhArabic"), "{:?}", names("S-AR"));
        assert!(has("S-HE", "NotoSerifHebrew"), "{:?}", names("S-HE"));
        if template == "letter" {
            // the address is in the sans
            assert!(has("S-AR", "NotoSansArabic"), "{:?}", names("S-AR"));
            assert!(has("S-HE", "NotoSansHebrew"), "{:?}", names("S-HE"));
            let text = text(&pdf_of(&w, &out, &rows["S-HE"]));
            assert_contains_all(&text, &["ISRAEL", "6100000", "תל אביב", "רחוב הרצל"]);
        } else {
            // a card message with letters the handwriting face lacks is set
            // in the serif italic as a whole, not two faces within a word
            for id in ["S-TR", "S-VI", "S-EL", "S-RU"] {
                let names = names(id);
                assert!(
                    names.iter().any(|n| n.contains("EBGaramond12-Italic")),
                    "{id}: {names:?}"
                );
                assert!(
                    !names
                        .iter()
                        .any(|n| n.ends_with("+DancingScript-Identity-H")),
                    "{id}: the message must not mix in the handwriting face: {names:?}"
                );
            }
        }
    }
}

#[test]
fn with_system_fonts_cjk_prints_and_the_rest_is_byte_identical() {
    require_cjk_font();
    let w = workdir();
    for (template, pages_each) in [("letter", 1), ("card", 2)] {
        let plain = format!("plain-{template}");
        render(&w, template, &plain, &[]).expect_code(1);
        let out = format!("out-{template}");
        render(&w, template, &out, &["--system-fonts"]).expect_code(0);
        let (plain, rows) = (manifest(&w, &plain), manifest(&w, &out));
        for (id, _) in PEOPLE {
            let pdf = pdf_of(&w, &out, &rows[*id]);
            assert_eq!(pages(&pdf), pages_each, "{}", pdf.display());
            names_in(&pdf, id);
            let fonts = fonts(&pdf);
            assert!(fonts.iter().all(|(_, embedded)| *embedded), "{fonts:?}");
            if CJK.contains(id) {
                assert!(
                    fonts.iter().any(|(n, _)| n.contains("CJK")),
                    "{id}: {fonts:?}"
                );
            } else {
                // the machine's fonts come after the bundled ones: what the
                // bundled fonts can set does not change
                assert_eq!(rows[*id]["sha256"], plain[*id]["sha256"], "{id}");
            }
        }
        let zh = text(&pdf_of(&w, &out, &rows["S-ZH"]));
        if template == "letter" {
            assert_contains_all(&zh, &["建国路 88 号", "100022 北京", "CHINA"]);
        }
        assert_contains_all(&zh, &["书架"]);
    }
    // the same from the campaign file
    let toml = std::fs::read_to_string(w.join("scripts/scripts.toml")).unwrap();
    w.write(
        "scripts/system.toml",
        format!("{toml}\n[fonts]\nsystem = true\n"),
    );
    w.run(&[
        "render",
        "scripts/system.toml",
        "--out",
        "from-campaign",
        "--state",
        "state",
        "--force",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(w.pdfs("from-campaign").len(), PEOPLE.len());
}

#[test]
fn the_fonts_section_is_checked() {
    let w = workdir();
    let toml = std::fs::read_to_string(w.join("scripts/scripts.toml")).unwrap();
    w.write(
        "scripts/typo.toml",
        format!("{toml}\n[fonts]\nsytem = true\n"),
    );
    w.run(&["check", "scripts/typo.toml"])
        .expect_code(2)
        .expect_stderr("unknown field `sytem`, expected `system`");
    w.write(
        "scripts/text.toml",
        format!("{toml}\n[fonts]\nsystem = \"yes\"\n"),
    );
    w.run(&["check", "scripts/text.toml"])
        .expect_code(2)
        .expect_stderr("invalid type: string \"yes\", expected a boolean");
}

/// The words of page `page` in a rectangle (mm), grouped into lines from
/// top to bottom, each sorted left to right.
fn lines_in(pdf: &Path, page: usize, [x0, y0, x1, y1]: [f64; 4]) -> Vec<Vec<Word>> {
    let mut words: Vec<Word> = words(pdf, page)
        .into_iter()
        .filter(|w| w.x0 >= x0 && w.x1 <= x1 && w.y0 >= y0 && w.y1 <= y1)
        // poppler reports some Arabic marks as empty words of their own
        .filter(|w| w.x1 - w.x0 > 0.05)
        .collect();
    // a box spans its font's ascent to descent, which differ between
    // Inter and Noto Sans Arabic: lines are told apart by the box centres
    let centre = |w: &Word| (w.y0 + w.y1) / 2.0;
    words.sort_by(|a, b| centre(a).total_cmp(&centre(b)));
    let mut lines: Vec<Vec<Word>> = Vec::new();
    for word in words {
        match lines.last_mut() {
            Some(line) if (centre(&line[0]) - centre(&word)).abs() < 1.5 => line.push(word),
            _ => lines.push(vec![word]),
        }
    }
    for line in &mut lines {
        line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
    lines
}

/// The left and right ends of a line (poppler may add empty words for marks).
fn left_of(line: &[Word]) -> f64 {
    line.iter().map(|w| w.x0).fold(f64::MAX, f64::min)
}

fn right_of(line: &[Word]) -> f64 {
    line.iter().map(|w| w.x1).fold(f64::MIN, f64::max)
}

fn is_rtl_word(w: &Word) -> bool {
    w.text.chars().any(|c| matches!(c as u32, 0x0590..=0x06FF)) // Hebrew, Arabic
}

#[test]
fn right_to_left_lines_run_right_to_left_and_the_address_is_right_aligned() {
    let w = workdir();
    // only the two right-to-left people
    let people = std::fs::read_to_string(w.join("scripts/people.csv")).unwrap();
    let rtl: Vec<&str> = people
        .lines()
        .filter(|l| l.starts_with("id,") || l.starts_with("S-AR") || l.starts_with("S-HE"))
        .collect();
    w.write("scripts/rtl.csv", rtl.join("\n") + "\n");
    for template in ["letter", "card"] {
        let out = format!("out-{template}");
        render(&w, template, &out, &["--people", "scripts/rtl.csv"]).expect_code(0);
    }
    let rows = manifest(&w, "out-letter");
    for (id, number) in [("S-AR", "12"), ("S-HE", "25")] {
        let pdf = pdf_of(&w, "out-letter", &rows[id]);
        // DIN 5008 form B: the address zone, 25 mm from the left
        let address = lines_in(&pdf, 1, [20.0, 62.0, 105.0, 92.0]);
        assert_eq!(address.len(), 4, "{id}: {address:?}");
        let line = |i: usize| -> Vec<&str> { address[i].iter().map(|w| w.text.as_str()).collect() };
        // "Mr/Ms <name>": the line starts with a Latin letter, left to right
        assert!(
            ["Mr", "Ms"].contains(&address[0][0].text.as_str()),
            "{id}: {:?}",
            line(0)
        );
        // "<street> 12": right to left, so the number that ends the line
        // stands at its left end
        assert_eq!(address[1][0].text, number, "{id}: {:?}", line(1));
        assert!(
            address[1][1..].iter().all(is_rtl_word),
            "{id}: {:?}",
            line(1)
        );
        // "<postcode> <city>": the postcode that starts the line is at the right
        assert!(
            address[2]
                .last()
                .unwrap()
                .text
                .chars()
                .all(|c| c.is_ascii_digit()),
            "{id}: {:?}",
            line(2)
        );
        // right-aligned against each other, the block where DIN puts it
        let right: Vec<f64> = address.iter().map(|l| right_of(l)).collect();
        let left = address.iter().map(|l| left_of(l)).fold(f64::MAX, f64::min);
        assert!(
            right.iter().all(|r| (r - right[0]).abs() < 0.6),
            "{id}: right edges {right:?}"
        );
        assert!((left - 25.0).abs() < 1.0, "{id}: left edge {left}");
        assert!(
            ["ISRAEL", "SAUDI"].contains(&address[3][0].text.as_str()),
            "{id}: {:?}",
            line(3)
        );
        // the message runs right to left, right-aligned at the text edge
        // (190 mm), while the layout stays: the information block at 125 mm
        let body = lines_in(&pdf, 1, [20.0, 100.0, 195.0, 250.0]);
        // its last line (a line above it may be justified to full width)
        let message = body
            .iter()
            .rev()
            .find(|l| l.iter().filter(|w| is_rtl_word(w)).count() > 2)
            .unwrap_or_else(|| panic!("{id}: no right-to-left message in {body:?}"));
        let (start, end) = (left_of(message), right_of(message));
        assert!((end - 190.0).abs() < 1.0, "{id}: message ends at {end}");
        assert!(start > 30.0, "{id}: message starts at {start}");
        let info = lines_in(&pdf, 1, [120.0, 45.0, 200.0, 60.0]);
        assert!(
            info[0][0].text.starts_with("Customer"),
            "{id}: the information block turned: {info:?}"
        );
    }
    // the card's message: right-aligned lines, the layout unchanged
    let rows = manifest(&w, "out-card");
    for id in ["S-AR", "S-HE"] {
        let pdf = pdf_of(&w, "out-card", &rows[id]);
        // inside right panel (trim 105–210 mm, +3 mm bleed in the PDF)
        let lines = lines_in(&pdf, 2, [108.0, 0.0, 216.0, 154.0]);
        let message: Vec<&Vec<Word>> = lines.iter().filter(|l| l.iter().any(is_rtl_word)).collect();
        assert!(message.len() >= 2, "{id}: {lines:?}");
        let right: Vec<f64> = message.iter().map(|l| right_of(l)).collect();
        assert!(
            right.iter().all(|r| (r - right[0]).abs() < 1.0),
            "{id}: right edges {right:?}"
        );
        let left: Vec<f64> = message.iter().map(|l| left_of(l)).collect();
        assert!(
            left.iter().any(|l| (l - left[0]).abs() > 2.0),
            "{id}: ragged left edge expected: {left:?}"
        );
    }
}
