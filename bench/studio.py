#!/usr/bin/env python3
"""How fast the studio answers an assistant with a long list.

Usage: studio.py WARMLY DIR [--port P] [--browser]

DIR holds people.csv, history.csv and cards.toml (bench/generate.py N DIR).
Starts `WARMLY studio DIR --no-open`, then measures, as a browser would ask:

  home      the home page and its campaign list until every campaign is
            looked at (the calendar is filled)
  grid      a campaign's page: the overview and every piece's row
  thumbs    thumbnails of pieces not looked at yet, 8 requests at a time
            (p50, p95, max over 96 requests)
  preview   the message editor's live preview of one recipient (10 edits)
  wizard    the new-campaign wizard: the file recognised, the columns
            with real rows, the first preview (the list read), then its live
            preview of three recipients (10 edits of the message)

With --browser, first the same in headless Chromium (chromedriver): from
each page's start until the home page shows the calendar, the grid its
first hundred tiles, and the first twenty thumbnails are drawn; then the
studio starts again, fresh, for the rest.

Prints one line per measurement and a JSON line for BENCHMARKS.md.
Only the standard library: urllib and threads.
"""
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


class Studio:
    def __init__(self, warmly, folder, port):
        self.proc = subprocess.Popen(
            [warmly, "studio", str(folder), "--no-open", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+)", line)
        if not m:
            raise SystemExit(f"no address printed: {line!r}")
        self.port, self.token = int(m.group(1)), m.group(2)
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, path, body=None):
        headers = {"Cookie": f"warmly_studio_{self.port}={self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json", "X-Warmly-Token": self.token,
                            "Origin": self.base})
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.read()

    def json(self, path, body=None):
        return json.loads(self.request(path, body))

    def close(self):
        self.proc.kill()
        self.proc.wait()


def timed(f):
    start = time.perf_counter()
    value = f()
    return time.perf_counter() - start, value


def home(s):
    start = time.perf_counter()
    s.request("/")
    first = None
    while True:
        data = s.json("/home/api/campaigns")
        if first is None:
            first = time.perf_counter() - start
        if not data["looking"]:
            return first, time.perf_counter() - start, len(data["campaigns"])
        time.sleep(0.05)


def grid(s, name):
    start = time.perf_counter()
    s.request(f"/c/{name}/")
    overview = s.json(f"/c/{name}/api/overview")
    rows = s.json(f"/c/{name}/api/pieces")["rows"]
    return time.perf_counter() - start, overview, rows


