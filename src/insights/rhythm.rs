//! A customer's own rhythm: how often they order and for how much, read
//! from their history's `order` events on or before the run date.
//!
//! - **Orders** are the days with at least one event of kind `order` (two
//!   rows of one day — an export's line items, or a second purchase the
//!   same afternoon — are one visit; their amounts add up).
//! - **The usual interval** is the median of the days between consecutive
//!   orders, and its **spread** the median absolute deviation (MAD) of
//!   those intervals from the median: both robust, so one long gap (a
//!   move, a pandemic) or one quick re-order does not make a regular
//!   customer look irregular. A rhythm needs `min_orders` orders (3 by
//!   default, so at least two intervals).
//! - **Value** is the sum of the orders' `amount` column, read as offices
//!   write numbers ([`parse_amount`]); orders without a readable amount
//!   count as orders, not as value.

use chrono::NaiveDate;

use crate::model::Event;

/// Silence of this many usual intervals is a lapse.
pub const DEFAULT_MULTIPLE: f64 = 1.5;
/// Orders a customer needs for a rhythm of their own.
pub const DEFAULT_MIN_ORDERS: u32 = 3;
/// For customers with fewer orders: silence of this many days is a lapse.
pub const DEFAULT_DAYS: i64 = 180;

/// How a rhythm is judged: the numbers of a campaign's `lapsing` rule, or
/// their defaults, so that segments and the lapsing occasion agree.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Params {
    /// A customer with a rhythm lapses after `multiple` × their interval.
    pub multiple: f64,
    /// Orders needed for a rhythm of one's own.
    pub min_orders: u32,
    /// A customer with fewer orders lapses after this many silent days.
    pub days: i64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            multiple: DEFAULT_MULTIPLE,
            min_orders: DEFAULT_MIN_ORDERS,
            days: DEFAULT_DAYS,
        }
    }
}

/// The usual time between two orders, in days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The median of the intervals.
    pub median: f64,
    /// Their median absolute deviation from the median.
    pub spread: f64,
}

/// What one customer's orders say, seen from the run date.
#[derive(Debug, Clone, PartialEq)]
pub struct Rhythm {
    /// Days with an order.
    pub orders: u32,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// None with fewer than `min_orders` orders.
    pub interval: Option<Interval>,
    /// The sum of the readable amounts.
    pub total: f64,
    /// Orders (rows) with a readable amount.
    pub valued: u32,
    /// Days from the last order to the run date.
    pub days_silent: i64,
}

impl Rhythm {
    /// The rhythm of a customer from their events (any order; only those
    /// of kind `order` on or before `date` count); None without an order.
    pub fn of(events: &[Event], date: NaiveDate, min_orders: u32) -> Option<Rhythm> {
        let mut days: Vec<NaiveDate> = Vec::new();
        let (mut total, mut valued) = (0.0, 0u32);
        for e in events.iter().filter(|e| is_order(e) && e.date <= date) {
            days.push(e.date);
            if let Some(amount) = e.extra.get("amount").and_then(|a| parse_amount(a)) {
                total += amount;
                valued += 1;
            }
        }
        days.sort_unstable();
        days.dedup();
        let (&first, &last) = (days.first()?, days.last()?);
        let gaps: Vec<f64> = days
            .windows(2)
            .map(|w| (w[1] - w[0]).num_days() as f64)
            .collect();
        let interval = (days.len() >= min_orders.max(2) as usize).then(|| {
            let median = median(gaps.clone());
            let spread = median_of(gaps.iter().map(|g| (g - median).abs()));
            Interval { median, spread }
        });
        Some(Rhythm {
            orders: days.len() as u32,
            first,
            last,
            interval,
            total,
            valued,
            days_silent: (date - last).num_days(),
        })
    }

    /// Days of silence after which this customer counts as lapsing: the
    /// multiple of their interval (rounded up to a whole day, at least
    /// one), else the campaign-wide days.
    pub fn threshold(&self, params: &Params) -> i64 {
        match self.interval {
            Some(i) => ((params.multiple * i.median).ceil() as i64).max(1),
            None => params.days,
        }
    }

    /// The silence has reached the threshold.
    pub fn is_lapsing(&self, params: &Params) -> bool {
        self.days_silent >= self.threshold(params)
    }

