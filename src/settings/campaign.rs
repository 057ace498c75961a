//! The campaign file as a person writes it (TOML), read with serde. Unknown
//! keys and unknown choices are errors that name the file, line, column and
//! key, so a misspelt setting is reported instead of silently ignored.
//! Nothing here checks files or combines settings: that is `resolve.rs`.

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The campaign file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub name: Option<String>,
    /// Built-in template name or a folder relative to the campaign file.
    pub template: Option<String>,
    /// Default language for recipients without one.
    pub language: Option<String>,
    /// Fixed run date (`2026-12-01`, quoted or not), else today.
    pub date: Option<RunDate>,
    /// Folder (relative to the campaign) with `message.<lang>.j2`.
    pub messages: Option<String>,
    #[serde(default)]
    pub data: DataFiles,
    /// Sender details: company, name, role, street, postal_code, city,
    /// country, phone, email, web, bank, register, return_line.
    #[serde(default)]
    pub sender: IndexMap<String, String>,
    /// Texts per language (`[text.de]`), each a minijinja template.
    #[serde(default)]
    pub text: IndexMap<String, IndexMap<String, String>>,
    /// Colours and motif for the template (`primary`, `accent`, `motif`).
    #[serde(default)]
    pub theme: IndexMap<String, String>,
    /// canonical field = "Header in the people file"
    #[serde(default)]
    pub columns: IndexMap<String, String>,
    #[serde(default)]
    pub select: Select,
    #[serde(default)]
    pub output: Output,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default)]
    pub state: State,
    #[serde(default)]
    pub print: Print,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub fonts: FontsSection,
    /// When a person is due: `kind = "birthday"`, … (see occasion.rs), plus
    /// `within = "14d"`, the lead window.
    pub occasion: Option<toml::Table>,
}

/// `date = 2026-12-01` (a TOML date) or `date = "2026-12-01"` (text).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub struct RunDate(String);

impl TryFrom<toml::Value> for RunDate {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        match value {
            toml::Value::String(s) => Ok(RunDate(s)),
            toml::Value::Datetime(d) => Ok(RunDate(d.to_string())),
            other => Err(format!("must be a date, not {other}")),
        }
    }
}

impl RunDate {
    pub fn text(&self) -> String {
        self.0.clone()
    }
}

/// How strictly a finding is treated: `warn` (the piece is made and the
/// finding reported) or `error` (that recipient fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Strictness {
    Warn,
    Error,
}

impl TryFrom<String> for Strictness {
    type Error = String;
    fn try_from(value: String) -> std::result::Result<Self, String> {
        match value.as_str() {
            "warn" => Ok(Strictness::Warn),
            "error" => Ok(Strictness::Error),
            _ => Err(format!(
                "{value:?} is not a choice: use \"warn\" or \"error\""
            )),
        }
    }
}

/// What a message that repeats the person's last piece does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum RepeatPolicy {
    Warn,
    Error,
    /// Not checked at all.
    Allow,
}

impl TryFrom<String> for RepeatPolicy {
    type Error = String;
    fn try_from(value: String) -> std::result::Result<Self, String> {
        match value.as_str() {
            "warn" => Ok(RepeatPolicy::Warn),
            "error" => Ok(RepeatPolicy::Error),
            "allow" => Ok(RepeatPolicy::Allow),
            _ => Err(format!(
                "{value:?} is not a choice: use \"warn\", \"error\" or \"allow\""
            )),
        }
    }
}

/// How the combined print file is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum PrintOrder {
    /// Domestic mail first by postcode, then abroad by country (bulk mail).
    #[default]
    PostalCode,
    Name,
    /// As in the people file.
    Input,
}

impl TryFrom<String> for PrintOrder {
    type Error = String;
    fn try_from(value: String) -> std::result::Result<Self, String> {
        match value.as_str() {
            "postal_code" | "postcode" | "plz" => Ok(PrintOrder::PostalCode),
            "name" => Ok(PrintOrder::Name),
            "input" => Ok(PrintOrder::Input),
            _ => Err(format!(
                "{value:?} is not a choice: use \"postal_code\", \"name\" or \"input\""
            )),
        }
    }
}

/// `combined = "print.pdf"`, `combined = true` (that name) or `false` (none).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum Combined {
    On(bool),
    Named(String),
}

impl TryFrom<toml::Value> for Combined {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        match value {
            toml::Value::Boolean(b) => Ok(Combined::On(b)),
            toml::Value::String(s) => Ok(Combined::Named(s)),
            other => Err(format!("must be a file name or false, not {other}")),
        }
    }
}

/// Rules that protect the relationship.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Minimum days between two pieces to the same person (cards and letters
    /// in the ledger and the history count).
    pub min_days_between: Option<i64>,
    /// A text that uses no fact from the person's history (default warn).
    pub generic: Option<Strictness>,
    /// Text that does not fit: more pages than the template declares, an
    /// address shrunk below its minimum (default warn).
    pub overflow: Option<Strictness>,
    /// A recipient address not inside the envelope window with 3 mm
    /// clearance (default error: the post cannot read it).
    pub window: Option<Strictness>,
    /// A message (nearly) the same as the last piece the person got (the
    /// ledger keeps fingerprints; default warn).
    pub repeat: Option<RepeatPolicy>,
}

/// `[print]`: the physical side — which format, printer calibration, marks.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Print {
    /// A format of the template (`din-a`, `us-letter`, `dl`, `c5`, `3475`, …).
    pub format: Option<String>,
    /// Printer calibration in mm: everything moves right (x) / down (y).
    pub offset_x: Option<f64>,
    pub offset_y: Option<f64>,
    /// Cards: crop marks in a slug outside the bleed.
    pub crop_marks: Option<bool>,
    /// Label sheets: labels already used on the first sheet.
    pub skip: Option<u32>,
}

