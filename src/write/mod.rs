//! Stage 5, write: file names from a pattern, atomic writes, the manifest
//! and the combined print file. Every output lands inside the output folder
//! and appears there complete or not at all.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};

use crate::model::Person;

/// Makes one safe path component from data: no separators, no `..`, no
/// control characters, no leading dot, at most 100 characters.
pub fn sanitize_component(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        let c = match c {
            c if c.is_alphanumeric() => c,
            '-' | '_' | '.' => c,
            c if c.is_whitespace() => '-',
            _ => '_',
        };
        // Collapse runs of separators ("a - b" → "a-b", "../.." → "_").
        if matches!(c, '-' | '_' | '.') && out.ends_with(['-', '_', '.']) {
            continue;
        }
        out.push(c);
    }
    // At most 100 characters and 150 bytes: a file system allows 255
    // bytes a name, and the temporary file adds its own ~40 (100 Chinese
    // characters were 300 bytes, and the write failed).
    let mut bytes = 0;
    let out: String = out
        .trim_matches(['-', '_', '.'])
        .chars()
        .take(100)
        .take_while(|c| {
            bytes += c.len_utf8();
            bytes <= 150
        })
        .collect();
    if out.is_empty() {
        "unnamed".to_string()
    } else {
        out
    }
}

/// Turns the pattern (`{id}-{last_name}`) into unique file names.
pub struct Namer {
    pattern: String,
    used: HashSet<String>,
}

impl Namer {
    pub fn new(pattern: &str) -> Namer {
        Namer {
            pattern: pattern.to_string(),
            used: HashSet::new(),
        }
    }

    /// The unknown placeholders of the pattern, checked once before a run.
    pub fn unknown_placeholders(pattern: &str, known: &[String]) -> Vec<String> {
        placeholders(pattern)
            .filter(|p| !known.iter().any(|k| k == p))
            .map(str::to_string)
            .collect()
    }

    /// `K-1001-Weber.pdf`; a person without a name is named by the company.
    pub fn name(&mut self, person: &Person) -> String {
        let suffix = self.suffix(person);
        Namer::file_name(&self.pattern, person, suffix)
    }

    /// The number that makes this person's name unique in the run (0: the
    /// name as it is; 2, 3, …: `-2`, `-3` appended) — all a plan keeps.
    pub fn suffix(&mut self, person: &Person) -> u32 {
        let base = Namer::base(&self.pattern, person);
        let mut n = 0;
        while !self.used.insert(with_suffix(&base, n).to_lowercase()) {
            n = n.max(1) + 1;
        }
        n
    }

    /// The file name for a person and the suffix [`Namer::suffix`] gave.
    pub fn file_name(pattern: &str, person: &Person, suffix: u32) -> String {
        with_suffix(&Namer::base(pattern, person), suffix)
    }

    fn base(pattern: &str, person: &Person) -> String {
        let mut out = String::new();
        let mut rest = pattern;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let key = &rest[start + 1..start + len];
            let mut value = person.get(key).to_string();
            if value.trim().is_empty() && matches!(key, "last_name" | "first_name" | "name") {
                value = person.get("company").to_string();
            }
            out.push_str(&value);
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        sanitize_component(&out)
    }
}

fn with_suffix(base: &str, n: u32) -> String {
    match n {
        0 => format!("{base}.pdf"),
        n => format!("{base}-{n}.pdf"),
    }
}

fn placeholders(pattern: &str) -> impl Iterator<Item = &str> {
    pattern
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(k, _)| k))
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `dir/name` atomically: a temporary file in the same
/// folder, flushed to disk, then renamed over the target.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let target = dir.join(name);
    let tmp = temp_path(dir, name);
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|_| target)
}

/// A file written but not yet in place: the first half of
/// [`write_atomic`], for writers that make many files durable at once
/// ([`Pending::publish`]).
#[derive(Debug)]
pub struct Pending {
    pub tmp: PathBuf,
    pub target: PathBuf,
}

impl Pending {
    /// Writes `bytes` to a temporary file beside `dir/name`, without
    /// flushing it to disk.
    pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<Pending> {
        let tmp = temp_path(dir, name);
        if let Err(e) = std::fs::write(&tmp, bytes) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(Pending {
            tmp,
            target: dir.join(name),
        })
    }

