//! Words per language: month names, dates, numbers, labels, country names.
//! Unknown languages fall back to English.

pub mod household;
pub mod salutation;

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
/// An ordinal number as written in a sentence: "21st", "21.", "1er"/"21e".
pub fn ordinal(lang: &str, n: i64) -> String {
    match base_language(lang).as_str() {
        "de" => format!("{n}."),
        "fr" => format!("{n}{}", if n == 1 { "er" } else { "e" }),
        _ => {
            let suffix = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
    }
}

/// The rule for the first letter of a message that follows the salutation
/// ("Dear Anna," / "Liebe Anna,"): English and French start a new sentence
/// with a capital; German continues the sentence in lower case unless the
/// first word is a noun or a polite pronoun. German nouns cannot be told
/// apart here, so German is only held to the rule for common words that are
/// never nouns. `text` is the message as Typst markup. Returns what is wrong.
pub fn opening_case_problem(lang: &str, text: &str) -> Option<String> {
    let start = text.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '#' | '"' | '*' | '_' | '[' | '(' | '„' | '“' | '«')
    });
    let word: String = start.chars().take_while(|c| c.is_alphabetic()).collect();
    let first = word.chars().next()?;
    match base_language(lang).as_str() {
        "en" | "fr" if first.is_lowercase() => Some(format!(
            "starts with \"{word}\" in lower case; after the salutation, {} starts with a capital letter",
            if lang.starts_with("fr") { "French" } else { "English" }
        )),
        "de" if first.is_uppercase() && GERMAN_NEVER_NOUNS.split(' ').any(|w| w == word.to_lowercase()) => {
            Some(format!(
                "starts with \"{word}\" in upper case; after the salutation, German continues in lower case (unless the first word is a noun or a polite pronoun)"
            ))
        }
        _ => None,
    }
}

/// German words that open a sentence and are never nouns or polite pronouns.
const GERMAN_NEVER_NOUNS: &str = "wir ich es er das die der dem den des ein eine einen im in mit seit für zum zur auf als nun so wie was wenn weil dass damit hiermit gern gerne vielen herzlichen herzlich ganz besonders unser unsere unseren mein meine dies diese dieses jetzt bald wieder noch schon endlich heute danke schön alles zu von vor nach bei am an um aus auch und aber ob bitte sehr gestern morgen kaum fast wo";

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

/// The base language of a tag: "de-AT" and "de_CH" → "de", "EN" → "en".
pub fn base_language(lang: &str) -> String {
    lang.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_lowercase()
}

/// Countries whose post reads German addresses (and whose senders write the
/// country line in German when the piece is German).
const GERMAN_POSTS: &[&str] = &["DE", "AT", "CH", "LI", "LU", "BE"];
/// Countries whose post reads French addresses.
const FRENCH_POSTS: &[&str] = &["FR", "BE", "CH", "LU", "MC"];

/// The language of the country line: the piece's language when it is German
/// or French and the sender posts in a country whose post works in that
/// language (DIN 5008: "in German" from Germany; La Poste: in French);
/// English otherwise — English is accepted by every post (UPU) and required
/// by USPS. An empty sender country counts as matching.
pub fn country_line_language(lang: &str, sender_country: &str) -> &'static str {
    let sender = normalize_country(sender_country);
    let posts_in = |list: &[&str]| sender.is_empty() || list.contains(&sender.as_str());
    match base_language(lang).as_str() {
        "de" if posts_in(GERMAN_POSTS) => "de",
        "fr" if posts_in(FRENCH_POSTS) => "fr",
        _ => "en",
    }
}

