//! `warmly merge --out DIR SHARD_DIR…`: joins the output folders of a
//! sharded run into what one run would have written — the manifest's rows
//! in plan order, every piece's PDF (linked, or copied across file
//! systems), the print file in the same parts and page order, the postcode
//! counts. It reads only the shards' folders: each shard's `shard.json`
//! (written last by `render --shard`) says which run it belongs to and
//! where its pieces go. Shards of different runs, a missing shard or one
//! given twice stop it before anything is written.
//!
//! The print file's parts were made by the shards themselves — each
//! shard lays out its share of the run's parts from the pages, as one run
//! does — and are put in place unchanged, so they are the bytes one run
//! writes. Only when a shard could not make its parts (it kept files of
//! an earlier run) are the pieces' PDFs joined instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::args::MergeArgs;
use crate::error::{Error, Result, EXIT_OK, EXIT_PARTIAL};
use crate::manifest::{ManifestLine, ManifestReader, ManifestWriter, Status};
use crate::shard::{ShardInfo, ShardPiece};
use crate::write::{self, PostcodeCounts};

/// A shard's folder and what it says of itself.
struct ShardDir {
    dir: PathBuf,
    info: ShardInfo,
}

/// A piece of the run: where it sorts, where it is.
struct Piece {
    input: u32,
    print_key: String,
    /// Index into the shards.
    shard: usize,
    file: String,
    failed: bool,
    kept: bool,
}

