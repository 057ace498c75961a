//! CSV as Excel, Outlook and CRMs write it: UTF-8 with or without BOM,
//! UTF-16, Windows-1252; comma, semicolon or tab; a broken quote or a
//! ragged row named at its line and column.

use std::path::Path;

use super::{Format, Rows, Table};
use crate::error::{Error, Location, Result};
use crate::limits::COLUMNS;

pub(super) fn read_csv(path: &Path) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (text, encoding) = decode(&bytes);
    let (detail, text, skipped) = datev_preamble(path, text.as_ref())?;
    let delimiter = detect_delimiter(text);
    check_records(path, text, delimiter, skipped)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e, skipped))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Rows::default();
    rows.reserve(text.len());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, e, skipped)),
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0) + skipped;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank line at the end of an Excel export
        }
        rows.push(line, record.iter());
    }
    let delimiter = match delimiter {
        b'\t' => "tab".to_string(),
        d => char::from(d).to_string(),
    };
    Ok(Table {
        headers,
        rows: rows.finish(),
        format: Format {
            kind: "CSV".into(),
            encoding: Some(encoding),
            delimiter: Some(delimiter),
            sheet: None,
            detail,
        },
    })
}

/// DATEV's files start with a format line (`"EXTF";700;16;"Debitoren/
/// Kreditoren";5;…`, or `DTVF` from older versions) before the column
/// names: it is taken off and described (`EXTF 700, Debitoren/Kreditoren`);
/// the lines below keep their numbers in the file. A file that ends after
/// it was cut off.
fn datev_preamble<'t>(path: &Path, text: &'t str) -> Result<(Option<String>, &'t str, u64)> {
    let first = text.lines().next().unwrap_or("");
    let unquote = |f: &str| f.trim().trim_matches('"').to_string();
    let fields: Vec<String> = first.split(';').map(unquote).collect();
    if !matches!(fields[0].as_str(), "EXTF" | "DTVF") {
        return Ok((None, text, 0));
    }
    let mut detail = fields[..2].join(" ");
    if let Some(name) = fields.get(3).filter(|n| !n.is_empty()) {
        detail += &format!(", {name}");
    }
    let rest = text[first.len()..].trim_start_matches(['\r', '\n']);
    if rest.trim().is_empty() {
        return Err(Error::input(
            Location::at(path, 2, None),
            format!("the DATEV export ends after its format line ({detail}): the line with the column names and the accounts are missing"),
        )
        .with_hint("the file was cut off: export it again from DATEV (Stammdaten → Debitoren/Kreditoren → Export) and do not open and save it in between"));
    }
    Ok((Some(detail), rest, 1))
}

/// Decodes bytes as the office wrote them: a BOM decides (UTF-8, UTF-16);
/// valid UTF-8 is UTF-8; anything else is detected (German Excel writes
/// Windows-1252). Never fails: every byte sequence decodes to something,
/// and the detected encoding is reported so a wrong guess is visible.
pub fn decode(bytes: &[u8]) -> (std::borrow::Cow<'_, str>, String) {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (text, format!("{} with BOM", encoding.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (std::borrow::Cow::Borrowed(text), "UTF-8".into());
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
    let (text, _, _) = encoding.decode(bytes);
    (text, encoding.name().to_string())
}

