//! Named segments from three scores of 1 to 3 — recency, frequency,
//! money (RFM) — and a plain rule table from scores to a segment, the
//! same table docs/guide/insights.md shows (a test keeps them equal).
//!
//! - **R** is measured against the customer's *own* rhythm, not against
//!   other customers: 3 while the silence is within the usual interval,
//!   2 once the next order is overdue, 1 once the silence reaches the
//!   lapsing threshold (the multiple of the interval; for customers with
//!   too few orders for a rhythm: half the campaign-wide days, then those
//!   days). A customer who orders every December is not "at risk" in
//!   August, and R = 1 exactly when a `lapsing` occasion would be due.
//! - **F** (order days) and **M** (total value) are measured against the
//!   campaign's customers (everyone in the people file with an order): 1
//!   for the lowest third, 2 for the middle, 3 for the top third, by the
//!   share of customers with a smaller value (ties share a score). Without
//!   any amount in the history, M is F.

use serde::{Deserialize, Serialize};

use super::rhythm::{Params, Rhythm};
use crate::model::Event;

/// Recency, frequency and money, each 1 (low) to 3 (high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scores {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

impl std::fmt::Display for Scores {
    /// "R1 F3 M2".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "R{} F{} M{}", self.r, self.f, self.m)
    }
}

/// A named group of customers (serialised by these names: `champions`,
/// `loyal`, `new`, `at_risk`, `cant_lose`, `hibernating`, `lost`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Segment {
    Champions,
    Loyal,
    New,
    AtRisk,
    CantLose,
    Hibernating,
    Lost,
}

impl Segment {
    /// Every segment, in the order reports list them.
    pub const ALL: [Segment; 7] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::New,
        Segment::AtRisk,
        Segment::CantLose,
        Segment::Hibernating,
        Segment::Lost,
    ];

    /// The serialised name (`at_risk`), as `[select] segments` and
    /// `person.segment` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::New => "new",
            Segment::AtRisk => "at_risk",
            Segment::CantLose => "cant_lose",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
        }
    }

    /// The name for people ("can't lose").
    pub fn label(self) -> &'static str {
        match self {
            Segment::AtRisk => "at risk",
            Segment::CantLose => "can't lose",
            other => other.as_str(),
        }
    }

    /// A segment by any of its spellings: `at_risk`, `at risk`,
    /// `At-Risk`, `can't lose`, `cant_lose`.
    pub fn parse(text: &str) -> Option<Segment> {
        let key: String = text
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        Segment::ALL
            .into_iter()
            .find(|s| s.as_str().replace('_', "") == key)
    }

    /// The segments of at-risk customers: the ones a win-back is for.
    pub fn at_risk(self) -> bool {
        matches!(self, Segment::AtRisk | Segment::CantLose)
    }
}

impl TryFrom<String> for Segment {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Segment::parse(&value).ok_or_else(|| {
            let names: Vec<String> = Segment::ALL
                .iter()
                .map(|s| format!("\"{}\"", s.as_str()))
                .collect();
            format!("{value:?} is not a segment: use {}", names.join(", "))
        })
    }
}

/// One line of the rule table: the score ranges (inclusive) of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRule {
    pub segment: Segment,
    pub r: (u8, u8),
    pub f: (u8, u8),
    pub m: (u8, u8),
    /// Who they are, in words (the docs' last column).
    pub who: &'static str,
}

