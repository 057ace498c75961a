//! `manifest.csv`: one row per planned piece — its schema ([`ManifestRow`]),
//! the writer that puts rows in plan order as pieces finish, and the typed
//! reader `warmly merge` uses on the shards' manifests.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::plan::IdSource;
use crate::typeset::Preflight;
use crate::write::durable::temp_path;

/// One line of `manifest.csv`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ManifestRow {
    pub id: String,
    /// The occasion key (`birthday-2027`), or the campaign name.
    pub occasion: String,
    pub status: Status,
    pub file: String,
    pub pages: Option<usize>,
    pub sha256: String,
    /// Facts from the person's history the text used (0 = generic).
    pub facts: Option<usize>,
    /// ok, warn (printed, but look), fail (not printed); empty when not typeset
    pub preflight: Option<Preflight>,
    /// Smallest distance of the address to the envelope window's edges (mm).
    pub clearance_mm: Option<f64>,
    pub warnings: String,
    /// Why a failed recipient failed (template file and line).
    pub error: String,
    /// Line of the person in the people file.
    pub line: u64,
    pub language: String,
    /// `file`, or `derived` when the people file has no id column and the
    /// id was made from name and address.
    pub id_source: IdSource,
    /// The personal link (`[links]`; empty when it could not be made);
    /// no column without `[links]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Everyone the piece goes to, "K-1 K-2" (`households`; no column
    /// without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household: Option<String>,
    /// The text was edited by hand for this recipient (the studio); no
    /// column when no text of the campaign is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<bool>,
    /// The recipient's segment (`at_risk`), scores (`R1 F3 M2`) and
    /// rhythm in words, empty without an order; no columns unless the
    /// campaign is about segments (a `lapsing` occasion, `[select]
    /// segments`, texts reading `person.segment`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhythm: Option<String>,
}

/// What became of a recipient's piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Written,
    /// The file existed and was not regenerated (no `--force`).
    Kept,
    Failed,
}

/// A manifest read row by row (a shard's, by `warmly merge`): each row
/// typed, and as written, so that what is copied keeps its bytes.
pub struct ManifestReader {
    path: PathBuf,
    reader: csv::Reader<File>,
    header: csv::ByteRecord,
}

/// One row of a manifest: what it says, and its bytes.
pub struct ManifestLine {
    pub row: ManifestRow,
    pub raw: csv::ByteRecord,
}

impl ManifestReader {
    pub fn open(path: &Path) -> Result<ManifestReader> {
        let error = |e: csv::Error| Error::config(format!("{}: {e}", path.display()));
        let mut reader = csv::Reader::from_path(path).map_err(error)?;
        let header = reader.byte_headers().map_err(error)?.clone();
        Ok(ManifestReader {
            path: path.to_path_buf(),
            reader,
            header,
        })
    }

    /// The columns, as written.
    pub fn header(&self) -> &csv::ByteRecord {
        &self.header
    }

    /// The next row, or none at the end; a row that is not a manifest row
    /// names the file and line.
    pub fn next_line(&mut self) -> Result<Option<ManifestLine>> {
        let mut raw = csv::ByteRecord::new();
        let more = self
            .reader
            .read_byte_record(&mut raw)
            .map_err(|e| Error::config(format!("{}: {e}", self.path.display())))?;
        if !more {
            return Ok(None);
        }
        let row = raw.deserialize(Some(&self.header)).map_err(|e| {
            let line = raw.position().map_or(0, |p| p.line());
            Error::config(format!(
                "{} line {line}: not a row warmly writes: {e}",
                self.path.display()
            ))
            .with_hint("the shard's folder is damaged: run that shard again")
        })?;
        Ok(Some(ManifestLine { row, raw }))
    }
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
