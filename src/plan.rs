//! The plan: the one answer to "who gets which piece, and why is everyone
//! else left out". Every command starts here — render, its dry run,
//! check, due, proof, preview — so they cannot disagree.
//!
//! ```text
//! Settings + Mode ──prepare──> Plan { pieces (person, occasion, file), left_out (person, reason) }
//! ```
//!
//! Preparing loads the template and the data, reads the ledger (under the
//! campaign's lock for a real render) and selects; nothing is composed or
//! typeset here, so the plan stays small.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Problem, Result, Severity};
use crate::insights::{Rhythm, Scale, Summary};
use crate::jinja::Scope;
use crate::ledger::{Ledger, Lock};
use crate::load::returns::Returns;
use crate::load::{self, Persons, SourceReport};
use crate::mode::Mode;
use crate::model::Person;
use crate::select::{Due, Reason, ReasonKind, Selector, Verdict};
use crate::settings::{PrintOrder, RunSettings, Settings};
use crate::state::{Approval, Edits, Exclusions, InputFiles};
use crate::template::{Kind, Template};
use crate::write::{self, Namer};

/// Where the ids of the people came from, for the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdSource {
    File,
    Derived,
}

impl IdSource {
    pub fn as_str(self) -> &'static str {
        match self {
            IdSource::File => "file",
            IdSource::Derived => "derived",
        }
    }
}

/// A recipient of this run and the piece they get.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Index into [`Plan::persons`].
    pub person: u32,
    pub due: Due,
    /// What makes the output file's name unique in the run (see
    /// [`Plan::file`]); the name itself is made again when needed.
    pub suffix: u32,
    /// With `households`: the others at this address who share the piece
    /// (indices into [`Plan::persons`], in input order); usually none.
    pub members: Box<[u32]>,
}

/// A person who gets nothing, and why.
#[derive(Debug, Clone)]
pub struct LeftOut {
    pub person: u32,
    pub reason: Reason,
}

/// Everything a command needs to know before composing anything.
pub struct Plan {
    pub template: Template,
    /// Everyone in the people file, with their history (and the ledger's
    /// pieces), built one at a time.
    pub persons: Persons,
    pub people: SourceReport,
    pub history: Option<SourceReport>,
    /// What the loader found; errors only in `warmly check` (others stop).
    pub problems: Vec<Problem>,
    pub id_source: IdSource,
    /// The recipients, in input order.
    pub pieces: Vec<Planned>,
    /// A shard's: the pieces of the other shards of the run (the shard
    /// lays out some of them for its share of the print file); empty
    /// without `--shard`.
    pub others: Vec<Planned>,
    pub left_out: Vec<LeftOut>,
    /// The ledger of the state folder (none without one).
    pub ledger: Option<Ledger>,
    /// `state/<campaign>/`: exclusions, edited texts, the approval (none
    /// without a state folder).
    pub state_dir: Option<std::path::PathBuf>,
    /// People excluded by hand, with their reasons.
    pub exclusions: Exclusions,
    /// Texts edited by hand for one recipient each.
    pub edits: Edits,
    /// The approval on record, if any.
    pub approval: Option<Approval>,
    /// Held for a render, so one campaign runs once at a time; released on drop.
    pub lock: Option<Lock>,
    /// The files the plan was made from (its fingerprint for approvals).
    pub files: InputFiles,
    /// What segments are measured against: every customer's orders up to
    /// the run date (none without a history).
    pub scale: Option<Arc<Scale>>,
    /// The campaign is about rhythms and segments (a `lapsing` occasion,
    /// `[select] segments`, or a `where` or text that reads
    /// `person.segment`, `person.rfm` or `person.rhythm`): reports show
    /// each person's segment, scores and rhythm.
    pub shows_insights: bool,
    /// The file-name pattern.
    pattern: String,
    /// A label sheet's one file for everyone.
    sheet_file: Option<String>,
}

