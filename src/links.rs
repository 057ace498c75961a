//! Personal links: `[links] personal_url = "https://example.com/k/{id}"`
//! gives every piece its own URL — columns of the people file in braces,
//! each value percent-encoded — and the QR code that prints it.
//!
//! Texts see the URL as `link`, templates read it (and the code's modules)
//! from `/data.json` as `link`, and the manifest lists it in its `link`
//! column. Without `[links]` nothing of this exists.

use std::fmt::Write as _;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use qrcode::{Color, EcLevel, QrCode};

use crate::error::{Error, Result};
use crate::load::columns::normalize;
use crate::model::Person;

/// What stays as it is in a column's value: the unreserved characters of
/// RFC 3986 (letters, digits, `-`, `.`, `_`, `~`). Everything else is
/// percent-encoded (UTF-8), so a value is one inert path segment or query
/// value: "Müller & Söhne/2" → `M%C3%BCller%20%26%20S%C3%B6hne%2F2`.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Codes wider than this (version 6, 41 × 41 modules) get small modules at
/// the printed size; the piece is made, with a warning.
pub const WIDE_MODULES: usize = 41;

/// A parsed `personal_url`: literal text and columns in turn.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPattern {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Column(String),
}

/// One piece's link: the URL, how it reads in print, and its QR code.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Link {
    pub url: String,
    /// The URL as a person reads and types it: without `https://`, and
    /// letters beyond ASCII as they are (`example.com/k/7?n=Wöstmann`, as a
    /// browser shows it); what the code holds is `url`.
    pub text: String,
    /// The QR code's modules (error correction M), row by row from the
    /// top: `1` dark, `0` light; no quiet zone (the template adds it).
    pub qr: Vec<String>,
}

impl LinkPattern {
    /// Reads `[links] personal_url`; a malformed pattern is a config error.
    pub fn parse(source: &str) -> Result<LinkPattern> {
        let bad = |why: String| {
            Error::config(format!("links.personal_url = \"{source}\": {why}")).with_hint(
                "write the address with columns of the people file in braces, e.g. \"https://example.com/k/{id}\"",
            )
        };
        let lower = source.trim_start().to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(bad(
                "a personal link starts with https:// (or http://)".into()
            ));
        }
        let mut parts = Vec::new();
        let mut rest = source;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Text(rest.to_string()));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => {
                    return Err(bad("a \"}\" without its \"{\"".into()));
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Text(rest[..i].to_string()));
                    }
                    let after = &rest[i + 1..];
                    let end = after
                        .find(['{', '}'])
                        .filter(|&j| after.as_bytes()[j] == b'}')
                        .ok_or_else(|| bad("a \"{\" without its \"}\"".into()))?;
                    let column = after[..end].trim();
                    if column.is_empty() {
                        return Err(bad("\"{}\" names no column".into()));
                    }
                    parts.push(Part::Column(column.to_string()));
                    rest = &after[end + 1..];
                }
            }
        }
        let text = parts.iter().filter_map(|p| match p {
            Part::Text(t) => Some(t),
            Part::Column(_) => None,
        });
        if text
            .flat_map(|t| t.chars())
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad(
                "the address has a space in it (a column's value is encoded, the address itself needs %20)".into(),
            ));
        }
        Ok(LinkPattern {
            source: source.to_string(),
            parts,
        })
    }

    /// The pattern as written in the campaign.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The columns the pattern names, in order.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Column(c) => Some(c.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Every column in braces must be one of the people file's (`known`,
    /// as a person has them: canonical names, then the others normalised);
    /// checked once before a run.
    pub fn check_columns(&self, known: &[String]) -> Result<()> {
        let unknown: Vec<&str> = self
            .columns()
            .filter(|c| resolve(c, known.iter().map(String::as_str)).is_none())
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(Error::config(format!(
            "links.personal_url \"{}\" uses {} the people file does not have: {}",
            self.source,
            if unknown.len() == 1 {
                "a column"
            } else {
                "columns"
            },
            unknown.join(", ")
        ))
        .with_hint(format!("the people file's columns: {}", known.join(", "))))
    }

    /// The person's URL, each column's value percent-encoded. An empty
    /// value would print half a link: that is an error naming the column.
    pub fn url(&self, person: &Person) -> std::result::Result<String, String> {
        self.build(person, false)
    }

    /// The URL, or (`readable`) its printed text: column values with their
    /// letters beyond ASCII unencoded.
    fn build(&self, person: &Person, readable: bool) -> std::result::Result<String, String> {
        let mut url = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => url.push_str(t),
                Part::Column(c) if readable => {
                    let value = self.value(person, c)?;
                    for ch in value.chars() {
                        if !ch.is_ascii() && ch.is_alphanumeric() {
                            url.push(ch);
                        } else {
                            let mut buf = [0; 4];
                            let s: &str = ch.encode_utf8(&mut buf);
                            write!(url, "{}", utf8_percent_encode(s, VALUE)).expect("to a String");
                        }
                    }
                }
                Part::Column(c) => {
                    let value = self.value(person, c)?;
                    write!(url, "{}", utf8_percent_encode(value, VALUE)).expect("to a String");
                }
            }
        }
        Ok(url)
    }

    /// A column's value for the link; empty is an error naming the column.
    fn value<'p>(&self, person: &'p Person, column: &str) -> std::result::Result<&'p str, String> {
        let value = resolve(column, person.fields.keys().map(String::as_str))
            .map(|name| person.get(name).trim())
            .unwrap_or("");
        if value.is_empty() {
            return Err(format!(
                "the personal link needs column \"{column}\", which is empty for this person"
            ));
        }
        Ok(value)
    }

    /// The person's link: URL, printed text and QR code.
    pub fn link(&self, person: &Person) -> std::result::Result<Link, String> {
        let url = self.url(person)?;
        let qr = qr_rows(&url)?;
        let full = self.build(person, true)?;
        let lower = full.to_ascii_lowercase();
        let text = ["https://", "http://"]
            .iter()
            .find(|scheme| lower.starts_with(*scheme))
            .map(|scheme| full[scheme.len()..].to_string())
            .unwrap_or(full);
        Ok(Link { url, text, qr })
    }
}

