//! The command line, as clap derive structs. `config.rs` turns these into one
//! validated [`crate::config::Config`]; nothing here touches the file system.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Personal, print-ready PDF greeting cards and letters from a customer list
/// and each customer's history.
#[derive(Debug, Parser)]
#[command(name = "warmly", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render one PDF per recipient, a combined print file and a manifest.
    #[command(after_help = RENDER_EXAMPLES)]
    Render(RenderArgs),
}

const RENDER_EXAMPLES: &str = "\
Examples:
  warmly render samples/christmas-2026.toml
  warmly render samples/thank-you.toml --date 2026-11-30 --force
  warmly render --template letter --people customers.csv --history history.csv
  warmly render --template ./my-card --people customers.csv --out out/cards --jobs 2";

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Campaign file (TOML): template, data files, sender, texts, selection.
    pub campaign: Option<PathBuf>,

    /// Built-in template (`letter`, `card`) or a path to a template folder.
    #[arg(long, short = 't')]
    pub template: Option<String>,

    /// The people table (CSV).
    #[arg(long, short = 'p')]
    pub people: Option<PathBuf>,

    /// The relationship history (CSV: person_id, date, kind, summary, …).
    #[arg(long)]
    pub history: Option<PathBuf>,

    /// Output folder [default: out/<campaign or template name>].
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,

    /// Run date (YYYY-MM-DD): the date on the letters and the "today" of all
    /// history helpers [default: the campaign's date, else today].
    #[arg(long, env = "WARMLY_DATE")]
    pub date: Option<String>,

    /// Default language for recipients without one (de, en).
    #[arg(long)]
    pub language: Option<String>,

    /// Extra folder with fonts (.otf/.ttf), added after the bundled ones.
    #[arg(long, value_name = "DIR")]
    pub font_path: Vec<PathBuf>,

    /// Documents typeset in parallel [default: all cores].
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,

    /// Regenerate outputs that already exist (they are kept otherwise).
    #[arg(long)]
    pub force: bool,

    /// Instead of PDFs, write each recipient's `data.json` and `message.typ`
    /// into DIR/<file name>/ — to develop a template in the Typst app with
    /// real data, or to feed other tools.
    #[arg(long, value_name = "DIR")]
    pub export_inputs: Option<PathBuf>,

    /// No progress line (errors and the summary are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
