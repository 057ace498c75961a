//! Reading a table as an office has it: CSV in whatever encoding and
//! delimiter Excel, Outlook or a CRM wrote, or the first (or a named) sheet
//! of an `.xlsx`/`.xlsb`/`.ods` workbook, cell by cell (`.xls` is refused,
//! `workbook.rs`). Everything comes out as text, the way a person sees it
//! in the cell: `csv.rs` (encodings, delimiters), `workbook.rs`
//! (`.xlsx`/`.xlsb` through calamine), `ods.rs` (streamed), `sheet.rs`
//! (the cells of a sheet, held to the limits, become a table).

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::limits::TABLE_BYTES;

mod csv;
mod ods;
mod sheet;
mod vcard;
mod workbook;

pub use self::csv::decode;

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

/// How much of a spilled table [`Rows::iter`] reads back at once.
const WINDOW: usize = 256 * 1024;

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

    /// Rows `from..to`: of a spilled table read back at once (a person's
    /// history rows lie together once joined).
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = Row<'_>> {
        let whole = match &self.text {
            Text::Disk(file, _) if from < to => {
                let (start, _) = self.span(from);
                let (_, end) = self.span(to - 1);
                Some((start, read_back(file, start, end - start)))
            }
            _ => None,
        };
        (from..to).map(move |i| match &whole {
            None => self.get(i),
            Some((at, text)) => {
                let (start, end) = self.span(i);
                let row = text[start - at..end - at].to_string();
                Row::new(Cow::Owned(row), u64::from(self.lines[i]))
            }
        })
    }

    /// The rows in order. A spilled table is read back a window of whole
    /// rows at a time, not one system call per row (20 000 customers and
    /// 70 000 history lines were 180 000 reads, 0.4 s of a plan's 0.95 s).
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        let mut window = (0, String::new());
        (0..self.len()).map(move |i| match &self.text {
            Text::Memory(_) => self.get(i),
            Text::Disk(file, len) => {
                let (start, end) = self.span(i);
                let (at, text) = &window;
                if start < *at || end > at + text.len() {
                    let to = self.window_end(start, end, *len);
                    window = (start, read_back(file, start, to - start));
                }
                let (at, text) = &window;
                let row = text[start - at..end - at].to_string();
                Row::new(Cow::Owned(row), u64::from(self.lines[i]))
            }
        })
    }

    /// Where a window read back from `start` ends: on a row's boundary
    /// (whole rows are whole characters), about [`WINDOW`] bytes on, and not
    /// before `end`, the row asked for.
    fn window_end(&self, start: usize, end: usize, len: usize) -> usize {
        let limit = start + WINDOW;
        if limit >= len {
            return len;
        }
        let before = self.starts.partition_point(|&s| s as usize <= limit);
        (self.starts[before - 1] as usize).max(end)
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
pub(super) fn offset(len: usize) -> u32 {
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
    /// What the file says about itself before its table: DATEV's format
    /// line (`EXTF 700, Debitoren/Kreditoren`), a vCard file's versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
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
        "xlsx" | "xlsm" | "xlsb" => workbook::read_excel(path, sheet, &ext),
        "ods" => ods::read_ods(path, sheet),
        "xls" => Err(workbook::refuse_xls(path)),
        "vcf" | "vcard" => vcard::read_vcard(path),
        _ => {
            if sheet.is_some() {
                return Err(Error::config(format!(
                    "{}: `sheet` is only for .xlsx and .ods files",
                    path.display()
                )));
            }
            self::csv::read_csv(path)
        }
    }
}

/// The sheets of a workbook, in order; none for a text file.
pub fn sheet_names(path: &Path) -> Result<Vec<String>> {
    use calamine::Reader;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" => calamine::open_workbook::<calamine::Xlsx<_>, _>(path)
            .map(|w| w.sheet_names())
            .map_err(|e| sheet::cannot_open(path, e)),
        "xlsb" => calamine::open_workbook::<calamine::Xlsb<_>, _>(path)
            .map(|w| w.sheet_names())
            .map_err(|e| sheet::cannot_open(path, e)),
        "ods" => ods::sheet_names(path),
        _ => Ok(Vec::new()),
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let some: Vec<(u64, Vec<String>)> = rows
            .range(1, 3)
            .map(|r| (r.line, r.cells().iter().map(|c| c.to_string()).collect()))
            .collect();
        assert_eq!(some, before[1..3]);
        assert_eq!(rows.range(2, 2).count(), 0);
        assert_eq!(rows.get(1).get(2), "Ōsaka 大阪");
        assert_eq!(rows.get(2).get(7), "");
        // a subset of a spilled table is a table in memory again
        let cut = rows.subset(&[2, 1], &[0]);
        assert_eq!(cut.get(0).cells(), ["", "Bob"]);
        assert_eq!((cut.get(1).line, cut.get(1).get(2)), (3, "Ōsaka 大阪"));
    }

    #[test]
    #[cfg(unix)]
    fn a_spilled_table_read_in_order_crosses_its_windows_between_rows() {
        // Rows of uneven length with multi-byte letters, a row longer than a
        // window, several windows in all: every row comes back whole.
        let mut rows = Rows::default();
        let mut want = Vec::new();
        for i in 0..10_000u64 {
            let long = if i == 1234 {
                WINDOW + 17
            } else {
                (i as usize * 7) % 150
            };
            let cells = [
                format!("K-{i}"),
                "Größe 大阪 ".repeat(long / 12),
                "x".repeat(long % 12),
            ];
            rows.push(i + 2, cells.iter().map(String::as_str));
            want.push((i + 2, cells.map(|c| c.trim().to_string()).to_vec()));
        }
        let rows = rows.spill_over(0);
        assert!(rows.on_disk() && rows.text_len() > 4 * WINDOW);
        let got: Vec<(u64, Vec<String>)> = rows
            .iter()
            .map(|r| (r.line, r.cells().iter().map(|c| c.to_string()).collect()))
            .collect();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "a row read back differs");
    }
}
