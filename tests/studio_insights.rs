//! The studio's "Who are we losing?": its JSON, the piece view's segment
//! and rhythm, a plan approved after the history learned of a newer order
//! (the render honours it), and in Chromium the page with its button that
//! writes the win-back campaign.

#[path = "util/browser.rs"]
mod browser;
mod util;

use browser::{connect, js, screenshot, start_driver, wait_for, Studio};
use fantoccini::Locator;
use util::{read_manifest, Workdir};

#[test]
fn the_studio_reports_insights_and_a_later_order_keeps_its_letter_back() {
    let w = Workdir::new();
    w.copy_samples();
    let studio = Studio::start(w.path(), "samples/win-back.toml", &["--out", "out"]);
    // The same report as `warmly insights`, with each customer's number.
    let r = studio.get_json("/api/insights");
    assert_eq!(
        (r["people"].as_u64(), r["buyers"].as_u64()),
        (Some(30), Some(14))
    );
    let first = &r["at_risk"][0];
    assert_eq!(
        (
            first["id"].as_str(),
            first["segment"].as_str(),
            first["n"].as_u64()
        ),
        (Some("K-1003"), Some("cant_lose"), Some(2))
    );
    assert_eq!(studio.get("/api/insights?within=0").0, 400);
    // The piece view says why: segment, scores and rhythm.
    let p = studio.get_json("/api/person/0");
    assert_eq!(p["status"], "due");
    assert_eq!(p["insight"]["segment"], "at_risk");
    assert!(
        p["insight"]["rhythm"]
            .as_str()
            .unwrap()
            .starts_with("ordered 17 times, every 42 days (±2)"),
        "{p}"
    );
    // K-1001 was due when the studio read the history; then a newer order
    // comes in, and the approved plan is printed without its letter.
    studio.wait_checked();
    let orders = w.join("samples/orders.csv");
    let mut text = std::fs::read_to_string(&orders).unwrap();
    text.push_str("K-1001;03.12.2026;Bestellung;Möbelpflegeöl Nussbaum, 0,5 l;38,90\n");
    std::fs::write(&orders, text).unwrap();
    let (status, body) = studio.post("/api/approve", r#"{"by":"Test"}"#);
    assert_eq!(status, 200, "{body}");
    let job = studio.wait_job();
    assert_eq!(job["state"], "done", "{job}");
    let ids: Vec<String> = read_manifest(&w.join("out/manifest.csv"))
        .into_iter()
        .map(|r| r["id"].clone())
        .collect();
    assert!(!ids.contains(&"K-1001".to_string()), "{ids:?}");
    assert!(ids.contains(&"K-1003".to_string()), "{ids:?}");
    // The studio reads the campaign again after the render.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let p = loop {
        let p = studio.get_json("/api/person/0");
        if p["status"] == "left" || std::time::Instant::now() > deadline {
            break p;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(p["status"], "left", "{p}");
    assert_eq!(
        p["reason"],
        "order on 2026-12-03, after the run date: no win-back needed"
    );
}

#[test]
fn who_are_we_losing_in_the_browser_writes_the_win_back_campaign() {
    let Some((chromium, chromedriver)) = browser::browser() else {
        return;
    };
    let w = Workdir::new();
    w.copy_samples();
    let studio = Studio::start(w.path(), "samples/win-back.toml", &["--out", "out"]);
    let driver = start_driver(&chromedriver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let c = connect(&driver, &chromium, 1280, 860).await;
        c.goto(&studio.url()).await.unwrap();
        wait_for(&c, "the grid", "return document.querySelectorAll('#grid .tile').length", 30.into()).await;
        c.find(Locator::Id("open-insights")).await.unwrap().click().await.unwrap();
        wait_for(
            &c,
            "the customers at risk",
            "return document.querySelectorAll('#insights-risk tbody tr').length",
            7.into(),
        )
        .await;
        let first = js(&c, "return document.querySelector('#insights-risk tbody tr').dataset.id").await;
        assert_eq!(first, "K-1003");
        let segments = js(&c, "return [...document.querySelectorAll('#insights-segments .segment')].map(s => s.dataset.segment + ' ' + s.querySelector('.n').textContent).join(', ')").await;
        assert_eq!(
            segments,
            "champions 1, loyal 1, new 2, at_risk 6, cant_lose 1, hibernating 0, lost 3"
        );
        let line = js(&c, "return document.getElementById('insights-risk-line').textContent").await;
        assert!(line.as_str().unwrap().starts_with("7 customers with 20228.90 in orders so far; 6 of them past"), "{line}");
        let control = js(&c, "return document.getElementById('insights-control').textContent").await;
        assert!(control.as_str().unwrap().contains("No control group yet"), "{control}");
        screenshot(&c, "studio-insights.png").await;
        // One click writes the win-back campaign beside the campaign.
        c.find(Locator::Id("write-winback")).await.unwrap().click().await.unwrap();
        wait_for(
            &c,
            "the written campaign",
            "return document.getElementById('winback-done').textContent.includes('samples/win-back-2.toml')",
            true.into(),
        )
        .await;
        // … and links to it: the desk serves every campaign of the folder.
        let link = js(&c, "return document.querySelector('#winback-done a').href").await;
        assert!(link.as_str().unwrap().ends_with("/c/win-back-2/"), "{link}");
        // A customer at risk opens in the piece view, with why: overdue, not lapsing yet.
        c.find(Locator::Css("#insights-risk tbody tr[data-id='K-1011']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for(
            &c,
            "the piece view with the rhythm",
            "return !document.getElementById('detail').hidden && document.getElementById('d-why').textContent.includes('1.1× the rhythm')",
            true.into(),
        )
        .await;
        let why = js(&c, "return document.getElementById('d-why').textContent").await;
        let why = why.as_str().unwrap();
        assert!(why.contains("Left out: not due"), "{why}");
        assert!(
            why.contains("at risk (R2 F2 M2): ordered 15 times, every 46 days (±2); last order 50 days ago"),
            "{why}"
        );
        // A recipient's piece view names segment and rhythm beside the text.
        c.find(Locator::Id("close")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("#grid .tile[data-id='K-1001']")).await.unwrap().click().await.unwrap();
        wait_for(
            &c,
            "K-1001's rhythm",
            "return document.getElementById('d-why').textContent.includes('ordered 17 times, every 42 days')",
            true.into(),
        )
        .await;
        let why = js(&c, "return document.getElementById('d-why').textContent").await;
        assert!(why.as_str().unwrap().contains("Segmentat risk (R1 F3 M2)"), "{why}");
        c.close().await.unwrap();
    });
    // win-back.toml is there (the sample itself), so the studio chose the next name.
    let written = std::fs::read_to_string(w.join("samples/win-back-2.toml")).unwrap();
    assert!(written.contains("name = \"win-back-2\"") && written.contains("kind = \"lapsing\""));
    assert!(w.join("samples/win-back-2/message.de.j2").is_file());
    w.run(&["check", "samples/win-back-2.toml", "--date", "2026-12-01"])
        .expect_code(0);
    drop(studio);
}
