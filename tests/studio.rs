//! The studio, end to end: the real binary serving the sample campaign,
//! asked over plain HTTP (token, Host, origin, paths) and driven in a real
//! Chromium through WebDriver (chromedriver) the way an assistant would
//! use it — then the PDFs it printed are read back with poppler.
//!
//! Without Chromium the browser test says so loudly and passes, except
//! on CI (`CI=true`), where `.ci/run` installs it and its absence fails.

#[path = "util/browser.rs"]
mod browser;
mod util;

use std::path::{Path, PathBuf};
use std::time::Duration;

use browser::{browser, connect, http, js, screenshot, start_driver, wait_for, Studio};
use fantoccini::{Client, Locator};
use util::{read_manifest, repo, text, Workdir};

/// Where the sample campaign's studio is served.
const C: &str = "/c/christmas-2026";

/// The sample campaign's studio, writing into `out/`.
fn sample_studio(w: &Workdir) -> Studio {
    let s = Studio::start(w.path(), "samples/christmas-2026.toml", &["--out", "out"]);
    assert!(s.url().contains("/c/christmas-2026/?token="), "{}", s.url());
    s
}

fn get(s: &Studio, path: &str, extra: &str) -> (u16, String, String) {
    http(
        s.port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{extra}Connection: close\r\n\r\n",
            s.port
        ),
    )
}

fn cookie(s: &Studio) -> String {
    format!("Cookie: warmly_studio_{}={}\r\n", s.port, s.token)
}

fn post(s: &Studio, path: &str, extra: &str, body: &str) -> (u16, String, String) {
    http(
        s.port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            s.port,
            body.len()
        ),
    )
}

