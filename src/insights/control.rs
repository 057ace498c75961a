//! Do the letters work? A campaign with `[select] control = 10` keeps
//! about 10 % of the customers due out of the mail (the control group,
//! recorded in the ledger as `control`); later, the share of recipients
//! who ordered again within N days of the run date is compared with the
//! control group's.
//!
//! - **Who is in the control group** is decided by a hash of the
//!   campaign's name, the occasion's key and the customer's id: the same
//!   answer on every run (a daily run does not send the piece the next
//!   day), but another draw for another campaign or another lapse, so
//!   nobody is always the one left out. Each customer is in it with the
//!   given chance, so the group is *about* that share, not exactly.
//! - **The comparison** is the difference of the two shares with a 95 %
//!   confidence interval by Newcombe's hybrid score method (Newcombe
//!   1998, method 10, from the two Wilson score intervals), which stays
//!   sensible for small groups and shares near 0 % or 100 %.

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest control group a campaign may keep back, in percent.
pub const MAX_CONTROL: u8 = 50;
/// Fewer observations than this in a group: "not enough yet".
pub const MIN_GROUP: u32 = 10;
/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Whether the customer `id`, due for `key` in `campaign`, is in a
/// control group of `percent` % (0 to [`MAX_CONTROL`]).
pub fn in_control(percent: u8, campaign: &str, key: &str, id: &str) -> bool {
    if percent == 0 {
        return false;
    }
    let digest = Sha256::digest(format!("warmly-control\0{campaign}\0{key}\0{id}").as_bytes());
    let draw = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 10_000;
    draw < u64::from(percent.min(MAX_CONTROL)) * 100
}

/// Which side of the comparison a ledger line is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// Got the piece.
    Letters,
    /// Was due and kept back.
    Control,
}

/// One customer's run: their side, the run date, and their first order
/// after it (if any).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub arm: Arm,
    pub sent: NaiveDate,
    pub next_order: Option<NaiveDate>,
}

/// One side: how many, and how many ordered again in time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Group {
    pub n: u32,
    pub ordered: u32,
}

impl Group {
    /// The share who ordered again (none of none).
    pub fn share(&self) -> Option<f64> {
        (self.n > 0).then(|| f64::from(self.ordered) / f64::from(self.n))
    }
}

/// What the comparison says, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fewer than [`MIN_GROUP`] complete observations on a side.
    NotEnough,
    /// The interval lies above zero.
    Works,
    /// The interval holds zero.
    Unclear,
    /// The interval lies below zero.
    Worse,
}

/// Letters against the control group, over observations whose window of
/// `within` days has passed by `today`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub within_days: i64,
    pub letters: Group,
    pub control: Group,
    /// Observations whose window is still open (not counted yet).
    pub pending: u32,
    /// Letters' share minus the control group's (none when a side is empty).
    pub difference: Option<f64>,
    /// The 95 % interval of the difference (Newcombe).
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub verdict: Verdict,
}

impl Comparison {
    /// Counts the observations and compares the two sides.
    pub fn of(observations: &[Observation], within: i64, today: NaiveDate) -> Comparison {
        let (mut letters, mut control, mut pending) = (Group::default(), Group::default(), 0);
        for o in observations {
            let end = o.sent + chrono::Duration::days(within);
            if end > today {
                pending += 1;
                continue;
            }
            let group = match o.arm {
                Arm::Letters => &mut letters,
                Arm::Control => &mut control,
            };
            group.n += 1;
            if o.next_order.is_some_and(|d| d > o.sent && d <= end) {
                group.ordered += 1;
            }
        }
        let interval = newcombe(letters, control);
        let verdict = match interval {
            _ if letters.n < MIN_GROUP || control.n < MIN_GROUP => Verdict::NotEnough,
            Some((_, low, _)) if low > 0.0 => Verdict::Works,
            Some((_, _, high)) if high < 0.0 => Verdict::Worse,
            _ => Verdict::Unclear,
        };
        Comparison {
            within_days: within,
            letters,
            control,
            pending,
            difference: interval.map(|i| i.0),
            low: interval.map(|i| i.1),
            high: interval.map(|i| i.2),
            verdict,
        }
    }

