//! The human-readable summary of a run, printed to stderr.

use crate::run::Report;

/// Prints what a render did: failures first (they need action), then the
/// counts and where the files are.
pub fn print_render(report: &Report, quiet: bool) {
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if !quiet {
        for (id, warning) in &report.piece_warnings {
            eprintln!("warning: {id}: {warning}");
        }
    }
    for failure in &report.failed {
        eprintln!(
            "failed: {} ({} line {}): {}",
            failure.id,
            report.people_file.display(),
            failure.line,
            failure.reason
        );
    }
    if !report.kept.is_empty() {
        eprintln!(
            "kept {} existing file(s) unchanged (use --force to regenerate): {}{}",
            report.kept.len(),
            report
                .kept
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if report.kept.len() > 3 { ", …" } else { "" }
        );
    }
    if !report.opted_out.is_empty() {
        eprintln!(
            "left out {} person(s) who opted out: {}",
            report.opted_out.len(),
            report.opted_out.join(", ")
        );
    }
    if report.already_done > 0 {
        eprintln!(
            "skipped {} recipient(s) the ledger says were already produced (use --force to regenerate)",
            report.already_done
        );
    }
    if !report.capped.is_empty() {
        eprintln!(
            "left out {} recipient(s) who got a piece too recently (policy.min_days_between): {}",
            report.capped.len(),
            report.capped.join(", ")
        );
    }
    if let Some(grid) = &report.test_grid {
        eprintln!(
            "test grid: {} (print it on plain paper at 100 % / \"actual size\" and hold it against the label sheet or envelope, or fold it into the window envelope)",
            grid.display()
        );
        return;
    }
    if report.dry_run {
        for (id, occasion, file) in &report.planned {
            println!("{id}\t{occasion}\t{file}");
        }
        eprintln!(
            "dry run: {} piece(s) would be produced; nothing was written",
            report.planned.len()
        );
        return;
    }
    if report.not_due > 0 {
        eprintln!(
            "{} person(s) have no occasion due in this run's window",
            report.not_due
        );
    }
    if report.not_matching > 0 {
        eprintln!(
            "{} person(s) did not match the campaign's selection",
            report.not_matching
        );
    }
    if report.recipients == 0 && report.manifest.is_none() {
        eprintln!(
            "nothing to do: no recipient is due → {}",
            report.out_dir.display()
        );
        return;
    }
    if !report.proofs.is_empty() {
        eprintln!(
            "{} recipient(s): {} shown, {} failed; no piece was written, the ledger is unchanged",
            report.recipients,
            report.written,
            report.failed.len()
        );
        for proof in &report.proofs {
            eprintln!("written: {}", proof.display());
        }
        return;
    }
    eprintln!(
        "{} recipient(s): {} written, {} kept, {} failed → {}",
        report.recipients,
        report.written,
        report.kept.len(),
        report.failed.len(),
        report.out_dir.display()
    );
    if !report.facts.is_empty() {
        let count = |f: &dyn Fn(usize) -> bool| report.facts.iter().filter(|&&n| f(n)).count();
        eprintln!(
            "history facts per piece: none {} · one {} · two {} · three or more {}",
            count(&|n| n == 0),
            count(&|n| n == 1),
            count(&|n| n == 2),
            count(&|n| n >= 3)
        );
    }
    if report.preflight.iter().sum::<usize>() > 0 {
        let [ok, warn, fail] = report.preflight;
        eprintln!("preflight: {ok} ok · {warn} with warnings · {fail} failed (see manifest.csv)");
    }
    if let Some(combined) = &report.combined {
        eprintln!("print file: {}", combined.display());
    }
    if let Some(manifest) = &report.manifest {
        eprintln!("manifest:   {}", manifest.display());
    }
}
