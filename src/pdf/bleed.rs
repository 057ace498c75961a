//! The BleedBox print shops need: Typst writes a card's TrimBox, warmly
//! adds the BleedBox (trim plus 3 mm) — in place in the bytes where the
//! file is laid out as typst-pdf writes it, through lopdf otherwise.

/// Gives every page that has a TrimBox a BleedBox (the trim plus
/// `bleed_mm`, within the MediaBox), in place: the page dictionaries are
/// found through the cross-reference table, the array is inserted before
/// each one's closing `>>`, and the offsets after it are moved on — no
/// parse of the whole file and no second save. The numbers are read and
/// written as [`add_bleed_boxes`] does through lopdf, so the boxes are the
/// same. Whether a page changed; `None` when the file is not laid out as
/// typst-pdf writes it (a classic cross-reference table, no object
/// streams): then the caller takes the lopdf way.
pub fn add_bleed_boxes_in_place(pdf: &mut Vec<u8>, bleed_mm: f64) -> Option<bool> {
    let bleed = (bleed_mm * 72.0 / 25.4) as f32;
    let xref = Xref::find(pdf)?;
    let mut inserts: Vec<(usize, Vec<u8>)> = Vec::new();
    for i in 1..xref.count {
        let (offset, used) = xref.entry(pdf, i)?;
        if used {
            inserts.extend(bleed_insert(pdf, offset, bleed)?);
        }
    }
    if inserts.is_empty() {
        return Some(false);
    }
    inserts.sort_by_key(|(at, _)| *at);
    *pdf = xref.rewrite(pdf, &inserts)?;
    Some(true)
}

/// The classic cross-reference table typst-pdf writes: one subsection
/// from object 0, entries of 20 bytes, and the `startxref` number after
/// the trailer.
struct Xref {
    /// Where `xref` starts.
    at: usize,
    /// Where its entries start.
    entries: usize,
    count: usize,
    /// Where the `startxref` number starts, and its digits.
    number_at: usize,
    digits: usize,
}

impl Xref {
    fn find(pdf: &[u8]) -> Option<Xref> {
        let tail = &pdf[pdf.len().saturating_sub(64)..];
        let at = find(tail, b"startxref")?;
        let start_of_number = pdf.len() - tail.len() + at + b"startxref".len();
        let number = std::str::from_utf8(&pdf[start_of_number..]).ok()?;
        let number = number.trim_start();
        let digits: String = number.chars().take_while(|c| c.is_ascii_digit()).collect();
        let xref_at: usize = digits.parse().ok()?;
        let number_at = start_of_number + (pdf.len() - start_of_number - number.len());
        // "xref\n0 N\n" and N entries of 20 bytes.
        let head = pdf.get(xref_at..)?.strip_prefix(b"xref")?;
        let line_end = 4 + skip_eol(head)?;
        let rest = &pdf[xref_at + line_end..];
        let eol = rest.iter().position(|&b| b == b'\n' || b == b'\r')?;
        let section = std::str::from_utf8(&rest[..eol]).ok()?;
        let (first, count) = section.trim().split_once(' ')?;
        let (first, count): (usize, usize) = (first.parse().ok()?, count.parse().ok()?);
        let entries = xref_at + line_end + eol + skip_eol(&rest[eol..])?;
        // One subsection from object 0, and the trailer right after it.
        if first != 0 || !pdf.get(entries + 20 * count..)?.starts_with(b"trailer") {
            return None;
        }
        Some(Xref {
            at: xref_at,
            entries,
            count,
            number_at,
            digits: digits.len(),
        })
    }

    /// Entry `i`: the object's offset, and whether it is in use.
    fn entry(&self, pdf: &[u8], i: usize) -> Option<(usize, bool)> {
        let e = pdf.get(self.entries + 20 * i..self.entries + 20 * i + 20)?;
        let offset: usize = std::str::from_utf8(&e[..10]).ok()?.parse().ok()?;
        Some((offset, e[17] == b'n'))
    }

