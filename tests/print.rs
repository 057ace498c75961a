//! Issue 5: what the print shop and the post office get. Every geometry is
//! measured from the produced PDFs (pdftotext -bbox, pdfinfo -box, pixels
//! from pdftoppm) against the physical envelope and sheet sizes, which are
//! written out here from notes/print-postal.md — not read from the
//! templates.

mod util;

use std::collections::HashMap;
use std::path::Path;

use util::*;

const MM: f64 = 72.0 / 25.4;

/// An envelope window in letter-page coordinates (mm): x0, y0, x1, y1.
type Rect = [f64; 4];

/// The window over the folded letter, with the packet centred in the
/// envelope (the nominal position):
/// - DL 220 × 110, window 20 mm from the left, 50–95 mm from the top; the
///   210 × 105 packet sits 5 mm in and 2.5 mm down.
/// - form A: the packet's bottom edge is the fold at 87 mm, so its top is at
///   letter y −18, 2.5 mm below the envelope top.
/// - US #10 241.3 × 104.775, window 22.225 mm from the left, 12.7 mm from the
///   bottom, 114.3 × 28.575; the tri-folded letter (215.9 × 93.13) centred.
fn window(format: &str) -> Rect {
    match format {
        "din-b" => [20.0 - 5.0, 50.0 - 2.5, 110.0 - 5.0, 95.0 - 2.5],
        "din-a" => [15.0, 50.0 - 2.5 - 18.0, 105.0, 95.0 - 2.5 - 18.0],
        "us-letter" => {
            let (dx, dy) = ((241.3 - 215.9) / 2.0, (104.775 - 279.4 / 3.0) / 2.0);
            let top = 104.775 - 12.7 - 28.575;
            [
                22.225 - dx,
                top - dy,
                22.225 + 114.3 - dx,
                top + 28.575 - dy,
            ]
        }
        other => panic!("no window for {other}"),
    }
}

/// Recipient address lines per output file, from `--export-inputs`.
fn address_lines(w: &Workdir, dir: &str) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir(w.join(dir)).unwrap() {
        let path = entry.unwrap().path();
        let data: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path.join("data.json")).unwrap()).unwrap();
        let lines = data["recipient"]["address"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        out.insert(
            format!("{}.pdf", path.file_name().unwrap().to_string_lossy()),
            lines,
        );
    }
    out
}

/// The box around all address lines on page 1, among words left of `max_x`.
fn address_box(pdf: &Path, lines: &[String], max_x: f64) -> Rect {
    let words = words(pdf, 1);
    let mut rect = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for line in lines {
        let found = find_phrase(&words, line, |w| w.x0 < max_x).unwrap_or_else(|| {
            panic!(
                "{}: address line {line:?} not found among {:?}",
                pdf.display(),
                words.iter().map(|w| &w.text).collect::<Vec<_>>()
            )
        });
        rect = [
            rect[0].min(found.x0),
            rect[1].min(found.y0),
            rect[2].max(found.x1),
            rect[3].max(found.y1),
        ];
    }
    rect
}

fn samples(w: &Workdir) {
    for f in ["customers.csv", "history.csv"] {
        w.write(
            &format!("samples/{f}"),
            std::fs::read(repo().join("samples").join(f)).unwrap(),
        );
    }
}

#[test]
fn window_letters_keep_every_address_3mm_inside_the_window() {
    let w = Workdir::new();
    samples(&w);
    let base = [
        "render",
        "--template",
        "letter",
        "--people",
        "samples/customers.csv",
        "--history",
        "samples/history.csv",
        "--date",
        "2026-12-01",
        "-q",
    ];
    w.run(&[&base[..], &["--export-inputs", "inputs"]].concat())
        .expect_code(0);
    let lines = address_lines(&w, "inputs");
    assert_eq!(lines.len(), 28);
    for format in ["din-b", "din-a", "us-letter"] {
        let out = format!("out-{format}");
        w.run(&[&base[..], &["--format", format, "--out", &out]].concat())
            .expect_code(0);
        let manifest = read_manifest(&w.join(&out).join("manifest.csv"));
        let win = window(format);
        for row in &manifest {
            let pdf = w.join(&out).join(&row["file"]);
            let (width, height) = page_size(&pdf);
            let expected = if format == "us-letter" {
                (612.0, 792.0)
            } else {
                (595.28, 841.89)
            };
            assert!(
                (width - expected.0).abs() < 0.1 && (height - expected.1).abs() < 0.1,
                "{format}: {width} × {height}"
            );
            let a = address_box(&pdf, &lines[&row["file"]], 120.0);
            let clearance = [a[0] - win[0], a[1] - win[1], win[2] - a[2], win[3] - a[3]];
            let min = clearance.iter().cloned().fold(f64::MAX, f64::min);
            assert!(
                min >= 3.0,
                "{format} {}: address {a:?} has only {min:.2} mm to the window {win:?}",
                row["id"]
            );
            // The preflight measured it too (glyph outlines: at least as far).
            let measured: f64 = row["clearance_mm"].parse().unwrap();
            assert!(
                measured >= 3.0 && measured + 0.05 >= min,
                "{format} {}: manifest says {measured}, pdftotext {min:.2}",
                row["id"]
            );
            assert_ne!(row["preflight"], "fail");
        }
        // The longest address had to shrink: the preflight says so.
        let k1004 = manifest.iter().find(|r| r["id"] == "K-1004").unwrap();
        assert_eq!(k1004["preflight"], "warn", "{k1004:?}");
        assert!(k1004["warnings"].contains("below 8 pt"), "{k1004:?}");
    }
}

