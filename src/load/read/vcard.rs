//! vCard files (`.vcf`) as address books write them: Apple Contacts and
//! Google Contacts (3.0), files in 4.0, Outlook (2.1). Lines folded at 75
//! octets (the fold can fall inside a UTF-8 character, so lines are joined
//! as bytes and decoded after), quoted-printable values with their
//! `CHARSET` and soft line breaks, quoted parameters that hold `:` or `;`,
//! `\,` `\;` `\n` escapes, grouped properties (`item1.ADR`). Each card
//! becomes one row of a table with fixed headers, so the rest of the
//! loader maps it like any export.
//!
//! Written here rather than taken from a crate: the crates at hand read
//! only 4.0 (RFC 6350), or skip quoted-printable and charsets, or do not
//! say on which line a broken card is — and this one is small.

use std::path::Path;

use super::{Format, Rows, Table};
use crate::error::{Error, Location, Result};

/// The columns a card becomes (the names the general aliases know).
const HEADERS: [&str; 24] = [
    "Name Prefix",
    "First Name",
    "Middle Name",
    "Last Name",
    "Name Suffix",
    "Organization Name",
    "Organization Department",
    "Job Title",
    "Street",
    "Extended Address",
    "PO Box",
    "City",
    "Region",
    "Postal Code",
    "Country",
    "E-mail",
    "Phone",
    "Birthday",
    "Anniversary",
    "Categories",
    "Note",
    "Formatted Name",
    "Kind",
    "UID",
];

/// One content line: property name (upper case, group dropped), its
/// parameters (names upper case; a bare `HOME` of 2.1 is `TYPE=HOME`) and
/// its value, decoded.
#[derive(Debug)]
struct Property {
    line: u64,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Marked as the preferred one (`TYPE=pref` in 3.0, `PREF=1` in 4.0,
    /// a bare `PREF` in 2.1).
    fn preferred(&self) -> bool {
        self.params.iter().any(|(n, v)| {
            n == "PREF" || n == "TYPE" && v.split(',').any(|t| t.eq_ignore_ascii_case("pref"))
        })
    }
}

pub(super) fn read_vcard(path: &Path) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut properties = Vec::new();
    for (line, raw) in logical_lines(bytes) {
        properties.push(parse_line(path, line, &raw)?);
    }
    let cards = split_cards(path, properties)?;
    let mut versions: Vec<String> = Vec::new();
    let mut rows = Rows::default();
    for (line, card) in &cards {
        if let Some(v) = card.iter().find(|p| p.name == "VERSION") {
            if !versions.contains(&v.value) {
                versions.push(v.value.clone());
            }
        }
        let cells = card_row(card);
        rows.push(*line, cells.iter().map(String::as_str));
    }
    versions.sort();
    Ok(Table {
        headers: HEADERS.iter().map(|h| h.to_string()).collect(),
        rows: rows.finish(),
        format: Format {
            kind: "vCard".into(),
            encoding: Some("UTF-8".into()),
            delimiter: None,
            sheet: None,
            detail: (!versions.is_empty()).then(|| format!("vCard {}", versions.join(", "))),
        },
    })
}

/// The file's content lines with the line each starts on: folded lines
/// (a space or tab at the start) joined, as bytes; quoted-printable soft
/// breaks (`=` at the end) joined with the next line; blank lines dropped.
fn logical_lines(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut soft_break = false;
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let folded = matches!(line.first(), Some(b' ' | b'\t'));
        match out.last_mut() {
            Some((_, last)) if folded => last.extend_from_slice(&line[1..]),
            Some((_, last)) if soft_break => last.extend_from_slice(line),
            _ if line.is_empty() => {}
            _ => out.push((n as u64 + 1, line.to_vec())),
        }
        soft_break = out.last().is_some_and(|(_, last)| {
            last.ends_with(b"=")
                && head_of(last)
                    .to_ascii_uppercase()
                    .windows(16)
                    .any(|w| w == b"QUOTED-PRINTABLE")
        });
        if soft_break {
            if let Some((_, last)) = out.last_mut() {
                last.pop();
            }
        }
    }
    out
}

