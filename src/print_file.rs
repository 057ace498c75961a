//! The print file from the laid-out pages: the pieces arrive in print
//! order, their pages are collected into parts of at most [`PART`] pieces,
//! and each part is exported by Typst as one PDF — so a font is embedded
//! once per file (subset to what all its pages use), not once per piece as
//! when the pieces' PDFs are joined. A part is exported on its own thread
//! while the next one is made; memory holds at most two parts' pages.
//!
//! One part is `print.pdf`; more are `print-001.pdf`, `print-002.pdf`, …
//! in print order (`[output] print_part` pieces each, default [`PART`]).

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use ecow::EcoVec;
use typst::layout::Frame;
use typst_layout::Page;

use crate::typeset::Typesetter;
use crate::write;

/// Pieces per print file unless `[output] print_part` says otherwise.
pub use crate::config::DEFAULT_PRINT_PART as PART;

/// The file names of a print file of `pieces` pieces: `print.pdf` when it
/// fits one part, else `print-001.pdf`, … (the stem of `name`).
pub fn part_names(name: &str, pieces: usize, part: usize) -> Vec<String> {
    let parts = pieces.div_ceil(part.max(1)).max(1);
    if parts == 1 {
        return vec![name.to_string()];
    }
    let (stem, ext) = stem_and_extension(name);
    let width = parts.to_string().len().max(3);
    (1..=parts)
        .map(|i| format!("{stem}-{i:0width$}{ext}"))
        .collect()
}

/// "print.pdf" → ("print", ".pdf").
fn stem_and_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) => name.split_at(dot),
        None => (name, ""),
    }
}

/// Removes print-file parts (`print-001.pdf`, …, and the one-part
/// `print.pdf`) that this run did not write: left from a run with more or
/// fewer pieces, they would be printed with this one's.
pub fn remove_other_parts(dir: &Path, name: &str, written: &[String]) {
    let (stem, ext) = stem_and_extension(name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let is_part = file
            .strip_prefix(stem)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|rest| rest.strip_suffix(ext))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if (is_part || file == name) && !written.contains(&file) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Collects pages in print order and hands full parts to the exporter.
pub struct PrintPages {
    names: Vec<String>,
    /// Pieces per part.
    part_size: usize,
    duplex: bool,
    pages: EcoVec<Page>,
    /// Pieces seen in the current part (failed ones count: the parts are
    /// cut by position in the print order, so names do not shift).
    seen: usize,
    part: usize,
    /// Pages sent to the exporter, with the file they belong to.
    tx: Option<mpsc::SyncSender<(String, EcoVec<Page>)>>,
}

impl PrintPages {
    /// Starts the exporter on `scope`; `finish` returns what it wrote.
    pub fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        typesetter: &'env Typesetter,
        out_dir: &'env std::path::Path,
        names: Vec<String>,
        part_size: usize,
        duplex: bool,
    ) -> (
        PrintPages,
        std::thread::ScopedJoinHandle<'scope, Vec<Result<PathBuf, String>>>,
    ) {
        // A rendezvous: at most one part waits while the previous is exported.
        let (tx, rx) = mpsc::sync_channel::<(String, EcoVec<Page>)>(0);
        let exporter = std::thread::Builder::new()
            .name("print file".into())
            .stack_size(crate::engine::STACK_SIZE)
            .spawn_scoped(scope, move || {
                rx.into_iter()
                    .filter(|(_, pages)| !pages.is_empty())
                    .map(|(name, pages)| {
                        let pdf = crate::timing::time(crate::timing::Stage::PrintFile, || {
                            typesetter.print_pdf(pages)
                        })?;
                        write::write_atomic(out_dir, &name, &pdf)
                            .map(|_| out_dir.join(&name))
                            .map_err(|e| format!("{}: {e}", out_dir.join(&name).display()))
                    })
                    .collect()
            })
            .expect("spawning the print file thread");
        let builder = PrintPages {
            names,
            part_size,
            duplex,
            pages: EcoVec::new(),
            seen: 0,
            part: 0,
            tx: Some(tx),
        };
        (builder, exporter)
    }

    /// The next piece in print order: its pages, or none when it failed.
    pub fn piece(&mut self, pages: Option<EcoVec<Page>>) {
        if let Some(pages) = pages {
            let odd = pages.len() % 2 == 1;
            let last = pages.last().cloned();
            self.pages.extend(pages);
            // Duplex: every recipient starts on a front side.
            if let (true, true, Some(last)) = (self.duplex, odd, last) {
                let mut blank = last;
                blank.frame = Frame::hard(blank.frame.size());
                self.pages.push(blank);
            }
        }
        self.seen += 1;
        if self.seen == self.part_size {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let pages = std::mem::take(&mut self.pages);
        if let (Some(tx), Some(name)) = (&self.tx, self.names.get(self.part)) {
            // The exporter ends only when this ends; a send cannot fail
            // unless it panicked, and then finish reports it.
            let _ = tx.send((name.clone(), pages));
        }
        self.part += 1;
        self.seen = 0;
    }

    /// Sends the last part and closes the exporter's queue.
    pub fn finish(mut self) {
        if self.seen > 0 {
            self.flush();
        }
        self.tx = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_part_keeps_the_name_more_are_numbered_in_order() {
        assert_eq!(part_names("print.pdf", 1, 100), ["print.pdf"]);
        assert_eq!(part_names("print.pdf", 100, 100), ["print.pdf"]);
        assert_eq!(
            part_names("print.pdf", 201, 100),
            ["print-001.pdf", "print-002.pdf", "print-003.pdf"]
        );
        assert_eq!(part_names("alle", 3, 2), ["alle-001", "alle-002"]);
    }
}
