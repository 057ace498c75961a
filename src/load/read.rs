//! Reading a table as an office has it: CSV in whatever encoding and
//! delimiter Excel, Outlook or a CRM wrote, or the first (or a named) sheet
//! of an `.xlsx`/`.xlsb`/`.ods` workbook, cell by cell (`.xls` is refused,
//! [`refuse_xls`]). Everything comes out as text, the way a person sees it
//! in the cell.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, DataRef, Reader};
use chrono::NaiveDate;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;

use crate::error::{Error, Location, Result};
use crate::limits::{COLUMNS, SHEET_CELLS, TABLE_BYTES};

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
/// text, a row's cells separated by U+001F (the unit separator), and
/// where each row starts. A list of 100 000 customers costs about its file
/// size, not a string per cell; and once read and checked, a large table
/// moves that text into a temporary file ([`Rows::spill`]), so a run keeps
/// only where each row starts — the tables are kept for the whole run, and
/// persons are built from them one at a time.
#[derive(Debug, Default)]
pub struct Rows {
    text: Text,
    /// Where each row starts in the text.
    starts: Vec<u32>,
    lines: Vec<u32>,
}

/// Where the text of a [`Rows`] is.
#[derive(Debug)]
enum Text {
    Memory(String),
    /// In an unnamed temporary file (gone when it is closed), this long.
    Disk(File, usize),
}

impl Default for Text {
    fn default() -> Text {
        Text::Memory(String::new())
    }
}

/// Separates the cells of a row in [`Rows`]; inside a cell it becomes a space.
const UNIT: char = '\u{1f}';

/// A table with more text than this goes to a temporary file once read
/// (about 10 000 customers or 25 000 history lines).
const SPILL_BYTES: usize = 1 << 20;

impl Rows {
    /// The text rows are added to (only while the table is read).
    fn memory(&mut self) -> &mut String {
        match &mut self.text {
            Text::Memory(text) => text,
            Text::Disk(..) => unreachable!("rows are added before the table is spilled"),
        }
    }

    /// Whether the text waits in a temporary file ([`Rows::spill`]).
    pub fn on_disk(&self) -> bool {
        matches!(self.text, Text::Disk(..))
    }

    fn text_len(&self) -> usize {
        match &self.text {
            Text::Memory(text) => text.len(),
            Text::Disk(_, len) => *len,
        }
    }

    /// Room for about `bytes` of text, so the buffer does not double past it.
    fn reserve(&mut self, bytes: usize) {
        self.memory().reserve_exact(bytes);
    }

    /// Gives back what the buffers reserved beyond their contents.
    fn finish(mut self) -> Rows {
        self.memory().shrink_to_fit();
        self.starts.shrink_to_fit();
        self.lines.shrink_to_fit();
        self
    }

