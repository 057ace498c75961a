//! Who are we losing? End to end on synthetic histories with known
//! answers: a regular customer who lapses (once, over daily runs), a
//! seasonal one who does not, one-time buyers (the campaign-wide rule), a
//! big customer who stopped (can't lose), the segments and figures in
//! `insights`, `check`, `due` and the manifest, the freshness rule, the
//! win-back campaign in one command, and a control group with a known
//! effect and its Newcombe interval.

mod util;

use chrono::{Days, NaiveDate};
use serde_json::Value;
use util::{read_manifest, repo, Workdir};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// `n` orders `every` days apart from `first`: "id,date,order,summary,amount" lines.
fn orders(id: &str, first: &str, every: u64, n: u64, summary: &str, amount: &str) -> String {
    (0..n)
        .map(|i| {
            let date = d(first) + Days::new(i * every);
            format!("{id},{date},order,{summary},\"{amount}\"\n")
        })
        .collect()
}

const PEOPLE: &str = "id,first_name,last_name,street,postal_code,city,country,language\n\
    R-1,Rita,Regel,Hauptstraße 1,01067,Dresden,DE,de\n\
    S-1,Sven,Saison,Hauptstraße 2,01067,Dresden,DE,de\n\
    O-1,Olga,Einmal,Hauptstraße 3,01067,Dresden,DE,de\n\
    V-1,Viktor,Vielkauf,Hauptstraße 4,01067,Dresden,DE,de\n\
    N-1,Nora,Neu,Hauptstraße 5,01067,Dresden,DE,de\n\
    C-1,Clara,Treu,Hauptstraße 6,01067,Dresden,DE,de\n\
    Z-1,Zeno,Nie,Hauptstraße 7,01067,Dresden,DE,de\n";

/// The histories with known answers (on 2026-08-15):
///
/// | id | orders | interval | last order | silent | R F M | segment |
/// |---|---|---|---|---|---|---|
/// | R-1 | 18 × 38,90 | 42 | 2025-12-15 | 243 | 1 3 2 | at_risk, lapsing since 2026-02-16 |
/// | S-1 | 5 × 89 (every December) | 366.5 | 2025-12-11 | 247 | 3 2 2 | loyal, not lapsing |
/// | O-1 | 1 × 49,90 | — | 2026-01-10 | 217 | 1 1 1 | lost, lapsing (180 days) |
/// | V-1 | 14 × 2.450,00 | 30 | 2025-06-26 | 415 | 1 2 3 | cant_lose, lapsing |
/// | N-1 | 1 × 120 | — | 2026-08-01 | 14 | 3 1 1 | new |
/// | C-1 | 20 × 65 | 28 | 2026-08-03 | 12 | 3 3 3 | champions |
/// | Z-1 | a call, no order | | | | | none |
fn history() -> String {
    let mut h = String::from("person_id,date,kind,summary,amount\n");
    h += &orders("R-1", "2024-01-01", 42, 18, "Kaffee", "38,90");
    for date in [
        "2021-12-10",
        "2022-12-14",
        "2023-12-08",
        "2024-12-12",
        "2025-12-11",
    ] {
        h += &format!("S-1,{date},order,Stollen,€ 89\n");
    }
    h += "O-1,2026-01-10,Bestellung,Teekanne,\"49,90\"\n";
    h += &orders("V-1", "2024-06-01", 30, 14, "Catering", "2.450,00");
    h += "N-1,2026-08-01,order,Geschenkkorb,120.00\n";
    h += &orders("C-1", "2025-02-17", 28, 20, "Bohnen", "65");
    h += "Z-1,2026-05-01,call,Anfrage,\n";
    h
}

