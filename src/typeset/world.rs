//! The Typst `World` of one document: a shared, read-only part (library,
//! fonts, template files, the run date) borrowed by every document, and the
//! per-recipient virtual files `/data.json`, `/campaign.json` and
//! `/message.typ`.
//!
//! File ids are interned for the whole process and limited to 65 535, so the
//! per-recipient files use the same fixed ids for every document.

use std::collections::HashMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, PackageError};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};
use typst_kit::fonts::FontStore;

/// `/data.json`: the letter model as JSON.
pub static DATA_ID: LazyLock<FileId> = LazyLock::new(|| project_id("/data.json"));
/// `/campaign.json`: what recipients share, see [`campaign_of`].
pub static CAMPAIGN_ID: LazyLock<FileId> = LazyLock::new(|| project_id("/campaign.json"));
/// `/message.typ`: the personal message as Typst markup.
pub static MESSAGE_ID: LazyLock<FileId> = LazyLock::new(|| project_id("/message.typ"));
/// `/template.typ`: the layout, the main file of every document.
pub static MAIN_ID: LazyLock<FileId> = LazyLock::new(|| project_id("/template.typ"));

pub fn project_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("warmly's own virtual paths are valid");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// The keys of `/data.json` that `/campaign.json` repeats.
pub const CAMPAIGN_KEYS: [&str; 4] = ["lang", "sender", "theme", "print"];

/// `/campaign.json` of a document whose `/data.json` is `data`: its
/// `lang`, `sender`, `theme` and `print`, the same values, in a file of
/// their own. Typst reuses what it evaluated as long as the files read are
/// unchanged, so a template module that reads only this file (the built-in
/// letter's and card's `sender.typ`: design, letterhead, footer, the card's
/// outside) is evaluated once for all recipients that share these values,
/// not once per recipient as everything that reads `/data.json` is.
pub fn campaign_of(data: &[u8]) -> Vec<u8> {
    let mut campaign = serde_json::Map::new();
    if let Ok(serde_json::Value::Object(mut all)) = serde_json::from_slice(data) {
        for key in CAMPAIGN_KEYS {
            if let Some(value) = all.remove(key) {
                campaign.insert(key.to_string(), value);
            }
        }
    }
    serde_json::to_vec_pretty(&campaign).expect("JSON values serialise")
}

/// What every document shares, built once per run.
pub struct Shared {
    pub library: LazyHash<Library>,
    pub fonts: FontStore,
    /// Template files by id (the template folder is the project root).
    pub files: HashMap<FileId, Bytes>,
    /// Parsed `.typ` sources of the template, parsed once.
    pub sources: HashMap<FileId, Source>,
    /// The run date, so `datetime.today()` is reproducible.
    pub today: Datetime,
}

/// One document's world.
pub struct DocWorld<'a> {
    pub shared: &'a Shared,
    pub data: Bytes,
    /// [`campaign_of`] `data`.
    pub campaign: Bytes,
    pub message: Source,
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.shared.fonts.book()
    }

    fn main(&self) -> FileId {
        *MAIN_ID
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *MESSAGE_ID {
            return Ok(self.message.clone());
        }
        if let Some(source) = self.shared.sources.get(&id) {
            return Ok(source.clone());
        }
        if self.shared.files.contains_key(&id) || id == *DATA_ID || id == *CAMPAIGN_ID {
            return Err(FileError::NotSource);
        }
        Err(not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA_ID {
            return Ok(self.data.clone());
        }
        if id == *CAMPAIGN_ID {
            return Ok(self.campaign.clone());
        }
        if id == *MESSAGE_ID {
            return Ok(Bytes::from_string(self.message.text().to_string()));
        }
        self.shared
            .files
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.font(index)
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        // The run date is a calendar day; an offset does not change it.
        let _ = offset;
        Some(self.shared.today)
    }
}

/// Anything outside the template folder does not exist for a template:
/// no `/etc/passwd`, no CSV folder, no packages from the network.
fn not_found(id: FileId) -> FileError {
    match id.root() {
        VirtualRoot::Package(spec) => FileError::Package(PackageError::NotFound(spec.clone())),
        VirtualRoot::Project => FileError::NotFound(id.vpath().get_with_slash().into()),
    }
}