    /// The file with `inserts` (sorted by place) made, every offset after
    /// them moved on: the objects', the table's own.
    fn rewrite(&self, pdf: &[u8], inserts: &[(usize, Vec<u8>)]) -> Option<Vec<u8>> {
        let shift = |offset: usize| -> usize {
            inserts
                .iter()
                .filter(|(at, _)| *at < offset)
                .map(|(_, t)| t.len())
                .sum::<usize>()
                + offset
        };
        let mut table = Vec::with_capacity(20 * self.count);
        for i in 0..self.count {
            let e = &pdf[self.entries + 20 * i..self.entries + 20 * i + 20];
            let (offset, used) = self.entry(pdf, i)?;
            if used {
                table.extend_from_slice(format!("{:010}", shift(offset)).as_bytes());
            } else {
                table.extend_from_slice(&e[..10]);
            }
            table.extend_from_slice(&e[10..]);
        }
        let added: usize = inserts.iter().map(|(_, t)| t.len()).sum();
        let mut out = Vec::with_capacity(pdf.len() + added);
        let mut from = 0;
        for (at, text) in inserts {
            out.extend_from_slice(&pdf[from..*at]);
            out.extend_from_slice(text);
            from = *at;
        }
        out.extend_from_slice(&pdf[from..self.entries]);
        out.extend_from_slice(&table);
        out.extend_from_slice(&pdf[self.entries + 20 * self.count..self.number_at]);
        out.extend_from_slice(shift(self.at).to_string().as_bytes());
        out.extend_from_slice(&pdf[self.number_at + self.digits..]);
        Some(out)
    }
}

/// For the object at `offset`: where its `/BleedBox[…]` goes and the text,
/// if it is a page with a TrimBox; `Some(None)` for any other object, `None`
/// when the file is not as typst-pdf writes it (object streams, a page
/// that already has a BleedBox).
fn bleed_insert(pdf: &[u8], offset: usize, bleed: f32) -> Option<Option<(usize, Vec<u8>)>> {
    let object = pdf.get(offset..)?;
    let open = find(&object[..object.len().min(32)], b"obj")? + 3;
    let body = &object[open..];
    let skip = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if !body[skip..].starts_with(b"<<") {
        let object_stream = body[skip..].starts_with(b"stream")
            || find(&body[..body.len().min(64)], b"/ObjStm").is_some();
        return if object_stream { None } else { Some(None) };
    }
    let dict_at = offset + open + skip;
    let end = dict_end(&pdf[dict_at..])?; // index of the closing ">>"
    let dict = &pdf[dict_at..dict_at + end];
    if find(dict, b"/ObjStm").is_some() || find(dict, b"/XRef").is_some() {
        return None;
    }
    if !is_page(dict) {
        return Some(None);
    }
    if find(dict, b"/BleedBox").is_some() {
        return None;
    }
    let (Some(media), Some(trim)) = (box_of(dict, b"/MediaBox"), box_of(dict, b"/TrimBox")) else {
        return Some(None);
    };
    let bleed_box = [
        (trim[0] - bleed).max(media[0]),
        (trim[1] - bleed).max(media[1]),
        (trim[2] + bleed).min(media[2]),
        (trim[3] + bleed).min(media[3]),
    ];
    let mut text = b"/BleedBox[".to_vec();
    for (k, v) in bleed_box.iter().enumerate() {
        if k > 0 {
            text.push(b' ');
        }
        text.extend_from_slice(real(*v).as_bytes());
    }
    text.push(b']');
    Some(Some((dict_at + end, text)))
}

