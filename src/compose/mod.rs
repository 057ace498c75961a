//! Stage 3, compose: from a person and their history to the letter model —
//! address lines, salutation, closing, texts, and the personal message as
//! Typst markup in which every value is escaped. The model stays typed
//! ([`Model`]) until the typesetter hands it to Typst as `/data.json`.

pub mod address;
pub mod model;
pub mod repeat;
pub mod sender;

use indexmap::IndexMap;
use minijinja::Environment;

use crate::error::{Error, Result};
use crate::jinja::{self, describe, describe_in, FactLog, Scope, Words};
use crate::model::Person;
use crate::occasion::Occasion;
use crate::settings::{ComposeSettings, RepeatPolicy, Strictness};
use crate::template::Template;
pub use model::{Info, Label, Model, Offset, PrintData, Recipient};

/// One recipient's composed piece: everything the typesetter needs.
#[derive(Debug, Clone)]
pub struct Piece {
    pub id: String,
    pub lang: String,
    /// `/data.json` for the template.
    pub model: Model,
    /// `/message.typ`: the personal message as Typst markup.
    pub message: String,
    pub warnings: Vec<Warning>,
    /// How many facts from the person's history the texts used.
    pub facts: usize,
    /// The message's fingerprint for the ledger (see [`repeat`]).
    pub fingerprint: String,
    /// A hash of the address the piece goes to, for the ledger.
    pub address: String,
    /// The message is a text a person wrote for this recipient (the
    /// studio's "edit text"), not the campaign's.
    pub edited: bool,
}

/// Something about one recipient's piece worth a look; the piece is made.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Warning {
    /// The recipient it is about (None: the document as a whole, e.g. a
    /// Typst warning on a label sheet).
    pub recipient: Option<String>,
    pub kind: WarningKind,
    pub message: String,
}

/// The kinds of piece warnings; the terminal summarises each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// No message in the person's language; written in another.
    Language,
    /// The address has too many or too few lines.
    Address,
    /// The text uses no fact from the person's history.
    Generic,
    /// A warning from Typst while laying out.
    Typst,
    /// The preflight found something it let pass (pages, fit, window).
    Preflight,
    /// The text is (nearly) the same as the last piece the person got.
    Repeat,
    /// The personal link is long: its QR code has small modules.
    Link,
}

impl WarningKind {
    /// The serialised name (`generic`, `preflight`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Language => "language",
            WarningKind::Address => "address",
            WarningKind::Generic => "generic",
            WarningKind::Typst => "typst",
            WarningKind::Preflight => "preflight",
            WarningKind::Repeat => "repeat",
            WarningKind::Link => "link",
        }
    }
}

impl Warning {
    pub fn new(recipient: Option<&str>, kind: WarningKind, message: impl Into<String>) -> Self {
        Warning {
            recipient: recipient.map(str::to_string),
            kind,
            message: message.into(),
        }
    }

