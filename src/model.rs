//! The data model every stage shares: a person with their history.

use chrono::NaiveDate;
use indexmap::IndexMap;

/// The canonical person columns (DESIGN.md). Each is always present on a
/// [`Person`] (empty when the file lacks it), so a template can use
/// `person.title` without knowing which export the list came from.
pub const PERSON_FIELDS: &[&str] = &[
    "id",
    "salutation",
    "title",
    "first_name",
    "last_name",
    "company",
    "department",
    "street",
    "street2",
    "postal_code",
    "city",
    "region",
    "country",
    "language",
    "formality",
    "email",
    "birthday",
    "customer_since",
    "opt_out",
    "tags",
];

/// A row's fields by name, in the file's order. Hashed with FxHash: a
/// field is looked up by name a dozen times per person, and the names are
/// warmly's own, not chosen by whoever writes the file.
pub type Fields = IndexMap<String, String, rustc_hash::FxBuildHasher>;

/// One row of the people table.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// The stable id (from the file, or derived from the content).
    pub id: String,
    /// 1-based line of the row in its file, for messages.
    pub line: u64,
    /// Every column: canonical names first, then the others under their own
    /// (normalised) names. Values are text exactly as in the file, trimmed.
    pub fields: Fields,
    /// The person's history, sorted by date (stable for equal dates).
    pub events: Vec<Event>,
}

impl Person {
    /// A person with only these fields (no id, no history): a returns
    /// row's address, or a test's customer.
    pub fn with_fields<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Person {
        Person {
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Person::default()
        }
    }

    /// A field's value, empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// "Dr. Anna Weber", or the company when there is no person.
    pub fn display_name(&self) -> String {
        let name = join_nonempty(&[
            self.get("title"),
            self.get("first_name"),
            self.get("last_name"),
        ]);
        if self.get("first_name").is_empty() && self.get("last_name").is_empty() {
            self.get("company").to_string()
        } else {
            name
        }
    }

    /// True when the row addresses a company, not a person.
    pub fn is_company_only(&self) -> bool {
        self.get("first_name").is_empty()
            && self.get("last_name").is_empty()
            && !self.get("company").is_empty()
    }
}

/// One entry of the relationship history.
#[derive(Debug, Clone)]
pub struct Event {
    pub date: NaiveDate,
    /// order, project, meeting, call, card, complaint, … (lower case)
    pub kind: String,
    pub summary: String,
    /// 1-based line in the history file.
    pub line: u64,
    /// The other columns (amount, product, …) by normalised name.
    pub extra: IndexMap<String, String>,
}

/// Joins the non-empty parts with single spaces.
pub fn join_nonempty(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
