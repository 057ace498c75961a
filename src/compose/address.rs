//! The recipient address block: ready-to-print lines, never a blank one,
//! the postcode placed as the destination country expects, and a country
//! line (last, in capitals) only for mail abroad. Cases are data in
//! `tests/data/addresses.csv`.

use crate::lang::salutation::{english_prefix, gender, names, Gender};
use crate::lang::{base_language, country_line, country_line_language, normalize_country};
use crate::model::{join_nonempty, Person};

/// Deutsche Post and DIN 5008 allow six lines in the address zone. Longer
/// addresses are still returned whole; the caller warns.
pub const MAX_LINES: usize = 6;

/// The address lines for `person`, sent from `sender_country`.
///
/// - German and French pieces name the company (and department) first,
///   then the person; other languages the person first.
/// - The destination is the person's `country`, or the sender's when empty
///   (domestic mail); it decides the postcode line (see [`locality_lines`]).
/// - The country line comes last, in capitals, only when the destination
///   differs from the sender's country; its language is
///   [`country_line_language`].
pub fn address_lines(person: &Person, lang: &str, sender_country: &str) -> Vec<String> {
    lines(person, None, lang, sender_country)
}

/// The address of a household: the first member's, with the joint name
/// ("Anna und Peter Müller") where the person's line would be.
pub fn household_lines(
    first: &Person,
    joint_name: &str,
    lang: &str,
    sender_country: &str,
) -> Vec<String> {
    lines(first, Some(joint_name), lang, sender_country)
}

fn lines(person: &Person, joint: Option<&str>, lang: &str, sender_country: &str) -> Vec<String> {
    let sender = normalize_country(sender_country);
    let country = match normalize_country(person.get("country")) {
        c if c.is_empty() => sender.clone(),
        c => c,
    };
    let lang = base_language(lang);
    let name = match joint {
        Some(joint) => joint.to_string(),
        None => name_line(person, &lang, &country),
    };
    let company = person.get("company").trim().to_string();
    let department = person.get("department").trim().to_string();
    let mut lines = if lang == "de" || lang == "fr" {
        vec![company, department, name]
    } else {
        vec![name, department, company]
    };
    lines.push(person.get("street").trim().to_string());
    lines.push(person.get("street2").trim().to_string());
    lines.extend(locality_lines(
        &country,
        person.get("postal_code"),
        person.get("city"),
        person.get("region"),
    ));
    if super::sender::abroad(&country, &sender) {
        lines.push(country_line(
            &country,
            country_line_language(&lang, &sender),
        ));
    }
    lines
        .into_iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The person's line: "Frau Dr. Anna Weber", "Herrn Peter Müller"
/// (accusative; "Herr" in Switzerland), "Herrn Benedict Freiherr von
/// Thurner", "Madame Claire Dubois", "Ms Jane Smith", "Dr. Sarah Goldberg"
/// (US). Empty for a company.
fn name_line(person: &Person, lang: &str, country: &str) -> String {
    let n = names(person);
    if n.first.is_empty() && n.last.is_empty() {
        return String::new();
    }
    let g = gender(person);
    match lang {
        "de" => {
            let form = match g {
                Gender::Female => "Frau",
                Gender::Male if country == "CH" => "Herr",
                Gender::Male => "Herrn",
                _ => "",
            };
            join_nonempty(&[form, &n.full()])
        }
        // French addresses carry the civility, not academic degrees.
        "fr" => {
            let form = match g {
                Gender::Female => "Madame",
                Gender::Male => "Monsieur",
                _ => "",
            };
            join_nonempty(&[form, &n.name_without_title()])
        }
        // English: one prefix — Professor, Dr or the courtesy title; other
        // degrees (Dipl.-Ing.) are left out.
        _ => {
            let prefix = english_prefix(person, &n, country == "US").unwrap_or_default();
            join_nonempty(&[&prefix, &n.name_without_title()])
        }
    }
}

/// "D-01069" → "01069": no country prefixes before the postcode (they went
/// out with the 1993 German postcodes; notes §6.3).
fn clean_postcode(postcode: &str) -> String {
    let p = postcode.trim();
    if let Some((prefix, rest)) = p.split_once('-') {
        if (1..=3).contains(&prefix.len())
            && prefix.chars().all(|c| c.is_ascii_alphabetic())
            && rest.trim_start().starts_with(|c: char| c.is_ascii_digit())
        {
            return rest.trim().to_string();
        }
    }
    p.to_string()
}

/// "sw72eu" → "SW7 2EU": capitals, one space before the inward code.
fn uk_postcode(p: &str) -> String {
    let compact: String = p.split_whitespace().collect::<String>().to_uppercase();
    if (5..=7).contains(&compact.len()) && compact.is_ascii() {
        let (outward, inward) = compact.split_at(compact.len() - 3);
        format!("{outward} {inward}")
    } else {
        p.trim().to_uppercase()
    }
}

/// "1015kl" → "1015 KL".
fn nl_postcode(p: &str) -> String {
    let compact: String = p.split_whitespace().collect::<String>().to_uppercase();
    let b = compact.as_bytes();
    if b.len() == 6
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphabetic)
    {
        format!("{} {}", &compact[..4], &compact[4..])
    } else {
        p.trim().to_string()
    }
}