    /// Puts files written by [`Pending::write`] in `dir` in place, durably:
    /// their contents are flushed to disk (on Linux with one `syncfs` for
    /// all of them), then each is renamed over its target, then the folder
    /// is flushed so the names are on disk too. A file whose rename fails
    /// is removed and its error returned in its place; the others are in
    /// place when this returns.
    pub fn publish(dir: &Path, files: Vec<Pending>) -> Vec<std::io::Result<PathBuf>> {
        if files.is_empty() {
            return Vec::new();
        }
        let flushed = sync_contents(dir, &files);
        let results: Vec<std::io::Result<PathBuf>> = files
            .into_iter()
            .zip(flushed)
            .map(|(file, flushed)| {
                let result = flushed.and_then(|_| std::fs::rename(&file.tmp, &file.target));
                match result {
                    Ok(()) => Ok(file.target),
                    Err(e) => {
                        let _ = std::fs::remove_file(&file.tmp);
                        Err(e)
                    }
                }
            })
            .collect();
        if results.iter().any(|r| r.is_ok()) {
            // The renames: one flush of the folder for all of them.
            if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
                return results
                    .into_iter()
                    .map(|r| r.and(Err(std::io::Error::new(e.kind(), e.to_string()))))
                    .collect();
            }
        }
        results
    }
}

/// Flushes the contents of the files to disk: one `syncfs` of the file
/// system that holds them on Linux, an fsync per file elsewhere (or when
/// `syncfs` fails).
fn sync_contents(dir: &Path, files: &[Pending]) -> Vec<std::io::Result<()>> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(folder) = File::open(dir) {
            // SAFETY: syncfs only reads the descriptor, which lives until the end of the block.
            if unsafe { libc::syncfs(folder.as_raw_fd()) } == 0 {
                return files.iter().map(|_| Ok(())).collect();
            }
        }
    }
    let _ = dir;
    files
        .iter()
        .map(|f| File::options().write(true).open(&f.tmp)?.sync_all())
        .collect()
}