/// Turns the validated settings into the plan of this run, for a command
/// in `mode`.
pub fn prepare(settings: &Settings, mode: &Mode) -> Result<Plan> {
    let (template, loaded) = load(settings, mode)?;
    let id_source = match loaded.people.derived_ids {
        true => IdSource::Derived,
        false => IdSource::File,
    };
    let mut persons = loaded.persons;
    let (lock, ledger) = open_state(&settings.run, mode)?;
    // The ledger's pieces are history: texts can mention the last card,
    // and the frequency cap sees it — for every command alike.
    if let Some(ledger) = &ledger {
        ledger.add_to_history(&mut persons);
    }
    check_columns(settings, &persons)?;
    let (returns, problems) = load_returns(settings, mode, loaded.problems)?;
    let state_dir = crate::state::campaign_dir(&settings.run);
    let (exclusions, edits, approval) = decisions(state_dir.as_deref())?;
    let sheet_file = (template.manifest.kind == Kind::Sheet)
        .then(|| format!("{}.pdf", write::sanitize_component(&template.name)));
    let (run, sender) = (&settings.run, &settings.compose.sender);
    let scale = needs_scale(settings, &template, mode)
        .then(|| measure(settings, &persons))
        .flatten();
    let scope = Scope::new(run.date, &run.name, sender).with_scale(scale.clone());
    let selector = Selector {
        settings: &settings.select,
        scope: &scope,
        closing_style: template.closing_style(),
        // A preview shows a piece even if the ledger says it was produced.
        ledger: ledger
            .as_ref()
            .filter(|_| !matches!(mode, Mode::Preview { .. })),
        returns: returns.as_ref(),
        exclusions: &exclusions,
    };
    let (pieces, left_out) = choose(&selector, &persons, settings, sheet_file.is_some())?;
    let (pieces, others, left_out) = match settings.run.shard {
        None => (pieces, Vec::new(), left_out),
        Some(shard) if sheet_file.is_some() => return Err(unsplittable(shard, &template)),
        Some(shard) => keep_shard(shard, &persons, pieces, left_out),
    };
    Ok(Plan {
        persons,
        people: loaded.people,
        history: loaded.history,
        problems,
        id_source,
        pieces,
        others,
        left_out,
        ledger,
        lock,
        state_dir,
        exclusions,
        edits,
        approval,
        files: InputFiles {
            campaign: settings.run.campaign.clone(),
            people: settings.load.people.clone(),
            history: settings.load.history.clone(),
            returns: settings.run.returns.clone(),
        },
        pattern: settings.output.pattern.clone(),
        sheet_file,
        shows_insights: scale.is_some() && shows_insights(settings, &template),
        scale,
        template,
    })
}

/// What a person decided in the studio for this campaign: who is left
/// out, whose text was edited, the approval (nothing without a state folder).
fn decisions(state_dir: Option<&Path>) -> Result<(Exclusions, Edits, Option<Approval>)> {
    Ok(match state_dir {
        Some(dir) => (
            Exclusions::load(dir)?,
            Edits::load(dir)?,
            Approval::load(dir),
        ),
        None => Default::default(),
    })
}

/// A label sheet lays everyone out on one page: it cannot be sharded.
fn unsplittable(shard: crate::shard::Shard, template: &Template) -> Error {
    Error::config(format!(
        "--shard {shard}: the template \"{}\" lays everyone out on one sheet, which cannot be split",
        template.name
    ))
    .with_hint("render label sheets in one run")
}

/// Whether this run measures every customer's rhythm (a pass over the
/// whole history, about 1 s for 100 000 people): for the studio, and for
/// campaigns that select by segment, lapse, or name segments or rhythms
/// in `where` or a text. Other runs do without (`person.segment` is then
/// undefined for their texts).
fn needs_scale(settings: &Settings, template: &Template, mode: &Mode) -> bool {
    let select = &settings.select;
    let names = |text: &str| {
        ["segment", "rfm", "rhythm"]
            .iter()
            .any(|w| text.contains(w))
    };
    *mode == Mode::Studio
        || matches!(select.occasion, Some(crate::occasion::Rule::Lapsing { .. }))
        || !select.segments.is_empty()
        || select.where_.as_deref().is_some_and(names)
        || template.messages.values().any(|(_, source)| names(source))
        || settings
            .compose
            .text
            .values()
            .flat_map(|t| t.values())
            .any(|t| names(t))
}