fn workdir() -> Workdir {
    let w = Workdir::new();
    w.write("shop/people.csv", PEOPLE);
    w.write("shop/history.csv", history());
    w.write(
        "shop/base.toml",
        "name = \"base\"\ntemplate = \"letter\"\nlanguage = \"de\"\n\
         [data]\npeople = \"people.csv\"\nhistory = \"history.csv\"\n\
         [sender]\ncompany = \"Rösterei Lind\"\nstreet = \"Am Markt 1\"\npostal_code = \"01067\"\ncity = \"Dresden\"\n",
    );
    w
}

fn json(run: &util::Run) -> Value {
    run.expect_code(0);
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

/// `warmly COMMAND CAMPAIGN --json` looked at from the tests' day,
/// 2026-08-15.
fn json_of(w: &Workdir, command: &str, campaign: &str) -> Value {
    json(&w.run(&[command, campaign, "--date", "2026-08-15", "--json"]))
}

/// The one-command win-back campaign, without a control group (so every
/// customer due gets a letter).
fn win_back(w: &Workdir) {
    let run = w.run(&[
        "insights",
        "shop/base.toml",
        "--date",
        "2026-08-15",
        "--write-campaign",
        "shop/win-back.toml",
    ]);
    run.expect_code(0)
        .expect_stderr("wrote the win-back campaign shop/win-back.toml");
    let path = w.join("shop/win-back.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("control = 10"), "{text}");
    std::fs::write(&path, text.replace("control = 10", "control = 0")).unwrap();
}

#[test]
fn segments_rhythms_and_the_customers_at_risk() {
    let w = workdir();
    let r = json_of(&w, "insights", "shop/base.toml");
    assert_eq!(
        (r["people"].as_u64(), r["buyers"].as_u64()),
        (Some(7), Some(6))
    );
    let counts: Vec<(String, u64)> = r["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["segment"].as_str().unwrap().into(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("champions", 1),
        ("loyal", 1),
        ("new", 1),
        ("at_risk", 1),
        ("cant_lose", 1),
        ("hibernating", 0),
        ("lost", 1),
    ];
    assert_eq!(
        counts,
        want.map(|(s, n)| (s.to_string(), n)).to_vec(),
        "{r:#}"
    );
    assert_eq!(
        r["limits"],
        serde_json::json!({ "f2": 5, "f3": 18, "m2": 445.0, "m3": 1300.0 })
    );
    // At risk, by value: the big customer who stopped, then the regular one.
    let risk = r["at_risk"].as_array().unwrap();
    let ids: Vec<&str> = risk.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["V-1", "R-1"]);
    let v = &risk[0];
    assert_eq!(
        (
            v["segment"].as_str(),
            v["orders"].as_u64(),
            v["interval_days"].as_i64(),
            v["spread_days"].as_i64(),
            v["last_order"].as_str(),
            v["days_silent"].as_i64(),
            v["threshold_days"].as_i64(),
            v["total"].as_f64(),
            v["lapsing"].as_bool()
        ),
        (
            Some("cant_lose"),
            Some(14),
            Some(30),
            Some(0),
            Some("2025-06-26"),
            Some(415),
            Some(45),
            Some(34300.0),
            Some(true)
        )
    );
    assert_eq!(v["scores"], serde_json::json!({ "r": 1, "f": 2, "m": 3 }));
    assert_eq!(
        risk[1]["why"],
        "at risk (R1 F3 M2): ordered 18 times, every 42 days (±0); last order 243 days ago, 5.8× the rhythm"
    );
    assert_eq!(risk[1]["total"], 700.2);
    assert_eq!(r["lapsing"], 2);
    assert_eq!(r["value_at_risk"], 35000.2);
    assert_eq!(r["control"], serde_json::json!([]));
    // The text says the same for people.
    let run = w.run(&["insights", "shop/base.toml", "--date", "2026-08-15"]);
    run.expect_code(0);
    let out = run.stdout();
    for needle in [
        "Who are we losing? 7 customers of base on 2026-08-15, 6 with an order.",
        "  can't lose       1  ordered often and spent the most, and have lapsed",
        "  F 2 from 5 orders, F 3 from 18; M 2 from 445.00 in orders, M 3 from 1300.00",
        "At risk, by value: 2 customer(s) with 35000.20 in orders so far, 2 of them lapsing now:",
        "no control group yet",
        "warmly insights shop/base.toml --write-campaign win-back.toml",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    let line = out.lines().find(|l| l.contains("V-1")).unwrap();
    assert!(
        line.contains("30 d ±0") && line.contains("2025-06-26") && line.contains("415 d"),
        "{line}"
    );
}

#[test]
fn a_lapse_is_written_to_once_over_daily_runs_and_the_seasonal_customer_never() {
    let w = workdir();
    win_back(&w);
    // Daily `due` from 2026-02-10: R-1 lapses on 2026-02-16 (63 days after
    // 2025-12-15), V-1 long before; S-1, N-1, C-1 and Z-1 never.
    let mut first_due = None;
    for i in 0..12 {
        let date = (d("2026-02-10") + Days::new(i)).to_string();
        let rows = json(&w.run(&["due", "shop/win-back.toml", "--date", &date, "--json"]));
        let ids: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.iter().all(|id| ["R-1", "V-1"].contains(id)),
            "{date}: {ids:?}"
        );
        if ids.contains(&"R-1") && first_due.is_none() {
            first_due = Some(date.clone());
            let r1 = rows
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == "R-1")
                .unwrap();
            assert_eq!(r1["key"], "lapsing-2025-12-15");
            assert_eq!(r1["occasion"]["interval_days"], 42);
            assert_eq!(r1["occasion"]["days_silent"], 63);
            assert_eq!(
                r1["why"],
                "ordered 18 times, every 42 days (±0); last order on 2025-12-15, 63 days ago, 1.5× the rhythm"
            );
            assert_eq!(r1["insight"]["segment"], "at_risk");
        }
    }
    assert_eq!(first_due.as_deref(), Some("2026-02-16"));
    // Render every few days: R-1 gets one letter, however often it runs.
    for date in [
        "2026-02-15",
        "2026-02-16",
        "2026-02-17",
        "2026-03-20",
        "2026-08-15",
    ] {
        w.run(&[
            "render",
            "shop/win-back.toml",
            "--date",
            date,
            "--out",
            &format!("out/{date}"),
            "-q",
        ])
        .expect_code(0);
    }
    let ledger = std::fs::read_to_string(w.join("shop/state/ledger.csv")).unwrap();
    let lines: Vec<&str> = ledger.lines().skip(1).collect();
    let who: Vec<String> = lines
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} {} {}", f[5], f[2], f[1])
        })
        .collect();
    assert_eq!(
        who,
        [
            "2026-02-15 V-1 lapsing-2025-06-26",
            "2026-02-16 R-1 lapsing-2025-12-15",
            "2026-08-15 O-1 lapsing-2026-01-10",
        ],
        "{ledger}"
    );
    // The letter tells the customer's rhythm.
    let letter = util::text(&w.pdf_of("out/2026-02-16", "R-1"));
    let flat = letter.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("seit Januar 2024 haben Sie 18-mal bei uns bestellt, zuletzt am 15. Dezember 2025 „Kaffee“"),
        "{flat}"
    );
    assert!(
        flat.contains("etwa alle sechs Wochen wieder bestellt – diesmal ist es schon 63 Tage her"),
        "{flat}"
    );
    let one = util::text(&w.pdf_of("out/2026-08-15", "O-1"));
    let one = one.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        one.contains("am 10. Januar 2026 haben Sie zuletzt bei uns bestellt: „Teekanne“"),
        "{one}"
    );
    // The manifest of a lapsing campaign has the segment, scores and rhythm.
    let rows = read_manifest(&w.join("out/2026-02-16/manifest.csv"));
    let r1 = rows.iter().find(|r| r["id"] == "R-1").unwrap();
    assert_eq!(
        (r1["segment"].as_str(), r1["rfm"].as_str()),
        ("at_risk", "R1 F3 M2")
    );
    assert_eq!(
        r1["rhythm"],
        "ordered 18 times, every 42 days (±0); last order 63 days ago, 1.5× the rhythm"
    );
    // The seasonal customer is never due in the year after their order.
    for i in 0..12 {
        let date = (d("2026-01-15") + Days::new(i * 30)).to_string();
        let rows = json(&w.run(&["due", "shop/win-back.toml", "--date", &date, "--json"]));
        assert!(
            rows.as_array().unwrap().iter().all(|r| r["id"] != "S-1"),
            "{date}: {rows:#}"
        );
    }
}

