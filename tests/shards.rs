//! Issue 13, points 1 and 2: a run split into shards by a hash of the
//! recipient id, shards running at once against one state folder, and
//! `warmly merge` joining their folders into what one run writes.

mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use util::*;

/// The scheduler variables, removed from every run unless a test sets them.
const SCHEDULER: [&str; 3] = [
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

fn warmly(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warmly"));
    command
        .args(args)
        .current_dir(w.path())
        .env_remove("WARMLY_DATE");
    for var in SCHEDULER {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

fn run(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Run {
    Run {
        output: warmly(w, args, env).output().expect("running warmly"),
    }
}

/// The samples' Christmas campaign, with print files of 10 pieces so that
/// the run has parts (`print-001.pdf` …).
fn christmas(w: &Workdir) -> &'static str {
    w.copy_samples();
    let path = w.join("samples/christmas-2026.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[output]\n"));
    std::fs::write(
        &path,
        text.replace("[output]\n", "[output]\nprint_part = 10\n"),
    )
    .unwrap();
    "samples/christmas-2026.toml"
}

/// File name → bytes of every file in a folder (not below it).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// `pdfinfo -box` of every page: size and boxes, page by page.
fn boxes(pdf: &Path) -> Vec<String> {
    let out = Command::new("pdfinfo")
        .args(["-box", "-f", "1", "-l", "100000"])
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Page "))
        .map(str::to_string)
        .collect()
}

/// The ledger lines of a state folder, all files together, as a set
/// (without the header lines).
fn ledger_lines(dir: &Path) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for (name, bytes) in files(dir) {
        if name.starts_with("ledger") && name.ends_with(".csv") {
            for line in String::from_utf8(bytes).unwrap().lines().skip(1) {
                assert!(
                    lines.insert(line.to_string()),
                    "twice in the ledger: {line}"
                );
            }
        }
    }
    lines
}

#[test]
fn three_shards_at_once_and_a_merge_write_what_one_run_writes() {
    let w = Workdir::new();
    let campaign = christmas(&w);
    run(
        &w,
        &[
            "render",
            campaign,
            "--out",
            "one",
            "--state",
            "state-one",
            "-q",
        ],
        &[],
    )
    .expect_code(0);

    // The three shards at the same time, against one state folder.
    let children: Vec<_> = (1..=3)
        .map(|i| {
            let shard = format!("{i}/3");
            warmly(
                &w,
                &[
                    "render",
                    campaign,
                    "--out",
                    "many",
                    "--state",
                    "state-many",
                    "-q",
                    "--shard",
                    &shard,
                    "--jobs",
                    "1",
                ],
                &[],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a shard failed: {out:?}");
    }
    // Each shard its own ledger file; together the one run's lines.
    let state = w.join("state-many");
    for i in 1..=3 {
        assert!(state
            .join(format!("ledger-christmas-2026-shard-{i}-of-3.csv"))
            .is_file());
    }
    assert!(!state.join("ledger.csv").exists());
    assert_eq!(ledger_lines(&state), ledger_lines(&w.join("state-one")));

    // Each shard holds a part; no recipient is in two.
    let mut ids = BTreeSet::new();
    let mut sizes = Vec::new();
    for i in 1..=3 {
        let rows = read_manifest(&w.join(&format!("many/shard-{i}-of-3/manifest.csv")));
        sizes.push(rows.len());
        for row in rows {
            assert!(ids.insert(row["id"].clone()), "{} in two shards", row["id"]);
        }
    }
    let one = read_manifest(&w.join("one/manifest.csv"));
    assert_eq!(ids.len(), one.len());
    assert!(sizes.iter().all(|&n| n > 0 && n < one.len()), "{sizes:?}");

    let merged = run(
        &w,
        &[
            "merge",
            "--out",
            "merged",
            "many/shard-3-of-3",
            "many/shard-1-of-3",
            "many/shard-2-of-3",
        ],
        &[],
    );
    merged
        .expect_code(0)
        .expect_stderr("merged 3 shards of christmas-2026");

    // The same files; manifest, postcodes and every piece byte for byte.
    let (a, b) = (files(&w.join("one")), files(&w.join("merged")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let parts: Vec<&String> = a.keys().filter(|n| n.starts_with("print-")).collect();
    assert_eq!(parts, ["print-001.pdf", "print-002.pdf", "print-003.pdf"]);
    // Every file byte for byte, the print parts too: each was made by
    // one shard from the laid-out pages, as one run makes it.
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs");
    }
    assert!(
        !merged.stderr().contains("joined from the pieces"),
        "{}",
        merged.stderr()
    );
    // Each shard made some of the parts (round robin: part k by shard
    // k mod 3 + 1), holding other shards' pieces too.
    for (i, part) in parts.iter().enumerate() {
        let maker = w.join(&format!("many/shard-{}-of-3", i % 3 + 1)).join(part);
        assert!(
            std::fs::read(&maker).unwrap() == a[*part],
            "{part} of its shard"
        );
    }

    // A re-run of a shard, or of the whole campaign, makes nothing twice.
    run(
        &w,
        &[
            "render",
            campaign,
            "--out",
            "many",
            "--state",
            "state-many",
            "--shard",
            "2/3",
        ],
        &[],
    )
    .expect_code(0);
    let whole = run(
        &w,
        &[
            "render",
            campaign,
            "--out",
            "again",
            "--state",
            "state-many",
            "--dry-run",
        ],
        &[],
    );
    whole
        .expect_code(0)
        .expect_stderr("dry run: 0 piece(s) would be produced");
    run(
        &w,
        &[
            "render",
            campaign,
            "--out",
            "again",
            "--state",
            "state-many",
        ],
        &[],
    )
    .expect_code(0);
    assert_eq!(ledger_lines(&state), ledger_lines(&w.join("state-one")));
    let check = run(
        &w,
        &["check", campaign, "--state", "state-many", "--json"],
        &[],
    );
    let report: serde_json::Value = serde_json::from_str(&check.stdout()).unwrap();
    assert_eq!(report["recipients"], 0);
    assert_eq!(report["already_done"], one.len());
}

#[test]
fn merge_names_the_shard_that_is_missing_twice_or_of_another_run() {
    let w = Workdir::new();
    w.copy_samples();
    let campaign = "samples/thank-you.toml";
    let shard = |i: u32, date: &str, out: &str| {
        let s = format!("{i}/3");
        run(
            &w,
            &[
                "render", campaign, "--out", out, "--state", out, "--shard", &s, "--date", date,
                "-q",
            ],
            &[],
        )
        .expect_code(0);
    };
    for i in 1..=3 {
        shard(i, "2026-11-30", "a");
    }
    shard(3, "2026-11-29", "b");

    let missing = run(
        &w,
        &["merge", "--out", "m", "a/shard-1-of-3", "a/shard-3-of-3"],
        &[],
    );
    missing
        .expect_code(2)
        .expect_stderr("shard 2/3 of thank-you (2026-11-30) missing: 2 of 3 given");
    let twice = run(
        &w,
        &[
            "merge",
            "--out",
            "m",
            "a/shard-1-of-3",
            "a/shard-2-of-3",
            "a/shard-2-of-3",
        ],
        &[],
    );
    twice
        .expect_code(2)
        .expect_stderr("shard 2/3 is given twice");
    let other = run(
        &w,
        &[
            "merge",
            "--out",
            "m",
            "a/shard-1-of-3",
            "a/shard-2-of-3",
            "b/shard-3-of-3",
        ],
        &[],
    );
    other
        .expect_code(2)
        .expect_stderr("are not shards of one run: run date 2026-11-30 and 2026-11-29");
    let not_a_shard = run(&w, &["merge", "--out", "m", "samples"], &[]);
    not_a_shard
        .expect_code(2)
        .expect_stderr("is not the folder of a finished shard");
    assert!(!w.join("m").exists(), "a refused merge writes nothing");

    // Another campaign's shards.
    let s = "1/3";
    run(
        &w,
        &[
            "render",
            "samples/christmas-2026.toml",
            "--out",
            "c",
            "--state",
            "c",
            "--shard",
            s,
            "-q",
        ],
        &[],
    )
    .expect_code(0);
    run(
        &w,
        &[
            "merge",
            "--out",
            "m",
            "c/shard-1-of-3",
            "a/shard-2-of-3",
            "a/shard-3-of-3",
        ],
        &[],
    )
    .expect_code(2)
    .expect_stderr("campaign \"christmas-2026\" and \"thank-you\"");

    // A shard made with a template that differs in one line (the same
    // name, the same settings) is another run's.
    let builtin = repo().join("templates/letter");
    for file in walk(&builtin) {
        let rel = file.strip_prefix(&builtin).unwrap().display().to_string();
        w.write(&format!("x/letter/{rel}"), std::fs::read(&file).unwrap());
    }
    let typ = w.join("x/letter/template.typ");
    let text = std::fs::read_to_string(&typ).unwrap();
    std::fs::write(&typ, format!("// changed\n{text}")).unwrap();
    run(
        &w,
        &[
            "render",
            campaign,
            "--out",
            "t",
            "--state",
            "t",
            "--shard",
            "3/3",
            "--date",
            "2026-11-30",
            "--template",
            "x/letter",
            "-q",
        ],
        &[],
    )
    .expect_code(0);
    run(
        &w,
        &[
            "merge",
            "--out",
            "m",
            "a/shard-1-of-3",
            "a/shard-2-of-3",
            "t/shard-3-of-3",
        ],
        &[],
    )
    .expect_code(2)
    .expect_stderr("made from different data files, templates or campaign settings");

    // All three of one run merge, and into their parent folder.
    run(
        &w,
        &[
            "merge",
            "--out",
            "a",
            "a/shard-1-of-3",
            "a/shard-2-of-3",
            "a/shard-3-of-3",
        ],
        &[],
    )
    .expect_code(0);
    assert!(w.join("a/manifest.csv").is_file());
}

/// A people file of `n` customers with ids that look like a CRM's.
fn many_people(n: usize) -> String {
    let mut csv = String::from("id,first_name,last_name,street,postal_code,city,country\n");
    for i in 0..n {
        csv.push_str(&format!(
            "C-{:05},Anna,Muster{i},Weg {i},{:05},Dresden,DE\n",
            70_000 + i * 7,
            (i * 37) % 99_999
        ));
    }
    csv
}

/// Ids the dry run of a shard says get a piece (households: every member).
fn planned(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Vec<Vec<String>> {
    let out = run(w, args, env);
    out.expect_code(0);
    out.stdout()
        .lines()
        .map(|l| {
            l.split('\t')
                .next()
                .unwrap()
                .split(" + ")
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn shards_are_balanced_disjoint_and_complete_for_a_thousand_recipients() {
    let w = Workdir::new();
    w.write("people.csv", many_people(1200));
    let base = [
        "render",
        "--template",
        "letter",
        "--people",
        "people.csv",
        "--date",
        "2026-11-30",
        "--dry-run",
    ];
    let whole = planned(&w, &base, &[]);
    assert_eq!(whole.len(), 1200);
    let n = 4;
    let mut seen = BTreeSet::new();
    for i in 1..=n {
        let shard = format!("{i}/{n}");
        let mut args = base.to_vec();
        args.extend(["--shard", &shard]);
        let part = planned(&w, &args, &[]);
        let mean = 1200.0 / f64::from(n);
        assert!(
            (part.len() as f64) <= 1.2 * mean,
            "shard {shard}: {} of 1200",
            part.len()
        );
        for ids in part {
            assert!(seen.insert(ids[0].clone()), "{ids:?} in two shards");
        }
    }
    assert_eq!(seen.len(), 1200);
}

#[test]
fn the_schedulers_index_names_the_shard_and_bad_ones_are_refused() {
    let w = Workdir::new();
    w.write("people.csv", many_people(40));
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "render",
            "--template",
            "letter",
            "--people",
            "people.csv",
            "--date",
            "2026-11-30",
            "--dry-run",
        ];
        a.extend_from_slice(extra);
        a
    };
    let third = planned(&w, &args(&["--shard", "3/3"]), &[]);
    assert!(!third.is_empty());
    for var in SCHEDULER {
        // 0-based there: index 2 is the third shard.
        assert_eq!(
            planned(&w, &args(&["--shards", "3"]), &[(var, "2")]),
            third,
            "{var}"
        );
    }
    run(&w, &args(&["--shards", "3"]), &[])
        .expect_code(2)
        .expect_stderr("no scheduler index in the environment");
    run(
        &w,
        &args(&["--shards", "3"]),
        &[("SLURM_ARRAY_TASK_ID", "3")],
    )
    .expect_code(2)
    .expect_stderr("SLURM_ARRAY_TASK_ID=3 is out of range");
    run(
        &w,
        &args(&["--shards", "3"]),
        &[
            ("JOB_COMPLETION_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
        ],
    )
    .expect_code(2)
    .expect_stderr("the environment names different shards");
    run(&w, &args(&["--shard", "4/3"]), &[])
        .expect_code(2)
        .expect_stderr("the shard must be 1 to 3");
    run(&w, &args(&["--shard", "1/3", "--shards", "3"]), &[]).expect_code(2);
    // A part of a proof or a test grid makes no sense.
    let mut proof = args(&["--shard", "1/3"]);
    proof[0] = "proof";
    proof.retain(|a| *a != "--dry-run");
    run(&w, &proof, &[])
        .expect_code(2)
        .expect_stderr("shards work with `render`, `render --dry-run` and `check`");
}

#[test]
fn a_household_stays_in_the_shard_of_its_first_member() {
    let w = Workdir::new();
    // Pairs at one address: K-<n>a first, K-<n>b second.
    let mut csv = String::from("id,first_name,last_name,street,postal_code,city\n");
    for i in 0..30 {
        csv.push_str(&format!("K-{i}a,Anna,Paar{i},Gasse {i},01069,Dresden\n"));
        csv.push_str(&format!("K-{i}b,Ben,Paar{i},Gasse {i},01069,Dresden\n"));
    }
    w.write("people.csv", csv);
    let base = [
        "render",
        "--template",
        "letter",
        "--people",
        "people.csv",
        "--date",
        "2026-11-30",
        "--households",
        "--dry-run",
    ];
    let whole = planned(&w, &base, &[]);
    assert_eq!(whole.len(), 30);
    let mut union = Vec::new();
    let mut split = false;
    for i in 1..=4 {
        let shard = format!("{i}/4");
        let mut args = base.to_vec();
        args.extend(["--shard", &shard]);
        // Without households, each id goes its own way.
        let singles = planned(
            &w,
            &[
                "render",
                "--template",
                "letter",
                "--people",
                "people.csv",
                "--date",
                "2026-11-30",
                "--dry-run",
                "--shard",
                &shard,
            ],
            &[],
        );
        for ids in planned(&w, &args, &[]) {
            assert_eq!(ids.len(), 2, "{ids:?}: the household is one piece");
            assert!(singles.iter().any(|s| s[0] == ids[0]));
            split |= !singles.iter().any(|s| s[0] == ids[1]);
            union.push(ids);
        }
    }
    union.sort();
    let mut whole = whole;
    whole.sort();
    assert_eq!(union, whole);
    assert!(split, "no household would have been split by its second id");

    // check with --shard shows the shard's plan.
    let check = run(
        &w,
        &[
            "check",
            "--template",
            "letter",
            "--people",
            "people.csv",
            "--date",
            "2026-11-30",
            "--households",
            "--shard",
            "2/4",
            "--json",
        ],
        &[],
    );
    check.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&check.stdout()).unwrap();
    assert_eq!(report["shard"], "2/4");
    let pieces = report["recipients"].as_u64().unwrap() as usize;
    assert_eq!(report["persons"].as_u64().unwrap() as usize, 2 * pieces);
    assert!(pieces > 0 && pieces < 30);
}

#[test]
fn merged_letters_in_duplex_parts_match_one_run() {
    let w = Workdir::new();
    w.copy_samples();
    let path = w.join("samples/thank-you.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("[output]"));
    std::fs::write(
        &path,
        format!("{text}\n[output]\nduplex = true\nprint_part = 3\n"),
    )
    .unwrap();
    let campaign = "samples/thank-you.toml";
    let date = ["--date", "2026-11-30", "-q"];
    let mut one = vec!["render", campaign, "--out", "one", "--state", "s1"];
    one.extend(date);
    run(&w, &one, &[]).expect_code(0);
    let mut dirs = Vec::new();
    for i in 1..=2 {
        let shard = format!("{i}/2");
        let mut args = vec![
            "render", campaign, "--out", "two", "--state", "s2", "--shard", &shard,
        ];
        args.extend(date);
        run(&w, &args, &[]).expect_code(0);
        dirs.push(format!("two/shard-{i}-of-2"));
    }
    let mut merge = vec!["merge", "--out", "merged"];
    merge.extend(dirs.iter().map(String::as_str));
    run(&w, &merge, &[]).expect_code(0);

    let (a, b) = (files(&w.join("one")), files(&w.join("merged")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let parts: Vec<&String> = a.keys().filter(|n| n.starts_with("print-")).collect();
    assert_eq!(parts.len(), 3, "{parts:?}");
    // The shards ran one after the other: the second plans the whole run
    // as the first did (its sibling's ledger lines of this run do not
    // count), so every file is one run's, byte for byte.
    let mut letters = 0;
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs");
        letters += usize::from(name.ends_with(".pdf") && !name.starts_with("print-"));
    }
    assert_eq!(letters, 8);
    for name in &parts {
        // Duplex: every letter starts on a front side, so an even count.
        assert_eq!(pages(&w.join("merged").join(name)) % 2, 0, "{name}");
    }

    // A shard that did not make its parts (here: its shard.json lost
    // them): the merge says so and joins the pieces' PDFs instead — the
    // same pages, not the same bytes.
    let info = w.join("two/shard-1-of-2/shard.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&info).unwrap()).unwrap();
    assert!(!json["parts"].as_array().unwrap().is_empty());
    json["parts"] = serde_json::json!([]);
    std::fs::write(&info, serde_json::to_vec(&json).unwrap()).unwrap();
    let mut merge = vec!["merge", "--out", "joined"];
    merge.extend(dirs.iter().map(String::as_str));
    let joined = run(&w, &merge, &[]);
    joined
        .expect_code(0)
        .expect_stderr("note: the print file is joined from the pieces' PDFs")
        .expect_stderr("no shard made print-001.pdf");
    for name in parts {
        let (x, y) = (w.join("one").join(name), w.join("joined").join(name));
        assert_eq!(pages(&x), pages(&y), "{name}");
        assert_eq!(boxes(&x), boxes(&y), "{name}");
        for page in 1..=pages(&x) {
            assert_eq!(page_text(&x, page), page_text(&y, page), "{name} p. {page}");
        }
    }
}

#[test]
fn a_label_sheet_is_not_split() {
    let w = Workdir::new();
    w.copy_samples();
    let out = run(
        &w,
        &[
            "render",
            "samples/labels.toml",
            "--shard",
            "1/2",
            "--state",
            "s",
        ],
        &[],
    );
    out.expect_code(2)
        .expect_stderr("lays everyone out on one sheet, which cannot be split");
    assert!(!w.join("s").join("ledger.csv").exists());
    assert!(std::fs::read_dir(w.join("s"))
        .map(|d| d.count() == 0)
        .unwrap_or(true));
}
