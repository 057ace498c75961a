//! `.ods` sheets, streamed from `content.xml` cell by cell.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::Data;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;

use super::sheet::{cannot_open, pick_sheet, SheetCells};
use super::Table;
use crate::error::{Error, Result};
use crate::limits::TABLE_BYTES;

type OdsXml<'z> = quick_xml::Reader<BufReader<zip::read::ZipFile<'z, BufReader<File>>>>;

/// An `.ods` sheet, streamed from `content.xml` cell by cell into
/// [`SheetCells`]: calamine reads every sheet of the workbook into a dense
/// grid when it opens it (100 million cells at most, 32 bytes each). A
/// repeated empty row or cell (`table:number-rows-repeated`,
/// `table:number-columns-repeated`) only moves the position; a repeated
/// cell with content is that content each time, and counts each time. The
/// values are those calamine 0.38 reads (`ods.rs` `get_datatype`), so a
/// cell reads as it did.
/// The names of the sheets, in order, each sheet skipped unread.
pub(super) fn sheet_names(path: &Path) -> Result<Vec<String>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| cannot_open(path, e))?;
    check_ods_package(&mut zip).map_err(|e| cannot_open(path, e))?;
    let content = zip
        .by_name("content.xml")
        .map_err(|e| cannot_open(path, format!("content.xml: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content));
    xml.config_mut().check_end_names = false;
    let (mut names, mut buf, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name() == QName("table:table") => {
                let name = attr(&e, "table:name").map_err(|e| cannot_open(path, e))?;
                names.extend(name);
                xml.read_to_end_into(e.name(), &mut skipped)
                    .map_err(|e| cannot_open(path, e))?;
                skipped.clear();
            }
            Ok(Event::Eof) => return Ok(names),
            Ok(_) => {}
            Err(e) => return Err(cannot_open(path, e)),
        }
    }
}

pub(super) fn read_ods(path: &Path, sheet: Option<&str>) -> Result<Table> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| cannot_open(path, e))?;
    check_ods_package(&mut zip).map_err(|e| cannot_open(path, e))?;
    let content = zip
        .by_name("content.xml")
        .map_err(|e| cannot_open(path, format!("content.xml: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut names = Vec::new();
    let mut buf = Vec::new();
    let mut skipped = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name() == QName("table:table") => {
                let name = attr(&e, "table:name").map_err(|e| cannot_open(path, e))?;
                let Some(name) = name else { continue };
                let wanted = match sheet {
                    Some(wanted) => name == wanted,
                    None => names.is_empty(),
                };
                if wanted {
                    let cells = read_ods_table(&mut xml, SheetCells::new(path, name))?;
                    return cells.finish("ods");
                }
                names.push(name);
                xml.read_to_end_into(e.name(), &mut skipped)
                    .map_err(|e| cannot_open(path, e))?;
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(cannot_open(path, e)),
        }
    }
    pick_sheet(path, names, sheet)?;
    Err(cannot_open(path, "the sheet was not found"))
}

/// The checks calamine makes before reading: the package says it is a
/// spreadsheet, and is not encrypted.
fn check_ods_package(
    zip: &mut zip::ZipArchive<BufReader<File>>,
) -> std::result::Result<(), String> {
    const MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";
    let mut mimetype = [0u8; MIMETYPE.len()];
    zip.by_name("mimetype")
        .and_then(|mut f| Ok(f.read_exact(&mut mimetype)?))
        .map_err(|e| format!("mimetype: {e}"))?;
    if mimetype != MIMETYPE {
        return Err(format!(
            "not an OpenDocument spreadsheet (mimetype {:?})",
            String::from_utf8_lossy(&mimetype)
        ));
    }
    let manifest = zip
        .by_name("META-INF/manifest.xml")
        .map_err(|e| format!("META-INF/manifest.xml: {e}"))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(manifest));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.name() == QName("manifest:encryption-data") =>
            {
                return Err("the workbook is password protected".into());
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// An attribute's value, unescaped.
fn attr(e: &BytesStart<'_>, key: &str) -> std::result::Result<Option<String>, String> {
    match e.try_get_attribute(key) {
        Ok(Some(a)) => Ok(Some(
            quick_xml::escape::unescape(&a.value)
                .map_err(|e| e.to_string())?
                .into_owned(),
        )),
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// A `table:number-…-repeated` count: 1 when absent.
fn repeats(e: &BytesStart<'_>, key: &str) -> std::result::Result<u64, String> {
    match attr(e, key)? {
        None => Ok(1),
        Some(n) => n
            .parse()
            .map_err(|_| format!("{key} is not a count: {n:?}")),
    }
}

/// The rows of the table whose start tag was just read, to its end tag.
fn read_ods_table<'p>(xml: &mut OdsXml<'_>, mut cells: SheetCells<'p>) -> Result<SheetCells<'p>> {
    let mut buf = Vec::new();
    let mut row_buf = Vec::new();
    let mut cell_buf = Vec::new();
    let mut row = 0u64;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name() == QName("table:table-row") => {
                let times =
                    repeats(&e, "table:number-rows-repeated").map_err(|e| cells.unreadable(e))?;
                let from = cells.cells.len();
                read_ods_row(xml, &mut cells, row, &mut row_buf, &mut cell_buf)?;
                if times > 1 {
                    cells.repeat_rows(from, times - 1)?;
                }
                row = row.saturating_add(times);
            }
            Ok(Event::End(e)) if e.name() == QName("table:table") => return Ok(cells),
            Ok(Event::Eof) => return Err(cells.unreadable("the table does not end")),
            Ok(_) => {}
            Err(e) => return Err(cells.unreadable(e)),
        }
    }
}

/// The cells of the row whose start tag was just read, to its end tag.
fn read_ods_row(
    xml: &mut OdsXml<'_>,
    cells: &mut SheetCells<'_>,
    row: u64,
    row_buf: &mut Vec<u8>,
    cell_buf: &mut Vec<u8>,
) -> Result<()> {
    let mut col = 0u64;
    loop {
        row_buf.clear();
        match xml.read_event_into(row_buf) {
            Ok(Event::Start(e))
                if e.name() == QName("table:table-cell")
                    || e.name() == QName("table:covered-table-cell") =>
            {
                let times = repeats(&e, "table:number-columns-repeated")
                    .map_err(|e| cells.unreadable(e))?;
                let at = (
                    u32::try_from(row).unwrap_or(u32::MAX),
                    u32::try_from(col).unwrap_or(u32::MAX),
                );
                let (value, closed) = ods_value(xml, &e, cell_buf, cells, at)?;
                if !closed {
                    xml.read_to_end_into(e.name(), cell_buf)
                        .map_err(|e| cells.unreadable(e))?;
                }
                if !matches!(value, Data::Empty) {
                    let (Ok(r), Ok(c)) = (u32::try_from(row), u32::try_from(col)) else {
                        return Err(cells.unreadable("a cell lies beyond the last row or column"));
                    };
                    cells.push(r, c, times, &value)?;
                }
                col = col.saturating_add(times);
            }
            Ok(Event::End(e)) if e.name() == QName("table:table-row") => return Ok(()),
            Ok(Event::Eof) => return Err(cells.unreadable("a row does not end")),
            // Between cells: white space of a pretty-printed file, comments.
            Ok(_) => {}
            Err(e) => return Err(cells.unreadable(e)),
        }
    }
}

/// The value of the cell whose start tag `e` is, as calamine 0.38 reads it
/// (`ods.rs` `get_datatype`): the first value attribute decides; a string
/// cell without `office:string-value`, or an error cell, is its text, the
/// paragraphs joined with line breaks. Also whether the cell's end tag
/// was read.
fn ods_value(
    xml: &mut OdsXml<'_>,
    e: &BytesStart<'_>,
    buf: &mut Vec<u8>,
    cells: &SheetCells<'_>,
    at: (u32, u32),
) -> Result<(Data, bool)> {
    let (value, is_string, is_error) = ods_attributes(e, cells)?;
    let read_text = match &value {
        None => is_string,
        Some(Data::String(s)) => is_error && s.is_empty(),
        Some(_) => false,
    };
    if !read_text {
        return Ok((value.unwrap_or(Data::Empty), false));
    }
    ods_text(xml, buf, cells, at).map(|text| (Data::String(text), true))
}

/// The value a cell's attributes give (the first value attribute), and
/// whether it is a string cell and an error cell.
fn ods_attributes(
    e: &BytesStart<'_>,
    cells: &SheetCells<'_>,
) -> Result<(Option<Data>, bool, bool)> {
    let mut is_string = false;
    let mut is_error = false;
    let mut value = None;
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| cells.unreadable(e))?;
        let raw = a.value.as_ref();
        let unescaped = || {
            quick_xml::escape::unescape(raw)
                .map(|s| s.into_owned())
                .map_err(|e| cells.unreadable(e))
        };
        match a.key.as_ref() {
            "office:value" if value.is_none() => {
                let f = raw
                    .parse::<f64>()
                    .map_err(|_| cells.unreadable(format!("{raw:?} is not a number")))?;
                value = Some(Data::Float(f));
            }
            "office:string-value" if value.is_none() => value = Some(Data::String(unescaped()?)),
            "office:date-value" if value.is_none() => value = Some(Data::DateTimeIso(unescaped()?)),
            "office:time-value" if value.is_none() => value = Some(Data::DurationIso(unescaped()?)),
            "office:boolean-value" if value.is_none() => {
                value = Some(Data::Bool(raw == "TRUE" || raw == "true"));
            }
            "office:value-type" if value.is_none() => is_string = raw == "string",
            "calcext:value-type" => is_error = raw == "error",
            _ => {}
        }
    }
    Ok((value, is_string, is_error))
}