/// A letter template whose declared window is somewhere else than where
/// the address is printed: the preflight must notice from the layout.
fn misplaced_window(w: &Workdir, policy: &str) -> String {
    for entry in std::fs::read_dir(repo().join("templates/letter")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut bytes = std::fs::read(&path).unwrap();
        if name == "template.toml" {
            let text = String::from_utf8(bytes).unwrap();
            let start = text.find("[format.din-b]").expect("din-b format");
            let end = start + text[start..].find("\nwindow = ").unwrap() + 1;
            let line_end = end + text[end..].find('\n').unwrap();
            bytes = format!(
                "{}window = {{ x = 15, y = 75, w = 90, h = 45 }}{}",
                &text[..end],
                &text[line_end..]
            )
            .into_bytes();
        }
        w.write(&format!("tpl/{name}"), bytes);
    }
    w.write(
        "people.csv",
        "id,salutation,first_name,last_name,street,postal_code,city,country\nA,Frau,Anna,Weber,Ring 1,01069,Dresden,DE\n",
    );
    w.write("msg/message.de.j2", "Ein Gruß.");
    w.write(
        "c.toml",
        format!("template = \"tpl\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"people.csv\"\n[policy]\n{policy}\n"),
    );
    "c.toml".into()
}

#[test]
fn an_address_outside_the_window_fails_unless_the_policy_says_warn() {
    let w = Workdir::new();
    let c = misplaced_window(&w, "");
    let run = w.run(&["render", &c, "--out", "out", "-q"]);
    run.expect_code(1);
    run.expect_stderr("failed: A (people.csv line 2): preflight: the address reaches");
    run.expect_stderr("beyond the window's top edge (needs 3 mm inside the window)");
    let row = &read_manifest(&w.join("out/manifest.csv"))[0];
    assert_eq!(row["status"], "failed");
    assert_eq!(row["preflight"], "fail");
    assert!(!w.join("out/A-Weber.pdf").exists());

    let w = Workdir::new();
    let c = misplaced_window(&w, "window = \"warn\"");
    let run = w.run(&["render", &c, "--out", "out"]);
    run.expect_code(0);
    run.expect_stderr("warning: A: the address reaches");
    let row = &read_manifest(&w.join("out/manifest.csv"))[0];
    assert_eq!(
        (row["status"].as_str(), row["preflight"].as_str()),
        ("written", "warn")
    );
    assert!(row["clearance_mm"].parse::<f64>().unwrap() < 0.0, "{row:?}");
}

