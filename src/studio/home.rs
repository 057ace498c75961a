//! The home page: the campaigns of the folder with their next due date and
//! last run, a calendar of the coming twelve months (who is due for what,
//! from the same plan `warmly due` makes), and the way to a new campaign
//! (`wizard.rs`).
//!
//! Looking at every campaign reads its data files, which takes a moment
//! for a long list: it happens on a thread of its own, and the page shows
//! the list at once and the figures as they come.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::desk::{name_of, Desk};
use crate::args::RenderArgs;
use crate::mode::Mode;

const HOME: &str = include_str!("assets/home.html");

/// How far ahead the home page looks.
pub const AHEAD_DAYS: i64 = 365;

/// What the home page knows of the folder's campaigns.
#[derive(Default)]
pub struct Home {
    state: Arc<Mutex<Looked>>,
}

/// The campaigns as last looked at, and what they were looked at from.
#[derive(Default, Clone, Serialize)]
struct Looked {
    /// The campaign files' names and modification times when looked at.
    #[serde(skip)]
    seen: Vec<(PathBuf, Option<SystemTime>)>,
    looking: bool,
    /// The day the calendar starts (today).
    today: Option<NaiveDate>,
    campaigns: Vec<Summary>,
}

/// One campaign on the home page.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Its name in addresses (`/c/<name>/`): the file name without `.toml`.
    pub name: String,
    pub file: String,
    /// The campaign's own name, the template, its occasion in words.
    pub title: String,
    pub template: String,
    pub occasion: String,
    /// The run date it plans for (its `date`, else today).
    pub run_date: Option<NaiveDate>,
    /// Why it cannot be planned (a data file missing, a bad row, …).
    pub error: Option<String>,
    /// The first day someone is due, and how many are due in the year.
    pub next_due: Option<NaiveDate>,
    pub due_year: usize,
    /// Due per day in the coming year.
    #[serde(skip)]
    pub due_on: BTreeMap<NaiveDate, usize>,
    /// The last run the ledger knows: its date and pieces.
    pub last_run: Option<(NaiveDate, usize)>,
    /// What the look read besides the campaign file (data files, messages,
    /// the state folder's files) and when each was last changed: a
    /// customer list saved anew or a run printed makes it look again.
    #[serde(skip)]
    pub inputs: Vec<(PathBuf, Option<SystemTime>)>,
}

/// One month of the calendar.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `2026-12`.
    pub month: String,
    /// `December 2026`.
    pub label: String,
    pub items: Vec<MonthItem>,
}

/// A campaign's pieces in a month.
#[derive(Debug, Clone, Serialize)]
pub struct MonthItem {
    pub campaign: String,
    pub title: String,
    pub occasion: String,
    pub count: usize,
    pub first: NaiveDate,
    /// Its day has passed and it was not made yet.
    pub overdue: bool,
}

impl Home {
    pub fn new(_folder: &Path) -> Home {
        Home::default()
    }

    /// The campaigns as looked at, starting a new look when the folder's
    /// campaign files or what they read changed since (or none was made
    /// yet). While a look runs nothing is compared: it is news already.
    fn current(&self, desk: &Arc<Desk>) -> Looked {
        let seen = campaign_files(&desk.folder);
        let mut state = self.state.lock().expect("home lock");
        let changed = || {
            state.seen != seen
                || state
                    .campaigns
                    .iter()
                    .any(|c| c.inputs.iter().any(|(path, when)| modified(path) != *when))
        };
        if !state.looking && changed() {
            state.looking = true;
            state.seen = seen.clone();
            state.campaigns = seen
                .iter()
                .filter_map(|(p, _)| Some(placeholder(p, name_of(p)?)))
                .collect();
            let (shared, desk) = (self.state.clone(), desk.clone());
            std::thread::Builder::new()
                .name("home".into())
                .spawn(move || {
                    let today = chrono::Local::now().date_naive();
                    let campaigns = look_all(&desk, &seen);
                    let mut state = shared.lock().expect("home lock");
                    state.campaigns = campaigns;
                    state.today = Some(today);
                    state.looking = false;
                })
                .expect("spawning the home thread");
        }
        state.clone()
    }

    /// Starts looking now, before the browser asks: it takes a moment to
    /// open, the campaigns are read meanwhile.
    pub fn start(&self, desk: &Arc<Desk>) {
        self.current(desk);
    }

    /// Look again at the next request (a campaign was written).
    pub fn forget(&self) {
        self.state.lock().expect("home lock").seen.clear();
    }
}