#[test]
fn check_and_due_show_segments_and_a_newer_order_holds_a_win_back() {
    let w = workdir();
    win_back(&w);
    // An order of R-1 after the run date: the history knows better.
    let mut h = history();
    h += "R-1,2026-08-20,order,Kaffee,\"38,90\"\n";
    w.write("shop/history.csv", h);
    let check = json_of(&w, "check", "shop/win-back.toml");
    assert_eq!(check["recipients"], 2, "{check:#}");
    assert_eq!(
        check["ordered_since"],
        serde_json::json!(["R-1 (order on 2026-08-20)"])
    );
    assert_eq!(
        check["segments"],
        serde_json::json!({ "champions": 1, "loyal": 1, "new": 1, "at_risk": 1, "cant_lose": 1, "lost": 1 })
    );
    let plan = check["plan"].as_array().unwrap();
    let row = |id: &str| plan.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(row("R-1")["reason"], "ordered_since");
    assert_eq!(row("R-1")["since"]["date"], "2026-08-20");
    assert_eq!(row("S-1")["insight"]["segment"], "loyal");
    assert_eq!(row("S-1")["insight"]["interval_days"], 367);
    assert_eq!(row("S-1")["insight"]["lapsing"], false);
    assert!(row("Z-1").get("insight").is_none());
    let text = w.run(&["check", "shop/win-back.toml", "--date", "2026-08-15"]);
    text.expect_code(0);
    assert!(
        text.stdout()
            .contains("1 ordered or in touch after the run date: R-1 (order on 2026-08-20)"),
        "{}",
        text.stdout()
    );
    assert!(text
        .stdout()
        .contains("segments: champions 1, loyal 1, new 1, at risk 1, can't lose 1, lost 1"));
    let due = json_of(&w, "due", "shop/win-back.toml");
    let r1 = due
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "R-1")
        .unwrap();
    assert_eq!(r1["status"], "back");
    assert!(r1["why"]
        .as_str()
        .unwrap()
        .ends_with("; but order on 2026-08-20: Kaffee"));
    // A render on that date makes no letter for R-1.
    w.run(&[
        "render",
        "shop/win-back.toml",
        "--date",
        "2026-08-15",
        "--out",
        "out",
        "-q",
    ])
    .expect_code(0);
    let ids: Vec<String> = read_manifest(&w.join("out/manifest.csv"))
        .into_iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, ["O-1", "V-1"]);
    // `silence` is a win-back too: any contact after the run date counts.
    let base = std::fs::read_to_string(w.join("shop/base.toml")).unwrap();
    w.write(
        "shop/quiet.toml",
        base.replace("name = \"base\"", "name = \"quiet\"")
            + "[occasion]\nkind = \"silence\"\ndays = 60\n",
    );
    let quiet =
        |w: &Workdir| json(&w.run(&["check", "shop/quiet.toml", "--date", "2026-08-15", "--json"]));
    assert_eq!(
        quiet(&w)["ordered_since"],
        serde_json::json!(["R-1 (order on 2026-08-20)"])
    );
    let mut h = std::fs::read_to_string(w.join("shop/history.csv")).unwrap();
    h += "Z-1,2026-08-16,meeting,Besuch in der Rösterei,\n";
    w.write("shop/history.csv", h);
    assert_eq!(
        quiet(&w)["ordered_since"],
        serde_json::json!(["R-1 (order on 2026-08-20)", "Z-1 (meeting on 2026-08-16)"])
    );
    // A campaign about nothing of this keeps its reports as they were.
    let base = json(&w.run(&["check", "shop/base.toml", "--date", "2026-08-15", "--json"]));
    assert!(base.get("segments").is_none() && base["plan"][0].get("insight").is_none());
}