/// A cell's text up to its end tag: the paragraphs joined with line
/// breaks, spaces, tabs and breaks as written, annotations left out.
fn ods_text(
    xml: &mut OdsXml<'_>,
    buf: &mut Vec<u8>,
    cells: &SheetCells<'_>,
    at: (u32, u32),
) -> Result<String> {
    let mut s = String::new();
    let mut first_paragraph = true;
    let more = |s: &mut String, text: &str, times: u64| {
        // The sheet's text so far, this cell's and what is added.
        let after = (cells.bytes + s.len() as u64)
            .saturating_add((text.len() as u64).saturating_mul(times));
        if after > TABLE_BYTES {
            return Err(cells.too_much_text(at));
        }
        for _ in 0..times {
            s.push_str(text);
        }
        Ok(())
    };
    loop {
        buf.clear();
        match xml.read_event_into(buf) {
            Ok(Event::Text(t)) => more(&mut s, &t.xml10_content(), 1)?,
            Ok(Event::GeneralRef(r)) => {
                if let Some(entity) = quick_xml::escape::resolve_xml_entity(&r) {
                    more(&mut s, entity, 1)?;
                } else if let Some(c) = r.resolve_char_ref().map_err(|e| cells.unreadable(e))? {
                    more(&mut s, c.encode_utf8(&mut [0; 4]), 1)?;
                } else {
                    return Err(cells.unreadable(format!("unknown entity &{};", &*r)));
                }
            }
            Ok(Event::End(e))
                if e.name() == QName("table:table-cell")
                    || e.name() == QName("table:covered-table-cell") =>
            {
                return Ok(s);
            }
            Ok(Event::Start(e)) if e.name() == QName("office:annotation") => {
                xml.read_to_end_into(e.name(), &mut Vec::new())
                    .map_err(|e| cells.unreadable(e))?;
            }
            Ok(Event::Start(e)) if e.name() == QName("text:p") => {
                if !std::mem::take(&mut first_paragraph) {
                    more(&mut s, "\n", 1)?;
                }
            }
            Ok(Event::Start(e)) if e.name() == QName("text:s") => {
                let n = match attr(&e, "text:c").map_err(|e| cells.unreadable(e))? {
                    None => 1,
                    Some(n) => n
                        .parse()
                        .map_err(|_| cells.unreadable(format!("text:c is not a count: {n:?}")))?,
                };
                more(&mut s, " ", n)?;
            }
            Ok(Event::Start(e)) if e.name() == QName("text:tab") => more(&mut s, "\t", 1)?,
            Ok(Event::Start(e)) if e.name() == QName("text:line-break") => more(&mut s, "\n", 1)?,
            Ok(Event::Eof) => return Err(cells.unreadable("a cell does not end")),
            Ok(_) => {}
            Err(e) => return Err(cells.unreadable(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::load::read::sheet::cell_text;
    use crate::load::read::{Format, Rows};
    use calamine::Reader;

    /// How an `.ods` was read before: calamine's dense grid over the used
    /// range (`worksheet_range`), kept here as the reference.
    fn dense(path: &Path, sheet: Option<&str>) -> Result<Table> {
        let ext = "ods";
        let mut workbook = calamine::open_workbook_auto(path).map_err(|e| {
            Error::input(
                Location::file(path),
                format!("cannot open the workbook: {e}"),
            )
            .with_hint("save it again from Excel or LibreOffice as .xlsx or .ods")
        })?;
        let name = pick_sheet(path, workbook.sheet_names(), sheet)?;
        let range = workbook.worksheet_range(&name).map_err(|e| {
            Error::input(
                Location::file(path),
                format!("cannot read sheet \"{name}\": {e}"),
            )
        })?;
        let (first_row, _) = range.start().unwrap_or((0, 0));
        let mut rows_iter = range.rows().enumerate();
        let mut headers = Vec::new();
        // The first non-empty row is the header.
        for (_, row) in rows_iter.by_ref() {
            if row.iter().any(|c| !matches!(c, Data::Empty)) {
                headers = row
                    .iter()
                    .map(|c| cell_text(c).trim().to_string())
                    .collect();
                break;
            }
        }
        let mut rows = Rows::default();
        for (i, row) in rows_iter {
            let cells: Vec<String> = row.iter().map(cell_text).collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push(
                first_row as u64 + i as u64 + 1,
                cells.iter().map(String::as_str),
            );
        }
        if let Some(Data::Error(e)) = range.rows().flatten().find(|c| matches!(c, Data::Error(_))) {
            return Err(Error::input(
                Location::file(path),
                format!("a cell in sheet \"{name}\" holds an error ({e})"),
            )
            .with_hint("fix the formula in the sheet, or export the values"));
        }
        Ok(Table {
            headers,
            rows: rows.finish(),
            format: Format {
                kind: ext.to_uppercase(),
                encoding: None,
                delimiter: None,
                detail: None,
                sheet: Some(name),
            },
        })
    }

    /// An `.ods` package whose spreadsheet holds `tables` (their XML).
    fn ods(tables: &str) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("META-INF/manifest.xml", stored).unwrap();
        zip.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>").unwrap();
        zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        write!(
            zip,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content \
             xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
             xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
             xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" \
             xmlns:calcext=\"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0\" \
             office:version=\"1.3\"><office:body><office:spreadsheet>{tables}\
             </office:spreadsheet></office:body></office:document-content>"
        )
        .unwrap();
        zip.finish().unwrap().into_inner()
    }

    fn assert_same(a: &Table, b: &Table) {
        assert_eq!(a.headers, b.headers);
        let rows = |t: &Table| -> Vec<(u64, Vec<String>)> {
            t.rows
                .iter()
                .map(|r| (r.line, r.cells().iter().map(|c| c.to_string()).collect()))
                .collect()
        };
        assert_eq!(rows(a), rows(b));
        assert_eq!(a.format.kind, b.format.kind);
        assert_eq!(a.format.sheet, b.format.sheet);
    }

    /// The .ods reader streams the sheet and keeps only cells with
    /// content; what it reads is what calamine's dense grid gave.
    #[test]
    fn ods_reads_as_calamine_did() {
        let s = |t: &str| {
            format!("<table:table-cell office:value-type=\"string\" calcext:value-type=\"string\"><text:p>{t}</text:p></table:table-cell>")
        };
        let f = |v: &str| {
            format!("<table:table-cell office:value-type=\"float\" office:value=\"{v}\"><text:p>{v}</text:p></table:table-cell>")
        };
        let empty = |n: u32| format!("<table:table-cell table:number-columns-repeated=\"{n}\"/>");
        let kunden = [
            "<table:table table:name=\"Kunden\"><table:table-column table:number-columns-repeated=\"9\"/>".to_string(),
            format!("<table:table-row table:number-rows-repeated=\"2\">{}</table:table-row>", empty(9)),
            format!(
                "<table:table-row>{}{}{}{}{}{}{}{}{}{}</table:table-row>",
                empty(1), s("id"), s("name"), s("born"), s("amount"), s("flag"), s("time"), s("pct"), s("sum"), empty(1000)
            ),
            format!(
                "<table:table-row>{}<table:table-cell office:value-type=\"string\" office:string-value=\"K-&amp;1\"><text:p>ignored</text:p></table:table-cell>\
                 <table:table-cell office:value-type=\"string\"><office:annotation><text:p>a note</text:p></office:annotation><text:p>Anna <text:span>M&amp;&#x263A;ller</text:span></text:p><text:p>line<text:s text:c=\"3\"/>two<text:tab/>x<text:line-break/>y<text:s/></text:p></table:table-cell>\
                 <table:table-cell office:value-type=\"date\" office:date-value=\"1961-04-03\"><text:p>03.04.1961</text:p></table:table-cell>\
                 {}<table:table-cell office:value-type=\"boolean\" office:boolean-value=\"true\"><text:p>TRUE</text:p></table:table-cell>\
                 <table:table-cell office:value-type=\"time\" office:time-value=\"PT12H30M00S\"><text:p>12:30</text:p></table:table-cell>\
                 <table:table-cell office:value-type=\"percentage\" office:value=\"0.15\"><text:p>15%</text:p></table:table-cell>\
                 <table:table-cell office:value-type=\"currency\" office:currency=\"EUR\" office:value=\"1e20\"><text:p>x</text:p></table:table-cell></table:table-row>",
                empty(1), f("1234.5")
            ),
            format!(
                "<table:table-row table:number-rows-repeated=\"3\">{}{}<table:table-cell office:value-type=\"float\" office:value=\"7\" table:number-columns-repeated=\"3\"><text:p>7</text:p></table:table-cell>{}</table:table-row>",
                empty(1), s("R"), s(" ")
            ),
            format!("<table:table-row table:number-rows-repeated=\"1000\">{}</table:table-row>", empty(9)),
            format!(
                "<table:table-row>{}<table:table-cell table:formula=\"of:=1/0\" office:value-type=\"string\" office:string-value=\"\" calcext:value-type=\"error\"><text:p>#DIV/0!</text:p></table:table-cell>\
                 <table:table-cell table:formula=\"of:=[.A1]\"/><table:covered-table-cell office:value-type=\"date\" office:date-value=\"2026-01-02T10:30:00\"/>\
                 {}{}<table:table-cell office:value-type=\"string\"/>{}</table:table-row>",
                empty(1), f("0.30000000000000004"), f("-12"), f("100000000000000000")
            ),
            "</table:table>".to_string(),
        ]
        .concat();
        let notizen = format!(
            "<table:table table:name=\"Notizen\"><table:table-row>{}{}</table:table-row><table:table-row>{}{}</table:table-row></table:table>",
            s("Stand"), s("Notiz"), f("1"), s("&lt;b&gt;")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ods");
        std::fs::write(&path, ods(&format!("{kunden}{notizen}"))).unwrap();
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports/customers.ods");
        for (path, sheets) in [
            (path.as_path(), [None, Some("Kunden"), Some("Notizen")]),
            (fixture.as_path(), [None, Some("Kunden"), Some("Notizen")]),
        ] {
            for sheet in sheets {
                let sparse = read_ods(path, sheet).unwrap();
                let dense = dense(path, sheet).unwrap();
                assert_same(&sparse, &dense);
            }
            let sparse = read_ods(path, Some("Adressen")).unwrap_err().to_string();
            let dense = dense(path, Some("Adressen")).unwrap_err().to_string();
            assert_eq!(sparse, dense);
        }
        // What the generated sheet holds, as text.
        let table = read_ods(&path, None).unwrap();
        assert_eq!(
            table.headers,
            ["id", "name", "born", "amount", "flag", "time", "pct", "sum"]
        );
        let row = table.rows.get(0);
        assert_eq!(row.line, 4);
        assert_eq!(
            row.cells(),
            [
                "K-&1",
                "Anna M&\u{263A}ller\nline   two\tx\ny",
                "1961-04-03",
                "1234.5",
                "TRUE",
                "PT12H30M00S",
                "0.15",
                "100000000000000000000"
            ]
        );
        assert_eq!(
            table.rows.get(1).cells(),
            ["R", "7", "7", "7", "", "", "", ""]
        );
        assert_eq!(table.rows.get(3).line, 7);
        let last = table.rows.get(4);
        assert_eq!(last.line, 1008);
        assert_eq!(
            last.cells(),
            [
                "#DIV/0!",
                "",
                "2026-01-02",
                "0.30000000000000004",
                "-12",
                "",
                "100000000000000000",
                ""
            ]
        );
    }
}