fn temp_path(dir: &Path, name: &str) -> PathBuf {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Removes temporary files a killed run left behind (`.<name>.<pid>-<n>.tmp`).
/// Only called while holding the campaign's lock.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of a file, read in pieces (a history file may be large).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut hash = Sha256::new();
    std::io::copy(&mut File::open(path)?, &mut hash)?;
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// `manifest.csv`, written as pieces finish and put in place at the end.
/// Rows may arrive in another order than the manifest lists them (the
/// pieces are made in print order when the print file is made from their
/// pages): each row says its place, and `finish` puts them in that order
/// from the side file, with an index of a few bytes per row in memory.
pub struct ManifestWriter {
    dir: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
    header: Option<Vec<u8>>,
    written: u64,
    /// (place, offset, length) of every row in `tmp`.
    index: Vec<(u32, u64, u32)>,
}

impl ManifestWriter {
    pub const NAME: &'static str = "manifest.csv";

    pub fn create(dir: &Path) -> std::io::Result<ManifestWriter> {
        let tmp = temp_path(dir, Self::NAME);
        let file = File::create(&tmp)?;
        Ok(ManifestWriter {
            dir: dir.to_path_buf(),
            file: Some(BufWriter::new(file)),
            tmp,
            header: None,
            written: 0,
            index: Vec::new(),
        })
    }

    /// Writes the row that belongs at `place` (0-based).
    pub fn row(&mut self, place: usize, row: &impl serde::Serialize) -> std::io::Result<()> {
        let first = self.header.is_none();
        let mut csv = csv::WriterBuilder::new()
            .has_headers(first)
            .from_writer(Vec::new());
        csv.serialize(row).map_err(std::io::Error::other)?;
        let mut bytes = csv.into_inner().map_err(|e| e.into_error())?;
        if first {
            // The header is the first line (field names hold no newline).
            let end = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
            let header: Vec<u8> = bytes.drain(..end).collect();
            let file = self.file.as_mut().expect("rows come before finish");
            file.write_all(&header)?;
            self.written += header.len() as u64;
            self.header = Some(header);
        }
        let file = self.file.as_mut().expect("rows come before finish");
        file.write_all(&bytes)?;
        self.index
            .push((place as u32, self.written, bytes.len() as u32));
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Flushes the rows to disk, in their places, and puts the manifest in place.
    pub fn finish(mut self) -> std::io::Result<PathBuf> {
        let file = self.file.take().expect("finish is called once");
        let file = file.into_inner().map_err(|e| e.into_error())?;
        let target = self.dir.join(Self::NAME);
        if self.index.is_sorted_by_key(|(place, ..)| *place) {
            file.sync_all()?;
            std::fs::rename(&self.tmp, &target)?;
            return Ok(target);
        }
        drop(file);
        let result = self.reorder(&target);
        let _ = std::fs::remove_file(&self.tmp);
        result.map(|_| target)
    }

    fn reorder(&mut self, target: &Path) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        self.index.sort_by_key(|(place, ..)| *place);
        let ordered = temp_path(&self.dir, "manifest-ordered.csv");
        let mut source = File::open(&self.tmp)?;
        let mut out = BufWriter::new(File::create(&ordered)?);
        out.write_all(self.header.as_deref().unwrap_or_default())?;
        let mut buffer = Vec::new();
        for &(_, offset, len) in &self.index {
            buffer.resize(len as usize, 0);
            source.seek(SeekFrom::Start(offset))?;
            source.read_exact(&mut buffer)?;
            out.write_all(&buffer)?;
        }
        let out = out.into_inner().map_err(|e| e.into_error())?;
        out.sync_all()?;
        std::fs::rename(&ordered, target).inspect_err(|_| {
            let _ = std::fs::remove_file(&ordered);
        })
    }
}

impl Drop for ManifestWriter {
    /// An unfinished manifest leaves the last complete one in place.
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// `postcodes.csv` for a bulk-mail hand-off: pieces per country and 2-digit
/// region (the German Leitregion) and per postcode, in postcode order.
pub fn postcode_summary(pieces: impl Iterator<Item = (String, String)>) -> Vec<u8> {
    let mut counts = PostcodeCounts::default();
    for (country, code) in pieces {
        let code = code.trim();
        let region: String = code.chars().take(2).collect();
        *counts.regions.entry((country.clone(), region)).or_default() += 1;
        *counts.codes.entry((country, code.to_string())).or_default() += 1;
    }
    counts.to_csv()
}

/// The counts of `postcodes.csv`, which add up: the shards' files of a
/// run summed are the file one run would have written (`warmly merge`).
#[derive(Debug, Default)]
pub struct PostcodeCounts {
    regions: BTreeMap<(String, String), usize>,
    codes: BTreeMap<(String, String), usize>,
}

impl PostcodeCounts {
    /// Adds the rows of a `postcodes.csv`.
    pub fn add_csv(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut reader = csv::Reader::from_reader(bytes);
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| e.to_string())?;
            let bad = || format!("line {}: not a row of postcodes.csv", i + 2);
            let (Some(country), Some(level), Some(code), Some(n)) =
                (record.get(0), record.get(1), record.get(2), record.get(3))
            else {
                return Err(bad());
            };
            let n: usize = n.parse().map_err(|_| bad())?;
            let map = match level {
                "region" => &mut self.regions,
                "postal_code" => &mut self.codes,
                _ => return Err(bad()),
            };
            *map.entry((country.to_string(), code.to_string()))
                .or_default() += n;
        }
        Ok(())
    }

    pub fn to_csv(&self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer
            .write_record(["country", "level", "code", "pieces"])
            .expect("CSV to memory");
        for (level, map) in [("region", &self.regions), ("postal_code", &self.codes)] {
            for ((country, code), n) in map {
                writer
                    .write_record([country.as_str(), level, code.as_str(), &n.to_string()])
                    .expect("CSV to memory");
            }
        }
        writer.into_inner().expect("flush to memory")
    }
}

