//! The page and its assets, all inside the binary: the studio loads
//! nothing from other hosts and works offline. The page is one HTML shell
//! made with minijinja; `studio.js` fills it from the JSON API.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::Studio;

const INDEX: &str = include_str!("assets/index.html");
const CSS: &str = include_str!("assets/studio.css");
const JS: &str = include_str!("assets/studio.js");
const HOME_JS: &str = include_str!("assets/home.js");
/// The bundled Inter (the same files the templates use).
const INTER: &[u8] = include_bytes!("../../fonts/Inter-Regular.otf");
const INTER_SEMIBOLD: &[u8] = include_bytes!("../../fonts/Inter-SemiBold.otf");

/// The page: campaign, run date and template are in it from the start;
/// the token is repeated in a header by every change the page makes.
pub async fn index(State(studio): State<Arc<Studio>>) -> Response {
    let settings = studio.settings;
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let template = match env.template_from_str(INDEX) {
        Ok(t) => t,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let snap = studio.snapshot();
    let html = template.render(minijinja::context! {
        campaign => settings.run.name.clone(),
        date => crate::lang::format_date("en", settings.run.date, "long").unwrap_or_else(|| settings.run.date.to_string()),
        template => snap.plan.template.name.clone(),
        kind => snap.plan.template.piece_kind(),
        accent => settings.compose.theme.get("primary").cloned().unwrap_or_default(),
        token => studio.gate.token.clone(),
    });
    match html {
        Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `/assets/<name>`: only the files above, by name.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (kind, bytes): (&str, &[u8]) = match name.as_str() {
        "studio.css" => ("text/css; charset=utf-8", CSS.as_bytes()),
        "studio.js" => ("text/javascript; charset=utf-8", JS.as_bytes()),
        "home.js" => ("text/javascript; charset=utf-8", HOME_JS.as_bytes()),
        "inter.otf" => ("font/otf", INTER),
        "inter-semibold.otf" => ("font/otf", INTER_SEMIBOLD),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response()
}