/// The scale of the run: every customer's rhythm on the run date, judged
/// by the campaign's `lapsing` rule (else its defaults); none without a
/// history file.
pub fn measure(settings: &Settings, persons: &Persons) -> Option<Arc<Scale>> {
    settings.load.history.as_ref()?;
    let params = settings
        .select
        .occasion
        .as_ref()
        .and_then(crate::occasion::Rule::rhythm_params)
        .unwrap_or_default();
    let date = settings.run.date;
    let rhythms = persons
        .iter()
        .filter_map(|p| Rhythm::of(&p.events, date, params.min_orders));
    let scale = Scale::new(date, params, rhythms);
    crate::timing::mark("rhythms measured");
    Some(Arc::new(scale))
}

/// Whether the campaign is about rhythms and segments (see
/// [`Plan::shows_insights`]).
fn shows_insights(settings: &Settings, template: &Template) -> bool {
    let select = &settings.select;
    let reads = |text: &str| {
        ["person.segment", "person.rfm", "person.rhythm"]
            .iter()
            .any(|w| text.contains(w))
    };
    matches!(select.occasion, Some(crate::occasion::Rule::Lapsing { .. }))
        || !select.segments.is_empty()
        || select.where_.as_deref().is_some_and(reads)
        || template.messages.values().any(|(_, source)| reads(source))
        || settings
            .compose
            .text
            .values()
            .flat_map(|t| t.values())
            .any(|t| reads(t))
}

/// The template and the data. A motif the template does not draw stops
/// every command, the dry run too (compose resolves it again for the
/// pieces); data errors stop every command but check, which reports them.
fn load(settings: &Settings, mode: &Mode) -> Result<(Template, load::Loaded)> {
    let template = Template::load(&settings.run.template, settings.run.messages_dir.as_deref())?;
    template.motif(
        settings.compose.theme.get("motif").map(String::as_str),
        settings.compose.occasion.as_ref(),
    )?;
    let loaded = load::load(&settings.load)?;
    crate::timing::mark("data loaded");
    if *mode != Mode::Check && loaded.has_errors() {
        return Err(Error::Problems(
            loaded
                .problems
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .collect(),
        ));
    }
    Ok((template, loaded))
}

/// The campaign's lock (a real render only) and its ledger. The lock
/// comes before the ledger is read: two runs must not both decide that a
/// piece is still missing. Every ledger file of the folder is read (the
/// shards' too, but a shard not its siblings' lines of this run); a shard
/// appends to its own.
fn open_state(run: &RunSettings, mode: &Mode) -> Result<(Option<Lock>, Option<Ledger>)> {
    let lock = match (&run.state_dir, mode.writes_state()) {
        (Some(dir), true) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            Some(match run.shard {
                Some(shard) => Lock::acquire_shard(dir, &run.name, shard)?,
                None => Lock::acquire(dir, &run.name)?,
            })
        }
        _ => None,
    };
    let ledger = match (&run.state_dir, run.shard) {
        (Some(dir), Some(shard)) => Some(Ledger::open_shard(dir, &run.name, shard, run.date)?),
        (Some(dir), None) => Some(Ledger::open(dir)?),
        (None, _) => None,
    };
    Ok((lock, ledger))
}

/// Everyone's verdict, in input order: the pieces (named, households
/// merged) and the left out.
fn choose(
    selector: &Selector,
    persons: &Persons,
    settings: &Settings,
    sheet: bool,
) -> Result<(Vec<Planned>, Vec<LeftOut>)> {
    let mut namer = Namer::new(&settings.output.pattern);
    let mut pieces = Vec::new();
    let mut left_out = Vec::new();
    let mut index = 0u32;
    selector.select(persons.iter(), |person, verdict| {
        match verdict {
            Verdict::Due(due) => pieces.push(Planned {
                person: index,
                members: Box::default(),
                suffix: if sheet { 0 } else { namer.suffix(&person) },
                due,
            }),
            Verdict::Left(reason) => left_out.push(LeftOut {
                person: index,
                reason,
            }),
        }
        index += 1;
    })?;
    if settings.select.households && !sheet {
        pieces = merge_households(pieces, persons, &settings.run.home_country);
    }
    Ok((pieces, left_out))
}

