//! Salutation ("Sehr geehrte Frau Dr. Weber,") and closing formula per
//! language, formality and gender, following DIN 5008 practice and the
//! rules in `shared/notes/print-postal.md` §6.
//!
//! A `salutation` column cannot hold the whole line: it holds Frau/Herr/Mr/…
//! (the form of address). The computed line is `salutation_line`.

use crate::model::Person;

/// The grammatical gender of address as far as the data tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
    /// A person whose form of address is unknown, "divers" or Mx.
    Neutral,
    /// No person: a company or organisation.
    Organisation,
}

/// Reads the form of address from the `salutation` column.
pub fn gender(person: &Person) -> Gender {
    if person.is_company_only() {
        return Gender::Organisation;
    }
    match person
        .get("salutation")
        .trim()
        .trim_end_matches('.')
        .to_lowercase()
        .as_str()
    {
        "frau" | "ms" | "mrs" | "miss" | "madame" | "mme" => Gender::Female,
        "herr" | "herrn" | "mr" | "monsieur" | "m" => Gender::Male,
        _ => Gender::Neutral,
    }
}

/// True for du / first-name relationships.
pub fn is_informal(person: &Person) -> bool {
    matches!(
        person.get("formality").trim().to_lowercase().as_str(),
        "informal" | "du" | "familiar" | "tu" | "informell" | "locker"
    )
}

/// US recipients get US punctuation ("Dear Ms. Smith:").
fn is_us(person: &Person) -> bool {
    matches!(
        person.get("country").trim().to_uppercase().as_str(),
        "US" | "USA"
    )
}

/// The academic part of the title that belongs in a salutation: professors
/// are addressed as such (written out, Dr. dropped), doctors keep "Dr." once,
/// other degrees (Dipl.-Ing., M.A.) stay in the address only.
#[derive(Debug, PartialEq, Eq)]
enum Rank {
    Professor,
    Doctor,
    None,
}

fn rank(title: &str) -> Rank {
    let t = title.to_lowercase();
    if t.contains("prof") {
        Rank::Professor
    } else if t.contains("dr") {
        Rank::Doctor
    } else {
        Rank::None
    }
}

/// The salutation line for a person in a language.
pub fn salutation_line(person: &Person, lang: &str) -> String {
    let first = person.get("first_name").trim();
    let last = person.get("last_name").trim();
    let gender = gender(person);
    let rank = rank(person.get("title"));
    let informal = is_informal(person) && !first.is_empty();
    match lang {
        "de" => german(gender, rank, first, last, informal),
        "fr" => french(gender, informal, first),
        _ => english(gender, rank, first, last, informal, is_us(person)),
    }
}

fn german(gender: Gender, rank: Rank, first: &str, last: &str, informal: bool) -> String {
    if informal {
        return match gender {
            Gender::Female => format!("Liebe {first},"),
            Gender::Male => format!("Lieber {first},"),
            _ => format!("Hallo {first},"),
        };
    }
    let name_with_rank = |female: bool| match rank {
        Rank::Professor => format!(
            "{} {last}",
            if female { "Professorin" } else { "Professor" }
        ),
        Rank::Doctor => format!("Dr. {last}"),
        Rank::None => last.to_string(),
    };
    match gender {
        Gender::Female if !last.is_empty() => {
            format!("Sehr geehrte Frau {},", name_with_rank(true))
        }
        Gender::Male if !last.is_empty() => {
            format!("Sehr geehrter Herr {},", name_with_rank(false))
        }
        Gender::Organisation => "Sehr geehrte Damen und Herren,".to_string(),
        _ if !last.is_empty() || !first.is_empty() => {
            let title = match rank {
                Rank::Professor => "Prof. ",
                Rank::Doctor => "Dr. ",
                Rank::None => "",
            };
            format!(
                "Guten Tag {title}{},",
                crate::model::join_nonempty(&[first, last])
            )
        }
        _ => "Sehr geehrte Damen und Herren,".to_string(),
    }
}

fn english(
    gender: Gender,
    rank: Rank,
    first: &str,
    last: &str,
    informal: bool,
    us: bool,
) -> String {
    let end = if us && !informal { ':' } else { ',' };
    if informal {
        return format!("Dear {first}{end}");
    }
    let dot = if us { "." } else { "" };
    let honorific = match (rank, gender) {
        (Rank::Professor, _) => Some("Professor".to_string()),
        (Rank::Doctor, _) => Some(format!("Dr{dot}")),
        (Rank::None, Gender::Female) => Some(format!("Ms{dot}")),
        (Rank::None, Gender::Male) => Some(format!("Mr{dot}")),
        _ => None,
    };
    match (gender, honorific) {
        (Gender::Organisation, _) => format!("Dear Sir or Madam{end}"),
        (_, Some(h)) if !last.is_empty() => format!("Dear {h} {last}{end}"),
        _ if !first.is_empty() || !last.is_empty() => {
            format!("Dear {}{end}", crate::model::join_nonempty(&[first, last]))
        }
        _ => format!("Dear Sir or Madam{end}"),
    }
}

fn french(gender: Gender, informal: bool, first: &str) -> String {
    match (gender, informal) {
        (Gender::Female, true) => format!("Chère {first},"),
        (Gender::Male, true) => format!("Cher {first},"),
        (Gender::Female, false) => "Madame,".to_string(),
        (Gender::Male, false) => "Monsieur,".to_string(),
        (Gender::Organisation, _) => "Mesdames, Messieurs,".to_string(),
        _ => "Madame, Monsieur,".to_string(),
    }
}

