//! What a person decided about a campaign, kept beside its ledger in the
//! state folder (`state/<campaign>/`), so that `render`, `check`, `due` and
//! the studio all see it:
//!
//! ```text
//! state/<campaign>/excluded.csv     id, reason, excluded_on — left out: "excluded — <reason>"
//! state/<campaign>/edits/<id>.txt   this person's own text, used instead of the message
//! state/<campaign>/approval.json    when the batch was approved, and what it looked like then
//! ```
//!
//! The files are plain (a spreadsheet opens the CSV, an editor the texts),
//! and no file name comes from data unchecked: an id becomes a file name
//! only through [`Edits::file_name`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::write;

/// The campaign's folder inside the state folder.
pub fn campaign_dir(run: &crate::settings::RunSettings) -> Option<PathBuf> {
    run.state_dir
        .as_ref()
        .map(|dir| dir.join(write::sanitize_component(&run.name)))
}

/// The files a plan is made from, for its fingerprint.
#[derive(Debug, Clone, Default)]
pub struct InputFiles {
    /// The campaign file (none for a run without one).
    pub campaign: Option<PathBuf>,
    pub people: PathBuf,
    pub history: Option<PathBuf>,
    pub returns: Option<PathBuf>,
}

/// One excluded person: why, and when (a plain date-time in local time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excluded {
    pub id: String,
    pub reason: String,
    #[serde(default)]
    pub excluded_on: String,
}

/// `excluded.csv`: the people a person took out of this campaign by hand.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    by_id: BTreeMap<String, Excluded>,
}

impl Exclusions {
    pub const FILE: &'static str = "excluded.csv";

    /// Reads `dir/excluded.csv` (none there: nobody excluded). A broken
    /// row stops the run with its line, like any other input file.
    pub fn load(dir: &Path) -> Result<Exclusions> {
        let path = dir.join(Self::FILE);
        if !path.is_file() {
            return Ok(Exclusions::default());
        }
        let mut reader = csv::Reader::from_path(&path).map_err(|e| csv_error(&path, e))?;
        let mut by_id = BTreeMap::new();
        for row in reader.deserialize::<Excluded>() {
            let row = row.map_err(|e| csv_error(&path, e))?;
            if !row.id.trim().is_empty() {
                by_id.insert(row.id.trim().to_string(), row);
            }
        }
        Ok(Exclusions { by_id })
    }