/// `[links]`: a personal URL per piece (see links.rs).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// `https://example.com/k/{id}`: columns of the people file in braces.
    pub personal_url: Option<String>,
}

/// `[fonts]`: fonts besides the bundled ones.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontsSection {
    /// Also use the fonts installed on the machine (after the bundled
    /// ones), e.g. for Chinese, Japanese and Korean names.
    pub system: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Folder for the ledger and the lock, relative to the campaign.
    pub folder: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFiles {
    pub people: Option<String>,
    pub history: Option<String>,
    /// Returned mail: who, why (moved, unknown, deceased, refused), when.
    pub returns: Option<String>,
    /// Sheet of a workbook people file.
    pub sheet: Option<String>,
    /// `dmy` or `mdy`: how to read slash dates.
    pub date_format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Select {
    /// A minijinja expression over `person` and `history`; true selects.
    #[serde(rename = "where")]
    pub where_: Option<String>,
    /// One piece per household (people at one address, one company).
    pub households: Option<bool>,
    /// Only customers of these segments (`["at_risk", "cant_lose"]`;
    /// docs/guide/insights.md).
    pub segments: Option<Vec<crate::insights::Segment>>,
    /// Percent of the customers due kept back as a control group (0–50).
    pub control: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub folder: Option<String>,
    /// File-name pattern, e.g. `{id}-{last_name}`.
    pub pattern: Option<String>,
    /// Name of the combined print file; `false` for none.
    pub combined: Option<Combined>,
    /// Order of the print file (default by postcode).
    pub order: Option<PrintOrder>,
    /// Start every recipient on a front side (blank backs after odd pages).
    pub duplex: Option<bool>,
    /// Pieces per print file (default 100): the print file is exported from
    /// the laid-out pages, which are held in memory until their file is
    /// written; larger runs get `print-001.pdf`, `print-002.pdf`, ….
    pub print_part: Option<usize>,
    /// PDF standard, e.g. "a-2b".
    pub pdf_standard: Option<String>,
}

/// Reads and parses the campaign file at `path`.
pub fn read(path: &Path) -> Result<Campaign> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(path, &text)
}

/// Parses a campaign's text; an error names `path`, the line, the column
/// and, for a value, its key (`policy.overflow = "maybe": use …`).
pub fn parse(path: &Path, text: &str) -> Result<Campaign> {
    toml::from_str(text).map_err(|e| {
        let start = e.span().map_or(0, |span| span.start.min(text.len()));
        let (line, col) = line_col(text, start);
        // With the key in front, "\"maybe\" is not a choice: use …" says
        // the value twice: `policy.overflow = "maybe": use …`.
        let message = match e
            .span()
            .and_then(|span| key_at(text, span.start.min(text.len())))
        {
            Some(key) => match e.message().split_once(" is not a choice: ") {
                Some((_, choices)) => format!("{key}: {choices}"),
                None => format!("{key}: {}", e.message()),
            },
            None => e.message().to_string(),
        };
        Error::config(format!("{}:{line}:{col}: {message}", path.display()))
            .with_hint("docs/guide/campaigns.md lists the keys a campaign can have")
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// `table.key = value` when the error's span is the value of a `key =
/// value` line (the table from the nearest `[header]` above), so the
/// message names the setting as a person looks for it.
fn key_at(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[line_start..line_end];
    let (key, value) = line.split_once('=')?;
    if line_start + key.len() >= at {
        return None;
    }
    let key = key.trim();
    let table = text[..line_start]
        .lines()
        .rev()
        .find_map(|l| {
            let l = l.trim();
            (l.starts_with('[') && !l.starts_with("[["))
                .then(|| l.trim_matches(['[', ']']).trim().to_string())
        })
        .unwrap_or_default();
    let value = value.split('#').next().unwrap_or("").trim();
    Some(if table.is_empty() {
        format!("{key} = {value}")
    } else {
        format!("{table}.{key} = {value}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(Path::new("c.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn a_bad_choice_names_line_column_key_and_the_choices() {
        let e = error("name = \"x\"\n\n[policy]\novershoot = 1\n");
        assert!(e.starts_with("c.toml:4:1: "), "{e}");
        assert!(e.contains("unknown field `overshoot`"), "{e}");
        let e = error("[policy]\noverflow = \"maybe\" # comment\n");
        assert_eq!(
            e,
            "c.toml:2:12: policy.overflow = \"maybe\": use \"warn\" or \"error\""
        );
        let e = error("[output]\norder = \"zip\"\n");
        assert!(e.contains("output.order = \"zip\""), "{e}");
        assert!(e.contains("\"postal_code\", \"name\" or \"input\""), "{e}");
    }

    #[test]
    fn choices_and_dates_are_typed() {
        let c = parse(
            Path::new("c.toml"),
            "date = 2026-12-01\n[policy]\nrepeat = \"allow\"\nwindow = \"warn\"\n\
             [output]\norder = \"plz\"\ncombined = false\n",
        )
        .unwrap();
        assert_eq!(c.date.unwrap().text(), "2026-12-01");
        assert_eq!(c.policy.repeat, Some(RepeatPolicy::Allow));
        assert_eq!(c.policy.window, Some(Strictness::Warn));
        assert_eq!(c.output.order, Some(PrintOrder::PostalCode));
        assert!(matches!(c.output.combined, Some(Combined::On(false))));
    }
}
