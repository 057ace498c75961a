//! `warmly studio CAMPAIGN`: serves the studio (see `studio/`) on
//! 127.0.0.1, prints its address with this start's token, opens the
//! browser (unless `--no-open`) and runs until Ctrl-C. The commands the
//! page runs — render, proof, check — are handed to it from here.

use std::sync::Arc;

use crate::args::StudioArgs;
use crate::engine::Engine;
use crate::error::{Error, Problem, Result, Severity};
use crate::plan::Plan;
use crate::settings::Settings;
use crate::studio::{Commands, Finding, Level, Observer, Studio, THUMB_PPI};

pub fn run(settings: Settings, args: &StudioArgs) -> Result<u8> {
    // The studio lives until the process ends; its engine borrows this.
    let settings: &'static Settings = Box::leak(Box::new(settings));
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
    let studio = Studio::new(settings, args.run.clone(), commands)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port)).map_err(|e| {
        Error::config(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
            .with_hint("choose another port with --port, or leave it out for a free one")
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::config(format!("listening: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::config(format!("listening: {e}")))?
        .port();
    let _ = studio.port.set(port);
    let url = format!("http://127.0.0.1:{port}/?token={}", studio.token);
    crate::outln!("studio: {url}");
    crate::errln!(
        "{} recipient(s) in {}; Ctrl-C ends the studio",
        studio.snapshot().plan.pieces.len(),
        settings.run.name
    );
    studio.start_checker();
    if !args.no_open {
        open_browser(&url);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(crate::engine::STACK_SIZE)
        .enable_all()
        .build()
        .map_err(|e| Error::config(format!("starting the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::config(format!("listening: {e}")))?;
        axum::serve(listener, crate::studio::routes::router(Arc::clone(&studio)))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Error::config(format!("serving: {e}")))
    })?;
    crate::errln!("studio ended");
    Ok(crate::error::EXIT_OK)
}

/// The studio's engine: thumbnails of every page and the laid-out pages
/// kept for reading-size images.
fn engine<'a>(settings: &'a Settings, plan: &Plan) -> Result<Engine<'a>> {
    let format = plan.template.manifest.resolve_format(
        settings.compose.print.format.as_deref(),
        &plan.template.name,
    )?;
    let checks = super::checks(settings, plan, &format, Some(THUMB_PPI), true);
    Engine::new(settings, plan, checks)
}

/// What `warmly check` finds, for the overview.
fn findings(settings: &Settings) -> Result<Vec<Finding>> {
    let report = super::check::check(settings)?;
    let mut out: Vec<Finding> = report
        .empty_fields
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
    out.extend(report.problems.iter().map(|p: &Problem| Finding {
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
