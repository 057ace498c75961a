//! Preflight: what the laid-out document really looks like, read from its
//! frames before it becomes a PDF — where the recipient address landed,
//! what the template says did not fit, which characters no font could show
//! — and, after export, whether every font is embedded. A template declares
//! where things should be; this checks where they are.

use typst::foundations::{Dict, Value};
use typst::introspection::{Location, MetadataElem, Tag};
use typst::layout::{Abs, Frame, FrameItem, Point, Transform};
use typst::text::TextItem;
use typst_layout::PagedDocument;

use crate::template::Window;

/// Label of the element that holds the recipient address block.
pub const ADDRESS_LABEL: &str = "warmly-address";
/// Label of `metadata((overflow: bool, note: str, id: str))` a template
/// emits where text had to be squeezed or did not fit.
pub const FIT_LABEL: &str = "warmly-fit";

/// The minimum distance between the address and every window edge (DIN 680
/// tolerances plus USPS's 1/8 in, rounded up).
pub const WINDOW_CLEARANCE_MM: f64 = 3.0;

/// Bleed of pages with a TrimBox (cards): what EU print shops ask for
/// (notes/print-postal.md §2.1).
pub const BLEED_MM: f64 = 3.0;

/// A rectangle in mm, page coordinates (y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

/// What one document showed.
#[derive(Debug, Default)]
pub struct Findings {
    /// Ink boxes of the `<warmly-address>` elements: (page index, box).
    pub addresses: Vec<(usize, Rect)>,
    /// `<warmly-fit>` reports that say something overflowed: (id, note).
    pub overflows: Vec<(String, String)>,
    /// Characters shown as the empty "notdef" box, in order, each once.
    pub missing: Vec<char>,
    /// The fonts the text is set in, each once.
    pub fonts: Vec<typst::text::FontInstance>,
}

/// Reads the findings from every page.
pub fn inspect(document: &PagedDocument) -> Findings {
    let mut walk = Walk::default();
    for (index, page) in document.pages().iter().enumerate() {
        walk.page = index;
        walk.frame(&page.frame, Transform::identity());
        // An element left open at a page end continues on the next page;
        // its part on this page counts as its own box.
        for open in walk.open.drain(..) {
            if let Some(rect) = open.1 {
                walk.findings.addresses.push((index, rect));
            }
        }
    }
    walk.findings
}

#[derive(Default)]
struct Walk {
    page: usize,
    /// Address elements started but not ended: (location, ink box so far).
    open: Vec<(Option<Location>, Option<Rect>)>,
    findings: Findings,
}

