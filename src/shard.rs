//! Shards: one campaign run split across machines by a stable hash of the
//! recipient id, so that the schedulers operators already have (Kubernetes
//! Indexed Jobs, Slurm job arrays, AWS Batch array jobs) can start the
//! pieces; `warmly merge` joins their outputs (see `cmd/merge.rs`).
//!
//! A recipient belongs to shard `1 + (first 8 bytes of SHA-256(id) as a
//! big-endian u64) mod N`: it depends on the id alone — not on the row, not
//! on who else is in the file — so re-sorting the people file or adding a
//! customer moves nobody else, and anyone can recompute it
//! (`printf %s K-1001 | sha256sum`). A household's piece goes with the id
//! of its first member (in input order).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// The environment variables of the schedulers, each a 0-based index.
pub const SCHEDULER_VARIABLES: [(&str, &str); 3] = [
    ("JOB_COMPLETION_INDEX", "a Kubernetes Indexed Job"),
    ("SLURM_ARRAY_TASK_ID", "a Slurm job array"),
    ("AWS_BATCH_JOB_ARRAY_INDEX", "an AWS Batch array job"),
];

/// More shards than this is a typo, not a plan (and keeps file names short).
pub const MAX_SHARDS: u32 = 10_000;

/// The shard (1-based) of `count` that an id belongs to.
pub fn shard_of(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32 + 1
}

impl Shard {
    /// `--shard I/N`, 1-based.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::config(format!("--shard {text}: expected I/N, e.g. 2/8"))
                .with_hint("I is this shard (1 to N), N the number of shards")
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count = parse_count(n.trim(), "--shard")?;
        if index == 0 || index > count {
            return Err(Error::config(format!(
                "--shard {text}: the shard must be 1 to {count} (shards count from 1)"
            ))
            .with_hint("schedulers count from 0: use --shards N to read their index"));
        }
        Ok(Shard { index, count })
    }

    /// `--shards N`: the index from the scheduler that started this
    /// process, through `var` (the environment; a parameter for tests).
    pub fn from_scheduler(count: u32, var: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let count = parse_count(&count.to_string(), "--shards")?;
        let set: Vec<(&str, &str, String)> = SCHEDULER_VARIABLES
            .iter()
            .filter_map(|&(name, what)| {
                var(name)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .map(|v| (name, what, v))
            })
            .collect();
        let names = || {
            SCHEDULER_VARIABLES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (name, what, value) = match set.as_slice() {
            [] => {
                return Err(Error::config(format!(
                    "--shards {count}: no scheduler index in the environment (looked for {})",
                    names()
                ))
                .with_hint(format!(
                    "start it as an indexed or array job, or name the shard: --shard 1/{count}"
                )))
            }
            [one] => one.clone(),
            [first, rest @ ..] => {
                if rest.iter().any(|(_, _, v)| *v != first.2) {
                    let all: Vec<String> = set.iter().map(|(n, _, v)| format!("{n}={v}")).collect();
                    return Err(Error::config(format!(
                        "--shards {count}: the environment names different shards ({})",
                        all.join(", ")
                    ))
                    .with_hint("unset the variables of the other scheduler, or use --shard I/N"));
                }
                first.clone()
            }
        };
        let index: u32 = value.parse().map_err(|_| {
            Error::config(format!(
                "--shards {count}: {name}=\"{value}\" is not a number (from {what})"
            ))
        })?;
        if index >= count {
            return Err(Error::config(format!(
                "--shards {count}: {name}={index} is out of range: {what} counts from 0, so 0 to {}",
                count - 1
            ))
            .with_hint(format!(
                "start exactly {count} tasks numbered from 0 (completions, --array=0-{}, array size)",
                count - 1
            )));
        }
        Ok(Shard {
            index: index + 1,
            count,
        })
    }

    /// Whether the piece of a recipient with this id (a household: its
    /// first member's) is made by this shard.
    pub fn holds(&self, id: &str) -> bool {
        shard_of(id, self.count) == self.index
    }

    /// `shard-2-of-8`: the output folder below the campaign's, and part of
    /// the names of the shard's ledger and lock.
    pub fn name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// The ledger this shard appends to (every command reads them all).
    pub fn ledger_file(&self, campaign: &str) -> String {
        format!(
            "ledger-{}-{}.csv",
            crate::write::sanitize_component(campaign),
            self.name()
        )
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

fn parse_count(text: &str, flag: &str) -> Result<u32> {
    match text.parse::<u32>() {
        Ok(n) if (1..=MAX_SHARDS).contains(&n) => Ok(n),
        _ => Err(Error::config(format!(
            "{flag}: \"{text}\" is not a number of shards (1 to {MAX_SHARDS})"
        ))),
    }
}

/// `shard.json`, written last into a shard's output folder: what `warmly
/// merge` needs to join the shards into what one run would have written,
/// and to refuse shards that do not belong together.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardInfo {
    /// The version of warmly that made it (merge refuses another).
    pub warmly: String,
    pub campaign: String,
    pub run_date: chrono::NaiveDate,
    /// 1-based.
    pub shard: u32,
    pub of: u32,
    /// SHA-256 of what decides the plan (the data files and the settings
    /// of the plan and the print file): shards of one run agree on it.
    pub fingerprint: String,
    /// The print file's name (none: `combined = false`), pieces per part,
    /// duplex — as the campaign says, for the merged print file.
    pub print_file: Option<String>,
    pub print_part: usize,
    pub duplex: bool,
    /// One per row of the shard's `manifest.csv`, in its order.
    pub pieces: Vec<ShardPiece>,
    /// The parts of the run's print file this shard made (see
    /// `print_file::share`); none when it kept files from an earlier run.
    #[serde(default)]
    pub parts: Vec<ShardPart>,
}

/// A part of the whole run's print file, made by a shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardPart {
    /// Its file name in the shard's folder and the run's (`print-003.pdf`).
    pub name: String,
    /// The pieces on its pages, in order, by their (first) person's place
    /// in the people file: merge uses the part only if this is exactly
    /// what one run would have put into it.
    pub inputs: Vec<u32>,
}

