//! `warmly render --dry-run`: the plan, and nothing else. Each recipient
//! on stdout (`id`, occasion key, file), who is left out and why on
//! stderr — or the whole plan per person with `--json`. Writes nothing.

use crate::error::{Result, EXIT_OK};
use crate::mode::Mode;
use crate::plan;
use crate::settings::Settings;
use crate::{errln, outln};

pub fn run(settings: &Settings) -> Result<u8> {
    let plan = plan::prepare(settings, &Mode::DryRun)?;
    if settings.run.json {
        let json =
            serde_json::to_string_pretty(&plan.people_json()).expect("the plan is plain data");
        outln!("{json}");
        return Ok(EXIT_OK);
    }
    let report = super::report(settings, &plan);
    crate::report::print_problems("warning", &report.problems, false);
    for piece in &plan.pieces {
        outln!(
            "{}\t{}\t{}",
            plan.recipient_ids(piece, &plan.person(piece).id)
                .join(" + "),
            piece.due.key,
            plan.file(piece)
        );
    }
    for (kind, n, first) in &report.left_out {
        errln!(
            "left out {n}: {}{}",
            kind.describe(),
            if first.is_empty() {
                String::new()
            } else {
                format!(
                    " ({}{})",
                    first.join(", "),
                    if *n > first.len() { ", …" } else { "" }
                )
            }
        );
    }
    let shard = settings
        .run
        .shard
        .map(|s| format!(" by shard {s} (into {})", settings.output.out_dir.display()))
        .unwrap_or_default();
    errln!(
        "dry run: {} piece(s) would be produced{shard}; nothing was written",
        plan.pieces.len()
    );
    Ok(EXIT_OK)
}