/// The part of a content line before its value: up to the first `:`
/// outside double quotes (a 4.0 `LABEL="…: …"` parameter holds colons).
fn head_of(line: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_line(path: &Path, line: u64, raw: &[u8]) -> Result<Property> {
    let head = head_of(raw);
    if head.len() == raw.len() {
        let shown = String::from_utf8_lossy(&raw[..raw.len().min(40)]).into_owned();
        return Err(Error::input(
            Location::at(path, line, None),
            format!("\"{shown}\" is not a vCard line: it has no ':' between the property and its value"),
        )
        .with_hint("a line of a card looks like NAME;PARAMS:value; a continued line starts with a space. Export the contacts again, or mend this line in a text editor"));
    }
    let head = String::from_utf8_lossy(head).into_owned();
    let mut parts = split_unquoted(&head, ';').into_iter();
    let name = parts.next().unwrap_or_default();
    let name = name.rsplit('.').next().unwrap_or("").trim().to_uppercase();
    let params: Vec<(String, String)> = parts
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (
                n.trim().to_uppercase(),
                v.trim().trim_matches('"').to_string(),
            ),
            None => ("TYPE".to_string(), p.trim().to_string()),
        })
        .collect();
    let mut value = raw[head.len() + 1..].to_vec();
    let encoding = params.iter().find(|(n, _)| n == "ENCODING");
    if encoding.is_some_and(|(_, v)| v.eq_ignore_ascii_case("QUOTED-PRINTABLE")) {
        value = quoted_printable(&value);
    }
    let charset = params.iter().find(|(n, _)| n == "CHARSET").map(|(_, v)| v);
    let value = decode_value(&value, charset.map(String::as_str));
    Ok(Property {
        line,
        name,
        params,
        value,
    })
}

/// Splits at `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<String> {
    let (mut parts, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c == sep && !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
}

/// `=FC` → the byte 0xFC; anything else as it is.
fn quoted_printable(value: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        match (
            value[i],
            value.get(i + 1).and_then(|&b| hex(b)),
            value.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (b'=', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// A value's bytes as text: in its `CHARSET`, else UTF-8, else (Outlook
/// without a charset) Windows-1252.
fn decode_value(bytes: &[u8], charset: Option<&str>) -> String {
    let encoding = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
        .or_else(|| {
            std::str::from_utf8(bytes)
                .is_ok()
                .then_some(encoding_rs::UTF_8)
        })
        .unwrap_or(encoding_rs::WINDOWS_1252);
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// The cards, each with the line of its `BEGIN:VCARD`; a card that is not
/// closed, or a property outside any card, is an error at its line.
fn split_cards(path: &Path, properties: Vec<Property>) -> Result<Vec<(u64, Vec<Property>)>> {
    let mut cards = Vec::new();
    let mut open: Option<(u64, Vec<Property>)> = None;
    let at = |line| Location::at(path, line, None);
    let is = |p: &Property, v: &str| p.value.trim().eq_ignore_ascii_case(v);
    for p in properties {
        match (&p.name[..], open.take()) {
            ("BEGIN", None) if is(&p, "VCARD") => open = Some((p.line, Vec::new())),
            ("BEGIN", Some((begun, _))) if is(&p, "VCARD") => {
                return Err(Error::input(
                    at(p.line),
                    format!("a new card begins before the card of line {begun} has ended"),
                )
                .with_hint("add END:VCARD at the end of that card"))
            }
            ("END", Some(card)) if is(&p, "VCARD") => cards.push(card),
            (_, Some((begun, mut card))) => {
                card.push(p);
                open = Some((begun, card));
            }
            (_, None) => {
                return Err(Error::input(
                    at(p.line),
                    format!(
                        "\"{}\" stands outside a card (BEGIN:VCARD … END:VCARD)",
                        p.name
                    ),
                )
                .with_hint("is this a vCard file? Export the contacts again as vCard (.vcf)"))
            }
        }
    }
    if let Some((begun, _)) = open {
        return Err(Error::input(
            at(begun),
            "the card that begins here has no END:VCARD: the file was cut off",
        )
        .with_hint("export the contacts again"));
    }
    Ok(cards)
}

/// Splits a structured value at `;` that is not escaped, and unescapes
/// each component (`\,` `\;` `\\` `\n`).
fn components(value: &str) -> Vec<String> {
    let (mut parts, mut current) = (Vec::new(), String::new());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => current.push('\n'),
                Some(other) => current.push(other),
                None => {}
            },
            ';' => parts.push(std::mem::take(&mut current).trim().to_string()),
            c => current.push(c),
        }
    }
    parts.push(current.trim().to_string());
    parts
}

/// The preferred property of a name, else the first.
fn pick<'c>(card: &'c [Property], name: &str) -> Option<&'c Property> {
    let mut all = card.iter().filter(|p| p.name == name);
    let first = all.clone().next();
    all.find(|p| p.preferred()).or(first)
}

/// A birthday or anniversary as the loader reads dates: `1961-04-03`,
/// `--03-14` without a year (4.0 `--0314`, Apple's `X-APPLE-OMIT-YEAR`).
fn vcard_date(p: Option<&Property>) -> String {
    let Some(p) = p else {
        return String::new();
    };
    let v = p.value.trim();
    let v = v.split('T').next().unwrap_or(v);
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let omit_year = p.param("X-APPLE-OMIT-YEAR").is_some();
    match (v.starts_with("--"), digits.len()) {
        (true, 4) => format!("--{}-{}", &digits[..2], &digits[2..]),
        (false, 8) if omit_year => format!("--{}-{}", &digits[4..6], &digits[6..]),
        (false, 8) => format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..]),
        _ => v.to_string(),
    }
}