#[test]
fn segments_select_in_the_campaign_and_in_where() {
    let w = workdir();
    for (name, select) in [
        ("by-list", "segments = [\"at_risk\", \"can't lose\"]"),
        (
            "by-where",
            "where = 'person.segment in [\"at_risk\", \"cant_lose\"]'",
        ),
    ] {
        let base = std::fs::read_to_string(w.join("shop/base.toml")).unwrap();
        w.write(
            &format!("shop/{name}.toml"),
            base.replace("name = \"base\"", &format!("name = \"{name}\""))
                + &format!("[select]\n{select}\n"),
        );
        let rows = json(&w.run(&[
            "render",
            &format!("shop/{name}.toml"),
            "--date",
            "2026-08-15",
            "--dry-run",
            "--json",
        ]));
        let due: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "due")
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(due, ["R-1", "V-1"], "{name}");
    }
    // Messages see them too, and reading them is a fact of the history.
    w.write(
        "shop/msg/message.de.j2",
        "{{ person.rfm.label }} ({{ person.rfm.code }}): {{ person.rhythm.orders }} Bestellungen, \
         etwa alle {{ person.rhythm.interval_days }} Tage, {{ person.rhythm.total | money }}.",
    );
    let base = std::fs::read_to_string(w.join("shop/base.toml")).unwrap();
    w.write(
        "shop/msg.toml",
        base.replace("name = \"base\"", "name = \"msg\"\nmessages = \"msg\"")
            + "[select]\nsegments = [\"at_risk\"]\n",
    );
    w.run(&[
        "render",
        "shop/msg.toml",
        "--date",
        "2026-08-15",
        "--out",
        "out",
        "-q",
    ])
    .expect_code(0);
    let text = util::text(&w.pdf_of("out", "R-1"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("at risk (R1 F3 M2): 18 Bestellungen, etwa alle 42 Tage, 700,20 €."),
        "{flat}"
    );
    let rows = read_manifest(&w.join("out/manifest.csv"));
    // person.rfm and person.rhythm: two facts.
    assert_eq!(rows[0]["facts"], "2", "{rows:?}");
}

