//! The win-back campaign that `warmly insights --write-campaign` and the
//! studio's "Who are we losing?" write: a letter to every customer whose
//! silence has outgrown their own rhythm (occasion `lapsing`), once per
//! lapse, with a control group so that `warmly insights` can later show
//! whether the letters bring them back. It reads the same people and
//! history as the campaign it comes from, signs with the same sender, and
//! brings its German and English messages in a folder of its own name.
//! Nothing is overwritten: a file or messages folder that is there stops it.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::settings::document::CampaignDocument;
use crate::settings::Settings;

/// The German message (the same as `samples/win-back/message.de.j2`).
pub const MESSAGE_DE: &str = include_str!("win_back.de.j2");
/// The English message.
pub const MESSAGE_EN: &str = include_str!("win_back.en.j2");

/// The campaign's text; empty values are set from the source campaign.
const CAMPAIGN: &str = r#"# Win-back: a letter to each customer whose silence has outgrown their own
# rhythm (1.5 × the time they usually take between two orders), once per
# lapse. Written by `warmly insights`; docs/guide/insights.md explains it.
#
# Look at it first:   warmly check FILE     (who, and why)
#                     warmly studio FILE    (every letter in the browser)
# Then run it every day without a date (cron or systemd:
# docs/guide/occasions.md): each customer is written to once per lapse.
name = ""
template = "letter"
language = ""
# The folder with message.de.j2 and message.en.j2: yours to change.
messages = ""

[data]
people = ""
history = ""

[occasion]
kind = "lapsing"
multiple = 1.5                 # lapsing once the silence reaches 1.5 × the usual interval
min_orders = 3                 # orders a customer needs for a rhythm of their own
days = 180                     # with fewer orders: lapsing after 180 days without one
max_days = 730                 # silent for more than two years: no letter any more

[select]
# About one in ten of the customers due gets no letter: the control group
# (kept in the ledger). `warmly insights` later compares who ordered again
# within 60 days, with a letter and without; set 0 to write to everyone.
control = 10

[policy]
min_days_between = 60          # no letter within 60 days of another piece

[text.de]
subject = "Wir haben an {{ 'dich' if person.du else 'Sie' }} gedacht"

[text.en]
subject = "We have been thinking of you"

[sender]
"#;

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub name: String,
    pub campaign: PathBuf,
    pub messages: PathBuf,
}

impl Written {
    /// What was written and what to do next, for people.
    pub fn describe(&self) -> String {
        let file = self.campaign.display();
        format!(
            "wrote the win-back campaign {file} and its messages in {}/\n\
             look at it with `warmly check {file}` or `warmly studio {file}`",
            self.messages.display()
        )
    }
}

