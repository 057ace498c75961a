//! Golden outputs: the SHA-256 of every file the sample campaigns produce,
//! for every built-in template and each of its formats, checked in as
//! `tests/golden/outputs.sha256` and compared here. A refactor proves
//! itself by leaving the list as it is; an intended change of an output
//! updates the list in the same commit and says why:
//!
//! ```sh
//! WARMLY_BLESS=1 cargo test --release --test golden
//! ```

mod util;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use util::Workdir;

const GOLDEN: &str = "tests/golden/outputs.sha256";

/// The sample campaigns, each rendered as it is.
const CAMPAIGNS: &[&str] = &[
    "after-purchase",
    "anniversary",
    "birthday",
    "christmas-2026",
    "envelopes",
    "keep-in-touch",
    "labels",
    "thank-you",
    "win-back",
];

/// The formats of the built-in templates besides the samples' own: each
/// (campaign, format) renders into a folder of its own.
const FORMATS: &[(&str, &str)] = &[
    ("thank-you", "din-a"),
    ("thank-you", "us-letter"),
    ("envelopes", "c6/5"),
    ("envelopes", "c5"),
    ("envelopes", "us10"),
    ("labels", "3490"),
    ("labels", "l7163"),
    ("labels", "5160"),
];

/// Runs warmly in the workdir and hands back what it printed on stdout;
/// a run that does not end with `code` fails the test.
fn run(w: &Workdir, args: &[&str], code: i32) -> Vec<u8> {
    let run = w.run(args);
    run.expect_code(code);
    run.output.stdout
}

/// Everything the samples produce, in a fresh copy of them.
fn produce(w: &Workdir) {
    w.copy_samples();
    for name in CAMPAIGNS {
        let campaign = format!("samples/{name}.toml");
        let state = format!("--state=state/{name}");
        // What a run would do, as scripts read it, before it is done.
        let dry = run(w, &["render", &campaign, &state, "--dry-run", "--json"], 0);
        w.write(&format!("json/{name}.dry-run.json"), dry);
        let check = run(w, &["check", &campaign, &state, "--json"], 0);
        w.write(&format!("json/{name}.check.json"), check);
        run(
            w,
            &[
                "render",
                &campaign,
                &state,
                "--out",
                &format!("out/{name}"),
                "-q",
            ],
            0,
        );
        run(
            w,
            &[
                "proof",
                &campaign,
                &state,
                "--out",
                &format!("proof/{name}"),
                "-q",
            ],
            0,
        );
    }
    for (name, format) in FORMATS {
        let campaign = format!("samples/{name}.toml");
        let folder = format.replace('/', "-");
        run(
            w,
            &[
                "render",
                &campaign,
                &format!("--state=state/{name}-{folder}"),
                "--format",
                format,
                "--out",
                &format!("formats/{name}-{folder}"),
                "-q",
            ],
            0,
        );
    }
    // Every motif of the card (the samples show two), and the company's
    // own picture on the front.
    let christmas = std::fs::read_to_string(w.join("samples/christmas-2026.toml")).unwrap();
    let motifs = [
        "christmas",
        "new-year",
        "birthday",
        "anniversary",
        "thank-you",
        "botanical",
    ];
    for motif in motifs.into_iter().chain(["front-image"]) {
        let theme = match motif {
            "front-image" => "front_image = \"art/holzwerk-front.svg\"".to_string(),
            _ => format!("motif = \"{motif}\""),
        };
        assert!(
            christmas.contains("motif = \"christmas\""),
            "the sample names its motif"
        );
        // Without the sample's colours, so each motif shows its own palette.
        let text: String = christmas
            .replace("motif = \"christmas\"", &theme)
            .lines()
            .filter(|l| !l.starts_with("primary =") && !l.starts_with("accent ="))
            .map(|l| format!("{l}\n"))
            .collect();
        w.write(&format!("samples/card-{motif}.toml"), text);
        run(
            w,
            &[
                "render",
                &format!("samples/card-{motif}.toml"),
                &format!("--state=state/card-{motif}"),
                "--out",
                &format!("formats/card-{motif}"),
                "-q",
            ],
            0,
        );
    }
    // Crop marks, the printers' test grids, one recipient's images and
    // the inputs Typst gets.
    run(
        w,
        &[
            "render",
            "samples/christmas-2026.toml",
            "--state=state/crop",
            "--crop-marks",
            "--out",
            "formats/christmas-crop-marks",
            "-q",
        ],
        0,
    );
    for name in ["thank-you", "envelopes", "labels"] {
        run(
            w,
            &[
                "render",
                &format!("samples/{name}.toml"),
                "--state=state/grid",
                "--test-grid",
                "--out",
                &format!("grid/{name}"),
                "-q",
            ],
            0,
        );
    }
    for (name, id) in [("christmas-2026", "K-1001"), ("thank-you", "K-1003")] {
        run(
            w,
            &[
                "preview",
                &format!("samples/{name}.toml"),
                "--state=state/preview",
                "--id",
                id,
                "--ppi",
                "40",
                "--out",
                &format!("preview/{name}"),
                "-q",
            ],
            0,
        );
    }
    for name in ["christmas-2026", "thank-you", "labels"] {
        run(
            w,
            &[
                "render",
                &format!("samples/{name}.toml"),
                "--state=state/export",
                "--export-inputs",
                &format!("inputs/{name}"),
            ],
            0,
        );
    }
    let due = run(
        w,
        &["due", "--date", "2026-12-01", "--within", "60d", "--json"]
            .into_iter()
            .map(String::from)
            .chain(CAMPAIGNS.iter().map(|c| format!("samples/{c}.toml")))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        0,
    );
    w.write("json/due.json", due);
}