/// A shard's part of the plan, after selecting and naming everyone: file
/// names, households and the frequency cap are the whole run's; the shard
/// keeps its pieces (a household goes with its first member's id), the
/// others' pieces (for its share of the print file) and its left out.
fn keep_shard(
    shard: crate::shard::Shard,
    persons: &Persons,
    pieces: Vec<Planned>,
    mut left_out: Vec<LeftOut>,
) -> (Vec<Planned>, Vec<Planned>, Vec<LeftOut>) {
    let (own, theirs) = pieces
        .into_iter()
        .partition(|p| shard.holds(&persons.id(p.person as usize)));
    left_out.retain(|l| shard.holds(&persons.id(l.person as usize)));
    (own, theirs, left_out)
}

/// One piece per household: a due person at the address (and company) of
/// an earlier due person joins that person's piece. Only people who are
/// due are merged — one who opted out or got the piece already stays out.
fn merge_households(pieces: Vec<Planned>, persons: &Persons, home: &str) -> Vec<Planned> {
    let mut first_at: std::collections::HashMap<String, usize> = Default::default();
    let mut members: Vec<Vec<u32>> = Vec::new();
    let mut kept: Vec<Planned> = Vec::new();
    for planned in pieces {
        let key = crate::identity::household_key(&persons.get(planned.person as usize), home)
            .map(|k| format!("{}\0{k}", planned.due.key));
        match key.as_ref().and_then(|k| first_at.get(k)) {
            Some(&i) => members[i].push(planned.person),
            None => {
                if let Some(k) = key {
                    first_at.insert(k, kept.len());
                }
                kept.push(planned);
                members.push(Vec::new());
            }
        }
    }
    for (planned, others) in kept.iter_mut().zip(members) {
        planned.members = others.into_boxed_slice();
    }
    kept
}

/// The returns file, if the campaign has one; its row errors stop every
/// command but check, like the people file's.
fn load_returns(
    settings: &Settings,
    mode: &Mode,
    mut problems: Vec<Problem>,
) -> Result<(Option<Returns>, Vec<Problem>)> {
    let Some(path) = &settings.run.returns else {
        return Ok((None, problems));
    };
    let (returns, found) = Returns::load(path, &settings.run.home_country)?;
    let errors: Vec<Problem> = found
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .cloned()
        .collect();
    if *mode != Mode::Check && !errors.is_empty() {
        return Err(Error::Problems(errors));
    }
    problems.extend(found);
    Ok((Some(returns), problems))
}

/// The file-name pattern and the personal link may only use fields the
/// people file has.
fn check_columns(settings: &Settings, persons: &Persons) -> Result<()> {
    if persons.is_empty() {
        return Ok(());
    }
    check_pattern(&settings.output.pattern, persons)?;
    if let Some(links) = &settings.compose.links {
        links.check_columns(&persons.field_names())?;
    }
    Ok(())
}

/// The file-name pattern may only use fields the people file has.
fn check_pattern(pattern: &str, persons: &Persons) -> Result<()> {
    let known: Vec<String> = persons
        .field_names()
        .into_iter()
        .chain(["name".to_string()])
        .collect();
    let unknown = Namer::unknown_placeholders(pattern, &known);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::config(format!(
        "the file-name pattern \"{pattern}\" uses unknown field(s): {}",
        unknown.join(", ")
    ))
    .with_hint(format!("known fields: {}", known.join(", "))))
}

