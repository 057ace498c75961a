//! The studio's addresses: the page, its assets, a small JSON API, the
//! images and the files of the output folder. Work that typesets runs on
//! blocking threads; every route is behind [`super::security::guard`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{reason_text, JobState, OutputKind, Studio};
use crate::mode::Mode;
use crate::settings::TemplateSource;
use crate::state::{self, Approval};
use crate::typeset::Preflight;

type Shared = State<Arc<Studio>>;

pub fn router(studio: Arc<Studio>) -> Router {
    Router::new()
        .route("/", get(super::views::index))
        .route("/assets/{name}", get(super::views::asset))
        .route("/api/overview", get(overview))
        .route("/api/pieces", get(pieces))
        .route("/api/person/{n}", get(person))
        .route("/api/thumb/{n}", get(thumb))
        .route("/api/page/{n}/{page}", get(page))
        .route("/api/exclude", post(exclude))
        .route("/api/include", post(include))
        .route("/api/edit", post(edit))
        .route("/api/restore", post(restore))
        .route("/api/message", get(message))
        .route("/api/message/preview", post(message_preview))
        .route("/api/message/save", post(message_save))
        .route("/api/reload", post(reload))
        .route("/api/approve", post(approve))
        .route("/api/job", get(job))
        .route("/api/insights", get(insights))
        .route("/api/insights/campaign", post(win_back))
        .route("/out/{name}", get(output))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .with_state(studio)
}

/// An error for the page: a status and a sentence.
struct Oops(StatusCode, String);

