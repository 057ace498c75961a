//! A running `warmly studio`, plain HTTP to it, and Chromium through
//! WebDriver (chromedriver, fantoccini) — for the studio's tests. Include
//! with `mod util; #[path = "util/browser.rs"] mod browser;`.
//!
//! Without Chromium a browser test says so loudly and passes, except on
//! CI (`CI=true`), where its absence fails.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

/// A running `warmly studio CAMPAIGN`, ended when dropped.
pub struct Studio {
    child: Child,
    pub port: u16,
    pub token: String,
    /// The address it printed.
    url: String,
    /// Where the campaign's studio is served (`/c/<name>`): `/api/…` and
    /// `/out/…` below are asked there.
    pub prefix: String,
}

impl Studio {
    /// Starts the studio in `dir` on `campaign` with `extra` arguments.
    pub fn start(dir: &Path, campaign: &str, extra: &[&str]) -> Studio {
        let mut args = vec![campaign, "--no-open", "--jobs", "2"];
        args.extend_from_slice(extra);
        Studio::start_with(dir, &args)
    }

    /// `warmly studio ARGS…` in `dir` (a folder's home page: no campaign).
    pub fn start_with(dir: &Path, args: &[&str]) -> Studio {
        let mut child = Command::new(env!("CARGO_BIN_EXE_warmly"))
            .arg("studio")
            .args(args)
            .current_dir(dir)
            .env_remove("WARMLY_DATE")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting warmly studio");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("studio: ")
            .unwrap_or_else(|| panic!("no address printed: {line:?}"));
        let rest = url.strip_prefix("http://127.0.0.1:").expect(url);
        let (port, path) = rest.split_once('/').expect(url);
        let (page, token) = path.split_once("?token=").expect(url);
        assert_eq!(token.len(), 32, "{token}");
        Studio {
            child,
            port: port.parse().unwrap(),
            token: token.to_string(),
            url: url.to_string(),
            prefix: format!("/{}", page.trim_end_matches('/')),
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A path of the campaign's studio (`/api/…`, `/out/…`) under its prefix.
    fn at(&self, path: &str) -> String {
        if path.starts_with("/api/") || path.starts_with("/out/") {
            format!("{}{path}", self.prefix)
        } else {
            path.to_string()
        }
    }

    /// GET with the studio's cookie: status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let path = self.at(path);
        let (status, _, body) = http(
            self.port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{}Connection: close\r\n\r\n",
                self.port,
                self.cookie()
            ),
        );
        (status, body)
    }

    /// GET, answered with JSON.
    #[track_caller]
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    /// A change, as the page makes it: cookie, token header, origin.
    pub fn post(&self, path: &str, body: &str) -> (u16, String) {
        let path = self.at(path);
        let (status, _, answer) = http(
            self.port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{}X-Warmly-Token: {}\r\n\
                 Origin: http://127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                self.cookie(),
                self.token,
                body.len(),
                port = self.port,
            ),
        );
        (status, answer)
    }

    fn cookie(&self) -> String {
        format!("Cookie: warmly_studio_{}={}\r\n", self.port, self.token)
    }

    /// Waits until every piece of the studio's plan is checked.
    pub fn wait_checked(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let o = self.get_json("/api/overview");
            if o["checked"] == o["total"] {
                return;
            }
            assert!(Instant::now() < deadline, "the studio did not check: {o}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the render the page started has ended: its job.
    pub fn wait_job(&self) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let job = self.get_json("/api/job");
            if job["state"] != "running" {
                return job;
            }
            assert!(Instant::now() < deadline, "the render did not end: {job}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw HTTP/1.1 request: status, head and body.
pub fn http(port: u16, request: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let answer = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, head.to_string(), body.to_string())
}

/// chromedriver on a free port, ended when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromium and chromedriver, or why not.
pub fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    let driver = PathBuf::from("/usr/bin/chromedriver");
    match chromium {
        Some(c) if driver.exists() => Some((c, driver)),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI needs chromium and chromium-driver (apt-get install chromium chromium-driver)");
            }
            eprintln!(
                "\n*** SKIPPED a studio browser test: no /usr/bin/chromium or /usr/bin/chromedriver ***\n"
            );
            None
        }
    }
}

pub fn start_driver(driver: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver {
        child,
        port,
        profile: tempfile::tempdir().unwrap(),
    }
}

pub async fn connect(driver: &Driver, chromium: &Path, width: u32, height: u32) -> Client {
    let profile = driver.profile.path().display().to_string();
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                format!("--user-data-dir={profile}"),
                format!("--window-size={width},{height}"),
            ]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("connecting to chromedriver")
}

/// Waits until `probe` (JavaScript returning a value) returns `want`.
pub async fn wait_for(c: &Client, what: &str, probe: &str, want: serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = c.execute(probe, vec![]).await.unwrap();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited in vain for {what}: {probe} gave {got}, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

/// A screenshot into `target/studio-screenshots/` (a test run does not
/// change the checkout), or with `WARMLY_SCREENSHOTS=docs` into `docs/`
/// (shown in the guide); checked to be a real page image, not an empty one.
pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    let (w, h) = png_size_of(&png);
    assert!(w >= 1000 && h >= 500, "{name}: {w}×{h}");
    let dir = match std::env::var("WARMLY_SCREENSHOTS").as_deref() {
        Ok("docs") => super::util::repo().join("docs"),
        _ => super::util::repo().join("target/studio-screenshots"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// Width and height from a PNG's header.
fn png_size_of(png: &[u8]) -> (u32, u32) {
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}
