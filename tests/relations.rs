//! What a relationship remembers: no card that repeats the last one,
//! returned mail held back, one piece per household.

mod util;

use util::{text, Workdir};

/// A copy of the Christmas sample for another year: same messages.
fn christmas(w: &Workdir, year: i32, policy: &str) -> String {
    let source = std::fs::read_to_string(w.join("samples/christmas-2026.toml")).unwrap();
    let campaign = source
        .replace(
            "name = \"christmas-2026\"",
            &format!("name = \"christmas-{year}\""),
        )
        .replace("date = \"2026-12-01\"", &format!("date = \"{year}-12-01\""))
        + policy;
    let file = format!("samples/christmas-{year}.toml");
    w.write(&file, campaign);
    file
}

fn manifest_row(w: &Workdir, folder: &str, id: &str) -> String {
    std::fs::read_to_string(w.join(&format!("{folder}/manifest.csv")))
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap_or_else(|| panic!("{id} not in the manifest of {folder}"))
        .to_string()
}

#[test]
fn a_card_that_repeats_the_last_one_is_caught() {
    let w = Workdir::new();
    w.copy_samples();
    w.run(&["render", "-q", "samples/christmas-2026.toml"])
        .expect_code(0);
    let ledger = std::fs::read_to_string(w.join("samples/state/ledger.csv")).unwrap();
    assert!(ledger.starts_with(
        "campaign,occasion,person_id,file,sha256,run_date,kind,fingerprint,address\n"
    ));
    assert!(
        ledger
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(7)
            .unwrap()
            .len()
            == 16,
        "{ledger}"
    );

    // A year later the same messages give K-1001 (no new project, no new order)
    // nearly the same card: a warning in the report and the manifest that names it.
    let next = christmas(&w, 2027, "");
    let run = w.run(&["render", &next]);
    run.expect_code(0);
    run.expect_stderr("K-1007: nearly the same text as the card of 2026-12-01 (christmas-2026)");
    let row = manifest_row(&w, "out/christmas-2027", "K-1007");
    assert!(
        row.contains("nearly the same text as the card of 2026-12-01 (christmas-2026)"),
        "{row}"
    );
    // K-1021 became a customer in 2026 ("welcome") and is a customer of one year now: a new text.
    let row = manifest_row(&w, "out/christmas-2027", "K-1012");
    assert!(
        row.contains(",the same text as the card of 2026-12-01"),
        "{row}"
    );
    let row = manifest_row(&w, "out/christmas-2027", "K-1021");
    assert!(!row.contains("same text"), "{row}");

    // policy.repeat = "error": such a recipient fails and gets no PDF; "allow" says nothing.
    let strict = christmas(&w, 2028, "\n[policy]\nrepeat = \"error\"\n");
    let run = w.run(&["render", &strict, "--out", "out/strict"]);
    run.expect_code(1);
    run.expect_stderr("failed: K-1007 (samples/customers.csv line 8): nearly the same text as the card of 2027-12-01 (christmas-2027) (policy.repeat = \"error\")");
    assert!(!w
        .pdfs("out/strict")
        .iter()
        .any(|p| p.to_string_lossy().contains("K-1007")));
    let lax = christmas(&w, 2029, "\n[policy]\nrepeat = \"allow\"\n");
    let run = w.run(&["render", &lax, "--date", "2028-12-01", "--out", "out/lax"]);
    run.expect_code(0);
    assert!(!run.stderr().contains("same text"), "{}", run.stderr());
    let card = w
        .pdfs("out/lax")
        .into_iter()
        .find(|p| p.to_string_lossy().contains("K-1007"))
        .unwrap();
    assert!(text(&card).contains("Ashworth"), "{}", text(&card));

    let bad = christmas(&w, 2030, "\n[policy]\nrepeat = \"never\"\n");
    w.run(&["render", &bad])
        .expect_code(2)
        .expect_stderr("policy.repeat = \"never\": use \"warn\", \"error\" or \"allow\"");
}