    /// Silence within the usual interval — for a customer without a
    /// rhythm, within half the campaign-wide days: the next order is not
    /// even due yet.
    pub fn is_on_rhythm(&self, params: &Params) -> bool {
        match self.interval {
            Some(i) => self.days_silent as f64 <= i.median,
            None => 2 * self.days_silent <= params.days,
        }
    }

    /// The silence in usual intervals (none without a rhythm, or when
    /// every order fell within days of each other).
    pub fn ratio(&self) -> Option<f64> {
        self.interval
            .filter(|i| i.median > 0.0)
            .map(|i| self.days_silent as f64 / i.median)
    }

    /// The average value of an order with an amount.
    pub fn average(&self) -> Option<f64> {
        (self.valued > 0).then(|| self.total / f64::from(self.valued))
    }

    /// The rhythm in words, for reports and the studio: "ordered 9 times,
    /// every 41 days (±6); last order 128 days ago, 3.1× the rhythm".
    pub fn describe(&self, params: &Params) -> String {
        let times = match self.orders {
            1 => "ordered once".to_string(),
            n => format!("ordered {n} times"),
        };
        let ago = match self.days_silent {
            0 => "last order today".to_string(),
            1 => "last order yesterday".to_string(),
            n => format!("last order {n} days ago"),
        };
        match (self.interval, self.ratio()) {
            (Some(i), Some(ratio)) => format!(
                "{times}, every {} days (±{}); {ago}, {ratio:.1}× the rhythm",
                i.median.round(),
                i.spread.round()
            ),
            (Some(_), None) => format!("{times}, all within a few days; {ago}"),
            (None, _) => format!(
                "{times}, too few for a rhythm ({} needed); {ago}, lapsing after {} days",
                params.min_orders, params.days
            ),
        }
    }
}

/// An event that is an order (the loader writes kinds in lower case and
/// maps `Bestellung`, `Auftrag`, `purchase`, … to `order`).
pub fn is_order(event: &Event) -> bool {
    event.kind.trim().eq_ignore_ascii_case("order")
}

/// The median of some numbers (0 for none).
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn median_of(values: impl Iterator<Item = f64>) -> f64 {
    median(values.collect())
}

/// An amount as offices write it: `1234.50`, `1.234,50`, `1,234.50`,
/// `1234,5`, `€ 89`, `89 €`, `EUR 1.200`, `CHF 1'200.–`, `-12,00` (a
/// refund). Currency signs, letters, spaces and apostrophes are dropped;
/// with both `.` and `,` the last is the decimal mark; one mark followed
/// by exactly three digits (and a number before it other than 0) groups
/// thousands (`1.234` and `1,234` are 1234), otherwise it is the decimal
/// mark (`89,5`, `0.125`). None when no digit is left.
pub fn parse_amount(text: &str) -> Option<f64> {
    let negative = text.trim_start().starts_with('-') || text.trim_end().ends_with('-');
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let kept = kept.trim_matches(['.', ',']);
    if !kept.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let decimal = decimal_mark(kept);
    let plain: String = kept
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            c if Some(c) == decimal => Some('.'),
            _ => None,
        })
        .collect();
    let value: f64 = plain.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// Which of `.` and `,` is the decimal mark in digits with marks (None:
/// both, if any, group thousands).
fn decimal_mark(s: &str) -> Option<char> {
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let (mark, at) = match (last_dot, last_comma) {
        (None, None) => return None,
        (Some(d), Some(c)) => return Some(if d > c { '.' } else { ',' }),
        (Some(d), None) => ('.', d),
        (None, Some(c)) => (',', c),
    };
    if s.matches(mark).count() > 1 {
        return None;
    }
    let (before, after) = (&s[..at], &s[at + 1..]);
    let groups_thousands = after.len() == 3 && !before.is_empty() && before != "0";
    (!groups_thousands).then_some(mark)
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn order(date: &str, amount: &str) -> Event {
        let mut extra = IndexMap::new();
        if !amount.is_empty() {
            extra.insert("amount".to_string(), amount.to_string());
        }
        Event {
            date: d(date),
            kind: "order".into(),
            summary: String::new(),
            line: 0,
            extra,
        }
    }

    #[test]
    fn amounts_as_offices_write_them() {
        let cases = [
            ("1234.50", Some(1234.5)),
            ("1.234,50", Some(1234.5)),
            ("1,234.50", Some(1234.5)),
            ("1234,5", Some(1234.5)),
            ("€ 89", Some(89.0)),
            ("89 €", Some(89.0)),
            ("EUR 1.200", Some(1200.0)),
            ("1,200", Some(1200.0)),
            ("CHF 1'200.–", Some(1200.0)),
            ("1 234,50", Some(1234.5)),
            ("1.234.567", Some(1_234_567.0)),
            ("0.125", Some(0.125)),
            ("12.5", Some(12.5)),
            ("-12,00", Some(-12.0)),
            ("12,00-", Some(-12.0)),
            ("", None),
            ("n/a", None),
            ("€", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_amount(text), want, "{text:?}");
        }
    }

    #[test]
    fn a_regular_customer_has_a_robust_rhythm() {
        // Every 42 days, one gap of 120 days and one re-order after 3: the
        // median and its spread hardly notice them.
        let mut events = Vec::new();
        let mut day = d("2024-01-05");
        for (i, gap) in [42, 42, 120, 42, 3, 42, 42, 42].iter().enumerate() {
            events.push(order(
                &day.to_string(),
                if i % 2 == 0 { "1.200,00" } else { "" },
            ));
            day = day + chrono::Days::new(*gap);
        }
        events.push(order(&day.to_string(), "300"));
        // A second row on the last day is the same visit.
        events.push(order(&day.to_string(), "100"));
        let r = Rhythm::of(&events, d("2025-06-30"), 3).unwrap();
        assert_eq!(r.orders, 9);
        assert_eq!((r.first, r.last), (d("2024-01-05"), d("2025-01-14")));
        assert_eq!(
            r.interval,
            Some(Interval {
                median: 42.0,
                spread: 0.0
            })
        );
        assert_eq!((r.total, r.valued), (5200.0, 6));
        assert_eq!(r.days_silent, 167);
        let p = Params::default();
        assert_eq!(r.threshold(&p), 63);
        assert!(r.is_lapsing(&p) && !r.is_on_rhythm(&p));
        assert_eq!(
            r.describe(&p),
            "ordered 9 times, every 42 days (±0); last order 167 days ago, 4.0× the rhythm"
        );
        // Orders after the run date have not happened yet.
        let r = Rhythm::of(&events, d("2024-03-01"), 3).unwrap();
        assert_eq!((r.orders, r.interval), (2, None));
    }

    #[test]
    fn a_seasonal_customer_is_not_lapsing_in_august() {
        let events: Vec<Event> = [
            "2021-12-10",
            "2022-12-14",
            "2023-12-08",
            "2024-12-12",
            "2025-12-11",
        ]
        .iter()
        .map(|date| order(date, "89"))
        .collect();
        let r = Rhythm::of(&events, d("2026-08-15"), 3).unwrap();
        let i = r.interval.unwrap();
        // Intervals 369, 359, 370, 364 days.
        assert_eq!((i.median, i.spread), (366.5, 3.0));
        let p = Params::default();
        assert_eq!((r.threshold(&p), r.days_silent), (550, 247));
        assert!(!r.is_lapsing(&p) && r.is_on_rhythm(&p));
    }

    #[test]
    fn few_orders_fall_back_to_the_campaign_wide_days() {
        let events = [order("2026-01-10", "49,90")];
        let r = Rhythm::of(&events, d("2026-08-01"), 3).unwrap();
        let p = Params::default();
        assert_eq!((r.orders, r.interval, r.days_silent), (1, None, 203));
        assert_eq!(r.threshold(&p), 180);
        assert!(r.is_lapsing(&p));
        assert_eq!(r.average(), Some(49.9));
        assert_eq!(
            r.describe(&p),
            "ordered once, too few for a rhythm (3 needed); last order 203 days ago, lapsing after 180 days"
        );
        // Without orders there is no rhythm at all.
        let call = Event {
            kind: "call".into(),
            ..order("2026-01-10", "")
        };
        assert_eq!(Rhythm::of(&[call], d("2026-08-01"), 3), None);
    }
}
