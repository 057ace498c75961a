//! `warmly render`: the files sink. One PDF per recipient (`files.rs`) or
//! one label sheet for all (`sheet.rs`), the manifest and the ledger
//! written as pieces finish, then the print file and the postcode summary.
//! Everything that can stop the run is checked before the output folder is
//! touched; after that a failing recipient is counted and the others are
//! still produced.

mod files;
mod sheet;

pub use sheet::{sheet_piece, sheet_warnings};

use crate::compose::Warning;
use crate::engine::Unmade;
use crate::error::{Error, Result};
use crate::ledger::{Entry, CONTROL_KIND};
use crate::manifest::{ManifestRow, ManifestWriter, Status};
use crate::mode::Mode;
use crate::model::Person;
use crate::plan::{self, Plan, Planned};
use crate::report::progress::Observer;
use crate::report::{FailedPiece, Report};
use crate::select::Reason;
use crate::settings::{PrintOrder, Settings, TemplateSource};
use crate::shard::{Shard, ShardInfo, ShardPart, ShardPiece};
use crate::typeset::Preflight;
use crate::write;

pub fn run(settings: &Settings) -> Result<u8> {
    run_observed(settings, None)
}

/// [`run`], telling `observer` how far it is.
pub fn run_observed(settings: &Settings, observer: Option<&Observer<'_>>) -> Result<u8> {
    let mut plan = plan::prepare(settings, &Mode::Render)?;
    crate::timing::mark("planned");
    let format = plan.template.manifest.resolve_format(
        settings.compose.print.format.as_deref(),
        &plan.template.name,
    )?;
    // The print file is exported from the pieces' pages (not a sheet's).
    let keep_pages = settings.output.combined.is_some() && !plan.is_sheet();
    let checks = super::checks(settings, &plan, &format, None, keep_pages);
    let engine = crate::engine::Engine::new(settings, &plan, checks)?;
    crate::timing::mark("typesetter ready");
    let mut report = super::report(settings, &plan);
    crate::typeset::Typesetter::start_trace();

    let out = &settings.output.out_dir;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    if plan.lock.is_some() {
        write::remove_stale_temp_files(out);
    }
    // A shard's `shard.json` says its folder is complete: gone until it is.
    let mut shard_info = match settings.run.shard {
        Some(shard) => {
            remove_file_if_there(&out.join(ShardInfo::FILE))?;
            Some(shard_info(settings, &plan, shard))
        }
        None => None,
    };
    if plan.lock.is_some() {
        record_control(settings, &mut plan)?;
    }
    // Nothing selected (e.g. a daily run on a quiet day): leave the last
    // run's manifest and print file alone (a shard says it has none).
    if plan.pieces.is_empty() {
        write_shard_info(settings, shard_info.as_ref())?;
        report.print(settings.run.quiet);
        return Ok(report.exit_code());
    }
    let mut manifest = ManifestWriter::create(out).map_err(|e| Error::io(out, e))?;
    let (statuses, printed) = if plan.is_sheet() {
        let statuses = sheet::sheet(settings, &plan, &engine, &mut manifest, &mut report)?;
        (statuses, None)
    } else {
        let sink = files::Sink::new(settings, &mut plan, &mut manifest, &mut report);
        files::pieces(sink, &plan, &engine, observer)?
    };
    report.failed.sort_by_key(|f| f.line);
    report.manifest = Some(manifest.finish().map_err(|e| Error::io(out, e))?);
    if plan.is_sheet() {
        report.combined = statuses
            .contains(&Status::Written)
            .then(|| out.join(plan.file(&plan.pieces[0])));
    } else if let Some(name) = &settings.output.combined {
        let joined = printed.is_none();
        print_file(settings, &plan, &statuses, name, joined, &mut report)?;
    }
    if let Some(info) = shard_info.as_mut() {
        info.parts = printed
            .unwrap_or_default()
            .into_iter()
            .map(|part| ShardPart {
                name: part.name,
                inputs: part.inputs,
            })
            .collect();
    }
    write_shard_info(settings, shard_info.as_ref())?;
    report.print(settings.run.quiet);
    crate::timing::print();
    engine.typesetter.finish_trace();
    Ok(report.exit_code())
}

