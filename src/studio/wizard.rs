//! A new campaign from the office's own file, in the browser: pick the
//! people file (and a history file) from the folder, see what warmly
//! recognised and how the columns map, with real rows; then occasion,
//! template, motif, sender and the message with a live preview of three
//! real recipients. Nothing in the folder changes until "Create".

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::desk::Desk;

/// The wizard's routes.
pub fn routes() -> Router<Arc<Desk>> {
    Router::new().route("/home/api/files", get(files))
}

/// A file of the folder that can be a people or history file.
#[derive(Debug, Serialize)]
pub struct DataFile {
    pub name: String,
    pub bytes: u64,
    /// `csv`, `xlsx`, `vcf`, …
    pub kind: String,
}

/// The extensions warmly reads tables from.
pub const DATA_EXTENSIONS: [&str; 9] = [
    "csv", "txt", "tsv", "xlsx", "xlsm", "xlsb", "ods", "vcf", "xls",
];

/// The data files of the folder, by name.
pub fn data_files(folder: &std::path::Path) -> Vec<DataFile> {
    let mut out: Vec<DataFile> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let kind = path.extension()?.to_string_lossy().to_lowercase();
            let wanted = path.is_file()
                && !name.starts_with('.')
                && DATA_EXTENSIONS.contains(&kind.as_str());
            let bytes = e.metadata().map(|m| m.len()).unwrap_or(0);
            wanted.then_some(DataFile { name, bytes, kind })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

async fn files(State(desk): State<Arc<Desk>>) -> Response {
    Json(serde_json::json!({ "files": data_files(&desk.folder) })).into_response()
}