#[test]
fn only_this_start_on_this_host_gets_in() {
    let w = Workdir::new();
    w.copy_samples();
    let s = sample_studio(&w);
    let port = s.port;

    // No token: 401; a wrong one: 403, also as a cookie.
    assert_eq!(get(&s, "/", "").0, 401);
    assert_eq!(get(&s, &format!("{C}/api/pieces"), "").0, 401);
    assert_eq!(
        get(&s, "/?token=0123456789abcdef0123456789abcdef", "").0,
        403
    );
    let wrong = format!("Cookie: warmly_studio_{port}=0123456789abcdef0123456789abcdef\r\n");
    assert_eq!(get(&s, &format!("{C}/api/pieces"), &wrong).0, 403);

    // The right token in the address becomes a cookie, the address loses it.
    let (status, head, _) = get(&s, &format!("/?token={}", s.token), "");
    assert_eq!(status, 303, "{head}");
    assert!(
        head.contains(&format!("warmly_studio_{port}={}", s.token)),
        "{head}"
    );
    assert!(
        head.contains("HttpOnly") && head.contains("SameSite=Strict"),
        "{head}"
    );
    let (status, head, page) = get(&s, &format!("{C}/"), &cookie(&s));
    assert_eq!(status, 200, "{head}");
    assert!(page.contains("christmas-2026"), "{page}");
    // The home page of the campaign's folder, and a campaign that is none.
    let (status, _, home) = get(&s, "/", &cookie(&s));
    assert_eq!(status, 200);
    assert!(home.contains("Your campaigns"), "{home}");
    let (status, _, none) = get(&s, "/c/no-such-campaign/", &cookie(&s));
    assert_eq!(status, 422);
    assert!(none.contains("no campaign \"no-such-campaign\""), "{none}");
    assert!(head.contains("default-src 'self'"), "{head}");

    // Another name for the machine (DNS rebinding) is refused, token or not.
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1:{}", port + 1),
        "127.0.0.1".into(),
    ] {
        let request = format!(
            "GET {C}/api/pieces HTTP/1.1\r\nHost: {host}\r\n{}Connection: close\r\n\r\n",
            cookie(&s)
        );
        assert_eq!(http(port, &request).0, 403, "{host}");
    }
    let localhost = format!(
        "GET {C}/api/pieces HTTP/1.1\r\nHost: localhost:{port}\r\n{}Connection: close\r\n\r\n",
        cookie(&s)
    );
    assert_eq!(http(port, &localhost).0, 200);

    // A change needs the token in its header and this origin.
    let origin = format!("Origin: http://127.0.0.1:{port}\r\n");
    let header = format!("X-Warmly-Token: {}\r\n", s.token);
    assert_eq!(
        post(&s, &format!("{C}/api/reload"), &cookie(&s), "{}").0,
        403
    );
    assert_eq!(
        post(
            &s,
            &format!("{C}/api/reload"),
            &format!("{}{origin}", cookie(&s)),
            "{}"
        )
        .0,
        403
    );
    let other = "Origin: http://evil.example\r\n";
    assert_eq!(
        post(
            &s,
            &format!("{C}/api/reload"),
            &format!("{}{header}{other}", cookie(&s)),
            "{}"
        )
        .0,
        403
    );
    assert_eq!(
        post(
            &s,
            &format!("{C}/api/exclude"),
            &format!("{}{header}{other}", cookie(&s)),
            r#"{"id":"K-1001","reason":"x"}"#
        )
        .0,
        403
    );
    assert!(!w.join("samples/state/christmas-2026/excluded.csv").exists());
    let (status, _, body) = post(
        &s,
        &format!("{C}/api/reload"),
        &format!("{}{header}{origin}", cookie(&s)),
        "{}",
    );
    assert_eq!(status, 200, "{body}");
    // An exclusion without a reason is refused with words.
    let (status, _, body) = post(
        &s,
        &format!("{C}/api/exclude"),
        &format!("{}{header}{origin}", cookie(&s)),
        r#"{"id":"K-1001","reason":"  "}"#,
    );
    assert_eq!(status, 400);
    assert!(body.contains("why"), "{body}");

    // Nothing outside the output folder can be named.
    w.write("out/manifest.csv", "id\nK-1\n");
    w.write("secret.txt", "K-SECRET");
    let (status, _, body) = get(&s, &format!("{C}/out/manifest.csv"), &cookie(&s));
    assert_eq!((status, body.as_str()), (200, "id\nK-1\n"));
    let inside = [
        "/out/../secret.txt",
        "/out/..%2Fsecret.txt",
        "/out/%2E%2E%2Fsecret.txt",
        "/out/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/out/%2Fetc%2Fpasswd",
        "/out/.",
        "/api/thumb/..%2F..%2Fsecret.txt",
    ]
    .map(|p| format!("{C}{p}"));
    let outside = [
        "/assets/..%2F..%2FCargo.toml",
        "/assets/../../Cargo.toml",
        "/../secret.txt",
        "/c/..%2Fsecret/",
        "/c/..%2F..%2Fsamples%2Fchristmas-2026/",
        "/c/christmas-2026/out/../../secret.txt",
    ]
    .map(String::from);
    for path in inside.iter().chain(&outside) {
        let (status, _, body) = get(&s, path, &cookie(&s));
        assert!(
            status == 404 || status == 400 || status == 422,
            "{path}: {status} {body}"
        );
        assert!(
            !body.contains("K-SECRET") && !body.contains("root:") && !body.contains("[package]"),
            "{path}: {body}"
        );
    }

    // Every asset comes from the binary and names no other host.
    for asset in [
        "/",
        "/c/christmas-2026/",
        "/assets/studio.js",
        "/assets/home.js",
        "/assets/studio.css",
    ] {
        let (status, _, body) = get(&s, asset, &cookie(&s));
        assert_eq!(status, 200, "{asset}");
        for scheme in ["http://", "https://", "//cdn", "@import"] {
            assert!(!body.contains(scheme), "{asset} names {scheme}");
        }
    }
    let (status, head, _) = get(&s, "/assets/inter.otf", &cookie(&s));
    assert_eq!(status, 200);
    assert!(head.contains("font/otf"), "{head}");
}

const TILES: &str = "return document.querySelectorAll('#grid .tile').length";