    /// The comparison in words: "40 of 100 with a letter (40.0 %) and 1
    /// of 10 without (10.0 %) ordered again within 60 days: +30.0 points
    /// (95 % interval −1.7 to +42.8) — no clear difference yet".
    pub fn describe(&self) -> String {
        let side = |g: &Group, what: &str| match g.share() {
            Some(s) => format!("{} of {} {what} ({:.1} %)", g.ordered, g.n, 100.0 * s),
            None => format!("none {what}"),
        };
        let mut s = format!(
            "{} and {} ordered again within {} days",
            side(&self.letters, "with a letter"),
            side(&self.control, "without"),
            self.within_days
        );
        if let (Some(d), Some(lo), Some(hi)) = (self.difference, self.low, self.high) {
            s.push_str(&format!(
                ": {} points (95 % interval {} to {})",
                points(d),
                points(lo),
                points(hi)
            ));
        }
        s.push_str(" — ");
        s.push_str(match self.verdict {
            Verdict::NotEnough => "not enough yet to tell (at least 10 on each side)",
            Verdict::Works => "the letters made a difference",
            Verdict::Unclear => "no clear difference yet",
            Verdict::Worse => "fewer ordered after a letter than without one",
        });
        if self.pending > 0 {
            s.push_str(&format!(
                "; {} more whose {} days are not over yet",
                self.pending, self.within_days
            ));
        }
        s
    }
}

/// A share difference in percentage points, signed: "+30.0", "−1.7".
fn points(x: f64) -> String {
    let p = 100.0 * x;
    if p < 0.0 && p.abs() >= 0.05 {
        format!("−{:.1}", p.abs())
    } else {
        format!("+{:.1}", p.abs())
    }
}

/// Wilson's score interval of `x` of `n` at 95 % (none for `n` = 0).
pub fn wilson(x: u32, n: u32) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (n, p, z2) = (f64::from(n), f64::from(x) / f64::from(n), Z95 * Z95);
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The difference of two shares and its 95 % interval by Newcombe's
/// hybrid score method: (difference, low, high).
pub fn newcombe(a: Group, b: Group) -> Option<(f64, f64, f64)> {
    let (l1, u1) = wilson(a.ordered, a.n)?;
    let (l2, u2) = wilson(b.ordered, b.n)?;
    let (p1, p2) = (a.share()?, b.share()?);
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((d, low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn wilson_and_newcombe_agree_with_the_published_method() {
        // Reference values computed from Newcombe (1998) eq. 10.
        let (lo, hi) = wilson(40, 100).unwrap();
        assert!(close(lo, 0.309_401_286_432_458_9) && close(hi, 0.497_997_413_208_938_2));
        let (lo, hi) = wilson(1, 10).unwrap();
        assert!(close(lo, 0.017_876_213_095_072_868) && close(hi, 0.404_150_026_795_238_5));
        let g = |ordered, n| Group { n, ordered };
        let (d, lo, hi) = newcombe(g(40, 100), g(1, 10)).unwrap();
        assert!(close(d, 0.3) && close(lo, -0.017_356_842_843_568_81));
        assert!(close(hi, 0.427_858_552_202_225_7));
        let (_, lo, hi) = newcombe(g(80, 200), g(2, 20)).unwrap();
        assert!(close(lo, 0.088_597_706_299_238) && close(hi, 0.399_933_997_110_754_45));
        let (d, lo, hi) = newcombe(g(0, 10), g(0, 10)).unwrap();
        assert!(close(d, 0.0) && close(lo, -0.277_532_799_862_889_2) && close(hi, -lo));
        assert_eq!(newcombe(g(0, 0), g(1, 10)), None);
    }

    #[test]
    fn the_control_group_is_stable_and_about_its_share() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("K-{i}")).collect();
        let drawn = ids
            .iter()
            .filter(|id| in_control(10, "win-back", "lapsing-2026-01-01", id))
            .count();
        assert!((900..=1100).contains(&drawn), "{drawn}");
        // The same answer every time; another campaign or lapse draws anew.
        assert!(ids
            .iter()
            .all(|id| in_control(10, "w", "k", id) == in_control(10, "w", "k", id)));
        let again = ids
            .iter()
            .filter(|id| in_control(10, "w", "k", id) && in_control(10, "w", "k2", id))
            .count();
        assert!(again < 200, "{again}");
        assert!(!ids.iter().any(|id| in_control(0, "w", "k", id)));
    }

    #[test]
    fn only_finished_windows_count() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let o = |arm, sent: &str, next: Option<&str>| Observation {
            arm,
            sent: d(sent),
            next_order: next.map(d),
        };
        let observations = [
            o(Arm::Letters, "2026-01-01", Some("2026-02-01")),
            // 61 days later: too late.
            o(Arm::Letters, "2026-01-01", Some("2026-03-03")),
            o(Arm::Letters, "2026-01-01", None),
            o(Arm::Control, "2026-01-01", Some("2026-03-02")),
            // The window ends after today.
            o(Arm::Letters, "2026-02-01", Some("2026-02-02")),
        ];
        let c = Comparison::of(&observations, 60, d("2026-03-15"));
        assert_eq!(c.letters, Group { n: 3, ordered: 1 });
        assert_eq!(c.control, Group { n: 1, ordered: 1 });
        assert_eq!((c.pending, c.verdict), (1, Verdict::NotEnough));
        assert!(c.describe().starts_with(
            "1 of 3 with a letter (33.3 %) and 1 of 1 without (100.0 %) ordered again within 60 days: −66.7 points"
        ));
    }
}