/// The column a placeholder names: as written, else as the loader
/// normalises headers (`{Kunden Nr}` → `kunden_nr`).
fn resolve<'a>(
    placeholder: &str,
    mut names: impl Iterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    if let Some(name) = names.clone().find(|n| *n == placeholder) {
        return Some(name);
    }
    let normalised = normalize(placeholder);
    names.find(|n| *n == normalised)
}

/// The QR code of `url` (error correction M) as rows of `1` (dark) and `0`.
pub fn qr_rows(url: &str) -> std::result::Result<Vec<String>, String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| {
        format!(
            "the personal link ({} characters) does not fit in a QR code: {e}",
            url.len()
        )
    })?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors
        .chunks(width)
        .map(|row| {
            row.iter()
                .map(|c| if *c == Color::Dark { '1' } else { '0' })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(fields: &[(&str, &str)]) -> Person {
        Person {
            id: "K-1".into(),
            line: 2,
            ..Person::with_fields(fields.iter().copied())
        }
    }

    #[test]
    fn values_are_percent_encoded() {
        let p = LinkPattern::parse("https://example.com/k/{id}?n={last_name}").unwrap();
        let anna = person(&[("id", "K-1001"), ("last_name", "Müller & Söhne/2 ~x")]);
        assert_eq!(
            p.url(&anna).unwrap(),
            "https://example.com/k/K-1001?n=M%C3%BCller%20%26%20S%C3%B6hne%2F2%20~x"
        );
        assert_eq!(p.columns().collect::<Vec<_>>(), ["id", "last_name"]);
    }

    #[test]
    fn the_printed_text_keeps_letters_and_drops_the_scheme() {
        let p = LinkPattern::parse("HTTPS://example.com/k/{id}?n={last_name}").unwrap();
        let link = p
            .link(&person(&[
                ("id", "K-1002"),
                ("last_name", "Große-Wöstmann & Co/2"),
            ]))
            .unwrap();
        assert_eq!(
            link.url,
            "HTTPS://example.com/k/K-1002?n=Gro%C3%9Fe-W%C3%B6stmann%20%26%20Co%2F2"
        );
        assert_eq!(
            link.text,
            "example.com/k/K-1002?n=Große-Wöstmann%20%26%20Co%2F2"
        );
    }

    #[test]
    fn an_empty_value_names_the_column() {
        let p = LinkPattern::parse("https://example.com/{id}/{email}").unwrap();
        let e = p
            .url(&person(&[("id", "K-1"), ("email", " ")]))
            .unwrap_err();
        assert!(e.contains("\"email\""), "{e}");
    }

    #[test]
    fn placeholders_match_columns_as_written_or_normalised() {
        let known: Vec<String> = ["id", "kunden_nr"].map(String::from).to_vec();
        LinkPattern::parse("https://x.de/{Kunden Nr}")
            .unwrap()
            .check_columns(&known)
            .unwrap();
        let e = LinkPattern::parse("https://x.de/{id}/{kundennummer}")
            .unwrap()
            .check_columns(&known)
            .unwrap_err();
        let e = format!("{e:?}");
        assert!(
            e.contains("kundennummer") && e.contains("id, kunden_nr"),
            "{e}"
        );
        let p = LinkPattern::parse("https://x.de/{Kunden Nr}").unwrap();
        assert_eq!(
            p.url(&person(&[("kunden_nr", "7 7")])).unwrap(),
            "https://x.de/7%207"
        );
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "example.com/{id}",
            "https://x.de/{id",
            "https://x.de/id}",
            "https://x.de/{}",
            "https://x.de/{a{b}}",
            "https://x.de/a b/{id}",
        ] {
            assert!(LinkPattern::parse(bad).is_err(), "{bad}");
        }
        assert!(LinkPattern::parse("HTTP://x.de/{id}").is_ok());
    }

    #[test]
    fn qr_rows_are_a_square_of_modules() {
        let rows = qr_rows("https://example.com/k/K-1001?n=M%C3%BCller").unwrap();
        // 42 bytes at level M: version 4, 33 × 33 modules
        assert_eq!(rows.len(), 33);
        assert!(rows.iter().all(|r| r.len() == 33));
        // the finder pattern in the top-left corner
        assert!(rows[0].starts_with("1111111"));
        assert!(rows[1].starts_with("1000001"));
        assert!(qr_rows(&"x".repeat(3000)).is_err());
    }
}
