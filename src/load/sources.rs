//! Which program wrote a file: DATEV, lexoffice, sevDesk, Outlook (German
//! or English), Google Contacts, Shopify, WooCommerce, HubSpot, a vCard
//! file, or a list someone made in Excel. The source decides what the
//! headers mean beyond their names (Outlook's "Title" is the form of
//! address, its "Ort" the meeting place), rules per row (DATEV's
//! `Adressatentyp`, Shopify's apostrophes, Outlook's address blocks), the
//! order of slash dates, and whether the file holds people or orders.
//! `warmly check`, `warmly new` and the studio's wizard say what they found.

use crate::date::DateOrder;
use crate::model::Fields;

use super::read::Format;

/// The program (or kind of list) a people or history file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// DATEV Debitoren/Kreditoren (the `EXTF`/`DTVF` format).
    Datev,
    Lexoffice,
    Sevdesk,
    /// Outlook with German column names.
    OutlookDe,
    /// Outlook with English column names.
    Outlook,
    GoogleContacts,
    ShopifyCustomers,
    /// One row per line item; read as history (`orders.rs`).
    ShopifyOrders,
    /// One row per order; read as history (`orders.rs`).
    WoocommerceOrders,
    Hubspot,
    /// A `.vcf` address book (`read/vcard.rs`).
    Vcard,
    /// German column names, as a list typed in Excel has them.
    German,
    Generic,
}

