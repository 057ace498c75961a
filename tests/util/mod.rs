//! A scratch folder per test that writes fixtures, runs the real `warmly`
//! binary in it and reads the PDFs back with poppler's tools (the way a
//! print shop would look at them).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workdir {
    dir: tempfile::TempDir,
}

/// The repository root (samples, templates).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file below `dir`, recursively.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::Builder::new()
                .prefix("warmly-test")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A copy of the samples (campaigns, data, messages; not their ledger)
    /// in `samples/`, so runs write their state here.
    pub fn copy_samples(&self) {
        let src = repo().join("samples");
        for entry in walk(&src) {
            let rel = entry.strip_prefix(&src).unwrap();
            if rel.starts_with("state") {
                continue;
            }
            self.write(
                &format!("samples/{}", rel.display()),
                std::fs::read(&entry).unwrap(),
            );
        }
    }

    /// Runs `warmly` with the working directory in this folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `warmly` as `run` does, with these environment variables set.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_warmly"));
        command
            .args(args)
            .current_dir(self.path())
            .env_remove("WARMLY_DATE");
        for (k, v) in env {
            command.env(k, v);
        }
        Run {
            output: command.output().expect("running warmly"),
        }
    }

    /// The PDFs in a folder of this workdir, sorted, without the print
    /// file (`print.pdf`, or its parts `print-001.pdf`, …).
    pub fn pdfs(&self, rel: &str) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(self.join(rel))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pdf") && !is_print_file(p))
            .collect();
        out.sort();
        out
    }

    /// The PDF of recipient `id` in a folder (its name starts with "<id>-").
    #[track_caller]
    pub fn pdf_of(&self, rel: &str, id: &str) -> PathBuf {
        self.pdfs(rel)
            .into_iter()
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{id}-"))
            })
            .unwrap_or_else(|| panic!("no PDF for {id} in {:?}", self.pdfs(rel)))
    }

    /// Every file and folder below this workdir, relative, sorted.
    pub fn tree(&self) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
                if path.is_dir() {
                    walk(root, &path, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out.sort();
        out
    }
}

pub struct Run {
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// Asserts that the messages contain `needle`, showing them if not.
    #[track_caller]
    pub fn expect_stderr(&self, needle: &str) -> &Run {
        assert!(
            self.stderr().contains(needle),
            "missing {needle:?} in:\n{}",
            self.stderr()
        );
        self
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code(), code, "exit code; stderr:\n{}", self.stderr());
        assert!(
            !self.stderr().contains("panicked"),
            "panic: {}",
            self.stderr()
        );
        self
    }
}