/// The rule table: the first line whose ranges hold all three scores
/// names the segment. Every combination of scores is covered.
pub const RULES: [SegmentRule; 7] = [
    SegmentRule {
        segment: Segment::Champions,
        r: (3, 3),
        f: (3, 3),
        m: (2, 3),
        who: "on their rhythm, order most often and spend much",
    },
    SegmentRule {
        segment: Segment::Loyal,
        r: (3, 3),
        f: (2, 3),
        m: (1, 3),
        who: "on their rhythm, ordering regularly",
    },
    SegmentRule {
        segment: Segment::New,
        r: (3, 3),
        f: (1, 1),
        m: (1, 3),
        who: "not overdue, few orders so far: new and occasional customers",
    },
    SegmentRule {
        segment: Segment::CantLose,
        r: (1, 1),
        f: (2, 3),
        m: (3, 3),
        who: "ordered often and spent the most, and have lapsed",
    },
    SegmentRule {
        segment: Segment::AtRisk,
        r: (1, 2),
        f: (2, 3),
        m: (1, 3),
        who: "regular customers who are overdue or have lapsed",
    },
    SegmentRule {
        segment: Segment::Hibernating,
        r: (2, 2),
        f: (1, 1),
        m: (1, 3),
        who: "few orders, quieter than usual",
    },
    SegmentRule {
        segment: Segment::Lost,
        r: (1, 1),
        f: (1, 1),
        m: (1, 3),
        who: "few orders, and have lapsed",
    },
];

/// The segment of some scores, by the first rule that holds them.
pub fn segment_of(scores: Scores) -> Segment {
    let holds = |(lo, hi): (u8, u8), v: u8| (lo..=hi).contains(&v);
    RULES
        .iter()
        .find(|rule| holds(rule.r, scores.r) && holds(rule.f, scores.f) && holds(rule.m, scores.m))
        .map_or(Segment::Lost, |rule| rule.segment)
}

/// What a customer's scores are measured against: the run date, the
/// rhythm's parameters and every customer's order count and value.
#[derive(Debug, Clone)]
pub struct Scale {
    pub date: chrono::NaiveDate,
    pub params: Params,
    /// Order days of every customer with an order, sorted.
    counts: Vec<u32>,
    /// Their total values, sorted.
    totals: Vec<f64>,
    /// Some order has an amount (else M is F).
    valued: bool,
}

/// A customer as insights see them: rhythm, scores, segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub rhythm: Rhythm,
    pub scores: Scores,
    pub segment: Segment,
}

/// Where F and M change: the smallest order count and value that score 2
/// and 3 (none when no customer reaches it), for reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    pub f2: Option<u32>,
    pub f3: Option<u32>,
    pub m2: Option<f64>,
    pub m3: Option<f64>,
}

impl Scale {
    /// The scale of a run from every customer's rhythm (those without an
    /// order have none and do not count).
    pub fn new(
        date: chrono::NaiveDate,
        params: Params,
        rhythms: impl IntoIterator<Item = Rhythm>,
    ) -> Scale {
        let (mut counts, mut totals, mut valued) = (Vec::new(), Vec::new(), false);
        for r in rhythms {
            counts.push(r.orders);
            totals.push(r.total);
            valued |= r.valued > 0;
        }
        counts.sort_unstable();
        totals.sort_by(f64::total_cmp);
        Scale {
            date,
            params,
            counts,
            totals,
            valued,
        }
    }

    /// Customers with at least one order.
    pub fn buyers(&self) -> usize {
        self.counts.len()
    }

    /// A customer's profile from their events; None without an order.
    pub fn profile(&self, events: &[Event]) -> Option<Profile> {
        let rhythm = Rhythm::of(events, self.date, self.params.min_orders)?;
        let scores = self.scores(&rhythm);
        Some(Profile {
            segment: segment_of(scores),
            scores,
            rhythm,
        })
    }

    /// The scores of one rhythm.
    pub fn scores(&self, rhythm: &Rhythm) -> Scores {
        let r = if rhythm.is_lapsing(&self.params) {
            1
        } else if rhythm.is_on_rhythm(&self.params) {
            3
        } else {
            2
        };
        let f = tercile(&self.counts, |c| *c < rhythm.orders);
        let m = match self.valued {
            true => tercile(&self.totals, |t| *t < rhythm.total),
            false => f,
        };
        Scores { r, f, m }
    }

    /// Where F and M change in this run.
    pub fn limits(&self) -> Limits {
        let first = |score: u8, counts: bool| -> (Option<u32>, Option<f64>) {
            match counts {
                true => (
                    self.counts
                        .iter()
                        .copied()
                        .find(|&c| tercile(&self.counts, |x| *x < c) >= score),
                    None,
                ),
                false => (
                    None,
                    self.totals
                        .iter()
                        .copied()
                        .find(|&t| tercile(&self.totals, |x| *x < t) >= score),
                ),
            }
        };
        Limits {
            f2: first(2, true).0,
            f3: first(3, true).0,
            m2: first(2, false).1.filter(|_| self.valued),
            m3: first(3, false).1.filter(|_| self.valued),
        }
    }
}

