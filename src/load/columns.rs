//! From the headers an export really has to warmly's canonical fields.
//!
//! German Excel lists, Outlook and Google Contacts exports and typical CRM
//! files work without any mapping; `[columns]` in the campaign (or
//! `--column canonical=Header`) overrides. Columns that map to nothing keep
//! their own (normalised) name, so a template can still use them.

use indexmap::IndexMap;

use super::read::Format;
use super::sources::Source;
use crate::model::PERSON_FIELDS;

/// `Kunde seit` → `kunde_seit`, `E-mail 1 - Value` → `e_mail_1_value`:
/// lower case, every run of other characters becomes one `_`.
pub fn normalize(header: &str) -> String {
    let mut out = String::new();
    for c in header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
    {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Header names (normalised) per canonical person field, in order of
/// preference. Several matching columns are all kept: per row the first
/// non-empty one wins (Outlook's business address, else the home address).
const PERSON_ALIASES: &[(&str, &[&str])] = &[
    (
        "id",
        &[
            "id",
            "kundennr",
            "kundennummer",
            "kunden_nr",
            "kunden_id",
            "kundenid",
            "customer_id",
            "customer_no",
            "customer_number",
            "customer",
            "contact_id",
            "nr",
            "nummer",
        ],
    ),
    (
        "salutation",
        &["salutation", "anrede", "name_prefix", "prefix", "herr_frau"],
    ),
    (
        "title",
        &[
            "title",
            "titel",
            "akad_titel",
            "akademischer_titel",
            "academic_title",
        ],
    ),
    (
        "first_name",
        &[
            "first_name",
            "firstname",
            "vorname",
            "given_name",
            "first",
            "forename",
        ],
    ),
    (
        "last_name",
        &[
            "last_name",
            "lastname",
            "nachname",
            "family_name",
            "surname",
            "last",
            "familienname",
            "name",
        ],
    ),
    (
        "company",
        &[
            "company",
            "firma",
            "unternehmen",
            "organization_name",
            "organisation",
            "organization",
            "company_name",
            "firmenname",
            "organization_1_name",
        ],
    ),
    (
        "department",
        &[
            "department",
            "abteilung",
            "organization_department",
            "organization_1_department",
        ],
    ),
    (
        "street",
        &[
            "street",
            "strasse",
            "straße",
            "str",
            "strasse_und_hausnummer",
            "straße_und_hausnummer",
            "address",
            "adresse",
            "anschrift",
            "address_line_1",
            "business_street",
            "home_street",
            "other_street",
            "address_1_street",
        ],
    ),
    (
        "street2",
        &[
            "street2",
            "street_2",
            "adresszusatz",
            "zusatz",
            "address_line_2",
            "business_street_2",
            "home_street_2",
            "address_1_extended_address",
        ],
    ),
    (
        "postal_code",
        &[
            "postal_code",
            "plz",
            "postleitzahl",
            "zip",
            "zip_code",
            "zipcode",
            "postcode",
            "post_code",
            "business_postal_code",
            "home_postal_code",
            "other_postal_code",
            "address_1_postal_code",
        ],
    ),
    (
        "city",
        &[
            "city",
            "ort",
            "stadt",
            "wohnort",
            "town",
            "business_city",
            "home_city",
            "other_city",
            "address_1_city",
        ],
    ),
    (
        "region",
        &[
            "region",
            "state",
            "bundesland",
            "kanton",
            "province",
            "business_state",
            "home_state",
            "other_state",
            "address_1_region",
        ],
    ),
    (
        "country",
        &[
            "country",
            "land",
            "staat",
            "country_code",
            "business_country_region",
            "home_country_region",
            "other_country_region",
            "address_1_country",
        ],
    ),
    (
        "language",
        &["language", "sprache", "lang", "korrespondenzsprache"],
    ),
    (
        "formality",
        &["formality", "anredeform", "du_sie", "duzen", "ansprache"],
    ),
    (
        "email",
        &[
            "email",
            "e_mail",
            "mail",
            "e_mail_address",
            "e_mail_1_value",
            "email_address",
            "e_mail_adresse",
        ],
    ),
    (
        "birthday",
        &[
            "birthday",
            "geburtstag",
            "geburtsdatum",
            "birth_date",
            "date_of_birth",
            "dob",
        ],
    ),
    (
        "customer_since",
        &[
            "customer_since",
            "kunde_seit",
            "kunden_seit",
            "kundenseit",
            "seit",
            "first_order",
            "erstkontakt",
            "client_since",
        ],
    ),
    (
        "opt_out",
        &[
            "opt_out",
            "optout",
            "werbewiderspruch",
            "kein_mailing",
            "keine_post",
            "do_not_mail",
            "sperrvermerk",
            "no_mail",
        ],
    ),
    (
        "tags",
        &[
            "tags",
            "labels",
            "kategorien",
            "categories",
            "gruppen",
            "group_membership",
        ],
    ),
    (
        "salutation_line",
        &[
            "salutation_line",
            "briefanrede",
            "anrede_brief",
            "greeting_line",
            "letter_salutation",
            "anredezeile",
        ],
    ),
];

/// The same for the history table.
const HISTORY_ALIASES: &[(&str, &[&str])] = &[
    (
        "person_id",
        &[
            "person_id",
            "customer_id",
            "kundennr",
            "kundennummer",
            "kunden_nr",
            "kunden_id",
            "id",
            "customer",
            "contact_id",
        ],
    ),
    (
        "email",
        &[
            "email",
            "e_mail",
            "customer_email",
            "billing_email",
            "e_mail_adresse",
            "e_mail_address",
        ],
    ),
    ("date", &["date", "datum", "tag", "when"]),
    (
        "kind",
        &[
            "kind",
            "type",
            "art",
            "typ",
            "kategorie",
            "category",
            "event",
        ],
    ),
    (
        "summary",
        &[
            "summary",
            "description",
            "beschreibung",
            "betreff",
            "subject",
            "text",
            "notiz",
            "titel",
            "title",
            "thema",
        ],
    ),
    (
        "amount",
        &[
            "amount", "betrag", "summe", "umsatz", "value", "wert", "total",
        ],
    ),
    ("product", &["product", "produkt", "artikel", "item"]),
];

/// Which columns feed which field.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mapping {
    /// Canonical field → column indices, first non-empty wins.
    pub fields: IndexMap<String, Vec<usize>, rustc_hash::FxBuildHasher>,
    /// Other columns, under their normalised names.
    pub extra: Vec<(String, usize)>,
    /// The program that wrote the file.
    pub source: Source,
    /// Address blocks taken as a whole (Outlook): per block, the columns
    /// of each field.
    #[serde(skip)]
    pub blocks: Vec<Vec<(String, Vec<usize>)>>,
}

impl Mapping {
    /// The value of a field in a row: the first non-empty mapped column.
    pub fn get<'r>(&self, row: &'r super::read::Row<'_>, field: &str) -> &'r str {
        self.fields
            .get(field)
            .and_then(|cols| {
                cols.iter()
                    .map(|&c| row.get(c))
                    .find(|v| !v.trim().is_empty())
            })
            .unwrap_or("")
    }

    /// Sets the address fields from the first block that has a street,
    /// city or postcode (see [`Source::address_blocks`]).
    pub fn apply_blocks(&self, row: &super::read::Row<'_>, fields: &mut crate::model::Fields) {
        let value = |cols: &[usize]| {
            let parts: Vec<&str> = cols.iter().map(|&c| row.get(c)).collect();
            crate::model::join_nonempty(&parts)
        };
        let filled = |block: &&Vec<(String, Vec<usize>)>| {
            block.iter().any(|(field, cols)| {
                ["street", "city", "postal_code"].contains(&field.as_str())
                    && !value(cols).is_empty()
            })
        };
        if let Some(block) = self.blocks.iter().find(filled) {
            for (field, cols) in block {
                fields.insert(field.clone(), value(cols));
            }
        }
    }

    /// The first column of a field (1-based), for messages.
    pub fn column(&self, field: &str) -> Option<u64> {
        self.fields
            .get(field)
            .and_then(|c| c.first())
            .map(|&c| c as u64 + 1)
    }

    /// Pairs "canonical ← header" for the report.
    pub fn describe(&self, headers: &[String]) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|(k, cols)| {
                (
                    k.clone(),
                    cols.iter()
                        .map(|&c| headers[c].clone())
                        .collect::<Vec<_>>()
                        .join(" | "),
                )
            })
            .collect()
    }
}

