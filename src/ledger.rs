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
/// The `kind` of a line that records a customer kept back as the control
/// group (`[select] control`): due, but no piece made (no file, no
/// sha256). It keeps them out of later runs for the same occasion, and
/// `warmly insights` compares them with the recipients. Older ledgers
/// know only `card` and `letter`.
pub const CONTROL_KIND: &str = "control";
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
    /// `card` or `letter`: what the piece was, as history; `control` for
    /// a customer kept back ([`CONTROL_KIND`]).
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

impl Entry {
    /// The line records a customer kept back as the control group.
    pub fn is_control(&self) -> bool {
        self.kind == CONTROL_KIND
    }
}

/// The ledger of a state folder.
pub struct Ledger {
    path: PathBuf,
    entries: Vec<Entry>,
    done: HashSet<(String, String, String)>,
    /// The `done` that are control lines.
    control: HashSet<(String, String, String)>,
    /// Lines staged for the next [`Ledger::flush`].
    staged: Vec<Entry>,
}

impl Ledger {
    /// Reads the ledger of an unsharded run (it appends to `ledger.csv`).
    pub fn open(folder: &Path) -> Result<Ledger> {
        Ledger::open_as(folder, LEDGER_FILE)
    }

    /// Reads every ledger file of the state folder (`ledger.csv` and the
    /// shards' `ledger-…-shard-I-of-N.csv`) as one ledger, and appends to
    /// `own`: shards running at once each write their own file, and every
    /// command sees what any of them produced. Absent files are empty; a
    /// last line cut off by a crash is ignored.
    pub fn open_as(folder: &Path, own: &str) -> Result<Ledger> {
        Ledger::read(folder, own, |_, _| false)
    }

    /// The ledger as shard `shard` of the run of `campaign` on `date` sees
    /// it: every file, but not what the other shards of this run (same
    /// count, same run date) have already appended — those pieces belong
    /// to this run, as in one unsharded run, whether a sibling finished
    /// before this shard started or not. So every shard plans the same
    /// whole run (file names, households, the print file's order), and
    /// its own pieces stay counted: a re-run makes nothing twice.
    pub fn open_shard(
        folder: &Path,
        campaign: &str,
        shard: crate::shard::Shard,
        date: chrono::NaiveDate,
    ) -> Result<Ledger> {
        let own = shard.ledger_file(campaign);
        let siblings: HashSet<String> = (1..=shard.count)
            .filter(|&i| i != shard.index)
            .map(|index| crate::shard::Shard { index, ..shard }.ledger_file(campaign))
            .collect();
        Ledger::read(folder, &own, |path, entry| {
            entry.run_date == date
                && entry.campaign == campaign
                && path
                    .file_name()
                    .is_some_and(|n| siblings.contains(n.to_string_lossy().as_ref()))
        })
    }

