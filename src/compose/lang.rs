//! Words per language: month names, dates, numbers, labels, country names.
//! Unknown languages fall back to English.

use chrono::{Datelike, NaiveDate};

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

pub fn month_name(lang: &str, month: u32) -> &'static str {
    let table = match lang {
        "de" => &MONTHS_DE,
        "fr" => &MONTHS_FR,
        _ => &MONTHS_EN,
    };
    table[(month.clamp(1, 12) - 1) as usize]
}

/// Writes a date in one of the styles templates ask for.
pub fn format_date(lang: &str, date: NaiveDate, style: &str) -> Option<String> {
    let (d, m, y) = (date.day(), date.month(), date.year());
    let month = month_name(lang, m);
    Some(match style {
        "long" => match lang {
            "de" => format!("{d}. {month} {y}"),
            "fr" if d == 1 => format!("1er {month} {y}"),
            _ => format!("{d} {month} {y}"),
        },
        "month" => month.to_string(),
        "month_year" => format!("{month} {y}"),
        "day_month" => match lang {
            "de" => format!("{d}. {month}"),
            _ => format!("{d} {month}"),
        },
        "year" => y.to_string(),
        "short" => match lang {
            "de" => format!("{d:02}.{m:02}.{y}"),
            _ => format!("{d:02}/{m:02}/{y}"),
        },
        "iso" => date.to_string(),
        _ => return None,
    })
}

/// Small numbers as words ("zehn Jahre", "ten years"); larger ones as digits.
pub fn number_word(lang: &str, n: i64) -> String {
    const DE: [&str; 13] = [
        "null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
        "elf", "zwölf",
    ];
    const EN: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    const FR: [&str; 13] = [
        "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
        "onze", "douze",
    ];
    let table = match lang {
        "de" => &DE,
        "fr" => &FR,
        _ => &EN,
    };
    match usize::try_from(n) {
        Ok(i) if i < table.len() => table[i].to_string(),
        _ => n.to_string(),
    }
}

/// Labels of the letter's information block.
pub struct Labels {
    pub customer_no: &'static str,
    pub contact: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub date: &'static str,
}

pub fn labels(lang: &str) -> Labels {
    match lang {
        "de" => Labels {
            customer_no: "Kundennummer",
            contact: "Ihr Kontakt",
            phone: "Telefon",
            email: "E-Mail",
            date: "Datum",
        },
        "fr" => Labels {
            customer_no: "N° client",
            contact: "Votre contact",
            phone: "Téléphone",
            email: "E-mail",
            date: "Date",
        },
        _ => Labels {
            customer_no: "Customer no.",
            contact: "Your contact",
            phone: "Phone",
            email: "Email",
            date: "Date",
        },
    }
}

/// The destination country for the last address line, in capitals: German
/// for German-speaking recipients (DIN 5008), English otherwise — both are
/// accepted by Deutsche Post. Unknown codes are printed as given.
pub fn country_line(code: &str, lang: &str) -> String {
    let code = code.trim().to_uppercase();
    let (de, en) = match code.as_str() {
        "DE" => ("DEUTSCHLAND", "GERMANY"),
        "AT" => ("ÖSTERREICH", "AUSTRIA"),
        "CH" => ("SCHWEIZ", "SWITZERLAND"),
        "LI" => ("LIECHTENSTEIN", "LIECHTENSTEIN"),
        "FR" => ("FRANKREICH", "FRANCE"),
        "IT" => ("ITALIEN", "ITALY"),
        "NL" => ("NIEDERLANDE", "NETHERLANDS"),
        "BE" => ("BELGIEN", "BELGIUM"),
        "LU" => ("LUXEMBURG", "LUXEMBOURG"),
        "DK" => ("DÄNEMARK", "DENMARK"),
        "PL" => ("POLEN", "POLAND"),
        "CZ" => ("TSCHECHIEN", "CZECH REPUBLIC"),
        "ES" => ("SPANIEN", "SPAIN"),
        "PT" => ("PORTUGAL", "PORTUGAL"),
        "SE" => ("SCHWEDEN", "SWEDEN"),
        "NO" => ("NORWEGEN", "NORWAY"),
        "FI" => ("FINNLAND", "FINLAND"),
        "IE" => ("IRLAND", "IRELAND"),
        "GB" | "UK" => ("VEREINIGTES KÖNIGREICH", "UNITED KINGDOM"),
        "US" | "USA" => ("VEREINIGTE STAATEN", "UNITED STATES OF AMERICA"),
        "CA" => ("KANADA", "CANADA"),
        "GR" => ("GRIECHENLAND", "GREECE"),
        _ => return code,
    };
    if lang == "de" { de } else { en }.to_string()
}

/// ISO codes people write in different ways ("Deutschland", "D", "UK").
pub fn normalize_country(value: &str) -> String {
    let v = value.trim().to_uppercase();
    match v.as_str() {
        "" => String::new(),
        "D" | "DEU" | "GERMANY" | "DEUTSCHLAND" => "DE".into(),
        "A" | "AUT" | "AUSTRIA" | "ÖSTERREICH" => "AT".into(),
        "CHE" | "SWITZERLAND" | "SCHWEIZ" => "CH".into(),
        "UK" | "GBR" | "UNITED KINGDOM" | "GREAT BRITAIN" => "GB".into(),
        "USA" | "UNITED STATES" => "US".into(),
        "F" | "FRA" | "FRANCE" | "FRANKREICH" => "FR".into(),
        "NLD" | "NETHERLANDS" | "NIEDERLANDE" => "NL".into(),
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_per_language() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        assert_eq!(format_date("de", d, "long").unwrap(), "24. Dezember 2026");
        assert_eq!(format_date("en", d, "long").unwrap(), "24 December 2026");
        assert_eq!(format_date("fr", d, "long").unwrap(), "24 décembre 2026");
        assert_eq!(format_date("de", d, "month").unwrap(), "Dezember");
        assert_eq!(format_date("de", d, "short").unwrap(), "24.12.2026");
        assert!(format_date("de", d, "nonsense").is_none());
    }

    #[test]
    fn numbers_as_words() {
        assert_eq!(number_word("de", 10), "zehn");
        assert_eq!(number_word("en", 12), "twelve");
        assert_eq!(number_word("en", 13), "13");
    }
}
