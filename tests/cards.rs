//! Issue 10: the card's motifs and the company's own front picture, judged
//! by the PDFs — pages and boxes (pdfinfo), the words on them (pdftotext),
//! the embedded picture (pdfimages) and the pixels of the front (pdftoppm).

mod util;

use std::path::{Path, PathBuf};

use util::*;

/// A6 folded: the A5 landscape sheet 210 × 148 mm, in points.
const TRIM: (f64, f64) = (595.28, 419.53);
/// The sheet plus 3 mm bleed on every side (216 × 154 mm).
const WITH_BLEED: (f64, f64) = (612.28, 436.54);

/// Every motif with the front title and the inside greeting its German
/// default texts put on the card.
const MOTIFS: &[(&str, &str, &str)] = &[
    ("christmas", "Frohes Fest", "Frohe Weihnachten"),
    ("new-year", "Frohes neues Jahr", "Ein gutes neues Jahr"),
    ("birthday", "Alles Gute", "Herzlichen Glückwunsch"),
    ("anniversary", "Zum Jubiläum", "Herzlichen Dank"),
    ("thank-you", "Danke", "Herzlichen Dank"),
    ("botanical", "Herzliche Grüße", "Herzliche Grüße"),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.05
}

/// A card campaign `c.toml` for the sample customer K-1001 (German), with
/// `theme` lines and any further tables; returns its name.
fn card(w: &Workdir, theme: &str, more: &str) -> String {
    w.copy_samples();
    w.write(
        "c.toml",
        format!(
            "name = \"t\"\ntemplate = \"card\"\ndate = \"2026-12-01\"\n\
             [data]\npeople = \"samples/customers.csv\"\nhistory = \"samples/history.csv\"\n\
             [select]\nwhere = 'person.id == \"K-1001\"'\n\
             [sender]\ncompany = \"Holzwerk Lindner GmbH\"\nname = \"Marie Lindner\"\n\
             [theme]\n{theme}\n{more}"
        ),
    );
    "c.toml".into()
}

/// Renders `campaign` into a fresh `out/` (with a fresh ledger) and
/// returns the one card.
fn render_one(w: &Workdir, campaign: &str) -> (Run, PathBuf) {
    for dir in ["out", "state"] {
        let _ = std::fs::remove_dir_all(w.join(dir));
    }
    let run = w.run(&["render", campaign, "--out", "out", "--state", "state"]);
    run.expect_code(0);
    let pdfs = w.pdfs("out");
    assert_eq!(pdfs.len(), 1, "{pdfs:?}");
    (run, pdfs[0].clone())
}

