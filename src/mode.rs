//! What a command does with its plan: one value, set by the command (and,
//! for `render`, by `--dry-run`, `--export-inputs` or `--test-grid`). It is
//! not a setting of the campaign: the same settings serve every mode.

use std::path::PathBuf;

use crate::args::RenderArgs;
use crate::error::{Error, Result};
use crate::settings::Settings;

#[derive(Debug, Clone, Default, PartialEq)]
pub enum Mode {
    /// PDFs, manifest, print file, ledger (`warmly render`).
    #[default]
    Render,
    /// Show who would get what, and why the others do not; write nothing.
    DryRun,
    /// Read everything and compose every recipient without typesetting
    /// (`warmly check`): data errors are reported, not fatal.
    Check,
    /// Write each recipient's typesetter inputs into this folder instead of PDFs.
    ExportInputs(PathBuf),
    /// Write only the printer test grid.
    TestGrid,
    /// One proof sheet with thumbnails, nothing else (`warmly proof`).
    Proof,
    /// PNG images of one recipient's pages (`warmly preview`), even when
    /// the ledger says the piece was produced.
    Preview { id: String, ppi: f32 },
    /// The studio (`warmly studio`): the plan a render would make, looked
    /// at piece by piece in the browser; its render runs as `Render`.
    Studio,
}

impl Mode {
    /// The mode of `warmly render`: its flags exclude each other.
    pub fn of_render(args: &RenderArgs) -> Result<Mode> {
        let modes = [
            args.dry_run.then_some(Mode::DryRun),
            args.export_inputs.clone().map(Mode::ExportInputs),
            args.test_grid.then_some(Mode::TestGrid),
        ];
        match modes.into_iter().flatten().collect::<Vec<_>>().as_slice() {
            [] => Ok(Mode::Render),
            [one] => Ok(one.clone()),
            _ => Err(Error::config(
                "--dry-run, --export-inputs and --test-grid exclude each other",
            )
            .with_hint("pick one of them for this run")),
        }
    }

    /// Only a real render writes state: it takes the lock and adds to the ledger.
    pub fn writes_state(&self) -> bool {
        *self == Mode::Render
    }

    /// Checks that the settings make sense in this mode: `--json` is for
    /// answers a script reads, a shard is a part of a render, a preview
    /// has a sensible resolution.
    pub fn check(&self, settings: &Settings) -> Result<()> {
        if let Mode::Preview { ppi, .. } = self {
            if !(10.0..=1200.0).contains(ppi) {
                return Err(Error::config(format!(
                    "--ppi {ppi}: use 10 to 1200 pixels per inch"
                )));
            }
        }
        if settings.run.json && !matches!(self, Mode::Check | Mode::DryRun) {
            return Err(
                Error::config("--json works with `warmly check` and `render --dry-run`")
                    .with_hint("render, proof and preview write files; their report is on stderr"),
            );
        }
        match (&settings.run.shard, self) {
            (None, _) | (Some(_), Mode::Render | Mode::DryRun | Mode::Check) => Ok(()),
            (Some(shard), _) => Err(Error::config(format!(
                "--shard {shard}: shards work with `render`, `render --dry-run` and `check`"
            ))
            .with_hint(
                "proofs, previews, exported inputs and the test grid are for the whole run",
            )),
        }
    }
}

/// The settings of a run in `mode`, checked together.
pub fn settings(args: &RenderArgs, mode: &Mode) -> Result<Settings> {
    let settings = Settings::resolve(args)?;
    mode.check(&settings)?;
    Ok(settings)
}