/// The destination country for the last address line, in capitals, in
/// German (`lang` "de"), French ("fr") or English (anything else); see
/// [`country_line_language`] for which one a piece uses. Unknown codes are
/// printed as given, in capitals.
pub fn country_line(code: &str, lang: &str) -> String {
    let code = normalize_country(code);
    let (de, en, fr) = match code.as_str() {
        "DE" => ("DEUTSCHLAND", "GERMANY", "ALLEMAGNE"),
        "AT" => ("ÖSTERREICH", "AUSTRIA", "AUTRICHE"),
        "CH" => ("SCHWEIZ", "SWITZERLAND", "SUISSE"),
        "LI" => ("LIECHTENSTEIN", "LIECHTENSTEIN", "LIECHTENSTEIN"),
        "FR" => ("FRANKREICH", "FRANCE", "FRANCE"),
        "MC" => ("MONACO", "MONACO", "MONACO"),
        "IT" => ("ITALIEN", "ITALY", "ITALIE"),
        "NL" => ("NIEDERLANDE", "NETHERLANDS", "PAYS-BAS"),
        "BE" => ("BELGIEN", "BELGIUM", "BELGIQUE"),
        "LU" => ("LUXEMBURG", "LUXEMBOURG", "LUXEMBOURG"),
        "DK" => ("DÄNEMARK", "DENMARK", "DANEMARK"),
        "PL" => ("POLEN", "POLAND", "POLOGNE"),
        "CZ" => ("TSCHECHIEN", "CZECH REPUBLIC", "TCHÉQUIE"),
        "ES" => ("SPANIEN", "SPAIN", "ESPAGNE"),
        "PT" => ("PORTUGAL", "PORTUGAL", "PORTUGAL"),
        "SE" => ("SCHWEDEN", "SWEDEN", "SUÈDE"),
        "NO" => ("NORWEGEN", "NORWAY", "NORVÈGE"),
        "FI" => ("FINNLAND", "FINLAND", "FINLANDE"),
        "IE" => ("IRLAND", "IRELAND", "IRLANDE"),
        "GB" => ("VEREINIGTES KÖNIGREICH", "UNITED KINGDOM", "ROYAUME-UNI"),
        "US" => (
            "VEREINIGTE STAATEN",
            "UNITED STATES OF AMERICA",
            "ÉTATS-UNIS",
        ),
        "CA" => ("KANADA", "CANADA", "CANADA"),
        "AU" => ("AUSTRALIEN", "AUSTRALIA", "AUSTRALIE"),
        "GR" => ("GRIECHENLAND", "GREECE", "GRÈCE"),
        "CY" => ("ZYPERN", "CYPRUS", "CHYPRE"),
        "TR" => ("TÜRKEI", "TÜRKIYE", "TURQUIE"),
        "BG" => ("BULGARIEN", "BULGARIA", "BULGARIE"),
        "RS" => ("SERBIEN", "SERBIA", "SERBIE"),
        "UA" => ("UKRAINE", "UKRAINE", "UKRAINE"),
        "RU" => ("RUSSLAND", "RUSSIA", "RUSSIE"),
        "IL" => ("ISRAEL", "ISRAEL", "ISRAËL"),
        "SA" => ("SAUDI-ARABIEN", "SAUDI ARABIA", "ARABIE SAOUDITE"),
        "AE" => (
            "VEREINIGTE ARABISCHE EMIRATE",
            "UNITED ARAB EMIRATES",
            "ÉMIRATS ARABES UNIS",
        ),
        "EG" => ("ÄGYPTEN", "EGYPT", "ÉGYPTE"),
        "JO" => ("JORDANIEN", "JORDAN", "JORDANIE"),
        "LB" => ("LIBANON", "LEBANON", "LIBAN"),
        "MA" => ("MAROKKO", "MOROCCO", "MAROC"),
        "CN" => ("CHINA", "CHINA", "CHINE"),
        "TW" => ("TAIWAN", "TAIWAN", "TAÏWAN"),
        "HK" => ("HONGKONG", "HONG KONG", "HONG KONG"),
        "JP" => ("JAPAN", "JAPAN", "JAPON"),
        "KR" => ("SÜDKOREA", "REPUBLIC OF KOREA", "CORÉE DU SUD"),
        "VN" => ("VIETNAM", "VIET NAM", "VIÊT NAM"),
        _ => return code,
    };
    match base_language(lang).as_str() {
        "de" => de,
        "fr" => fr,
        _ => en,
    }
    .to_string()
}

