//! The print file joined from the pieces' PDFs on disk, when some pieces
//! were kept from an earlier run (otherwise it is exported from the laid-out
//! pages, print_file.rs). Streaming: one input document is in memory at a
//! time.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::write::durable::temp_path;

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

/// The page tree and the catalog of the joined file.
const PAGES_ID: ObjectId = (1, 0);
const CATALOG_ID: ObjectId = (2, 0);

fn combine_into(
    inputs: impl IntoIterator<Item = PathBuf>,
    tmp: &Path,
    duplex: bool,
) -> Result<(), String> {
    let file = File::create(tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut joiner = Joiner {
        out: Counting {
            inner: BufWriter::new(file),
            written: 0,
        },
        // The cross-reference table, streamed: objects are written in
        // rising id order, so their entries go to a side file as they come
        // and the memory stays flat however many pieces the file holds.
        xref: Xref::create(tmp)?,
        kids: Vec::new(),
        next_id: 3,
    };
    joiner
        .out
        .write_all(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
        .map_err(io)?;
    for path in inputs {
        joiner.document(&path, duplex)?;
    }
    joiner.finish()
}

fn io(e: std::io::Error) -> String {
    e.to_string()
}

/// The joined file as it is written.
struct Joiner {
    out: Counting<BufWriter<File>>,
    xref: Xref,
    /// The pages, in order.
    kids: Vec<ObjectId>,
    next_id: u32,
}

impl Joiner {
    /// One input's pages and objects, renumbered after the ones before;
    /// with `duplex` a blank back after an odd number of pages.
    fn document(&mut self, path: &Path, duplex: bool) -> Result<(), String> {
        let mut doc = Document::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
        doc.renumber_objects_with(self.next_id);
        self.next_id = doc.max_id + 1;
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
            self.kids.push(page_id);
        }
        for (id, object) in &doc.objects {
            if !is_skipped(object) {
                self.xref.entry(id.0, self.out.written)?;
                self.object(*id, object)?;
            }
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
            let id = (self.next_id, 0);
            self.next_id += 1;
            self.xref.entry(id.0, self.out.written)?;
            self.object(id, &Object::Dictionary(blank))?;
            self.kids.push(id);
        }
        Ok(())
    }

    fn object(&mut self, id: ObjectId, object: &Object) -> Result<(), String> {
        writeln!(self.out, "{} {} obj", id.0, id.1).map_err(io)?;
        lopdf::Writer::write_object(&mut self.out, object).map_err(|e| e.to_string())?;
        self.out.write_all(b"\nendobj\n").map_err(io)
    }

    /// The page tree, the catalog, the cross-reference table and the
    /// trailer; then the file is flushed to disk.
    fn finish(mut self) -> Result<(), String> {
        let mut pages = Dictionary::new();
        let count = self.kids.len() as i64;
        let kids = std::mem::take(&mut self.kids);
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
            head[id.0 as usize] = self.out.written;
            self.object(id, &object)?;
        }
        let xref_at = self.out.written;
        let mut out = self.out;
        let size = self.next_id.max(3);
        write!(out, "xref\n0 {size}\n0000000000 65535 f \n").map_err(io)?;
        for offset in &head[1..] {
            writeln!(out, "{offset:010} 00000 n ").map_err(io)?;
        }
        self.xref.copy_into(size, &mut out)?;
        write!(
            out,
            "trailer\n<< /Size {size} /Root 2 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        .map_err(io)?;
        let mut inner = out.inner.into_inner().map_err(|e| e.to_string())?;
        inner.flush().map_err(io)?;
        inner.sync_all().map_err(io)
    }
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