/// `path → sha256` of every file the runs wrote (not the copied samples).
fn hashes(w: &Workdir) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for path in util::walk(w.path()) {
        let rel = path.strip_prefix(w.path()).unwrap();
        if rel.starts_with("samples") {
            continue;
        }
        let rel = rel.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(&path).unwrap();
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out.insert(rel, hash);
    }
    out
}

fn read_golden(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (hash, file) = l.split_once("  ").expect("`<sha256>  <file>` per line");
            (file.to_string(), hash.to_string())
        })
        .collect()
}

fn write_golden(path: &Path, hashes: &BTreeMap<String, String>) {
    let mut text = String::from(
        "# SHA-256 of every sample output (tests/golden.rs). Update with\n\
         # WARMLY_BLESS=1 cargo test --release --test golden, and say why in the commit.\n",
    );
    for (file, hash) in hashes {
        text.push_str(&format!("{hash}  {file}\n"));
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn every_sample_output_is_byte_identical_to_the_golden_list() {
    let w = Workdir::new();
    produce(&w);
    let now = hashes(&w);
    let golden_path = util::repo().join(GOLDEN);
    if std::env::var_os("WARMLY_BLESS").is_some() {
        write_golden(&golden_path, &now);
        return;
    }
    let golden = read_golden(&golden_path);
    assert!(
        golden.len() > 100,
        "{GOLDEN} holds {} files; make it with WARMLY_BLESS=1",
        golden.len()
    );
    let mut differences = Vec::new();
    for (file, hash) in &golden {
        match now.get(file) {
            None => differences.push(format!("missing  {file}")),
            Some(h) if h != hash => differences.push(format!("changed  {file}")),
            _ => {}
        }
    }
    for file in now.keys().filter(|f| !golden.contains_key(*f)) {
        differences.push(format!("new      {file}"));
    }
    assert!(
        differences.is_empty(),
        "{} of {} sample outputs differ from {GOLDEN}:\n{}\n\
         If the change is intended: WARMLY_BLESS=1 cargo test --release --test golden, \
         and say why in the commit.",
        differences.len(),
        golden.len(),
        differences.join("\n")
    );
}

#[test]
fn the_golden_list_covers_every_built_in_template_and_format() {
    let golden = read_golden(&util::repo().join(GOLDEN));
    let has = |prefix: &str, suffix: &str| {
        golden
            .keys()
            .any(|f| f.starts_with(prefix) && f.ends_with(suffix))
    };
    // Every sample campaign: its pieces, print file, manifest, proof.
    for name in CAMPAIGNS {
        assert!(has(&format!("out/{name}/"), "manifest.csv"), "{name}");
        assert!(has(&format!("out/{name}/"), ".pdf"), "{name}");
        assert!(has(&format!("proof/{name}/"), "proof.pdf"), "{name}");
    }
    // Every format each built-in template declares.
    for template in ["letter", "card", "envelope", "labels"] {
        let toml = std::fs::read_to_string(
            util::repo().join(format!("templates/{template}/template.toml")),
        )
        .unwrap();
        let manifest: toml::Value = toml::from_str(&toml).unwrap();
        let list = |key: &str| -> Vec<String> {
            match manifest.get(key) {
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                Some(toml::Value::Table(t)) => t.keys().cloned().collect(),
                _ => Vec::new(),
            }
        };
        // The first format is the samples' own (the default).
        for format in list("formats").into_iter().skip(1) {
            let folder = format.replace('/', "-");
            assert!(
                has("formats/", &format!("-{folder}/manifest.csv")),
                "{template}: format {format} has no golden output"
            );
        }
        for motif in list("motif") {
            assert!(
                has(&format!("formats/card-{motif}/"), "print.pdf"),
                "card: motif {motif} has no golden output"
            );
        }
    }
}
