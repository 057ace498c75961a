//! Stage 3, compose: from a person and their history to the letter model —
//! address lines, salutation, closing, texts, and the personal message as
//! Typst markup in which every value is escaped.

pub mod address;
pub mod env;
pub mod history;
pub mod lang;
pub mod salutation;

use indexmap::IndexMap;
use minijinja::value::Value;
use minijinja::Environment;
use serde_json::json;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Person;
use crate::occasion::Occasion;
use crate::template::Template;
use history::History;

/// One recipient's composed piece: everything the typesetter needs.
#[derive(Debug)]
pub struct Piece {
    /// Position among the selected recipients (output order).
    pub index: usize,
    pub id: String,
    /// Line of the person in the people file.
    pub line: u64,
    pub lang: String,
    /// `/data.json` for the template.
    pub data: Vec<u8>,
    /// `/message.typ`: the personal message as Typst markup.
    pub message: String,
    pub warnings: Vec<String>,
    /// How many facts from the person's history the texts used.
    pub facts: usize,
}

/// A recipient that could not be composed; the run goes on without it.
#[derive(Debug)]
pub struct ComposeError(pub String);

/// Holds the compiled message and text templates of a run.
pub struct Composer<'a> {
    env: Environment<'static>,
    config: &'a Config,
    /// Message template name per language.
    messages: IndexMap<String, String>,
    /// Text keys per language (template names are `text:<lang>:<key>`).
    texts: IndexMap<String, Vec<String>>,
    closing_style: String,
    sender: IndexMap<String, String>,
    /// Languages whose message refers to `occasion`.
    occasion_used: std::collections::BTreeSet<String>,
    /// `print` in data.json: format, calibration, marks.
    print: serde_json::Value,
    /// The template shows a personal message (so "generic" matters).
    has_message: bool,
}

