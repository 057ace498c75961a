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