/// 1, 2 or 3 by the share of sorted `values` below this one (`below`
/// is "smaller than it"): under a third 1, under two thirds 2, else 3.
fn tercile<T>(values: &[T], below: impl FnMut(&T) -> bool) -> u8 {
    if values.is_empty() {
        return 1;
    }
    let smaller = values.partition_point(below);
    1 + (3 * smaller / values.len()).min(2) as u8
}

/// A profile as reports show it (`due --json`, `check --json`, the
/// manifest, the studio, `warmly insights`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub segment: Segment,
    pub scores: Scores,
    pub orders: u32,
    /// The usual interval and its spread in whole days (none without a rhythm).
    pub interval_days: Option<i64>,
    pub spread_days: Option<i64>,
    pub last_order: String,
    pub days_silent: i64,
    /// Days of silence after which the customer counts as lapsing.
    pub threshold_days: i64,
    /// The silence in usual intervals, to one decimal.
    pub ratio: Option<f64>,
    pub lapsing: bool,
    pub total: f64,
    /// The rhythm in words ("ordered 9 times, every 41 days (±6); …").
    pub rhythm: String,
    /// The segment, scores and rhythm in words ("at risk (R1 F3 M2): …").
    pub why: String,
}

impl Profile {
    /// The profile for reports.
    pub fn summary(&self, params: &Params) -> Summary {
        let r = &self.rhythm;
        Summary {
            segment: self.segment,
            scores: self.scores,
            orders: r.orders,
            interval_days: r.interval.map(|i| i.median.round() as i64),
            spread_days: r.interval.map(|i| i.spread.round() as i64),
            last_order: r.last.to_string(),
            days_silent: r.days_silent,
            threshold_days: r.threshold(params),
            ratio: r.ratio().map(|x| (x * 10.0).round() / 10.0),
            lapsing: r.is_lapsing(params),
            total: (r.total * 100.0).round() / 100.0,
            rhythm: r.describe(params),
            why: self.describe(params),
        }
    }

    /// "at risk (R1 F3 M2): ordered 9 times, every 41 days (±6); last
    /// order 128 days ago, 3.1× the rhythm".
    pub fn describe(&self, params: &Params) -> String {
        format!(
            "{} ({}): {}",
            self.segment.label(),
            self.scores,
            self.rhythm.describe(params)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use indexmap::IndexMap;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_combination_of_scores_has_a_segment_and_every_segment_is_reached() {
        let mut reached = std::collections::BTreeSet::new();
        for r in 1..=3 {
            for f in 1..=3 {
                for m in 1..=3 {
                    let matching: Vec<Segment> = RULES
                        .iter()
                        .filter(|x| {
                            (x.r.0..=x.r.1).contains(&r)
                                && (x.f.0..=x.f.1).contains(&f)
                                && (x.m.0..=x.m.1).contains(&m)
                        })
                        .map(|x| x.segment)
                        .collect();
                    assert!(!matching.is_empty(), "R{r} F{f} M{m} has no segment");
                    reached.insert(segment_of(Scores { r, f, m }));
                }
            }
        }
        assert_eq!(reached.len(), Segment::ALL.len(), "{reached:?}");
        assert_eq!(segment_of(Scores { r: 1, f: 3, m: 3 }), Segment::CantLose);
        assert_eq!(segment_of(Scores { r: 1, f: 3, m: 2 }), Segment::AtRisk);
        assert_eq!(segment_of(Scores { r: 2, f: 2, m: 3 }), Segment::AtRisk);
        assert_eq!(segment_of(Scores { r: 3, f: 3, m: 1 }), Segment::Loyal);
    }

    /// The table in docs/guide/insights.md, row by row, is this table.
    #[test]
    fn the_documented_table_is_the_table_in_the_code() {
        let doc = include_str!("../../docs/guide/insights.md");
        let range = |s: &str| -> (u8, u8) {
            let s = s.trim().replace('–', "-");
            match s.split_once('-') {
                Some((a, b)) => (a.trim().parse().unwrap(), b.trim().parse().unwrap()),
                None => (s.parse().unwrap(), s.parse().unwrap()),
            }
        };
        let rows: Vec<SegmentRule> = doc
            .lines()
            .skip_while(|l| !l.contains("<!-- segment rules -->"))
            .skip(3)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                SegmentRule {
                    segment: Segment::parse(cells[0].trim_matches('`')).unwrap(),
                    r: range(cells[1]),
                    f: range(cells[2]),
                    m: range(cells[3]),
                    who: RULES
                        .iter()
                        .find(|r| r.who == cells[4])
                        .map_or("(differs)", |r| r.who),
                }
            })
            .collect();
        assert_eq!(rows, RULES.to_vec());
    }