/// Every campaign, on as many threads as there are cores (each reads its
/// own data files), in the folder's order.
fn look_all(desk: &Desk, seen: &[(PathBuf, Option<SystemTime>)]) -> Vec<Summary> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, Summary)>> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..cores.min(seen.len()).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((path, _)) = seen.get(i) else { break };
                if let Some(summary) = look(desk, path) {
                    found.lock().expect("home lock").push((i, summary));
                }
            });
        }
    });
    let mut found = found.into_inner().expect("home lock");
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, s)| s).collect()
}

/// The campaign files of the folder, sorted, with their modification times.
fn campaign_files(folder: &Path) -> Vec<(PathBuf, Option<SystemTime>)> {
    let mut out: Vec<_> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    out.sort();
    stamped(out)
}

/// Each file with when it was last changed.
fn stamped(paths: Vec<PathBuf>) -> Vec<(PathBuf, Option<SystemTime>)> {
    paths
        .into_iter()
        .map(|p| {
            let when = modified(&p);
            (p, when)
        })
        .collect()
}

/// When a file was last changed (none: it is not there).
fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The files a campaign's plan was made from besides the campaign file,
/// with when each was changed: the data files, the messages folder's
/// files, and the state folder's (ledger, exclusions, edits' folder).
fn inputs_of(settings: &crate::settings::Settings) -> Vec<(PathBuf, Option<SystemTime>)> {
    let files_in = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let mut paths = vec![settings.load.people.clone()];
    paths.extend(settings.load.history.clone());
    paths.extend(settings.run.returns.clone());
    for dir in [&settings.run.messages_dir, &settings.run.state_dir]
        .into_iter()
        .flatten()
    {
        // The folder itself too: a file added to it (a first ledger).
        paths.push(dir.clone());
        paths.extend(files_in(dir));
    }
    stamped(paths)
}

fn placeholder(path: &Path, name: String) -> Summary {
    Summary {
        title: name.clone(),
        name,
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        template: String::new(),
        occasion: String::new(),
        run_date: None,
        error: None,
        next_due: None,
        due_year: 0,
        due_on: BTreeMap::new(),
        last_run: None,
        inputs: Vec::new(),
    }
}

/// One campaign, planned for the coming year as `warmly due --within 365d`
/// plans it. A file that is not a campaign (another TOML) is left out; a
/// campaign that cannot be planned is listed with its error.
fn look(_desk: &Desk, path: &Path) -> Option<Summary> {
    let name = name_of(path)?;
    let mut summary = placeholder(path, name);
    let text = std::fs::read_to_string(path).ok()?;
    let looks_like_campaign = ["template", "[data]", "[sender]", "[occasion]"]
        .iter()
        .any(|k| text.contains(k));
    if !looks_like_campaign {
        return None;
    }
    let args = RenderArgs {
        campaign: Some(path.to_path_buf()),
        within: Some(format!("{AHEAD_DAYS}d")),
        quiet: true,
        ..RenderArgs::default()
    };
    match plan_year(&args, &mut summary) {
        Ok(()) => {}
        Err(e) => summary.error = Some(e.to_string()),
    }
    Some(summary)
}

/// Fills in what the plan of the coming year says.
fn plan_year(args: &RenderArgs, summary: &mut Summary) -> crate::error::Result<()> {
    let settings = crate::mode::settings(args, &Mode::DryRun)?;
    summary.inputs = inputs_of(&settings);
    summary.title = settings.run.name.clone();
    summary.run_date = Some(settings.run.date);
    summary.template = match &settings.run.template {
        crate::settings::TemplateSource::Builtin(n) => n.clone(),
        crate::settings::TemplateSource::Folder(p) => p.display().to_string(),
    };
    summary.occasion = occasion_words(settings.select.occasion.as_ref());
    let plan = crate::plan::prepare(&settings, &Mode::DryRun)?;
    for piece in &plan.pieces {
        let day = piece
            .due
            .occasion()
            .map(|o| o.date)
            .unwrap_or(settings.run.date);
        *summary.due_on.entry(day).or_default() += 1 + piece.members.len();
    }
    summary.due_year = summary.due_on.values().sum();
    summary.next_due = summary.due_on.keys().next().copied();
    if let Some(ledger) = &plan.ledger {
        let mine = ledger
            .entries()
            .iter()
            .filter(|e| e.campaign == settings.run.name);
        let last = mine.clone().map(|e| e.run_date).max();
        summary.last_run = last.map(|d| (d, mine.filter(|e| e.run_date == d).count()));
    }
    Ok(())
}