    /// "K-1: the address has 7 lines …" — how a label sheet's manifest and
    /// proof name the recipient a warning is about.
    pub fn with_recipient(&self) -> String {
        match &self.recipient {
            Some(id) => format!("{id}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// A recipient that could not be composed; the run goes on without it.
#[derive(Debug)]
pub struct ComposeError(pub String);

/// Holds the compiled message and text templates of a run.
pub struct Composer<'a> {
    env: Environment<'static>,
    settings: &'a ComposeSettings,
    scope: Scope,
    /// Message template name per language.
    messages: IndexMap<String, String>,
    /// Text keys per language (template names are `text:<lang>:<key>`).
    texts: IndexMap<String, Vec<String>>,
    closing_style: String,
    /// Languages whose message refers to `occasion`.
    occasion_used: std::collections::BTreeSet<String>,
    /// `print` in data.json: format, calibration, marks.
    print: PrintData,
    /// The template shows a personal message (so "generic" matters).
    has_message: bool,
    /// Source of every message and text by template name, so an error can
    /// quote the expression that failed.
    sources: std::collections::HashMap<String, String>,
    /// The campaign's theme with the motif and the colours resolved.
    theme: IndexMap<String, String>,
    /// The sender with the return address (`sender.rs`).
    sender: sender::Sender,
    /// Texts written by hand for single recipients, used instead of the
    /// message (`state/<campaign>/edits/`).
    edits: crate::state::Edits,
}

impl<'a> Composer<'a> {
    /// Compiles every message and text; a syntax error stops the run here,
    /// before any recipient, naming the file and line.
    pub fn new(settings: &'a ComposeSettings, template: &Template) -> Result<Composer<'a>> {
        let mut env = jinja::environment(settings.date);
        let mut messages = IndexMap::new();
        let mut sources = std::collections::HashMap::new();
        for (lang, (name, source)) in &template.messages {
            sources.insert(name.clone(), source.clone());
            env.add_template_owned(name.clone(), source.clone())
                .map_err(template_error)?;
            messages.insert(lang.clone(), name.clone());
        }
        if messages.is_empty() && template.manifest.message {
            return Err(Error::config(format!(
                "template \"{}\" has no message.<lang>.j2",
                template.name
            ))
            .with_hint(
                "give the campaign a `messages = \"folder\"` with message.de.j2, message.en.j2, …",
            ));
        }
        // The motif (a name the template does not draw stops the run here)
        // reaches the template as theme.motif, by its own name.
        let motif = template.motif(
            settings.theme.get("motif").map(String::as_str),
            settings.occasion.as_ref(),
        )?;
        let mut theme = settings.theme.clone();
        if let Some(motif) = &motif {
            theme.insert("motif".into(), motif.clone());
        }
        let palette = sender::default_palette(&template.manifest, motif.as_deref())?;
        sender::resolve_palette(&mut theme, &palette);
        let texts = add_texts(&mut env, &mut sources, template, motif.as_deref(), settings)?;
        let occasion_used = messages
            .iter()
            .filter(|(_, name)| {
                env.get_template(name)
                    .map(|t| t.undeclared_variables(false).contains("occasion"))
                    .unwrap_or(false)
            })
            .map(|(lang, _)| lang.clone())
            .collect();
        let format = template
            .manifest
            .resolve_format(settings.print.format.as_deref(), &template.name)?;
        let p = &settings.print;
        let print = PrintData {
            format,
            offset: Offset {
                x: p.offset_x,
                y: p.offset_y,
            },
            crop_marks: p.crop_marks,
            test_grid: false,
            skip: p.skip,
        };
        let scope = Scope::new(settings.date, &settings.campaign, &settings.sender);
        Ok(Composer {
            sender: sender::Sender::new(scope.sender.clone()),
            sources,
            print,
            has_message: template.manifest.message,
            theme,
            occasion_used,
            env,
            scope,
            settings,
            messages,
            texts,
            closing_style: template.closing_style().to_string(),
            edits: Default::default(),
        })
    }

    /// Composes the printer's test grid (`render --test-grid`): the
    /// template draws outlines and rulers, no piece needs a link.
    pub fn for_test_grid(mut self) -> Self {
        self.print.test_grid = true;
        self
    }

    /// Measures segments against the run's scale (`person.segment`,
    /// `person.rfm`, `person.rhythm`; the plan's).
    pub fn with_scale(mut self, scale: Option<std::sync::Arc<crate::insights::Scale>>) -> Self {
        self.scope.scale = scale;
        self
    }

    /// Uses these hand-written texts instead of the message for their
    /// recipients (what the plan read from the state folder).
    pub fn with_edits(mut self, edits: crate::state::Edits) -> Self {
        self.edits = edits;
        self
    }

    /// Person fields the messages and texts use (`person.title` → `title`).
    pub fn person_fields_used(&self) -> std::collections::BTreeSet<String> {
        let mut fields = std::collections::BTreeSet::new();
        for (name, _) in self.env.templates() {
            if let Ok(template) = self.env.get_template(name) {
                for var in template.undeclared_variables(true) {
                    if let Some(field) = var.strip_prefix("person.") {
                        fields.insert(field.to_string());
                    }
                }
            }
        }
        fields
    }

    /// The name of the message template for a language (`card/message.de.j2`).
    pub fn message_name(&self, lang: &str) -> Option<&str> {
        self.messages.get(lang).map(String::as_str)
    }

    /// The template format this run lays out (`din-b`, `dl`, …).
    pub fn format(&self) -> &str {
        &self.print.format
    }

    /// The language a person is written to: theirs if there is a message
    /// for it, else the campaign's, else the first there is.
    fn language_for(&self, person: &Person) -> (String, Option<String>) {
        let own = person.get("language").trim().to_lowercase();
        if self.messages.is_empty() {
            // No message (envelopes, labels): the person's language, for
            // the address and the fixed texts.
            let lang = if own.is_empty() {
                self.settings.language.clone()
            } else {
                own
            };
            return (lang, None);
        }
        if self.messages.contains_key(&own) {
            return (own, None);
        }
        let fallback = if self.messages.contains_key(&self.settings.language) {
            self.settings.language.clone()
        } else {
            self.messages.keys().next().cloned().unwrap_or_default()
        };
        let warning = (!own.is_empty())
            .then(|| format!("no message in language \"{own}\"; written in \"{fallback}\""));
        (fallback, warning)
    }

    /// Composes one recipient.
    pub fn compose(
        &self,
        person: &Person,
        occasion: Option<&Occasion>,
    ) -> Result<Piece, ComposeError> {
        self.compose_for(person, &[], occasion)
    }

    /// Composes a piece for `person` and the others of their household
    /// (`household`, usually empty): a joint name and salutation, and the
    /// history of everyone in it for the texts.
    pub fn compose_for(
        &self,
        first: &Person,
        household: &[Person],
        occasion: Option<&Occasion>,
    ) -> Result<Piece, ComposeError> {
        // A field past its limit fails the recipient before any work on it
        // (a two-million-letter name took Typst 20 s and 1.5 GB).
        for person in std::iter::once(first).chain(household) {
            crate::limits::check_person(person, self.settings.history_file.as_deref())
                .map_err(ComposeError)?;
        }
        let id = Some(first.id.as_str());
        let mut warnings = Vec::new();
        let (lang, warning) = self.language_for(first);
        warnings.extend(warning.map(|w| Warning::new(id, WarningKind::Language, w)));
        let link = self.link(first, &mut warnings)?;
        let mut words = Words::new(first, &lang, &self.closing_style, occasion);
        words.link = link.as_ref().map(|l| l.url.clone());
        let (person, members) = household_of(first, household, &lang, &mut words);
        let person = person.as_ref();
        let log = std::sync::Arc::new(FactLog::default());
        let ctx = self
            .scope
            .household_context(person, &members, &words, log.clone());
        let written = self.write(first, &lang, &ctx)?;
        let sender_country = self.scope.sender["country"].as_str();
        let address = match &words.household_name {
            Some(name) => address::household_lines(person, name, &lang, sender_country),
            None => address::address_lines(person, &lang, sender_country),
        };
        warnings.extend(address_warnings(id, &address));
        // The occasion (a birthday, the order it thanks for) is a fact when
        // the message refers to it.
        if occasion.is_some() && self.occasion_used.contains(&lang) {
            log.record("occasion");
        }
        let facts = log.count();
        let Written {
            message,
            text,
            edited,
        } = written;
        let fingerprint = repeat::fingerprint(&message);
        warnings.extend(self.judge(id, person, occasion, edited, &fingerprint, facts)?);
        let model = self.model(person, &lang, words, text, address, link);
        Ok(Piece {
            id: person.id.clone(),
            lang,
            model,
            fingerprint,
            address: crate::identity::address_hash(person, sender_country),
            message,
            warnings,
            facts,
            edited,
        })
    }

    /// The personal link (`[links]`); a long one is worth a warning, as
    /// its QR code gets small modules. The test grid prints no piece, so
    /// its sample row needs no link.
    fn link(
        &self,
        person: &Person,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<crate::links::Link>, ComposeError> {
        let link = match &self.settings.links {
            Some(pattern) if !self.print.test_grid => {
                Some(pattern.link(person).map_err(ComposeError)?)
            }
            _ => None,
        };
        if let Some(width) = link
            .as_ref()
            .map(|l| l.qr.len())
            .filter(|&w| w > crate::links::WIDE_MODULES)
        {
            warnings.push(Warning::new(
                Some(&person.id),
                WarningKind::Link,
                format!(
                    "the personal link is long: its QR code has {width} × {width} modules, printed small they may not scan; shorten links.personal_url"
                ),
            ));
        }
        Ok(link)
    }

    /// The message and the texts, rendered in the person's context. A
    /// text edited for this recipient is theirs as written: plain text,
    /// never markup, and the message template is not run.
    fn write(
        &self,
        first: &Person,
        lang: &str,
        ctx: &minijinja::Value,
    ) -> Result<Written, ComposeError> {
        let render = |name: &str| -> Result<String, ComposeError> {
            let tmpl = self
                .env
                .get_template(name)
                .map_err(|e| ComposeError(describe(&e)))?;
            tmpl.render(ctx).map_err(|e| {
                let source = e.name().and_then(|n| self.sources.get(n));
                ComposeError(describe_in(&e, source.map(String::as_str)))
            })
        };
        let edited = self
            .has_message
            .then(|| self.edits.get(&first.id))
            .flatten();
        let message = match (edited, self.messages.get(lang)) {
            (Some(text), _) => crate::state::plain_to_markup(text),
            (None, Some(name)) => render(name)?,
            (None, None) => String::new(),
        };
        let text_lang = if self.texts.contains_key(lang) {
            lang
        } else {
            self.settings.language.as_str()
        };
        let mut text = IndexMap::new();
        for key in self.texts.get(text_lang).into_iter().flatten() {
            text.insert(
                key.clone(),
                render(&format!("{}{text_lang}:{key}", jinja::PLAIN_PREFIX))?,
            );
        }
        Ok(Written {
            message,
            text,
            edited: edited.is_some(),
        })
    }

    /// Generic and repeated texts: a warning, or by policy the recipient's
    /// failure.
    fn judge(
        &self,
        id: Option<&str>,
        person: &Person,
        occasion: Option<&Occasion>,
        edited: bool,
        fingerprint: &str,
        facts: usize,
    ) -> Result<Vec<Warning>, ComposeError> {
        let mut warnings = Vec::new();
        if facts == 0 && self.has_message && !edited {
            if self.settings.generic == Strictness::Error {
                return Err(ComposeError(
                    "generic text: it uses no fact from the person's history (policy.generic = \"error\")".into(),
                ));
            }
            warnings.push(Warning::new(
                id,
                WarningKind::Generic,
                "generic text: it uses no fact from the person's history",
            ));
        }
        if let Some(why) = self.repeats(person, occasion, fingerprint) {
            if self.settings.repeat == RepeatPolicy::Error {
                return Err(ComposeError(format!("{why} (policy.repeat = \"error\")")));
            }
            warnings.push(Warning::new(id, WarningKind::Repeat, why));
        }
        Ok(warnings)
    }

    /// `/data.json`: the words, the sender (with the role in the piece's
    /// language), the information block and the print data.
    fn model(
        &self,
        person: &Person,
        lang: &str,
        words: Words,
        text: IndexMap<String, String>,
        address: Vec<String>,
        link: Option<crate::links::Link>,
    ) -> Model {
        let mut sender = self.sender.for_language(lang);
        if let Some(role) = text.get("role") {
            sender.fields.insert("role".into(), role.clone());
        }
        let labels = crate::lang::labels(lang);
        let date_text =
            crate::lang::format_date(lang, self.settings.date, "long").unwrap_or_default();
        let mut info = vec![Info::new(labels.customer_no, &person.id)];
        for (label, key) in [
            (labels.contact, "name"),
            (labels.phone, "phone"),
            (labels.email, "email"),
        ] {
            if let Some(v) = sender.fields.get(key).filter(|v| !v.is_empty()) {
                info.push(Info::new(label, v));
            }
        }
        info.push(Info::new(labels.date, &date_text));
        Model {
            lang: lang.to_string(),
            date: self.settings.date.to_string(),
            date_text,
            subject: text.get("subject").cloned().unwrap_or_default(),
            salutation: words.salutation,
            closing: words.closing,
            text,
            theme: self.theme.clone(),
            sender,
            recipient: Recipient {
                fields: person.fields.clone(),
                name: words
                    .household_name
                    .unwrap_or_else(|| person.display_name()),
                address,
            },
            abroad: sender::abroad(person.get("country"), &self.scope.sender["country"]),
            info,
            print: self.print.clone(),
            labels: None,
            link,
        }
    }

    /// "nearly the same text as the card of 2025-12-01 (christmas-2025)" when
    /// the message repeats the last piece the ledger knows the person got
    /// (other than this campaign's own piece for this occasion, which a
    /// `--force` run makes again).
    fn repeats(
        &self,
        person: &Person,
        occasion: Option<&Occasion>,
        fingerprint: &str,
    ) -> Option<String> {
        if self.settings.repeat == RepeatPolicy::Allow {
            return None;
        }
        let key = occasion.map_or(self.settings.campaign.as_str(), |o| o.key.as_str());
        let last = person.events.iter().rev().find(|e| {
            e.date <= self.settings.date
                && e.extra.get("source").is_some_and(|s| s == "ledger")
                && !(e.summary == self.settings.campaign
                    && e.extra.get("occasion").is_some_and(|o| o == key))
        })?;
        let what = repeat::verdict(repeat::distance(
            fingerprint,
            last.extra.get("fingerprint")?,
        )?)?;
        Some(format!(
            "{what} the {} of {} ({})",
            last.kind, last.date, last.summary
        ))
    }
}

/// Compiles the texts (`text:<lang>:<key>`): the template's, overridden
/// key by key by the motif's, then by the campaign's. Gives the keys per
/// language.
fn add_texts(
    env: &mut Environment<'static>,
    sources: &mut std::collections::HashMap<String, String>,
    template: &Template,
    motif: Option<&str>,
    settings: &ComposeSettings,
) -> Result<IndexMap<String, Vec<String>>> {
    let mut merged: IndexMap<String, IndexMap<String, String>> = template.manifest.text.clone();
    let motif_text = motif
        .and_then(|m| template.manifest.motif.get(m))
        .map(|m| &m.text);
    for (lang, table) in motif_text.into_iter().flatten().chain(&settings.text) {
        let entry = merged.entry(lang.to_lowercase()).or_default();
        for (k, v) in table {
            entry.insert(k.clone(), v.clone());
        }
    }
    let mut texts = IndexMap::new();
    for (lang, table) in &merged {
        let mut keys = Vec::new();
        for (key, source) in table {
            let name = format!("{}{lang}:{key}", jinja::PLAIN_PREFIX);
            sources.insert(name.clone(), source.clone());
            env.add_template_owned(name, source.clone()).map_err(|e| {
                Error::config(format!(
                    "text \"{key}\" for language \"{lang}\": {}",
                    describe(&e)
                ))
            })?;
            keys.push(key.clone());
        }
        texts.insert(lang.clone(), keys);
    }
    Ok(texts)
}

/// The message and texts of one piece, as written.
struct Written {
    message: String,
    text: IndexMap<String, String>,
    /// The message is a text a person wrote for this recipient.
    edited: bool,
}

/// The person a piece is written to and the members of their household
/// (none for one person): a household gets a joint name and salutation,
/// and its first member carries the history of all.
fn household_of<'p>(
    first: &'p Person,
    household: &[Person],
    lang: &str,
    words: &mut Words,
) -> (std::borrow::Cow<'p, Person>, Vec<Person>) {
    if household.is_empty() {
        return (std::borrow::Cow::Borrowed(first), Vec::new());
    }
    let mut members = vec![first.clone()];
    members.extend(household.iter().cloned());
    words.salutation = crate::lang::household::household_salutation(&members, lang);
    words.household_name = Some(crate::lang::household::household_name(&members, lang));
    let mut all = first.clone();
    all.events = members
        .iter()
        .flat_map(|m| m.events.iter().cloned())
        .collect();
    all.events.sort_by_key(|e| e.date);
    (std::borrow::Cow::Owned(all), members)
}

/// Too many lines for a window envelope, or too few to be an address.
fn address_warnings(id: Option<&str>, address: &[String]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if address.len() > address::MAX_LINES {
        warnings.push(Warning::new(
            id,
            WarningKind::Address,
            format!(
                "the address has {} lines; window envelopes show {}",
                address.len(),
                address::MAX_LINES
            ),
        ));
    }
    if address.len() < 2 {
        warnings.push(Warning::new(
            id,
            WarningKind::Address,
            "the address has fewer than two lines",
        ));
    }
    warnings
}

fn template_error(e: minijinja::Error) -> Error {
    Error::config(describe(&e)).with_hint("fix the message template; no output was written")
}