/// Concatenates PDFs into one, streaming: one input document is in memory
/// at a time, so a print file of 10 000 letters costs no more memory than
/// one letter. Written atomically to `target`.
pub fn combine_pdfs(
    inputs: impl IntoIterator<Item = PathBuf>,
    target: &Path,
    duplex: bool,
) -> Result<(), String> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = temp_path(dir, &name);
    let result = combine_into(inputs, &tmp, duplex)
        .and_then(|_| std::fs::rename(&tmp, target).map_err(|e| e.to_string()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Inheritable page attributes that may sit on a parent `Pages` node.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

fn combine_into(
    inputs: impl IntoIterator<Item = PathBuf>,
    tmp: &Path,
    duplex: bool,
) -> Result<(), String> {
    const PAGES_ID: ObjectId = (1, 0);
    const CATALOG_ID: ObjectId = (2, 0);
    let file = File::create(tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut out = Counting {
        inner: BufWriter::new(file),
        written: 0,
    };
    let io = |e: std::io::Error| e.to_string();
    out.write_all(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
        .map_err(io)?;
    // The cross-reference table, streamed: objects are written in rising id
    // order, so their entries go to a side file as they come and the
    // memory stays flat however many pieces the file holds.
    let mut xref = Xref::create(tmp)?;
    let mut kids: Vec<ObjectId> = Vec::new();
    let mut next_id = 3;
    for path in inputs {
        let path = path.as_path();
        let mut doc = Document::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
        doc.renumber_objects_with(next_id);
        next_id = doc.max_id + 1;
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        for &page_id in &pages {
            let mut inherited = Vec::new();
            for key in INHERITED {
                if let Some(value) = inherited_attribute(&doc, page_id, key) {
                    inherited.push((key, value));
                }
            }
            if let Ok(Object::Dictionary(dict)) = doc.get_object_mut(page_id) {
                for (key, value) in inherited {
                    dict.set(key, value);
                }
                dict.set("Parent", Object::Reference(PAGES_ID));
                dict.remove(b"StructParents");
            }
            kids.push(page_id);
        }
        for (id, object) in &doc.objects {
            if is_skipped(object) {
                continue;
            }
            xref.entry(id.0, out.written)?;
            writeln!(out, "{} {} obj", id.0, id.1).map_err(io)?;
            lopdf::Writer::write_object(&mut out, object).map_err(|e| e.to_string())?;
            out.write_all(b"\nendobj\n").map_err(io)?;
        }
        // Duplex: every recipient starts on a front side, so a document
        // with an odd number of pages gets a blank back.
        if duplex && pages.len() % 2 == 1 {
            let last = *pages.last().expect("odd means at least one page");
            let mut blank = Dictionary::new();
            blank.set("Type", Object::Name(b"Page".to_vec()));
            blank.set("Parent", Object::Reference(PAGES_ID));
            for key in [&b"MediaBox"[..], b"TrimBox", b"BleedBox"] {
                if let Some(value) = inherited_attribute(&doc, last, key) {
                    blank.set(key, value);
                }
            }
            blank.set("Resources", Object::Dictionary(Dictionary::new()));
            let id = next_id;
            next_id += 1;
            xref.entry(id, out.written)?;
            writeln!(out, "{id} 0 obj").map_err(io)?;
            lopdf::Writer::write_object(&mut out, &Object::Dictionary(blank))
                .map_err(|e| e.to_string())?;
            out.write_all(b"\nendobj\n").map_err(io)?;
            kids.push((id, 0));
        }
    }
    let count = kids.len() as i64;
    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set(
        "Kids",
        Object::Array(kids.into_iter().map(Object::Reference).collect()),
    );
    pages.set("Count", Object::Integer(count));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(PAGES_ID));
    let mut head = [0u64; 3];
    for (id, object) in [
        (PAGES_ID, Object::Dictionary(pages)),
        (CATALOG_ID, Object::Dictionary(catalog)),
    ] {
        head[id.0 as usize] = out.written;
        writeln!(out, "{} 0 obj", id.0).map_err(io)?;
        lopdf::Writer::write_object(&mut out, &object).map_err(|e| e.to_string())?;
        out.write_all(b"\nendobj\n").map_err(io)?;
    }
    let xref_at = out.written;
    let size = next_id.max(3);
    write!(out, "xref\n0 {size}\n0000000000 65535 f \n").map_err(io)?;
    for offset in &head[1..] {
        writeln!(out, "{offset:010} 00000 n ").map_err(io)?;
    }
    xref.copy_into(size, &mut out)?;
    write!(
        out,
        "trailer\n<< /Size {size} /Root 2 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    )
    .map_err(io)?;
    let mut inner = out.inner.into_inner().map_err(|e| e.to_string())?;
    inner.flush().map_err(io)?;
    inner.sync_all().map_err(io)
}

/// The entries of the cross-reference table from id 3 on, in a side file
/// next to the print file (removed when done).
struct Xref {
    path: PathBuf,
    file: BufWriter<File>,
    /// The next id whose entry is due.
    next: u32,
}

/// A cross-reference entry is 20 bytes: offset, generation, kind, EOL.
const FREE: &[u8; 20] = b"0000000000 00000 f \n";

impl Xref {
    fn create(print_file: &Path) -> Result<Xref, String> {
        let path = PathBuf::from(format!("{}.xref.tmp", print_file.display()));
        let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Xref {
            path,
            file: BufWriter::new(file),
            next: 3,
        })
    }

    /// Object `id` starts at `offset`; ids skipped since the last one are free.
    fn entry(&mut self, id: u32, offset: u64) -> Result<(), String> {
        let io = |e: std::io::Error| e.to_string();
        if id < self.next {
            return Err(format!("PDF object {id} comes out of order"));
        }
        while self.next < id {
            self.file.write_all(FREE).map_err(io)?;
            self.next += 1;
        }
        writeln!(self.file, "{offset:010} 00000 n ").map_err(io)?;
        self.next = id + 1;
        Ok(())
    }

    /// Appends the entries up to `size` (the rest free) to `out`.
    fn copy_into(mut self, size: u32, out: &mut impl Write) -> Result<(), String> {
        let io = |e: std::io::Error| e.to_string();
        while self.next < size {
            self.file.write_all(FREE).map_err(io)?;
            self.next += 1;
        }
        self.file.flush().map_err(io)?;
        let mut entries = File::open(&self.path).map_err(io)?;
        std::io::copy(&mut entries, out).map_err(io)?;
        Ok(())
    }
}

impl Drop for Xref {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The catalog, page-tree nodes and cross-reference machinery of an input
/// are replaced by the combined file's own.
fn is_skipped(object: &Object) -> bool {
    let Object::Dictionary(dict) = object else {
        if let Object::Stream(stream) = object {
            return matches!(stream.dict.get(b"Type"), Ok(Object::Name(n)) if n == b"XRef" || n == b"ObjStm");
        }
        return false;
    };
    matches!(dict.get(b"Type"), Ok(Object::Name(n)) if n == b"Catalog" || n == b"Pages")
}

fn inherited_attribute(doc: &Document, page: ObjectId, key: &[u8]) -> Option<Object> {
    let mut current = doc.get_dictionary(page).ok()?;
    for _ in 0..32 {
        if let Ok(value) = current.get(key) {
            return Some(value.clone());
        }
        let parent = current.get(b"Parent").ok()?.as_reference().ok()?;
        current = doc.get_dictionary(parent).ok()?;
    }
    None
}

struct Counting<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_never_names_a_path() {
        assert_eq!(sanitize_component("../../x"), "x");
        assert_eq!(sanitize_component("/etc/passwd"), "etc_passwd");
        assert_eq!(sanitize_component("..\\..\\win"), "win");
        assert_eq!(
            sanitize_component("K-1001 Müller & Söhne"),
            "K-1001-Müller-Söhne"
        );
        assert_eq!(sanitize_component("..."), "unnamed");
        assert_eq!(sanitize_component(&"京".repeat(100)), "京".repeat(50));
        assert_eq!(sanitize_component("a\u{0}b\nc"), "a_b-c");
    }

    #[test]
    fn placeholders_are_found() {
        let unknown = Namer::unknown_placeholders("{id}-{nme}", &["id".into(), "name".into()]);
        assert_eq!(unknown, ["nme"]);
    }
}