pub fn run(args: &MergeArgs) -> Result<u8> {
    let shards = read_shards(&args.shards)?;
    check_together(&shards, &args.out)?;
    let first = &shards[0].info;
    let total: usize = shards.iter().map(|s| s.info.pieces.len()).sum();
    if total == 0 {
        if !args.quiet {
            crate::errln!(
                "no shard of {} ({}) produced a piece: nothing to merge, nothing was written",
                first.campaign,
                first.run_date
            );
        }
        return Ok(EXIT_OK);
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let pieces = merge_manifests(&shards, &args.out)?;
    for piece in pieces.iter().filter(|p| !p.failed) {
        let from = shards[piece.shard].dir.join(&piece.file);
        place(&from, &args.out, &piece.file).map_err(|e| {
            Error::config(format!("{}: {e}", from.display()))
                .with_hint("the shard's folder is incomplete: run that shard again")
        })?;
    }
    let mut printed = Vec::new();
    if let Some(name) = &first.print_file {
        printed = print_file(&shards, &pieces, name, &args.out, args.quiet)?;
        postcodes(&shards, &pieces, &args.out)?;
    }
    let failed = pieces.iter().filter(|p| p.failed).count();
    if !args.quiet {
        crate::errln!(
            "merged {} shards of {} ({}): {} piece(s){} → {}",
            shards.len(),
            first.campaign,
            first.run_date,
            pieces.len() - failed,
            if failed > 0 {
                format!(", {failed} failed in their shard (see manifest.csv)")
            } else {
                String::new()
            },
            args.out.join(ManifestWriter::NAME).display()
        );
        if let (Some(a), Some(b)) = (printed.first(), printed.last()) {
            match printed.len() {
                1 => crate::errln!("print file: {}", args.out.join(a).display()),
                n => crate::errln!(
                    "print files: {n}, {} … {}",
                    args.out.join(a).display(),
                    args.out.join(b).display()
                ),
            }
        }
    }
    Ok(if failed > 0 { EXIT_PARTIAL } else { EXIT_OK })
}

/// Every folder's `shard.json`.
fn read_shards(dirs: &[PathBuf]) -> Result<Vec<ShardDir>> {
    dirs.iter()
        .map(|dir| {
            let path = dir.join(ShardInfo::FILE);
            let text = std::fs::read(&path).map_err(|e| {
                Error::config(format!("{}: {e}", path.display())).with_hint(format!(
                    "{} is not the folder of a finished shard (`render --shard` writes {} last)",
                    dir.display(),
                    ShardInfo::FILE
                ))
            })?;
            let info: ShardInfo = serde_json::from_slice(&text).map_err(|e| {
                Error::config(format!("{}: cannot be read: {e}", path.display()))
                    .with_hint("it is written by `warmly render --shard`; run that shard again")
            })?;
            Ok(ShardDir {
                dir: dir.clone(),
                info,
            })
        })
        .collect()
}

/// Why two shards are not of one run, if they are not.
fn differs(a: &ShardInfo, b: &ShardInfo) -> Option<String> {
    if a.campaign != b.campaign {
        return Some(format!(
            "campaign \"{}\" and \"{}\"",
            a.campaign, b.campaign
        ));
    }
    if a.run_date != b.run_date {
        return Some(format!("run date {} and {}", a.run_date, b.run_date));
    }
    if a.of != b.of {
        return Some(format!("{} and {} shards", a.of, b.of));
    }
    if a.warmly != b.warmly {
        return Some(format!("warmly {} and {}", a.warmly, b.warmly));
    }
    let same = (&a.fingerprint, &a.print_file, a.print_part, a.duplex)
        == (&b.fingerprint, &b.print_file, b.print_part, b.duplex);
    (!same).then(|| "made from different data files, templates or campaign settings".to_string())
}

/// The shards are one run, each once, none missing; the output is none of them.
fn check_together(shards: &[ShardDir], out: &Path) -> Result<()> {
    let first = &shards[0];
    for other in &shards[1..] {
        if let Some(what) = differs(&first.info, &other.info) {
            return Err(Error::config(format!(
                "{} and {} are not shards of one run: {what}",
                first.dir.display(),
                other.dir.display()
            ))
            .with_hint("merge the shards of one campaign, run date and shard count"));
        }
    }
    let count = first.info.of;
    let mut seen: BTreeMap<u32, &Path> = BTreeMap::new();
    for shard in shards {
        if let Some(before) = seen.insert(shard.info.shard, shard.dir.as_path()) {
            return Err(Error::config(format!(
                "shard {}/{count} is given twice: {} and {}",
                shard.info.shard,
                before.display(),
                shard.dir.display()
            ))
            .with_hint("give each shard's folder once"));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::config(format!(
            "shard{} {} of {} ({}) missing: {} of {count} given",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            first.info.campaign,
            first.info.run_date,
            shards.len()
        ))
        .with_hint(format!(
            "run the missing shard(s) (render --shard I/{count}, into shard-I-of-{count}/), then merge all {count}"
        )));
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(shard) = shards.iter().find(|s| same(&s.dir, out)) {
        return Err(Error::config(format!(
            "--out {} is the folder of shard {}/{count}",
            out.display(),
            shard.info.shard
        ))
        .with_hint("merge into the run's folder, e.g. the shards' parent"));
    }
    Ok(())
}

/// One shard's manifest, read row by row.
struct Rows {
    reader: ManifestReader,
    /// The position in the shard's `shard.json` pieces of the next row.
    next: usize,
    current: Option<ManifestLine>,
}

/// Writes the manifest of the whole run — the shards' rows, each in its
/// plan place (the people file's order), streamed: each shard's rows are
/// already in that order, so the next row is the smallest of the shards'
/// next ones. Returns every piece for the print file.
fn merge_manifests(shards: &[ShardDir], out: &Path) -> Result<Vec<Piece>> {
    let (header, mut streams) = open_manifests(shards)?;
    let tmp = out.join(format!(
        ".{}.merge-{}.tmp",
        ManifestWriter::NAME,
        std::process::id()
    ));
    let result = (|| -> Result<Vec<Piece>> {
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut sink = csv::Writer::from_writer(std::io::BufWriter::new(file));
        sink.write_byte_record(&header)
            .map_err(|e| csv_error(&tmp, e))?;
        for (i, stream) in streams.iter_mut().enumerate() {
            if let Some(rows) = stream {
                advance(rows, &shards[i])?;
            }
        }
        let mut pieces = Vec::new();
        while let Some((line, meta, i)) = next_in_plan(&mut streams, shards) {
            pieces.push(Piece {
                input: meta.input,
                print_key: meta.print_key.clone(),
                shard: i,
                file: line.row.file.clone(),
                failed: line.row.status == Status::Failed,
                kept: line.row.status == Status::Kept,
            });
            sink.write_byte_record(&line.raw)
                .map_err(|e| csv_error(&tmp, e))?;
            advance(streams[i].as_mut().expect("chosen"), &shards[i])?;
        }
        let file = sink
            .into_inner()
            .map_err(|e| Error::io(&tmp, e.into_error()))?
            .into_inner()
            .map_err(|e| Error::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, out.join(ManifestWriter::NAME)).map_err(|e| Error::io(&tmp, e))?;
        Ok(pieces)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Every shard's manifest with pieces (none for a shard without), and
/// their columns, which must be the same.
fn open_manifests(shards: &[ShardDir]) -> Result<(csv::ByteRecord, Vec<Option<Rows>>)> {
    let mut header: Option<(csv::ByteRecord, &Path)> = None;
    let mut streams = Vec::new();
    for shard in shards {
        if shard.info.pieces.is_empty() {
            streams.push(None);
            continue;
        }
        let reader = ManifestReader::open(&shard.dir.join(ManifestWriter::NAME))?;
        match &header {
            None => header = Some((reader.header().clone(), shard.dir.as_path())),
            Some((h, dir)) if h != reader.header() => {
                return Err(Error::config(format!(
                    "the manifests of {} and {} have different columns",
                    dir.display(),
                    shard.dir.display()
                ))
                .with_hint("run every shard with the same campaign and options"))
            }
            Some(_) => {}
        }
        streams.push(Some(Rows {
            reader,
            next: 0,
            current: None,
        }));
    }
    let (header, _) = header.expect("a shard has pieces");
    Ok((header, streams))
}

/// The row that comes next in plan order (the smallest input line of the
/// shards' next rows), with its place in `shard.json` and its shard.
fn next_in_plan<'s>(
    streams: &mut [Option<Rows>],
    shards: &'s [ShardDir],
) -> Option<(ManifestLine, &'s ShardPiece, usize)> {
    let (_, i) = streams
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let rows = s.as_ref()?;
            rows.current.as_ref()?;
            Some((shards[i].info.pieces[rows.next - 1].input, i))
        })
        .min()?;
    let rows = streams[i].as_mut().expect("chosen above");
    let line = rows.current.take().expect("chosen above");
    Some((line, &shards[i].info.pieces[rows.next - 1], i))
}

/// Reads a shard's next manifest row; the rows and `shard.json` must agree.
fn advance(rows: &mut Rows, shard: &ShardDir) -> Result<()> {
    let path = shard.dir.join(ManifestWriter::NAME);
    let line = rows.reader.next_line()?;
    let more = line.is_some();
    let expected = shard.info.pieces.len();
    match (more, rows.next < expected) {
        (true, true) => {
            rows.current = line;
            rows.next += 1;
            Ok(())
        }
        (false, false) => Ok(()),
        _ => Err(Error::config(format!(
            "{}: {} row(s), but {} says {expected}",
            path.display(),
            rows.next + usize::from(more),
            ShardInfo::FILE
        ))
        .with_hint("the shard's folder is incomplete: run that shard again")),
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    Error::config(format!("{}: {e}", path.display()))
}

/// Puts `from` at `dir/name`: a hard link (no copy of the bytes), or a
/// copy when the shard is on another file system; through a temporary
/// name, so the file is complete or not there.
fn place(from: &Path, dir: &Path, name: &str) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.merge-{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(from, &tmp).is_err() {
        std::fs::copy(from, &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
    }
    let result = std::fs::rename(&tmp, dir.join(name));
    // Renaming a link onto the same file does nothing and leaves the link.
    let _ = std::fs::remove_file(&tmp);
    result
}

/// The print file of the run: the pieces in print order (by the shards'
/// keys, ties in plan order), cut into the parts an unsharded run makes —
/// parts of `print_part` positions of all pieces (failed ones hold their
/// place) when every piece was made now, one file when some were kept.
///
/// Every part was made by one shard from the laid-out pages, as one run
/// makes it (`print_file::share`): it is put in place as it is, when it
/// holds exactly the pieces it should. Otherwise (a shard kept files of an
/// earlier run, or was run again alone) the pieces' PDFs are joined, which
/// is larger, and the merge says why.
fn print_file(
    shards: &[ShardDir],
    pieces: &[Piece],
    name: &str,
    out: &Path,
    quiet: bool,
) -> Result<Vec<String>> {
    let info = &shards[0].info;
    let mut order: Vec<&Piece> = pieces.iter().collect();
    order.sort_by(|a, b| (&a.print_key, a.input).cmp(&(&b.print_key, b.input)));
    let any_kept = pieces.iter().any(|p| p.kept);
    let parts: Vec<(String, Vec<&Piece>)> = if any_kept {
        vec![(
            name.to_string(),
            order.into_iter().filter(|p| !p.failed).collect(),
        )]
    } else {
        let names = crate::print_file::part_names(name, order.len(), info.print_part);
        names
            .into_iter()
            .zip(order.chunks(info.print_part.max(1)))
            .map(|(n, chunk)| {
                let in_part: Vec<&Piece> = chunk.iter().copied().filter(|p| !p.failed).collect();
                (n, in_part)
            })
            .filter(|(_, in_part)| !in_part.is_empty())
            .collect()
    };
    let made = match any_kept {
        true => Err("some pieces were kept from an earlier run".to_string()),
        false => made_parts(shards, &parts),
    };
    let mut written: Vec<String> = Vec::new();
    match made {
        Ok(sources) => {
            for ((part, _), from) in parts.iter().zip(&sources) {
                place(from, out, part).map_err(|e| {
                    Error::config(format!("{}: {e}", from.display()))
                        .with_hint("the shard's folder is incomplete: run that shard again")
                })?;
                written.push(part.clone());
            }
        }
        Err(why) => {
            if !quiet && !any_kept {
                crate::errln!(
                    "note: the print file is joined from the pieces' PDFs (larger than one run's): {why}"
                );
            }
            for (part, in_part) in parts {
                let inputs = in_part.iter().map(|p| out.join(&p.file));
                crate::pdf::merge::combine_pdfs(inputs, &out.join(&part), info.duplex).map_err(
                    |e| Error::config(format!("the print file {part} could not be written: {e}")),
                )?;
                written.push(part);
            }
        }
    }
    crate::print_file::remove_other_parts(out, name, &written);
    Ok(written)
}

/// Where each part is, made by a shard with exactly the pieces one run
/// would put into it; or why not.
fn made_parts(
    shards: &[ShardDir],
    parts: &[(String, Vec<&Piece>)],
) -> std::result::Result<Vec<PathBuf>, String> {
    let mut by_name: BTreeMap<&str, (&ShardDir, &crate::shard::ShardPart)> = BTreeMap::new();
    for shard in shards {
        for part in &shard.info.parts {
            by_name.insert(part.name.as_str(), (shard, part));
        }
    }
    parts
        .iter()
        .map(|(name, in_part)| {
            let (shard, made) = by_name.get(name.as_str()).ok_or_else(|| {
                format!("no shard made {name} (one kept files of an earlier run, or had no piece of its own)")
            })?;
            let expected: Vec<u32> = in_part.iter().map(|p| p.input).collect();
            if made.inputs != expected {
                return Err(format!(
                    "{name} of shard {}/{} holds other pieces than the run's (was a shard run again on its own?)",
                    shard.info.shard, shard.info.of
                ));
            }
            Ok(shard.dir.join(name))
        })
        .collect()
}

/// `postcodes.csv`: the shards' counts added up (a shard with nothing to
/// print wrote none, and one left from an earlier run is not read).
fn postcodes(shards: &[ShardDir], pieces: &[Piece], out: &Path) -> Result<()> {
    let mut counts = PostcodeCounts::default();
    let mut any = false;
    let printed = |i: usize| pieces.iter().any(|p| p.shard == i && !p.failed);
    for (_, shard) in shards.iter().enumerate().filter(|(i, _)| printed(*i)) {
        let path = shard.dir.join("postcodes.csv");
        match std::fs::read(&path) {
            Ok(bytes) => {
                counts
                    .add_csv(&bytes)
                    .map_err(|e| Error::config(format!("{}: {e}", path.display())))?;
                any = true;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    if any {
        write::write_atomic(out, "postcodes.csv", &counts.to_csv())
            .map_err(|e| Error::io(out, e))?;
    }
    Ok(())
}