impl Walk {
    fn frame(&mut self, frame: &Frame, ts: Transform) {
        for (pos, item) in frame.items() {
            let ts = ts.pre_concat(Transform::translate(pos.x, pos.y));
            match item {
                FrameItem::Group(group) => self.frame(&group.frame, ts.pre_concat(group.transform)),
                FrameItem::Text(text) => self.text(text, ts),
                FrameItem::Tag(Tag::Start(content, _)) => {
                    let Some(label) = content.label() else {
                        continue;
                    };
                    let label = label.resolve();
                    if label.as_str() == ADDRESS_LABEL {
                        self.open.push((content.location(), None));
                    } else if label.as_str() == FIT_LABEL {
                        if let Some(meta) = content.to_packed::<MetadataElem>() {
                            self.fit(&meta.value);
                        }
                    }
                }
                FrameItem::Tag(Tag::End(location, _, _)) => {
                    if let Some(i) = self
                        .open
                        .iter()
                        .position(|(l, _)| l.as_ref() == Some(location))
                    {
                        let (_, rect) = self.open.remove(i);
                        if let Some(rect) = rect {
                            self.findings.addresses.push((self.page, rect));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn fit(&mut self, value: &Value) {
        let Value::Dict(dict) = value else { return };
        let get = |d: &Dict, key: &str| d.get(key).ok().cloned();
        if let Some(Value::Bool(true)) = get(dict, "overflow") {
            let text = |v: Option<Value>| match v {
                Some(Value::Str(s)) => s.to_string(),
                _ => String::new(),
            };
            let note = text(get(dict, "note"));
            self.findings.overflows.push((text(get(dict, "id")), note));
        }
    }

    /// Adds a text run's glyph ink to the open address boxes and notes
    /// glyphs that no font had.
    fn text(&mut self, text: &TextItem, ts: Transform) {
        let size = text.size;
        if !self.findings.fonts.contains(&text.font) {
            self.findings.fonts.push(text.font.clone());
        }
        let face = text.font.ttf();
        let per_unit = size.to_pt() / text.font.units_per_em();
        let mut x = Abs::zero();
        for glyph in &text.glyphs {
            if glyph.id == 0 {
                let c = text.text[glyph.range()].chars().next();
                if let Some(c) = c.filter(|c| !c.is_whitespace()) {
                    if !self.findings.missing.contains(&c) {
                        self.findings.missing.push(c);
                    }
                }
            }
            if !self.open.is_empty() {
                if let Some(b) = face.glyph_bounding_box(ttf_parser::GlyphId(glyph.id)) {
                    let gx = x + glyph.x_offset.at(size);
                    let gy = -glyph.y_offset.at(size);
                    let corners = [
                        (b.x_min, b.y_min),
                        (b.x_min, b.y_max),
                        (b.x_max, b.y_min),
                        (b.x_max, b.y_max),
                    ]
                    .map(|(u, v)| {
                        Point::new(
                            gx + Abs::pt(f64::from(u) * per_unit),
                            gy - Abs::pt(f64::from(v) * per_unit),
                        )
                        .transform(ts)
                    });
                    for (_, rect) in self.open.iter_mut() {
                        for p in corners {
                            let (px, py) = (p.x.to_mm(), p.y.to_mm());
                            let r = rect.get_or_insert(Rect {
                                x0: px,
                                y0: py,
                                x1: px,
                                y1: py,
                            });
                            r.x0 = r.x0.min(px);
                            r.y0 = r.y0.min(py);
                            r.x1 = r.x1.max(px);
                            r.y1 = r.y1.max(py);
                        }
                    }
                }
            }
            x += glyph.x_advance.at(size);
        }
    }
}

/// The address's distance to each window edge (left, top, right, bottom)
/// in mm; negative = outside the window.
pub fn clearances(address: Rect, window: Window) -> [f64; 4] {
    [
        address.x0 - window.x,
        address.y0 - window.y,
        window.x + window.w - address.x1,
        window.y + window.h - address.y1,
    ]
}

/// What the window check found: the smallest clearance and, when it is
/// below the minimum, a sentence naming the edge.
pub fn window_check(findings: &Findings, window: Window) -> (Option<f64>, Option<String>) {
    let Some(&(_, address)) = findings.addresses.iter().find(|(page, _)| *page == 0) else {
        return (
            None,
            Some(
                "no recipient address on page 1 (the template labels none <warmly-address>)".into(),
            ),
        );
    };
    let c = clearances(address, window);
    let (edge, min) = ["left", "top", "right", "bottom"]
        .into_iter()
        .zip(c)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("four edges");
    if min >= WINDOW_CLEARANCE_MM {
        return (Some(min), None);
    }
    let how = if min < 0.0 {
        format!("reaches {:.1} mm beyond the window's {edge} edge", -min)
    } else {
        format!("is only {min:.1} mm from the window's {edge} edge")
    };
    (
        Some(min),
        Some(format!(
            "the address {how} (needs {WINDOW_CLEARANCE_MM} mm inside the window)"
        )),
    )
}

/// The sentence for characters no font could show: which characters, their
/// script, and what would help — the machine's fonts (`--system-fonts`)
/// and the Debian package that has a font for the script, or a font folder.
pub fn missing_glyphs(missing: &[char], system_fonts: bool) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let list: Vec<String> = missing
        .iter()
        .take(8)
        .map(|c| format!("\"{c}\" (U+{:04X})", *c as u32))
        .collect();
    let (mut scripts, mut packages) = (Vec::new(), Vec::new());
    for (script, package) in missing.iter().filter_map(|&c| super::fonts::script_of(c)) {
        if !scripts.contains(&script) {
            scripts.push(script);
        }
        if !packages.contains(&package) {
            packages.push(package);
        }
    }
    let mut out = format!(
        "no font can show {}{}",
        list.join(", "),
        if missing.len() > 8 { ", …" } else { "" }
    );
    if !scripts.is_empty() {
        out.push_str(&format!(" ({})", scripts.join(", ")));
    }
    out.push_str(" — it would print as empty boxes; ");
    let install = if packages.is_empty() {
        String::new()
    } else {
        format!(" (Debian/Ubuntu: apt-get install {})", packages.join(" "))
    };
    if system_fonts {
        out.push_str(&format!(
            "the fonts installed on this machine (--system-fonts) lack it too: install one{install}, or "
        ));
    } else {
        out.push_str(&format!(
            "use the fonts installed on this machine with --system-fonts or `[fonts] system = true` \
             in the campaign{install}, or "
        ));
    }
    out.push_str("add a folder with a font that covers it with --font-path");
    Some(out)
}

/// The fonts of the document's text that the PDF could not carry a font
/// program for. typst-pdf (krilla) embeds every font it draws text with: a
/// subset as FontFile2 (TrueType outlines) or FontFile3 (CFF), or the
/// glyphs as a Type 3 font (colour and bitmap glyphs) — never a font by
/// name only. So a font is left unembedded only when it has neither
/// outlines nor colour glyphs; this is read from the laid-out document,
/// where the same fact is known before export, instead of parsing the PDF
/// back ([`unembedded_fonts`] does that, for tests and audits).
pub fn fonts_without_program(findings: &Findings) -> Vec<String> {
    let mut missing: Vec<String> = findings
        .fonts
        .iter()
        .filter(|font| {
            let tables = font.ttf().tables();
            tables.glyf.is_none()
                && tables.cff.is_none()
                && tables.cff2.is_none()
                && tables.colr.is_none()
                && tables.sbix.is_none()
                && tables.cbdt.is_none()
                && tables.svg.is_none()
        })
        .map(|font| font.info().family.clone())
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

/// Every font in the PDF must carry its font program, or the print shop's
/// RIP substitutes one. Returns the names of fonts that do not.
pub fn unembedded_fonts(doc: &lopdf::Document) -> Vec<String> {
    let mut missing = Vec::new();
    for object in doc.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        let is = |key: &[u8], value: &[u8]| {
            dict.get(key)
                .and_then(|o| o.as_name())
                .map(|n| n == value)
                .unwrap_or(false)
        };
        let name = || {
            dict.get(b"FontName")
                .or_else(|_| dict.get(b"BaseFont"))
                .and_then(|o| o.as_name())
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_else(|_| "(unnamed)".into())
        };
        if is(b"Type", b"FontDescriptor") {
            if !["FontFile", "FontFile2", "FontFile3"]
                .iter()
                .any(|k| dict.has(k.as_bytes()))
            {
                missing.push(name());
            }
        } else if is(b"Type", b"Font")
            && !is(b"Subtype", b"Type0")
            && !is(b"Subtype", b"Type3")
            && !dict.has(b"FontDescriptor")
        {
            // a standard-14 font: referenced by name, never embedded
            missing.push(name());
        }
    }
    missing.sort();
    missing.dedup();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(x0: f64, y0: f64, x1: f64, y1: f64) -> Findings {
        Findings {
            addresses: vec![(0, Rect { x0, y0, x1, y1 })],
            ..Findings::default()
        }
    }

    fn window() -> Window {
        Window {
            x: 15.0,
            y: 47.5,
            w: 90.0,
            h: 45.0,
        }
    }

    #[test]
    fn an_address_well_inside_passes() {
        let findings = address(25.0, 64.0, 80.0, 80.0);
        let (min, problem) = window_check(&findings, window());
        assert_eq!(problem, None);
        assert!((min.unwrap() - 10.0).abs() < 1e-9, "{min:?}"); // left: 25 − 15
    }

    #[test]
    fn an_address_too_close_to_the_bottom_names_the_edge() {
        let findings = address(25.0, 64.0, 80.0, 91.0);
        let (min, problem) = window_check(&findings, window());
        assert!((min.unwrap() - 1.5).abs() < 1e-9);
        let problem = problem.unwrap();
        assert!(
            problem.contains("1.5 mm from the window's bottom edge"),
            "{problem}"
        );
    }

    #[test]
    fn an_address_outside_says_by_how_much() {
        let findings = address(10.0, 64.0, 80.0, 80.0);
        let problem = window_check(&findings, window()).1.unwrap();
        assert!(
            problem.contains("5.0 mm beyond the window's left edge"),
            "{problem}"
        );
    }

    #[test]
    fn no_address_is_a_problem() {
        let problem = window_check(&Findings::default(), window()).1.unwrap();
        assert!(problem.contains("no recipient address"), "{problem}");
    }

    #[test]
    fn fonts_without_a_font_program_are_named() {
        use lopdf::{dictionary, Document, Object};
        let mut doc = Document::with_version("1.7");
        doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let program = doc.add_object(Object::Stream(lopdf::Stream::new(dictionary! {}, vec![0])));
        doc.add_object(dictionary! {
            "Type" => "FontDescriptor", "FontName" => "Embedded", "FontFile2" => program,
        });
        doc.add_object(dictionary! { "Type" => "FontDescriptor", "FontName" => "Bare" });
        assert_eq!(unembedded_fonts(&doc), ["Bare", "Helvetica"]);
    }

    #[test]
    fn missing_glyphs_are_listed_with_code_points() {
        let text = missing_glyphs(&['陈', '明'], false).unwrap();
        assert!(text.contains("\"陈\" (U+9648)"), "{text}");
        assert!(text.contains("(Chinese/Japanese/Korean (Han))"), "{text}");
        assert!(text.contains("--system-fonts"), "{text}");
        assert!(text.contains("[fonts] system = true"), "{text}");
        assert!(text.contains("fonts-noto-cjk"), "{text}");
        let text = missing_glyphs(&['陈'], true).unwrap();
        assert!(text.contains("lack it too"), "{text}");
        assert!(text.contains("apt-get install fonts-noto-cjk"), "{text}");
        assert!(!text.contains("[fonts]"), "{text}");
        let text = missing_glyphs(&['\u{10FFFD}'], false).unwrap();
        assert!(!text.contains("Debian"), "{text}");
        assert_eq!(missing_glyphs(&[], false), None);
    }
}
