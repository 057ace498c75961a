//! The `warmly` binary: parse the arguments, resolve the settings for the
//! command's mode, hand them to the command, exit with its code. Nothing
//! else lives here but the allocator.

use std::process::ExitCode;

use clap::Parser;
use warmly::args::{Cli, Command};
use warmly::cmd;
use warmly::mode::{self, Mode};

/// mimalloc, without transparent huge pages: memory a piece frees is reused
/// by the next on any thread and given back to the system, so a long run
/// stays flat where glibc's per-thread arenas kept growing (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` (the option's place in its `mi_option_e`;
/// libmimalloc-sys names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory a piece frees goes back to the system at once rather than after
/// mimalloc's default 10 ms, which it only checks now and then: with the
/// default a long run crept up by about 0.5 KiB a piece (allocator
/// retention, not a leak: 20 000 letters ended at 75 MiB, with this at 64;
/// BENCHMARKS.md). Called first thing in `main`. An operator's own
/// `MIMALLOC_PURGE_DELAY` (mimalloc reads it at start) is left as it is.
fn return_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: sets an allocator option; valid at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

fn main() -> ExitCode {
    warmly::timing::begin();
    return_memory_promptly();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => Mode::of_render(&args)
            .and_then(|mode| mode::settings(&args, &mode).and_then(|s| cmd::render(&s, &mode))),
        Command::Check(args) => {
            mode::settings(&args.run, &Mode::Check).and_then(|s| cmd::check::run(&s))
        }
        Command::Proof(args) => {
            mode::settings(&args, &Mode::Proof).and_then(|s| cmd::proof::run(&s))
        }
        Command::Preview(args) => {
            let mode = Mode::Preview {
                id: args.id.clone(),
                ppi: args.ppi,
            };
            mode::settings(&args.run, &mode).and_then(|s| cmd::preview::run(&s, &args.id, args.ppi))
        }
        Command::Due(args) => cmd::due::run(&args),
        Command::Studio(args) => cmd::studio::run(&args),
        Command::Merge(args) => cmd::merge::run(&args),
        Command::New(args) => cmd::new::run(&args),
        Command::Insights(args) => cmd::insights::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            warmly::report::print_error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