#[test]
fn wrong_settings_are_named() {
    let w = workdir();
    let base = std::fs::read_to_string(w.join("shop/base.toml")).unwrap();
    let cases = [
        (
            "[select]\nsegments = [\"vip\"]\n",
            "\"vip\" is not a segment: use \"champions\"",
        ),
        ("[select]\ncontrol = 60\n", "[select] control = 60"),
        (
            "[occasion]\nkind = \"lapsing\"\nmultiple = 0.5\n",
            "[occasion] multiple = 0.5",
        ),
        (
            "[occasion]\nkind = \"lapsing\"\nmin_orders = 2\n",
            "a rhythm needs at least 3 orders",
        ),
    ];
    for (extra, needle) in cases {
        w.write("shop/bad.toml", format!("{base}{extra}"));
        w.run(&["check", "shop/bad.toml"])
            .expect_code(2)
            .expect_stderr(needle);
    }
    w.write(
        "shop/bad.toml",
        base.replace("history = \"history.csv\"\n", "") + "[occasion]\nkind = \"lapsing\"\n",
    );
    w.run(&["check", "shop/bad.toml"])
        .expect_code(2)
        .expect_stderr("reads the customers' orders, but the campaign has no history");
}

#[test]
fn the_win_back_campaign_is_written_once_and_checks() {
    let w = workdir();
    let run = w.run(&[
        "insights",
        "shop/base.toml",
        "--date",
        "2026-08-15",
        "--write-campaign",
        "shop/wb/win-back.toml",
    ]);
    run.expect_code(0);
    let text = std::fs::read_to_string(w.join("shop/wb/win-back.toml")).unwrap();
    for needle in [
        "name = \"win-back\"",
        "kind = \"lapsing\"",
        "people = \"../people.csv\"",
        "history = \"../history.csv\"",
        "control = 10",
        "company = \"Rösterei Lind\"",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    for lang in ["de", "en"] {
        let written =
            std::fs::read_to_string(w.join(&format!("shop/wb/win-back/message.{lang}.j2")))
                .unwrap();
        let sample =
            std::fs::read_to_string(repo().join(format!("samples/win-back/message.{lang}.j2")))
                .unwrap();
        assert_eq!(
            written, sample,
            "the sample's {lang} message is the written one"
        );
    }
    let check = w.run(&["check", "shop/wb/win-back.toml", "--date", "2026-08-15"]);
    check.expect_code(0);
    assert!(
        check.stdout().contains("ok: no errors"),
        "{}",
        check.stdout()
    );
    // Nothing is overwritten.
    w.run(&[
        "insights",
        "shop/base.toml",
        "--write-campaign",
        "shop/wb/win-back.toml",
    ])
    .expect_code(2)
    .expect_stderr("the file is already there");
    std::fs::remove_file(w.join("shop/wb/win-back.toml")).unwrap();
    w.run(&[
        "insights",
        "shop/base.toml",
        "--write-campaign",
        "shop/wb/win-back.toml",
    ])
    .expect_code(2)
    .expect_stderr("a messages folder is already there");
}

#[test]
fn a_customer_at_risk_who_opted_out_is_marked_and_gets_no_letter() {
    let w = workdir();
    // R-1 ticked "no mail" in the people file.
    let people: String = PEOPLE
        .lines()
        .map(|l| match l.split(',').next() {
            Some("id") => format!("{l},opt_out\n"),
            Some("R-1") => format!("{l},ja\n"),
            _ => format!("{l},\n"),
        })
        .collect();
    w.write("shop/people.csv", people);
    let r = json_of(&w, "insights", "shop/base.toml");
    let risk = r["at_risk"].as_array().unwrap();
    let flags: Vec<(&str, bool)> = risk
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["opted_out"].as_bool().unwrap()))
        .collect();
    assert_eq!(flags, [("V-1", false), ("R-1", true)]);
    assert_eq!(r["opted_out"], 1);
    let run = w.run(&["insights", "shop/base.toml", "--date", "2026-08-15"]);
    run.expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("1 of them opted out of mail: no letter goes to them, a call might."),
        "{out}"
    );
    let line = out.lines().find(|l| l.contains("R-1")).unwrap();
    assert!(line.ends_with("lapsing, opted out"), "{line}");
    // The win-back writes to the other one only.
    win_back(&w);
    let check = json_of(&w, "check", "shop/win-back.toml");
    let plan = check["plan"].as_array().unwrap();
    let row = plan.iter().find(|r| r["id"] == "R-1").unwrap();
    assert_eq!(row["reason"], "opted_out", "{check:#}");
}