/// "birthday", "7 days after an order", "Christmas (12-24)".
pub fn occasion_words(rule: Option<&crate::occasion::Rule>) -> String {
    use crate::occasion::Rule;
    match rule {
        None => "everyone, once".into(),
        Some(Rule::Fixed { date, name }) => match name {
            Some(n) if !n.trim().is_empty() => format!("{n} ({date})"),
            _ => format!("every year on {date}"),
        },
        Some(Rule::Birthday) => "birthdays".into(),
        Some(Rule::Anniversary { every: Some(n) }) if *n > 1 => {
            format!("customer anniversaries (every {n} years)")
        }
        Some(Rule::Anniversary { .. }) => "customer anniversaries".into(),
        Some(Rule::AfterEvent { event, days }) => format!("{days} days after an {event}"),
        Some(Rule::Silence { days }) => format!("no contact for {days} days"),
        Some(Rule::Lapsing { multiple, .. }) => {
            format!("customers silent for {multiple}× their own rhythm")
        }
    }
}

/// The calendar: from the month of `today` on, twelve months, each with
/// what every campaign has due in it; what is due before today and not
/// made yet is shown in the first month, as overdue.
pub fn calendar(campaigns: &[Summary], today: NaiveDate) -> Vec<Month> {
    let first = today.with_day(1).expect("day 1 exists");
    let mut months: Vec<Month> = (0..12)
        .map(|i| {
            let d = first + chrono::Months::new(i);
            Month {
                month: format!("{}-{:02}", d.year(), d.month()),
                label: d.format("%B %Y").to_string(),
                items: Vec::new(),
            }
        })
        .collect();
    for c in campaigns {
        let mut per_month: BTreeMap<usize, MonthItem> = BTreeMap::new();
        for (&day, &n) in &c.due_on {
            let overdue = day < today;
            let index = if overdue {
                0
            } else {
                let m =
                    (day.year() - first.year()) * 12 + day.month() as i32 - first.month() as i32;
                match usize::try_from(m) {
                    Ok(m) if m < 12 => m,
                    _ => continue,
                }
            };
            let item = per_month.entry(index).or_insert_with(|| MonthItem {
                campaign: c.name.clone(),
                title: c.title.clone(),
                occasion: c.occasion.clone(),
                count: 0,
                first: day,
                overdue: false,
            });
            item.count += n;
            item.first = item.first.min(day);
            item.overdue |= overdue;
        }
        for (index, item) in per_month {
            months[index].items.push(item);
        }
    }
    months
}

/// The home page's routes (the wizard's too).
pub fn routes() -> Router<Arc<Desk>> {
    Router::new()
        .route("/home/api/campaigns", get(campaigns))
        .merge(super::wizard::routes())
}

/// `/`: the home page.
pub async fn page(State(desk): State<Arc<Desk>>) -> Response {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let folder = desk
        .folder
        .canonicalize()
        .unwrap_or_else(|_| desk.folder.clone());
    let html = env.template_from_str(HOME).and_then(|t| {
        t.render(minijinja::context! {
            token => desk.gate.token.clone(),
            folder => folder.display().to_string(),
        })
    });
    match html {
        Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The campaigns, the calendar, and whether they are still being looked at.
async fn campaigns(State(desk): State<Arc<Desk>>) -> Response {
    let looked = {
        let desk = desk.clone();
        tokio::task::spawn_blocking(move || desk.home.current(&desk))
            .await
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))
    };
    let today = looked
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let body = serde_json::json!({
        "folder": desk.folder.display().to_string(),
        "looking": looked.looking,
        "today": today,
        "campaigns": looked.campaigns,
        "calendar": calendar(&looked.campaigns, today),
    });
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("a header"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, days: &[(&str, usize)]) -> Summary {
        let mut s = placeholder(Path::new("x.toml"), name.into());
        for (d, n) in days {
            s.due_on.insert(d.parse().unwrap(), *n);
        }
        s
    }

    #[test]
    fn the_calendar_groups_a_year_by_month_with_the_overdue_first() {
        let today: NaiveDate = "2026-12-04".parse().unwrap();
        let birthdays = summary(
            "birthday",
            &[
                ("2026-12-10", 2),
                ("2026-12-20", 1),
                ("2027-03-14", 1),
                ("2027-12-01", 5),
            ],
        );
        let christmas = summary("christmas", &[("2026-12-01", 30)]);
        let months = calendar(&[birthdays, christmas], today);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].month, "2026-12");
        assert_eq!(months[0].label, "December 2026");
        assert_eq!(months[11].month, "2027-11");
        let dec: Vec<(&str, usize, bool)> = months[0]
            .items
            .iter()
            .map(|i| (i.campaign.as_str(), i.count, i.overdue))
            .collect();
        assert_eq!(dec, [("birthday", 3, false), ("christmas", 30, true)]);
        assert_eq!(months[3].items[0].count, 1); // March 2027
                                                 // December 2027 lies beyond the twelve months shown.
        assert_eq!(months.iter().map(|m| m.items.len()).sum::<usize>(), 3);
    }
}