    /// Why `id` is excluded, if they are.
    pub fn get(&self, id: &str) -> Option<&Excluded> {
        self.by_id.get(id)
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Excluded> {
        self.by_id.values()
    }

    /// Excludes `id` (again, with the new reason) or, with `None`, takes
    /// them back in; then writes the file (atomically, sorted by id).
    pub fn set(&mut self, dir: &Path, id: &str, reason: Option<&str>) -> Result<()> {
        match reason {
            Some(reason) => {
                self.by_id.insert(
                    id.to_string(),
                    Excluded {
                        id: id.to_string(),
                        reason: reason.trim().to_string(),
                        excluded_on: now(),
                    },
                );
            }
            None => {
                self.by_id.remove(id);
            }
        }
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(["id", "reason", "excluded_on"])
            .and_then(|_| {
                self.by_id
                    .values()
                    .try_for_each(|e| out.write_record([&e.id, &e.reason, &e.excluded_on]))
            })
            .map_err(|e| Error::config(format!("writing {}: {e}", Self::FILE)))?;
        let bytes = out.into_inner().map_err(|e| Error::config(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        write::write_atomic(dir, Self::FILE, &bytes).map_err(|e| Error::io(dir, e))?;
        Ok(())
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(1);
    Error::input(
        Location::at(path, line, None),
        format!("cannot read the exclusions: {e}"),
    )
    .with_hint("the file has the columns id, reason, excluded_on (the studio writes it)")
}

/// `edits/<id>.txt`: texts a person wrote for one recipient, used instead
/// of the campaign's message. Plain text: a blank line starts a new
/// paragraph; nothing in it is markup.
#[derive(Debug, Clone, Default)]
pub struct Edits {
    /// By file name (see [`Edits::file_name`]).
    texts: HashMap<String, String>,
}

impl Edits {
    pub const DIR: &'static str = "edits";

    pub fn load(dir: &Path) -> Result<Edits> {
        let dir = dir.join(Self::DIR);
        let mut texts = HashMap::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Edits::default());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".txt") {
                continue;
            }
            let path = entry.path();
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            texts.insert(name, text);
        }
        Ok(Edits { texts })
    }

    /// The file of `id`'s text: the id as a plain file name, with a short
    /// hash when cleaning changed it (so `K/1` and `K1` stay apart).
    pub fn file_name(id: &str) -> String {
        let clean = write::sanitize_component(id);
        if clean == id && !clean.is_empty() {
            format!("{clean}.txt")
        } else {
            let hash = write::sha256_hex(id.as_bytes());
            format!("{clean}-{}.txt", &hash[..8])
        }
    }

    pub fn get(&self, id: &str) -> Option<&str> {
        self.texts.get(&Self::file_name(id)).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Saves `id`'s text, or with `None` removes it (back to the message).
    pub fn set(&mut self, dir: &Path, id: &str, text: Option<&str>) -> Result<()> {
        let dir = dir.join(Self::DIR);
        let name = Self::file_name(id);
        match text {
            Some(text) => {
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                write::write_atomic(&dir, &name, text.as_bytes())
                    .map_err(|e| Error::io(&dir, e))?;
                self.texts.insert(name, text.to_string());
            }
            None => {
                let path = dir.join(&name);
                if path.exists() {
                    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                }
                self.texts.remove(&name);
            }
        }
        Ok(())
    }
}

/// Plain text as Typst markup: every paragraph an inert string, paragraphs
/// apart by a blank line, a single line break kept as a line break.
pub fn plain_to_markup(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut paragraphs = Vec::new();
    for paragraph in text.split("\n\n") {
        let lines: Vec<String> = paragraph
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let mut s = String::from("#");
                crate::jinja::typst_string(&mut s, line).expect("writing to a String");
                s.push(';');
                s
            })
            .collect();
        if !lines.is_empty() {
            paragraphs.push(lines.join(" \\\n"));
        }
    }
    paragraphs.join("\n\n")
}

/// Composed message markup as the plain text a person would edit: the
/// inert strings `#"…";` become their text, the rest stays as written.
pub fn markup_to_plain(markup: &str) -> String {
    let mut out = String::new();
    let mut rest = markup;
    while let Some(start) = rest.find("#\"") {
        out.push_str(&rest[..start]);
        let mut chars = rest[start + 2..].char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'u')) => {
                        // \u{hex}
                        let mut hex = String::new();
                        for (_, c) in chars.by_ref() {
                            match c {
                                '{' => {}
                                '}' => break,
                                c => hex.push(c),
                            }
                        }
                        if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            out.push(c);
                        }
                    }
                    Some((_, c)) => out.push(c),
                    None => {}
                },
                '"' => {
                    end = Some(start + 2 + i + 1);
                    break;
                }
                c => out.push(c),
            }
        }
        let Some(end) = end else {
            rest = "";
            break;
        };
        rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
    }
    out.push_str(rest);
    // As Typst prints it: a markup line break (` \`) is a new line, a
    // single line end inside a paragraph is a space.
    let out = out.replace(" \\\n", "\u{1}");
    let paragraphs: Vec<String> = out
        .split("\n\n")
        .map(|p| p.trim().replace('\n', " ").replace('\u{1}', "\n"))
        .filter(|p| !p.is_empty())
        .collect();
    paragraphs.join("\n\n")
}

/// The approval of a batch: who, when, and the fingerprint of everything
/// that decides what is printed, part by part, so a later render can say
/// what changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub approved_at: String,
    #[serde(default)]
    pub by: String,
    /// Recipients at approval.
    pub pieces: usize,
    pub fingerprint: BTreeMap<String, String>,
}