/// The fields `[columns]` can name: the canonical person fields and
/// `salutation_line`.
pub fn people_fields() -> Vec<&'static str> {
    PERSON_FIELDS
        .iter()
        .copied()
        .chain(["salutation_line"])
        .collect()
}

/// The program that wrote a table with these headers, read this way.
pub fn detect(headers: &[String], format: &Format) -> Source {
    let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    Source::detect(&normalized, format)
}

/// Maps the people headers: explicit mapping first, then the source's own
/// names, then the aliases.
pub fn map_people(
    headers: &[String],
    explicit: &IndexMap<String, String>,
    format: &Format,
) -> Result<Mapping, String> {
    map(headers, explicit, PERSON_ALIASES, &people_fields(), format)
}

pub fn map_history(headers: &[String], format: &Format) -> Result<Mapping, String> {
    let known: Vec<&str> = HISTORY_ALIASES.iter().map(|(k, _)| *k).collect();
    map(headers, &IndexMap::new(), HISTORY_ALIASES, &known, format)
}

fn map(
    headers: &[String],
    explicit: &IndexMap<String, String>,
    aliases: &[(&str, &[&str])],
    known: &[&str],
    format: &Format,
) -> Result<Mapping, String> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let source = Source::detect(&normalized, format);
    let mut used = vec![false; headers.len()];
    let mut fields: IndexMap<String, Vec<usize>, rustc_hash::FxBuildHasher> = IndexMap::default();
    for (field, header) in explicit {
        if !known.contains(&field.as_str()) {
            return Err(format!(
                "[columns]: \"{field}\" is not a field warmly knows (known: {})",
                known.join(", ")
            ));
        }
        let wanted = normalize(header);
        let col = headers
            .iter()
            .position(|h| h == header)
            .or_else(|| normalized.iter().position(|n| *n == wanted))
            .ok_or_else(|| format!("[columns]: {field} = \"{header}\", but the file has no such column (columns: {})", headers.join(", ")))?;
        fields.insert(field.clone(), vec![col]);
        used[col] = true;
    }
    let blocks = if std::ptr::eq(aliases, PERSON_ALIASES) {
        map_blocks(source, &normalized, explicit, &mut used, &mut fields)
    } else {
        Vec::new()
    };
    let own: &[(&str, &[&str])] = if std::ptr::eq(aliases, PERSON_ALIASES) {
        source.aliases()
    } else {
        &[]
    };
    for (field, names) in aliases {
        if fields.contains_key(*field) {
            continue;
        }
        let cols = alias_columns(field, names, own, source, &normalized, &mut used);
        if !cols.is_empty() {
            fields.insert(field.to_string(), cols);
        }
    }
    let extra = normalized
        .iter()
        .enumerate()
        .filter(|(i, n)| !used[*i] && !n.is_empty() && !fields.contains_key(n.as_str()))
        .map(|(i, n)| (n.clone(), i))
        .collect();
    Ok(Mapping {
        fields,
        extra,
        source,
        blocks,
    })
}