    /// Adds a row: its line and its cells (trimmed here).
    pub fn push<'c>(&mut self, line: u64, cells: impl IntoIterator<Item = &'c str>) {
        let start = offset(self.text_len());
        self.starts.push(start);
        let text = self.memory();
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                text.push(UNIT);
            }
            let cell = cell.trim();
            if cell.contains(UNIT) {
                text.push_str(&cell.replace(UNIT, " "));
            } else {
                text.push_str(cell);
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

    /// Where row `i` starts and ends in the text.
    fn span(&self, i: usize) -> (usize, usize) {
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text_len(), |&e| e as usize);
        (self.starts[i] as usize, end)
    }

    pub fn get(&self, i: usize) -> Row<'_> {
        let (start, end) = self.span(i);
        let text = match &self.text {
            Text::Memory(text) => Cow::Borrowed(&text[start..end]),
            Text::Disk(file, _) => Cow::Owned(read_back(file, start, end - start)),
        };
        Row::new(text, u64::from(self.lines[i]))
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The rows `keep`, in that order, with the cells of the columns
    /// `blank` emptied: what a run still needs of a table once it has been
    /// joined (the history, matched to people: not its unknown rows, not
    /// the id it was matched by).
    pub fn subset(&self, keep: &[u32], blank: &[usize]) -> Rows {
        let mut rows = Rows::default();
        rows.reserve(
            keep.iter()
                .map(|&r| self.span(r as usize))
                .map(|(a, b)| b - a)
                .sum(),
        );
        rows.starts.reserve_exact(keep.len());
        rows.lines.reserve_exact(keep.len());
        for &r in keep {
            let row = self.get(r as usize);
            let cells = row.text.split(UNIT).enumerate();
            let cells = cells.map(|(c, cell)| if blank.contains(&c) { "" } else { cell });
            rows.push(row.line, cells);
        }
        rows.finish()
    }

    /// Moves the text of a large table (over [`SPILL_BYTES`]) into an
    /// unnamed temporary file (in `TMPDIR`; on Unix), read back a row at a time:
    /// the memory a run needs then hardly grows with the list. Without a
    /// temporary file it stays in memory, as a small table does.
    pub fn spill(self) -> Rows {
        self.spill_over(SPILL_BYTES)
    }

    fn spill_over(mut self, bytes: usize) -> Rows {
        // Reading by position from several threads at once needs `pread`.
        if cfg!(not(unix)) {
            return self;
        }
        if let Text::Memory(text) = &self.text {
            if text.len() > bytes {
                if let Ok(file) = write_temp(text) {
                    self.text = Text::Disk(file, text.len());
                }
            }
        }
        self
    }
}

/// An unnamed temporary file holding `text`.
fn write_temp(text: &str) -> std::io::Result<File> {
    use std::io::Write;
    let mut file = tempfile::tempfile()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    Ok(file)
}

/// `len` bytes of a spilled table's text from `at`, by position, so the
/// worker threads can read at once. The file is warmly's own, written whole
/// before the first read: failing to read it back (the disk gone mid-run)
/// is not a problem of the input, and stops the run.
#[cfg(unix)]
fn read_back(file: &File, at: usize, len: usize) -> String {
    let mut buf = vec![0; len];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut buf, at as u64)
        .expect("reading a table back from warmly's temporary file");
    String::from_utf8(buf).expect("warmly wrote the temporary file as UTF-8")
}

/// Elsewhere tables stay in memory ([`Rows::spill_over`]).
#[cfg(not(unix))]
fn read_back(_: &File, _: usize, _: usize) -> String {
    unreachable!("tables are spilled on Unix only")
}

/// Tables larger than 4 GiB of text are not a customer list.
fn offset(len: usize) -> u32 {
    u32::try_from(len).expect("a table holds less than 4 GiB of text")
}

/// One row of a [`Rows`]: borrowed from the table's text, or read back
/// from its temporary file.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    text: Cow<'a, str>,
    /// Where each cell ends in `text`, found once: a person is a dozen
    /// fields looked up by column, and a long history is read more than
    /// once, so a cell is not searched for from the row's start each time.
    ends: Vec<u32>,
    /// The 1-based line (CSV) or row number (sheet) where the row starts.
    pub line: u64,
}