impl Approval {
    pub const FILE: &'static str = "approval.json";

    /// The approval on record; a file that cannot be read counts as none
    /// (it is only ever written by the studio, and a warning follows).
    pub fn load(dir: &Path) -> Option<Approval> {
        let text = std::fs::read_to_string(dir.join(Self::FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let json = serde_json::to_string_pretty(self).expect("plain data");
        write::write_atomic(dir, Self::FILE, json.as_bytes()).map_err(|e| Error::io(dir, e))?;
        Ok(())
    }

    /// The parts that differ from `now`, in words ("the people file", …).
    pub fn changed(&self, now: &BTreeMap<String, String>) -> Vec<&'static str> {
        PARTS
            .iter()
            .filter(|(key, _)| self.fingerprint.get(*key) != now.get(*key))
            .map(|&(_, words)| words)
            .collect()
    }
}

/// The parts of a fingerprint and what they are called for people.
const PARTS: [(&str, &str); 7] = [
    ("campaign", "the campaign file"),
    ("people", "the people file"),
    ("history", "the history"),
    ("returns", "the returned mail"),
    ("messages", "the messages"),
    ("excluded", "the exclusions"),
    ("edits", "the edited texts"),
];

/// The fingerprint of what decides the pieces: a SHA-256 per part.
pub fn fingerprint(
    files: &InputFiles,
    messages: &BTreeMap<String, (String, String)>,
    exclusions: &Exclusions,
    edits: &Edits,
) -> BTreeMap<String, String> {
    let file = |path: Option<&PathBuf>| {
        path.and_then(|p| write::sha256_file(p).ok())
            .unwrap_or_default()
    };
    let mut parts = BTreeMap::new();
    parts.insert("campaign".into(), file(files.campaign.as_ref()));
    parts.insert("people".into(), file(Some(&files.people)));
    parts.insert("history".into(), file(files.history.as_ref()));
    parts.insert("returns".into(), file(files.returns.as_ref()));
    let joined: String = messages
        .iter()
        .map(|(lang, (_, text))| format!("{lang}\0{text}\0"))
        .collect();
    parts.insert("messages".into(), write::sha256_hex(joined.as_bytes()));
    let excluded: String = exclusions
        .iter()
        .map(|e| format!("{}\0{}\0", e.id, e.reason))
        .collect();
    parts.insert("excluded".into(), write::sha256_hex(excluded.as_bytes()));
    let mut texts: Vec<(&String, &String)> = edits.texts.iter().collect();
    texts.sort();
    let edited: String = texts.iter().map(|(k, v)| format!("{k}\0{v}\0")).collect();
    parts.insert("edits".into(), write::sha256_hex(edited.as_bytes()));
    parts
}

/// Local date and time to the second, for the files a person reads.
pub fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_round_trips_through_markup() {
        let text = "Liebe Frau #Müller,\ndanke für \"alles\" $x$ *fett*\n\nZweiter Absatz.";
        let markup = plain_to_markup(text);
        assert!(!markup.contains("\n#Müller"));
        assert_eq!(markup.matches("\n\n").count(), 1);
        assert_eq!(markup_to_plain(&markup), text);
    }

    #[test]
    fn composed_markup_reads_as_text() {
        assert_eq!(
            markup_to_plain("seit #\"zehn\"; Jahren, #\"a\\\"b\\u{7}\";!"),
            "seit zehn Jahren, a\"b\u{7}!"
        );
    }

    #[test]
    fn file_names_of_ids_stay_apart_and_inside() {
        assert_eq!(Edits::file_name("K-1001"), "K-1001.txt");
        let odd = Edits::file_name("../K/1");
        assert!(!odd.contains('/') && odd.ends_with(".txt"), "{odd}");
        assert_ne!(Edits::file_name("K/1"), Edits::file_name("K1"));
    }
}
