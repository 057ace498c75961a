#!/usr/bin/env python3
"""Generates N unique recipients with history for the benchmark.

Usage: generate.py N DIR [--identical] — writes DIR/people.csv,
DIR/history.csv, DIR/bench.toml (a letter campaign) and DIR/cards.toml (the
same people, built-in card). Deterministic (seeded), so every run measures
the same work. Every recipient differs in name, address and history, so no
two letters are identical (identical letters are cheap in Typst's cache and
would flatter the numbers). With --identical every recipient is the first
one but for the customer number: what shared work costs.
"""
import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

FIRST = ["Anna", "Peter", "Eva", "Jonas", "Marie", "Felix", "Lena", "Paul", "Sophie", "Lukas",
         "Clara", "Max", "Hannah", "Leon", "Emma", "Noah", "Mia", "Elias", "Lea", "Ben"]
LAST = ["Weber", "Müller", "Schmidt", "Schneider", "Fischer", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Schwarz", "Zimmermann", "Braun", "Krüger"]
STREETS = ["Hauptstraße", "Lindenweg", "Bahnhofstraße", "Am Markt", "Gartenstraße", "Schulstraße",
           "Bergstraße", "Rosenweg", "Ringstraße", "Eichenallee"]
CITIES = [("01069", "Dresden"), ("04109", "Leipzig"), ("10115", "Berlin"), ("20095", "Hamburg"),
          ("80331", "München"), ("50667", "Köln"), ("60311", "Frankfurt am Main"), ("70173", "Stuttgart")]
PROJECTS = ["Landhausküche in Eiche", "Bücherwand Nussbaum", "Treppe Esche", "Ladeneinrichtung",
            "Einbauschrank Flur", "Badmöbel Teak", "Esstisch massiv", "Wandvertäfelung"]
KINDS = ["order", "project", "meeting", "call", "card"]


def main():
    n = int(sys.argv[1])
    out = Path(sys.argv[2])
    identical = "--identical" in sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    run_date = date(2026, 12, 1)
    with open(out / "people.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "salutation", "title", "first_name", "last_name", "company", "street",
                    "postal_code", "city", "country", "language", "formality", "customer_since"])
        for row in range(n):
            i = 0 if identical else row
            first = FIRST[i % len(FIRST)]
            last = f"{LAST[(i // len(FIRST)) % len(LAST)]}-{i}"
            sal = "Frau" if i % 2 == 0 else "Herr"
            title = "Dr." if i % 7 == 0 else ""
            company = f"Firma {i} GmbH" if i % 5 == 0 else ""
            plz, city = CITIES[i % len(CITIES)]
            since = run_date - timedelta(days=rng.randint(30, 6000))
            if identical:
                since = run_date - timedelta(days=3000)
            w.writerow([f"B-{row:06d}", sal, title, first, last, company, f"{STREETS[i % 10]} {i % 200 + 1}",
                        plz, city, "DE", "de", "informal" if i % 4 == 0 else "formal", since.isoformat()])
    with open(out / "history.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["person_id", "date", "kind", "summary", "amount"])
        first_events = None
        for i in range(n):
            events = []
            for _ in range(rng.randint(2, 5)):
                kind = rng.choice(KINDS)
                d = run_date - timedelta(days=rng.randint(1, 1000))
                summary = rng.choice(PROJECTS) + f" {rng.randint(1, 99)}"
                amount = f"{rng.randint(200, 20000)}.00" if kind in ("order", "project") else ""
                events.append([d.isoformat(), kind, summary, amount])
            if identical:
                first_events = first_events or events
                events = first_events
            for event in events:
                w.writerow([f"B-{i:06d}", *event])
    for file, template in (("bench.toml", "letter"), ("cards.toml", "card")):
        (out / file).write_text(f"""name = "bench"
template = "{template}"
date = "2026-12-01"
[data]
people = "people.csv"
history = "history.csv"
[sender]
company = "Holzwerk Lindner GmbH"
name = "Marie Lindner"
role = "Geschäftsführerin"
street = "Am Elbufer 12"
postal_code = "01069"
city = "Dresden"
phone = "+49 351 4127 560"
email = "hallo@holzwerk-lindner.de"
web = "www.holzwerk-lindner.de"
[text.de]
subject = "Danke für {{{{ person.years | words }}}} Jahre"
""", encoding="utf-8")


if __name__ == "__main__":
    main()