impl<'a> Row<'a> {
    fn new(text: Cow<'a, str>, line: u64) -> Row<'a> {
        // U+001F is one byte in UTF-8 and never part of another character
        let unit = UNIT as u8;
        let ends = (text.bytes().enumerate())
            .filter(|&(_, b)| b == unit)
            .map(|(i, _)| i as u32)
            .chain(std::iter::once(text.len() as u32))
            .collect();
        Row { text, ends, line }
    }

    /// The cell in column `col` (0-based), empty past the last column.
    pub fn get(&self, col: usize) -> &str {
        let Some(&end) = self.ends.get(col) else {
            return "";
        };
        let start = match col {
            0 => 0,
            _ => self.ends[col - 1] as usize + 1,
        };
        &self.text[start..end as usize]
    }

    pub fn cells(&self) -> Vec<&str> {
        (0..self.ends.len()).map(|col| self.get(col)).collect()
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
        "xlsx" | "xlsm" | "xlsb" => read_excel(path, sheet, &ext),
        "ods" => read_ods(path, sheet),
        "xls" => Err(refuse_xls(path)),
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
    check_records(path, text, delimiter)?;
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

/// Finds a quoted field that is never closed, and a record wider than
/// [`COLUMNS`], before the CSV parser sees them: it would read the first to
/// the end of the file as one field (we want the line where it opened), and
/// hold 8 bytes for every field of the second.
fn check_records(path: &Path, text: &str, delimiter: u8) -> Result<()> {
    let delimiter = char::from(delimiter);
    let (mut line, mut col) = (1u64, 0u64);
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

/// An `.xlsx`, `.xlsm` or `.xlsb` sheet, cell by cell: calamine's
/// `worksheet_range` makes one dense grid over the used range, so two stray
/// cells at A1 and XFD1048576 would ask for seventeen billion cells. Here
/// only the cells that hold something are kept ([`SheetCells`]).
/// A workbook's cells through calamine, which trusts the file's own
/// indexes and lengths: in a damaged or crafted `.xlsb` it can index out of
/// bounds (a panic) where it should return an error (tests/data/xlsb). Such
/// a workbook is refused like any other that cannot be read.
fn read_excel(path: &Path, sheet: Option<&str>, ext: &str) -> Result<Table> {
    without_panics(|| read_workbook(path, sheet, ext)).unwrap_or_else(|why| {
        Err(Error::input(
            Location::file(path),
            format!("cannot read the workbook, it is damaged ({why})"),
        )
        .with_hint("open it in Excel or LibreOffice and save it again as .xlsx or .ods"))
    })
}

thread_local! {
    /// Set while [`without_panics`] runs on this thread.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `read`, turning a panic into `Err` with its message, which the
/// panic hook then does not print (on this thread only: a panic anywhere
/// else is reported as before).
fn without_panics<T>(read: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|quiet| quiet.get()) {
                report(info);
            }
        }));
    });
    let was = QUIET.with(|quiet| quiet.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    QUIET.with(|quiet| quiet.set(was));
    result.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the reader stopped".into())
    })
}

fn read_workbook(path: &Path, sheet: Option<&str>, ext: &str) -> Result<Table> {
    // calamine's cells reader is a method of each workbook type, not of a
    // trait: the same steps, written once for both.
    macro_rules! cells_of {
        ($workbook:ty) => {{
            let mut workbook: $workbook =
                calamine::open_workbook(path).map_err(|e| cannot_open(path, e))?;
            let name = pick_sheet(path, workbook.sheet_names(), sheet)?;
            let mut reader = workbook
                .worksheet_cells_reader(&name)
                .map_err(|e| unreadable(path, &name, e))?;
            read_cells(SheetCells::new(path, name), || reader.next_cell())?.finish(ext)
        }};
    }
    if ext == "xlsb" {
        cells_of!(calamine::Xlsb<_>)
    } else {
        cells_of!(calamine::Xlsx<_>)
    }
}

/// The cells a calamine cells reader gives, until it has no more.
fn read_cells<'a, 'p, E: std::fmt::Display>(
    mut cells: SheetCells<'p>,
    mut next: impl FnMut() -> std::result::Result<Option<calamine::Cell<DataRef<'a>>>, E>,
) -> Result<SheetCells<'p>> {
    while let Some(cell) = next().map_err(|e| cells.unreadable(e))? {
        let (row, col) = cell.get_position();
        cells.push(row, col, 1, &cell.get_value().clone().into())?;
    }
    Ok(cells)
}

fn cannot_open(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::input(
        Location::file(path),
        format!("cannot open the workbook: {e}"),
    )
    .with_hint("save it again from Excel or LibreOffice as .xlsx or .ods")
}

fn unreadable(path: &Path, sheet: &str, e: impl std::fmt::Display) -> Error {
    Error::input(
        Location::file(path),
        format!("cannot read sheet \"{sheet}\": {e}"),
    )
}