impl<'a> Composer<'a> {
    /// Compiles every message and text; a syntax error stops the run here,
    /// before any recipient, naming the file and line.
    pub fn new(config: &'a Config, template: &Template) -> Result<Composer<'a>> {
        let mut env = env::environment(config.date);
        let mut messages = IndexMap::new();
        for (lang, (name, source)) in &template.messages {
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
        // Template texts, overridden key by key by the campaign's.
        let mut merged: IndexMap<String, IndexMap<String, String>> = template.manifest.text.clone();
        for (lang, table) in &config.text {
            let entry = merged.entry(lang.to_lowercase()).or_default();
            for (k, v) in table {
                entry.insert(k.clone(), v.clone());
            }
        }
        let mut texts = IndexMap::new();
        for (lang, table) in &merged {
            let mut keys = Vec::new();
            for (key, source) in table {
                let name = format!("{}{lang}:{key}", env::PLAIN_PREFIX);
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
        let mut sender = config.sender.clone();
        sender
            .entry("country".into())
            .or_insert_with(|| "DE".into());
        if !sender.contains_key("return_line") {
            let place = crate::model::join_nonempty(&[
                sender.get("postal_code").map(String::as_str).unwrap_or(""),
                sender.get("city").map(String::as_str).unwrap_or(""),
            ]);
            let parts: Vec<&str> = [
                sender.get("company").map(String::as_str).unwrap_or(""),
                sender.get("street").map(String::as_str).unwrap_or(""),
                place.as_str(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
            sender.insert("return_line".into(), parts.join(" · "));
        }
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
            .resolve_format(config.print.format.as_deref(), &template.name)?;
        let p = &config.print;
        let print = json!({
            "format": format,
            "offset": {"x": p.offset_x, "y": p.offset_y},
            "crop_marks": p.crop_marks,
            "test_grid": config.test_grid,
            "skip": p.skip,
        });
        Ok(Composer {
            print,
            has_message: template.manifest.message,
            occasion_used,
            env,
            config,
            messages,
            texts,
            closing_style: template
                .manifest
                .closing_style
                .clone()
                .unwrap_or_else(|| "letter".into()),
            sender,
        })
    }

    /// Person fields the messages and texts use (`person.title` → `title`).
    pub fn person_fields_used(&self) -> std::collections::BTreeSet<String> {
        let mut fields = std::collections::BTreeSet::new();
        for name in self
            .env
            .templates()
            .map(|(name, _)| name.to_string())
            .collect::<Vec<_>>()
        {
            if let Ok(template) = self.env.get_template(&name) {
                for var in template.undeclared_variables(true) {
                    if let Some(field) = var.strip_prefix("person.") {
                        fields.insert(field.to_string());
                    }
                }
            }
        }
        fields
    }

    /// The template format this run lays out (`din-b`, `dl`, …).
    pub fn format(&self) -> &str {
        self.print["format"].as_str().unwrap_or("")
    }

    pub fn env(&self) -> &Environment<'static> {
        &self.env
    }

    /// The language a person is written to: theirs if there is a message
    /// for it, else the campaign's, else the first there is.
    fn language_for(&self, person: &Person) -> (String, Option<String>) {
        let own = person.get("language").trim().to_lowercase();
        if self.messages.is_empty() {
            // No message (envelopes, labels): the person's language, for
            // the address and the fixed texts.
            let lang = if own.is_empty() {
                self.config.language.clone()
            } else {
                own
            };
            return (lang, None);
        }
        if self.messages.contains_key(&own) {
            return (own, None);
        }
        let fallback = if self.messages.contains_key(&self.config.language) {
            self.config.language.clone()
        } else {
            self.messages.keys().next().cloned().unwrap_or_default()
        };
        let warning = (!own.is_empty())
            .then(|| format!("no message in language \"{own}\"; written in \"{fallback}\""));
        (fallback, warning)
    }

    /// The template context for a person: `person`, `history`, `sender`,
    /// `lang`, `today`, `campaign`, `salutation`, `closing`.
    pub fn context(&self, person: &Person, lang: &str) -> Value {
        let salutation = salutation::salutation_line(person, lang);
        let closing = salutation::closing(person, lang, &self.closing_style);
        self.context_with(
            person,
            lang,
            &salutation,
            &closing,
            None,
            Default::default(),
        )
    }

    fn context_with(
        &self,
        person: &Person,
        lang: &str,
        salutation: &str,
        closing: &str,
        occasion: Option<&Occasion>,
        log: std::sync::Arc<history::FactLog>,
    ) -> Value {
        let mut ctx: IndexMap<String, Value> = IndexMap::new();
        ctx.insert(
            "person".into(),
            history::person_value(person, self.config.date, log.clone()),
        );
        ctx.insert(
            "history".into(),
            Value::from_object(History::new(person, self.config.date, log)),
        );
        ctx.insert(
            "sender".into(),
            history::map_value(
                self.sender
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str()))),
            ),
        );
        ctx.insert("lang".into(), Value::from(lang));
        ctx.insert("today".into(), Value::from(self.config.date.to_string()));
        ctx.insert("campaign".into(), Value::from(self.config.name.as_str()));
        ctx.insert("salutation".into(), Value::from(salutation));
        ctx.insert("closing".into(), Value::from(closing));
        // occasion.kind/key/date/years/event — none for campaigns without one
        ctx.insert(
            "occasion".into(),
            occasion
                .map(|o| Value::from(minijinja::value::Serde(o)))
                .unwrap_or(Value::from(())),
        );
        history::map_value(ctx)
    }

    /// Composes one recipient.
    pub fn compose(
        &self,
        index: usize,
        person: &Person,
        occasion: Option<&Occasion>,
    ) -> Result<Piece, ComposeError> {
        let mut warnings = Vec::new();
        let (lang, warning) = self.language_for(person);
        warnings.extend(warning);
        let salutation = salutation::salutation_line(person, &lang);
        let closing = salutation::closing(person, &lang, &self.closing_style);
        let log = std::sync::Arc::new(history::FactLog::default());
        let ctx = self.context_with(person, &lang, &salutation, &closing, occasion, log.clone());
        let render = |name: &str| -> Result<String, ComposeError> {
            let tmpl = self
                .env
                .get_template(name)
                .map_err(|e| ComposeError(describe(&e)))?;
            tmpl.render(&ctx).map_err(|e| ComposeError(describe(&e)))
        };
        let message = match self.messages.get(&lang) {
            Some(name) => render(name)?,
            None => String::new(),
        };
        let text_lang = if self.texts.contains_key(&lang) {
            lang.clone()
        } else {
            self.config.language.clone()
        };
        let mut text = IndexMap::new();
        for key in self.texts.get(&text_lang).into_iter().flatten() {
            text.insert(
                key.clone(),
                render(&format!("{}{text_lang}:{key}", env::PLAIN_PREFIX))?,
            );
        }

        let sender_country = self
            .sender
            .get("country")
            .map(String::as_str)
            .unwrap_or("DE");
        let address = address::address_lines(person, &lang, sender_country);
        if address.len() > address::MAX_LINES {
            warnings.push(format!(
                "the address has {} lines; window envelopes show {}",
                address.len(),
                address::MAX_LINES
            ));
        }
        if address.len() < 2 {
            warnings.push("the address has fewer than two lines".to_string());
        }
        let mut sender = self.sender.clone();
        if let Some(role) = text.get("role") {
            sender.insert("role".into(), role.clone());
        }
        let labels = lang::labels(&lang);
        let date_text = lang::format_date(&lang, self.config.date, "long").unwrap_or_default();
        let mut info = vec![json!({"label": labels.customer_no, "value": person.id})];
        for (label, key) in [
            (labels.contact, "name"),
            (labels.phone, "phone"),
            (labels.email, "email"),
        ] {
            if let Some(v) = sender.get(key).filter(|v| !v.is_empty()) {
                info.push(json!({"label": label, "value": v}));
            }
        }
        info.push(json!({"label": labels.date, "value": date_text}));

        let mut recipient: serde_json::Map<String, serde_json::Value> = person
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        recipient.insert("name".into(), json!(person.display_name()));
        recipient.insert("address".into(), json!(address));

        let data = json!({
            "lang": lang,
            "date": self.config.date.to_string(),
            "date_text": date_text,
            "subject": text.get("subject").cloned().unwrap_or_default(),
            "salutation": salutation,
            "closing": closing,
            "text": text,
            "theme": self.config.theme,
            "sender": sender,
            "recipient": recipient,
            "info": info,
            "print": self.print,
        });
        // The occasion (a birthday, the order it thanks for) is a fact when
        // the message refers to it.
        if occasion.is_some() && self.occasion_used.contains(&lang) {
            log.record("occasion");
        }
        let facts = log.count();
        if facts == 0 && self.has_message {
            if self.config.policy.generic.as_deref() == Some("error") {
                return Err(ComposeError(
                    "generic text: it uses no fact from the person's history (policy.generic = \"error\")".into(),
                ));
            }
            warnings.push("generic text: it uses no fact from the person's history".into());
        }
        Ok(Piece {
            index,
            id: person.id.clone(),
            line: person.line,
            lang,
            data: serde_json::to_vec_pretty(&data).expect("JSON of strings always serialises"),
            message,
            warnings,
            facts,
        })
    }
}

/// "message.de.j2:3: undefined value (person.frist_name)".
pub fn describe(e: &minijinja::Error) -> String {
    let mut s = String::new();
    if let Some(name) = e.name() {
        s.push_str(name);
        if let Some(line) = e.line() {
            s.push_str(&format!(":{line}"));
        }
        s.push_str(": ");
    }
    s.push_str(&e.kind().to_string());
    if let Some(detail) = e.detail() {
        s.push_str(&format!(": {detail}"));
    }
    s
}

fn template_error(e: minijinja::Error) -> Error {
    Error::config(describe(&e)).with_hint("fix the message template; no output was written")
}
