//! A template: its Typst files (served to the typesetter as the project
//! root), its `template.toml`, and the message texts per language.
//!
//! Built-in templates and the fonts are embedded in the binary, so a copied
//! `warmly` works anywhere; a template folder is read once at start-up, so a
//! run never sees a half-edited file and a template can never reach beyond
//! its folder.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};
use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::occasion::Rule;
use crate::settings::TemplateSource;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The template library's virtual path (`templates/warmly.typ`).
pub const LIBRARY: &str = "/warmly.typ";

/// `template.toml`: what the layout expects and its fixed texts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub description: String,
    /// Pages one document is expected to have.
    pub pages: Option<usize>,
    /// Which closing formula fits: `letter` or `card`.
    #[serde(default)]
    pub closing_style: Option<String>,
    /// Fixed texts per language (`[text.de]`), minijinja templates.
    #[serde(default)]
    pub text: IndexMap<String, IndexMap<String, String>>,
    /// `piece` (one document per recipient) or `sheet` (all recipients in
    /// one document, e.g. address labels).
    #[serde(default)]
    pub kind: Kind,
    /// Whether the template shows a personal message (envelopes and labels
    /// do not, so they need no `message.<lang>.j2`).
    #[serde(default = "yes")]
    pub message: bool,
    /// Formats the template can lay out (`din-b`, `dl`, `3475`, …); the
    /// first is the default. The choice reaches the template as
    /// `print.format`.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Per format: what it is and, for window letters, where the window is.
    #[serde(default)]
    pub format: IndexMap<String, Format>,
    /// The template draws a printer test grid when `print.test_grid` is set.
    #[serde(default)]
    pub test_grid: bool,
    /// The motifs the template draws (`theme.motif`), the default first.
    /// A template without any takes whatever `theme.motif` says.
    #[serde(default)]
    pub motif: IndexMap<String, Motif>,
    /// Default `[primary, accent]` colours ("#rrggbb"); see
    /// `compose::sender::default_palette`.
    pub palette: Option<[String; 2]>,
}

fn yes() -> bool {
    true
}

impl Default for Manifest {
    fn default() -> Manifest {
        Manifest {
            description: String::new(),
            pages: None,
            closing_style: None,
            text: IndexMap::new(),
            kind: Kind::Piece,
            message: true,
            formats: Vec::new(),
            format: IndexMap::new(),
            test_grid: false,
            motif: IndexMap::new(),
            palette: None,
        }
    }
}

/// One document per recipient, or one for all.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Piece,
    Sheet,
}

/// `[format.<name>]` in `template.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Format {
    #[serde(default)]
    pub description: String,
    /// The envelope window over page 1, in mm from the page's top-left
    /// corner: the recipient address must lie inside it with clearance.
    pub window: Option<Window>,
    /// Paper, for the help text (e.g. "A4").
    pub page: Option<String>,
}

/// `[motif.<name>]` in `template.toml`: one look of the template, chosen
/// with `theme.motif`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Motif {
    #[serde(default)]
    pub description: String,
    /// Other names a campaign may use (`jubilee` for `anniversary`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Default texts of this motif per language, between the template's
    /// `[text.<lang>]` and the campaign's.
    #[serde(default)]
    pub text: IndexMap<String, IndexMap<String, String>>,
    /// This motif's default `[primary, accent]`, before the template's.
    pub palette: Option<[String; 2]>,
}

/// A rectangle in mm, page coordinates (y down).
#[derive(Debug, Default, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Manifest {
    /// The format to use: the requested one if the template has it, else
    /// the template's first. A template without formats takes any name
    /// (it may read `print.format` itself) and defaults to "".
    pub fn resolve_format(&self, requested: Option<&str>, template: &str) -> Result<String> {
        let requested = requested.map(|r| r.trim().to_lowercase());
        match requested {
            None => Ok(self.formats.first().cloned().unwrap_or_default()),
            Some(r) if self.formats.is_empty() || self.formats.contains(&r) => Ok(r),
            Some(r) => Err(
                Error::config(format!("template \"{template}\" has no format \"{r}\""))
                    .with_hint(format!("formats: {}", self.formats.join(", "))),
            ),
        }
    }

    /// The chosen format's window, if it has one.
    pub fn window(&self, format: &str) -> Option<Window> {
        self.format.get(format).and_then(|f| f.window)
    }
}

