//! The `warmly` binary: parse the arguments, build the configuration, hand
//! it to the command, exit with its code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use warmly::args::{Cli, Command};
use warmly::cmd;
use warmly::config::{Config, Mode};

fn main() -> ExitCode {
    warmly::timing::begin();
    warmly::return_memory_promptly();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => Config::from_render_args(&args).and_then(|c| cmd::render(&c)),
        Command::Check(args) => {
            Config::for_mode(&args.run, Mode::Check).and_then(|c| cmd::check::run(&c))
        }
        Command::Proof(args) => {
            Config::for_mode(&args, Mode::Proof).and_then(|c| cmd::proof::run(&c))
        }
        Command::Preview(args) => {
            let mode = Mode::Preview {
                id: args.id.clone(),
                ppi: args.ppi,
            };
            Config::for_mode(&args.run, mode)
                .and_then(|c| cmd::preview::run(&c, &args.id, args.ppi))
        }
        Command::Due(args) => cmd::due::run(&args),
        Command::Studio(args) => {
            Config::for_mode(&args.run, Mode::Studio).and_then(|c| cmd::studio::run(c, &args))
        }
        Command::Merge(args) => cmd::merge::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            warmly::report::print_error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
