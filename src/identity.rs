//! When two rows are the same place: an address as a key that ignores how
//! it is written. Households (people at one address) and returned mail
//! (is this still the address that came back?) both ask this.

use crate::lang::normalize_country;
use crate::model::Person;

/// The address as a key that ignores how it is written: street, postal
/// code, city and country in lower case, without spaces and punctuation,
/// "ß" as "ss" and "Straße"/"Strasse"/"Str." as "str". An empty country is
/// the sender's. Two people with the same key live at the same address.
pub fn address_key(person: &Person, sender_country: &str) -> String {
    let country = match normalize_country(person.get("country")) {
        c if c.is_empty() => normalize_country(sender_country),
        c => c,
    };
    let street = person
        .get("street")
        .to_lowercase()
        .replace('ß', "ss")
        .replace("strasse", "str")
        .replace("str.", "str");
    [
        street.as_str(),
        person.get("postal_code"),
        person.get("city"),
        &country,
    ]
    .iter()
    .map(|part| {
        part.to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
    })
    .collect::<Vec<_>>()
    .join("|")
}

/// A short hash of [`address_key`] for the ledger: enough to tell whether
/// the address changed, without keeping the address itself.
pub fn address_hash(person: &Person, sender_country: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(address_key(person, sender_country).as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The household a person belongs to: the address key, plus the company
/// (people at one address share a piece only when they share the company
/// too — two firms in one building do not). None when there is no street
/// to go by, or for a row that is a company only.
pub fn household_key(person: &Person, sender_country: &str) -> Option<String> {
    if person.get("street").trim().is_empty() || person.is_company_only() {
        return None;
    }
    let company: String = person
        .get("company")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    Some(format!("{}|{company}", address_key(person, sender_country)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(street: &str, code: &str, city: &str, country: &str, company: &str) -> Person {
        Person::with_fields([
            ("last_name", "Müller"),
            ("street", street),
            ("postal_code", code),
            ("city", city),
            ("country", country),
            ("company", company),
        ])
    }

    #[test]
    fn the_same_address_however_it_is_written() {
        let a = at("Hauptstraße 5", "01067", "Dresden", "", "");
        for same in [
            at("Hauptstr. 5", "01067", "Dresden", "DE", ""),
            at("HAUPTSTRASSE  5", "01067", "dresden", "Deutschland", ""),
            at("Haupt-Straße 5", " 01067", "Dresden ", "D", ""),
        ] {
            assert_eq!(household_key(&a, "DE"), household_key(&same, "DE"));
        }
        for other in [
            at("Hauptstraße 7", "01067", "Dresden", "", ""),
            at("Hauptstraße 5", "01069", "Dresden", "", ""),
            at("Hauptstraße 5", "01067", "Dresden", "AT", ""),
            at("Hauptstraße 5", "01067", "Dresden", "", "Müller GmbH"),
        ] {
            assert_ne!(household_key(&a, "DE"), household_key(&other, "DE"));
        }
        assert_eq!(
            household_key(&at("", "01067", "Dresden", "", ""), "DE"),
            None
        );
    }
}