/// The closing formula. `style` is the template's `closing_style`: letters
/// close formally, cards warmly.
pub fn closing(person: &Person, lang: &str, style: &str) -> String {
    let informal = is_informal(person);
    let card = style == "card";
    let unknown = gender(person) == Gender::Organisation;
    match (lang, card, informal) {
        ("de", false, false) => "Mit freundlichen Grüßen",
        ("de", false, true) => "Viele Grüße",
        ("de", true, false) => "Mit herzlichen Grüßen",
        ("de", true, true) => "Herzliche Grüße",
        ("fr", false, false) => match gender(person) {
            Gender::Female => {
                "Veuillez agréer, Madame, l’expression de mes salutations distinguées."
            }
            Gender::Male => {
                "Veuillez agréer, Monsieur, l’expression de mes salutations distinguées."
            }
            _ => "Veuillez agréer, Madame, Monsieur, l’expression de mes salutations distinguées.",
        },
        ("fr", false, true) => "Bien cordialement,",
        ("fr", true, _) => "Avec toute mon amitié,",
        (_, true, false) => "With warm regards,",
        (_, true, true) => "Warm wishes,",
        (_, false, true) => "Best wishes,",
        (_, false, false) if is_us(person) => "Sincerely,",
        (_, false, false) if unknown => "Yours faithfully,",
        (_, false, false) => "Yours sincerely,",
    }
    .to_string()
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

    /// (salutation, title, first, last, company, formality, country, lang) → line
    #[test]
    fn salutation_table() {
        let cases = [
            (
                "Frau",
                "Dr.",
                "Anna",
                "Weber",
                "",
                "formal",
                "DE",
                "de",
                "Sehr geehrte Frau Dr. Weber,",
            ),
            (
                "Herr",
                "Prof. Dr.",
                "Peter",
                "Braun",
                "",
                "formal",
                "DE",
                "de",
                "Sehr geehrter Herr Professor Braun,",
            ),
            (
                "Frau",
                "Prof.",
                "Eva",
                "Roth",
                "",
                "formal",
                "DE",
                "de",
                "Sehr geehrte Frau Professorin Roth,",
            ),
            (
                "Herr",
                "",
                "Konstantin",
                "von Hausen",
                "",
                "formal",
                "DE",
                "de",
                "Sehr geehrter Herr von Hausen,",
            ),
            (
                "Herr",
                "Dipl.-Ing.",
                "Jan",
                "Kurz",
                "",
                "formal",
                "DE",
                "de",
                "Sehr geehrter Herr Kurz,",
            ),
            (
                "",
                "",
                "Alex",
                "Weber",
                "",
                "formal",
                "DE",
                "de",
                "Guten Tag Alex Weber,",
            ),
            (
                "",
                "",
                "",
                "",
                "Holz AG",
                "formal",
                "DE",
                "de",
                "Sehr geehrte Damen und Herren,",
            ),
            (
                "Frau",
                "",
                "Anna",
                "Weber",
                "",
                "informal",
                "DE",
                "de",
                "Liebe Anna,",
            ),
            (
                "Herr",
                "",
                "Peter",
                "Braun",
                "",
                "informal",
                "DE",
                "de",
                "Lieber Peter,",
            ),
            (
                "",
                "",
                "Alex",
                "Weber",
                "",
                "informal",
                "DE",
                "de",
                "Hallo Alex,",
            ),
            (
                "Ms",
                "",
                "Jane",
                "Smith",
                "",
                "formal",
                "GB",
                "en",
                "Dear Ms Smith,",
            ),
            (
                "Ms",
                "",
                "Jane",
                "Smith",
                "",
                "formal",
                "US",
                "en",
                "Dear Ms. Smith:",
            ),
            (
                "Mr",
                "Dr.",
                "John",
                "Smith",
                "",
                "formal",
                "GB",
                "en",
                "Dear Dr Smith,",
            ),
            (
                "Mr",
                "Prof. Dr.",
                "John",
                "Smith",
                "",
                "formal",
                "GB",
                "en",
                "Dear Professor Smith,",
            ),
            (
                "",
                "",
                "",
                "",
                "Acme Ltd",
                "formal",
                "GB",
                "en",
                "Dear Sir or Madam,",
            ),
            (
                "Mx",
                "",
                "Sam",
                "Taylor",
                "",
                "formal",
                "GB",
                "en",
                "Dear Sam Taylor,",
            ),
            (
                "Mr",
                "",
                "Tom",
                "Hill",
                "",
                "informal",
                "GB",
                "en",
                "Dear Tom,",
            ),
            (
                "Madame", "", "Claire", "Dubois", "", "formal", "FR", "fr", "Madame,",
            ),
            (
                "",
                "",
                "",
                "",
                "Atelier SA",
                "formal",
                "FR",
                "fr",
                "Mesdames, Messieurs,",
            ),
        ];
        for (sal, title, first, last, company, formality, country, lang, want) in cases {
            let p = person(&[
                ("salutation", sal),
                ("title", title),
                ("first_name", first),
                ("last_name", last),
                ("company", company),
                ("formality", formality),
                ("country", country),
            ]);
            assert_eq!(
                salutation_line(&p, lang),
                want,
                "{sal} {title} {first} {last} {company} {lang}"
            );
        }
    }

    #[test]
    fn closings() {
        let formal = person(&[
            ("salutation", "Frau"),
            ("last_name", "Weber"),
            ("formality", "formal"),
        ]);
        let informal = person(&[
            ("salutation", "Frau"),
            ("first_name", "Anna"),
            ("formality", "informal"),
        ]);
        assert_eq!(closing(&formal, "de", "letter"), "Mit freundlichen Grüßen");
        assert_eq!(closing(&informal, "de", "letter"), "Viele Grüße");
        assert_eq!(closing(&formal, "en", "letter"), "Yours sincerely,");
        assert_eq!(closing(&informal, "de", "card"), "Herzliche Grüße");
    }
}