impl Plan {
    /// The fingerprint of everything that decides this plan's pieces (see
    /// [`crate::state::fingerprint`]).
    pub fn fingerprint(&self) -> std::collections::BTreeMap<String, String> {
        crate::state::fingerprint(
            &self.files,
            &self.template.messages,
            &self.exclusions,
            &self.edits,
        )
    }

    /// What changed since the approval on record, in words; None without
    /// an approval.
    pub fn changed_since_approval(&self) -> Option<Vec<&'static str>> {
        let approval = self.approval.as_ref()?;
        Some(approval.changed(&self.fingerprint()))
    }

    /// The template lays everyone out in one document (a label sheet).
    /// Piece `i`: [`Plan::pieces`], then a shard's [`Plan::others`]
    /// counted on from `pieces.len()`.
    pub fn planned(&self, i: usize) -> &Planned {
        match i.checked_sub(self.pieces.len()) {
            None => &self.pieces[i],
            Some(other) => &self.others[other],
        }
    }

    pub fn is_sheet(&self) -> bool {
        self.template.manifest.kind == Kind::Sheet
    }

    /// The output file of a planned piece: unique in the run, always
    /// inside the output folder (a sheet's one file for all).
    pub fn file(&self, piece: &Planned) -> String {
        // a file name is made of fields only: no history row is read
        let person = self.persons.without_history(piece.person as usize);
        self.file_of(piece, &person)
    }

    /// [`Plan::file`] for a person already built.
    pub fn file_of(&self, piece: &Planned, person: &Person) -> String {
        match &self.sheet_file {
            Some(file) => file.clone(),
            None => Namer::file_name(&self.pattern, person, piece.suffix),
        }
    }

    /// The person of a planned piece (built from the tables).
    pub fn person(&self, piece: &Planned) -> Person {
        self.persons.get(piece.person as usize)
    }

    /// The others who share a household's piece (none for most pieces).
    pub fn household(&self, piece: &Planned) -> Vec<Person> {
        piece
            .members
            .iter()
            .map(|&m| self.persons.get(m as usize))
            .collect()
    }

    /// Ids of the others who share a piece (no person is built for the
    /// many pieces without a household).
    pub fn member_ids<'p>(&'p self, piece: &'p Planned) -> impl Iterator<Item = String> + 'p {
        piece
            .members
            .iter()
            .map(|&m| self.persons.get(m as usize).id)
    }

    /// Ids of everyone a piece goes to: `first` (the person's id, which the
    /// caller has), then the household.
    pub fn recipient_ids(&self, piece: &Planned, first: &str) -> Vec<String> {
        std::iter::once(first.to_string())
            .chain(self.member_ids(piece))
            .collect()
    }

    /// Pieces that go to a household of two or more.
    pub fn households(&self) -> impl Iterator<Item = &Planned> {
        self.pieces.iter().filter(|p| !p.members.is_empty())
    }

    /// How many were left out for each reason, in the order of
    /// [`ReasonKind::ALL`] (kinds with none are left out).
    pub fn reason_counts(&self) -> Vec<(ReasonKind, usize)> {
        ReasonKind::ALL
            .iter()
            .map(|&kind| {
                let n = self
                    .left_out
                    .iter()
                    .filter(|l| l.reason.kind() == kind)
                    .count();
                (kind, n)
            })
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Ids of those left out for one kind of reason, in input order.
    pub fn left_out_ids(&self, kind: ReasonKind) -> Vec<String> {
        self.left_out
            .iter()
            .filter(|l| l.reason.kind() == kind)
            .map(|l| self.persons.get(l.person as usize).id)
            .collect()
    }

    /// Warnings from loading, for the report.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    /// The plan as JSON rows per person: recipients and the left out,
    /// with reasons (`check --json`, `render --dry-run --json`).
    pub fn people_json(&self) -> Vec<PersonRow<'_>> {
        let mut rows: Vec<PersonRow> = Vec::new();
        for p in &self.pieces {
            let file = self.file(p);
            let household =
                (!p.members.is_empty()).then(|| self.recipient_ids(p, &self.person(p).id));
            for i in std::iter::once(p.person).chain(p.members.iter().copied()) {
                let person = self.persons.get(i as usize);
                rows.push(PersonRow {
                    insight: self.shown_summary(&person),
                    id: person.id,
                    line: person.line,
                    status: "due",
                    reason: None,
                    occasion: p.due.occasion.as_ref().map(|o| o.key.as_str()),
                    key: Some(&p.due.key),
                    file: Some(file.clone()),
                    household: household.clone(),
                });
            }
        }
        rows.extend(self.left_out.iter().map(|l| {
            let person = self.persons.get(l.person as usize);
            PersonRow {
                insight: self.shown_summary(&person),
                id: person.id,
                line: person.line,
                status: "left_out",
                reason: Some(&l.reason),
                occasion: None,
                key: None,
                file: None,
                household: None,
            }
        }));
        rows.sort_by_key(|r| r.line);
        rows
    }
}

