//! The server over a folder of campaigns: the home page (`home.rs`) at `/`,
//! each campaign's studio at `/c/<campaign>/` (opened when first asked
//! for), the assets, and one gate in front of all of it.
//!
//! ```text
//! /                 home page: campaigns, calendar, new campaign
//! /home/api/…       its JSON
//! /c/<name>/…       the studio of <folder>/<name>.toml (routes.rs), opened on demand
//! /assets/…         page, CSS, JS, font — all in the binary
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use tower::ServiceExt;

use super::security::{guard, Gate};
use super::{Commands, Studio};
use crate::args::RenderArgs;
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::settings::Settings;

/// The running server.
pub struct Desk {
    /// The folder whose campaigns the home page lists and creates.
    pub folder: PathBuf,
    pub gate: Arc<Gate>,
    pub commands: Commands,
    /// The studio's command line (jobs, fonts, …), for every campaign it opens.
    args: RenderArgs,
    /// The campaign named on the command line, if one was: its `--out`
    /// and `--state` are its own.
    started: Option<String>,
    /// The campaigns opened so far, by name, with their routes.
    open: Mutex<HashMap<String, (Arc<Studio>, Router)>>,
    /// One campaign is opened at a time (reading a large list takes a
    /// moment; two requests for it must not read it twice).
    opening: Mutex<()>,
    pub home: super::home::Home,
    /// The new-campaign wizard's preview plan.
    pub wizard: super::wizard::Drafts,
}

impl Desk {
    /// A desk over `folder`; `started` is the campaign given on the command
    /// line (by name, a `.toml` in the folder).
    pub fn new(
        folder: PathBuf,
        started: Option<String>,
        args: RenderArgs,
        commands: Commands,
    ) -> Result<Arc<Desk>> {
        if !folder.is_dir() {
            return Err(Error::config(format!("{}: not a folder", folder.display()))
                .with_hint("name a campaign file or the folder that holds your campaigns"));
        }
        Ok(Arc::new(Desk {
            home: super::home::Home::new(&folder),
            wizard: Default::default(),
            folder,
            gate: Arc::new(Gate::new()?),
            commands,
            args,
            started,
            open: Mutex::default(),
            opening: Mutex::default(),
        }))
    }

    /// The campaign file of `name`, if it is one directly in the folder.
    pub fn campaign_file(&self, name: &str) -> Option<PathBuf> {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains(['/', '\\', '\0'])
            && name == crate::write::sanitize_component(name);
        let path = self.folder.join(format!("{name}.toml"));
        (plain && path.is_file()).then_some(path)
    }

    /// The studio of campaign `name`, opened now if it is not yet.
    pub fn studio(self: &Arc<Self>, name: &str) -> Result<(Arc<Studio>, Router)> {
        if let Some(open) = self.open.lock().expect("open lock").get(name) {
            return Ok(open.clone());
        }
        let _one = self.opening.lock().expect("opening lock");
        if let Some(open) = self.open.lock().expect("open lock").get(name) {
            return Ok(open.clone());
        }
        let path = self.campaign_file(name).ok_or_else(|| {
            Error::config(format!(
                "no campaign \"{name}\" in {}",
                self.folder.display()
            ))
            .with_hint("go back to the list of campaigns")
        })?;
        let mut args = self.args.clone();
        if self.started.as_deref() != Some(name) {
            (args.out, args.state) = (None, None);
        }
        args.campaign = Some(path);
        let settings = crate::mode::settings(&args, &Mode::Studio)?;
        // The studio lives until the process ends; its engine borrows this.
        let settings: &'static Settings = Box::leak(Box::new(settings));
        let studio = Studio::new(settings, args, self.commands, self.gate.clone())?;
        studio.start_checker();
        let router = super::routes::router(studio.clone());
        let open = (studio, router);
        self.open
            .lock()
            .expect("open lock")
            .insert(name.to_string(), open.clone());
        Ok(open)
    }

    /// Forgets an open campaign, so it is read again when next asked for
    /// (it was written anew).
    pub fn close(&self, name: &str) {
        self.open.lock().expect("open lock").remove(name);
    }
}

/// Every route, behind the gate.
pub fn router(desk: Arc<Desk>) -> Router {
    Router::new()
        .route("/", get(super::home::page))
        .route("/assets/{name}", get(super::views::asset))
        .merge(super::home::routes())
        .route("/c/{name}", get(to_slash))
        .route("/c/{name}/", any(campaign))
        .route("/c/{name}/{*rest}", any(campaign))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(axum::middleware::from_fn_with_state(
            desk.gate.clone(),
            guard,
        ))
        .with_state(desk)
}

/// `/c/name` → `/c/name/`, so the page's relative addresses resolve.
async fn to_slash(UrlPath(name): UrlPath<String>) -> Response {
    let to = format!("/c/{}/", crate::write::sanitize_component(&name));
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// A request for a campaign's studio, handed to its routes with the
/// `/c/<name>` prefix taken off.
async fn campaign(State(desk): State<Arc<Desk>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let rest = path
        .strip_prefix("/c/")
        .and_then(|p| p.split_once('/'))
        .map(|(name, rest)| (name.to_string(), rest.to_string()));
    let Some((name, rest)) = rest else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let name = percent_encoding::percent_decode_str(&name)
        .decode_utf8_lossy()
        .into_owned();
    let opened = {
        let desk = desk.clone();
        let name = name.clone();
        tokio::task::spawn_blocking(move || desk.studio(&name))
            .await
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))
    };
    let router = match opened {
        Ok((_, router)) => router,
        Err(e) => return cannot_open(&name, &e, rest.is_empty()),
    };
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    // A new request, not the old one's parts: its extensions hold this
    // router's path parameters, which the campaign's routes would see too.
    let (parts, body) = request.into_parts();
    let mut inner = Request::new(body);
    *inner.method_mut() = parts.method;
    *inner.uri_mut() = format!("/{rest}{query}")
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    *inner.version_mut() = parts.version;
    *inner.headers_mut() = parts.headers;
    router
        .oneshot(inner)
        .await
        .unwrap_or_else(|never| match never {})
}

/// A campaign that cannot be opened: for the page, a page that says what
/// is wrong and links back; for the page's requests, the error as JSON.
fn cannot_open(name: &str, e: &Error, page: bool) -> Response {
    let mut text = e.to_string();
    if let Some(hint) = e.hint() {
        text.push_str(&format!("\n{hint}"));
    }
    if !page {
        let body = serde_json::json!({ "error": text });
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
    }
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{0} · warmly studio</title><link rel=\"stylesheet\" href=\"/assets/studio.css\"></head>\
         <body class=\"home\"><main class=\"home-main\"><p><a href=\"/\">← All campaigns</a></p>\
         <h1>{0} cannot be opened</h1><div class=\"banner error\" role=\"alert\"><pre>{1}</pre></div>\
         <p>Fix the file it names, then open the campaign again.</p></main></body></html>",
        escape(name),
        escape(&text)
    );
    let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("a header"));
    response
}

/// The name a campaign file goes by in addresses: its file name without
/// `.toml`.
pub fn name_of(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    (path.extension().is_some_and(|e| e == "toml")).then_some(stem)
}
