//! `.xlsx`, `.xlsm` and `.xlsb` through calamine, cell by cell; `.xls` is
//! refused before it is read.

use std::path::Path;

use calamine::{DataRef, Reader};

use super::sheet::{cannot_open, pick_sheet, unreadable, SheetCells};
use super::Table;
use crate::error::{Error, Location, Result};

/// An `.xlsx`, `.xlsm` or `.xlsb` sheet, cell by cell: calamine's
/// `worksheet_range` makes one dense grid over the used range, so two stray
/// cells at A1 and XFD1048576 would ask for seventeen billion cells. Here
/// only the cells that hold something are kept ([`SheetCells`]).
/// A workbook's cells through calamine, which trusts the file's own
/// indexes and lengths: in a damaged or crafted `.xlsb` it can index out of
/// bounds (a panic) where it should return an error (tests/data/xlsb). Such
/// a workbook is refused like any other that cannot be read.
pub(super) fn read_excel(path: &Path, sheet: Option<&str>, ext: &str) -> Result<Table> {
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

/// An Excel 97–2003 workbook is refused before it is read: calamine 0.38
/// reads every sheet of an `.xls` into a dense grid when it opens it,
/// whatever sheet is asked for, and trusts the sizes and sector chains the
/// file states. Measured (2026-11-30): a 5 KB file with one more cell at
/// IV65536 took 1 GB, the same cell on three more sheets 1.6 GB; a cell in
/// column 60 000, or a DIMENSIONS record that lies, aborted warmly on a
/// 125 GB (43 TB) allocation; a loop in the file's directory chain grew
/// memory until the allocator gave up. Excel and LibreOffice save the
/// same workbook as `.xlsx` in one step.
pub(super) fn refuse_xls(path: &Path) -> Error {
    Error::input(
        Location::file(path),
        "an Excel 97–2003 workbook (.xls) is not read: its reader loads every sheet whole, and a small file can fill the machine",
    )
    .with_hint("save it as .xlsx (Excel: File → Save As → Excel Workbook) or .ods, or export the sheet as CSV")
}