/// Writes the win-back campaign to `path` (a new `.toml` file) and its
/// messages beside it, for the people and history of `settings`.
pub fn write(settings: &Settings, path: &Path) -> Result<Written> {
    let (name, dir) = target(path)?;
    let messages = dir.join(&name);
    if messages.join("message.de.j2").exists() || messages.join("message.en.j2").exists() {
        return Err(Error::config(format!(
            "{}: a messages folder is already there",
            messages.display()
        ))
        .with_hint("choose another file name for the campaign; nothing was written"));
    }
    let text = campaign_text(settings, path, &name, &dir)?;
    std::fs::create_dir_all(&messages).map_err(|e| Error::io(&messages, e))?;
    for (file, source) in [("message.de.j2", MESSAGE_DE), ("message.en.j2", MESSAGE_EN)] {
        crate::write::write_atomic(&messages, file, source.as_bytes())
            .map_err(|e| Error::io(&messages.join(file), e))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::write::write_atomic(&dir, &file_name, text.as_bytes())
        .map_err(|e| Error::io(path, e))?;
    Ok(Written {
        name,
        campaign: path.to_path_buf(),
        messages,
    })
}

/// The campaign's name (the file's stem) and folder; a file that is
/// there or is no `.toml` stops here.
fn target(path: &Path) -> Result<(String, PathBuf)> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = match (stem, path.extension().and_then(|e| e.to_str())) {
        (Some(stem), Some("toml")) if !stem.trim().is_empty() => stem,
        _ => {
            return Err(Error::config(format!(
                "{}: name the new campaign file, ending in .toml",
                path.display()
            ))
            .with_hint("e.g. --write-campaign win-back.toml"))
        }
    };
    if path.exists() {
        return Err(
            Error::config(format!("{}: the file is already there", path.display()))
                .with_hint("choose another file name; nothing was overwritten"),
        );
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok((crate::write::sanitize_component(&name), dir))
}

/// The commented campaign with this run's files, language and sender
/// (paths relative to the new campaign's folder), checked to be a valid
/// campaign.
fn campaign_text(settings: &Settings, path: &Path, name: &str, dir: &Path) -> Result<String> {
    let history = settings.load.history.as_ref().ok_or_else(|| {
        Error::config("a win-back reads the customers' orders, but the campaign has no history")
            .with_hint("name the history file under [data] in the campaign")
    })?;
    let mut doc = CampaignDocument::parse(path, CAMPAIGN)?;
    doc.set(&[], "name", name);
    doc.set(&[], "language", settings.compose.language.as_str());
    doc.set(&[], "messages", name);
    doc.set(
        &["data"],
        "people",
        portable(&relative(dir, &settings.load.people)),
    );
    doc.set(&["data"], "history", portable(&relative(dir, history)));
    let (sender, theme, roles) = source_sender(settings, dir)?;
    for (key, value) in sender {
        doc.set(&["sender"], &key, value);
    }
    for (key, value) in theme {
        doc.set(&["theme"], &key, value);
    }
    for (lang, role) in roles {
        doc.set(&["text", &lang], "role", role);
    }
    let text = doc.text();
    crate::settings::campaign::parse(path, &text)?;
    Ok(text)
}

/// Sender, colours and the sender's role per language of the campaign
/// the win-back comes from (as written there, a signature's path made
/// relative to the new folder); none without a campaign file.
#[allow(clippy::type_complexity)]
fn source_sender(
    settings: &Settings,
    dir: &Path,
) -> Result<(
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<(String, String)>,
)> {
    let Some(file) = &settings.run.campaign else {
        return Ok(Default::default());
    };
    let source = crate::settings::campaign::read(file)?;
    let base = file.parent().unwrap_or(Path::new(""));
    let sender = source
        .sender
        .into_iter()
        .map(|(key, value)| match key.as_str() {
            "signature_image" if !value.trim().is_empty() => {
                let path = portable(&relative(dir, &base.join(&value)));
                (key, path)
            }
            _ => (key, value),
        })
        .collect();
    let theme = source
        .theme
        .into_iter()
        .filter(|(key, _)| key == "primary" || key == "accent")
        .collect();
    let roles = source
        .text
        .into_iter()
        .filter_map(|(lang, texts)| texts.get("role").map(|role| (lang, role.clone())))
        .collect();
    Ok((sender, theme, roles))
}

/// `to` relative to the folder `from` (both relative to the working
/// directory or absolute); absolute when they share no root.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to)) = (std::path::absolute(from), std::path::absolute(to)) else {
        return to.to_path_buf();
    };
    let (from, to_parts) = (clean(&from), clean(&to));
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return to;
    }
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to_parts[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// A path's parts without `.` and with `a/..` taken out.
fn clean(p: &Path) -> Vec<Component<'_>> {
    let mut parts: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts
}

/// A path as a campaign writes it: forward slashes on every system.
fn portable(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_relative_to_the_new_campaign() {
        let cases = [
            ("samples", "samples/customers.csv", "customers.csv"),
            ("samples/new", "samples/customers.csv", "../customers.csv"),
            (".", "samples/./x/../customers.csv", "samples/customers.csv"),
            ("a/b", "c/d.csv", "../../c/d.csv"),
        ];
        for (from, to, want) in cases {
            assert_eq!(
                portable(&relative(Path::new(from), Path::new(to))),
                want,
                "{from} → {to}"
            );
        }
    }

    #[test]
    fn the_campaign_text_is_a_valid_campaign() {
        let c = crate::settings::campaign::parse(Path::new("w.toml"), CAMPAIGN).unwrap();
        assert_eq!(c.select.control, Some(10));
        assert!(c.occasion.unwrap().get("kind").is_some());
    }
}
