//! The engine: one plan answers every command, the layout of `src/` has no
//! import cycles, the terminal has Unix manners, templates share one library.

mod util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use util::{repo, Workdir};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// An envelope campaign `c.toml` for `n` people in Dresden; `row(i)` gives
/// `id,first_name,last_name,street`.
fn envelopes(n: usize, row: impl Fn(usize) -> String) -> Workdir {
    let w = Workdir::new();
    let mut people = String::from("id,first_name,last_name,street,postal_code,city\n");
    for i in 0..n {
        people.push_str(&format!("{},01069,Dresden\n", row(i)));
    }
    w.write("people.csv", people);
    w.write(
        "c.toml",
        "name = \"all\"\ntemplate = \"envelope\"\ndate = \"2026-12-01\"\n[data]\npeople = \"people.csv\"\n",
    );
    w
}

#[test]
fn check_due_and_dry_run_give_one_answer() {
    let w = Workdir::new();
    w.copy_samples();
    // The situation of the report: Christmas cards and keep-in-touch
    // letters went out; nine days later a frequency cap of 60 days holds.
    for c in ["christmas-2026", "keep-in-touch"] {
        w.run(&["render", &format!("samples/{c}.toml"), "-q"])
            .expect_code(0);
    }
    let campaigns = [
        "keep-in-touch",
        "christmas-2026",
        "birthday",
        "anniversary",
        "after-purchase",
        "thank-you",
    ];
    let mut nonzero = 0;
    for date in ["2026-12-01", "2026-12-10", "2027-03-01"] {
        for c in campaigns {
            let file = format!("samples/{c}.toml");
            let check = w.run(&["check", &file, "--date", date, "--json"]);
            let check = json(&check.stdout());
            let due = w.run(&["due", &file, "--date", date, "--json"]);
            let due = json(&due.stdout());
            let due_rows = due
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] == "due")
                .count();
            let dry = w.run(&["render", &file, "--date", date, "--dry-run"]);
            dry.expect_code(0);
            let planned = dry.stdout().lines().count();
            let recipients = check["recipients"].as_u64().unwrap() as usize;
            assert_eq!(
                (recipients, due_rows, planned),
                (recipients, recipients, recipients),
                "{c} on {date}: check, due and --dry-run disagree"
            );
            // Every person is in check's plan once: due, or left out with a reason.
            let plan = check["plan"].as_array().unwrap();
            assert_eq!(plan.len() as u64, check["persons"].as_u64().unwrap());
            let left: Vec<&serde_json::Value> =
                plan.iter().filter(|p| p["status"] == "left_out").collect();
            assert_eq!(plan.len() - left.len(), recipients, "{c} on {date}");
            assert!(
                left.iter().all(|p| p["reason"].is_string()),
                "{c}: {left:?}"
            );
            nonzero += usize::from(recipients > 0);
        }
    }
    assert!(nonzero >= 4, "the dates should make some campaigns due");
    // What the report saw: after the letters, the ledger is history for check too.
    let check = w.run(&[
        "check",
        "samples/keep-in-touch.toml",
        "--date",
        "2026-12-10",
        "--json",
    ]);
    assert_eq!(json(&check.stdout())["recipients"], 0);
}

/// `render CAMPAIGN --dry-run --json`: one row per person.
fn plan_json(w: &Workdir, campaign: &str) -> Vec<serde_json::Value> {
    let run = w.run(&["render", campaign, "--dry-run", "--json"]);
    run.expect_code(0);
    match json(&run.stdout()) {
        serde_json::Value::Array(rows) => rows,
        other => panic!("not a list: {other}"),
    }
}