def thumbs(s, name, rows):
    # Pieces far down the list: the checker has not come to them yet.
    due = [r["n"] for r in rows if r["status"] == "due"]
    wanted = due[len(due) // 2: len(due) // 2 + 96]

    def one(n):
        t, png = timed(lambda: s.request(f"/c/{name}/api/thumb/{n}?v=0.0"))
        assert png[:4] == b"\x89PNG", n
        return t

    with ThreadPoolExecutor(max_workers=8) as pool:
        times = sorted(pool.map(one, wanted))
    return times


def preview(s, name, rows):
    message = s.json(f"/c/{name}/api/message")
    lang = message["messages"][0]["lang"]
    source = message["messages"][0]["source"]
    person = next(r["id"] for r in rows if r["status"] == "due")
    times = []
    for i in range(10):
        edited = source + f"\n\nEin Gruß Nummer {i}."
        t, answer = timed(lambda: s.json(f"/c/{name}/api/message/preview",
                                         {"lang": lang, "source": edited, "id": person}))
        assert answer.get("ok"), answer
        times.append(t)
    return sorted(times)


def wizard(s, folder):
    setup = {"name": "bench-new", "people": "people.csv", "history": "history.csv",
             "mapping": {}, "occasion": "christmas", "days": 7, "silence": 180,
             "template": "card", "motif": "christmas", "language": "de",
             "sender": {"company": "Holzwerk Lindner GmbH", "name": "Marie Lindner"},
             "messages": {}, "preview_lang": "de"}
    try:
        t_inspect, _ = timed(lambda: s.json("/home/api/inspect", {"file": "people.csv", "history": "history.csv"}))
        t_mapping, _ = timed(lambda: s.json("/home/api/mapping", {"file": "people.csv", "mapping": {}}))
        t_first, first = timed(lambda: s.json("/home/api/draft", setup))
    except Exception as e:  # the wizard is not there
        return None, str(e)
    print(f"wizard: file recognised in {t_inspect * 1000:.0f} ms, columns with rows in {t_mapping * 1000:.0f} ms, "
          f"first preview (reads the list) in {t_first * 1000:.0f} ms")
    text = first["messages"]["de"]
    times = []
    for i in range(10):
        setup["messages"] = {"de": text + f"\n\nGruß Nummer {i}."}
        t, answer = timed(lambda: s.json("/home/api/draft", setup))
        assert answer.get("ok"), answer
        times.append(t)
    return sorted(times), None


class Browser:
    """Headless Chromium through chromedriver's HTTP API (WebDriver)."""

    def __init__(self, port=9516):
        self.driver = subprocess.Popen(["chromedriver", f"--port={port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except Exception:
                time.sleep(0.1)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,800"]
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}}
        self.session = self.call("POST", "/session", caps)["value"]["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())

    def goto(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def js(self, script):
        return self.call("POST", f"/session/{self.session}/execute/sync", {"script": script, "args": []})["value"]

    def until(self, probe, limit=30):
        """Milliseconds from the page's navigation start until `probe` is true."""
        deadline = time.time() + limit
        while time.time() < deadline:
            at = self.js(f"return ({probe}) ? performance.now() : null")
            if at is not None:
                return at
            time.sleep(0.02)
        raise SystemExit(f"waited in vain for {probe}")

    def close(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.driver.kill()


def in_browser(s, name):
    b = Browser()
    try:
        b.goto(f"{s.base}/?token={s.token}")
        home = b.until("document.querySelectorAll('.month').length === 12 && document.getElementById('looking').textContent === ''")
        b.goto(f"{s.base}/c/{name}/?token={s.token}")
        grid = b.until("document.querySelectorAll('#grid .tile img').length >= 100")
        thumbs = b.until("[...document.querySelectorAll('#grid .tile img')].slice(0, 20).every((i) => i.complete && i.naturalWidth > 0)")
        return home, grid, thumbs
    finally:
        b.close()


def quantile(times, q):
    return times[min(len(times) - 1, int(round(q * (len(times) - 1))))]


def main():
    warmly, folder = sys.argv[1], Path(sys.argv[2])
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    s = Studio(warmly, folder, port)
    result = {}
    try:
        if "--browser" in sys.argv:
            home_ms, grid_ms, thumbs_ms = in_browser(s, "cards")
            print(f"in Chromium: home with calendar {home_ms:.0f} ms, grid with 100 tiles {grid_ms:.0f} ms, "
                  f"first 20 thumbnails shown {thumbs_ms:.0f} ms (from each page's start)")
            result["browser_ms"] = {"home": round(home_ms), "grid": round(grid_ms), "thumbs": round(thumbs_ms)}
            s.close()
            s = Studio(warmly, folder, port)
        first, full, n = home(s)
        print(f"home: list shown after {first * 1000:.0f} ms, {n} campaigns looked at after {full * 1000:.0f} ms")
        result["home_ms"] = [round(first * 1000), round(full * 1000)]
        t, overview, rows = grid(s, "cards")
        print(f"grid: {len(rows)} rows, overview + rows in {t * 1000:.0f} ms")
        result["grid_ms"] = round(t * 1000)
        times = thumbs(s, "cards", rows)
        p50, p95 = quantile(times, 0.5), quantile(times, 0.95)
        print(f"thumbs: 8 at a time, {len(times)} requests: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
        result["thumb_ms"] = {"p50": round(p50 * 1000), "p95": round(p95 * 1000), "max": round(times[-1] * 1000)}
        times = preview(s, "cards", rows)
        print(f"message preview: median {statistics.median(times) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
        result["preview_ms"] = {"median": round(statistics.median(times) * 1000), "max": round(times[-1] * 1000)}
        times, missing = wizard(s, folder)
        if times:
            print(f"wizard preview (3 recipients): median {statistics.median(times) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
            result["wizard_ms"] = {"median": round(statistics.median(times) * 1000), "max": round(times[-1] * 1000)}
        else:
            print(f"wizard preview: not measured ({missing})")
    finally:
        s.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
