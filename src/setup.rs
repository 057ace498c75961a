//! A new campaign from a few answers — the files, the occasion, the
//! sender, the words — written as a readable, commented campaign file and
//! `message.<lang>.j2` starters beside it: what `warmly new` and the
//! studio's new-campaign wizard make, so that nobody has to write TOML.
//!
//! [`campaign_files`] only composes the files (the wizard's preview);
//! [`write_campaign`] writes them, atomically, and refuses to replace a
//! campaign or a message folder that is there unless asked. The campaign
//! is parsed as a campaign before anything is written.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::load::inspect::{inspect_files, InspectOptions, Inspection};
use crate::settings::document::CampaignDocument;

/// What the campaign is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Occasion {
    /// 24 December, sent from 45 days before.
    Christmas,
    /// 1 January, sent from 40 days before.
    NewYear,
    /// Each person's birthday, 14 days ahead.
    Birthday,
    /// The years since `customer_since` (else the first event), 7 days ahead.
    Anniversary,
    /// `days` (default 7) after each order.
    AfterOrder,
    /// No contact for `days` (default 180).
    KeepInTouch,
}

impl Occasion {
    pub const ALL: [Occasion; 6] = [
        Occasion::Christmas,
        Occasion::NewYear,
        Occasion::Birthday,
        Occasion::Anniversary,
        Occasion::AfterOrder,
        Occasion::KeepInTouch,
    ];

    /// `christmas`, `new-year`, … (also the words of `warmly new --occasion`).
    pub fn word(self) -> &'static str {
        match self {
            Occasion::Christmas => "christmas",
            Occasion::NewYear => "new-year",
            Occasion::Birthday => "birthday",
            Occasion::Anniversary => "anniversary",
            Occasion::AfterOrder => "after-order",
            Occasion::KeepInTouch => "keep-in-touch",
        }
    }

    pub fn parse(word: &str) -> Option<Occasion> {
        Occasion::ALL.into_iter().find(|o| o.word() == word.trim())
    }

    /// A card for greetings, a letter for what needs more words.
    pub fn template(self) -> Template {
        match self {
            Occasion::Christmas | Occasion::NewYear | Occasion::Birthday => Template::Card,
            _ => Template::Letter,
        }
    }

    /// The card motif that fits.
    pub fn motif(self) -> &'static str {
        match self {
            Occasion::Christmas => "christmas",
            Occasion::NewYear => "new-year",
            Occasion::Birthday => "birthday",
            Occasion::Anniversary => "anniversary",
            Occasion::AfterOrder => "thank-you",
            Occasion::KeepInTouch => "botanical",
        }
    }

    /// The days the occasion counts, where it counts any.
    pub fn default_days(self) -> Option<i64> {
        match self {
            Occasion::AfterOrder => Some(7),
            Occasion::KeepInTouch => Some(180),
            _ => None,
        }
    }

    /// Whether it needs the history (orders, contacts).
    pub fn needs_history(self) -> bool {
        matches!(self, Occasion::AfterOrder | Occasion::KeepInTouch)
    }
}

/// The built-in layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Template {
    Card,
    Letter,
}

impl Template {
    pub fn word(self) -> &'static str {
        match self {
            Template::Card => "card",
            Template::Letter => "letter",
        }
    }
}

/// The sender's keys, in the order a campaign lists them.
pub const SENDER_KEYS: [&str; 10] = [
    "company",
    "name",
    "role",
    "street",
    "postal_code",
    "city",
    "country",
    "phone",
    "email",
    "web",
];

/// Everything a new campaign is made of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewCampaign {
    /// The campaign's name (output folder, ledger); default: the file's stem.
    #[serde(default)]
    pub name: Option<String>,
    pub people: PathBuf,
    #[serde(default)]
    pub history: Option<PathBuf>,
    #[serde(default)]
    pub sheet: Option<String>,
    /// field → header as chosen; `[columns]` keeps what the automatic
    /// mapping would not find by itself.
    #[serde(default)]
    pub columns: IndexMap<String, String>,
    /// `dmy` or `mdy`.
    #[serde(default)]
    pub date_format: Option<String>,
    pub occasion: Occasion,
    /// After an order / of silence; default: the occasion's.
    #[serde(default)]
    pub days: Option<i64>,
    pub template: Template,
    /// Card motif; default: the occasion's.
    #[serde(default)]
    pub motif: Option<String>,
    /// `company`, `name`, `street`, … (see [`SENDER_KEYS`]).
    #[serde(default)]
    pub sender: IndexMap<String, String>,
    /// For people without a language column: `de` or `en`.
    pub language: String,
    /// Message per language (`de` → minijinja text); a missing language
    /// gets the starter of the occasion ([`starter_message`]).
    #[serde(default)]
    pub messages: IndexMap<String, String>,
    /// A fixed run date (samples, tests); none: the day of each run.
    #[serde(default)]
    pub date: Option<String>,
}

