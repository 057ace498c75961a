//! Dates: the one place that reads them. Tables hold dates as offices
//! write them (ISO, `24.12.2026`, `3.4.61`, `12/24/2026`, Excel serial
//! numbers); the loader turns them into ISO text, and everything after it
//! (run date, campaign dates, person fields, template helpers) reads them
//! back with [`parse_date`]. A slash date is ambiguous (`04/03/2026`), so
//! the order is a setting for the whole file — never guessed row by row.

use chrono::NaiveDate;

/// How to read `a/b/yyyy`: day first (Europe) or month first (US).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    Dmy,
    Mdy,
}

impl DateOrder {
    /// `date_format` values: `dmy`, `mdy`, or an example such as
    /// `DD/MM/YYYY`, `MM/DD/YYYY`, `dd.mm.yyyy`.
    pub fn parse(s: &str) -> Option<DateOrder> {
        let s = s.trim().to_lowercase();
        match s.as_str() {
            "dmy" | "de" | "eu" | "uk" => Some(DateOrder::Dmy),
            "mdy" | "us" => Some(DateOrder::Mdy),
            _ if s.starts_with('d') => Some(DateOrder::Dmy),
            _ if s.starts_with('m') => Some(DateOrder::Mdy),
            _ => None,
        }
    }
}

/// Parses one date. `pivot_year` decides two-digit years: `yy` above
/// `pivot_year % 100` is 19yy, otherwise 20yy (so in 2026, `61` is 1961 and
/// `25` is 2025).
pub fn parse(s: &str, order: DateOrder, pivot_year: i32) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    // ISO, also with a time part from a spreadsheet ("2026-12-24 00:00"):
    // exactly YYYY-MM-DD. chrono's %Y also takes a sign and %m one digit,
    // so "-32222-9-6" was the year -32222 (found by fuzzing).
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b.len() == 10 || b[10] == b' ' || b[10] == b'T')
    {
        // the digits are checked above: read them as numbers, without
        // parsing a format string for every date of a long history
        let number =
            |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        return NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10));
    }
    // Excel serial date (days since 1899-12-30), as a bare number.
    if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
        let serial: i64 = s.parse().ok()?;
        return NaiveDate::from_ymd_opt(1899, 12, 30)?
            .checked_add_signed(chrono::Duration::days(serial));
    }
    let (sep, day_first) = if s.contains('.') {
        ('.', true)
    } else if s.contains('/') {
        ('/', order == DateOrder::Dmy)
    } else if s.contains('-') {
        ('-', true) // 24-12-2026
    } else {
        return None;
    };
    let parts: Vec<&str> = s.split(sep).map(str::trim).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (a, b): (u32, u32) = (parts[0].parse().ok()?, parts[1].parse().ok()?);
    let (day, month) = if day_first { (a, b) } else { (b, a) };
    let year: i32 = match parts[2].len() {
        4 => parts[2].parse().ok()?,
        2 => {
            let yy: i32 = parts[2].parse().ok()?;
            if yy > pivot_year % 100 {
                1900 + yy
            } else {
                2000 + yy
            }
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// A birthday without a year, as Google Contacts writes it (`--03-14`),
/// stays as it is: the month and day are all there is to know.
pub fn is_partial_birthday(s: &str) -> bool {
    let s = s.trim().as_bytes();
    // Bytes, not string slices: "--1€1" is seven bytes too, and slicing it
    // at byte 4 (inside the €) panicked.
    let number = |b: &[u8]| -> u32 {
        if b.iter().all(u8::is_ascii_digit) {
            b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
        } else {
            0
        }
    };
    s.len() == 7
        && s.starts_with(b"--")
        && s[4] == b'-'
        && NaiveDate::from_ymd_opt(2000, number(&s[2..4]), number(&s[5..7])).is_some()
}

/// Outlook writes `0/0/00` for "no date".
pub fn is_empty_date(s: &str) -> bool {
    matches!(
        s.trim(),
        "" | "0/0/00" | "0/0/0000" | "00.00.0000" | "0.0.00"
    )
}

/// A date as warmly writes it and a person types it: `YYYY-MM-DD` or
/// `DD.MM.YYYY` (the run date, campaign dates, the loader's ISO output).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn the_formats_offices_write() {
        let p = |s| parse(s, DateOrder::Dmy, 2026);
        assert_eq!(p("2026-12-24"), d(2026, 12, 24));
        assert_eq!(p("2026-12-24 00:00"), d(2026, 12, 24));
        assert_eq!(p("24.12.2026"), d(2026, 12, 24));
        assert_eq!(p("3.4.61"), d(1961, 4, 3));
        assert_eq!(p("3.4.25"), d(2025, 4, 3));
        assert_eq!(p("04/03/2026"), d(2026, 3, 4));
        assert_eq!(parse("04/03/2026", DateOrder::Mdy, 2026), d(2026, 4, 3));
        assert_eq!(parse("12/24/2026", DateOrder::Mdy, 2026), d(2026, 12, 24));
        assert_eq!(p("46015"), d(2025, 12, 24));
        assert_eq!(p("2025-02-30"), None);
        assert_eq!(p("31.02.2026"), None);
        assert_eq!(p("soon"), None);
    }

    #[test]
    fn iso_dates_have_four_digit_years() {
        let p = |s| parse(s, DateOrder::Dmy, 2026);
        // Found by fuzzing: chrono's %Y takes a sign, %m one digit.
        assert_eq!(p("-32222-9-6"), None);
        assert_eq!(p("+2026-12-24"), None);
        assert_eq!(p("0000-01-01"), d(0, 1, 1));
        assert_eq!(p("2026-12-24T10:00"), d(2026, 12, 24));
    }

    /// The ISO path reads the digits itself: it answers as chrono's
    /// `%Y-%m-%d` does, for every month and day number, leap years and
    /// the year 0 included.
    #[test]
    fn iso_dates_read_as_numbers_agree_with_chrono() {
        for year in ["0000", "1900", "2000", "2024", "2026", "9999"] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let s = format!("{year}-{month:02}-{day:02}");
                    assert_eq!(
                        parse(&s, DateOrder::Dmy, 2026),
                        NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok(),
                        "{s}"
                    );
                }
            }
        }
    }

    #[test]
    fn partial_birthdays_are_read_by_bytes() {
        assert!(is_partial_birthday("--03-14"));
        assert!(!is_partial_birthday("--02-30"));
        // Seven bytes with a € across byte 4 once panicked.
        assert!(!is_partial_birthday("--1€1"));
        assert!(!is_partial_birthday("--€-12"));
    }

    #[test]
    fn order_settings() {
        assert_eq!(DateOrder::parse("MM/DD/YYYY"), Some(DateOrder::Mdy));
        assert_eq!(DateOrder::parse("dd.mm.yyyy"), Some(DateOrder::Dmy));
        assert_eq!(DateOrder::parse("mdy"), Some(DateOrder::Mdy));
        assert_eq!(DateOrder::parse("?"), None);
    }

    #[test]
    fn dates_in_iso_and_german_form() {
        assert_eq!(parse_date("2026-12-24"), d(2026, 12, 24));
        assert_eq!(parse_date(" 24.12.2026 "), d(2026, 12, 24));
        assert_eq!(parse_date("2025-02-30"), None);
        assert_eq!(parse_date("24/12/2026"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn partial_and_empty() {
        assert!(is_partial_birthday("--03-14"));
        assert!(!is_partial_birthday("--13-14"));
        assert!(is_empty_date("0/0/00"));
    }
}