/// Ids of `n` customers the hash puts in (`control`) or out of the control
/// group of campaign "cg" for the lapse after an order on 2025-03-01.
fn drawn(control: bool, n: usize) -> Vec<String> {
    (0..)
        .map(|i| format!("P-{i:04}"))
        .filter(|id| warmly::insights::in_control(10, "cg", "lapsing-2025-03-01", id) == control)
        .take(n)
        .collect()
}

#[test]
fn the_control_group_shows_whether_the_letters_work() {
    let w = Workdir::new();
    let (letters, control) = (drawn(false, 100), drawn(true, 10));
    let everyone: Vec<&String> = letters.iter().chain(&control).collect();
    let mut people = String::from("id,first_name,last_name,street,postal_code,city,country\n");
    let mut history = String::from("person_id,date,kind,summary,amount\n");
    for id in &everyone {
        people += &format!("{id},Kim,Kunde,Weg 1,01067,Dresden,DE\n");
        history += &format!("{id},2025-03-01,order,Tee,10\n");
    }
    w.write("cg/people.csv", &people);
    w.write("cg/history.csv", &history);
    w.write(
        "cg/cg.toml",
        "name = \"cg\"\ntemplate = \"letter\"\nlanguage = \"de\"\ndate = \"2026-01-01\"\n\
         [data]\npeople = \"people.csv\"\nhistory = \"history.csv\"\n\
         [occasion]\nkind = \"lapsing\"\n[select]\ncontrol = 10\n\
         [text.de]\nsubject = \"Hallo\"\n",
    );
    let dry = w.run(&["render", "cg/cg.toml", "--dry-run"]);
    dry.expect_code(0)
        .expect_stderr("left out 10: control group (no piece, for comparison)");
    w.run(&["render", "cg/cg.toml", "--out", "out", "-q"])
        .expect_code(0);
    let ledger = std::fs::read_to_string(w.join("cg/state/ledger.csv")).unwrap();
    let kinds = |kind: &str| {
        let mut ids: Vec<String> = ledger
            .lines()
            .filter(|l| l.split(',').nth(6) == Some(kind))
            .map(|l| l.split(',').nth(2).unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(kinds("letter"), letters);
    assert_eq!(kinds("control"), control);
    assert!(ledger.contains("cg,lapsing-2025-03-01,P-"), "{ledger}");
    // A second run sends nothing, and keeps the control group out.
    let again = w.run(&["render", "cg/cg.toml", "--dry-run"]);
    again.expect_stderr("left out 10: control group");
    again.expect_stderr("left out 100: already in the ledger");
    // Within 60 days 40 of the 100 with a letter order again, 1 of the 10
    // without; one more after 61 days (too late to count).
    for id in &letters[..40] {
        history += &format!("{id},2026-01-31,order,Tee,10\n");
    }
    history += &format!("{},2026-03-03,order,Tee,10\n", letters[40]);
    history += &format!("{},2026-01-21,order,Tee,10\n", control[0]);
    w.write("cg/history.csv", &history);
    let r = json(&w.run(&["insights", "cg/cg.toml", "--date", "2026-04-01", "--json"]));
    let c = &r["control"][0];
    assert_eq!(c["campaign"], "cg");
    assert_eq!(c["letters"], serde_json::json!({ "n": 100, "ordered": 40 }));
    assert_eq!(c["control"], serde_json::json!({ "n": 10, "ordered": 1 }));
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9;
    assert!(close(&c["difference"], 0.3), "{c}");
    assert!(close(&c["low"], -0.017_356_842_843_568_81), "{c}");
    assert!(close(&c["high"], 0.427_858_552_202_225_7), "{c}");
    assert_eq!(c["verdict"], "unclear");
    assert_eq!(
        c["words"],
        "40 of 100 with a letter (40.0 %) and 1 of 10 without (10.0 %) ordered again within 60 days: \
         +30.0 points (95 % interval −1.7 to +42.8) — no clear difference yet"
    );
    // Before the 60 days are over nothing is counted yet.
    let early = json(&w.run(&["insights", "cg/cg.toml", "--date", "2026-02-15", "--json"]));
    assert_eq!(early["control"][0]["pending"], 110);
    assert_eq!(early["control"][0]["verdict"], "not_enough");
    // Counting re-orders within 90 days takes in the late one.
    let wide = json(&w.run(&[
        "insights",
        "cg/cg.toml",
        "--date",
        "2026-04-01",
        "--within",
        "90d",
        "--json",
    ]));
    assert_eq!(wide["control"][0]["letters"]["ordered"], 41);
}