/// One person in the plan's JSON.
#[derive(Debug, Serialize)]
pub struct PersonRow<'a> {
    pub id: String,
    pub line: u64,
    /// `due` or `left_out`.
    pub status: &'static str,
    /// Why a person is left out (`reason`: `opted_out`, `not_due`, …, with
    /// the occasion and the last piece's date where they apply).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occasion: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Everyone who shares the piece (`households`), the first one first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household: Option<Vec<String>>,
    /// Segment, scores and rhythm, for a campaign about them
    /// ([`Plan::shows_insights`]) and a person with an order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insight: Option<Summary>,
}

impl Plan {
    /// A person's segment, scores and rhythm for reports (none without an
    /// order or a history).
    pub fn summary(&self, person: &Person) -> Option<Summary> {
        let scale = self.scale.as_ref()?;
        let profile = scale.profile(&person.events)?;
        Some(profile.summary(&scale.params))
    }

    /// [`Plan::summary`] when the campaign is about segments.
    pub fn shown_summary(&self, person: &Person) -> Option<Summary> {
        self.shows_insights.then(|| self.summary(person)).flatten()
    }
}

impl Plan {
    /// Indices into [`Plan::pieces`] in the order of the print file: by
    /// postcode (domestic mail first, then abroad by country), by name, or
    /// as in the input.
    pub fn print_order(&self, order: PrintOrder, home: &str) -> Vec<usize> {
        let mut rows: Vec<usize> = (0..self.pieces.len()).collect();
        if order == PrintOrder::Input {
            return rows;
        }
        // One compact key per piece; the persons are built one at a time,
        // without their history, which the key does not use.
        let keys: Vec<Box<str>> = self
            .pieces
            .iter()
            .map(|p| {
                print_key(
                    &self.persons.without_history(p.person as usize),
                    order,
                    home,
                )
            })
            .collect();
        rows.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        rows
    }
}

impl Plan {
    /// What a piece is sorted by in the print file (ties in plan order);
    /// a shard records it so that `warmly merge` can sort the whole run.
    pub fn print_key(&self, piece: &Planned, order: PrintOrder, home: &str) -> String {
        let person = self.persons.without_history(piece.person as usize);
        print_key(&person, order, home).into()
    }
}

/// What the print file is sorted by, as one string that sorts right:
/// domestic mail first, by postcode, then abroad by country and postcode
/// (then the name); or the last name (or company), then the first name,
/// lower case.
fn print_key(person: &Person, order: PrintOrder, home: &str) -> Box<str> {
    let last = if person.get("last_name").is_empty() {
        person.get("company")
    } else {
        person.get("last_name")
    };
    let name = format!("{} {}", last, person.get("first_name")).to_lowercase();
    match order {
        PrintOrder::PostalCode => {
            let country = person.get("country");
            let abroad = !country.is_empty() && country != home;
            // U+0000 sorts before every character a field can hold.
            format!(
                "{}\0{}\0{}\0{name}",
                u8::from(abroad),
                if abroad { country } else { "" },
                person.get("postal_code"),
            )
            .into()
        }
        _ => name.into(),
    }
}