async fn open_tile(c: &Client, id: &str) {
    // The panel covers the grid: close it first, as a person would.
    js(
        c,
        "if (!document.getElementById('detail').hidden) document.getElementById('close').click()",
    )
    .await;
    c.find(Locator::Css(&format!("#grid .tile[data-id='{id}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        c,
        "the piece's data",
        &format!("return !document.getElementById('detail').hidden && document.querySelector('#d-why') !== null && document.getElementById('d-why').textContent.includes('{id}')"),
        true.into(),
    )
    .await;
}

#[test]
fn an_assistant_looks_excludes_edits_and_prints_in_the_browser() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let w = Workdir::new();
    w.copy_samples();
    let studio = sample_studio(&w);
    let driver = start_driver(&chromedriver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let c = connect(&driver, &chromium, 1280, 860).await;
        c.goto(&studio.url()).await.unwrap();
        // The token left the address bar for a cookie.
        let url = c.current_url().await.unwrap();
        assert!(!url.as_str().contains("token"), "{url}");

        // Every sample customer: 28 get a card, 2 opted out; all checked.
        wait_for(&c, "30 tiles", TILES, 30.into()).await;
        wait_for(
            &c,
            "every piece checked",
            "return document.querySelectorAll('#grid .tile[data-status=checking]').length",
            0.into(),
        )
        .await;
        let due = js(&c, "return document.querySelectorAll('#grid .tile:not([data-status=left])').length").await;
        assert_eq!(due, 28);
        let summary = js(&c, "return document.getElementById('summary-line').textContent").await;
        let summary = summary.as_str().unwrap();
        assert!(summary.contains("30 customers") && summary.contains("28 get a card"), "{summary}");
        assert!(summary.contains("2 left out (2 opted out)"), "{summary}");
        // Thumbnails are real pictures.
        wait_for(
            &c,
            "thumbnails loaded",
            "const i = document.querySelector('#grid .tile[data-id=\"K-1001\"] img'); return !!i && i.complete && i.naturalWidth > 200",
            true.into(),
        )
        .await;
        screenshot(&c, "studio-grid.png").await;
        // The same at a laptop's width.
        c.set_window_size(1024, 700).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        screenshot(&c, "studio-laptop.png").await;
        c.set_window_size(1280, 860).await.unwrap();

        // Filter: search as you type, and the left out.
        let search = c.find(Locator::Id("search")).await.unwrap();
        search.send_keys("hausen").await.unwrap();
        wait_for(&c, "one tile for the search", TILES, 1.into()).await;
        let first = js(&c, "return document.querySelector('#grid .tile').dataset.id").await;
        assert_eq!(first, "K-1001");
        search.clear().await.unwrap();
        js(&c, "document.getElementById('search').dispatchEvent(new Event('input'))").await;
        wait_for(&c, "all tiles again", TILES, 30.into()).await;
        c.find(Locator::Css(".filters [data-filter=left]")).await.unwrap().click().await.unwrap();
        wait_for(&c, "the two who opted out", TILES, 2.into()).await;
        let ids = js(&c, "return [...document.querySelectorAll('#grid .tile')].map(t => t.dataset.id).join(' ')").await;
        assert_eq!(ids, "K-1019 K-1025");
        c.find(Locator::Css(".filters [data-filter=all]")).await.unwrap().click().await.unwrap();
        wait_for(&c, "all tiles again", TILES, 30.into()).await;

        // One piece at reading size, with the data behind it.
        open_tile(&c, "K-1001").await;
        wait_for(
            &c,
            "the pages at reading size",
            "const i = [...document.querySelectorAll('#d-pages img')]; return i.length === 2 && i.every(x => x.complete && x.naturalWidth > 900)",
            true.into(),
        )
        .await;
        let why = js(&c, "return document.getElementById('d-why').textContent").await;
        let why = why.as_str().unwrap();
        for needle in ["Sehr geehrter Herr Dr. von Hausen", "Nussbaum", "Why it says this", "History"] {
            assert!(why.contains(needle), "missing {needle:?} in {why}");
        }
        screenshot(&c, "studio-piece.png").await;
        // j goes to the next recipient.
        c.find(Locator::Css("body")).await.unwrap().send_keys("j").await.unwrap();
        wait_for(&c, "the next piece", "return document.getElementById('d-why').textContent.includes('K-1002')", true.into()).await;

        // Leave one out, with a reason.
        open_tile(&c, "K-1003").await;
        c.find(Locator::Id("act-exclude")).await.unwrap().click().await.unwrap();
        c.find(Locator::Id("exclude-reason")).await.unwrap().send_keys("Laden geschlossen").await.unwrap();
        c.find(Locator::Id("exclude-confirm")).await.unwrap().click().await.unwrap();
        wait_for(
            &c,
            "the exclusion shown",
            "return document.getElementById('d-why').textContent.includes('excluded — Laden geschlossen')",
            true.into(),
        )
        .await;

        // Edit one person's text.
        open_tile(&c, "K-1002").await;
        c.find(Locator::Id("act-edit")).await.unwrap().click().await.unwrap();
        let composed = js(&c, "return document.getElementById('edit-text').value").await;
        assert!(composed.as_str().unwrap().contains("Jahren"), "{composed}");
        js(&c, "document.getElementById('edit-text').value = 'für Ihre Küche aus Eiche danken wir Ihnen von Herzen.\\n\\nIhr Kirschbaum-Gruß aus der Werkstatt #1 [sic] $x$'").await;
        c.find(Locator::Id("edit-save")).await.unwrap().click().await.unwrap();
        wait_for(
            &c,
            "the edited badge",
            "const t = document.querySelector('#grid .tile[data-id=\"K-1002\"]'); return !!t && t.textContent.includes('edited')",
            true.into(),
        )
        .await;
        c.find(Locator::Id("close")).await.unwrap().click().await.unwrap();

        // The message editor: an undefined value is shown with its line.
        c.find(Locator::Id("open-editor")).await.unwrap().click().await.unwrap();
        wait_for(&c, "the preview", "return document.querySelectorAll('#preview-pages img').length", 2.into()).await;
        js(&c, "const s = document.getElementById('source'); s.value = s.value.replace('{% set du = person.du %}', '{% set du = person.du %}{{ person.frist_name }}'); s.dispatchEvent(new Event('input'))").await;
        wait_for(
            &c,
            "the error with its line",
            "const t = document.getElementById('editor-status').textContent; return t.startsWith('Line 2') && t.includes('frist_name')",
            true.into(),
        )
        .await;
        screenshot(&c, "studio-message.png").await;
        c.find(Locator::Id("editor-close")).await.unwrap().click().await.unwrap();

        // Approve and print.
        wait_for(&c, "the approve button", "return !document.getElementById('approve').disabled", true.into()).await;
        c.find(Locator::Id("approve")).await.unwrap().click().await.unwrap();
        let plan = js(&c, "return document.getElementById('approve-plan').textContent").await;
        assert!(plan.as_str().unwrap().contains("27 cards"), "{plan}");
        c.find(Locator::Id("approve-by")).await.unwrap().send_keys("Jana Test").await.unwrap();
        c.find(Locator::Id("approve-confirm")).await.unwrap().click().await.unwrap();
        wait_for(&c, "the render", "return !document.getElementById('job-done').hidden", true.into()).await;
        let links = js(&c, "return [...document.querySelectorAll('#job-links a')].map(a => a.href).join(' ')").await;
        let links = links.as_str().unwrap().to_string();
        for file in ["/out/print.pdf", "/out/proof.pdf", "/out/manifest.csv", "/out/K-1002-Gro%C3%9Fe-W%C3%B6stmann.pdf"].map(|f| format!("{C}{f}")) {
            assert!(links.contains(&file), "{file} not in {links}");
        }
        assert!(!links.contains("K-1003"), "{links}");
        let result = js(&c, "return document.getElementById('job-line').textContent").await;
        assert_eq!(result, "All 27 pieces are written.");
        screenshot(&c, "studio-printed.png").await;
        c.close().await.unwrap();
    });

    // What was printed: the excluded one is absent, the edited text is in its PDF.
    let pdfs: Vec<PathBuf> = w
        .pdfs("out")
        .into_iter()
        .filter(|p| !p.ends_with("proof.pdf"))
        .collect();
    assert_eq!(pdfs.len(), 27, "{pdfs:?}");
    assert!(pdfs.iter().all(|p| !p.to_string_lossy().contains("K-1003")));
    let edited = text(&w.pdf_of("out", "K-1002"));
    let flat = edited.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Kirschbaum-Gruß aus der Werkstatt #1 [sic] $x$"),
        "{flat}"
    );
    assert!(!flat.contains("Treue"), "{flat}");
    let manifest = read_manifest(&w.join("out/manifest.csv"));
    let row = |id: &str| manifest.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(row("K-1002")["edited"], "true");
    assert_eq!(row("K-1001")["edited"], "false");
    assert!(text(&w.join("out/proof.pdf")).contains("K-1002"));

    // The state folder holds it all, in plain files.
    let state = w.join("samples/state/christmas-2026");
    let excluded = std::fs::read_to_string(state.join("excluded.csv")).unwrap();
    assert!(
        excluded.starts_with("id,reason,excluded_on\nK-1003,Laden geschlossen,"),
        "{excluded}"
    );
    assert!(std::fs::read_to_string(state.join("edits/K-1002.txt"))
        .unwrap()
        .contains("Kirschbaum"));
    let approval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("approval.json")).unwrap())
            .unwrap();
    assert_eq!(approval["by"], "Jana Test");
    assert_eq!(approval["pieces"], 27);
    drop(studio);

    // render, check and due see the exclusion; a change after approval is named.
    let check = w.run(&["check", "samples/christmas-2026.toml"]);
    assert!(
        check
            .stdout()
            .contains("1 left out by hand: K-1003 (excluded — Laden geschlossen)"),
        "{}",
        check.stdout()
    );
    let dry = w.run(&[
        "render",
        "samples/christmas-2026.toml",
        "--out",
        "out",
        "--dry-run",
        "--force",
    ]);
    assert!(!dry.stderr().contains("changed since"), "{}", dry.stderr());
    dry.expect_stderr("left out 1: excluded (K-1003 (excluded — Laden geschlossen))");
    let message = w.join("samples/christmas-2026/message.de.j2");
    let mut source = std::fs::read_to_string(&message).unwrap();
    source.push_str("\nEin neuer Satz.\n");
    std::fs::write(&message, source).unwrap();
    let dry = w.run(&[
        "render",
        "samples/christmas-2026.toml",
        "--out",
        "out",
        "--dry-run",
        "--force",
    ]);
    dry.expect_stderr("changed since the approval of ");
    dry.expect_stderr("by Jana Test: the messages");
    let due = w.run(&["due", "samples/christmas-2026.toml", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&due.stdout()).unwrap();
    let k1003 = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "K-1003")
        .unwrap();
    assert_eq!(k1003["status"], "excluded");
    assert!(k1003["why"]
        .as_str()
        .unwrap()
        .contains("left out: excluded — Laden geschlossen"));
}

