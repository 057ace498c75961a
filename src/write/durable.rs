//! Writing files so that they are complete or not there: a temporary file
//! in the same folder, flushed, then renamed; many at once with one flush
//! ([`Pending::publish`]). And the SHA-256 the manifest and ledger carry.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

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

pub(crate) fn temp_path(dir: &Path, name: &str) -> PathBuf {
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