/// Picks `,`, `;` or tab: whichever occurs most often in the header line
/// outside quotes. German Excel writes `;`, "Unicode text" tabs.
fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for c in header.bytes() {
        if c == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            for (d, n) in counts.iter_mut() {
                if *d == c {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map(|(d, _)| *d)
        .unwrap_or(b',')
}

/// Finds a quoted field that is never closed, and a record wider than
/// [`COLUMNS`], before the CSV parser sees them: it would read the first to
/// the end of the file as one field (we want the line where it opened), and
/// hold 8 bytes for every field of the second.
fn check_records(path: &Path, text: &str, delimiter: u8, skipped: u64) -> Result<()> {
    let delimiter = char::from(delimiter);
    let (mut line, mut col) = (1 + skipped, 0u64);
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut opened = (0, 0);
    let mut fields = 1u64;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        col += 1;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    col += 1;
                } else {
                    in_quotes = false;
                }
            } else if c == '\n' {
                line += 1;
                col = 0;
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                opened = (line, col);
            }
            '\n' => {
                line += 1;
                col = 0;
                at_field_start = true;
                fields = 1;
                continue;
            }
            c if c == delimiter => {
                at_field_start = true;
                fields += 1;
                if fields > COLUMNS {
                    return Err(Error::input(
                        Location::at(path, line, Some(col)),
                        format!("more than {COLUMNS} columns in one line"),
                    )
                    .with_hint("a customer list has a few dozen columns: check that this is the table, or export it again"));
                }
                continue;
            }
            '\r' | '\u{feff}' => continue,
            _ => {}
        }
        at_field_start = false;
    }
    if in_quotes {
        return Err(Error::input(
            Location::at(path, opened.0, Some(opened.1)),
            "a quoted field starts here and is never closed",
        )
        .with_hint("add the closing \" (a \" inside a field is written as \"\")"));
    }
    Ok(())
}

fn csv_error(path: &Path, e: csv::Error, skipped: u64) -> Error {
    let line = e.position().map(|p| p.line() + skipped);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::input(
            Location {
                file: path.to_path_buf(),
                line,
                column: None,
            },
            format!("this row has {len} fields, the header has {expected_len}"),
        )
        .with_hint(
            "check for a missing or extra delimiter, or a field with a delimiter that needs quotes",
        ),
        csv::ErrorKind::Io(io) => Error::io(path, std::io::Error::new(io.kind(), io.to_string())),
        _ => Error::input(
            Location {
                file: path.to_path_buf(),
                line,
                column: None,
            },
            e.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_detected_outside_quotes() {
        assert_eq!(detect_delimiter("id;name;\"a,b\"\n"), b';');
        assert_eq!(detect_delimiter("id,name,\"a;b\"\n"), b',');
        assert_eq!(detect_delimiter("id\tname\n"), b'\t');
    }

    #[test]
    fn unclosed_quote_names_where_it_opened() {
        let err =
            check_records(Path::new("x.csv"), "id,name\n1,\"Anna\n2,Bob\n", b',', 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv:2:3: a quoted field starts here and is never closed"
        );
        assert!(check_records(
            Path::new("x.csv"),
            "id,name\n1,\"An \"\"na\"\"\"\n",
            b',',
            0
        )
        .is_ok());
    }

    #[test]
    fn columns_are_counted_per_line_and_outside_quotes() {
        let wide = |n: usize| vec!["x"; n].join(";");
        let path = Path::new("x.csv");
        // each line up to the limit, a quoted field of semicolons as one
        let ok = format!(
            "{}\n{}\n\"{}\";b\n",
            wide(100_000),
            wide(100_000),
            wide(200_000)
        );
        assert!(check_records(path, &ok, b';', 0).is_ok());
        let err = check_records(path, &format!("id\n{}\n", wide(100_001)), b';', 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv:2:200000: more than 100000 columns in one line"
        );
    }

    #[test]
    fn encodings_are_detected() {
        let (text, enc) = decode("Straße".as_bytes());
        assert_eq!((text.as_ref(), enc.as_str()), ("Straße", "UTF-8"));
        let (text, enc) = decode(b"\xEF\xBB\xBFStra\xC3\x9Fe");
        assert_eq!((text.as_ref(), enc.as_str()), ("Straße", "UTF-8 with BOM"));
        let (text, enc) = decode(b"\xFF\xFES\x00t\x00r\x00a\x00\xDF\x00e\x00");
        assert_eq!(
            (text.as_ref(), enc.as_str()),
            ("Straße", "UTF-16LE with BOM")
        );
        let cp1252 = b"Kundennr;Stra\xDFe;Ort\n1;K\xF6nigstra\xDFe 5;M\xFCnchen\n";
        let (text, enc) = decode(cp1252);
        assert_eq!(enc, "windows-1252");
        assert!(text.contains("Königstraße 5;München"));
    }
}