    /// Reads every ledger file but the entries `skip` names.
    fn read(folder: &Path, own: &str, skip: impl Fn(&Path, &Entry) -> bool) -> Result<Ledger> {
        let mut entries = Vec::new();
        for path in ledger_files(folder).map_err(|e| Error::io(folder, e))? {
            let mut read = Vec::new();
            read_entries(&path, &mut read)?;
            entries.extend(read.into_iter().filter(|e| !skip(&path, e)));
        }
        let key = |e: &Entry| (e.campaign.clone(), e.occasion.clone(), e.person_id.clone());
        let done = entries.iter().map(key).collect();
        let control = entries.iter().filter(|e| e.is_control()).map(key).collect();
        Ok(Ledger {
            path: folder.join(own),
            entries,
            done,
            control,
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

    /// The line for this campaign, occasion and person records the
    /// control group, not a piece.
    pub fn is_control(&self, campaign: &str, occasion: &str, person_id: &str) -> bool {
        !self.control.is_empty()
            && self.control.contains(&(
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
    /// `letter` events (summary: the campaign), sorted in by date. A
    /// control line is no piece: the customer got nothing, so it is no
    /// contact either.
    pub fn add_to_history(&self, persons: &mut Persons) {
        if self.entries.iter().all(Entry::is_control) {
            return;
        }
        let index: std::collections::HashMap<String, usize> =
            persons.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        for entry in self.entries.iter().filter(|e| !e.is_control()) {
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

/// The ledger files of a state folder: `ledger.csv` first, then the
/// others (`ledger*.csv`) by name, so every command reads them in one order.
pub fn ledger_files(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut names: Vec<String> = match std::fs::read_dir(folder) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("ledger") && n.ends_with(".csv"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    names.sort_by_key(|n| (n != LEDGER_FILE, n.clone()));
    Ok(names.into_iter().map(|n| folder.join(n)).collect())
}

/// Appends the complete lines of one ledger file to `entries`.
fn read_entries(path: &Path, entries: &mut Vec<Entry>) -> Result<()> {
    let mut text = String::new();
    File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| Error::io(path, e))?;
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
                    crate::error::Location::at(path, i as u64 + 1, None),
                    format!("the ledger line cannot be read: {e}"),
                )
                .with_hint("the ledger is written by warmly only; restore it from a backup"))
            }
        }
    }
    Ok(())
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
///
/// Shards of one run go at the same time: each holds `<campaign>.lock`
/// shared (so an unsharded run, which needs it alone, waits for all of
/// them, and they for it) and its own `<campaign>-shard-I-of-N.lock` alone
/// (so one shard does not run twice). Shards of another count would
/// overlap with these, so a shard refuses to start while one runs.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: File,
    /// A shard's shared hold on the campaign's lock.
    shared: Option<(PathBuf, File)>,
}

impl Lock {
    /// The lock of an unsharded run: the campaign's alone.
    pub fn acquire(folder: &Path, campaign: &str) -> Result<Lock> {
        let path = campaign_lock(folder, campaign);
        let file = take(&path, true, |owner| {
            Error::config(match owner {
                Some(pid) => {
                    format!("another run of campaign \"{campaign}\" is in progress (process {pid})")
                }
                None => format!("shards of campaign \"{campaign}\" are running"),
            })
            .with_hint(format!(
                "wait for it to finish; the lock is {}",
                path.display()
            ))
        })?;
        Ok(Lock {
            path,
            file,
            shared: None,
        })
    }

    /// The lock of one shard: the campaign's shared with the other shards
    /// of the run, its own alone.
    pub fn acquire_shard(
        folder: &Path,
        campaign: &str,
        shard: crate::shard::Shard,
    ) -> Result<Lock> {
        let campaign_path = campaign_lock(folder, campaign);
        let shared = take(&campaign_path, false, |owner| {
            Error::config(format!(
                "an unsharded run of campaign \"{campaign}\" is in progress{}",
                owner.map(|p| format!(" (process {p})")).unwrap_or_default()
            ))
            .with_hint(format!(
                "wait for it to finish; the lock is {}",
                campaign_path.display()
            ))
        })?;
        let stem = format!(
            "{}-{}",
            crate::write::sanitize_component(campaign),
            shard.name()
        );
        let path = folder.join(format!("{stem}.lock"));
        let file = take(&path, true, |owner| {
            Error::config(format!(
                "shard {shard} of campaign \"{campaign}\" is already running{}",
                owner.map(|p| format!(" (process {p})")).unwrap_or_default()
            ))
            .with_hint(format!(
                "wait for it to finish; the lock is {}",
                path.display()
            ))
        })?;
        let lock = Lock {
            path,
            file,
            shared: Some((campaign_path, shared)),
        };
        // Ours is taken before we look, so of two runs with different
        // counts starting at once at least one sees the other.
        if let Some(other) = running_other_count(folder, campaign, shard)? {
            return Err(Error::config(format!(
                "shard {other} of campaign \"{campaign}\" is running: shards of one run must agree on their count ({})",
                shard.count
            ))
            .with_hint("a recipient would be in a shard of each; wait for that run to finish"));
        }
        Ok(lock)
    }
}

fn campaign_lock(folder: &Path, campaign: &str) -> PathBuf {
    folder.join(format!(
        "{}.lock",
        crate::write::sanitize_component(campaign)
    ))
}

/// Takes the OS lock on `path`, alone (writing our process id into the
/// file) or shared; `refused` makes the error from the owner's process id.
fn take(path: &Path, exclusive: bool, refused: impl Fn(Option<String>) -> Error) -> Result<File> {
    // A run that ends removes the file; one that opened it just before
    // then holds a lock on a file nobody else sees, so try again.
    for _ in 0..8 {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let taken = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match taken {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let owner = std::fs::read_to_string(path).unwrap_or_default();
                let owner = Some(owner.trim().to_string()).filter(|o| !o.is_empty());
                return Err(refused(owner));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(path, e)),
        }
        if !same_file(&file, path) {
            continue;
        }
        if exclusive {
            let _ = file.set_len(0);
            let _ = writeln!(file, "{}", std::process::id());
        }
        return Ok(file);
    }
    Err(Error::config(format!(
        "cannot take the lock {}",
        path.display()
    )))
}

/// A running shard of the campaign with another count than `shard`'s
/// (its lock file is held), if any.
fn running_other_count(
    folder: &Path,
    campaign: &str,
    shard: crate::shard::Shard,
) -> Result<Option<String>> {
    let prefix = format!("{}-shard-", crate::write::sanitize_component(campaign));
    let entries = std::fs::read_dir(folder).map_err(|e| Error::io(folder, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((index, count)) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".lock"))
            .and_then(|rest| rest.split_once("-of-"))
        else {
            continue;
        };
        if count == shard.count.to_string() {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        // Held: that shard runs. Free: a killed run's file; let go at once.
        match file.try_lock_shared() {
            Err(std::fs::TryLockError::WouldBlock) => return Ok(Some(format!("{index}/{count}"))),
            _ => drop(file),
        }
    }
    Ok(None)
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
        // The last shard to end removes the campaign's lock file (only it
        // can hold it alone).
        if let Some((path, file)) = self.shared.take() {
            if file.try_lock().is_ok() && same_file(&file, &path) {
                let _ = std::fs::remove_file(&path);
            }
            let _ = file.unlock();
        }
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

    #[test]
    fn a_shard_does_not_count_what_its_siblings_made_in_this_run() {
        use crate::shard::Shard;
        let dir = tempfile::tempdir().unwrap();
        let today = NaiveDate::from_ymd_opt(2027, 1, 2).unwrap();
        let (one, two) = (Shard { index: 1, count: 2 }, Shard { index: 2, count: 2 });
        let earlier = Entry {
            run_date: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            ..entry("S1-last-year")
        };
        let mut first = Ledger::open_shard(dir.path(), "c", one, today).unwrap();
        first.append(entry("S1")).unwrap();
        first.append(earlier).unwrap();
        Ledger::open(dir.path())
            .unwrap()
            .append(entry("U"))
            .unwrap();
        let other_count = Shard { index: 2, count: 3 };
        Ledger::open_as(dir.path(), &other_count.ledger_file("c"))
            .unwrap()
            .append(entry("T"))
            .unwrap();
        let mut second = Ledger::open_shard(dir.path(), "c", two, today).unwrap();
        second.append(entry("S2")).unwrap();

        // Shard 2 sees the unsharded run, the earlier day and the other
        // count, but not shard 1's piece of this run.
        let seen = Ledger::open_shard(dir.path(), "c", two, today).unwrap();
        assert!(!seen.contains("c", "birthday-2027", "S1"));
        for id in ["S1-last-year", "U", "T", "S2"] {
            assert!(seen.contains("c", "birthday-2027", id), "{id}");
        }
        // Shard 1 sees its own (a re-run makes nothing twice), not shard 2's.
        let seen = Ledger::open_shard(dir.path(), "c", one, today).unwrap();
        assert!(seen.contains("c", "birthday-2027", "S1"));
        assert!(!seen.contains("c", "birthday-2027", "S2"));
        // Every other reader, and a shard on another day, sees everything.
        let all = Ledger::open(dir.path()).unwrap();
        let tomorrow = today.succ_opt().unwrap();
        let later = Ledger::open_shard(dir.path(), "c", two, tomorrow).unwrap();
        for id in ["S1", "S2", "U", "T"] {
            assert!(all.contains("c", "birthday-2027", id), "{id}");
            assert!(later.contains("c", "birthday-2027", id), "{id}");
        }
    }

    #[test]
    fn every_ledger_file_of_the_folder_reads_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let shard = crate::shard::Shard { index: 2, count: 3 };
        let mut own = Ledger::open_as(dir.path(), &shard.ledger_file("c")).unwrap();
        own.append(entry("S2")).unwrap();
        Ledger::open(dir.path())
            .unwrap()
            .append(entry("U"))
            .unwrap();
        assert!(dir.path().join("ledger-c-shard-2-of-3.csv").is_file());
        let all = Ledger::open(dir.path()).unwrap();
        assert!(all.contains("c", "birthday-2027", "S2"));
        assert!(all.contains("c", "birthday-2027", "U"));
        // ledger.csv first, then the others by name.
        let ids: Vec<&str> = all.entries().iter().map(|e| e.person_id.as_str()).collect();
        assert_eq!(ids, ["U", "S2"]);
    }

    #[test]
    fn shards_run_together_but_not_with_an_unsharded_run_or_another_count() {
        use crate::shard::Shard;
        let dir = tempfile::tempdir().unwrap();
        let one = Lock::acquire_shard(dir.path(), "c", Shard { index: 1, count: 2 }).unwrap();
        let two = Lock::acquire_shard(dir.path(), "c", Shard { index: 2, count: 2 }).unwrap();
        let again = Lock::acquire_shard(dir.path(), "c", Shard { index: 2, count: 2 })
            .unwrap_err()
            .to_string();
        assert!(
            again.contains("shard 2/2 of campaign \"c\" is already running"),
            "{again}"
        );
        let whole = Lock::acquire(dir.path(), "c").unwrap_err().to_string();
        assert!(
            whole.contains("shards of campaign \"c\" are running"),
            "{whole}"
        );
        let other = Lock::acquire_shard(dir.path(), "c", Shard { index: 1, count: 3 })
            .unwrap_err()
            .to_string();
        assert!(other.contains("must agree on their count"), "{other}");
        // Another campaign is not held up.
        drop(Lock::acquire(dir.path(), "d").unwrap());
        drop(one);
        drop(two);
        // The last shard removed the campaign's lock file; the whole run goes.
        assert!(!dir.path().join("c.lock").exists());
        let whole = Lock::acquire(dir.path(), "c").unwrap();
        let shard = Lock::acquire_shard(dir.path(), "c", Shard { index: 1, count: 2 })
            .unwrap_err()
            .to_string();
        assert!(
            shard.contains("an unsharded run of campaign \"c\" is in progress"),
            "{shard}"
        );
        drop(whole);
    }
}