/// A loaded template.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    /// Every file by its absolute virtual path (`/template.typ`, `/art/x.svg`).
    pub files: BTreeMap<String, Vec<u8>>,
    pub manifest: Manifest,
    /// Message sources per language: (file name for messages, text).
    pub messages: BTreeMap<String, (String, String)>,
}

impl Template {
    /// Loads a template and the messages (from `messages_dir` when given,
    /// else from the template itself).
    pub fn load(source: &TemplateSource, messages_dir: Option<&Path>) -> Result<Template> {
        let (name, mut files) = match source {
            TemplateSource::Builtin(name) => {
                let dir = BUILTIN.get_dir(name.as_str()).ok_or_else(|| {
                    Error::config(format!("built-in template \"{name}\" is missing"))
                })?;
                let mut files = BTreeMap::new();
                collect_embedded(dir, name, &mut files);
                (name.clone(), files)
            }
            TemplateSource::Folder(path) => {
                let mut files = BTreeMap::new();
                collect_folder(path, path, &mut files)?;
                let name = path
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name, files)
            }
        };
        let where_ = match source {
            TemplateSource::Builtin(n) => format!("built-in template \"{n}\""),
            TemplateSource::Folder(p) => p.display().to_string(),
        };
        if !files.contains_key("/template.typ") {
            return Err(Error::config(format!("{where_} has no template.typ")));
        }
        // The helpers every template shares (`#import "/warmly.typ": *`),
        // served from the binary to built-in and own templates alike.
        if let Some(library) = BUILTIN.get_file(LIBRARY.trim_start_matches('/')) {
            if files.contains_key(LIBRARY) && matches!(source, TemplateSource::Folder(_)) {
                return Err(Error::config(format!(
                    "{where_} has its own warmly.typ: the name is taken by warmly's template library"
                ))
                .with_hint("rename the file; import warmly's helpers with #import \"/warmly.typ\": *"));
            }
            files.insert(LIBRARY.to_string(), library.contents().to_vec());
        }
        let manifest = match files.get("/template.toml") {
            Some(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                toml::from_str(&text).map_err(|e| {
                    Error::config(format!("{where_}/template.toml: {}", e.message()))
                })?
            }
            None => Manifest::default(),
        };
        let messages = load_messages(messages_dir, &files, &name, &where_)?;
        // Messages are text for compose, not files for Typst.
        files.retain(|path, _| message_lang(path.trim_start_matches('/')).is_none());
        Ok(Template {
            name,
            files,
            manifest,
            messages,
        })
    }
}

/// The messages per language: from the campaign's `messages_dir` when it
/// has one, else the template's own `message.<lang>.j2`.
fn load_messages(
    messages_dir: Option<&Path>,
    files: &BTreeMap<String, Vec<u8>>,
    name: &str,
    where_: &str,
) -> Result<BTreeMap<String, (String, String)>> {
    let mut messages = BTreeMap::new();
    match messages_dir {
        Some(dir) => {
            let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(dir, e))?;
                let file_name = entry.file_name().to_string_lossy().into_owned();
                if let Some(lang) = message_lang(&file_name) {
                    let text = std::fs::read_to_string(entry.path())
                        .map_err(|e| Error::io(&entry.path(), e))?;
                    messages.insert(lang, (entry.path().display().to_string(), text));
                }
            }
            if messages.is_empty() {
                return Err(Error::config(format!(
                    "{}: no message.<lang>.j2 files",
                    dir.display()
                ))
                .with_hint("write the text in message.de.j2, message.en.j2, …"));
            }
        }
        None => {
            for (path, bytes) in files {
                if let Some(lang) = message_lang(path.trim_start_matches('/')) {
                    let text = String::from_utf8(bytes.clone())
                        .map_err(|_| Error::config(format!("{where_}{path}: not UTF-8")))?;
                    messages.insert(lang, (format!("{name}{path}"), text));
                }
            }
        }
    }
    Ok(messages)
}

