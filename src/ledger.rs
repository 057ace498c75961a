//! The ledger: an append-only CSV of every piece produced, kept in a state
//! folder beside the campaign. It makes runs idempotent — a re-run skips
//! what the ledger holds, so a daily cron job never sends twice — and it
//! reads back as history (`card` / `letter` events), so templates can
//! mention the last card and the frequency cap sees it.
//!
//! Crash safety: a PDF is flushed to disk and renamed into place before its
//! ledger line is appended; lines are appended and flushed in batches
//! ([`Ledger::stage`], then [`Ledger::flush`] once the batch's PDFs are
//! durable). A run killed in between leaves complete PDFs without lines;
//! the next run keeps those files and writes the missing lines. A torn
//! last line is ignored on reading.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indexmap::IndexMap;

use crate::error::{Error, Result};
use crate::load::Persons;
use crate::model::Event;

pub const LEDGER_FILE: &str = "ledger.csv";
/// The columns. Ledgers written before `fingerprint` and `address` existed
/// have only the first seven; lines are read by position, so old and new
/// lines live in one file.
const HEADER: &str = "campaign,occasion,person_id,file,sha256,run_date,kind,fingerprint,address\n";

/// One produced piece.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub campaign: String,
    /// Occasion key, e.g. `birthday-2027`, or the campaign name for one-off campaigns.
    pub occasion: String,
    pub person_id: String,
    pub file: String,
    pub sha256: String,
    pub run_date: NaiveDate,
    /// `card` or `letter`: what the piece was, as history.
    pub kind: String,
    /// The message's fingerprint (see `compose::repeat`), so the next piece
    /// can tell whether it repeats this one; empty without a message.
    #[serde(default)]
    pub fingerprint: String,
    /// A hash of the address it went to, so a returned piece ("moved") is
    /// held back until the address changes.
    #[serde(default)]
    pub address: String,
}

/// The ledger of a state folder.
pub struct Ledger {
    path: PathBuf,
    entries: Vec<Entry>,
    done: HashSet<(String, String, String)>,
    /// Lines staged for the next [`Ledger::flush`].
    staged: Vec<Entry>,
}

impl Ledger {
    /// Reads the ledger (an absent one is empty). A last line cut off by a
    /// crash is ignored.
    pub fn open(folder: &Path) -> Result<Ledger> {
        let path = folder.join(LEDGER_FILE);
        let mut entries = Vec::new();
        if path.exists() {
            let mut text = String::new();
            File::open(&path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(|e| Error::io(&path, e))?;
            // Only complete lines count.
            let complete = match text.rfind('\n') {
                Some(end) => &text[..=end],
                None => "",
            };
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_reader(complete.as_bytes());
            for (i, record) in reader.deserialize::<Entry>().enumerate().skip(1) {
                match record {
                    Ok(entry) => entries.push(entry),
                    Err(e) => {
                        return Err(Error::input(
                            crate::error::Location::at(&path, i as u64 + 1, None),
                            format!("the ledger line cannot be read: {e}"),
                        )
                        .with_hint(
                            "the ledger is written by warmly only; restore it from a backup",
                        ))
                    }
                }
            }
        }
        let done = entries
            .iter()
            .map(|e| (e.campaign.clone(), e.occasion.clone(), e.person_id.clone()))
            .collect();
        Ok(Ledger {
            path,
            entries,
            done,
            staged: Vec::new(),
        })
    }

    pub fn contains(&self, campaign: &str, occasion: &str, person_id: &str) -> bool {
        self.done.contains(&(
            campaign.to_string(),
            occasion.to_string(),
            person_id.to_string(),
        ))
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends one entry and flushes it to disk before returning.
    pub fn append(&mut self, entry: Entry) -> Result<()> {
        self.stage(entry);
        self.flush()
    }

    /// Keeps an entry for the next [`Ledger::flush`]; call it only once
    /// the entry's file is durable.
    pub fn stage(&mut self, entry: Entry) {
        self.staged.push(entry);
    }

    /// Appends the staged entries in one write and flushes them to disk
    /// before returning. On an error they are dropped (the next run
    /// records their files as kept).
    pub fn flush(&mut self) -> Result<()> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let staged = std::mem::take(&mut self.staged);
        let io = |e| Error::io(&self.path, e);
        if self.path.exists() && !ends_with_newline(&self.path) {
            cut_torn_line(&self.path).map_err(io)?;
        }
        let fresh = !self.path.exists()
            || std::fs::metadata(&self.path)
                .map(|m| m.len() == 0)
                .unwrap_or(true);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        let mut line = String::new();
        if fresh {
            line.push_str(HEADER);
        }
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        for entry in &staged {
            writer
                .serialize(entry)
                .expect("serialising a ledger entry to memory");
        }
        line.push_str(
            &String::from_utf8(writer.into_inner().expect("flush to memory")).expect("UTF-8"),
        );
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        // What this run appends is not kept in memory (`contains` answers
        // for earlier runs): each piece is appended once, and a long run
        // stays flat (a batch at most).
        Ok(())
    }

    /// Adds the ledger's pieces to the persons' histories as `card` /
    /// `letter` events (summary: the campaign), sorted in by date.
    pub fn add_to_history(&self, persons: &mut Persons) {
        if self.entries.is_empty() {
            return;
        }
        let index: std::collections::HashMap<String, usize> =
            persons.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        for entry in &self.entries {
            if let Some(&i) = index.get(&entry.person_id) {
                let mut extra = IndexMap::new();
                extra.insert("occasion".to_string(), entry.occasion.clone());
                extra.insert("file".to_string(), entry.file.clone());
                extra.insert("source".to_string(), "ledger".to_string());
                if !entry.address.is_empty() {
                    extra.insert("address_hash".to_string(), entry.address.clone());
                }
                if !entry.fingerprint.is_empty() {
                    extra.insert("fingerprint".to_string(), entry.fingerprint.clone());
                }
                persons.add_events(
                    i,
                    [Event {
                        date: entry.run_date,
                        kind: entry.kind.clone(),
                        summary: entry.campaign.clone(),
                        line: 0,
                        extra,
                    }],
                );
            }
        }
    }
}

/// Drops a last line that a killed run left unfinished (we hold the lock,
/// so nobody else is writing).
fn cut_torn_line(path: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    let keep = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(keep as u64)?;
    file.sync_all()
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return true;
    };
    if file.seek(SeekFrom::End(-1)).is_err() {
        return true;
    }
    let mut last = [0u8; 1];
    file.read_exact(&mut last)
        .map(|_| last[0] == b'\n')
        .unwrap_or(true)
}