/// The files of a folder, sorted, with their contents' hashes: what
/// "nothing in the folder changed" compares.
fn folder_state(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = util::walk(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (
                rel,
                format!("{:x}", bytes.len()) + &format!("{:?}", &bytes[..bytes.len().min(64)]),
            )
        })
        .collect();
    out.sort();
    out
}

/// Sets a form field as a person types or picks, so the page hears it.
async fn set_value(c: &Client, id: &str, value: &str, event: &str) {
    let script = format!(
        "const e = document.getElementById({id:?}); e.value = {value:?}; e.dispatchEvent(new Event({event:?}, {{ bubbles: true }}));"
    );
    js(c, &script).await;
}

async fn next_step(c: &Client, step: usize) {
    wait_for(
        c,
        "the wizard's Next button",
        "return !document.getElementById('wizard-next').disabled",
        true.into(),
    )
    .await;
    c.find(Locator::Id("wizard-next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let current =
        format!("return document.querySelector('#steps li.current span').textContent === '{step}'");
    wait_for(c, &format!("step {step}"), &current, true.into()).await;
}

/// From a fresh folder with nothing but a DATEV export to a printed
/// Christmas mailing, in the browser, the way an assistant without a
/// terminal goes: warmly recognises the export, maps its columns, asks
/// what the campaign is for and who sends it, shows three real cards
/// while the message is written, writes the campaign only at "Create",
/// and then the usual studio approves and prints it.
#[test]
fn an_assistant_makes_a_campaign_from_a_datev_export_in_the_browser() {
    let Some((chromium, driver)) = browser() else {
        return;
    };
    let w = Workdir::new();
    let export = std::fs::read(repo().join("tests/fixtures/exports/datev-debitoren.csv")).unwrap();
    w.write("Debitoren.csv", &export);
    w.write(
        "kaputt.csv",
        "Kundennr;Name;Ort\n1;\"Weiß;Dresden\n2;Müller;Leipzig\n",
    );
    let before = folder_state(w.path());
    let studio = Studio::start_with(w.path(), &["--no-open", "--jobs", "2"]);
    assert!(
        studio.url().contains(":") && studio.url().contains("/?token="),
        "{}",
        studio.url()
    );
    let driver = start_driver(&driver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let c = connect(&driver, &chromium, 1280, 860).await;
        c.goto(&studio.url()).await.unwrap();
        wait_for(&c, "the empty folder", "return !document.getElementById('no-campaigns').hidden", true.into()).await;
        screenshot(&c, "wizard-0-home.png").await;
        c.find(Locator::Id("new-campaign")).await.unwrap().click().await.unwrap();
        wait_for(&c, "the list of files", "return document.querySelectorAll('#people-file option').length", 3.into()).await;

        // A broken file says which file, which line, and what to do.
        set_value(&c, "people-file", "kaputt.csv", "change").await;
        wait_for(&c, "the broken file's message", "return !!document.querySelector('#recognised .banner.error')", true.into()).await;
        let broken = js(&c, "return document.querySelector('#recognised').textContent").await;
        let broken = broken.as_str().unwrap();
        assert!(broken.contains("kaputt.csv") && broken.contains("line 2"), "{broken}");
        assert_eq!(js(&c, "return document.getElementById('wizard-next').disabled").await, true);

        // The DATEV export is recognised, with its rows.
        set_value(&c, "people-file", "Debitoren.csv", "change").await;
        wait_for(&c, "the recognised export", "return (document.querySelector('#recognised .recognised') || {}).textContent?.includes('DATEV') || false", true.into()).await;
        screenshot(&c, "wizard-1-file.png").await;
        next_step(&c, 2).await;
        wait_for(&c, "the rows as warmly reads them", "return document.querySelectorAll('#rows-preview tbody tr').length > 3", true.into()).await;
        let rows = js(&c, "return document.querySelector('#rows-preview').textContent").await;
        let rows = rows.as_str().unwrap();
        assert!(rows.contains("Bäckerei Größl & Söhne GmbH") && rows.contains("Größe-Straße 12"), "{rows}");
        // Without a street column nothing goes on, and the page says why.
        set_value(&c, "map-street", "Ort", "change").await;
        wait_for(&c, "the refusal", "return document.getElementById('wizard-note').textContent.includes('street') || document.getElementById('wizard-next').disabled", true.into()).await;
        set_value(&c, "map-street", "", "change").await;
        wait_for(&c, "the mapping back", "return document.querySelectorAll('#rows-preview tbody tr').length > 3 && !document.getElementById('wizard-next').disabled", true.into()).await;
        screenshot(&c, "wizard-2-columns.png").await;

        next_step(&c, 3).await;
        set_value(&c, "c-name", "weihnachten", "input").await;
        screenshot(&c, "wizard-3-occasion.png").await;
        next_step(&c, 4).await;
        for (id, value) in [
            ("s-company", "Holzwerk Lindner GmbH"),
            ("s-name", "Marie Lindner"),
            ("s-street", "Am Elbufer 12"),
            ("s-postal_code", "01069"),
            ("s-city", "Dresden"),
            ("s-country", "DE"),
        ] {
            set_value(&c, id, value, "input").await;
        }
        screenshot(&c, "wizard-4-sender.png").await;
        next_step(&c, 5).await;
        wait_for(&c, "three real cards", "return document.querySelectorAll('#w-preview figure img').length", 3.into()).await;
        let shown = js(&c, "return document.querySelector('#w-preview').textContent").await;
        assert!(shown.as_str().unwrap().contains("Jürgen Weiß"), "{shown}");
        // The message is the person's own: a sentence added shows in the preview.
        let source = js(&c, "return document.getElementById('w-source').value").await;
        let source = format!("{}\nHerzliche Grüße aus der Werkstatt am Elbufer.\n", source.as_str().unwrap());
        set_value(&c, "w-source", &source, "input").await;
        wait_for(&c, "the new preview", "return document.getElementById('w-status').className.includes('ok') && document.getElementById('w-status').textContent.includes('Preview in')", true.into()).await;
        screenshot(&c, "wizard-5-message.png").await;
        next_step(&c, 6).await;
        wait_for(&c, "the files to write", "return document.querySelector('.files')?.textContent.includes('weihnachten.toml') || false", true.into()).await;
        screenshot(&c, "wizard-6-create.png").await;
        // Nothing in the folder changed so far.
        assert_eq!(folder_state(w.path()), before);

        c.find(Locator::Id("wizard-next")).await.unwrap().click().await.unwrap();
        let opened = "const e = document.getElementById('wizard-error'); \
            return location.pathname === '/c/weihnachten/' || (!!e && !e.hidden)";
        wait_for(&c, "the campaign's studio", opened, true.into()).await;
        assert_eq!(js(&c, "return location.pathname").await, "/c/weihnachten/", "{}",
            js(&c, "return document.getElementById('wizard-error')?.textContent").await);
        wait_for(&c, "every piece checked", "return !document.getElementById('approve').disabled", true.into()).await;
        screenshot(&c, "wizard-7-studio.png").await;
        // The home page lists it, not run yet, with its six cards in December.
        c.goto(&studio.url()).await.unwrap();
        wait_for(&c, "the campaign on the home page", "return document.querySelector('#campaigns .campaign .c-when')?.textContent.includes('not run yet') || false", true.into()).await;
        let december = js(&c, "return document.querySelector('#calendar .month').textContent").await;
        assert!(december.as_str().unwrap().contains("6 weihnachten"), "{december}");
        screenshot(&c, "studio-home.png").await;
        c.find(Locator::Css("#campaigns .campaign a.c-name")).await.unwrap().click().await.unwrap();
        wait_for(&c, "every piece checked", "return location.pathname === '/c/weihnachten/' && !document.getElementById('approve').disabled", true.into()).await;
        c.find(Locator::Id("approve")).await.unwrap().click().await.unwrap();
        c.find(Locator::Id("approve-by")).await.unwrap().send_keys("Jana Test").await.unwrap();
        c.find(Locator::Id("approve-confirm")).await.unwrap().click().await.unwrap();
        wait_for(&c, "the render", "return !document.getElementById('job-done').hidden", true.into()).await;
        // Home again: the campaign with its last run, and its month in the calendar.
        c.goto(&studio.url()).await.unwrap();
        wait_for(&c, "the campaign on the home page", "return document.querySelector('#campaigns .campaign .c-when')?.textContent.includes('last run') || false", true.into()).await;
        let listed = js(&c, "return document.querySelector('#campaigns .campaign').textContent").await;
        let listed = listed.as_str().unwrap();
        assert!(listed.contains("weihnachten") && listed.contains(": 6 pieces"), "{listed}");
        // Made, so nobody is due for it in December any more.
        let december = js(&c, "return document.querySelector('#calendar .month').textContent").await;
        assert!(december.as_str().unwrap().contains("nobody due"), "{december}");
        c.close().await.unwrap();
    });

    // The campaign is a readable file with comments, and it was printed.
    let campaign = std::fs::read_to_string(w.join("weihnachten.toml")).unwrap();
    assert!(
        campaign.contains("# ") && campaign.contains("Debitoren.csv"),
        "{campaign}"
    );
    let message = std::fs::read_to_string(w.join("weihnachten/message.de.j2")).unwrap();
    assert!(message.contains("Werkstatt am Elbufer"), "{message}");
    let check = w.run(&["check", "weihnachten.toml"]);
    check.expect_code(0);
    let print = w.join("out/weihnachten/print.pdf");
    assert!(print.exists(), "{:?}", w.tree());
    let printed = text(&print);
    assert!(printed.contains("Werkstatt am Elbufer"), "{printed}");
    assert!(printed.contains("Sehr geehrte Frau Größl"), "{printed}");
}