#[test]
fn overflowing_text_is_a_warning_or_an_error_by_policy() {
    let w = Workdir::new();
    w.write(
        "people.csv",
        "id,salutation,first_name,last_name,street,postal_code,city,country\nA,Frau,Anna,Weber,Ring 1,01069,Dresden,DE\n",
    );
    // far more than one page of text
    w.write("msg/message.de.j2", "Ein langer Gruß. ".repeat(400));
    let toml = |policy: &str| {
        format!("template = \"letter\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"people.csv\"\n[policy]\n{policy}\n")
    };
    w.write("warn.toml", toml(""));
    let run = w.run(&["render", "warn.toml", "--out", "a", "--state", "s1"]);
    run.expect_code(0);
    run.expect_stderr("warning: A: 2 pages, the template expects 1");
    let letter = w.join("a/A-Weber.pdf");
    assert_eq!(pages(&letter), 2);
    // Page 1 has the address and counts the pages; page 2 has the
    // continuation head (who, page of total) and no address.
    let (one, two) = (page_text(&letter, 1), page_text(&letter, 2));
    assert_contains_all(&one, &["Ring 1", "01069 Dresden", "Seite", "1 von 2"]);
    assert_contains_all(&two, &["Anna Weber", "Seite 2 von 2"]);
    assert!(
        !two.contains("Ring 1"),
        "page 2 repeats the address:\n{two}"
    );

    w.write("error.toml", toml("overflow = \"error\""));
    let run = w.run(&["render", "error.toml", "--out", "b", "--state", "s2"]);
    run.expect_code(1);
    run.expect_stderr("failed: A (people.csv line 2): preflight: 2 pages, the template expects 1");
    assert!(!w.join("b/A-Weber.pdf").exists());

    // A card's message that does not fit even at the smallest size
    w.write("card/message.de.j2", "Ein langer Gruß. ".repeat(120));
    let card = |policy: &str| {
        format!("template = \"card\"\ndate = \"2026-12-01\"\nmessages = \"card\"\n[data]\npeople = \"people.csv\"\n[policy]\n{policy}\n")
    };
    w.write("card-warn.toml", card(""));
    let run = w.run(&["render", "card-warn.toml", "--out", "d", "--state", "s3"]);
    run.expect_code(0);
    run.expect_stderr("warning: A: message does not fit inside the card");
    run.expect_stderr("preflight: 0 ok · 1 with warnings · 0 failed");
    assert_eq!(
        read_manifest(&w.join("d/manifest.csv"))[0]["preflight"],
        "warn"
    );
    w.write("card-error.toml", card("overflow = \"error\""));
    w.run(&["render", "card-error.toml", "--out", "e", "--state", "s4"])
        .expect_code(1)
        .expect_stderr(
            "failed: A (people.csv line 2): preflight: message does not fit inside the card",
        );

    w.write("bad.toml", toml("overflow = \"maybe\""));
    w.run(&["render", "bad.toml", "--out", "c"])
        .expect_code(2)
        .expect_stderr("policy.overflow = \"maybe\": use \"warn\" or \"error\"");
}

#[test]
fn a_script_no_font_covers_fails_that_recipient_not_the_run() {
    let w = Workdir::new();
    w.write(
        "people.csv",
        "id,salutation,first_name,last_name,street,postal_code,city,country\nA,Frau,Anna,Weber,Ring 1,01069,Dresden,DE\nC,Herr,小明,王,Weg 3,04109,Leipzig,DE\n",
    );
    w.write("msg/message.de.j2", "Ein Gruß.");
    w.write(
        "c.toml",
        "template = \"card\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"people.csv\"\n",
    );
    let run = w.run(&["render", "c.toml", "--out", "out", "-q"]);
    run.expect_code(1);
    run.expect_stderr("failed: C (people.csv line 3): preflight: no font can show \"王\" (U+738B)");
    assert!(w.join("out/A-Weber.pdf").exists());
    assert!(!w.join("out/C-王.pdf").exists());
    // every font of what was written is embedded
    let fonts = fonts(&w.join("out/A-Weber.pdf"));
    assert!(!fonts.is_empty());
    assert!(fonts.iter().all(|(_, embedded)| *embedded), "{fonts:?}");
}