/// A real number as lopdf writes it: every digit, no exponent, and a
/// point even for a whole number.
fn real(value: f32) -> String {
    let text = value.to_string();
    if value.is_finite() && !text.contains('.') {
        format!("{text}.0")
    } else {
        text
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// The length of the end of line at the start of `bytes` (`\n`, `\r\n`,
/// `\r`, or spaces before one).
fn skip_eol(bytes: &[u8]) -> Option<usize> {
    let n = bytes
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\r' | b'\n'))
        .count();
    (n > 0).then_some(n)
}

/// Where the dictionary that starts `bytes` (with `<<`) closes: the index
/// of its `>>`. Strings and nested dictionaries are skipped.
fn dict_end(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
                i += 2;
                continue;
            }
            b'<' => {
                i += bytes[i..].iter().position(|&b| b == b'>')?;
            }
            b'(' => {
                let mut nesting = 0usize;
                loop {
                    match *bytes.get(i)? {
                        b'\\' => i += 1,
                        b'(' => nesting += 1,
                        b')' => {
                            nesting -= 1;
                            if nesting == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `/Type/Page` (not `/Pages`) in a dictionary.
fn is_page(dict: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = find(&dict[from..], b"/Type") {
        let rest = &dict[from + at + 5..];
        let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        if let Some(after) = rest.strip_prefix(b"/Page") {
            if !after.first().is_some_and(|b| b.is_ascii_alphanumeric()) {
                return true;
            }
        }
        from += at + 5;
    }
    false
}

/// The four numbers of `key[a b c d]` in a dictionary, read as lopdf reads them.
fn box_of(dict: &[u8], key: &[u8]) -> Option<[f32; 4]> {
    let at = find(dict, key)? + key.len();
    let rest = &dict[at..];
    let open = rest.iter().position(|&b| !b.is_ascii_whitespace())?;
    if rest[open] != b'[' {
        return None;
    }
    let close = rest.iter().position(|&b| b == b']')?;
    let text = std::str::from_utf8(&rest[open + 1..close]).ok()?;
    let v: Vec<f32> = text
        .split_ascii_whitespace()
        .map(|n| n.parse::<f32>().ok())
        .collect::<Option<_>>()?;
    (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
}

/// Gives every page that has a TrimBox (Typst writes one when the page
/// has bleed) a BleedBox: the trim plus `bleed_mm`, within the MediaBox.
/// Returns whether a page changed.
pub fn add_bleed_boxes(doc: &mut lopdf::Document, bleed_mm: f64) -> bool {
    let bleed = bleed_mm * 72.0 / 25.4;
    let mut changed = false;
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().into_values().collect();
    for id in pages {
        let read = |doc: &lopdf::Document, key: &[u8]| -> Option<[f32; 4]> {
            let array = doc
                .get_dictionary(id)
                .ok()?
                .get(key)
                .ok()?
                .as_array()
                .ok()?;
            let v: Vec<f32> = array.iter().filter_map(|o| o.as_float().ok()).collect();
            (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
        };
        let (Some(media), Some(trim)) = (read(doc, b"MediaBox"), read(doc, b"TrimBox")) else {
            continue;
        };
        let b = bleed as f32;
        let bleed_box = [
            (trim[0] - b).max(media[0]),
            (trim[1] - b).max(media[1]),
            (trim[2] + b).min(media[2]),
            (trim[3] + b).min(media[3]),
        ];
        if let Ok(page) = doc.get_dictionary_mut(id) {
            page.set(
                "BleedBox",
                bleed_box
                    .iter()
                    .map(|v| lopdf::Object::Real(*v))
                    .collect::<Vec<_>>(),
            );
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bleed_box_is_trim_plus_bleed_within_the_media_box() {
        use lopdf::{dictionary, Document, Object};
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages,
            "MediaBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
            "TrimBox" => vec![5.into(), 5.into(), 95.into(), 95.into()],
        });
        doc.objects.insert(
            pages,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        let bleed_box = |doc: &Document| -> Vec<f32> {
            let page = doc.get_dictionary(page).unwrap();
            let array = page.get(b"BleedBox").unwrap().as_array().unwrap();
            array.iter().map(|o| o.as_float().unwrap()).collect()
        };
        // 3 mm = 8.5 pt: beyond the 5 pt of media on each side → clamped
        assert!(add_bleed_boxes(&mut doc, 3.0));
        let bleed = bleed_box(&doc);
        assert_eq!(bleed, [0.0, 0.0, 100.0, 100.0]);
        assert!(add_bleed_boxes(&mut doc, 1.0));
        let bleed = bleed_box(&doc);
        let b = 72.0 / 25.4;
        for (got, want) in bleed.iter().zip([5.0 - b, 5.0 - b, 95.0 + b, 95.0 + b]) {
            assert!((got - want).abs() < 1e-3, "{bleed:?}");
        }
    }

    #[test]
    fn bleed_boxes_in_place_match_the_lopdf_way() {
        use lopdf::{dictionary, Document, Object};
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let mut kids = Vec::new();
        for trim in [5.0, 12.5] {
            let page = doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages,
                "MediaBox" => vec![0.into(), 0.into(), Object::Real(100.5), 200.into()],
                "TrimBox" => vec![Object::Real(trim), Object::Real(trim), Object::Real(100.5 - trim), Object::Real(200.0 - trim)],
                "Group" => dictionary! { "S" => "Transparency" },
            });
            kids.push(page.into());
        }
        doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages, "MediaBox" => vec![0.into(), 0.into(), 10.into(), 10.into()] });
        doc.objects.insert(
            pages,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => 2 }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        // The xref stream lopdf writes by default is not what typst-pdf writes.
        let mut stream = Vec::new();
        doc.save_to(&mut stream).unwrap();
        assert_eq!(add_bleed_boxes_in_place(&mut stream, 3.0), None);
        doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        let mut patched = bytes.clone();
        assert_eq!(add_bleed_boxes_in_place(&mut patched, 3.0), Some(true));
        let mut expected = Document::load_mem(&bytes).unwrap();
        assert!(add_bleed_boxes(&mut expected, 3.0));
        let got = Document::load_mem(&patched).unwrap();
        for (id, object) in &expected.objects {
            assert_eq!(Some(object), got.objects.get(id), "object {id:?}");
        }
        // Without a TrimBox nothing changes; a second pass refuses.
        let mut again = patched.clone();
        assert_eq!(add_bleed_boxes_in_place(&mut again, 3.0), None);
        assert_eq!(
            add_bleed_boxes_in_place(&mut b"not a pdf".to_vec(), 3.0),
            None
        );
    }
}
