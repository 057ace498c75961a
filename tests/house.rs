//! House rules a newcomer relies on, checked so they stay true: a function
//! in `src/` fits on a screen (80 lines, as issue 23 asks), tests apart.

use std::path::{Path, PathBuf};

const LONGEST: usize = 80;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source with strings, characters and comments blanked (newlines
/// kept), so that only the code's own braces are counted.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                blank(&mut out, chars[i]);
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && raw_start(&chars, i) {
            // A raw string: r"…", r#"…"#, …
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(&ch) => blank(&mut out, ch),
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    blank(&mut out, ch);
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('{', '\n', '\u{7b}'); a lifetime has no closing quote.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// The `r` at `i` begins a raw string (`r"`, `r#"`, `br"`), not a name.
fn raw_start(chars: &[char], i: usize) -> bool {
    let before = |k: usize| i.checked_sub(k).and_then(|j| chars.get(j));
    !ident(before(1)) || (before(1) == Some(&'b') && !ident(before(2)))
}

/// Every function of a file outside `#[cfg(test)]` with its first line and
/// its length in lines.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.trim() == "#[cfg(test)]")
        .unwrap_or(lines.len());
    let mut found = Vec::new();
    let mut n = 0;
    while n < end {
        let words: Vec<&str> = lines[n].split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            n += 1;
            continue;
        };
        let name: String = words
            .get(at + 1)
            .map(|w| {
                w.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            })
            .unwrap_or_default();
        // Braces open the body; a `;` outside brackets before it ends a
        // declaration (`[u8; 4]` in a signature does not).
        let (mut depth, mut nest, mut opened, mut last) = (0i32, 0i32, false, n);
        'lines: for (k, line) in lines.iter().enumerate().skip(n) {
            for ch in line.chars() {
                match ch {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    '(' | '[' => nest += 1,
                    ')' | ']' => nest -= 1,
                    ';' if !opened && nest == 0 => {
                        last = k;
                        break 'lines;
                    }
                    _ => {}
                }
                if opened && depth == 0 {
                    last = k;
                    break 'lines;
                }
            }
        }
        if opened {
            found.push((name, n + 1, last - n + 1));
        }
        n = last + 1;
    }
    found
}

#[test]
fn no_function_in_src_is_longer_than_a_screen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    assert!(files.len() > 50, "src/ has {} files?", files.len());
    let mut long = Vec::new();
    let mut counted = 0;
    for file in &files {
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        for (name, line, length) in functions(&code) {
            counted += 1;
            if length > LONGEST {
                let shown = file.strip_prefix(root).unwrap().display();
                long.push(format!("{shown}:{line}: fn {name} has {length} lines"));
            }
        }
    }
    assert!(
        counted > 500,
        "only {counted} functions found: the scan is broken"
    );
    assert!(
        long.is_empty(),
        "split these along their seams (at most {LONGEST} lines each):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_scan_sees_through_strings_and_finds_long_functions() {
    let body = "    let x = 1;\n".repeat(95);
    let source = format!(
        "fn short() {{ let s = \"}}}}\"; let c = '{{'; let r = br#\"{{\"#; }}\n\
         /* {{ */ fn long<'a>(x: &'a str, _: [u8; 4]) {{\n{body}}}\n\
         fn declared();\n#[cfg(test)]\nmod tests {{ fn hidden() {{}} }}\n"
    );
    let found = functions(&code_only(&source));
    assert_eq!(
        found,
        [("short".to_string(), 1, 1), ("long".to_string(), 2, 97)]
    );
}