/// Dark pixels (< 128) in a rectangle of a grey page, given in mm.
fn dark(page: &(usize, usize, Vec<u8>), dpi: u32, [x0, y0, x1, y1]: Rect) -> usize {
    let (w, h, px) = page;
    let to = |mm: f64| (mm / 25.4 * dpi as f64).round() as usize;
    let mut n = 0;
    for y in to(y0)..to(y1).min(*h) {
        for x in to(x0)..to(x1).min(*w) {
            if px[y * w + x] < 128 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn cards_have_trim_and_bleed_boxes_and_crop_marks_on_request() {
    let w = Workdir::new();
    samples(&w);
    w.write(
        "samples/christmas-2026.toml",
        std::fs::read(repo().join("samples/christmas-2026.toml")).unwrap(),
    );
    for entry in std::fs::read_dir(repo().join("samples/christmas-2026")).unwrap() {
        let path = entry.unwrap().path();
        w.write(
            &format!(
                "samples/christmas-2026/{}",
                path.file_name().unwrap().to_string_lossy()
            ),
            std::fs::read(&path).unwrap(),
        );
    }
    let c = "samples/christmas-2026.toml";
    w.run(&["render", c, "--out", "plain", "--state", "s1", "-q"])
        .expect_code(0);
    w.run(&[
        "render",
        c,
        "--out",
        "marks",
        "--state",
        "s2",
        "--crop-marks",
        "-q",
    ])
    .expect_code(0);
    let (trim_w, trim_h) = (210.0 * MM, 148.0 * MM);
    for (dir, outside) in [("plain", 3.0), ("marks", 12.0)] {
        let pdf = w.join(dir).join("K-1001-von-Hausen.pdf");
        let media = page_box(&pdf, "MediaBox");
        let trim = page_box(&pdf, "TrimBox");
        let bleed = page_box(&pdf, "BleedBox");
        let o = outside * MM;
        assert!(
            (media[2] - media[0] - trim_w - 2.0 * o).abs() < 0.1,
            "{dir}: {media:?}"
        );
        assert!(
            (media[3] - media[1] - trim_h - 2.0 * o).abs() < 0.1,
            "{dir}: {media:?}"
        );
        assert!(
            (trim[2] - trim[0] - trim_w).abs() < 0.1,
            "{dir}: trim {trim:?}"
        );
        assert!((trim[0] - media[0] - o).abs() < 0.1, "{dir}: trim {trim:?}");
        // BleedBox = trim + 3 mm, inside the MediaBox
        for (i, sign) in [(0, -1.0), (1, -1.0), (2, 1.0), (3, 1.0)] {
            assert!(
                (bleed[i] - (trim[i] + sign * 3.0 * MM)).abs() < 0.1,
                "{dir}: bleed {bleed:?} trim {trim:?}"
            );
        }
    }
    // Crop marks: ink in the slug beyond the bleed at each corner with
    // marks, none without (the page there is the bleed's edge or paper).
    let dpi = 100;
    let marks = grey_page(&w.join("marks/K-1001-von-Hausen.pdf"), dpi);
    let (mw, mh) = (210.0 + 24.0, 148.0 + 24.0);
    // slug strips left of the top-left corner's vertical trim line etc.
    let corners: [Rect; 4] = [
        [11.0, 0.0, 13.0, 8.5],               // top-left, vertical mark above
        [mw - 13.0, 0.0, mw - 11.0, 8.5],     // top-right
        [0.0, mh - 13.0, 8.5, mh - 11.0],     // bottom-left, horizontal mark
        [mw - 8.5, mh - 13.0, mw, mh - 11.0], // bottom-right
    ];
    for corner in corners {
        assert!(dark(&marks, dpi, corner) > 3, "no crop mark in {corner:?}");
    }
    // nothing printed in the slug between the marks
    assert_eq!(dark(&marks, dpi, [40.0, 0.0, 100.0, 8.5]), 0);
    let plain = grey_page(&w.join("plain/K-1001-von-Hausen.pdf"), dpi);
    let expected = (216.0 / 25.4) * dpi as f64;
    assert!((plain.0 as f64 - expected).abs() <= 1.0, "{} px", plain.0);
}

fn campaign_in(w: &Workdir, template: &str, print: &str) -> String {
    samples(w);
    w.write(
        "c.toml",
        format!(
            "name = \"t\"\ntemplate = \"{template}\"\ndate = \"2026-12-01\"\n[data]\npeople = \"samples/customers.csv\"\n[sender]\ncompany = \"Holzwerk Lindner GmbH\"\nstreet = \"Am Elbufer 12\"\npostal_code = \"01069\"\ncity = \"Dresden\"\ncountry = \"DE\"\n[print]\n{print}\n"
        ),
    );
    "c.toml".into()
}

#[test]
fn envelopes_have_their_size_and_the_address_in_the_reading_zone() {
    // (format, width, height in mm)
    for (format, ew, eh) in [
        ("dl", 220.0, 110.0),
        ("c6/5", 229.0, 114.0),
        ("c5", 229.0, 162.0),
        ("us10", 241.3, 104.775),
    ] {
        let w = Workdir::new();
        let c = campaign_in(&w, "envelope", &format!("format = \"{format}\""));
        let run = w.run(&["render", &c, "--out", "out", "-q"]);
        run.expect_code(0);
        let pdf = w.join("out/K-1001-von-Hausen.pdf");
        let (pw, ph) = page_size(&pdf);
        assert!(
            (pw - ew * MM).abs() < 0.2 && (ph - eh * MM).abs() < 0.2,
            "{format}: {pw} × {ph}"
        );
        assert_eq!(pages(&pdf), 1);
        let words = words(&pdf, 1);
        let address = [
            "Herrn Dr. Konstantin von Hausen",
            "Bautzner Landstraße 112",
            "01324 Dresden",
        ];
        for line in address {
            let r = find_phrase(&words, line, |_| true)
                .unwrap_or_else(|| panic!("{format}: {line:?} missing"));
            // right half, lower part, clear of the edges and the stamp zone
            assert!(
                r.x0 > ew * 0.3 && r.x1 < ew - 15.0,
                "{format}: {line} at {r:?}"
            );
            assert!(r.y0 > 40.0 && r.y1 < eh - 15.0, "{format}: {line} at {r:?}");
        }
        // the return address top left, small
        let sender = find_phrase(&words, "Am Elbufer 12", |_| true).unwrap();
        assert!(
            sender.x1 < ew / 2.0 && sender.y1 < 40.0,
            "{format}: {sender:?}"
        );
        // nothing in the stamp corner (top right 74 × 40 mm)
        assert!(
            !words.iter().any(|w| w.x1 > ew - 74.0 && w.y0 < 40.0),
            "{format}: text in the stamp zone"
        );
        assert!(fonts(&pdf).iter().all(|(_, e)| *e));
        let manifest = read_manifest(&w.join("out/manifest.csv"));
        assert_eq!(manifest.len(), 28);
        // envelopes carry no message, so "generic" does not apply
        assert!(manifest.iter().all(|r| !r["warnings"].contains("generic")));
    }
}

/// The return address is warmly's, one rule for every template
/// (`compose/sender.rs`): a US sender's town line as the US post writes
/// it, and the sender's country only on mail abroad, in the language of
/// the piece's country lines (English from the US, whatever the piece's
/// language) — on the envelope and in the US letter's return block alike.
#[test]
fn return_addresses_follow_the_senders_post_and_name_the_country_only_abroad() {
    for (template, format) in [("envelope", "dl"), ("letter", "us-letter")] {
        let w = Workdir::new();
        samples(&w);
        w.write(
            "c.toml",
            format!(
                "name = \"t\"\ntemplate = \"{template}\"\ndate = \"2026-12-01\"\n[data]\npeople = \"samples/customers.csv\"\n[sender]\ncompany = \"Maple & Oak LLC\"\nname = \"Ruth Baker\"\nstreet = \"12 Brattle Street\"\npostal_code = \"02138\"\ncity = \"Cambridge\"\nregion = \"ma\"\ncountry = \"USA\"\n[print]\nformat = \"{format}\"\n"
            ),
        );
        w.run(&["render", "c.toml", "--out", "out", "-q"])
            .expect_code(0);
        let page = |id: &str| page_text(&w.pdf_of("out", id), 1);
        // to London (English) and to Vienna (German): abroad
        for id in ["K-1006", "K-1011"] {
            let text = page(id);
            assert_contains_all(
                &text,
                &[
                    "12 Brattle Street",
                    "Cambridge, MA 02138",
                    "UNITED STATES OF AMERICA",
                ],
            );
        }
        // to Cambridge, MA: domestic, no country line for either address
        let home = page("K-1008");
        assert_contains_all(&home, &["12 Brattle Street", "Cambridge, MA 02138"]);
        assert!(!home.contains("UNITED STATES"), "{template}: {home}");
    }
}

/// (x, y) or (width, height) in mm.
type Pair = (f64, f64);

/// Label geometry from the manufacturers' specifications (mm): paper, label
/// w × h, columns × rows, left, top, pitch x, pitch y.
fn sheet(format: &str) -> (Pair, Pair, (usize, usize), Pair, Pair) {
    let inch = 25.4;
    match format {
        "3475" | "3490" => (
            (210.0, 297.0),
            (70.0, 36.0),
            (3, 8),
            (0.0, 4.5),
            (70.0, 36.0),
        ),
        "l7163" => (
            (210.0, 297.0),
            (99.1, 38.1),
            (2, 7),
            (4.65, 15.15),
            (101.6, 38.1),
        ),
        "5160" => (
            (8.5 * inch, 11.0 * inch),
            (2.625 * inch, inch),
            (3, 10),
            (0.1875 * inch, 0.5 * inch),
            (2.75 * inch, inch),
        ),
        other => panic!("{other}"),
    }
}

/// The label (0-based position on its page) whose rectangle holds `r`.
fn label_at(format: &str, r: &Word) -> Option<usize> {
    let (_, (lw, lh), (cols, rows), (left, top), (px, py)) = sheet(format);
    (0..cols * rows).find(|i| {
        let (x, y) = (left + (i % cols) as f64 * px, top + (i / cols) as f64 * py);
        r.x0 >= x && r.x1 <= x + lw && r.y0 >= y && r.y1 <= y + lh
    })
}

#[test]
fn label_sheets_put_every_address_on_its_own_label() {
    for format in ["3475", "3490", "l7163", "5160"] {
        let w = Workdir::new();
        let c = campaign_in(&w, "labels", &format!("format = \"{format}\""));
        w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
        let pdf = w.join("out/labels.pdf");
        let ((paper_w, paper_h), _, (cols, rows), _, _) = sheet(format);
        let per_page = cols * rows;
        assert_eq!(pages(&pdf), 28_usize.div_ceil(per_page), "{format}");
        let (pw, ph) = page_size(&pdf);
        assert!((pw - paper_w * MM).abs() < 0.2 && (ph - paper_h * MM).abs() < 0.2);
        // print order is postal code: the first label is 01067 Dresden
        let words = words(&pdf, 1);
        let first = find_phrase(&words, "Wilsdruffer Straße 24", |_| true).unwrap();
        assert_eq!(label_at(format, &first), Some(0), "{format}: {first:?}");
        // every postal-code line of page 1 lies inside one label, no two share one
        let mut used = std::collections::BTreeSet::new();
        // (the small return line above each address has the sender's code)
        let codes = words.iter().filter(|w| {
            w.text.len() == 5 && w.text.chars().all(|c| c.is_ascii_digit()) && w.y1 - w.y0 > 3.0
        });
        for word in codes {
            let label = label_at(format, word)
                .unwrap_or_else(|| panic!("{format}: {word:?} is not inside a label"));
            assert!(
                used.insert(label),
                "{format}: two addresses on label {label}"
            );
        }
        assert!(used.len() >= per_page.min(20) - 4, "{format}: {used:?}");
        let manifest = read_manifest(&w.join("out/manifest.csv"));
        assert_eq!(manifest.len(), 28);
        assert!(manifest
            .iter()
            .all(|r| r["file"] == "labels.pdf" && r["status"] == "written"));
        // labels are not sent: no ledger
        assert!(!w.join("state/ledger.csv").exists());
    }
}

#[test]
fn labels_skip_used_positions_and_move_with_the_calibration() {
    let w = Workdir::new();
    let c = campaign_in(
        &w,
        "labels",
        "format = \"3475\"\nskip = 4\noffset_x = 2.0\noffset_y = -1.0",
    );
    w.run(&["render", &c, "--out", "out", "-q"]).expect_code(0);
    let pdf = w.join("out/labels.pdf");
    let words = words(&pdf, 1);
    let first = find_phrase(&words, "Wilsdruffer Straße 24", |_| true).unwrap();
    // shifted back by the offset it lands on label 5 (index 4)
    let unshifted = Word {
        x0: first.x0 - 2.0,
        x1: first.x1 - 2.0,
        y0: first.y0 + 1.0,
        y1: first.y1 + 1.0,
        ..first.clone()
    };
    assert_eq!(label_at("3475", &unshifted), Some(4), "{first:?}");
    // the same sheet without offset: exactly 2 mm left, 1 mm lower
    let w2 = Workdir::new();
    let c2 = campaign_in(&w2, "labels", "format = \"3475\"\nskip = 4");
    w2.run(&["render", &c2, "--out", "out", "-q"])
        .expect_code(0);
    let plain = find_phrase(
        &util::words(&w2.join("out/labels.pdf"), 1),
        "Wilsdruffer Straße 24",
        |_| true,
    )
    .unwrap();
    assert!(
        (first.x0 - plain.x0 - 2.0).abs() < 0.05,
        "{first:?} {plain:?}"
    );
    assert!(
        (first.y0 - plain.y0 + 1.0).abs() < 0.05,
        "{first:?} {plain:?}"
    );

    // too large an offset is refused before anything happens
    let w3 = Workdir::new();
    let c3 = campaign_in(&w3, "labels", "offset_x = 40.0");
    w3.run(&["render", &c3])
        .expect_code(2)
        .expect_stderr("print.offset_x = 40: a calibration offset is a few mm");
    // an unknown format names the ones there are
    let c4 = campaign_in(&w3, "labels", "format = \"9999\"");
    w3.run(&["render", &c4])
        .expect_code(2)
        .expect_stderr("template \"labels\" has no format \"9999\"")
        .expect_stderr("formats: 3475, 3490, l7163, 5160");
}

#[test]
fn the_test_grid_is_one_page_of_the_format_and_nothing_else() {
    for (template, format, size) in [
        ("letter", "din-b", (210.0, 297.0)),
        ("letter", "us-letter", (215.9, 279.4)),
        ("labels", "l7163", (210.0, 297.0)),
        ("labels", "5160", (215.9, 279.4)),
        ("envelope", "c5", (229.0, 162.0)),
    ] {
        let w = Workdir::new();
        let c = campaign_in(
            &w,
            template,
            &format!("format = \"{format}\"\noffset_x = 1.5"),
        );
        let run = w.run(&["render", &c, "--out", "out", "--test-grid"]);
        run.expect_code(0).expect_stderr("test grid:");
        let pdf = w.join("out/test-grid.pdf");
        assert_eq!(pages(&pdf), 1);
        let (pw, ph) = page_size(&pdf);
        assert!(
            (pw - size.0 * MM).abs() < 0.2 && (ph - size.1 * MM).abs() < 0.2,
            "{format}"
        );
        let text = text(&pdf);
        assert!(
            text.contains("1.5"),
            "{format}: the offset is stated: {text}"
        );
        if template == "letter" {
            // (the sample campaign writes German: "Fenster")
            assert!(
                text.contains("window") || text.contains("Fenster"),
                "{format}: {text}"
            );
        }
        assert_eq!(
            w.tree(),
            [
                "c.toml",
                "out",
                "out/test-grid.pdf",
                "samples",
                "samples/customers.csv",
                "samples/history.csv"
            ]
        );
    }
}

#[test]
fn a_template_without_a_test_grid_says_so() {
    let w = Workdir::new();
    let c = campaign_in(&w, "card", "");
    w.run(&["render", &c, "--test-grid"])
        .expect_code(2)
        .expect_stderr("template \"card\" has no test grid");
}

#[test]
fn proof_shows_every_piece_with_its_id_and_writes_nothing_else() {
    let w = Workdir::new();
    samples(&w);
    w.write(
        "msg/message.de.j2",
        "{% if person.id == \"K-1003\" %}{{ person.nosuchfield }}{% endif %}Danke.",
    );
    w.write("msg/message.en.j2", "Thanks.");
    w.write(
        "c.toml",
        "name = \"t\"\ntemplate = \"letter\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"samples/customers.csv\"\n[select]\nwhere = 'person.country in [\"DE\", \"GB\", \"\"]'\n",
    );
    let run = w.run(&["proof", "c.toml", "--out", "out"]);
    run.expect_code(1);
    run.expect_stderr("failed: K-1003");
    run.expect_stderr("no piece was written, the ledger is unchanged");
    let pdf = w.join("out/proof.pdf");
    let text = text(&pdf);
    let manifest_ids = ["K-1001", "K-1002", "K-1004", "K-1006", "K-1024"];
    assert_contains_all(&text, &manifest_ids);
    assert_contains_all(&text, &["K-1003", "not produced", "undefined value"]);
    assert_contains_all(&text, &["1 failed (not printed)"]);
    assert_contains_all(&text, &["Approved for print"]);
    // the long address's warning is on the sheet
    assert!(text.contains("below 8 pt"), "{text}");
    // one thumbnail image per page of every produced piece
    let images = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&pdf)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&images.stdout)
        .lines()
        .skip(2)
        .count();
    let produced = text.matches("K-1").count();
    assert!(listed >= 10, "{listed} images for {produced} ids");
    // nothing else: no pieces, no manifest, no ledger
    let tree = w.tree();
    assert!(
        tree.iter()
            .all(|f| !f.starts_with("out/") || f == "out/proof.pdf"),
        "{tree:?}"
    );
    assert!(!tree.iter().any(|f| f.contains("ledger")), "{tree:?}");
}

#[test]
fn preview_writes_one_png_per_page_of_one_piece() {
    let w = Workdir::new();
    samples(&w);
    w.write("msg/message.de.j2", "Frohes Fest.");
    w.write("msg/message.en.j2", "Merry Christmas.");
    w.write(
        "c.toml",
        "name = \"t\"\ntemplate = \"card\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"samples/customers.csv\"\n",
    );
    let run = w.run(&[
        "preview", "c.toml", "--id", "K-1006", "--ppi", "72", "--out", "out",
    ]);
    run.expect_code(0);
    let a = w.join("out/preview/K-1006-Whitfield-1.png");
    let b = w.join("out/preview/K-1006-Whitfield-2.png");
    // 210 × 148 mm (the trimmed card) at 72 ppi
    assert_eq!(png_size(&a), (595, 420));
    assert_eq!(png_size(&b), (595, 420));
    assert_eq!(w.tree().iter().filter(|f| f.starts_with("out/")).count(), 3); // preview/ + 2

    w.run(&["preview", "c.toml", "--id", "K-9999"])
        .expect_code(2)
        .expect_stderr("no person with id \"K-9999\"");
    // opted out: a person, but not a recipient
    w.run(&["preview", "c.toml", "--id", "K-1019"])
        .expect_code(2)
        .expect_stderr("K-1019 is not a recipient of this run");
}

/// The print file is one Typst document of the pieces' pages: each font
/// once, a fraction of the pieces' PDFs together, the cards' boxes kept,
/// and in parts of `print_part` pieces for large runs.
#[test]
fn a_pdf_ua_run_writes_a_tagged_print_file() {
    let w = Workdir::new();
    w.copy_samples();
    let run = w.run(&[
        "render",
        "samples/thank-you.toml",
        "--out",
        "out",
        "--pdf-standard",
        "ua-1",
    ]);
    run.expect_code(0);
    assert!(
        !run.stderr().contains("print file could not be written"),
        "{}",
        run.stderr()
    );
    let info = util::info(&w.join("out/print.pdf"));
    assert_eq!(info["Tagged"], "yes");
    assert_eq!(info["Title"], "thank-you — print file");
    assert_eq!(util::pages(&w.join("out/print.pdf")), 8);
}

#[test]
fn the_print_file_embeds_each_font_once_and_comes_in_parts() {
    let w = Workdir::new();
    w.copy_samples();
    w.run(&[
        "render",
        "-q",
        "samples/christmas-2026.toml",
        "--out",
        "out",
    ])
    .expect_code(0);
    let print = w.join("out/print.pdf");
    let names: Vec<String> = util::fonts(&print)
        .into_iter()
        .map(|(name, embedded)| {
            assert!(embedded, "{name} not embedded");
            name.split_once('+')
                .map_or(name.clone(), |(_, n)| n.to_string())
        })
        .collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        names.len(),
        unique.len(),
        "a font embedded twice: {names:?}"
    );
    let pieces = w.pdfs("out");
    let together: u64 = pieces
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let size = std::fs::metadata(&print).unwrap().len();
    assert!(
        size * 3 < together,
        "print.pdf {size} bytes, the pieces {together}"
    );
    assert_eq!(util::pages(&print), 2 * pieces.len());
    // Titled; not a tagged PDF (the structure is for screen readers, and
    // the pieces' own PDFs keep theirs).
    let info = util::info(&print);
    assert_eq!(info["Title"], "christmas-2026 — print file");
    assert_eq!(info["Tagged"], "no");
    let first_piece = util::info(&pieces[0]);
    assert_eq!(first_piece["Tagged"], "yes", "{:?}", pieces[0]);
    // The first page is the first piece in postcode order, with its boxes.
    let manifest = std::fs::read_to_string(w.join("out/manifest.csv")).unwrap();
    let ids: Vec<&str> = manifest
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        ids, sorted,
        "the manifest lists the pieces in the people file's order"
    );
    for name in ["TrimBox", "BleedBox", "MediaBox"] {
        let first = pieces
            .iter()
            .find(|p| p.to_string_lossy().contains("K-1001"))
            .unwrap();
        assert_eq!(
            util::page_box(&print, name),
            util::page_box(first, name),
            "{name}"
        );
    }

    // In parts of 10: three files in print order, and the one print.pdf of
    // the earlier run is gone (it would be printed twice).
    let campaign = std::fs::read_to_string(w.join("samples/christmas-2026.toml"))
        .unwrap()
        .replace(
            "combined = \"print.pdf\"",
            "combined = \"print.pdf\"\nprint_part = 10",
        );
    w.write(
        "samples/parts.toml",
        campaign.replace("name = \"christmas-2026\"", "name = \"parts\""),
    );
    let run = w.run(&["render", "samples/parts.toml", "--out", "out", "--force"]);
    run.expect_code(0);
    run.expect_stderr(
        "print files: out/print-001.pdf … out/print-003.pdf (3 parts, in print order",
    );
    assert!(!print.exists());
    let parts: Vec<usize> = (1..=3)
        .map(|i| util::pages(&w.join(&format!("out/print-{i:03}.pdf"))))
        .collect();
    assert_eq!(parts, [20, 20, 16]);
    assert!(page_text(&w.join("out/print-001.pdf"), 1).len() > 10);
}