impl Template {
    /// Which closing formula fits (`letter` or `card`).
    pub fn closing_style(&self) -> &str {
        self.manifest.closing_style.as_deref().unwrap_or("letter")
    }

    /// What the ledger (and so the history) calls a piece of this
    /// template: its closing style (a card or a letter); a template
    /// without a message (an envelope) is no contact.
    pub fn piece_kind(&self) -> &str {
        if self.manifest.message {
            self.closing_style()
        } else {
            "envelope"
        }
    }
}

impl Template {
    /// The motif a run draws, by its name in `template.toml`, for a
    /// template that declares motifs: the campaign's `theme.motif` (a name
    /// or an alias, in any case, with `-`, `_` or a space), else the motif
    /// named after the occasion (`birthday`, `anniversary`, a fixed day's
    /// `name`; `thank-you` after an event), else the template's first. A
    /// name the template does not have is a configuration error that lists
    /// the ones it has. `None` for a template without motifs: it reads
    /// `theme.motif` as written.
    pub fn motif(
        &self,
        requested: Option<&str>,
        occasion: Option<&Rule>,
    ) -> Result<Option<String>> {
        let motifs = &self.manifest.motif;
        let Some(first) = motifs.keys().next() else {
            return Ok(None);
        };
        let find = |name: &str| {
            let wanted = motif_key(name);
            motifs
                .iter()
                .find(|(n, m)| {
                    motif_key(n) == wanted || m.aliases.iter().any(|a| motif_key(a) == wanted)
                })
                .map(|(n, _)| n.clone())
        };
        match requested.map(str::trim).filter(|m| !m.is_empty()) {
            Some(name) => find(name).map(Some).ok_or_else(|| {
                let known: Vec<String> = motifs
                    .iter()
                    .map(|(n, m)| match m.aliases.as_slice() {
                        [] => n.clone(),
                        aliases => format!("{n} (or {})", aliases.join(", ")),
                    })
                    .collect();
                Error::config(format!(
                    "theme.motif = \"{name}\": template \"{}\" has no such motif",
                    self.name
                ))
                .with_hint(format!(
                    "use one of: {}; or leave theme.motif out for the occasion's motif (else {first})",
                    known.join(", ")
                ))
            }),
            None => {
                let named = occasion.and_then(|rule| match rule {
                    Rule::AfterEvent { .. } => find("thank-you"),
                    // A win-back is no festive day: the neutral motif.
                    Rule::Lapsing { .. } => find("botanical"),
                    rule => find(&rule.name()),
                });
                Ok(Some(named.unwrap_or_else(|| first.clone())))
            }
        }
    }
}

/// How motif names compare: `Thank you`, `thank_you` and `thank-you` alike.
fn motif_key(name: &str) -> String {
    name.trim().to_lowercase().replace(['_', ' '], "-")
}

/// `message.de.j2` → `de`.
fn message_lang(file_name: &str) -> Option<String> {
    let lang = file_name.strip_prefix("message.")?.strip_suffix(".j2")?;
    (!lang.is_empty() && !lang.contains('/')).then(|| lang.to_lowercase())
}

fn collect_embedded(dir: &Dir<'static>, root: &str, files: &mut BTreeMap<String, Vec<u8>>) {
    for file in dir.files() {
        let rel = file.path().strip_prefix(root).unwrap_or(file.path());
        files.insert(
            format!("/{}", rel.to_string_lossy()),
            file.contents().to_vec(),
        );
    }
    for sub in dir.dirs() {
        collect_embedded(sub, root, files);
    }
}

fn collect_folder(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // symlink_metadata: a link pointing outside the folder is not followed.
        let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
        if meta.is_dir() {
            collect_folder(root, &path, files)?;
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let vpath = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            files.insert(
                vpath,
                std::fs::read(&path).map_err(|e| Error::io(&path, e))?,
            );
        }
    }
    Ok(())
}