/// ISO codes people write in different ways ("Deutschland", "D", "UK").
/// Unknown values come back trimmed and in capitals.
pub fn normalize_country(value: &str) -> String {
    let v = value.trim().trim_end_matches('.').to_uppercase();
    let code = match v.as_str() {
        "" => "",
        "D" | "DEU" | "GER" | "GERMANY" | "DEUTSCHLAND" | "ALLEMAGNE" => "DE",
        "A" | "AUT" | "AUSTRIA" | "ÖSTERREICH" | "OESTERREICH" | "AUTRICHE" => "AT",
        "CHE" | "SWITZERLAND" | "SCHWEIZ" | "SUISSE" | "SVIZZERA" => "CH",
        "FL" | "LIE" => "LI",
        "UK"
        | "GBR"
        | "UNITED KINGDOM"
        | "GREAT BRITAIN"
        | "ENGLAND"
        | "SCOTLAND"
        | "WALES"
        | "NORTHERN IRELAND"
        | "GROSSBRITANNIEN"
        | "GROẞBRITANNIEN"
        | "VEREINIGTES KÖNIGREICH" => "GB",
        "USA"
        | "U.S.A"
        | "U.S"
        | "UNITED STATES"
        | "UNITED STATES OF AMERICA"
        | "VEREINIGTE STAATEN" => "US",
        "F" | "FRA" | "FRANCE" | "FRANKREICH" => "FR",
        "I" | "ITA" | "ITALY" | "ITALIA" | "ITALIEN" | "ITALIE" => "IT",
        "NLD" | "NETHERLANDS" | "THE NETHERLANDS" | "NIEDERLANDE" | "NEDERLAND" | "HOLLAND"
        | "PAYS-BAS" => "NL",
        "B" | "BEL" | "BELGIUM" | "BELGIEN" | "BELGIQUE" | "BELGIË" => "BE",
        "L" | "LUX" | "LUXEMBURG" | "LUXEMBOURG" => "LU",
        "E" | "ESP" | "SPAIN" | "SPANIEN" | "ESPAÑA" | "ESPAGNE" => "ES",
        "DNK" | "DENMARK" | "DÄNEMARK" | "DANMARK" => "DK",
        "POL" | "POLAND" | "POLEN" | "POLSKA" => "PL",
        "CZE" | "CZECHIA" | "CZECH REPUBLIC" | "TSCHECHIEN" => "CZ",
        "IRL" | "IRELAND" | "IRLAND" => "IE",
        "CAN" | "CANADA" | "KANADA" => "CA",
        "AUS" | "AUSTRALIA" | "AUSTRALIEN" => "AU",
        _ => return v,
    };
    code.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_per_language() {
        let en: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 103, 111]
            .iter()
            .map(|n| ordinal("en", *n))
            .collect();
        assert_eq!(
            en,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd",
                "111th"
            ]
        );
        assert_eq!(ordinal("de", 60), "60.");
        assert_eq!(
            (ordinal("fr", 1), ordinal("fr", 40)),
            ("1er".to_string(), "40e".to_string())
        );
    }

    #[test]
    fn the_first_word_after_the_salutation() {
        assert!(opening_case_problem("en", "thank you").is_some());
        assert!(opening_case_problem("en", "#\"ten\"; years").is_some());
        assert!(opening_case_problem("en-GB", "Thank you").is_none());
        assert!(opening_case_problem("fr", "merci").is_some());
        assert!(opening_case_problem("de", "Wir danken").is_some());
        assert!(opening_case_problem("de", "wir danken").is_none());
        assert!(opening_case_problem("de", "Sie sind").is_none());
        assert!(opening_case_problem("de", "Weihnachten naht").is_none());
        assert!(opening_case_problem("de", "").is_none());
    }

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

    #[test]
    fn countries() {
        assert_eq!(normalize_country(" Deutschland "), "DE");
        assert_eq!(normalize_country("uk"), "GB");
        assert_eq!(normalize_country("Japan"), "JAPAN");
        assert_eq!(country_line("at", "de"), "ÖSTERREICH");
        assert_eq!(country_line("US", "fr"), "ÉTATS-UNIS");
        assert_eq!(country_line("Japan", "de"), "JAPAN");
        assert_eq!(base_language("de-AT"), "de");
        assert_eq!(country_line_language("de", "DE"), "de");
        assert_eq!(country_line_language("de", "US"), "en");
        assert_eq!(country_line_language("en", "DE"), "en");
        assert_eq!(country_line_language("fr", "CH"), "fr");
        assert_eq!(country_line_language("fr", "DE"), "en");
    }
}
