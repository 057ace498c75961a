//! The `warmly` binary: parse arguments, run, print the report, exit.

use std::process::ExitCode;

use clap::Parser;
use warmly::args::{Cli, Command};
use warmly::config::{Config, Sink};
use warmly::error::Error;
use warmly::report;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => Config::from_render_args(&args).and_then(|config| {
            let report = warmly::run::render(&config)?;
            report::print_render(&report, config.quiet);
            Ok(report.exit_code())
        }),
        Command::Check(args) => Config::from_render_args(&args.run).and_then(|config| {
            let report = warmly::check::check(&config)?;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("the report is plain data")
                );
            } else {
                warmly::check::print(&report);
            }
            Ok(report.exit_code())
        }),
        Command::Proof(args) => Config::from_render_args(&args).and_then(|mut config| {
            config.sink = Sink::Proof;
            let report = warmly::run::render(&config)?;
            report::print_render(&report, config.quiet);
            Ok(report.exit_code())
        }),
        Command::Preview(args) => Config::from_render_args(&args.run).and_then(|mut config| {
            if !(10.0..=1200.0).contains(&args.ppi) {
                return Err(Error::config(format!(
                    "--ppi {}: use 10 to 1200 pixels per inch",
                    args.ppi
                )));
            }
            config.sink = Sink::Preview {
                id: args.id.clone(),
                ppi: args.ppi,
            };
            let report = warmly::run::render(&config)?;
            report::print_render(&report, config.quiet);
            Ok(report.exit_code())
        }),
        Command::Due(args) => warmly::due::due(&args).map(|rows| {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).expect("the rows are plain data")
                );
            } else {
                warmly::due::print(&rows);
            }
            warmly::error::EXIT_OK
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            print_error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

fn print_error(error: &Error) {
    eprintln!("error: {error}");
    if let Some(hint) = error.hint() {
        eprintln!("hint: {hint}");
    }
    eprintln!("nothing was written.");
}