/// The files a campaign is made of, with their text.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignFiles {
    pub campaign: PathBuf,
    pub campaign_text: String,
    /// `weihnachten/` beside `weihnachten.toml`.
    pub messages_dir: PathBuf,
    /// (file name, text): `message.de.j2`, `message.en.j2`.
    pub messages: Vec<(String, String)>,
}

/// The message languages written: German and English, so that people with
/// either language in their row get their own.
pub const LANGUAGES: [&str; 2] = ["de", "en"];

/// The files of a campaign at `campaign` (e.g. `weihnachten.toml`),
/// composed and checked, nothing written.
pub fn campaign_files(setup: &NewCampaign, campaign: &Path) -> Result<CampaignFiles> {
    let stem = campaign
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::config(format!("{}: not a file name", campaign.display())))?;
    let inspected = inspect_files(&InspectOptions {
        people: setup.people.clone(),
        sheet: setup.sheet.clone(),
        columns: setup.columns.clone(),
        date_format: setup.date_format.clone(),
        history: setup.history.clone(),
    })?;
    let missing = inspected.people.missing.clone();
    if !missing.is_empty() {
        let words: Vec<&str> = missing.iter().map(|r| r.words).collect();
        return Err(Error::config(format!(
            "{}: no column for {}",
            setup.people.display(),
            words.join("; ")
        ))
        .with_hint("map them to headers of the file, e.g. --column last_name=\"Name\""));
    }
    let base = campaign.parent().unwrap_or(Path::new(""));
    let text = campaign_text(
        setup,
        &stem,
        base,
        &inspected.people,
        inspected.history.as_ref(),
    );
    let document = CampaignDocument::parse(campaign, &text)?;
    debug_assert_eq!(document.text(), text);
    let messages = LANGUAGES
        .iter()
        .map(|lang| {
            let text = setup
                .messages
                .get(*lang)
                .cloned()
                .unwrap_or_else(|| starter_message(setup.occasion, lang).to_string());
            (format!("message.{lang}.j2"), text)
        })
        .collect();
    Ok(CampaignFiles {
        campaign: campaign.to_path_buf(),
        campaign_text: text,
        messages_dir: base.join(&stem),
        messages,
    })
}

/// Writes the campaign and its messages; refuses when the campaign file
/// or the message folder is there, unless `overwrite`. Messages first,
/// the campaign last: a campaign never names messages that are not there.
pub fn write_campaign(
    setup: &NewCampaign,
    campaign: &Path,
    overwrite: bool,
) -> Result<CampaignFiles> {
    let files = campaign_files(setup, campaign)?;
    if !overwrite {
        for path in [&files.campaign, &files.messages_dir] {
            if path.exists() {
                return Err(
                    Error::config(format!("{} is there already", path.display()))
                        .with_hint("choose another name, or replace it with --force"),
                );
            }
        }
    }
    std::fs::create_dir_all(&files.messages_dir).map_err(|e| Error::io(&files.messages_dir, e))?;
    for (name, text) in &files.messages {
        crate::write::write_atomic(&files.messages_dir, name, text.as_bytes())
            .map_err(|e| Error::io(&files.messages_dir.join(name), e))?;
    }
    let dir = files
        .campaign
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    let name = files
        .campaign
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::write::write_atomic(
        dir.unwrap_or(Path::new(".")),
        &name,
        files.campaign_text.as_bytes(),
    )
    .map_err(|e| Error::io(&files.campaign, e))?;
    Ok(files)
}

/// A TOML string (quoted and escaped).
fn quoted(value: &str) -> String {
    toml_edit::Value::from(value).to_string().trim().to_string()
}

/// `to` as the campaign in the folder `from` names it: relative when it
/// lies in that folder or one above (campaign and data move together),
/// else absolute (a file far away stays found when the campaign moves).
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| {
        std::path::absolute(if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        })
        .unwrap_or_else(|_| p.to_path_buf())
    };
    let (from, to) = (abs(from), abs(to));
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 || a.len() - common > 1 {
        return to;
    }
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}

/// `key = value` with a comment beside it, the comments aligned.
fn commented(key: &str, value: &str, comment: &str) -> String {
    format!("{:<30}# {comment}\n", format!("{key} = {value}"))
}

