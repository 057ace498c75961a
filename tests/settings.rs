//! The campaign file: read into typed settings with clear errors, and
//! written back (the studio's settings) without losing what a person wrote
//! in it — comments, blank lines, order.

mod util;

use util::{repo, Workdir};
use warmly::args::RenderArgs;
use warmly::settings::document::CampaignDocument;
use warmly::settings::{PrintOrder, RepeatPolicy, Settings, Strictness};

/// Every sample campaign, by file name.
fn sample_campaigns() -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(repo().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    assert!(out.len() >= 8, "{out:?}");
    out
}

#[test]
fn every_sample_campaign_is_written_back_as_it_was() {
    let w = Workdir::new();
    w.copy_samples();
    for sample in sample_campaigns() {
        let name = sample.file_name().unwrap().to_string_lossy().into_owned();
        let path = w.join(&format!("samples/{name}"));
        let before = std::fs::read_to_string(&path).unwrap();
        // Unchanged: byte for byte.
        let doc = CampaignDocument::open(&path).unwrap();
        assert_eq!(doc.text(), before, "{name}");
        doc.save().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "{name}");

        // One value changed, one added: every other line stays, comments too.
        let mut doc = CampaignDocument::open(&path).unwrap();
        doc.set(&["sender"], "phone", "+49 30 1234 567");
        doc.set(&["policy"], "repeat", "allow");
        doc.save().unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = before
            .lines()
            .filter(|l| !l.trim_start().starts_with("phone"))
            .collect();
        let mut lines = after.lines();
        for line in &kept {
            assert!(
                lines.any(|l| l == *line),
                "{name}: lost or moved {line:?}:\n{after}"
            );
        }
        let comments = |t: &str| t.lines().filter(|l| l.contains('#')).count();
        assert_eq!(comments(&before), comments(&after), "{name}");
        // The file is still a campaign, with the new values.
        let args = RenderArgs {
            campaign: Some(path.clone()),
            ..RenderArgs::default()
        };
        let settings = Settings::resolve(&args).unwrap();
        assert_eq!(
            settings.compose.sender.get("phone").map(String::as_str),
            Some("+49 30 1234 567"),
            "{name}"
        );
        assert_eq!(settings.compose.repeat, RepeatPolicy::Allow, "{name}");
    }
}

#[test]
fn choices_are_typed_and_defaults_are_the_documented_ones() {
    let args = RenderArgs {
        campaign: Some(repo().join("samples/christmas-2026.toml")),
        ..RenderArgs::default()
    };
    let s = Settings::resolve(&args).unwrap();
    assert_eq!(s.run.name, "christmas-2026");
    assert_eq!(s.run.date.to_string(), "2026-12-01");
    assert_eq!(s.select.date, s.run.date);
    assert_eq!(s.compose.generic, Strictness::Warn);
    assert_eq!(s.compose.repeat, RepeatPolicy::Warn);
    assert_eq!(s.typeset.overflow, Strictness::Warn);
    assert_eq!(s.typeset.window, Strictness::Error);
    assert_eq!(s.output.order, PrintOrder::PostalCode);
    assert_eq!(s.output.combined.as_deref(), Some("print.pdf"));
    assert_eq!(s.run.home_country, "DE");
}

#[test]
fn a_wrong_key_or_choice_names_file_line_column_and_what_to_write() {
    let w = Workdir::new();
    w.copy_samples();
    let cases = [
        (
            "[policy]\nrepeat = \"sometimes\"\n",
            "policy.repeat = \"sometimes\": use \"warn\", \"error\" or \"allow\"",
        ),
        (
            "[output]\norder = \"zip code\"\n",
            "output.order = \"zip code\": use \"postal_code\", \"name\" or \"input\"",
        ),
        ("[output]\ncombined = 3\n", "must be a file name or false"),
        ("[outptu]\nfolder = \"x\"\n", "unknown field `outptu`"),
    ];
    let base = std::fs::read_to_string(w.join("samples/thank-you.toml")).unwrap();
    // The table's line, then the key's.
    let table = base.lines().count() + 2;
    for (extra, expected) in cases {
        w.write("samples/bad.toml", format!("{base}\n{extra}"));
        let run = w.run(&["check", "samples/bad.toml"]);
        run.expect_code(2);
        run.expect_stderr(expected);
        let at = |line: usize| format!("samples/bad.toml:{line}:");
        assert!(
            run.stderr().contains(&at(table)) || run.stderr().contains(&at(table + 1)),
            "no line {table} or {}: {}",
            table + 1,
            run.stderr()
        );
        run.expect_stderr("docs/guide/campaigns.md");
    }
}
