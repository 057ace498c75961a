//! The cells of one workbook sheet that hold something, held to the limits
//! while they are read, and the table they make.

use std::path::Path;

use calamine::Data;
use chrono::NaiveDate;

use super::{offset, Format, Rows, Table};
use crate::error::{Error, Location, Result};
use crate::limits::{COLUMNS, SHEET_CELLS, TABLE_BYTES};

/// The cells of one sheet that hold something, in the order a reader meets
/// them: a cell costs 16 bytes and its text, an empty row or column
/// nothing. The used range is held to [`SHEET_CELLS`] and the text to
/// [`TABLE_BYTES`] while reading, so a compressed sheet cannot unpack to
/// more than that.
pub(super) struct SheetCells<'p> {
    path: &'p Path,
    name: String,
    /// The trimmed text of every cell, one after the other (a repeated
    /// `.ods` cell once).
    text: String,
    /// Row, column (0-based) and where the text starts and ends in `text`.
    pub(super) cells: Vec<[u32; 4]>,
    /// Bytes of text, a repeated cell counted each time.
    pub(super) bytes: u64,
    first_col: u32,
    /// The last row and the last column with content.
    last: (u32, u32),
}

impl<'p> SheetCells<'p> {
    pub(super) fn new(path: &'p Path, name: String) -> SheetCells<'p> {
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

    pub(super) fn unreadable(&self, e: impl std::fmt::Display) -> Error {
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
    pub(super) fn too_much_text(&self, at: (u32, u32)) -> Error {
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
    pub(super) fn push(&mut self, row: u32, col: u32, repeat: u64, data: &Data) -> Result<()> {
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
    pub(super) fn repeat_rows(&mut self, from: usize, times: u64) -> Result<()> {
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
    pub(super) fn finish(mut self, ext: &str) -> Result<Table> {
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
                detail: None,
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
pub(super) fn pick_sheet(path: &Path, names: Vec<String>, sheet: Option<&str>) -> Result<String> {
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

pub(super) fn cannot_open(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::input(
        Location::file(path),
        format!("cannot open the workbook: {e}"),
    )
    .with_hint("save it again from Excel or LibreOffice as .xlsx or .ods")
}

pub(super) fn unreadable(path: &Path, sheet: &str, e: impl std::fmt::Display) -> Error {
    Error::input(
        Location::file(path),
        format!("cannot read sheet \"{sheet}\": {e}"),
    )
}

/// A cell as the text a person sees: whole numbers without `.0`, dates as
/// ISO dates (unambiguous; the date columns are parsed from it anyway).
pub(super) fn cell_text(cell: &Data) -> String {
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