impl IntoResponse for Oops {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<crate::error::Error> for Oops {
    fn from(e: crate::error::Error) -> Oops {
        let mut text = e.to_string();
        if let Some(hint) = e.hint() {
            text.push_str(&format!(" ({hint})"));
        }
        Oops(StatusCode::UNPROCESSABLE_ENTITY, text)
    }
}

fn bad(text: impl Into<String>) -> Oops {
    Oops(StatusCode::BAD_REQUEST, text.into())
}

/// Runs typesetting or file work off the async threads.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

async fn overview(State(studio): Shared) -> Response {
    let snap = studio.snapshot();
    let settings = studio.settings;
    let plan = &snap.plan;
    let left: Vec<Value> = (studio.commands.left_out)(plan)
        .into_iter()
        .map(|(kind, n, ids)| {
            json!({ "kind": kind, "label": kind.describe(), "count": n, "who": ids })
        })
        .collect();
    let people = &plan.people;
    let encoding = std::iter::once(people.format.kind.clone())
        .chain(people.format.encoding.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let (checked, total) = studio.progress();
    let approval = studio.approval().map(|(a, changed)| {
        json!({ "approved_at": a.approved_at, "by": a.by, "pieces": a.pieces, "changed": changed })
    });
    let template = match &settings.run.template {
        TemplateSource::Builtin(n) => format!("{n} (built in)"),
        TemplateSource::Folder(p) => p.display().to_string(),
    };
    let date = settings.run.date;
    no_store(
        Json(json!({
            "campaign": settings.run.name,
            "date": crate::lang::format_date("en", date, "long").unwrap_or_else(|| date.to_string()),
            "template": template,
            "people_file": settings.load.people.display().to_string(),
            "encoding": encoding,
            "rows": people.rows,
            "history_file": settings.load.history.as_ref().map(|h| h.display().to_string()),
            "messages": plan.template.messages.values().map(|(f, _)| f.clone()).collect::<Vec<_>>(),
            "out_dir": settings.output.out_dir.display().to_string(),
            "state_dir": plan.state_dir.as_ref().map(|d| d.display().to_string()),
            "persons": plan.persons.len(),
            "recipients": plan.pieces.len(),
            "left_out": left,
            "findings": snap.findings.get(),
            "checked": checked,
            "total": total,
            "approval": approval,
            "kind": plan.template.piece_kind(),
        }))
        .into_response(),
    )
}

/// One tile of the grid.
#[derive(serde::Serialize)]
struct Row<'a> {
    n: u32,
    id: String,
    name: String,
    company: String,
    postcode: String,
    city: String,
    country: String,
    /// `due` or `left`.
    status: &'static str,
    reason: String,
    kind: &'static str,
    edited: bool,
    v: String,
    info: Option<&'a super::Info>,
}

/// Every person: recipients with what the checker found, then the rest.
async fn pieces(State(studio): Shared) -> Response {
    let json = blocking(move || {
        let snap = studio.snapshot();
        let plan = &snap.plan;
        let infos: Vec<Option<Arc<super::Info>>> = (0..plan.persons.len() as u32)
            .map(|n| studio.info(n))
            .collect();
        let mut rows = Vec::with_capacity(plan.persons.len());
        for n in 0..plan.persons.len() as u32 {
            // the grid shows fields only: no history row is read
            let person = plan.persons.without_history(n as usize);
            let (status, reason, kind) = match (snap.piece_of.get(&n), snap.left_of.get(&n)) {
                (Some(_), _) => ("due", String::new(), ""),
                (None, Some(&l)) => {
                    let reason = &plan.left_out[l].reason;
                    ("left", reason_text(reason), reason.kind().as_str())
                }
                (None, None) => ("left", "left out".to_string(), ""),
            };
            rows.push(Row {
                n,
                name: person.display_name(),
                company: person.get("company").to_string(),
                postcode: person.get("postal_code").to_string(),
                city: person.get("city").to_string(),
                country: person.get("country").to_string(),
                status,
                reason,
                kind,
                edited: plan.edits.get(&person.id).is_some(),
                v: studio.version(n),
                info: infos[n as usize].as_deref(),
                id: person.id,
            });
        }
        serde_json::to_vec(&serde_json::json!({ "rows": rows })).expect("rows are plain data")
    })
    .await;
    no_store(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

fn number(n: &str) -> Result<u32, Oops> {
    n.parse().map_err(|_| bad("not a person number"))
}

async fn person(State(studio): Shared, Path(n): Path<String>) -> Result<Response, Oops> {
    let n = number(&n)?;
    let studio2 = studio.clone();
    let value = blocking(move || {
        let studio = studio2;
        let snap = studio.snapshot();
        let plan = &snap.plan;
        if n as usize >= plan.persons.len() {
            return Err(Oops(StatusCode::NOT_FOUND, "no such person".into()));
        }
        let person = plan.persons.get(n as usize);
        let events: Vec<Value> = person
            .events
            .iter()
            .filter(|e| e.date <= studio.settings.run.date)
            .rev()
            .map(|e| json!({ "date": e.date.to_string(), "kind": e.kind, "summary": e.summary, "extra": e.extra }))
            .collect();
        let fields: Vec<(String, String)> = person
            .fields
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut out = json!({
            "insight": plan.summary(&person),
            "n": n,
            "id": person.id,
            "name": person.display_name(),
            "line": person.line,
            "fields": fields,
            "events": events,
            "excluded": plan.exclusions.get(&person.id),
            "edited": plan.edits.get(&person.id),
            "v": studio.version(n),
        });
        match snap.piece_of.get(&n) {
            Some(&i) => {
                let planned = &plan.pieces[i];
                out["status"] = json!("due");
                out["occasion"] = json!(planned.due.occasion());
                out["household"] = json!(plan.recipient_ids(planned, &plan.person(planned).id));
                match super::compose(&snap, &snap.plain, i) {
                    Ok(piece) => {
                        out["composed"] = json!(state::markup_to_plain(&piece.message));
                        out["salutation"] = json!(piece.model.salutation);
                        out["closing"] = json!(piece.model.closing);
                        out["lang"] = json!(piece.lang);
                        out["address"] = json!(piece.model.recipient.address);
                        out["facts"] = json!(piece.facts);
                    }
                    Err(e) => out["compose_error"] = json!(e),
                }
                let info = studio.info(n).or_else(|| {
                    studio.thumbnail(n);
                    studio.info(n)
                });
                out["info"] = json!(info.as_deref());
            }
            None => {
                out["status"] = json!("left");
                if let Some(&l) = snap.left_of.get(&n) {
                    out["reason"] = json!(reason_text(&plan.left_out[l].reason));
                    out["kind"] = json!(plan.left_out[l].reason.kind());
                }
            }
        }
        Ok(out)
    })
    .await?;
    Ok(no_store(Json(value).into_response()))
}

fn png(bytes: Arc<Vec<u8>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            // The address carries the version: a changed piece has a new one.
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes.as_ref().clone(),
    )
        .into_response()
}

async fn thumb(State(studio): Shared, Path(n): Path<String>) -> Result<Response, Oops> {
    let n = number(&n)?;
    match blocking(move || studio.thumbnail(n)).await {
        Some(bytes) => Ok(png(bytes)),
        None => Err(Oops(
            StatusCode::NOT_FOUND,
            "no picture for this person".into(),
        )),
    }
}

async fn page(
    State(studio): Shared,
    Path((n, page)): Path<(String, String)>,
) -> Result<Response, Oops> {
    let n = number(&n)?;
    let page: usize = page.parse().map_err(|_| bad("not a page number"))?;
    if page == 0 {
        return Err(bad("pages count from 1"));
    }
    blocking(move || studio.page(n, page - 1))
        .await
        .map(png)
        .map_err(|e| Oops(StatusCode::NOT_FOUND, e))
}

#[derive(Deserialize)]
struct Who {
    id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
}

/// The person with this id, by number (for the caches).
fn find(studio: &Studio, id: &str) -> Result<u32, Oops> {
    let snap = studio.snapshot();
    let found = snap.plan.persons.iter().position(|p| p.id == id);
    found
        .map(|n| n as u32)
        .ok_or_else(|| Oops(StatusCode::NOT_FOUND, format!("no person with id {id}")))
}

async fn exclude(State(studio): Shared, Json(who): Json<Who>) -> Result<Response, Oops> {
    let reason = who.reason.trim().to_string();
    if reason.is_empty() {
        return Err(bad(
            "say in a few words why (it is kept beside the campaign)",
        ));
    }
    if reason.len() > 500 || reason.contains(['\n', '\r']) {
        return Err(bad("a reason is one short line"));
    }
    let n = find(&studio, &who.id)?;
    blocking(move || {
        studio.change(false, Some(n), |snap| {
            let (dir, mut exclusions, _) = super::state_of(snap)?;
            exclusions.set(&dir, &who.id, Some(&reason))
        })
    })
    .await?;
    Ok(Json(json!({ "ok": true })).into_response())
}

async fn include(State(studio): Shared, Json(who): Json<Who>) -> Result<Response, Oops> {
    let n = find(&studio, &who.id)?;
    blocking(move || {
        studio.change(false, Some(n), |snap| {
            let (dir, mut exclusions, _) = super::state_of(snap)?;
            exclusions.set(&dir, &who.id, None)
        })
    })
    .await?;
    Ok(Json(json!({ "ok": true })).into_response())
}

async fn edit(State(studio): Shared, Json(who): Json<Who>) -> Result<Response, Oops> {
    if who.text.trim().is_empty() {
        return Err(bad(
            "the text is empty; use \"Use the campaign's text\" to go back to the message",
        ));
    }
    if who.text.len() > 20_000 {
        return Err(bad("the text is too long for one piece"));
    }
    let n = find(&studio, &who.id)?;
    blocking(move || {
        studio.change(false, Some(n), |snap| {
            let (dir, _, mut edits) = super::state_of(snap)?;
            edits.set(&dir, &who.id, Some(who.text.trim_end()))
        })
    })
    .await?;
    Ok(Json(json!({ "ok": true })).into_response())
}

async fn restore(State(studio): Shared, Json(who): Json<Who>) -> Result<Response, Oops> {
    let n = find(&studio, &who.id)?;
    blocking(move || {
        studio.change(false, Some(n), |snap| {
            let (dir, _, mut edits) = super::state_of(snap)?;
            edits.set(&dir, &who.id, None)
        })
    })
    .await?;
    Ok(Json(json!({ "ok": true })).into_response())
}

async fn message(State(studio): Shared) -> Response {
    let snap = studio.snapshot();
    let messages: Vec<Value> = snap
        .plan
        .template
        .messages
        .iter()
        .map(|(lang, (file, source))| json!({ "lang": lang, "file": file, "source": source }))
        .collect();
    no_store(
        Json(json!({
            "messages": messages,
            "editable": studio.settings.run.messages_dir.is_some(),
        }))
        .into_response(),
    )
}

#[derive(Deserialize)]
struct Draft {
    lang: String,
    source: String,
    #[serde(default)]
    id: String,
}

/// The line an error names (`message.de.j2:15: …` or `line 15`).
fn error_line(text: &str) -> Option<u64> {
    let after = text
        .find(".j2:")
        .map(|i| &text[i + 4..])
        .or_else(|| text.find("line ").map(|i| &text[i + 5..]))?;
    after
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

async fn message_preview(State(studio): Shared, Json(draft): Json<Draft>) -> Response {
    let value = blocking(move || {
        let _first = studio.waiting();
        let snap = studio.snapshot();
        let plan = &snap.plan;
        let failed = |e: String| json!({ "ok": false, "line": error_line(&e), "error": e });
        let mut template = plan.template.clone();
        match template.messages.get_mut(&draft.lang) {
            Some(entry) => entry.1 = draft.source.clone(),
            None => return failed(format!("there is no message in \"{}\"", draft.lang)),
        }
        let composer = match crate::compose::Composer::new(&studio.settings.compose, &template) {
            Ok(c) => c.with_scale(plan.scale.clone()),
            Err(e) => return failed(e.to_string()),
        };
        let i = plan
            .pieces
            .iter()
            .position(|p| plan.person(p).id == draft.id)
            .unwrap_or(0);
        if plan.pieces.is_empty() {
            return json!({ "ok": true, "pages": [], "note": "nobody gets a piece in this run" });
        }
        let piece = match super::compose(&snap, &composer, i) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        let id = piece.id.clone();
        let warnings: Vec<String> = piece.warnings.iter().map(|w| w.message.clone()).collect();
        let typeset = super::on_stack(|| snap.engine.typesetter.typeset(&piece));
        let pages = match typeset.map_err(|e| e.to_string()).and_then(|t| {
            crate::typeset::render_pages(t.laid_out.as_deref().unwrap_or(&[]), super::PREVIEW_PPI)
        }) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        let pages: Vec<String> = pages
            .iter()
            .map(|p| format!("data:image/png;base64,{}", base64(p)))
            .collect();
        json!({ "ok": true, "id": id, "pages": pages, "warnings": warnings, "lang": piece.lang })
    })
    .await;
    no_store(Json(value).into_response())
}

async fn message_save(State(studio): Shared, Json(draft): Json<Draft>) -> Result<Response, Oops> {
    let Some(dir) = studio.settings.run.messages_dir.clone() else {
        return Err(bad(
            "the campaign uses the template's own message; give it `messages = \"folder\"` to edit it here",
        ));
    };
    if !draft
        .lang
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
        || draft.lang.is_empty()
    {
        return Err(bad("not a language"));
    }
    blocking(move || {
        studio.change(true, None, |snap| {
            let mut template = snap.plan.template.clone();
            match template.messages.get_mut(&draft.lang) {
                Some(entry) => entry.1 = draft.source.clone(),
                None => {
                    return Err(crate::error::Error::config(format!(
                        "there is no message in \"{}\"",
                        draft.lang
                    )))
                }
            }
            // A message that does not compile is not saved.
            crate::compose::Composer::new(&studio.settings.compose, &template)?;
            let name = format!("message.{}.j2", draft.lang);
            crate::write::write_atomic(&dir, &name, draft.source.as_bytes())
                .map_err(|e| crate::error::Error::io(&dir.join(&name), e))?;
            Ok(())
        })
    })
    .await?;
    Ok(Json(json!({ "ok": true })).into_response())
}

async fn reload(State(studio): Shared) -> Result<Response, Oops> {
    blocking(move || studio.change(true, None, |_| Ok(()))).await?;
    Ok(Json(json!({ "ok": true })).into_response())
}

#[derive(Deserialize)]
struct Approve {
    #[serde(default)]
    by: String,
}

/// Records the approval of the plan as it is now, then renders it and
/// makes the proof, on a thread of its own; `/api/job` tells how far.
async fn approve(State(studio): Shared, Json(approve): Json<Approve>) -> Result<Response, Oops> {
    {
        let job = studio.job.lock().expect("job lock");
        if job.state == JobState::Running {
            return Err(Oops(StatusCode::CONFLICT, "a render is running".into()));
        }
    }
    let (checked, total) = studio.progress();
    if checked < total {
        return Err(Oops(
            StatusCode::CONFLICT,
            format!(
                "still checking the pieces ({checked} of {total}); approve when all are checked"
            ),
        ));
    }
    let snap = studio.snapshot();
    let failing = snap
        .plan
        .pieces
        .iter()
        .filter(|p| {
            studio
                .info(p.person)
                .is_some_and(|i| i.preflight == Preflight::Fail)
        })
        .count();
    if failing > 0 {
        return Err(Oops(
            StatusCode::CONFLICT,
            format!("{failing} piece(s) fail: fix or exclude them first"),
        ));
    }
    if snap.plan.pieces.is_empty() {
        return Err(Oops(
            StatusCode::CONFLICT,
            "nobody gets a piece in this run".into(),
        ));
    }
    let approval = Approval {
        approved_at: state::now(),
        by: approve.by.trim().chars().take(80).collect(),
        pieces: snap.plan.pieces.len(),
        fingerprint: snap.plan.fingerprint(),
    };
    let dir = snap
        .plan
        .state_dir
        .clone()
        .ok_or_else(|| bad("no state folder"))?;
    approval.save(&dir)?;
    *studio.job.lock().expect("job lock") = super::Job {
        state: JobState::Running,
        phase: "starting".into(),
        total: snap.plan.pieces.len(),
        ..super::Job::default()
    };
    let worker = studio.clone();
    std::thread::Builder::new()
        .name("studio-render".into())
        .spawn(move || run_job(worker))
        .map_err(|e| Oops(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({ "ok": true })).into_response())
}

/// The render and the proof, reporting into the job.
fn run_job(studio: Arc<Studio>) {
    let start = std::time::Instant::now();
    let set = |f: &dyn Fn(&mut super::Job)| f(&mut studio.job.lock().expect("job lock"));
    let observe = |done: usize, total: usize| {
        let elapsed = start.elapsed().as_secs_f64();
        set(&|job| {
            job.phase = "printing the pieces".into();
            job.done = done;
            job.total = total;
            if elapsed > 1.0 && done > 0 {
                let rate = done as f64 / elapsed;
                job.rate = Some((rate * 10.0).round() / 10.0);
                job.left_s = Some((total.saturating_sub(done) as f64 / rate).round() as u64);
            }
        })
    };
    let result = super::run_settings(&studio.render_args, Mode::Render)
        .and_then(|settings| (studio.commands.render)(&settings, &observe));
    let exit = match result {
        Ok(code) => code,
        Err(e) => {
            set(&|job| {
                job.state = JobState::Failed;
                job.error = Some(e.to_string());
            });
            return;
        }
    };
    set(&|job| {
        job.phase = "making the proof sheet".into();
        job.rate = None;
        job.left_s = None;
    });
    // The ledger now holds the pieces: the proof shows them all the same.
    let mut proof_args = studio.render_args.clone();
    proof_args.force = true;
    let proof = super::run_settings(&proof_args, Mode::Proof)
        .and_then(|settings| (studio.commands.proof)(&settings));
    let outputs = outputs(&studio.settings.output.out_dir);
    set(&|job| {
        job.state = if exit == 0 {
            JobState::Done
        } else {
            JobState::Failed
        };
        job.exit = Some(exit);
        job.phase = "done".into();
        if exit != 0 {
            job.error = Some("some pieces failed: manifest.csv says which and why".into());
        }
        if let Err(e) = &proof {
            job.error = Some(format!("the proof sheet could not be made: {e}"));
        }
        job.outputs = outputs.clone();
    });
    let _ = studio.rebuild(false, None);
}

/// The files of the output folder, the ones to hand on first.
pub fn outputs(dir: &std::path::Path) -> Vec<super::Output> {
    let mut out: Vec<super::Output> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.contains(".tmp") {
                return None;
            }
            let kind = if name.starts_with("print") && name.ends_with(".pdf") {
                OutputKind::Print
            } else if name == "proof.pdf" {
                OutputKind::Proof
            } else if name == "manifest.csv" {
                OutputKind::Manifest
            } else if name.ends_with(".pdf") {
                OutputKind::Piece
            } else {
                OutputKind::Other
            };
            let bytes = e.metadata().map(|m| m.len()).unwrap_or(0);
            Some(super::Output { name, kind, bytes })
        })
        .collect();
    out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    out
}

#[derive(Deserialize)]
struct Within {
    /// Days after a piece in which an order counts as coming back.
    #[serde(default = "sixty")]
    within: i64,
}

fn sixty() -> i64 {
    60
}

/// "Who are we losing?": the insights of the studio's plan.
async fn insights(
    State(studio): Shared,
    axum::extract::Query(q): axum::extract::Query<Within>,
) -> Result<Response, Oops> {
    if !(1..=crate::occasion::MAX_WINDOW_DAYS).contains(&q.within) {
        return Err(bad("within: a number of days from 1 to 3660"));
    }
    let value = blocking(move || {
        let snap = studio.snapshot();
        let mut report = (studio.commands.insights)(studio.settings, &snap.plan, q.within);
        // Each customer at risk by their number, for the piece view.
        if let Some(rows) = report["at_risk"].as_array_mut() {
            let numbers: std::collections::HashMap<String, usize> = snap
                .plan
                .persons
                .iter()
                .enumerate()
                .map(|(n, p)| (p.id, n))
                .collect();
            for row in rows {
                let n = row["id"].as_str().and_then(|id| numbers.get(id)).copied();
                row["n"] = json!(n);
            }
        }
        report
    })
    .await;
    Ok(no_store(Json(value).into_response()))
}

/// Writes the win-back campaign beside the campaign file (`win-back.toml`,
/// else `win-back-2.toml`, …): a new file, never one that is there.
async fn win_back(State(studio): Shared) -> Result<Response, Oops> {
    let written = blocking(move || {
        let settings = studio.settings;
        let dir = settings
            .run
            .campaign
            .as_ref()
            .and_then(|c| c.parent())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let free = (1..100).map(|i| match i {
            1 => dir.join("win-back.toml"),
            i => dir.join(format!("win-back-{i}.toml")),
        });
        let path = free
            .into_iter()
            .find(|p| !p.exists() && !p.with_extension("").exists())
            .ok_or_else(|| {
                crate::error::Error::config("too many win-back campaigns here already")
            })?;
        (studio.commands.win_back)(settings, &path)
    })
    .await?;
    let (campaign, messages) = written;
    let file = campaign.display().to_string();
    // The desk serves every campaign beside this one at `/c/<name>/`.
    let open = super::desk::name_of(&campaign).map(|name| format!("../{name}/"));
    Ok(Json(json!({
        "ok": true,
        "file": file,
        "open": open,
        "messages": messages.display().to_string(),
        "check": format!("warmly check {file}"),
        "studio": format!("warmly studio {file}"),
    }))
    .into_response())
}

async fn job(State(studio): Shared) -> Response {
    let job = studio.job.lock().expect("job lock").clone();
    no_store(Json(job).into_response())
}

/// A file of the output folder, by its plain name: nothing above or
/// beside the folder can be named.
async fn output(State(studio): Shared, Path(name): Path<String>) -> Result<Response, Oops> {
    let not_found = || {
        Oops(
            StatusCode::NOT_FOUND,
            "no such file in the output folder".into(),
        )
    };
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.contains("..")
    {
        return Err(not_found());
    }
    let dir = studio.settings.output.out_dir.clone();
    let file = name.clone();
    let bytes = blocking(move || -> Option<Vec<u8>> {
        let root = dir.canonicalize().ok()?;
        let path = root.join(&file).canonicalize().ok()?;
        if path.parent()? != root || !path.is_file() {
            return None;
        }
        std::fs::read(path).ok()
    })
    .await
    .ok_or_else(not_found)?;
    Ok(bytes_with_type(&bytes, &name))
}

fn bytes_with_type(bytes: &[u8], name: &str) -> Response {
    let kind = match name.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("csv") => "text/csv; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    no_store(([(header::CONTENT_TYPE, kind)], bytes.to_vec()).into_response())
}

/// Standard base64, for the editor's preview images.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_like_everyone_else() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn error_lines_are_found() {
        assert_eq!(error_line("x/message.de.j2:15: undefined value"), Some(15));
        assert_eq!(
            error_line("syntax error (in message.de.j2 line 3)"),
            Some(3)
        );
        assert_eq!(error_line("no line"), None);
    }
}
