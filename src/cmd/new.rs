//! `warmly new`: from the office's own export to a campaign without
//! writing TOML. Says what the files are and how their columns are read
//! (the same inspection the studio's wizard shows), refuses while a
//! required field has no column, then writes the campaign and its starter
//! messages (`setup.rs`) and names the next command.

use indexmap::IndexMap;

use crate::args::NewArgs;
use crate::error::{Error, Result, Severity, EXIT_BAD_INPUT, EXIT_OK};
use crate::load::{inspect_files, InspectOptions, Inspection};
use crate::outln;
use crate::setup::{self, NewCampaign, Occasion, Template};

/// Problems of one kind shown before "… and N more".
const SHOWN: usize = 5;

pub fn run(args: &NewArgs) -> Result<u8> {
    let options = InspectOptions {
        people: args.people.clone(),
        sheet: args.sheet.clone(),
        columns: args.columns.iter().cloned().collect(),
        date_format: args.date_format.clone(),
        history: args.history.clone(),
    };
    let inspected = inspect_files(&options)?;
    let people = &inspected.people;
    print_inspection("people", people);
    if let Some(history) = &inspected.history {
        print_inspection("history", history);
    }
    if people.source.is_orders() {
        outln!(
            "error: {} is an orders export, not a list of people",
            args.people.display()
        );
        outln!("  hint: pass it as --history, and the customer list as --people");
        return Ok(EXIT_BAD_INPUT);
    }
    if !people.missing.is_empty() {
        print_missing(people);
        return Ok(EXIT_BAD_INPUT);
    }
    let setup = new_campaign(args, options.columns)?;
    if setup.occasion.needs_history() && args.history.is_none() {
        outln!(
            "note: --occasion {} looks at the history: without --history nobody is due",
            setup.occasion.word()
        );
    }
    if setup.sender.is_empty() {
        outln!("note: no sender: the letterhead stays empty — add it under [sender], or pass --sender-company … or --sender-from other.toml");
    }
    let files = match args.dry_run {
        true => setup::campaign_files(&setup, &args.campaign)?,
        false => setup::write_campaign(&setup, &args.campaign, args.force)?,
    };
    print_written(args, &files, people);
    Ok(EXIT_OK)
}

/// The answers: flags, defaults, and the sender of `--sender-from`.
fn new_campaign(args: &NewArgs, columns: IndexMap<String, String>) -> Result<NewCampaign> {
    let occasion = Occasion::parse(&args.occasion)
        .ok_or_else(|| Error::config(format!("--occasion {}: not an occasion", args.occasion)))?;
    let template = match args.template.as_deref() {
        Some("card") => Template::Card,
        Some("letter") => Template::Letter,
        _ => occasion.template(),
    };
    let mut sender = IndexMap::new();
    if let Some(path) = &args.sender_from {
        sender = crate::settings::campaign::read(path)?.sender;
        // a picture is named relative to that campaign: not carried over
        sender.shift_remove("signature_image");
    }
    for (key, value) in args.sender_flags() {
        sender.insert(key.to_string(), value.to_string());
    }
    Ok(NewCampaign {
        name: args.name.clone(),
        people: args.people.clone(),
        history: args.history.clone(),
        sheet: args.sheet.clone(),
        columns,
        date_format: args.date_format.clone(),
        occasion,
        days: args.days,
        template,
        motif: args.motif.clone(),
        sender,
        language: args.language.clone(),
        messages: IndexMap::new(),
        date: args.date.clone(),
    })
}

/// What a file is, how its columns are read, and what will go wrong.
fn print_inspection(label: &str, s: &Inspection) {
    let mut how = Vec::new();
    how.extend(
        s.format
            .delimiter
            .as_ref()
            .map(|d| format!("delimiter \"{d}\"")),
    );
    if s.sheets.len() > 1 {
        how.push(format!("sheets: {}", s.sheets.join(", ")));
    }
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(" — {}", how.join(", "))
    };
    outln!("{label}: {}", s.file.display());
    outln!("  {}{how}", s.description);
    for (field, header) in &s.mapping {
        let own = if s.automatic.get(field) == Some(header) || label == "history" {
            ""
        } else {
            "   (--column)"
        };
        outln!("    {field:<16} ← {header}{own}");
    }
    if let Some(join) = &s.join {
        outln!("  joined by {}: {}", join.key, join.describe());
    }
    let errors = s.problems.iter().filter(|p| p.severity == Severity::Error);
    for p in errors.clone().take(SHOWN) {
        outln!("  will fail: {p}");
        if let Some(hint) = &p.hint {
            outln!("    hint: {hint}");
        }
    }
    if errors.count() > SHOWN {
        outln!(
            "  … and {} more (warmly check lists them all)",
            s.errors() - SHOWN
        );
    }
    for row in s.incomplete.iter().take(SHOWN) {
        outln!(
            "  incomplete: line {} ({}): {}",
            row.line,
            row.id,
            row.missing.join(", ")
        );
    }
    if s.incomplete.len() > SHOWN {
        outln!(
            "  … and {} more rows without a name or a full address",
            s.incomplete.len() - SHOWN
        );
    }
}

/// Which fields have no column, and how to give them one.
fn print_missing(people: &Inspection) {
    for required in &people.missing {
        outln!("error: no column for {}", required.words);
    }
    let example = people.missing[0].fields[0];
    outln!(
        "  hint: name the column with --column {example}=\"Header\"; the file's headers: {}",
        people.headers.join(", ")
    );
    outln!("nothing was written.");
}

fn print_written(args: &NewArgs, files: &setup::CampaignFiles, people: &Inspection) {
    let campaign = args.campaign.display();
    if args.dry_run {
        outln!("--- {campaign} (not written)\n{}", files.campaign_text);
        for (name, text) in &files.messages {
            outln!(
                "--- {} (not written)\n{text}",
                files.messages_dir.join(name).display()
            );
        }
        return;
    }
    outln!("wrote {campaign}");
    for (name, _) in &files.messages {
        outln!("wrote {}", files.messages_dir.join(name).display());
    }
    if people.errors() > 0 {
        outln!(
            "note: the people file has {} error(s) above: fix them in the file before rendering",
            people.errors()
        );
    }
    outln!("next: warmly check {campaign}");
    outln!("      warmly studio {campaign}");
}