/// The campaign file's text, with a comment on every part.
fn campaign_text(
    setup: &NewCampaign,
    stem: &str,
    base: &Path,
    people: &Inspection,
    history: Option<&Inspection>,
) -> String {
    let name = setup.name.clone().unwrap_or_else(|| stem.to_string());
    let path = |p: &Path| quoted(&relative_path(base, p).to_string_lossy().replace('\\', "/"));
    let mut t = format!(
        "# {name}: {} — made by `warmly new`.\n\
         # Check it:    warmly check {stem}.toml\n\
         # Look at it:  warmly studio {stem}.toml\n\
         # Every key is explained in docs/guide/campaigns.md.\n",
        occasion_words(setup.occasion),
    );
    t += &commented(
        "name",
        &quoted(&name),
        "the output folder and the ledger go by it",
    );
    t += &commented("template", &quoted(setup.template.word()), "card or letter");
    t += &commented(
        "language",
        &quoted(&setup.language),
        "for people whose row names no language",
    );
    t += &commented(
        "messages",
        &quoted(stem),
        "message.de.j2 and message.en.j2 in this folder",
    );
    if let Some(date) = &setup.date {
        t += &commented(
            "date",
            &quoted(date),
            "the run date; without it, the day of each run",
        );
    }
    t += &format!(
        "\n[data]\n# {}\npeople = {}\n",
        people.description,
        path(&setup.people)
    );
    if let (Some(file), Some(h)) = (&setup.history, history) {
        t += &format!("# {}\nhistory = {}\n", h.description, path(file));
    }
    if let Some(sheet) = &setup.sheet {
        t += &format!("sheet = {}\n", quoted(sheet));
    }
    if let Some(order) = &setup.date_format {
        t += &commented(
            "date_format",
            &quoted(order),
            "how to read dates like 04/03/2026",
        );
    }
    t += &columns_text(setup, people);
    t += &occasion_text(setup);
    t += &sender_text(setup);
    t += &texts_text(setup);
    t
}

/// `[columns]`: only what the automatic mapping would not find by itself.
/// Writing all of it would pin one header per field and lose the
/// fallbacks a source has (Outlook's home address when there is no
/// business one; DATEV's company columns), and would break when the next
/// export orders its columns anew; the automatic part is listed as a
/// comment, so it can be read and copied.
fn columns_text(setup: &NewCampaign, people: &Inspection) -> String {
    let mut t = String::from("\n# The columns warmly found by itself in this export:\n");
    for (field, header) in &people.automatic {
        t += &format!("#   {field:<15} ← {header}\n");
    }
    let own: Vec<(&String, &String)> = setup
        .columns
        .iter()
        .filter(|(field, header)| people.automatic.get(*field) != Some(*header))
        .collect();
    if own.is_empty() {
        return t + "# To read a field from another column: [columns] field = \"Header\".\n";
    }
    t += "# and the ones chosen by hand (warmly field = \"header in the file\"):\n[columns]\n";
    for (field, header) in own {
        t += &format!("{field} = {}\n", quoted(header));
    }
    t
}

fn occasion_words(occasion: Occasion) -> &'static str {
    match occasion {
        Occasion::Christmas => "a Christmas greeting to everyone on the list",
        Occasion::NewYear => "a New Year greeting to everyone on the list",
        Occasion::Birthday => "a birthday greeting, two weeks ahead",
        Occasion::Anniversary => "a letter on each customer's anniversary",
        Occasion::AfterOrder => "a thank-you some days after each order",
        Occasion::KeepInTouch => "a letter to everyone we have not heard from in a while",
    }
}

fn occasion_text(setup: &NewCampaign) -> String {
    let days = setup.days.or(setup.occasion.default_days()).unwrap_or(0);
    let fixed = |date: &str, name: &str| {
        format!("kind = \"fixed\"\ndate = \"{date}\"\nname = \"{name}\"\n")
    };
    let body = match setup.occasion {
        Occasion::Christmas => {
            fixed("12-24", "christmas")
                + &commented(
                    "within",
                    "\"45d\"",
                    "due from 45 days before; each card once a year",
                )
        }
        Occasion::NewYear => {
            fixed("01-01", "new-year")
                + &commented("within", "\"40d\"", "due from 40 days before; once a year")
        }
        Occasion::Birthday => {
            commented(
                "kind",
                "\"birthday\"",
                "the birthday column; a year is not needed",
            ) + &commented("within", "\"14d\"", "two weeks ahead")
        }
        Occasion::Anniversary => {
            commented(
                "kind",
                "\"anniversary\"",
                "counts from customer_since, else the first event",
            ) + &commented("within", "\"7d\"", "a week ahead")
        }
        Occasion::AfterOrder => {
            "kind = \"after_event\"\nevent = \"order\"\n".to_string()
                + &commented(
                    "days",
                    &days.to_string(),
                    "run it daily: each order gets its thank-you once",
                )
        }
        Occasion::KeepInTouch => {
            "kind = \"silence\"\n".to_string()
                + &commented(
                    "days",
                    &days.to_string(),
                    "no order, call or card for this long",
                )
        }
    };
    let mut t = format!("\n[occasion]\n{body}");
    if setup.occasion == Occasion::KeepInTouch {
        t += "\n[policy]\n";
        t += &commented(
            "min_days_between",
            "60",
            "at most one such letter in two months",
        );
    }
    t
}

