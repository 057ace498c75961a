//! Reading a table as an office has it: CSV in whatever encoding and
//! delimiter Excel, Outlook or a CRM wrote, or the first (or a named) sheet
//! of an `.xlsx`/`.ods` workbook. Everything comes out as text, the way a
//! person sees it in the cell.

use std::path::Path;

use calamine::{Data, Reader};
use chrono::NaiveDate;

use crate::error::{Error, Location, Result};
use crate::limits::{SHEET_CELLS, TABLE_BYTES};

/// A table read from a file: original headers and text rows.
#[derive(Debug)]
pub struct Table {
    /// Headers as written in the file (trimmed).
    pub headers: Vec<String>,
    /// The rows, each with the 1-based line (CSV) or row number (sheet)
    /// where it starts.
    pub rows: Rows,
    /// What was detected, for `warmly check`.
    pub format: Format,
}

/// The rows of a table, compact: the trimmed cells of every row in one
/// string, a row's cells separated by U+001F (the unit separator), and
/// where each row starts. A list of 100 000 customers costs about its file
/// size, not a string per cell — the tables are kept for the whole run,
/// and persons are built from them one at a time.
#[derive(Debug, Default)]
pub struct Rows {
    text: String,
    /// Where each row starts in `text`.
    starts: Vec<u32>,
    lines: Vec<u32>,
}

/// Separates the cells of a row in [`Rows`]; inside a cell it becomes a space.
const UNIT: char = '\u{1f}';

impl Rows {
    /// Room for about `bytes` of text, so the buffer does not double past it.
    fn reserve(&mut self, bytes: usize) {
        self.text.reserve_exact(bytes);
    }

    /// Gives back what the buffers reserved beyond their contents.
    fn finish(mut self) -> Rows {
        self.text.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.lines.shrink_to_fit();
        self
    }

    /// Adds a row: its line and its cells (trimmed here).
    pub fn push<'c>(&mut self, line: u64, cells: impl IntoIterator<Item = &'c str>) {
        self.starts.push(offset(self.text.len()));
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.text.push(UNIT);
            }
            let cell = cell.trim();
            if cell.contains(UNIT) {
                self.text.push_str(&cell.replace(UNIT, " "));
            } else {
                self.text.push_str(cell);
            }
        }
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn get(&self, i: usize) -> Row<'_> {
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e as usize);
        Row {
            text: &self.text[start..end],
            line: u64::from(self.lines[i]),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Tables larger than 4 GiB of text are not a customer list.
fn offset(len: usize) -> u32 {
    u32::try_from(len).expect("a table holds less than 4 GiB of text")
}

/// One row of a [`Rows`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    text: &'a str,
    /// The 1-based line (CSV) or row number (sheet) where the row starts.
    pub line: u64,
}

impl<'a> Row<'a> {
    /// The cell in column `col` (0-based), empty past the last column.
    pub fn get(&self, col: usize) -> &'a str {
        self.text.split(UNIT).nth(col).unwrap_or("")
    }

    pub fn cells(&self) -> Vec<&'a str> {
        self.text.split(UNIT).collect()
    }
}

/// How the file was read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Format {
    /// `CSV`, `XLSX`, `ODS`, …
    pub kind: String,
    /// `UTF-8`, `UTF-8 with BOM`, `UTF-16LE with BOM`, `windows-1252`; none for workbooks.
    pub encoding: Option<String>,
    /// `,` `;` or `\t` for CSV.
    pub delimiter: Option<String>,
    /// The sheet a workbook was read from.
    pub sheet: Option<String>,
}

/// Reads a people or history table. `sheet` picks a workbook sheet by name.
pub fn read_table(path: &Path, sheet: Option<&str>) -> Result<Table> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .unwrap_or_default();
    check_size(path)?;
    match ext.as_str() {
        "xlsx" | "xlsm" => read_xlsx(path, sheet, &ext),
        "xls" | "xlsb" | "ods" => read_workbook(path, sheet, &ext),
        _ => {
            if sheet.is_some() {
                return Err(Error::config(format!(
                    "{}: `sheet` is only for .xlsx and .ods files",
                    path.display()
                )));
            }
            read_csv(path)
        }
    }
}

/// Refuses a table larger than [`TABLE_BYTES`] before reading it: the
/// table is kept in memory for the run, and a file larger than the machine's
/// memory must end the run with words, not with the kernel's OOM killer.
fn check_size(path: &Path) -> Result<()> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if size > TABLE_BYTES {
        return Err(Error::input(
            Location::file(path),
            format!(
                "the file has {} MiB, more than the {} MiB a people or history file may have",
                size >> 20,
                TABLE_BYTES >> 20
            ),
        )
        .with_hint(
            "split the list (one campaign per part), or leave out the columns the letters do not use",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- CSV

fn read_csv(path: &Path) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (text, encoding) = decode(&bytes);
    let text = text.as_ref();
    let delimiter = detect_delimiter(text);
    check_quotes(path, text, delimiter)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
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
            Err(e) => return Err(csv_error(path, e)),
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
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
        },
    })
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