/// Where a piece of a shard belongs in the whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardPiece {
    /// The position of its (first) person in the people file: the
    /// manifest lists pieces in this order.
    pub input: u32,
    /// What the print file is sorted by (ties in input order).
    pub print_key: String,
}

impl ShardInfo {
    pub const FILE: &'static str = "shard.json";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_shard_is_the_documented_hash_of_the_id() {
        // From `printf %s K-1001 | sha256sum`: the first 16 hex digits mod 8,
        // plus 1. A change here would move recipients between the shards
        // of runs made by different versions.
        let shards: Vec<u32> = ["K-1001", "K-1002", "K-1003", "K-1004"]
            .iter()
            .map(|id| shard_of(id, 8))
            .collect();
        assert_eq!(shards, [1, 8, 5, 2]);
        assert_eq!(shard_of("anything", 1), 1);
    }

    #[test]
    fn shards_are_balanced_for_many_recipients() {
        for (people, counts) in [(1_000, &[2u32, 3, 4][..]), (10_000, &[2, 4, 8, 16][..])] {
            for &n in counts {
                let mut sizes = vec![0usize; n as usize];
                for i in 0..people {
                    sizes[shard_of(&format!("C-{i:06}"), n) as usize - 1] += 1;
                }
                let mean = people as f64 / f64::from(n);
                let max = *sizes.iter().max().unwrap() as f64;
                assert!(max <= 1.2 * mean, "{people} in {n}: {sizes:?}");
                assert_eq!(sizes.iter().sum::<usize>(), people);
            }
        }
    }

    #[test]
    fn shard_flags_say_what_is_wrong() {
        assert_eq!(Shard::parse("2/8").unwrap(), Shard { index: 2, count: 8 });
        for bad in ["0/8", "9/8", "2", "a/8", "2/0", "1/x"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let k = Shard::from_scheduler(4, env(&[("JOB_COMPLETION_INDEX", "0")])).unwrap();
        assert_eq!(k, Shard { index: 1, count: 4 });
        let s = Shard::from_scheduler(4, env(&[("SLURM_ARRAY_TASK_ID", "3")])).unwrap();
        assert_eq!(s, Shard { index: 4, count: 4 });
        let none = Shard::from_scheduler(4, env(&[])).unwrap_err().to_string();
        assert!(none.contains("no scheduler index"), "{none}");
        let out = Shard::from_scheduler(4, env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "4")]))
            .unwrap_err()
            .to_string();
        assert!(
            out.contains("AWS_BATCH_JOB_ARRAY_INDEX=4 is out of range"),
            "{out}"
        );
        let two = Shard::from_scheduler(
            4,
            env(&[("JOB_COMPLETION_INDEX", "1"), ("SLURM_ARRAY_TASK_ID", "2")]),
        )
        .unwrap_err()
        .to_string();
        assert!(two.contains("different shards"), "{two}");
        let agree = Shard::from_scheduler(
            4,
            env(&[("JOB_COMPLETION_INDEX", "1"), ("SLURM_ARRAY_TASK_ID", "1")]),
        )
        .unwrap();
        assert_eq!(agree.index, 2);
    }
}