/// `theme.motif` as the template receives it (`--export-inputs`).
fn resolved_motif(w: &Workdir, campaign: &str) -> String {
    let _ = std::fs::remove_dir_all(w.join("inputs"));
    w.run(&["render", campaign, "--export-inputs", "inputs"])
        .expect_code(0);
    let dir = std::fs::read_dir(w.join("inputs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("data.json")).unwrap()).unwrap();
    data["theme"]["motif"].as_str().unwrap().to_string()
}

/// The grey value (0 black … 255 white) of page 1 at (x, y) mm from the
/// top-left corner of the MediaBox, rendered at `dpi`.
fn grey_at(page: &(usize, usize, Vec<u8>), dpi: u32, x: f64, y: f64) -> u8 {
    let (w, _, pixels) = page;
    let px = |mm: f64| (mm / 25.4 * f64::from(dpi)) as usize;
    pixels[px(y) * w + px(x)]
}

/// The front panel of page 1 (media x from 108 mm: fold at 3 + 105 mm) as
/// grey pixels at `dpi`.
fn front_pixels(pdf: &Path, dpi: u32) -> Vec<u8> {
    let page = grey_page(pdf, dpi);
    let (w, h, pixels) = &page;
    let fold = (108.0 / 25.4 * f64::from(dpi)) as usize;
    (0..*h)
        .flat_map(|y| pixels[y * w + fold..(y + 1) * w].to_vec())
        .collect()
}

#[test]
fn every_motif_is_a_two_page_card_with_its_texts_and_its_own_front() {
    let mut fronts: Vec<(&str, Vec<u8>)> = Vec::new();
    for (motif, front, greeting) in MOTIFS {
        let w = Workdir::new();
        let c = card(&w, &format!("motif = \"{motif}\""), "");
        let (_, pdf) = render_one(&w, &c);
        assert_eq!(pages(&pdf), 2, "{motif}");
        let (mw, mh) = page_size(&pdf);
        assert!(
            close(mw, WITH_BLEED.0) && close(mh, WITH_BLEED.1),
            "{motif}: {mw} × {mh}"
        );
        let trim = page_box(&pdf, "TrimBox");
        assert!(
            close(trim[2] - trim[0], TRIM.0) && close(trim[3] - trim[1], TRIM.1),
            "{motif}: TrimBox {trim:?}"
        );
        let outside = page_text(&pdf, 1);
        assert_contains_all(&outside, &[front, "Holzwerk Lindner GmbH"]);
        let inside = page_text(&pdf, 2);
        assert_contains_all(&inside, &[greeting, "Marie Lindner", "Dr. von Hausen"]);
        fronts.push((motif, front_pixels(&pdf, 30)));
    }
    // Clearly different: any two fronts differ in a good part of their pixels.
    for (i, (a, pa)) in fronts.iter().enumerate() {
        for (b, pb) in &fronts[i + 1..] {
            assert_eq!(pa.len(), pb.len());
            let differ = pa
                .iter()
                .zip(pb)
                .filter(|(x, y)| x.abs_diff(**y) > 24)
                .count();
            assert!(
                differ * 10 > pa.len(),
                "{a} and {b} differ in only {differ} of {} front pixels",
                pa.len()
            );
        }
    }
}

/// How many paths page `page` (from 1) of `pdf` fills or strokes: what the
/// PDF writer converts one by one, for every card and again for the print
/// file.
fn painted_paths(pdf: &Path, page: u32) -> usize {
    let doc = lopdf::Document::load(pdf).unwrap();
    let id = doc.get_pages()[&page];
    let content = lopdf::content::Content::decode(&doc.get_page_content(id)).unwrap();
    content
        .operations
        .iter()
        .filter(|op| {
            matches!(
                op.operator.as_str(),
                "f" | "F" | "f*" | "S" | "s" | "B" | "B*" | "b" | "b*"
            )
        })
        .count()
}

#[test]
fn the_christmas_front_draws_its_small_shapes_as_few_paths() {
    // Before the snowflakes' lines, the trees' tiers, the star's halves and
    // the dots were grouped by paint (BENCHMARKS.md, 2026-11-30 afternoon)
    // the front painted 276 paths.
    let w = Workdir::new();
    let c = card(&w, "motif = \"christmas\"", "");
    let (_, pdf) = render_one(&w, &c);
    let paths = painted_paths(&pdf, 1);
    assert!(paths <= 45, "page 1 paints {paths} paths, more than 45");
}

#[test]
fn the_anniversary_wreath_holds_the_years_and_the_new_year_card_its_year() {
    let w = Workdir::new();
    // K-1001 has been a customer since 2009-05-18: the 18th year in May 2027.
    let c = card(
        &w,
        "motif = \"anniversary\"",
        "[occasion]\nkind = \"anniversary\"\nwithin = \"200d\"\n",
    );
    let (_, pdf) = render_one(&w, &c);
    assert_contains_all(&page_text(&pdf, 1), &["Zum Jubiläum", "18", "JAHRE"]);

    // Without an occasion the wreath holds a star, no number.
    let w = Workdir::new();
    let c = card(&w, "motif = \"anniversary\"", "");
    let (_, pdf) = render_one(&w, &c);
    let front = page_text(&pdf, 1);
    assert!(!front.contains("JAHRE"), "{front}");

    // Written in December: next year; the campaign's text.year wins.
    let w = Workdir::new();
    let c = card(&w, "motif = \"new-year\"", "");
    let (_, pdf) = render_one(&w, &c);
    assert_contains_all(&page_text(&pdf, 1), &["Frohes neues Jahr", "2027"]);
    let c = card(
        &w,
        "motif = \"new-year\"",
        "[text.de]\nyear = \"2030\"\nfront = \"Prosit\"\n",
    );
    let (_, pdf) = render_one(&w, &c);
    let front = page_text(&pdf, 1);
    assert_contains_all(&front, &["Prosit", "2030"]);
    assert!(!front.contains("2027"), "{front}");
}

#[test]
fn aliases_any_spelling_and_the_occasion_choose_the_motif() {
    let w = Workdir::new();
    for (written, motif) in [
        ("Jubilee", "anniversary"),
        ("thank_you", "thank-you"),
        ("Thank You", "thank-you"),
        ("silvester", "new-year"),
        ("neutral", "botanical"),
        ("christmas", "christmas"),
    ] {
        let c = card(&w, &format!("motif = \"{written}\""), "");
        assert_eq!(resolved_motif(&w, &c), motif, "{written}");
    }
    // No motif: the occasion's, else christmas.
    for (occasion, motif) in [
        ("", "christmas"),
        (
            "[occasion]\nkind = \"birthday\"\nwithin = \"365d\"\n",
            "birthday",
        ),
        (
            "[occasion]\nkind = \"anniversary\"\nwithin = \"365d\"\n",
            "anniversary",
        ),
        (
            "[occasion]\nkind = \"fixed\"\ndate = \"01-01\"\nname = \"new-year\"\nwithin = \"60d\"\n",
            "new-year",
        ),
    ] {
        let c = card(&w, "", occasion);
        assert_eq!(resolved_motif(&w, &c), motif, "{occasion}");
    }
}

#[test]
fn an_unknown_motif_stops_every_command_with_the_list_of_motifs() {
    let w = Workdir::new();
    let c = card(&w, "motif = \"xmas2026\"", "");
    for args in [
        vec!["render", &c, "--out", "out", "--state", "state"],
        vec!["render", &c, "--dry-run"],
        vec!["check", &c],
    ] {
        let run = w.run(&args);
        run.expect_code(2);
        run.expect_stderr("theme.motif = \"xmas2026\"")
            .expect_stderr("has no such motif");
        for name in [
            "christmas",
            "new-year",
            "birthday",
            "anniversary (or jubilee",
            "thank-you",
            "botanical",
        ] {
            run.expect_stderr(name);
        }
    }
    assert!(!w.join("out").exists(), "{:?}", w.tree());
    assert!(!w.join("state").exists(), "{:?}", w.tree());
}

/// A PNG of `w` × `h` pixels (8-bit RGB, stored deflate blocks): enough to
/// hand Typst a photo of a known size and content.
fn png(w: u32, h: u32, rgb: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let body: Vec<u8> = kind.iter().chain(data).copied().collect();
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0); // filter: none
        for x in 0..w {
            raw.extend(rgb(x, y));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend(*block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// `pdfimages -list`: (width, height, x-ppi, y-ppi) of every image.
fn images(pdf: &Path) -> Vec<(u32, u32, u32, u32)> {
    let output = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(pdf)
        .output()
        .expect("pdfimages (poppler-utils)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(2)
        .filter_map(|l| {
            // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() >= 14 && cols[2] == "image").then(|| {
                (
                    cols[3].parse().unwrap(),
                    cols[4].parse().unwrap(),
                    cols[12].parse().unwrap(),
                    cols[13].parse().unwrap(),
                )
            })
        })
        .collect()
}

#[test]
fn a_front_image_covers_the_front_to_the_bleed_cropped_not_stretched() {
    let w = Workdir::new();
    // A landscape photo, 640 × 480: a grey middle between black side bands.
    // Covering the portrait front (108 × 154 mm with bleed) scales it to
    // 154 mm high, 205 mm wide, and crops 48.6 mm on either side: pixels
    // 152 to 488 are seen, all in the grey middle (140 to 500); stretched,
    // the black bands would show.
    let photo = png(640, 480, |x, _| {
        if (140..500).contains(&x) {
            [150, 150, 150]
        } else {
            [0, 0, 0]
        }
    });
    w.write("art/photo.png", &photo);
    let c = card(
        &w,
        "motif = \"christmas\"\nfront_image = \"art/photo.png\"",
        "",
    );
    let (run, pdf) = render_one(&w, &c);
    // 79 ppi is too few for print: said once, the card is still made
    run.expect_stderr("theme.front_image art/photo.png: 640 × 480 px is about 79 ppi");
    assert_eq!(pages(&pdf), 2);
    assert_contains_all(&page_text(&pdf, 1), &["Frohes Fest"]);

    // Embedded once at its own size, scaled the same both ways:
    // 480 px over 154 mm is 79.2 ppi.
    let found = images(&pdf);
    assert_eq!(found.len(), 1, "{found:?}");
    let (iw, ih, xppi, yppi) = found[0];
    assert_eq!((iw, ih), (640, 480));
    assert_eq!(xppi, yppi, "stretched: {found:?}");
    assert!((78..=80).contains(&xppi), "{found:?}");

    // The whole front to the bleed edges is the grey middle, below the
    // title's shade; the back panel stays white.
    let dpi = 50;
    let page = grey_page(&pdf, dpi);
    for x in [108.6, 130.0, 162.0, 200.0, 215.4] {
        for y in [75.0, 110.0, 153.4] {
            let g = grey_at(&page, dpi, x, y);
            assert!(g.abs_diff(150) <= 6, "front at {x}/{y} mm: grey {g}");
        }
    }
    for (x, y) in [(0.6, 0.6), (6.0, 150.0), (100.0, 10.0)] {
        assert_eq!(grey_at(&page, dpi, x, y), 255, "back at {x}/{y} mm");
    }
    // Input files are never written.
    assert_eq!(std::fs::read(w.join("art/photo.png")).unwrap(), photo);
}

#[test]
fn the_sample_artwork_is_drawn_as_vectors_on_the_front() {
    let w = Workdir::new();
    let plain = card(&w, "motif = \"christmas\"", "");
    let (_, motif_pdf) = render_one(&w, &plain);
    let motif_front = front_pixels(&motif_pdf, 30);
    let c = card(
        &w,
        "motif = \"christmas\"\nfront_image = \"samples/art/holzwerk-front.svg\"",
        "",
    );
    let (run, pdf) = render_one(&w, &c);
    assert!(!run.stderr().contains("ppi"), "{}", run.stderr());
    assert_eq!(pages(&pdf), 2);
    assert_contains_all(&page_text(&pdf, 1), &["Frohes Fest"]);
    // An SVG stays vector: no raster image in the PDF.
    assert_eq!(images(&pdf), vec![]);
    // The light wood of the rings, not the night-green of the motif.
    let front = front_pixels(&pdf, 30);
    let mean = |p: &[u8]| p.iter().map(|&g| f64::from(g)).sum::<f64>() / p.len() as f64;
    assert!(
        mean(&front) > 130.0 && mean(&motif_front) < 110.0,
        "{} vs {}",
        mean(&front),
        mean(&motif_front)
    );
}

#[test]
fn a_missing_or_unusable_front_image_stops_before_anything_is_made() {
    let w = Workdir::new();
    w.write("art/real.png", png(4, 4, |_, _| [10, 200, 10]));
    w.write("art/renamed.jpg", png(4, 4, |_, _| [10, 200, 10]));
    w.write("art/broken.png", b"\x89PNG\r\n\x1a\nnot really");
    w.write("art/picture.gif", b"GIF89a");
    w.write("art/notes.svg", b"just text");
    for (file, said) in [
        ("art/missing.jpg", "relative to the campaign file"),
        ("art/picture.gif", "use a .png, .jpg or .svg file"),
        ("art/renamed.jpg", "cannot be read as JPG"),
        ("art/broken.png", "cannot be read as PNG"),
        ("art/notes.svg", "cannot be read as SVG"),
    ] {
        let c = card(&w, &format!("front_image = \"{file}\""), "");
        for args in [
            vec!["render", &c, "--out", "out", "--state", "state"],
            vec!["check", &c],
        ] {
            let run = w.run(&args);
            run.expect_code(2);
            run.expect_stderr(&format!("theme.front_image {file}"))
                .expect_stderr(said);
        }
        assert!(!w.join("out").exists(), "{file}: {:?}", w.tree());
    }
    // a tiny picture is accepted, with the warning
    let c = card(&w, "front_image = \"art/real.png\"", "");
    let run = w.run(&["check", &c]);
    run.expect_code(0);
    let said = run.stdout() + &run.stderr();
    assert!(said.contains("4 × 4 px is about 1 ppi"), "{said}");
}