/// The columns the aliases `names` (after the source's own names for
/// `field`, `own`) find among the columns not used yet; marks them used.
fn alias_columns(
    field: &str,
    names: &[&str],
    own: &[(&str, &[&str])],
    source: Source,
    normalized: &[String],
    used: &mut [bool],
) -> Vec<usize> {
    let names: Vec<&str> = match own.iter().find(|(f, _)| *f == field) {
        Some((_, own)) => own.iter().chain(names.iter()).copied().collect(),
        // "Name" is the last name only beside a first-name column.
        None if field == "last_name"
            && !normalized.iter().any(|n| {
                ["vorname", "first_name", "firstname", "given_name", "first"].contains(&n.as_str())
            }) =>
        {
            names.iter().copied().filter(|n| *n != "name").collect()
        }
        None => names.to_vec(),
    };
    // A source that names a field's columns itself (or none: Outlook's
    // "Title" is not a degree) keeps the general names off them.
    let own_only = own.iter().any(|(f, o)| *f == field && o.is_empty());
    let mut cols = Vec::new();
    for name in names.iter().take(if own_only { 0 } else { names.len() }) {
        let own_name = own.iter().any(|(f, o)| *f == field && o.contains(name));
        for (i, n) in normalized.iter().enumerate() {
            let ignored = !own_name && source.ignored().contains(&n.as_str());
            if n == name && !used[i] && !ignored {
                cols.push(i);
                used[i] = true;
            }
        }
    }
    cols
}