/// A lock that refuses a second run of the same campaign while one is
/// going. It is the operating system's file lock on `<campaign>.lock`
/// (flock on Unix, LockFileEx on Windows), so a run that is killed
/// releases it with its process, on every system. The file holds the
/// owner's process id for the message; it is removed when the run ends.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: File,
}

impl Lock {
    pub fn acquire(folder: &Path, campaign: &str) -> Result<Lock> {
        let path = folder.join(format!(
            "{}.lock",
            crate::write::sanitize_component(campaign)
        ));
        // A run that ends removes the file; one that opened it just before
        // then holds a lock on a file nobody else sees, so try again.
        for _ in 0..8 {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let owner = std::fs::read_to_string(&path).unwrap_or_default();
                    let owner = match owner.trim() {
                        "" => String::new(),
                        pid => format!(" (process {pid})"),
                    };
                    return Err(Error::config(format!(
                        "another run of campaign \"{campaign}\" is in progress{owner}"
                    ))
                    .with_hint(format!(
                        "wait for it to finish; the lock is {}",
                        path.display()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            if !same_file(&file, &path) {
                continue;
            }
            let mut lock = Lock { path, file };
            let _ = lock.file.set_len(0);
            let _ = writeln!(lock.file, "{}", std::process::id());
            return Ok(lock);
        }
        Err(Error::config(format!(
            "cannot take the lock {}",
            path.display()
        )))
    }
}

/// The open file is still the one at `path` (not removed by a run that ended).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Windows does not remove a file that another process has open.
#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Remove while still holding the lock, then let it go.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> Entry {
        Entry {
            campaign: "c".into(),
            occasion: "birthday-2027".into(),
            person_id: id.into(),
            file: format!("{id}.pdf"),
            sha256: "ab".into(),
            run_date: NaiveDate::from_ymd_opt(2027, 1, 2).unwrap(),
            kind: "card".into(),
            fingerprint: "0123456789abcdef".into(),
            address: "a1".into(),
        }
    }

    #[test]
    fn old_ledgers_without_the_new_columns_still_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LEDGER_FILE),
            "campaign,occasion,person_id,file,sha256,run_date,kind\nc,x,K-1,K-1.pdf,ab,2025-12-01,card\n",
        )
        .unwrap();
        let mut ledger = Ledger::open(dir.path()).unwrap();
        assert_eq!(ledger.entries()[0].fingerprint, "");
        ledger.append(entry("K-2")).unwrap();
        let ledger = Ledger::open(dir.path()).unwrap();
        assert_eq!(ledger.entries().len(), 2);
        assert_eq!(ledger.entries()[1], entry("K-2"));
    }

    #[test]
    fn appends_survive_and_torn_lines_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path()).unwrap();
        ledger.append(entry("A")).unwrap();
        ledger.append(entry("B")).unwrap();
        // A crash in the middle of a line.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(LEDGER_FILE))
            .unwrap();
        f.write_all(b"c,birthday-2027,C,C.pd").unwrap();
        let mut ledger = Ledger::open(dir.path()).unwrap();
        assert_eq!(ledger.entries().len(), 2);
        assert!(ledger.contains("c", "birthday-2027", "B"));
        assert!(!ledger.contains("c", "birthday-2027", "C"));
        ledger.append(entry("C")).unwrap();
        let ledger = Ledger::open(dir.path()).unwrap();
        assert_eq!(ledger.entries().len(), 3);
        assert!(ledger.contains("c", "birthday-2027", "C"));
    }

    #[test]
    fn a_second_lock_is_refused_and_a_left_file_is_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock::acquire(dir.path(), "c").unwrap();
        let refused = Lock::acquire(dir.path(), "c").unwrap_err().to_string();
        assert!(refused.contains("in progress"), "{refused}");
        assert!(
            refused.contains(&format!("process {}", std::process::id())),
            "{refused}"
        );
        drop(lock);
        assert!(!dir.path().join("c.lock").exists());
        // A file left by a killed run holds no lock: the OS released it.
        std::fs::write(dir.path().join("c.lock"), "999999999\n").unwrap();
        let lock = Lock::acquire(dir.path(), "c").unwrap();
        drop(lock);
    }
}