/// The cells of one sheet that hold something, in the order a reader meets
/// them: a cell costs 16 bytes and its text, an empty row or column
/// nothing. The used range is held to [`SHEET_CELLS`] and the text to
/// [`TABLE_BYTES`] while reading, so a compressed sheet cannot unpack to
/// more than that.
struct SheetCells<'p> {
    path: &'p Path,
    name: String,
    /// The trimmed text of every cell, one after the other (a repeated
    /// `.ods` cell once).
    text: String,
    /// Row, column (0-based) and where the text starts and ends in `text`.
    cells: Vec<[u32; 4]>,
    /// Bytes of text, a repeated cell counted each time.
    bytes: u64,
    first_col: u32,
    /// The last row and the last column with content.
    last: (u32, u32),
}

impl<'p> SheetCells<'p> {
    fn new(path: &'p Path, name: String) -> SheetCells<'p> {
        SheetCells {
            path,
            name,
            text: String::new(),
            cells: Vec::new(),
            bytes: 0,
            first_col: u32::MAX,
            last: (0, 0),
        }
    }

    fn unreadable(&self, e: impl std::fmt::Display) -> Error {
        unreadable(self.path, &self.name, e)
    }

    fn too_large(&self, rows: u64, cols: u64) -> Error {
        let limit = if cols > COLUMNS {
            format!("{COLUMNS} columns")
        } else {
            format!("{SHEET_CELLS} cells")
        };
        Error::input(
            Location::file(self.path),
            format!(
                "sheet \"{}\" uses {rows} rows × {cols} columns (up to cell {}), more than the {limit} warmly reads",
                self.name,
                cell_name(self.last)
            ),
        )
        .with_hint("delete the rows and columns outside the table (Ctrl+End shows the last used cell), or export the sheet as CSV")
    }

    /// A compressed sheet can unpack to far more than the file's size.
    fn too_much_text(&self, at: (u32, u32)) -> Error {
        Error::input(
            Location::file(self.path),
            format!(
                "sheet \"{}\" holds more than {} MiB of text (up to cell {})",
                self.name,
                TABLE_BYTES >> 20,
                cell_name(at)
            ),
        )
        .with_hint("split the list, or leave out the columns the letters do not use")
    }

    /// Adds the cell at `(row, col)` holding `data`, `repeat` times from
    /// there to the right (an `.ods` writes a run of equal cells once).
    fn push(&mut self, row: u32, col: u32, repeat: u64, data: &Data) -> Result<()> {
        if matches!(data, Data::Empty) || repeat == 0 {
            return Ok(());
        }
        if let Data::Error(e) = data {
            return Err(Error::input(
                Location::file(self.path),
                format!("a cell in sheet \"{}\" holds an error ({e})", self.name),
            )
            .with_hint("fix the formula in the sheet, or export the values"));
        }
        let last_col = u64::from(col).saturating_add(repeat - 1);
        self.first_col = self.first_col.min(col);
        self.last = (
            self.last.0.max(row),
            self.last.1.max(u32::try_from(last_col).unwrap_or(u32::MAX)),
        );
        if self.cells.len() as u64 + repeat > SHEET_CELLS {
            return Err(
                self.too_large(u64::from(row) + 1, last_col.max(u64::from(self.last.1)) + 1)
            );
        }
        let last_col = u32::try_from(last_col)
            .map_err(|_| self.unreadable("a cell lies beyond the last column"))?;
        let owned;
        let text = match data {
            Data::String(s) => s.trim(), // not copied: it can be long
            _ => {
                owned = cell_text(data);
                owned.trim()
            }
        };
        self.bytes += text.len() as u64 * repeat;
        if self.bytes > TABLE_BYTES {
            return Err(self.too_much_text((row, last_col)));
        }
        let start = offset(self.text.len());
        self.text.push_str(text);
        let end = offset(self.text.len());
        self.cells
            .extend((col..=last_col).map(|col| [row, col, start, end]));
        Ok(())
    }

    /// Repeats the cells from `from` on, one row's, on the `times` rows
    /// below it (an `.ods` writes a run of equal rows once).
    fn repeat_rows(&mut self, from: usize, times: u64) -> Result<()> {
        let Some(&[row, ..]) = self.cells.get(from) else {
            return Ok(());
        };
        let width = (self.cells.len() - from) as u64;
        let last_row = u64::from(row).saturating_add(times);
        self.last.0 = self.last.0.max(u32::try_from(last_row).unwrap_or(u32::MAX));
        if self.cells.len() as u64 + width.saturating_mul(times) > SHEET_CELLS {
            return Err(self.too_large(last_row + 1, u64::from(self.last.1) + 1));
        }
        let last_row = u32::try_from(last_row)
            .map_err(|_| self.unreadable("a cell lies beyond the last row"))?;
        let row_bytes: u64 = self.cells[from..]
            .iter()
            .map(|c| u64::from(c[3] - c[2]))
            .sum();
        self.bytes += row_bytes * times;
        if self.bytes > TABLE_BYTES {
            let last_col = self.cells[self.cells.len() - 1][1];
            return Err(self.too_much_text((last_row, last_col)));
        }
        self.cells.reserve((width * times) as usize);
        for below in 1..=last_row - row {
            for i in from..from + width as usize {
                let [_, col, start, end] = self.cells[i];
                self.cells.push([row + below, col, start, end]);
            }
        }
        Ok(())
    }

    /// The table: the first row with content is the header, rows without
    /// content are left out. A row with content costs the width of the
    /// used range; more than [`SHEET_CELLS`] of that is refused.
    fn finish(mut self, ext: &str) -> Result<Table> {
        let mut rows = Rows::default();
        let mut headers = Vec::new();
        if !self.cells.is_empty() {
            if !self.cells.is_sorted_by_key(|c| (c[0], c[1])) {
                self.cells.sort_by_key(|c| (c[0], c[1]));
            }
            let first = (self.cells[0][0], self.first_col);
            let width = u64::from(self.last.1 - first.1) + 1;
            let height = u64::from(self.last.0 - first.0) + 1;
            let used_rows = 1 + self.cells.windows(2).filter(|w| w[0][0] != w[1][0]).count() as u64;
            // Empty rows cost nothing; a row with content costs its width.
            if width > COLUMNS || used_rows.saturating_mul(width) > SHEET_CELLS {
                return Err(self.too_large(height, width));
            }
            rows.reserve((self.bytes + used_rows * (width - 1)) as usize);
            let mut line: Vec<&str> = vec![""; width as usize];
            for cells in self.cells.chunk_by(|a, b| a[0] == b[0]) {
                line.fill("");
                for &[_, col, start, end] in cells {
                    line[(col - first.1) as usize] = &self.text[start as usize..end as usize];
                }
                if line.iter().all(|c| c.is_empty()) {
                    continue;
                }
                if headers.is_empty() {
                    headers = line.iter().map(|c| c.to_string()).collect();
                } else {
                    rows.push(u64::from(cells[0][0]) + 1, line.iter().copied());
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
                sheet: Some(self.name),
            },
        })
    }
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

// ---------------------------------------------------------------- .ods

type OdsXml<'z> = quick_xml::Reader<BufReader<zip::read::ZipFile<'z, BufReader<File>>>>;

/// An `.ods` sheet, streamed from `content.xml` cell by cell into
/// [`SheetCells`]: calamine reads every sheet of the workbook into a dense
/// grid when it opens it (100 million cells at most, 32 bytes each). A
/// repeated empty row or cell (`table:number-rows-repeated`,
/// `table:number-columns-repeated`) only moves the position; a repeated
/// cell with content is that content each time, and counts each time. The
/// values are those calamine 0.38 reads (`ods.rs` `get_datatype`), so a
/// cell reads as it did.
fn read_ods(path: &Path, sheet: Option<&str>) -> Result<Table> {
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
    let read_text = match &value {
        None => is_string,
        Some(Data::String(s)) => is_error && s.is_empty(),
        Some(_) => false,
    };
    if !read_text {
        return Ok((value.unwrap_or(Data::Empty), false));
    }
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
                return Ok((Data::String(s), true));
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

// ---------------------------------------------------------------- .xls

/// An Excel 97–2003 workbook is refused before it is read: calamine 0.38
/// reads every sheet of an `.xls` into a dense grid when it opens it,
/// whatever sheet is asked for, and trusts the sizes and sector chains the
/// file states. Measured (2026-11-30): a 5 KB file with one more cell at
/// IV65536 took 1 GB, the same cell on three more sheets 1.6 GB; a cell in
/// column 60 000, or a DIMENSIONS record that lies, aborted warmly on a
/// 125 GB (43 TB) allocation; a loop in the file's directory chain grew
/// memory until the allocator gave up. Excel and LibreOffice save the
/// same workbook as `.xlsx` in one step.
fn refuse_xls(path: &Path) -> Error {
    Error::input(
        Location::file(path),
        "an Excel 97–2003 workbook (.xls) is not read: its reader loads every sheet whole, and a small file can fill the machine",
    )
    .with_hint("save it as .xlsx (Excel: File → Save As → Excel Workbook) or .ods, or export the sheet as CSV")
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
    fn a_subset_keeps_the_rows_asked_for_in_that_order_and_blanks_columns() {
        let mut rows = Rows::default();
        rows.push(2, ["K-1", "2026-01-02", "order"]);
        rows.push(3, ["X-9", "2026-01-03", "call"]);
        rows.push(4, ["K-1", "2025-12-01", "meeting"]);
        let cut = rows.subset(&[2, 0], &[0]);
        assert_eq!(cut.len(), 2);
        assert_eq!(
            (cut.get(0).line, cut.get(0).cells()),
            (4, vec!["", "2025-12-01", "meeting"])
        );
        assert_eq!(
            (cut.get(1).line, cut.get(1).cells()),
            (2, vec!["", "2026-01-02", "order"])
        );
        assert_eq!(
            cut.text_len(),
            "\u{1f}2025-12-01\u{1f}meeting\u{1f}2026-01-02\u{1f}order".len()
        );
    }

    #[test]
    #[cfg(unix)] // tables are spilled on Unix only
    fn a_spilled_table_reads_back_what_it_held() {
        let mut rows = Rows::default();
        rows.push(2, ["K-1", "Anna", "Müller-Lüdenscheidt"]);
        rows.push(3, ["K-2", "", "Ōsaka 大阪"]);
        rows.push(5, ["K-3", "Bob"]);
        let before: Vec<(u64, Vec<String>)> = rows
            .iter()
            .map(|r| (r.line, r.cells().iter().map(|c| c.to_string()).collect()))
            .collect();
        // small tables stay in memory
        let rows = rows.spill();
        assert!(!rows.on_disk());
        let rows = rows.spill_over(0);
        assert!(rows.on_disk());
        let after: Vec<(u64, Vec<String>)> = rows
            .iter()
            .map(|r| (r.line, r.cells().iter().map(|c| c.to_string()).collect()))
            .collect();
        assert_eq!(after, before);
        assert_eq!(rows.get(1).get(2), "Ōsaka 大阪");
        assert_eq!(rows.get(2).get(7), "");
        // a subset of a spilled table is a table in memory again
        let cut = rows.subset(&[2, 1], &[0]);
        assert_eq!(cut.get(0).cells(), ["", "Bob"]);
        assert_eq!((cut.get(1).line, cut.get(1).get(2)), (3, "Ōsaka 大阪"));
    }

    #[test]
    fn unclosed_quote_names_where_it_opened() {
        let err =
            check_records(Path::new("x.csv"), "id,name\n1,\"Anna\n2,Bob\n", b',').unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv:2:3: a quoted field starts here and is never closed"
        );
        assert!(check_records(Path::new("x.csv"), "id,name\n1,\"An \"\"na\"\"\"\n", b',').is_ok());
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
        assert!(check_records(path, &ok, b';').is_ok());
        let err = check_records(path, &format!("id\n{}\n", wide(100_001)), b';').unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv:2:200000: more than 100000 columns in one line"
        );
    }

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