/// The source's address blocks as columns (fields the explicit mapping
/// names stay out); each field lists every block's columns, for the report.
fn map_blocks(
    source: Source,
    normalized: &[String],
    explicit: &IndexMap<String, String>,
    used: &mut [bool],
    fields: &mut IndexMap<String, Vec<usize>, rustc_hash::FxBuildHasher>,
) -> Vec<Vec<(String, Vec<usize>)>> {
    let mut blocks = Vec::new();
    for block in source.address_blocks() {
        let mut resolved = Vec::new();
        for (field, names) in block.iter() {
            if explicit.contains_key(*field) {
                continue;
            }
            let cols: Vec<usize> = names
                .iter()
                .filter_map(|name| normalized.iter().position(|n| n == name))
                .filter(|&c| !used[c])
                .collect();
            for &c in &cols {
                used[c] = true;
            }
            fields.entry(field.to_string()).or_default().extend(&cols);
            resolved.push((field.to_string(), cols));
        }
        blocks.push(resolved);
    }
    blocks
}

/// History kinds in the words offices use → warmly's kinds.
pub fn normalize_kind(kind: &str) -> String {
    let k = kind.trim().to_lowercase();
    match k.as_str() {
        "auftrag" | "bestellung" | "kauf" | "purchase" | "sale" | "verkauf" => "order",
        "projekt" => "project",
        "termin" | "besuch" | "treffen" | "besprechung" | "visit" | "appointment" => "meeting",
        "anruf" | "telefonat" | "phone" | "telefon" => "call",
        "karte" | "grußkarte" | "weihnachtskarte" | "brief" | "letter" => "card",
        "reklamation" | "beschwerde" => "complaint",
        _ => return k,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(s: &str, sep: char) -> Vec<String> {
        s.split(sep).map(str::to_string).collect()
    }

    fn csv() -> Format {
        Format {
            kind: "CSV".into(),
            encoding: None,
            delimiter: None,
            sheet: None,
            detail: None,
        }
    }

    #[test]
    fn german_excel_headers_map_without_help() {
        let h = headers("Kundennr;Anrede;Titel;Vorname;Nachname;Firma;Straße;PLZ;Ort;Land;Geburtstag;Kunde seit;Bemerkung", ';');
        let m = map_people(&h, &IndexMap::new(), &csv()).unwrap();
        assert_eq!(m.source, Source::German);
        for (field, col) in [
            ("id", 0),
            ("salutation", 1),
            ("title", 2),
            ("first_name", 3),
            ("last_name", 4),
            ("company", 5),
            ("street", 6),
            ("postal_code", 7),
            ("city", 8),
            ("country", 9),
            ("birthday", 10),
            ("customer_since", 11),
        ] {
            assert_eq!(m.fields[field], vec![col], "{field}");
        }
        assert_eq!(m.extra, vec![("bemerkung".to_string(), 12)]);
    }

    #[test]
    fn outlook_title_is_the_form_of_address_and_home_is_a_fallback() {
        let h = headers("Title,First Name,Last Name,Company,Business Street,Business City,Home Street,Home City,E-mail Address", ',');
        let m = map_people(&h, &IndexMap::new(), &csv()).unwrap();
        assert_eq!(m.source, Source::Outlook);
        assert_eq!(m.fields["salutation"], vec![0]);
        assert!(!m.fields.contains_key("title"));
        assert_eq!(m.fields["street"], vec![4, 6]);
        let mut rows = super::super::Rows::default();
        rows.push(
            2,
            [
                "Mr.",
                "Tom",
                "Hill",
                "",
                "",
                "",
                "1 High St",
                "Leeds",
                "t@x",
            ],
        );
        let row = rows.get(0);
        assert_eq!(m.get(&row, "street"), "1 High St");
        assert_eq!(m.get(&row, "city"), "Leeds");
    }

    #[test]
    fn explicit_mapping_wins_and_is_checked() {
        let h = headers("Nr,Kontakt Vorname,Kontakt Name", ',');
        let mut explicit = IndexMap::new();
        explicit.insert("first_name".to_string(), "Kontakt Vorname".to_string());
        explicit.insert("last_name".to_string(), "kontakt name".to_string());
        let m = map_people(&h, &explicit, &csv()).unwrap();
        assert_eq!(m.fields["first_name"], vec![1]);
        assert_eq!(m.fields["last_name"], vec![2]);
        explicit.insert("nickname".to_string(), "Nr".to_string());
        assert!(map_people(&h, &explicit, &csv())
            .unwrap_err()
            .contains("not a field"));
    }

    #[test]
    fn kinds_in_german() {
        assert_eq!(normalize_kind("Auftrag"), "order");
        assert_eq!(normalize_kind("Projekt"), "project");
        assert_eq!(normalize_kind("visit"), "meeting");
        assert_eq!(normalize_kind("Newsletter"), "newsletter");
    }
}