/// Finds a quoted field that is never closed. The CSV parser would read it to
/// the end of the file as one field; we want the line where it opened.
fn check_quotes(path: &Path, text: &str, delimiter: u8) -> Result<()> {
    let delimiter = char::from(delimiter);
    let (mut line, mut col) = (1u64, 0u64);
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut opened = (0, 0);
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
                continue;
            }
            c if c == delimiter => {
                at_field_start = true;
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

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
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

// ---------------------------------------------------------------- workbooks

/// An `.xlsx` sheet, cell by cell: calamine's `worksheet_range` makes one
/// dense grid over the used range, so two stray cells at A1 and XFD1048576
/// would ask for seventeen billion cells. Here only the cells that hold
/// something are kept, and a used range over [`SHEET_CELLS`] is refused
/// with where it ends.
fn read_xlsx(path: &Path, sheet: Option<&str>, ext: &str) -> Result<Table> {
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(|e| {
        Error::input(
            Location::file(path),
            format!("cannot open the workbook: {e}"),
        )
        .with_hint("save it again from Excel or LibreOffice as .xlsx or .ods")
    })?;
    let name = pick_sheet(path, workbook.sheet_names(), sheet)?;
    let unreadable = |e: calamine::XlsxError| {
        Error::input(
            Location::file(path),
            format!("cannot read sheet \"{name}\": {e}"),
        )
    };
    let mut reader = workbook.worksheet_cells_reader(&name).map_err(unreadable)?;
    // (row, column, text) of every cell that is not empty
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    let too_large = |rows: u64, cols: u64, last: (u32, u32)| {
        Error::input(
            Location::file(path),
            format!(
                "sheet \"{name}\" uses {rows} rows × {cols} columns (up to cell {}), more than the {SHEET_CELLS} cells warmly reads",
                cell_name(last)
            ),
        )
        .with_hint("delete the rows and columns outside the table (Ctrl+End shows the last used cell), or export the sheet as CSV")
    };
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0u32, 0u32));
    let mut bytes = 0u64;
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let data: Data = cell.get_value().clone().into();
        if matches!(data, Data::Empty) {
            continue;
        }
        if let Data::Error(e) = &data {
            return Err(Error::input(
                Location::file(path),
                format!("a cell in sheet \"{name}\" holds an error ({e})"),
            )
            .with_hint("fix the formula in the sheet, or export the values"));
        }
        let (row, col) = cell.get_position();
        first = (first.0.min(row), first.1.min(col));
        last = (last.0.max(row), last.1.max(col));
        let text = cell_text(&data);
        bytes += text.len() as u64;
        cells.push((row, col, text));
        if cells.len() as u64 > SHEET_CELLS {
            return Err(too_large(u64::from(row) + 1, u64::from(last.1) + 1, last));
        }
        // A compressed sheet can unpack to far more than the file's size.
        if bytes > TABLE_BYTES {
            return Err(Error::input(
                Location::file(path),
                format!(
                    "sheet \"{name}\" holds more than {} MiB of text (up to cell {})",
                    TABLE_BYTES >> 20,
                    cell_name((row, col))
                ),
            )
            .with_hint("split the list, or leave out the columns the letters do not use"));
        }
    }
    let mut rows = Rows::default();
    let mut headers = Vec::new();
    if !cells.is_empty() {
        let width = u64::from(last.1 - first.1) + 1;
        let height = u64::from(last.0 - first.0) + 1;
        let used_rows = {
            let mut r: Vec<u32> = cells.iter().map(|c| c.0).collect();
            r.sort_unstable();
            r.dedup();
            r.len() as u64
        };
        // Empty rows cost nothing; a row with content costs its width.
        if used_rows.saturating_mul(width) > SHEET_CELLS {
            return Err(too_large(height, width, last));
        }
        cells.sort_by_key(|c| (c.0, c.1));
        let width = width as usize;
        let mut line: Vec<&str> = vec![""; width];
        let mut i = 0;
        while i < cells.len() {
            let row = cells[i].0;
            line.iter_mut().for_each(|c| *c = "");
            while i < cells.len() && cells[i].0 == row {
                line[(cells[i].1 - first.1) as usize] = &cells[i].2;
                i += 1;
            }
            if line.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if headers.is_empty() {
                // The first row with content is the header.
                headers = line.iter().map(|c| c.trim().to_string()).collect();
            } else {
                rows.push(u64::from(row) + 1, line.iter().copied());
            }
        }
    }
    Ok(Table {
        headers,
        rows: rows.finish(),
        format: Format {
            kind: ext.to_uppercase(),
            encoding: None,
            delimiter: None,
            sheet: Some(name),
        },
    })
}

/// `(row, column)`, 0-based, as a spreadsheet names the cell: `XFD1048576`.
fn cell_name((row, col): (u32, u32)) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(col) + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

/// The sheet asked for, or the first.
fn pick_sheet(path: &Path, names: Vec<String>, sheet: Option<&str>) -> Result<String> {
    match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .cloned()
            .ok_or_else(|| {
                Error::config(format!(
                    "{}: no sheet \"{wanted}\" (sheets: {})",
                    path.display(),
                    names.join(", ")
                ))
            }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Error::input(Location::file(path), "the workbook has no sheets")),
    }
}

fn read_workbook(path: &Path, sheet: Option<&str>, ext: &str) -> Result<Table> {
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
            sheet: Some(name),
        },
    })
}

/// A cell as the text a person sees: whole numbers without `.0`, dates as
/// ISO dates (unambiguous; the date columns are parsed from it anyway).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if d.is_datetime() => {
                if dt.time() == chrono::NaiveTime::MIN {
                    dt.date().to_string()
                } else {
                    dt.format("%Y-%m-%d %H:%M").to_string()
                }
            }
            _ => d.as_f64().to_string(),
        },
        Data::DateTimeIso(s) => s
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| d.to_string())
            .unwrap_or_else(|| s.clone()),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e}"),
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
        let err = check_quotes(Path::new("x.csv"), "id,name\n1,\"Anna\n2,Bob\n", b',').unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv:2:3: a quoted field starts here and is never closed"
        );
        assert!(check_quotes(Path::new("x.csv"), "id,name\n1,\"An \"\"na\"\"\"\n", b',').is_ok());
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
