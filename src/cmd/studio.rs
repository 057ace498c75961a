//! `warmly studio [CAMPAIGN | FOLDER]`: serves the studio (see `studio/`)
//! on 127.0.0.1 — a campaign's page, or the home page of a folder of
//! campaigns — prints its address with this start's token, opens the
//! browser (unless `--no-open`) and runs until Ctrl-C. The commands the
//! page runs — render, proof, check — are handed to it from here.

use std::path::PathBuf;
use std::sync::Arc;

use crate::args::StudioArgs;
use crate::engine::Engine;
use crate::error::{Error, Problem, Result, Severity};
use crate::plan::Plan;
use crate::settings::Settings;
use crate::studio::desk::{self, Desk};
use crate::studio::{Commands, Finding, Level, Observer, THUMB_PPI};

pub fn run(args: &StudioArgs) -> Result<u8> {
    let commands = Commands {
        engine,
        render: |settings: &Settings, observer: &Observer<'_>| {
            super::render::run_observed(settings, Some(observer))
        },
        proof: super::proof::run,
        findings,
        left_out: |plan: &Plan| super::left_out(plan, usize::MAX),
        insights: |settings: &Settings, plan: &Plan, within: i64| {
            serde_json::to_value(super::insights::report_of(settings, plan, within))
                .expect("the report is plain data")
        },
        win_back: |settings: &Settings, path: &std::path::Path| {
            super::win_back::write(settings, path).map(|w| (w.campaign, w.messages))
        },
    };
    let (folder, started) = folder_and_campaign(args.run.campaign.clone())?;
    let mut base = args.run.clone();
    base.campaign = None;
    let desk = Desk::new(folder, started.clone(), base, commands)?;
    let (listener, port) = listen(args.port)?;
    let _ = desk.gate.port.set(port);
    let path = match &started {
        Some(name) => {
            let (studio, _) = desk.studio(name)?;
            crate::errln!(
                "{} recipient(s) in {}; Ctrl-C ends the studio",
                studio.snapshot().plan.pieces.len(),
                studio.settings.run.name
            );
            format!("/c/{name}/")
        }
        None => {
            desk.home.start(&desk);
            crate::errln!(
                "campaigns in {}; Ctrl-C ends the studio",
                desk.folder.display()
            );
            "/".to_string()
        }
    };
    let url = format!("http://127.0.0.1:{port}{path}?token={}", desk.gate.token);
    crate::outln!("studio: {url}");
    if !args.no_open {
        open_browser(&url);
    }
    serve(listener, desk)?;
    crate::errln!("studio ended");
    Ok(crate::error::EXIT_OK)
}

/// A campaign file opens its studio (read now: a bad campaign stops
/// here, as a render would), a folder — or none, the working folder —
/// the home page with its campaigns.
fn folder_and_campaign(given: Option<PathBuf>) -> Result<(PathBuf, Option<String>)> {
    let given = given.unwrap_or_else(|| PathBuf::from("."));
    Ok(if given.is_dir() {
        (given, None)
    } else {
        let name = desk::name_of(&given).ok_or_else(|| {
            Error::config(format!(
                "{}: not a campaign file (.toml) or a folder",
                given.display()
            ))
            .with_hint("warmly studio samples/christmas-2026.toml, or warmly studio samples/")
        })?;
        let parent = given.parent().filter(|p| !p.as_os_str().is_empty());
        (
            parent.map_or_else(|| PathBuf::from("."), PathBuf::from),
            Some(name),
        )
    })
}

/// Listens on 127.0.0.1 (port 0: a free one) and says which port it got.
fn listen(port: u16) -> Result<(std::net::TcpListener, u16)> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        Error::config(format!("cannot listen on 127.0.0.1:{port}: {e}"))
            .with_hint("choose another port with --port, or leave it out for a free one")
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::config(format!("listening: {e}")))?
        .port();
    Ok((listener, port))
}

/// Serves the desk until Ctrl-C.
fn serve(listener: std::net::TcpListener, desk: Arc<Desk>) -> Result<()> {
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::config(format!("listening: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(crate::engine::STACK_SIZE)
        .enable_all()
        .build()
        .map_err(|e| Error::config(format!("starting the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::config(format!("listening: {e}")))?;
        axum::serve(listener, desk::router(desk))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Error::config(format!("serving: {e}")))
    })
}

/// The studio's engine: thumbnails of every page and the laid-out pages
/// kept for reading-size images.
fn engine<'a>(settings: &'a Settings, plan: &Plan) -> Result<Engine<'a>> {
    let format = plan.template.manifest.resolve_format(
        settings.compose.print.format.as_deref(),
        &plan.template.name,
    )?;
    let mut checks = super::checks(settings, plan, &format, Some(THUMB_PPI), true);
    // A card's outside is the same for everyone: its inside, with the
    // address and the text, tells the pieces apart.
    let card = plan.template.closing_style() == "card";
    checks.render_page = Some(usize::from(card));
    Engine::new(settings, plan, checks)
}

/// What `warmly check` finds in the studio's plan, for the overview.
fn findings(settings: &Settings, plan: &Plan) -> Result<Vec<Finding>> {
    let (problems, empty_fields) = super::check::review(settings, plan)?;
    let mut out: Vec<Finding> = empty_fields
        .iter()
        .map(|(field, ids)| Finding {
            severity: Level::Note,
            text: format!(
                "the messages use {field}, which is empty for {} recipient(s): {}",
                ids.len(),
                crate::report::some_ids(ids)
            ),
        })
        .collect();
    out.extend(problems.iter().map(|p: &Problem| Finding {
        severity: match p.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        },
        text: p.to_string(),
    }));
    Ok(out)
}

/// Asks the desktop to open the address (the one program warmly starts,
/// and only here); where that fails the printed address is enough.
fn open_browser(url: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
