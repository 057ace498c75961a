//! Output file names from the campaign's pattern (`{id}-{last_name}`):
//! unique in the run, cleaned to plain file names, so customer data never
//! names a path outside the output folder.

use std::collections::HashSet;

use crate::model::Person;

/// Makes one safe path component from data: no separators, no `..`, no
/// control characters, no leading dot, at most 100 characters.
pub fn sanitize_component(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        let c = match c {
            c if c.is_alphanumeric() => c,
            '-' | '_' | '.' => c,
            c if c.is_whitespace() => '-',
            _ => '_',
        };
        // Collapse runs of separators ("a - b" → "a-b", "../.." → "_").
        if matches!(c, '-' | '_' | '.') && out.ends_with(['-', '_', '.']) {
            continue;
        }
        out.push(c);
    }
    // At most 100 characters and 150 bytes: a file system allows 255
    // bytes a name, and the temporary file adds its own ~40 (100 Chinese
    // characters were 300 bytes, and the write failed).
    let mut bytes = 0;
    let out: String = out
        .trim_matches(['-', '_', '.'])
        .chars()
        .take(100)
        .take_while(|c| {
            bytes += c.len_utf8();
            bytes <= 150
        })
        .collect();
    if out.is_empty() {
        "unnamed".to_string()
    } else {
        out
    }
}

/// Turns the pattern (`{id}-{last_name}`) into unique file names.
pub struct Namer {
    pattern: String,
    used: HashSet<String>,
}

impl Namer {
    pub fn new(pattern: &str) -> Namer {
        Namer {
            pattern: pattern.to_string(),
            used: HashSet::new(),
        }
    }

    /// The unknown placeholders of the pattern, checked once before a run.
    pub fn unknown_placeholders(pattern: &str, known: &[String]) -> Vec<String> {
        placeholders(pattern)
            .filter(|p| !known.iter().any(|k| k == p))
            .map(str::to_string)
            .collect()
    }

    /// `K-1001-Weber.pdf`; a person without a name is named by the company.
    pub fn name(&mut self, person: &Person) -> String {
        let suffix = self.suffix(person);
        Namer::file_name(&self.pattern, person, suffix)
    }

    /// The number that makes this person's name unique in the run (0: the
    /// name as it is; 2, 3, …: `-2`, `-3` appended) — all a plan keeps.
    pub fn suffix(&mut self, person: &Person) -> u32 {
        let base = Namer::base(&self.pattern, person);
        let mut n = 0;
        while !self.used.insert(with_suffix(&base, n).to_lowercase()) {
            n = n.max(1) + 1;
        }
        n
    }

    /// The file name for a person and the suffix [`Namer::suffix`] gave.
    pub fn file_name(pattern: &str, person: &Person, suffix: u32) -> String {
        with_suffix(&Namer::base(pattern, person), suffix)
    }

    fn base(pattern: &str, person: &Person) -> String {
        let mut out = String::new();
        let mut rest = pattern;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let key = &rest[start + 1..start + len];
            let mut value = person.get(key).to_string();
            if value.trim().is_empty() && matches!(key, "last_name" | "first_name" | "name") {
                value = person.get("company").to_string();
            }
            out.push_str(&value);
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        sanitize_component(&out)
    }
}

fn with_suffix(base: &str, n: u32) -> String {
    match n {
        0 => format!("{base}.pdf"),
        n => format!("{base}-{n}.pdf"),
    }
}

fn placeholders(pattern: &str) -> impl Iterator<Item = &str> {
    pattern
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(k, _)| k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_never_names_a_path() {
        assert_eq!(sanitize_component("../../x"), "x");
        assert_eq!(sanitize_component("/etc/passwd"), "etc_passwd");
        assert_eq!(sanitize_component("..\\..\\win"), "win");
        assert_eq!(
            sanitize_component("K-1001 Müller & Söhne"),
            "K-1001-Müller-Söhne"
        );
        assert_eq!(sanitize_component("..."), "unnamed");
        assert_eq!(sanitize_component(&"京".repeat(100)), "京".repeat(50));
        assert_eq!(sanitize_component("a\u{0}b\nc"), "a_b-c");
    }

    #[test]
    fn placeholders_are_found() {
        let unknown = Namer::unknown_placeholders("{id}-{nme}", &["id".into(), "name".into()]);
        assert_eq!(unknown, ["nme"]);
    }
}