fn sender_text(setup: &NewCampaign) -> String {
    let mut t = String::from("\n# letterhead, return address and signature\n[sender]\n");
    let others = setup.sender.keys().map(String::as_str);
    let keys = SENDER_KEYS
        .iter()
        .copied()
        .chain(others.filter(|k| !SENDER_KEYS.contains(k)));
    for key in keys {
        if let Some(value) = setup.sender.get(key).filter(|v| !v.trim().is_empty()) {
            t += &format!("{key} = {}\n", quoted(value.trim()));
        }
    }
    t
}

/// `[text.*]` (a letter's subject) and `[theme]` (a card's motif).
fn texts_text(setup: &NewCampaign) -> String {
    let mut t = String::new();
    if setup.template == Template::Letter {
        for lang in LANGUAGES {
            let subject = quoted(subject(setup.occasion, lang));
            t += &format!("\n[text.{lang}]\nsubject = {subject}\n");
        }
    }
    let motif = setup
        .motif
        .clone()
        .unwrap_or_else(|| setup.occasion.motif().to_string());
    if setup.template == Template::Card {
        t += "\n[theme]\n";
        let motifs = "christmas, new-year, birthday, anniversary, thank-you, botanical";
        t += &commented("motif", &quoted(&motif), motifs);
    }
    t
}

fn subject(occasion: Occasion, lang: &str) -> &'static str {
    match (occasion, lang) {
        (Occasion::Christmas, "de") => "Frohe Weihnachten",
        (Occasion::Christmas, _) => "Merry Christmas",
        (Occasion::NewYear, "de") => "Ein gutes neues Jahr",
        (Occasion::NewYear, _) => "Happy New Year",
        (Occasion::Birthday, "de") => "Herzlichen Glückwunsch",
        (Occasion::Birthday, _) => "Happy birthday",
        (Occasion::Anniversary, "de") => "{{ occasion.years }} Jahre gemeinsam",
        (Occasion::Anniversary, _) => "{{ occasion.years }} years together",
        (Occasion::AfterOrder, "de") => "Danke für Ihre Bestellung",
        (Occasion::AfterOrder, _) => "Thank you for your order",
        (Occasion::KeepInTouch, "de") => "Lange nichts voneinander gehört",
        (Occasion::KeepInTouch, _) => "It has been a while",
    }
}

/// A good first message per occasion and language, using the history
/// facts an export offers (the last order and its products, the years
/// as a customer, the occasion's event); meant to be changed.
pub fn starter_message(occasion: Occasion, lang: &str) -> &'static str {
    let german = lang == "de";
    match occasion {
        Occasion::Christmas if german => include_str!("setup/christmas.de.j2"),
        Occasion::Christmas => include_str!("setup/christmas.en.j2"),
        Occasion::NewYear if german => include_str!("setup/new-year.de.j2"),
        Occasion::NewYear => include_str!("setup/new-year.en.j2"),
        Occasion::Birthday if german => include_str!("setup/birthday.de.j2"),
        Occasion::Birthday => include_str!("setup/birthday.en.j2"),
        Occasion::Anniversary if german => include_str!("setup/anniversary.de.j2"),
        Occasion::Anniversary => include_str!("setup/anniversary.en.j2"),
        Occasion::AfterOrder if german => include_str!("setup/after-order.de.j2"),
        Occasion::AfterOrder => include_str!("setup/after-order.en.j2"),
        Occasion::KeepInTouch if german => include_str!("setup/keep-in-touch.de.j2"),
        Occasion::KeepInTouch => include_str!("setup/keep-in-touch.en.j2"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_campaign() {
        let p = relative_path(Path::new("/a/b"), Path::new("/a/c/d.csv"));
        assert_eq!(p, PathBuf::from("../c/d.csv"));
        let far = relative_path(Path::new("/a/b/c"), Path::new("/a/d.csv"));
        assert_eq!(far, PathBuf::from("/a/d.csv"));
        assert_eq!(
            relative_path(Path::new("/a"), Path::new("/a/x.csv")),
            PathBuf::from("x.csv")
        );
    }

    #[test]
    fn every_occasion_has_a_word_and_a_message() {
        for o in Occasion::ALL {
            assert_eq!(Occasion::parse(o.word()), Some(o));
            for lang in LANGUAGES {
                assert!(starter_message(o, lang).contains("{%"), "{o:?} {lang}");
            }
        }
    }
}