    #[test]
    fn segments_have_names_for_toml_and_for_people() {
        for s in Segment::ALL {
            assert_eq!(Segment::parse(s.as_str()), Some(s));
            assert_eq!(Segment::parse(s.label()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(Segment::parse("Can't Lose"), Some(Segment::CantLose));
        assert_eq!(Segment::parse("at-risk"), Some(Segment::AtRisk));
        let e = Segment::try_from("vip".to_string()).unwrap_err();
        assert!(e.contains("\"at_risk\"") && e.contains("\"vip\""), "{e}");
    }

    fn orders(dates: &[&str], amount: &str) -> Vec<Event> {
        dates
            .iter()
            .map(|date| Event {
                date: d(date),
                kind: "order".into(),
                summary: String::new(),
                line: 0,
                extra: IndexMap::from([("amount".to_string(), amount.to_string())]),
            })
            .collect()
    }

    #[test]
    fn frequency_and_money_in_thirds_of_the_customers() {
        let date = d("2026-06-01");
        let people = [
            orders(&["2026-05-01"], "10"),
            orders(&["2026-05-01"], "20"),
            orders(&["2026-01-01", "2026-03-01", "2026-05-01"], "30"),
            orders(
                &["2025-01-01", "2025-03-01", "2025-05-01", "2025-07-01"],
                "1000",
            ),
            orders(&["2026-04-01", "2026-05-01"], "40"),
            orders(&["2026-04-01", "2026-05-01"], "50"),
        ];
        let params = Params::default();
        let scale = Scale::new(
            date,
            params,
            people.iter().filter_map(|e| Rhythm::of(e, date, 3)),
        );
        assert_eq!(scale.buyers(), 6);
        let got: Vec<String> = people
            .iter()
            .map(|e| {
                let p = scale.profile(e).unwrap();
                format!("{} {}", p.scores, p.segment.as_str())
            })
            .collect();
        // counts 1 1 2 2 3 4; totals 10 20 80 90 100 4000
        assert_eq!(
            got,
            [
                "R3 F1 M1 new",
                "R3 F1 M1 new",
                "R3 F3 M2 champions",
                "R1 F3 M3 cant_lose",
                "R3 F2 M2 loyal",
                "R3 F2 M3 loyal",
            ]
        );
        assert_eq!(
            scale.limits(),
            Limits {
                f2: Some(2),
                f3: Some(3),
                m2: Some(80.0),
                m3: Some(100.0)
            }
        );
        // Without amounts M is F.
        let bare: Vec<Vec<Event>> = people
            .iter()
            .map(|e| {
                e.iter()
                    .map(|x| Event {
                        extra: IndexMap::new(),
                        ..x.clone()
                    })
                    .collect()
            })
            .collect();
        let scale = Scale::new(
            date,
            params,
            bare.iter().filter_map(|e| Rhythm::of(e, date, 3)),
        );
        let p = scale.profile(&bare[3]).unwrap();
        assert_eq!((p.scores.f, p.scores.m), (3, 3));
        assert_eq!(scale.limits().m3, None);
    }
}
