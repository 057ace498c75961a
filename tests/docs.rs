//! The documentation holds together (issue 23): every relative link and
//! image in every Markdown file of the repository points at a file or
//! folder that exists, a link's `#anchor` into a Markdown file names one of
//! its headings, the README stays short with the Quick start `.ci/run`
//! reads, and every chapter of the guide exists and is linked from it.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The chapters of `docs/guide/`, in the guide's order.
const CHAPTERS: &[&str] = &[
    "data.md",
    "messages.md",
    "campaigns.md",
    "occasions.md",
    "insights.md",
    "print-and-post.md",
    "studio.md",
    "scale.md",
    "templates.md",
    "command-line.md",
    "development.md",
];

/// The README's Quick start, line by line (`.ci/run` runs the second).
const QUICK_START: &[&str] = &[
    "cargo run --release -- render samples/christmas-2026.toml",
    "cargo test --release",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `*.md` file below the repository, without build output, git's
/// folder, the fuzzer's corpus and installed packages.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let rel = path.strip_prefix(root).expect("below the root");
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                let skipped = matches!(name, "target" | ".git" | "node_modules")
                    || rel == Path::new("fuzz/target")
                    || rel == Path::new("fuzz/corpus");
                if !skipped {
                    walk(root, &path, out);
                }
            } else if name.ends_with(".md") {
                out.push(path);
            }
        }
    }
    let root = root();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

/// A fence line (```` ``` ```` or `~~~`, indented or not) opens or closes a
/// code block; returns the fence's character and length.
fn fence(line: &str) -> Option<(char, usize)> {
    let t = line.trim_start();
    let c = t.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = t.chars().take_while(|&x| x == c).count();
    (n >= 3).then_some((c, n))
}

/// The lines of a Markdown file outside fenced code blocks, with their
/// 1-based line numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        match (open, fence(line)) {
            (None, Some(f)) => open = Some(f),
            (Some((c, n)), Some((c2, n2))) if c == c2 && n2 >= n => open = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// Blanks out inline code (`` `…` ``, across line ends too) so that
/// brackets in code are not taken for links; newlines and offsets stay.
fn blank_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|&&c| c == '`').count();
        // The closing run has exactly as many backticks.
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = chars[j..].iter().take_while(|&&c| c == '`').count();
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(j) => {
                for c in &mut out[i..j + n] {
                    if *c != '\n' {
                        *c = ' ';
                    }
                }
                i = j + n;
            }
            None => i += n,
        }
    }
    out.into_iter().collect()
}

/// A link or image found in a Markdown file.
#[derive(Debug)]
struct Link {
    line: usize,
    target: String,
}

