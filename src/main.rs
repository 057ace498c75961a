//! The `warmly` binary: parse the arguments, build the configuration, hand
//! it to the command, exit with its code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use warmly::args::{Cli, Command};
use warmly::cmd;
use warmly::config::{Config, Mode};

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