/// One card as a row under [`HEADERS`].
fn card_row(card: &[Property]) -> Vec<String> {
    let text = |name: &str| {
        pick(card, name)
            .map(|p| components(&p.value).join(", "))
            .unwrap_or_default()
    };
    let parts = |name: &str, n: usize| {
        let mut c = pick(card, name)
            .map(|p| components(&p.value))
            .unwrap_or_default();
        if c.len() < n {
            c.resize(n, String::new());
        }
        c
    };
    let mut n = parts("N", 5);
    let org = parts("ORG", 1);
    let formatted = text("FN");
    let kind = text("KIND").to_lowercase();
    let company_card = kind == "org"
        || kind == "organization"
        || text("X-ABSHOWAS").eq_ignore_ascii_case("company");
    if company_card {
        n = vec![String::new(); 5];
    } else if n.iter().all(String::is_empty) && !formatted.is_empty() && org[0] != formatted {
        // no structured name: the last word of the formatted one
        let (first, last) = formatted.rsplit_once(' ').unwrap_or(("", &formatted));
        n[0] = last.to_string();
        n[1] = first.to_string();
    }
    let mut adr = parts("ADR", 7);
    // A street with a line break: the rest is the address's second line.
    if let Some((street, more)) = adr[2].clone().split_once('\n') {
        adr[2] = street.trim().to_string();
        adr[1] = crate::model::join_nonempty(&[&adr[1], &more.replace('\n', " ")]);
    }
    n.truncate(5);
    let [family, given, middle, prefix, suffix] = <[String; 5]>::try_from(n).unwrap_or_default();
    vec![
        prefix,
        given,
        middle,
        family,
        suffix,
        org[0].clone(),
        org[1..]
            .iter()
            .filter(|u| !u.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        text("TITLE"),
        adr[2].clone(),
        adr[1].clone(),
        adr[0].clone(),
        adr[3].clone(),
        adr[4].clone(),
        adr[5].clone(),
        adr[6].clone(),
        text("EMAIL"),
        text("TEL"),
        vcard_date(pick(card, "BDAY")),
        vcard_date(pick(card, "ANNIVERSARY")),
        text("CATEGORIES"),
        text("NOTE"),
        formatted,
        kind,
        text("UID"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &[u8]) -> Result<Table> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.vcf");
        std::fs::write(&path, text).unwrap();
        read_vcard(&path)
    }

    #[test]
    fn folds_inside_a_character_and_quoted_printable_are_read() {
        let t = table(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Wei\u{df};J\u{fc}rgen;;Herr;\r\nNOTE:Gr\u{fc}\u{df}e\r\nEND:VCARD\r\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(t.rows.get(0).get(3), "Weiß");
        // the ü (C3 BC) folded between its two bytes
        let folded = b"BEGIN:VCARD\r\nVERSION:4.0\r\nN:Gr\xC3\r\n \xBCn;Anna;;;\r\nEND:VCARD\r\n";
        assert_eq!(table(folded).unwrap().rows.get(0).get(3), "Grün");
        let qp = b"BEGIN:VCARD\r\nVERSION:2.1\r\nADR;HOME;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:;;Bahnhofstrasse 21;Z=FC=\r\nrich;;8001;Schweiz\r\nEND:VCARD\r\n";
        let t = table(qp).unwrap();
        assert_eq!(t.rows.get(0).get(11), "Zürich");
        assert_eq!(t.format.detail.as_deref(), Some("vCard 2.1"));
    }

    #[test]
    fn broken_cards_name_their_line() {
        let e = table(b"BEGIN:VCARD\r\nVERSION:3.0\r\nN;Weiss\r\nEND:VCARD\r\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("c.vcf:3: \"N;Weiss\" is not a vCard line"),
            "{e}"
        );
        let e = table(b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:A;B;;;\r\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("c.vcf:1: the card that begins here has no END:VCARD"),
            "{e}"
        );
    }

    #[test]
    fn dates_with_and_without_year() {
        let p = |v: &str, params: Vec<(String, String)>| Property {
            line: 1,
            name: "BDAY".into(),
            params,
            value: v.into(),
        };
        assert_eq!(vcard_date(Some(&p("--0314", vec![]))), "--03-14");
        assert_eq!(vcard_date(Some(&p("19690720", vec![]))), "1969-07-20");
        assert_eq!(vcard_date(Some(&p("1961-04-03", vec![]))), "1961-04-03");
        let apple = vec![("X-APPLE-OMIT-YEAR".to_string(), "1604".to_string())];
        assert_eq!(vcard_date(Some(&p("1604-03-14", apple))), "--03-14");
    }
}
