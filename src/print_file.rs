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

use crate::plan::Plan;
use crate::settings::{OutputSettings, PrintOrder};
use crate::typeset::Typesetter;
use crate::write;

/// Pieces per print file unless `[output] print_part` says otherwise.
pub use crate::settings::DEFAULT_PRINT_PART as PART;

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

/// What a run lays out for its print file, in print order.
pub struct Share {
    /// The pieces to make, in the run's print order (indices as in
    /// [`Plan::planned`]).
    pub work: Vec<usize>,
    /// For each of `work`: the part its pages go into, or none when
    /// another shard makes that part.
    pub parts: Vec<Option<usize>>,
    /// The file names of all the run's parts.
    pub names: Vec<String>,
}

/// The print file of an unsharded run: every piece, in print order, cut
/// into parts of `part_size` positions (a failed piece holds its place).
///
/// A shard makes the parts `k` with `k mod N = I − 1` of the whole run's
/// print order (which every shard plans alike): its own pieces, and the
/// other shards' pieces of those parts, laid out but not exported. Its own
/// pieces outside them are made as usual. `warmly merge` then puts the
/// parts together unchanged — the bytes one run writes — and each shard
/// lays out about 1/N of the run a second time, instead of the merge
/// laying out all of it.
pub fn share(
    plan: &Plan,
    output: &OutputSettings,
    shard: Option<crate::shard::Shard>,
    name: &str,
) -> Share {
    let part_size = output.print_part.max(1);
    let names = part_names(
        name,
        plan.pieces.len() + plan.others.len(),
        output.print_part,
    );
    let Some(shard) = shard else {
        let work = plan.print_order(output.order, &output.home_country);
        let parts = (0..work.len()).map(|p| Some(p / part_size)).collect();
        return Share { work, parts, names };
    };
    // The whole run's order: by print key, ties in plan (people file) order.
    let mut order: Vec<(Box<str>, u32, usize)> = (0..plan.pieces.len() + plan.others.len())
        .map(|i| {
            let planned = plan.planned(i);
            let key = match output.order {
                PrintOrder::Input => Box::from(""),
                order => plan.print_key(planned, order, &output.home_country).into(),
            };
            (key, planned.person, i)
        })
        .collect();
    order.sort_unstable();
    let (mut work, mut parts) = (Vec::new(), Vec::new());
    for (position, (_, _, i)) in order.into_iter().enumerate() {
        let part = position / part_size;
        let ours = part % shard.count as usize == shard.index as usize - 1;
        if ours || i < plan.pieces.len() {
            work.push(i);
            parts.push(ours.then_some(part));
        }
    }
    Share { work, parts, names }
}

/// A part of the print file as written: its file and the pieces on its
/// pages (their first person's place in the people file), in order.
#[derive(Debug, Clone)]
pub struct Part {
    pub path: PathBuf,
    pub name: String,
    pub inputs: Vec<u32>,
}

/// A part's pages on their way to the exporter.
struct Full {
    name: String,
    pages: EcoVec<Page>,
    inputs: Vec<u32>,
}

/// Collects pages in print order and hands full parts to the exporter.
pub struct PrintPages {
    names: Vec<String>,
    /// Positions (pieces, failed ones too) per part, and in all parts.
    part_size: usize,
    positions: usize,
    duplex: bool,
    /// The pages go without their tags (see `Typesetter::print_strips_tags`).
    strip_tags: bool,
    pages: EcoVec<Page>,
    inputs: Vec<u32>,
    /// The part being collected, and how many of its positions came.
    part: Option<usize>,
    seen: usize,
    /// Parts sent to the exporter.
    tx: Option<mpsc::SyncSender<Full>>,
}

impl PrintPages {
    /// Starts the exporter on `scope`; `finish` returns what it wrote. The
    /// run's print file has `positions` pieces in parts of `part_size`.
    pub fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        typesetter: &'env Typesetter,
        out_dir: &'env std::path::Path,
        names: Vec<String>,
        (part_size, positions): (usize, usize),
        duplex: bool,
    ) -> (
        PrintPages,
        std::thread::ScopedJoinHandle<'scope, Vec<Result<Part, String>>>,
    ) {
        // A rendezvous: at most one part waits while the previous is exported.
        let (tx, rx) = mpsc::sync_channel::<Full>(0);
        let exporter = std::thread::Builder::new()
            .name("print file".into())
            .stack_size(crate::engine::STACK_SIZE)
            .spawn_scoped(scope, move || {
                rx.into_iter()
                    .filter(|full| !full.pages.is_empty())
                    .map(
                        |Full {
                             name,
                             pages,
                             inputs,
                         }| {
                            let pdf = crate::timing::time(crate::timing::Stage::PrintFile, || {
                                typesetter.print_pdf(pages)
                            })?;
                            let path = out_dir.join(&name);
                            write::write_atomic(out_dir, &name, &pdf)
                                .map_err(|e| format!("{}: {e}", path.display()))?;
                            Ok(Part { path, name, inputs })
                        },
                    )
                    .collect()
            })
            .expect("spawning the print file thread");
        let builder = PrintPages {
            names,
            part_size: part_size.max(1),
            positions,
            duplex,
            strip_tags: typesetter.print_strips_tags(),
            pages: EcoVec::new(),
            inputs: Vec::new(),
            part: None,
            seen: 0,
            tx: Some(tx),
        };
        (builder, exporter)
    }

    /// The next piece in print order: the part it goes into (none: not
    /// this run's to print), its first person's place in the people file,
    /// and its pages (none when it failed).
    pub fn piece(&mut self, part: Option<usize>, input: u32, pages: Option<EcoVec<Page>>) {
        let Some(part) = part else { return };
        if self.part != Some(part) {
            self.flush();
            self.part = Some(part);
        }
        if let Some(mut pages) = pages {
            if self.strip_tags {
                for page in pages.make_mut() {
                    crate::typeset::strip_tags(&mut page.frame);
                }
            }
            let odd = pages.len() % 2 == 1;
            let last = pages.last().cloned();
            self.pages.extend(pages);
            // Duplex: every recipient starts on a front side.
            if let (true, true, Some(last)) = (self.duplex, odd, last) {
                let mut blank = last;
                blank.frame = Frame::hard(blank.frame.size());
                self.pages.push(blank);
            }
            self.inputs.push(input);
        }
        self.seen += 1;
        // The part's last position: off to the exporter at once.
        let length = self
            .positions
            .saturating_sub(part * self.part_size)
            .min(self.part_size);
        if self.seen >= length {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let (pages, inputs) = (
            std::mem::take(&mut self.pages),
            std::mem::take(&mut self.inputs),
        );
        if let (Some(tx), Some(name)) = (&self.tx, self.part.and_then(|p| self.names.get(p))) {
            // The exporter ends only when this ends; a send cannot fail
            // unless it panicked, and then finish reports it.
            let _ = tx.send(Full {
                name: name.clone(),
                pages,
                inputs,
            });
        }
        self.part = None;
        self.seen = 0;
    }

    /// Sends the last part and closes the exporter's queue.
    pub fn finish(mut self) {
        self.flush();
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