impl Source {
    /// What a person calls it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Datev => "DATEV Debitoren/Kreditoren export",
            Source::Lexoffice => "lexoffice contacts export",
            Source::Sevdesk => "sevDesk contacts export",
            Source::OutlookDe => "Outlook contacts export (German)",
            Source::Outlook => "Outlook contacts export",
            Source::GoogleContacts => "Google Contacts export",
            Source::ShopifyCustomers => "Shopify customers export",
            Source::ShopifyOrders => "Shopify orders export",
            Source::WoocommerceOrders => "WooCommerce orders export",
            Source::Hubspot => "HubSpot contacts export",
            Source::Vcard => "vCard address book",
            Source::German => "German column names (Excel)",
            Source::Generic => "generic column names",
        }
    }

    /// An export of orders: history, one event per order.
    pub fn is_orders(self) -> bool {
        matches!(self, Source::ShopifyOrders | Source::WoocommerceOrders)
    }

    /// "DATEV Debitoren/Kreditoren export (EXTF 700), 6 rows, windows-1252":
    /// what `warmly check`, `warmly new` and the wizard print.
    pub fn describe(self, format: &Format, rows: usize) -> String {
        let mut text = self.name().to_string();
        if let Some(detail) = &format.detail {
            text += &format!(" ({detail})");
        }
        let noun = match self {
            Source::Vcard => "contact",
            _ if self.is_orders() => "order",
            _ => "row",
        };
        text += &format!(", {rows} {noun}{}", if rows == 1 { "" } else { "s" });
        if let Some(encoding) = &format.encoding {
            text += &format!(", {encoding}");
        }
        if let Some(sheet) = &format.sheet {
            text += &format!(", sheet \"{sheet}\"");
        }
        text
    }

    /// How the export writes slash dates, when it decides it.
    pub fn date_order(self) -> Option<DateOrder> {
        match self {
            Source::Outlook => Some(DateOrder::Mdy),
            _ => None,
        }
    }

    /// Recognises the source from the normalised headers and how the file
    /// was read. The order matters: the specific programs first, the
    /// German and generic lists last.
    pub fn detect(normalized: &[String], format: &Format) -> Source {
        let has = |h: &str| normalized.iter().any(|n| n == h);
        let preamble = format.detail.as_deref().unwrap_or("");
        if format.kind == "vCard" {
            Source::Vcard
        } else if preamble.starts_with("EXTF")
            || preamble.starts_with("DTVF")
            || has("adressatentyp") && has("konto")
        {
            Source::Datev
        } else if has("lineitem_name") {
            Source::ShopifyOrders
        } else if has("default_address_address1") || has("customer_id") && has("total_spent") {
            Source::ShopifyCustomers
        } else if has("order_id") && (has("billing_first_name") || has("line_items")) {
            Source::WoocommerceOrders
        } else if has("lifecycle_stage") || has("record_id") && has("country_region") {
            Source::Hubspot
        } else if has("straße_geschäftlich")
            || has("straße_privat")
            || has("postleitzahl_geschäftlich")
        {
            Source::OutlookDe
        } else if has("business_street")
            || has("home_street")
            || has("e_mail_address") && has("middle_name")
        {
            Source::Outlook
        } else if has("e_mail_1_value")
            || has("address_1_street")
            || has("organization_name") && has("given_name")
        {
            Source::GoogleContacts
        } else if has("firmenname") && has("kundennummer") {
            Source::Lexoffice
        } else if has("organisation") && (has("kunden_nr") || has("namenszusatz")) {
            Source::Sevdesk
        } else if GERMAN_WORDS.iter().any(|h| has(h)) {
            Source::German
        } else {
            Source::Generic
        }
    }

    /// Header names (normalised) of this source per canonical field, tried
    /// before the general aliases; an empty list keeps a field from taking
    /// a column of that name (Outlook's `Title` is not a degree).
    pub(crate) fn aliases(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Source::Datev => DATEV,
            Source::Outlook => &[("salutation", &["title"]), ("title", &[])],
            Source::ShopifyCustomers => SHOPIFY,
            Source::Hubspot => HUBSPOT,
            // a supplier has no customer number, but its own
            Source::Lexoffice => &[("id", &["kundennummer", "lieferantennummer"])],
            Source::Vcard => &[("street2", &["extended_address"])],
            _ => &[],
        }
    }

    /// Columns no general alias may take: a header that looks like a field
    /// but means something else in this export.
    pub(crate) fn ignored(self) -> &'static [&'static str] {
        match self {
            // Outlook's "Ort" is the meeting place (English "Location").
            Source::OutlookDe => &["ort"],
            // DATEV's own name columns are decided by Adressatentyp.
            Source::Datev => &["name_adressatentyp_keine_angabe"],
            _ => &[],
        }
    }

    /// Address blocks of which one is taken as a whole (Outlook: business,
    /// else home, else other), as (field, headers) per block: a street
    /// from one block with the town of another is no address.
    pub(crate) fn address_blocks(
        self,
    ) -> &'static [&'static [(&'static str, &'static [&'static str])]] {
        match self {
            Source::Outlook => OUTLOOK_BLOCKS,
            Source::OutlookDe => OUTLOOK_DE_BLOCKS,
            _ => &[],
        }
    }

    /// This source's rules for one row, after the columns were mapped.
    pub(crate) fn adjust(self, fields: &mut Fields) {
        match self {
            Source::Datev => datev_row(fields),
            Source::ShopifyCustomers => {
                // Shopify writes `'7411238977735` and `'01069` so that
                // Excel keeps them as text.
                for key in ["id", "postal_code"] {
                    if let Some(v) = fields.get_mut(key) {
                        if let Some(rest) = v.strip_prefix('\'') {
                            *v = rest.to_string();
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Header words of a German list typed in Excel.
const GERMAN_WORDS: [&str; 9] = [
    "vorname",
    "nachname",
    "plz",
    "ort",
    "anrede",
    "kundennr",
    "kundennummer",
    "strasse",
    "straße",
];

const DATEV: &[(&str, &[&str])] = &[
    ("id", &["konto"]),
    (
        "company",
        &[
            "name_adressatentyp_unternehmen",
            "name_adressatentyp_keine_angabe",
        ],
    ),
    ("last_name", &["name_adressatentyp_natürl_person"]),
    ("first_name", &["vorname_adressatentyp_natürl_person"]),
    ("title", &["titel_akad_grad"]),
    ("street2", &["adresszusatz"]),
    ("salutation_line", &["abweichende_anrede"]),
];

const SHOPIFY: &[(&str, &[&str])] = &[
    ("company", &["default_address_company"]),
    ("street", &["default_address_address1"]),
    ("street2", &["default_address_address2"]),
    ("city", &["default_address_city"]),
    ("region", &["default_address_province_code"]),
    ("country", &["default_address_country_code"]),
    ("postal_code", &["default_address_zip"]),
];

const HUBSPOT: &[(&str, &[&str])] = &[
    ("id", &["record_id"]),
    ("street", &["street_address"]),
    ("region", &["state_region"]),
    ("country", &["country_region"]),
    ("postal_code", &["zip_code", "postal_code", "zip"]),
    ("customer_since", &["became_a_customer_date"]),
];

const OUTLOOK_BLOCKS: &[&[(&str, &[&str])]] = &[
    &[
        ("street", &["business_street"]),
        ("street2", &["business_street_2", "business_street_3"]),
        ("city", &["business_city"]),
        ("region", &["business_state"]),
        ("postal_code", &["business_postal_code"]),
        ("country", &["business_country_region"]),
    ],
    &[
        ("street", &["home_street"]),
        ("street2", &["home_street_2", "home_street_3"]),
        ("city", &["home_city"]),
        ("region", &["home_state"]),
        ("postal_code", &["home_postal_code"]),
        ("country", &["home_country_region"]),
    ],
    &[
        ("street", &["other_street"]),
        ("street2", &["other_street_2", "other_street_3"]),
        ("city", &["other_city"]),
        ("region", &["other_state"]),
        ("postal_code", &["other_postal_code"]),
        ("country", &["other_country_region"]),
    ],
];

const OUTLOOK_DE_BLOCKS: &[&[(&str, &[&str])]] = &[
    &[
        ("street", &["straße_geschäftlich"]),
        (
            "street2",
            &["straße_geschäftlich_2", "straße_geschäftlich_3"],
        ),
        ("city", &["ort_geschäftlich"]),
        ("region", &["region_geschäftlich"]),
        ("postal_code", &["postleitzahl_geschäftlich"]),
        ("country", &["land_region_geschäftlich"]),
    ],
    &[
        ("street", &["straße_privat"]),
        ("street2", &["straße_privat_2", "straße_privat_3"]),
        ("city", &["ort_privat"]),
        ("region", &["region_privat"]),
        ("postal_code", &["postleitzahl_privat"]),
        ("country", &["land_region_privat"]),
    ],
    &[
        ("street", &["weitere_straße"]),
        ("street2", &["weitere_straße_2", "weitere_straße_3"]),
        ("city", &["weiterer_ort"]),
        ("region", &["weitere_region"]),
        ("postal_code", &["weitere_postleitzahl"]),
        ("country", &["weiteres_e_land_region"]),
    ],
];

/// DATEV: `Adressatentyp` 1 is a natural person (first and last name,
/// salutation, title; nobility title and particle in front of the last
/// name), 2 a company (its name, no person) — whatever the other type's
/// columns still hold; 0 or empty is a name of unknown kind, kept as the
/// company. A post-office box stands in for a missing street; the
/// "Abweichende Anrede" is a whole salutation line and gets its comma.
fn datev_row(fields: &mut Fields) {
    let get = |f: &Fields, k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    match get(fields, "adressatentyp").as_str() {
        "1" => {
            fields.insert("company".into(), String::new());
            let last = crate::model::join_nonempty(&[
                &get(fields, "adelstitel"),
                &get(fields, "namensvorsatz"),
                &get(fields, "last_name"),
            ]);
            fields.insert("last_name".into(), last);
        }
        "2" => {
            for key in ["first_name", "last_name", "salutation", "title"] {
                fields.insert(key.into(), String::new());
            }
        }
        _ => {}
    }
    let po_box = get(fields, "postfach");
    if get(fields, "street").is_empty() && !po_box.is_empty() {
        fields.insert("street".into(), format!("Postfach {po_box}"));
    }
    if let Some(line) = fields.get_mut("salutation_line") {
        if line
            .trim()
            .chars()
            .last()
            .is_some_and(char::is_alphanumeric)
        {
            *line = format!("{},", line.trim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn datev_type_decides_person_or_company() {
        let mut person = fields(&[
            ("adressatentyp", "1"),
            ("company", "Alte Firma"),
            ("first_name", "Konstantin"),
            ("last_name", "Hausen"),
            ("adelstitel", "Freiherr"),
            ("namensvorsatz", "von"),
            ("street", ""),
            ("postfach", "10 02 33"),
            ("salutation_line", "Lieber Konstantin"),
        ]);
        datev_row(&mut person);
        assert_eq!(person["company"], "");
        assert_eq!(person["last_name"], "Freiherr von Hausen");
        assert_eq!(person["street"], "Postfach 10 02 33");
        assert_eq!(person["salutation_line"], "Lieber Konstantin,");
        let mut company = fields(&[
            ("adressatentyp", "2"),
            ("company", "Tischlerei Lindemann GmbH"),
            ("first_name", "Paul"),
            ("last_name", "Lindemann"),
            ("salutation", "Herr"),
            ("title", ""),
            ("street", "Am Sägewerk 3"),
        ]);
        datev_row(&mut company);
        assert_eq!(
            (
                company["first_name"].as_str(),
                company["last_name"].as_str()
            ),
            ("", "")
        );
        assert_eq!(company["company"], "Tischlerei Lindemann GmbH");
    }

    #[test]
    fn descriptions_name_rows_and_encoding() {
        let format = Format {
            kind: "CSV".into(),
            encoding: Some("windows-1252".into()),
            delimiter: Some(";".into()),
            sheet: None,
            detail: Some("EXTF 700".into()),
        };
        assert_eq!(
            Source::Datev.describe(&format, 5),
            "DATEV Debitoren/Kreditoren export (EXTF 700), 5 rows, windows-1252"
        );
    }
}