/// The postcode / town / region lines for a destination country.
///
/// | country | lines |
/// |---|---|
/// | GB | POST TOWN; POSTCODE (each on its own line, capitals) |
/// | IE | town; county; Eircode |
/// | US | City, ST 12345 |
/// | CA, AU | City ST postcode |
/// | IT | 00184 Roma RM (province only as a two-letter code) |
/// | NL | 1015 KL Amsterdam |
/// | DE, AT, CH, LI, FR, MC, BE, LU, DK, NO, SE, FI, PL, CZ, ES, PT, GR | postcode town (region left out) |
/// | others | postcode town; region on its own line |
pub fn locality_lines(country: &str, postcode: &str, city: &str, region: &str) -> Vec<String> {
    let postcode = clean_postcode(postcode);
    let city = city.trim();
    let region = region.trim();
    match country {
        "GB" => vec![city.to_uppercase(), uk_postcode(&postcode)],
        "IE" => vec![
            city.to_string(),
            region.to_string(),
            postcode.to_uppercase(),
        ],
        "US" => {
            let state_zip = join_nonempty(&[&region.to_uppercase(), &postcode]);
            vec![match (city.is_empty(), state_zip.is_empty()) {
                (false, false) => format!("{city}, {state_zip}"),
                _ => join_nonempty(&[city, &state_zip]),
            }]
        }
        "CA" | "AU" => vec![join_nonempty(&[
            city,
            &region.to_uppercase(),
            &postcode.to_uppercase(),
        ])],
        "IT" => {
            let province = if region.chars().count() == 2 && region.chars().all(char::is_alphabetic)
            {
                region.to_uppercase()
            } else {
                String::new()
            };
            vec![join_nonempty(&[&postcode, city, &province])]
        }
        "NL" => vec![join_nonempty(&[&nl_postcode(&postcode), city])],
        "DE" | "AT" | "CH" | "LI" | "FR" | "MC" | "BE" | "LU" | "DK" | "NO" | "SE" | "FI"
        | "PL" | "CZ" | "ES" | "PT" | "GR" => vec![join_nonempty(&[&postcode, city])],
        _ => vec![join_nonempty(&[&postcode, city]), region.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    /// Every row of `tests/data/addresses.csv`: `lang` and
    /// `sender_country` are the arguments, `expected` the lines joined with
    /// `|`, the other columns the person's fields. All mismatches are
    /// reported at once.
    #[test]
    fn address_table() {
        let data = include_str!("../../tests/data/addresses.csv");
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::None)
            .from_reader(data.as_bytes());
        let headers = reader.headers().expect("header line").clone();
        let mut rows = 0;
        let mut failures = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.expect("well-formed CSV");
            let row: IndexMap<&str, &str> = headers.iter().zip(record.iter()).collect();
            let fields = row
                .iter()
                .filter(|(k, _)| !matches!(**k, "note" | "lang" | "sender_country" | "expected"))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let p = Person {
                id: "1".into(),
                line: 2,
                fields,
                events: vec![],
            };
            rows += 1;
            let got = address_lines(&p, row["lang"], row["sender_country"]).join("|");
            if got != row["expected"] {
                failures.push(format!(
                    "line {} ({})\n    want {:?}\n     got {:?}",
                    i + 2,
                    row["note"],
                    row["expected"],
                    got
                ));
            }
        }
        assert!(rows >= 20, "only {rows} cases in addresses.csv");
        assert!(
            failures.is_empty(),
            "{} of {rows} address cases failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn postcodes() {
        assert_eq!(clean_postcode("D-01069"), "01069");
        assert_eq!(clean_postcode("02139-4307"), "02139-4307");
        assert_eq!(uk_postcode("sw72eu"), "SW7 2EU");
        assert_eq!(nl_postcode("1015kl"), "1015 KL");
        assert_eq!(
            locality_lines("US", "02139", "Cambridge", ""),
            ["Cambridge, 02139"]
        );
    }
}