/// The destinations of every `[text](target)` and `![alt](target)` outside
/// code, and of reference definitions `[name]: target`.
fn links(text: &str) -> Vec<Link> {
    let mut out = Vec::new();
    // Paragraphs (runs of non-blank lines outside fences), so that a link
    // whose text wraps onto the next line is found too.
    let mut paragraphs: Vec<(usize, String)> = Vec::new();
    let mut last = 0;
    for (n, line) in prose_lines(text) {
        if line.trim().is_empty() {
            last = 0;
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix('[') {
            if let Some(end) = rest.find("]:") {
                if !rest[..end].contains(']') {
                    if let Some(target) = rest[end + 2..].split_whitespace().next() {
                        out.push(Link {
                            line: n,
                            target: target.trim_matches(|c| c == '<' || c == '>').to_string(),
                        });
                    }
                }
            }
        }
        match paragraphs.last_mut() {
            Some((_, p)) if last + 1 == n => {
                p.push('\n');
                p.push_str(line);
            }
            _ => paragraphs.push((n, line.to_string())),
        }
        last = n;
    }
    for (first, paragraph) in paragraphs {
        let chars: Vec<char> = blank_code_spans(&paragraph).chars().collect();
        let mut i = 0;
        while i + 1 < chars.len() {
            if chars[i] != ']' || chars[i + 1] != '(' || !opens_before(&chars, i) {
                i += 1;
                continue;
            }
            // The destination runs to the matching parenthesis.
            let start = i + 2;
            let mut depth = 1;
            let mut j = start;
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let inside: String = chars[start..j.min(chars.len())].iter().collect();
            let inside = inside.trim();
            let target = match inside.strip_prefix('<') {
                Some(rest) => rest.split('>').next().unwrap_or(""),
                // A title ("…") follows the destination after a space.
                None => inside.split_whitespace().next().unwrap_or(""),
            };
            let line = first + chars[..i].iter().filter(|&&c| c == '\n').count();
            out.push(Link {
                line,
                target: target.to_string(),
            });
            i = j;
        }
    }
    out
}

/// Whether the `]` at `close` ends a bracketed text: an unmatched `[`
/// comes before it in the paragraph.
fn opens_before(chars: &[char], close: usize) -> bool {
    let mut depth = 0;
    for k in (0..close).rev() {
        let escaped = k > 0 && chars[k - 1] == '\\';
        match chars[k] {
            ']' if !escaped => depth += 1,
            '[' if !escaped => {
                if depth == 0 {
                    return true;
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    false
}

/// GitHub's anchor for a heading: lower case; letters, digits, spaces,
/// hyphens and underscores kept, everything else dropped; spaces become
/// hyphens.
fn slug(heading: &str) -> String {
    // A link in a heading shows only its text.
    let mut text = String::new();
    let mut rest = heading;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find("](") {
            Some(close) if after[close + 2..].contains(')') => {
                text.push_str(&rest[..open]);
                text.push_str(&after[..close]);
                let tail = &after[close + 2..];
                rest = &tail[tail.find(')').expect("checked") + 1..];
            }
            _ => {
                text.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (`#` headings and `===` /
/// `---` underlined ones), a repeated one numbered `-1`, `-2`, … as GitHub
/// does.
fn anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut previous: Option<(usize, &str)> = None;
    for (n, line) in prose_lines(text) {
        let t = line.trim_start();
        let hashes = t.chars().take_while(|&c| c == '#').count();
        let mut heading = None;
        if (1..=6).contains(&hashes) && line.len() - t.len() <= 3 {
            let rest = &t[hashes..];
            if rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t') {
                heading = Some(rest.trim().trim_end_matches('#').trim().to_string());
            }
        } else if !t.is_empty()
            && (t.trim_end().chars().all(|c| c == '=') || t.trim_end().chars().all(|c| c == '-'))
        {
            if let Some((m, prev)) = previous {
                let p = prev.trim_start();
                let plain = !p.is_empty()
                    && !p.starts_with(['#', '|', '-', '*', '+', '>'])
                    && !p.chars().next().is_some_and(|c| c.is_ascii_digit());
                if m + 1 == n && plain {
                    heading = Some(p.trim().to_string());
                }
            }
        }
        if let Some(h) = heading {
            let base = slug(&h);
            let count = seen.entry(base.clone()).or_insert(0);
            out.push(if *count == 0 {
                base
            } else {
                format!("{base}-{count}")
            });
            *count += 1;
        }
        previous = Some((n, line));
    }
    out
}

/// `%20` and the like in a link, decoded.
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn external(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What is wrong with a relative link in `file`, or `None` when it resolves.
fn broken(file: &Path, target: &str) -> Option<String> {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let path = percent_decode(path);
    let resolved = match path.strip_prefix('/') {
        Some(from_root) => root().join(from_root),
        None => file.parent().expect("a file has a folder").join(&path),
    };
    if !resolved.exists() {
        return Some(format!("{} does not exist", shown(&resolved)));
    }
    let anchor = anchor.filter(|a| !a.is_empty())?;
    if resolved.extension().and_then(|e| e.to_str()) != Some("md") {
        return None;
    }
    let headings = anchors(&read(&resolved));
    let anchor = percent_decode(anchor);
    if headings.contains(&anchor) {
        None
    } else {
        Some(format!(
            "{} has no heading with the anchor #{anchor} (it has: {})",
            shown(&resolved),
            headings.join(", ")
        ))
    }
}

#[test]
fn relative_links_and_images_resolve() {
    let files = markdown_files();
    assert!(
        files.len() > CHAPTERS.len(),
        "found only {} Markdown files",
        files.len()
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &files {
        for link in links(&read(file)) {
            let target = link.target.as_str();
            if target.is_empty() || target.starts_with('#') || external(target) {
                continue;
            }
            checked += 1;
            if let Some(why) = broken(file, target) {
                problems.push(format!("{}:{}: ({target}): {why}", shown(file), link.line));
            }
        }
    }
    assert!(checked > 50, "only {checked} relative links found");
    assert!(
        problems.is_empty(),
        "{} broken link(s) in the Markdown files:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Within the README and the guide, a bare `#anchor` names a heading of
/// the same file.
#[test]
fn anchors_within_the_readme_and_the_guide_resolve() {
    let mut files = vec![root().join("README.md")];
    files.extend(
        markdown_files()
            .into_iter()
            .filter(|f| f.starts_with(root().join("docs/guide"))),
    );
    let mut problems = Vec::new();
    for file in &files {
        let text = read(file);
        let headings = anchors(&text);
        for link in links(&text) {
            if let Some(anchor) = link.target.strip_prefix('#') {
                if !headings.contains(&percent_decode(anchor)) {
                    problems.push(format!(
                        "{}:{}: #{anchor} is not a heading of this file",
                        shown(file),
                        link.line
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn readme_is_short_and_starts_with_the_quick_start() {
    let readme = root().join("README.md");
    let size = fs::metadata(&readme).expect("README.md").len();
    assert!(
        size <= 12 * 1024,
        "README.md has {size} bytes, more than 12 KiB: move details into docs/guide/"
    );
    let text = read(&readme);
    let mut lines = text
        .lines()
        .skip_while(|l| l.trim_end() != "## Quick start")
        .skip(1)
        .skip_while(|l| l.trim().is_empty());
    let opening = lines.next();
    assert_eq!(
        opening,
        Some("```sh"),
        "README.md needs a \"## Quick start\" that begins with a ```sh block"
    );
    let block: Vec<&str> = lines.take_while(|l| l.trim_end() != "```").collect();
    assert_eq!(
        block, QUICK_START,
        "README.md's Quick start must be exactly these commands (.ci/run runs the test command)"
    );
}

#[test]
fn every_chapter_exists_and_is_linked_from_the_readme() {
    let guide = root().join("docs/guide");
    let readme = root().join("README.md");
    let targets = |file: &Path| -> Vec<PathBuf> {
        links(&read(file))
            .into_iter()
            .filter(|l| !external(&l.target) && !l.target.starts_with('#'))
            .map(|l| {
                let path = l.target.split('#').next().unwrap_or("").to_string();
                normalize(&file.parent().expect("a folder").join(path))
            })
            .collect()
    };
    let from_readme = targets(&readme);
    let from_index = targets(&guide.join("README.md"));
    for chapter in CHAPTERS.iter().copied().chain(["README.md"]) {
        let path = guide.join(chapter);
        assert!(path.is_file(), "docs/guide/{chapter} is missing");
        assert!(
            from_readme.contains(&path),
            "README.md does not link to docs/guide/{chapter}"
        );
        if chapter != "README.md" {
            assert!(
                from_index.contains(&path),
                "docs/guide/README.md does not link to {chapter}"
            );
            assert!(
                targets(&path).contains(&guide.join("README.md")),
                "docs/guide/{chapter} does not link back to the guide"
            );
        }
    }
    let root = root();
    for other in [
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "SECURITY.md",
        "deploy/README.md",
        "fuzz/README.md",
    ] {
        assert!(
            from_readme.contains(&root.join(other)),
            "README.md does not link to {other}"
        );
    }
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn slugs_and_links_are_read_as_github_does() {
    assert_eq!(
        slug("Bad input, and `warmly check`"),
        "bad-input-and-warmly-check"
    );
    assert_eq!(
        slug("People (`customers.csv`, or the export you have)"),
        "people-customerscsv-or-the-export-you-have"
    );
    assert_eq!(
        slug("Studio: look at every piece in the browser, fix, approve"),
        "studio-look-at-every-piece-in-the-browser-fix-approve"
    );
    assert_eq!(slug("Größe & Über_all"), "größe--über_all");
    assert_eq!(
        anchors("# A\n\n```\n# not a heading\n```\n## A\nB\n---\n"),
        ["a", "a-1", "b"]
    );
    let found: Vec<String> = links(
        "See [one](a.md#x) and `[not](code.md)`,\n![pic](../p.png \"title\") [two\nlines](b.md).\n\n```\n[fenced](c.md)\n```\n[ref]: d.md\n",
    )
    .into_iter()
    .map(|l| format!("{}:{}", l.line, l.target))
    .collect();
    assert_eq!(found, ["8:d.md", "1:a.md#x", "2:../p.png", "3:b.md"]);
    assert_eq!(percent_decode("a%20b%C3%9F"), "a bß");
}