/// Each piece's PDF is titled for its recipient, although the templates
/// set the title last (so that what recipients share is laid out once):
/// the letter by its subject, the card by company and front text, the
/// envelope by the recipient; the sender is the author. The letter's test
/// grid, whose letter is hidden, keeps its metadata too.
#[test]
fn every_piece_is_titled_for_its_recipient() {
    let w = Workdir::new();
    w.copy_samples();
    for (campaign, title, author) in [
        (
            "thank-you",
            "Vielen Dank für Ihre Bestellung",
            Some("Holzwerk Lindner GmbH"),
        ),
        (
            "christmas-2026",
            "Holzwerk Lindner GmbH – Frohes Fest",
            None,
        ),
        (
            "envelopes",
            "Envelope – Dr. Konstantin von Hausen",
            Some("Holzwerk Lindner GmbH"),
        ),
    ] {
        let out = format!("out/{campaign}");
        w.run(&[
            "render",
            "-q",
            &format!("samples/{campaign}.toml"),
            "--out",
            &out,
        ])
        .expect_code(0);
        let info = util::info(&w.join(&format!("{out}/K-1001-von-Hausen.pdf")));
        assert_eq!(info["Title"], title, "{campaign}");
        assert_eq!(info.get("Author").map(String::as_str), author, "{campaign}");
    }
    w.run(&[
        "render",
        "samples/thank-you.toml",
        "--test-grid",
        "--out",
        "out/grid",
    ])
    .expect_code(0);
    let info = util::info(&w.join("out/grid/test-grid.pdf"));
    assert_eq!(info["Title"], "Vielen Dank für Ihre Bestellung");
}
