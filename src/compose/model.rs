//! The letter model: what a template reads from `/data.json`. Typed here,
//! serialised once, by the typesetter, into the virtual file. The field
//! order is the order of the JSON (the `--export-inputs` files).

use indexmap::IndexMap;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// `/data.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub lang: String,
    /// The run date, ISO.
    pub date: String,
    /// The run date in words of the language ("1. Dezember 2026").
    pub date_text: String,
    pub subject: String,
    pub salutation: String,
    pub closing: String,
    /// The campaign's and template's texts, rendered.
    pub text: IndexMap<String, String>,
    pub theme: IndexMap<String, String>,
    pub sender: super::sender::Sender,
    pub recipient: Recipient,
    /// The recipient lives in another country than the sender: the return
    /// address adds `sender.country_name` (`sender::abroad`).
    pub abroad: bool,
    /// The letter's information block (customer number, contact, date).
    pub info: Vec<Info>,
    pub print: PrintData,
    /// Label sheets and test grids: one entry per label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// The personal link (`[links]`): `url`, `text` (as printed) and `qr`,
    /// the QR code's module rows; absent without `[links]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<crate::links::Link>,
}

/// The recipient: every column of the person, then `name` and `address`.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub fields: crate::model::Fields,
    /// "Dr. Anna Weber", or the company.
    pub name: String,
    /// The address block, line by line, as the post wants it.
    pub address: Vec<String>,
}

impl Serialize for Recipient {
    /// A map of the columns; `name` and `address` replace a column of the
    /// same name in its place, or follow the columns.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len() + 2))?;
        let (mut name, mut address) = (false, false);
        for (key, value) in &self.fields {
            match key.as_str() {
                "name" => {
                    map.serialize_entry(key, &self.name)?;
                    name = true;
                }
                "address" => {
                    map.serialize_entry(key, &self.address)?;
                    address = true;
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        if !name {
            map.serialize_entry("name", &self.name)?;
        }
        if !address {
            map.serialize_entry("address", &self.address)?;
        }
        map.end()
    }
}

/// One line of the information block.
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub label: String,
    pub value: String,
}

impl Info {
    pub fn new(label: &str, value: &str) -> Info {
        Info {
            label: label.to_string(),
            value: value.to_string(),
        }
    }
}

/// `print`: the physical side of the run.
#[derive(Debug, Clone, Serialize)]
pub struct PrintData {
    /// The template format (`din-b`, `dl`, `3475`, …).
    pub format: String,
    /// Printer calibration in mm.
    pub offset: Offset,
    pub crop_marks: bool,
    pub test_grid: bool,
    /// Label sheets: labels already used on the first sheet.
    pub skip: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Offset {
    pub x: f64,
    pub y: f64,
}

/// One label of a sheet.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub id: String,
    pub name: String,
    pub address: Vec<String>,
    pub lang: String,
}
