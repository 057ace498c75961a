//! The recipient address block: ready-to-print lines, never a blank one,
//! the postcode placed as the destination country expects, and a country
//! line (last, in capitals) only for mail abroad.

use super::lang::{country_line, normalize_country};
use super::salutation::{gender, Gender};
use crate::model::{join_nonempty, Person};

/// Deutsche Post and DIN 5008 allow six lines in the address zone.
pub const MAX_LINES: usize = 6;

/// The address lines for `person`, sent from `sender_country`.
pub fn address_lines(person: &Person, lang: &str, sender_country: &str) -> Vec<String> {
    let country = normalize_country(person.get("country"));
    let country = if country.is_empty() {
        normalize_country(sender_country)
    } else {
        country
    };
    let mut lines = Vec::new();
    let name = name_line(person, lang, &country);
    let company = person.get("company").trim();
    let department = person.get("department").trim();
    // German business mail names the company first, the person after it;
    // English mail the person first.
    if lang == "de" {
        lines.push(company.to_string());
        lines.push(department.to_string());
        lines.push(name);
    } else {
        lines.push(name);
        lines.push(department.to_string());
        lines.push(company.to_string());
    }
    lines.push(person.get("street").trim().to_string());
    lines.push(person.get("street2").trim().to_string());
    let postcode = person.get("postal_code").trim();
    let city = person.get("city").trim();
    let region = person.get("region").trim();
    match country.as_str() {
        "GB" => {
            lines.push(city.to_uppercase());
            lines.push(postcode.to_uppercase());
        }
        "US" | "CA" | "AU" => lines.push(
            format!("{city}, {region} {postcode}")
                .trim_matches([',', ' '])
                .to_string(),
        ),
        _ => lines.push(join_nonempty(&[postcode, city])),
    }
    if !country.is_empty() && country != normalize_country(sender_country) {
        lines.push(country_line(&country, lang));
    }
    lines.retain(|l| !l.trim().is_empty());
    lines
}

/// "Frau Dr. Anna Weber", "Herrn Peter Müller" (accusative), "Ms Jane Smith".
fn name_line(person: &Person, lang: &str, country: &str) -> String {
    let title = person.get("title");
    let first = person.get("first_name");
    let last = person.get("last_name");
    if first.trim().is_empty() && last.trim().is_empty() {
        return String::new();
    }
    let form = match (lang, gender(person)) {
        ("de", Gender::Female) => "Frau",
        ("de", Gender::Male) => "Herrn",
        ("fr", Gender::Female) => "Madame",
        ("fr", Gender::Male) => "Monsieur",
        (_, Gender::Female | Gender::Male) => {
            let s = person.get("salutation").trim().trim_end_matches('.');
            // Keep what the data says (Ms, Mrs, Mr), with US punctuation.
            return join_nonempty(&[&us_dot(s, country), title, first, last]);
        }
        _ => "",
    };
    join_nonempty(&[form, title, first, last])
}

fn us_dot(s: &str, country: &str) -> String {
    if country == "US" && !s.is_empty() {
        format!("{s}.")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn person(fields: &[(&str, &str)]) -> Person {
        let fields: IndexMap<String, String> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Person {
            id: "1".into(),
            line: 2,
            fields,
            events: vec![],
        }
    }

    #[test]
    fn domestic_german_without_country_and_blank_lines() {
        let p = person(&[
            ("salutation", "Herr"),
            ("first_name", "Peter"),
            ("last_name", "Müller"),
            ("street", "Hauptstraße 1"),
            ("postal_code", "01069"),
            ("city", "Dresden"),
            ("country", "DE"),
        ]);
        assert_eq!(
            address_lines(&p, "de", "DE"),
            ["Herrn Peter Müller", "Hauptstraße 1", "01069 Dresden"]
        );
    }

    #[test]
    fn company_first_in_german_and_country_line_abroad() {
        let p = person(&[
            ("salutation", "Frau"),
            ("title", "Dr."),
            ("first_name", "Anna"),
            ("last_name", "Weber"),
            ("company", "Weber AG"),
            ("street", "Ring 5"),
            ("postal_code", "1010"),
            ("city", "Wien"),
            ("country", "AT"),
        ]);
        assert_eq!(
            address_lines(&p, "de", "DE"),
            [
                "Weber AG",
                "Frau Dr. Anna Weber",
                "Ring 5",
                "1010 Wien",
                "ÖSTERREICH"
            ]
        );
    }

    #[test]
    fn uk_and_us_forms() {
        let uk = person(&[
            ("salutation", "Ms"),
            ("first_name", "Jane"),
            ("last_name", "Smith"),
            ("street", "14 Kensington Gore"),
            ("postal_code", "sw7 2eu"),
            ("city", "London"),
            ("country", "GB"),
        ]);
        assert_eq!(
            address_lines(&uk, "en", "DE"),
            [
                "Ms Jane Smith",
                "14 Kensington Gore",
                "LONDON",
                "SW7 2EU",
                "UNITED KINGDOM"
            ]
        );
        let us = person(&[
            ("salutation", "Mr"),
            ("first_name", "John"),
            ("last_name", "Doe"),
            ("street", "1 Main St"),
            ("postal_code", "02139"),
            ("city", "Cambridge"),
            ("region", "MA"),
            ("country", "US"),
        ]);
        assert_eq!(
            address_lines(&us, "en", "DE"),
            [
                "Mr. John Doe",
                "1 Main St",
                "Cambridge, MA 02139",
                "UNITED STATES OF AMERICA"
            ]
        );
    }
}