fn tool(name: &str, args: &[&str], pdf: &Path) -> String {
    let output = Command::new(name)
        .args(args)
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!("{name} is needed for the tests (apt-get install poppler-utils): {e}")
        });
    assert!(
        output.status.success(),
        "{name} {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The text of a PDF with runs of whitespace (line breaks too) collapsed.
pub fn text(pdf: &Path) -> String {
    tool("pdftotext", &["-enc", "UTF-8"], pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of one page, layout kept (for reading order within a page).
pub fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    tool("pdftotext", &["-enc", "UTF-8", "-f", &p, "-l", &p], pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `pdfinfo -box` as key → value.
pub fn info(pdf: &Path) -> std::collections::HashMap<String, String> {
    let output = Command::new("pdfinfo")
        .arg("-box")
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

pub fn pages(pdf: &Path) -> usize {
    info(pdf)["Pages"].parse().unwrap()
}

/// Page size in points, e.g. (595.28, 841.89).
pub fn page_size(pdf: &Path) -> (f64, f64) {
    let size = &info(pdf)["Page size"];
    let nums: Vec<f64> = size
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1])
}

/// A box line of `pdfinfo -box` ("TrimBox") as [x0, y0, x1, y1].
pub fn page_box(pdf: &Path, name: &str) -> [f64; 4] {
    let value = &info(pdf)[name];
    let nums: Vec<f64> = value
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    [nums[0], nums[1], nums[2], nums[3]]
}

/// Font names with their `emb` column from `pdffonts`.
pub fn fonts(pdf: &Path) -> Vec<(String, bool)> {
    let output = Command::new("pdffonts")
        .arg(pdf)
        .output()
        .expect("pdffonts (poppler-utils)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(2)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // name type [subtype] encoding emb sub uni object ID
            let n = cols.len();
            (n >= 7).then(|| (cols[0].to_string(), cols[n - 5] == "yes"))
        })
        .collect()
}

pub fn read_manifest(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Asserts that `text` contains every one of `expected`, naming the first
/// that is missing.
#[track_caller]
pub fn assert_contains_all(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "missing {e:?} in:\n{text}");
    }
}

/// A word on a page with its box in mm from the top-left corner, as
/// `pdftotext -bbox` sees it (font ascent to descent).
#[derive(Debug, Clone)]
pub struct Word {
    pub text: String,
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

/// The words of one page (1-based) with their positions in mm.
pub fn words(pdf: &Path, page: usize) -> Vec<Word> {
    let p = page.to_string();
    let html = tool(
        "pdftotext",
        &["-bbox", "-enc", "UTF-8", "-f", &p, "-l", &p],
        pdf,
    );
    let attr = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + tag[start..].find('"').unwrap();
        tag[start..end].parse::<f64>().unwrap() * 25.4 / 72.0
    };
    html.split("<word ")
        .skip(1)
        .map(|chunk| {
            let (tag, rest) = chunk.split_once('>').unwrap();
            let text = rest.split("</word>").next().unwrap();
            let text = text
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'");
            Word {
                text,
                x0: attr(tag, "xMin"),
                y0: attr(tag, "yMin"),
                x1: attr(tag, "xMax"),
                y1: attr(tag, "yMax"),
            }
        })
        .collect()
}

/// The box around the first run of consecutive `words` that spells
/// `phrase` (compared word by word), among the words `keep` accepts.
pub fn find_phrase(words: &[Word], phrase: &str, keep: impl Fn(&Word) -> bool) -> Option<Word> {
    let wanted: Vec<&str> = phrase.split_whitespace().collect();
    let words: Vec<&Word> = words.iter().filter(|w| keep(w)).collect();
    if wanted.is_empty() || words.len() < wanted.len() {
        return None;
    }
    (0..=words.len() - wanted.len()).find_map(|start| {
        let run = &words[start..start + wanted.len()];
        run.iter()
            .zip(&wanted)
            .all(|(w, t)| w.text == *t)
            .then(|| Word {
                text: phrase.to_string(),
                x0: run.iter().map(|w| w.x0).fold(f64::MAX, f64::min),
                y0: run.iter().map(|w| w.y0).fold(f64::MAX, f64::min),
                x1: run.iter().map(|w| w.x1).fold(f64::MIN, f64::max),
                y1: run.iter().map(|w| w.y1).fold(f64::MIN, f64::max),
            })
    })
}

/// Page 1 rendered in grey at `dpi` by pdftoppm: (width, height, pixels
/// 0 = black … 255 = white). Includes everything on the MediaBox.
pub fn grey_page(pdf: &Path, dpi: u32) -> (usize, usize, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("p");
    let status = Command::new("pdftoppm")
        .args([
            "-gray",
            "-r",
            &dpi.to_string(),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&stem)
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(status.success());
    let bytes = std::fs::read(stem.with_extension("pgm")).unwrap();
    // P5 header: "P5\n<w> <h>\n255\n"
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let start = pos;
        while !bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..pos]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, bytes[pos + 1..].to_vec())
}

/// Width and height of a PNG file from its header.
pub fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG", "{} is not a PNG", path.display());
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

/// `print.pdf` or a part of it (`print-001.pdf`).
pub fn is_print_file(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name == "print.pdf"
        || name
            .strip_prefix("print-")
            .and_then(|n| n.strip_suffix(".pdf"))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}