fn remove_file_if_there(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// What `warmly merge` needs of this shard: its place in the run, the
/// run's fingerprint, and where each of its pieces goes in the whole
/// manifest and print order.
fn shard_info(settings: &Settings, plan: &Plan, shard: Shard) -> ShardInfo {
    let output = &settings.output;
    let pieces = plan
        .pieces
        .iter()
        .map(|p| ShardPiece {
            input: p.person,
            print_key: match output.order {
                PrintOrder::Input => String::new(),
                order => plan.print_key(p, order, &output.home_country),
            },
        })
        .collect();
    ShardInfo {
        warmly: env!("CARGO_PKG_VERSION").to_string(),
        campaign: settings.run.name.clone(),
        run_date: settings.run.date,
        shard: shard.index,
        of: shard.count,
        fingerprint: fingerprint(settings, plan),
        print_file: output.combined.clone(),
        print_part: output.print_part,
        duplex: output.duplex,
        pieces,
        parts: Vec::new(),
    }
}

/// Written last: the shard's folder is complete.
fn write_shard_info(settings: &Settings, info: Option<&ShardInfo>) -> Result<()> {
    let Some(info) = info else {
        return Ok(());
    };
    let json = serde_json::to_vec_pretty(info).expect("shard.json is plain data");
    let out = &settings.output.out_dir;
    write::write_atomic(out, ShardInfo::FILE, &json).map_err(|e| Error::io(out, e))?;
    Ok(())
}

/// SHA-256 of what decides the run's plan and pieces — the data files'
/// bytes, the settings, the run date, warmly's version, the template's
/// files, the pictures, the messages, exclusions and edits — so that merge
/// can refuse shards made from different inputs.
fn fingerprint(settings: &Settings, plan: &Plan) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let template = match &settings.run.template {
        TemplateSource::Builtin(name) => name.clone(),
        TemplateSource::Folder(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let (s, c, o) = (&settings.select, &settings.compose, &settings.output);
    let text = format!(
        "{}\0{}\0{}\0{template}\0{:?}\0{}\0{:?}\0{}\0{:?}\0{}\0{:?}\0{:?}\0{}\0{}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}",
        env!("CARGO_PKG_VERSION"),
        settings.run.name,
        settings.run.date,
        s.where_,
        s.households,
        s.segments,
        s.control,
        s.occasion,
        s.within,
        o.pattern,
        o.combined,
        o.print_part,
        o.duplex,
        o.order,
        c.sender,
        c.text,
        c.theme,
        c.print,
        (settings.typeset.overflow, settings.typeset.window),
        settings.load.columns,
    );
    hash.update(text.as_bytes());
    for (path, bytes) in plan
        .template
        .files
        .iter()
        .chain(settings.typeset.pictures.iter().map(|(p, b)| (p, b)))
    {
        hash.update(format!("\0template\0{path}\0{}\0", bytes.len()).as_bytes());
        hash.update(bytes);
    }
    // The data files (each read once, in pieces), messages, exclusions
    // and edits: what an approval is checked against.
    for (what, sha) in plan.fingerprint() {
        hash.update(format!("\0{what}\0{sha}").as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A manifest row for a planned piece, before it is made.
fn row(settings: &Settings, plan: &Plan, planned: &Planned, person: &Person) -> ManifestRow {
    let (segment, rfm, rhythm) = insight_columns(plan, person);
    ManifestRow {
        id: person.id.clone(),
        occasion: planned.due.key.to_string(),
        status: Status::Failed,
        file: plan.file_of(planned, person),
        pages: None,
        sha256: String::new(),
        facts: None,
        preflight: None,
        clearance_mm: None,
        warnings: String::new(),
        error: String::new(),
        line: person.line,
        language: String::new(),
        id_source: plan.id_source,
        link: settings
            .compose
            .links
            .as_ref()
            .map(|l| l.url(person).unwrap_or_default()),
        household: settings
            .select
            .households
            .then(|| plan.recipient_ids(planned, &person.id).join(" ")),
        edited: (!plan.edits.is_empty()).then(|| plan.edits.get(&person.id).is_some()),
        segment,
        rfm,
        rhythm,
    }
}

/// The manifest's `segment`, `rfm` and `rhythm`: a value, maybe empty,
/// for every row of a campaign about segments; no columns otherwise.
type InsightColumns = (Option<String>, Option<String>, Option<String>);

fn insight_columns(plan: &Plan, person: &Person) -> InsightColumns {
    match (plan.shows_insights, plan.summary(person)) {
        (false, _) => (None, None, None),
        (true, None) => (
            Some(String::new()),
            Some(String::new()),
            Some(String::new()),
        ),
        (true, Some(s)) => (
            Some(s.segment.as_str().to_string()),
            Some(s.scores.to_string()),
            Some(s.rhythm),
        ),
    }
}

/// Records the control group of a render: a `control` line in the
/// ledger for each customer kept back whose line is not there yet,
/// flushed at once (there is no file to wait for), so later runs keep
/// them out and `warmly insights` finds them.
fn record_control(settings: &Settings, plan: &mut Plan) -> Result<usize> {
    let Some(ledger) = plan.ledger.as_mut() else {
        return Ok(0);
    };
    let campaign = &settings.run.name;
    let mut recorded = 0;
    for left in &plan.left_out {
        let Reason::Control(due) = &left.reason else {
            continue;
        };
        let id = plan.persons.id(left.person as usize);
        if ledger.is_control(campaign, &due.key, &id) {
            continue;
        }
        ledger.stage(Entry {
            campaign: campaign.clone(),
            occasion: due.key.to_string(),
            person_id: id,
            file: String::new(),
            sha256: String::new(),
            run_date: settings.run.date,
            kind: CONTROL_KIND.to_string(),
            fingerprint: String::new(),
            address: String::new(),
        });
        recorded += 1;
    }
    ledger.flush()?;
    Ok(recorded)
}

/// A warning as the manifest row of its own piece shows it: without the
/// recipient, unless it names another.
pub fn own_text(warning: &Warning, id: &str) -> String {
    match &warning.recipient {
        Some(r) if r != id => warning.with_recipient(),
        _ => warning.message.clone(),
    }
}

/// Fills a row for a piece that was not made and counts it.
fn fail(row: &mut ManifestRow, unmade: Unmade, report: &mut Report) {
    row.status = Status::Failed;
    row.language = unmade.lang;
    row.error = unmade.why.to_string();
    if unmade.why.is_preflight() {
        row.preflight = Some(Preflight::Fail);
    }
    report.failed.push(FailedPiece {
        id: row.id.clone(),
        line: row.line,
        reason: row.error.clone(),
    });
}

fn count_preflight(report: &mut Report, row: &ManifestRow) {
    match row.preflight {
        Some(Preflight::Ok) => report.preflight[0] += 1,
        Some(Preflight::Warn) => report.preflight[1] += 1,
        Some(Preflight::Fail) => report.preflight[2] += 1,
        None => {}
    }
}

/// The print file joined from the PDFs on disk when it was not made from
/// the pages (some pieces were kept from an earlier run), and the postcode
/// summary for the bulk-mail hand-off.
fn print_file(
    settings: &Settings,
    plan: &Plan,
    statuses: &[Status],
    name: &str,
    joined: bool,
    report: &mut Report,
) -> Result<()> {
    let (out, output) = (&settings.output.out_dir, &settings.output);
    let order: Vec<usize> = plan
        .print_order(output.order, &output.home_country)
        .into_iter()
        .filter(|&i| statuses[i] != Status::Failed)
        .collect();
    if order.is_empty() {
        return Ok(());
    }
    if joined {
        let target = out.join(name);
        let inputs = order.iter().map(|&i| out.join(plan.file(&plan.pieces[i])));
        match crate::pdf::merge::combine_pdfs(inputs, &target, output.duplex) {
            Ok(()) => {
                report.combined = Some(target);
                crate::print_file::remove_other_parts(out, name, &[name.to_string()]);
            }
            Err(e) => report
                .notes
                .push(format!("the combined print file could not be written: {e}")),
        }
    }
    let summary = write::postcode_summary(order.iter().map(|&i| {
        let person = plan.person(&plan.pieces[i]);
        (
            person.get("country").to_string(),
            person.get("postal_code").to_string(),
        )
    }));
    write::write_atomic(out, "postcodes.csv", &summary).map_err(|e| Error::io(out, e))?;
    Ok(())
}