#[test]
fn dry_run_and_check_say_why_people_are_left_out() {
    let w = Workdir::new();
    w.copy_samples();
    let run = w.run(&["render", "samples/keep-in-touch.toml", "--dry-run"]);
    run.expect_code(0);
    run.expect_stderr("left out 2: opted out (K-1019, K-1025)");
    run.expect_stderr("left out 23: not due (");
    run.expect_stderr("dry run: 5 piece(s) would be produced; nothing was written");
    assert_eq!(run.stdout().lines().count(), 5);
    assert!(!w.join("out").exists());

    // --json: every person with the piece or the reason.
    let rows = plan_json(&w, "samples/keep-in-touch.toml");
    assert_eq!(rows.len(), 30);
    let of = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(of("K-1019")["reason"], "opted_out");
    assert_eq!(of("K-1001")["reason"], "not_due");
    let due = rows.iter().find(|r| r["status"] == "due").unwrap();
    assert!(due["file"].as_str().unwrap().ends_with(".pdf"), "{due}");
    // Without --dry-run, --json is a mistake, not silently ignored.
    let run = w.run(&["render", "samples/keep-in-touch.toml", "--json"]);
    run.expect_code(2);
    run.expect_stderr("--json works with `warmly check` and `render --dry-run`");
    assert!(!w.join("out").exists());

    // After the cards: already in the ledger, with the occasion.
    w.run(&["render", "samples/christmas-2026.toml", "-q"])
        .expect_code(0);
    let rows = plan_json(&w, "samples/christmas-2026.toml");
    let done: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["reason"] == "already_done")
        .collect();
    assert_eq!(done.len(), 28);
    assert_eq!(done[0]["key"], "christmas-2026");
    let check = w.run(&["check", "samples/christmas-2026.toml"]);
    check.expect_code(0);
    assert!(
        check.stdout().contains(
            "recipients: 0 of 30 (2 opted out: K-1019, K-1025; 28 already in the ledger)"
        ),
        "{}",
        check.stdout()
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let w = envelopes(20_000, |i| format!("P{i},Anna,Weber{i},Ring {i}"));
    for args in [
        &["due", "c.toml"][..],
        &["render", "c.toml", "--dry-run"],
        &["check", "c.toml", "--json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_warmly"))
            .args(args)
            .current_dir(w.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -1`: read one line, then close the pipe.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn repeated_warnings_are_summarised_in_the_terminal() {
    let w = envelopes(301, |i| format!("P{i},Anna,Weber,Ring 1"));
    for quiet in [false, true] {
        let mut args = vec!["render", "c.toml", "--dry-run"];
        if quiet {
            args.push("--quiet");
        }
        let run = w.run(&args);
        run.expect_code(0);
        let stderr = run.stderr();
        let shown = stderr.matches("a duplicate?").count();
        assert_eq!(shown, 3, "{stderr}");
        run.expect_stderr("… and 297 more of this kind (duplicate, 300 in all");
    }
    // The full list is in check --json.
    let run = w.run(&["check", "c.toml", "--json"]);
    let report = json(&run.stdout());
    let dups = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["message"].as_str().unwrap().contains("a duplicate?"))
        .count();
    assert_eq!(dups, 300);
    // And the text report summarises too.
    let run = w.run(&["check", "c.toml"]);
    assert_eq!(run.stdout().matches("a duplicate?").count(), 3);
}

#[test]
fn due_compiles_no_message_template() {
    let w = Workdir::new();
    w.write(
        "people.csv",
        "id,first_name,last_name,birthday\nA,Anna,Weber,1960-12-05\n",
    );
    w.write("msg/message.de.j2", "Hallo {{ person.first_name ");
    w.write(
        "c.toml",
        "name = \"b\"\ntemplate = \"card\"\ndate = \"2026-12-01\"\nmessages = \"msg\"\n[data]\npeople = \"people.csv\"\n[occasion]\nkind = \"birthday\"\nwithin = \"14d\"\n",
    );
    let run = w.run(&["due", "c.toml"]);
    run.expect_code(0);
    assert!(run.stdout().contains("turns 66"), "{}", run.stdout());
    let run = w.run(&["render", "c.toml"]);
    run.expect_code(2);
    run.expect_stderr("message.de.j2");
    assert!(!w.join("out").exists());
}

/// `warmly render` with the template folder `mine`, for `people.csv`, into
/// `out`; `extra` arguments after those, `env` set.
fn render_mine(w: &Workdir, extra: &[&str], env: &[(&str, &str)]) -> util::Run {
    let mut args = vec![
        "render",
        "--template",
        "mine",
        "--people",
        "people.csv",
        "--date",
        "2026-12-01",
        "--out",
        "out",
        "-q",
    ];
    args.extend_from_slice(extra);
    w.run_env(&args, env)
}

#[test]
fn an_own_template_imports_the_template_library() {
    let w = Workdir::new();
    w.write("people.csv", "id,first_name,last_name\nA,Anna,Weber\n");
    w.write(
        "mine/template.typ",
        "#import \"/warmly.typ\": *\n#let d = json(\"/data.json\")\n#set page(width: 100mm, height: 50mm)\n#set text(font: serif)\nHello #get(dict-of(d.at(\"recipient\")), \"name\") #typo(\"it's\")\n",
    );
    w.write("mine/message.de.j2", "Gruß");
    let run = render_mine(&w, &[], &[]);
    run.expect_code(0);
    let text = util::text(&w.join("out/A-Weber.pdf"));
    assert!(text.contains("Hello Anna Weber it’s"), "{text}");

    // The name is the library's: a template's own warmly.typ is refused.
    w.write("mine/warmly.typ", "#let get(..args) = \"mine\"\n");
    let run = w.run(&[
        "render",
        "--template",
        "mine",
        "--people",
        "people.csv",
        "--out",
        "out2",
    ]);
    run.expect_code(2);
    run.expect_stderr("has its own warmly.typ");
    assert!(!w.join("out2").exists());
}

/// Names that templates define for themselves, on purpose, each with its
/// own value: per-recipient views of `/data.json` (which `warmly.typ` may
/// not read, so every `template.typ` reads it itself) and a template's own
/// design tokens, geometry and parts. They may repeat only across template
/// folders: never beside `warmly.typ`, never twice in one template.
const OWN_IN_EACH_TEMPLATE: &[(&str, &str)] = &[
    ("d", "the recipient's /data.json, read by each template.typ"),
    ("recipient", "d.recipient, in the template that shows it"),
    ("texts", "d.text, in the template that shows it"),
    (
        "address-lines",
        "d.recipient.address, as the template sets it",
    ),
    ("W", "the page width: each template's own paper"),
    ("H", "the page height: each template's own paper"),
    ("fmt", "the chosen format's geometry (letter: its name)"),
    (
        "at",
        "how a template places things, with the print offset or without",
    ),
    ("sheet", "the card's printed sheet; the labels' label sheet"),
    (
        "ink",
        "design token: a template's text colour (the card's is its primary)",
    ),
    ("quiet", "design token: a template's small print colour"),
    ("hair", "design token: a template's hairline weight"),
    ("address-base", "the address size the template starts from"),
    (
        "address-min",
        "the smallest address size the template allows",
    ),
    ("address-max-lines", "the address lines the template allows"),
    ("address-pitch", "the address line pitch of the template"),
    (
        "return-block",
        "where and how the template prints the return address",
    ),
    ("test-grid-page", "the template's own printer test grid"),
];

/// The names defined at the top level of a `.typ` file: `#let name = …`,
/// `#let name(…) = …` and each name of `#let (a, b) = …` — not the names
/// inside functions, blocks or imports.
fn top_level_names(source: &str) -> Vec<String> {
    let name = |s: &str| -> String {
        s.trim()
            .trim_start_matches("..")
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("#let ") else {
            continue;
        };
        match rest.strip_prefix('(') {
            Some(tuple) => {
                let inner = tuple.split(')').next().unwrap_or("");
                // `(a, b)` or `(key: a, …)`: the bound name is after a colon
                names.extend(
                    inner
                        .split(',')
                        .map(|part| name(part.rsplit(':').next().unwrap_or(part))),
                );
            }
            None => names.push(name(rest)),
        }
    }
    names.retain(|n| !n.is_empty() && n != "_");
    names
}

/// What is wrong with the templates' definitions, given each `.typ` file
/// (path below `templates/`, text): a name of `warmly.typ` defined again, a
/// name defined in two files (save [`OWN_IN_EACH_TEMPLATE`] across
/// template folders), a module besides `warmly.typ` that reads
/// `/campaign.json` itself, or one a whole run shares that reads
/// `/data.json`.
fn template_definition_problems(files: &[(String, String)]) -> Vec<String> {
    let folder = |path: &str| path.rsplit_once('/').map_or("", |(f, _)| f).to_string();
    let mut defined: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (path, text) in files {
        for name in top_level_names(text) {
            defined.entry(name).or_default().push(path.clone());
        }
    }
    let mut problems = Vec::new();
    for (name, paths) in &defined {
        if paths.len() < 2 {
            continue;
        }
        let folders: std::collections::BTreeSet<String> = paths.iter().map(|p| folder(p)).collect();
        let own = OWN_IN_EACH_TEMPLATE.iter().any(|(n, _)| n == name);
        let in_library = paths.iter().any(|p| p == "warmly.typ");
        if !own || in_library || folders.len() < paths.len() {
            problems.push(format!("#let {name} is defined in {}", paths.join(", ")));
        }
    }
    for (name, why) in OWN_IN_EACH_TEMPLATE {
        if defined.get(*name).is_none_or(|p| p.len() < 2) {
            problems.push(format!(
                "{name} ({why}) is no longer defined twice: take it off OWN_IN_EACH_TEMPLATE"
            ));
        }
    }
    for (path, text) in files {
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        if path != "warmly.typ" && code.contains("\"/campaign.json\"") {
            problems.push(format!(
                "{path} reads /campaign.json itself: use the prologue of /warmly.typ"
            ));
        }
        let shared =
            path == "warmly.typ" || path.ends_with("/sender.typ") || path.ends_with("/motifs.typ");
        if shared && code.contains("\"/data.json\"") {
            problems.push(format!(
                "{path} reads /data.json: it is evaluated once per run and may read only the campaign"
            ));
        }
    }
    problems
}

/// One rule in one place: every helper and table of the built-in templates
/// is defined once, across all their `.typ` files (`warmly.typ`, each
/// `template.typ`, `sender.typ`, `motifs.typ`).
#[test]
fn the_built_in_templates_carry_no_copies_of_the_library() {
    let root = repo().join("templates");
    let mut files: Vec<(String, String)> = util::walk(&root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "typ"))
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    for expected in [
        "warmly.typ",
        "card/motifs.typ",
        "card/sender.typ",
        "letter/sender.typ",
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    let library = &files.iter().find(|(p, _)| p == "warmly.typ").unwrap().1;
    assert!(top_level_names(library).len() >= 10);
    for t in ["letter", "card", "envelope", "labels"] {
        let (_, source) = files
            .iter()
            .find(|(p, _)| *p == format!("{t}/template.typ"))
            .unwrap();
        assert!(source.contains("#import \"/warmly.typ\""), "{t}");
    }
    let problems = template_definition_problems(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The rule bites: a table copied into a template, a helper of the
    // library defined again, a name twice in one template, a sender.typ
    // that reads the recipient's data.
    let with = |path: &str, extra: &str| -> Vec<String> {
        let mut copy = files.clone();
        let file = copy.iter_mut().find(|(p, _)| p == path).unwrap();
        file.1.push_str(extra);
        template_definition_problems(&copy)
    };
    assert!(!with("envelope/template.typ", "#let motifs = (:)\n").is_empty());
    assert!(!with("labels/template.typ", "#let get(d, k) = none\n").is_empty());
    assert!(!with("card/sender.typ", "#let H = 148mm\n").is_empty());
    assert!(!with("letter/template.typ", "#let (lang, x) = (\"de\", 1)\n").is_empty());
    assert!(!with("card/sender.typ", "#let d = json(\"/data.json\")\n").is_empty());
    assert!(!with("labels/template.typ", "#let c = json(\"/campaign.json\")\n").is_empty());
}

/// The modules of `src/` and which others they use (`crate::x`, `super::x`
/// resolved to the top level).
fn module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = repo().join("src");
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for file in util::walk(&src) {
        if file.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let uses = graph.entry(top.clone()).or_default();
        for line in text.lines().map(str::trim) {
            if line.starts_with("//") {
                continue;
            }
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let module = src.join(format!("{name}.rs")).exists() || src.join(&name).is_dir();
                if module && name != top {
                    uses.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = module_graph();
    assert!(graph.contains_key("plan") && graph["cmd"].contains("plan"));
    // Every module that can reach itself through the graph is in a cycle.
    for start in graph.keys() {
        let mut seen = std::collections::BTreeSet::new();
        let mut todo: Vec<&String> = graph[start].iter().collect();
        while let Some(m) = todo.pop() {
            assert!(
                m != start,
                "{start} imports a module that (through others) imports it back: {:?}",
                graph
            );
            if seen.insert(m) {
                todo.extend(graph.get(m).into_iter().flatten());
            }
        }
    }
    // select and due need no composer: the environment lives in jinja.
    assert!(
        !graph["select"].contains("compose"),
        "{:?}",
        graph["select"]
    );
    assert!(!graph["jinja"].contains("compose"));
}

#[test]
fn a_relayout_is_explained_with_the_element_typst_matched() {
    // Measuring exactly the paragraph that is then placed makes Typst look
    // for it in the finished piece; the previous recipient's piece, where
    // the second piece's first layout starts (one worker, so B follows A),
    // does not have it.
    let w = Workdir::new();
    w.write(
        "people.csv",
        "id,first_name,last_name\nA,Anna,Weber\nB,Bernd,Kunz\n",
    );
    w.write(
        "mine/template.typ",
        "#let d = json(\"/data.json\")\n#set page(width: 100mm, height: 50mm)\n#let body = par(d.recipient.name)\n#context {\n  let h = measure(block(width: 80mm, body)).height\n  block(width: 80mm, height: h, body)\n}\n",
    );
    w.write("mine/message.de.j2", "Gruß");
    let run = render_mine(&w, &["--jobs", "1"], &[("WARMLY_RELAYOUT", "1")]);
    run.expect_code(0);
    // The measure (line 5), and the paragraph it looked for (line 3); the
    // first piece, which starts from nothing, is not explained.
    let stderr = run.stderr();
    let explained = stderr
        .lines()
        .filter(|l| l.contains("laid out again"))
        .collect::<Vec<_>>();
    assert_eq!(explained.len(), 1, "{stderr}");
    assert!(
        explained[0]
            .contains(": laid out again: template.typ:5:11: a measured element did not stabilize"),
        "{}",
        explained[0]
    );
    assert!(
        explained[0].ends_with(
            "(hint, template.typ:3:13: the closest match for this element did not stabilize)"
        ),
        "{}",
        explained[0]
    );
}

#[test]
fn a_template_module_reads_what_recipients_share_from_campaign_json() {
    let w = Workdir::new();
    w.write(
        "people.csv",
        "id,first_name,last_name,language\nA,Anna,Weber,de\nB,Ben,Hale,en\n",
    );
    // The module reads only /campaign.json, so Typst evaluates it once for
    // all recipients with the same language, sender, theme and print.
    w.write(
        "mine/parts.typ",
        "#let c = json(\"/campaign.json\")\n#let head = [From #c.sender.company (#c.lang, #c.print.format, #c.theme.accent)]\n",
    );
    w.write(
        "mine/template.typ",
        "#import \"parts.typ\": head\n#let d = json(\"/data.json\")\n#set page(width: 100mm, height: 50mm)\n#head \\\nHello #d.recipient.name\n",
    );
    w.write("mine/message.de.j2", "Gruß");
    w.write("mine/message.en.j2", "Regards");
    w.write(
        "c.toml",
        "name = \"c\"\ntemplate = \"mine\"\ndate = \"2026-12-01\"\n[data]\npeople = \"people.csv\"\n[sender]\ncompany = \"Holzwerk Lindner GmbH\"\n[theme]\naccent = \"#b8955a\"\n",
    );
    w.run(&["render", "c.toml", "--out", "out", "-q"])
        .expect_code(0);
    let anna = util::text(&w.pdf_of("out", "A"));
    assert!(
        anna.contains("From Holzwerk Lindner GmbH (de, , #b8955a)"),
        "{anna}"
    );
    assert!(anna.contains("Hello Anna Weber"), "{anna}");
    let ben = util::text(&w.pdf_of("out", "B"));
    assert!(ben.contains("(en,"), "{ben}");

    // --export-inputs writes it beside data.json: the same values, no others
    // (--force: the render above is in the ledger).
    w.run(&["render", "c.toml", "--export-inputs", "inputs", "--force"])
        .expect_code(0);
    for id in ["A-Weber", "B-Hale"] {
        let data =
            json(&std::fs::read_to_string(w.join(&format!("inputs/{id}/data.json"))).unwrap());
        let campaign =
            json(&std::fs::read_to_string(w.join(&format!("inputs/{id}/campaign.json"))).unwrap());
        let keys: Vec<&String> = campaign.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["lang", "sender", "theme", "print"]);
        for key in keys {
            assert_eq!(campaign[key], data[key], "{id}: {key}");
        }
    }
}
