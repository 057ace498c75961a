//! Salutation ("Sehr geehrte Frau Dr. Weber,") and closing formula per
//! language, formality and gender, following DIN 5008 practice and the
//! rules in `shared/notes/print-postal.md` §6. The rules are listed as a
//! table in docs/guide/messages.md ("Salutations"); the cases that pin them down
//! are data in `tests/data/salutations.csv`.
//!
//! A `salutation` column cannot hold the whole line: it holds Frau/Herr/Mr/…
//! (the form of address). The computed line is `salutation_line`; a
//! non-empty `salutation_line` column overrides it row by row.

use super::{base_language, normalize_country};
use crate::model::{join_nonempty, Person};

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

/// How close the relationship is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formality {
    /// Sie / vous / surname (the default, also for unknown values).
    Formal,
    /// Familiar Sie: "Liebe Frau Weber," — formal address, warm tone.
    Familiar,
    /// Du / tu / first name.
    Informal,
}

/// Reads the `formality` column. Case, spaces and underscores do not
/// matter ("Sie vertraut" = "sie_vertraut" = "sie-vertraut"); unknown
/// values count as formal.
pub fn formality(person: &Person) -> Formality {
    let v = person
        .get("formality")
        .trim()
        .to_lowercase()
        .replace([' ', '_'], "-");
    match v.as_str() {
        "informal" | "informell" | "du" | "tu" | "duzen" | "per-du" | "locker" | "casual"
        | "first-name" | "firstname" | "vorname" => Formality::Informal,
        "familiar" | "familiär" | "familiaer" | "vertraut" | "sie-vertraut" | "vertraut-sie"
        | "familiar-sie" | "sie-familiar" | "sie-familiär" | "persönlich" | "sie-persönlich"
        | "personal" | "semi-formal" | "semiformal" | "halbformell" | "herzlich" => {
            Formality::Familiar
        }
        _ => Formality::Formal,
    }
}

/// True for du / first-name relationships.
pub fn is_informal(person: &Person) -> bool {
    formality(person) == Formality::Informal
}

/// The first word of the `salutation` column, lower case, without a dot.
fn form_word(person: &Person) -> String {
    person
        .get("salutation")
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_lowercase()
}

fn gender_of_form(form: &str) -> Option<Gender> {
    match form {
        "frau" | "fr" | "ms" | "mrs" | "miss" | "madame" | "mme" | "mademoiselle" | "mlle"
        | "signora" | "sig.ra" | "mevrouw" | "mevr" | "señora" | "sra" => Some(Gender::Female),
        "herr" | "herrn" | "hr" | "mr" | "monsieur" | "m" | "signor" | "signore" | "sig"
        | "meneer" | "heer" | "dhr" | "señor" | "sr" => Some(Gender::Male),
        _ => None,
    }
}

/// Reads the form of address from the `salutation` column; without one, a
/// gendered nobility title in the name ("Gräfin", "Freiherr") decides.
pub fn gender(person: &Person) -> Gender {
    if person.is_company_only() {
        return Gender::Organisation;
    }
    if let Some(g) = gender_of_form(&form_word(person)) {
        return g;
    }
    // Mx, divers, empty: a nobility title still tells.
    match names(person).noble {
        Some(n) => n.gender,
        None => Gender::Neutral,
    }
}

/// The recipient's country decides UK or US conventions ("Dear Ms. Smith:");
/// without a country, a language tag such as `en-US` does.
pub fn is_us(person: &Person, lang: &str) -> bool {
    match normalize_country(person.get("country")).as_str() {
        "US" | "PR" => true,
        "" => lang.trim().to_lowercase().replace('_', "-") == "en-us",
        _ => false,
    }
}

/// German in Switzerland and Liechtenstein is written without ß.
fn swiss(person: &Person) -> bool {
    matches!(
        normalize_country(person.get("country")).as_str(),
        "CH" | "LI"
    )
}

/// The academic part of the title that belongs in a salutation: professors
/// are addressed as such (written out, Dr. dropped), doctors keep "Dr." once,
/// other degrees (Dipl.-Ing., M.A.) stay in the address only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    Professor,
    Doctor,
    None,
}

/// "Prof. Dr." → Professor, "Dr. med. Dr. phil." / "Dr.-Ing." / "PhD" →
/// Doctor, "Dipl.-Ing." / "drs." (Dutch, no doctorate) → none.
pub fn rank(title: &str) -> Rank {
    let tokens: Vec<String> = title.split_whitespace().map(str::to_lowercase).collect();
    if tokens.iter().any(|t| t.contains("prof")) {
        Rank::Professor
    } else if tokens.iter().any(|t| {
        let t = t.trim_end_matches(',');
        t == "dr"
            || t.starts_with("dr.")
            || t.starts_with("dr-")
            || t.starts_with("dres")
            || matches!(t, "phd" | "ph.d." | "dphil" | "d.phil." | "md" | "m.d.")
    }) {
        Rank::Doctor
    } else {
        Rank::None
    }
}

/// What a German nobility title does to the salutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NobleKind {
    /// Freiherr, Freifrau, Freiin, Baron(in), Edler, Ritter: the title is
    /// dropped, "von" kept: "Sehr geehrter Herr von Thurner,".
    Baron,
    /// Graf, Gräfin, Fürst(in), Prinz(essin), Herzog(in), …: the title
    /// replaces Herr/Frau, the particle is dropped: "Sehr geehrter Graf
    /// Bismarck,".
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noble {
    /// The title as it is written ("Gräfin").
    pub title: &'static str,
    pub kind: NobleKind,
    pub gender: Gender,
}

const NOBLE_TITLES: &[(&str, NobleKind, Gender)] = {
    use Gender::{Female as F, Male as M};
    use NobleKind::{Baron as B, Count as C};
    &[
        ("Freiherr", B, M),
        ("Freifrau", B, F),
        ("Freiin", B, F),
        ("Baron", B, M),
        ("Baronin", B, F),
        ("Baronesse", B, F),
        ("Edler", B, M),
        ("Edle", B, F),
        ("Ritter", B, M),
        ("Graf", C, M),
        ("Gräfin", C, F),
        ("Reichsgraf", C, M),
        ("Reichsgräfin", C, F),
        ("Burggraf", C, M),
        ("Burggräfin", C, F),
        ("Landgraf", C, M),
        ("Landgräfin", C, F),
        ("Markgraf", C, M),
        ("Markgräfin", C, F),
        ("Fürst", C, M),
        ("Fürstin", C, F),
        ("Prinz", C, M),
        ("Prinzessin", C, F),
        ("Erbprinz", C, M),
        ("Erbprinzessin", C, F),
        ("Herzog", C, M),
        ("Herzogin", C, F),
    ]
};

fn noble_title(word: &str) -> Option<Noble> {
    NOBLE_TITLES
        .iter()
        .find(|(t, _, _)| t.to_lowercase() == word.to_lowercase())
        .map(|&(title, kind, gender)| Noble {
            title,
            kind,
            gender,
        })
}

/// Name particles dropped after a Count-like title ("von und zu").
const PARTICLES: &[&str] = &[
    "von", "vom", "zu", "zum", "zur", "und", "der", "dem", "den", "auf",
];

/// A person's name taken apart for salutations and the address.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub first: String,
    /// The last name as in the data ("Freiherr von Thurner").
    pub last: String,
    /// The academic part of the title ("Prof. Dr."), for the address.
    pub academic: String,
    pub rank: Option<Rank>,
    pub noble: Option<Noble>,
    /// The nobility title came from the `title` column, not the last name,
    /// so the address puts it between first and last name.
    pub noble_in_title: bool,
    /// The last name without the nobility title ("von Thurner").
    pub surname: String,
    /// The last name without title and particles ("Bismarck").
    pub core: String,
}

impl Names {
    /// "Dr. Konstantin von Hausen", "Benedict Freiherr von Thurner".
    pub fn full(&self) -> String {
        join_nonempty(&[&self.academic, &self.name_without_title()])
    }

    /// "Konstantin von Hausen", "Alexander Prinz von Baden".
    pub fn name_without_title(&self) -> String {
        let noble = match self.noble {
            Some(n) if self.noble_in_title => n.title,
            _ => "",
        };
        join_nonempty(&[&self.first, noble, &self.last])
    }

    fn rank(&self) -> Rank {
        self.rank.unwrap_or(Rank::None)
    }
}

/// Takes a person's name apart. The title is the `title` column, or, when
/// that is empty, what follows Frau/Herr in the `salutation` column
/// ("Herr Dr."). A nobility title is found at the start of the last name
/// when more follows it ("Graf" alone is a surname), or in the title.
pub fn names(person: &Person) -> Names {
    let first = person.get("first_name").trim().to_string();
    let last = person.get("last_name").trim().to_string();
    let mut title = person.get("title").trim().to_string();
    if title.is_empty() {
        let mut words = person.get("salutation").split_whitespace();
        if words
            .next()
            .is_some_and(|w| gender_of_form(&w.trim_end_matches('.').to_lowercase()).is_some())
        {
            title = words.collect::<Vec<_>>().join(" ");
        }
    }
    let mut noble = None;
    let mut noble_in_title = false;
    let mut academic = Vec::new();
    for word in title.split_whitespace() {
        match noble_title(word) {
            Some(n) if noble.is_none() => {
                noble = Some(n);
                noble_in_title = true;
            }
            _ => academic.push(word),
        }
    }
    let academic = academic.join(" ");
    let mut surname = last.clone();
    let words: Vec<&str> = last.split_whitespace().collect();
    if words.len() >= 2 {
        if let Some(n) = noble_title(words[0]) {
            noble = Some(n);
            noble_in_title = false;
            surname = words[1..].join(" ");
        }
    }
    let rest: Vec<&str> = surname.split_whitespace().collect();
    let skip = rest
        .iter()
        .take_while(|w| PARTICLES.contains(&w.to_lowercase().as_str()))
        .count();
    let core = if skip < rest.len() {
        rest[skip..].join(" ")
    } else {
        surname.clone()
    };
    Names {
        rank: Some(rank(&academic)),
        first,
        last,
        academic,
        noble,
        noble_in_title,
        surname,
        core,
    }
}

/// The salutation line for a person in a language: the person's own
/// `salutation_line` when given, else computed (see the table in docs/guide/messages.md).
pub fn salutation_line(person: &Person, lang: &str) -> String {
    let own = person.get("salutation_line").trim();
    if !own.is_empty() {
        return own.to_string();
    }
    let n = names(person);
    let g = gender(person);
    let f = effective_formality(person, &n);
    match base_language(lang).as_str() {
        "de" => german(g, &n, f),
        "fr" => french(g, &n, f),
        _ => english(person, g, &n, f, is_us(person, lang)),
    }
}

/// A person needs a first name for informal and a last name for familiar
/// address; otherwise the next more formal form is used ("du" without a
/// first name → "Liebe Frau Weber,"). A company keeps its formality: the
/// salutation stays "Sehr geehrte Damen und Herren,", the closing follows.
fn effective_formality(person: &Person, n: &Names) -> Formality {
    let mut f = formality(person);
    if gender(person) == Gender::Organisation {
        return f;
    }
    if f == Formality::Informal && n.first.is_empty() {
        f = Formality::Familiar;
    }
    if f == Formality::Familiar && n.last.is_empty() {
        f = Formality::Formal;
    }
    f
}

/// "Frau Dr. Weber", "Herr Professor Braun", "Herr von Thurner", "Graf
/// Bismarck", "Herr Dr. Graf von Bismarck" — the part after "Sehr
/// geehrte(r)" / "Liebe(r)". None without a gender or a last name.
fn german_addressee(g: Gender, n: &Names) -> Option<String> {
    let female = match g {
        Gender::Female => true,
        Gender::Male => false,
        _ => return None,
    };
    if n.last.is_empty() {
        return None;
    }
    let rank = match n.rank() {
        Rank::Professor if female => "Professorin",
        Rank::Professor => "Professor",
        Rank::Doctor => "Dr.",
        Rank::None => "",
    };
    let form = if female { "Frau" } else { "Herr" };
    Some(match n.noble {
        // Graf Bismarck — without an academic title the nobility title
        // replaces Herr/Frau and the particles go.
        Some(noble) if noble.kind == NobleKind::Count && rank.is_empty() => {
            format!("{} {}", noble.title, n.core)
        }
        // With one, Herr/Frau and the rank come first and the name stays
        // whole: Herr Professor Prinz von Baden.
        Some(noble) if noble.kind == NobleKind::Count => {
            join_nonempty(&[form, rank, noble.title, &n.surname])
        }
        // Freiherr, Baron, …: the title goes, "von" stays.
        _ => join_nonempty(&[form, rank, &n.surname]),
    })
}

/// "geehrte"/"geehrter", "Liebe"/"Lieber": the ending follows the gender
/// of what comes after (Gräfin → feminine even without "Frau").
fn feminine(g: Gender, n: &Names) -> bool {
    match (n.noble, n.rank()) {
        (Some(noble), Rank::None) if noble.kind == NobleKind::Count => {
            noble.gender == Gender::Female
        }
        _ => g == Gender::Female,
    }
}

fn german(g: Gender, n: &Names, f: Formality) -> String {
    let e = if feminine(g, n) { "e" } else { "er" };
    if g == Gender::Organisation {
        return match f {
            Formality::Informal => "Hallo zusammen,".into(),
            _ => "Sehr geehrte Damen und Herren,".into(),
        };
    }
    match f {
        Formality::Informal => match g {
            Gender::Female | Gender::Male => format!("Lieb{e} {},", n.first),
            _ => format!("Hallo {},", n.first),
        },
        Formality::Familiar => match german_addressee(g, n) {
            Some(a) => format!("Lieb{e} {a},"),
            None => german_neutral(n),
        },
        Formality::Formal => match german_addressee(g, n) {
            Some(a) => format!("Sehr geehrt{e} {a},"),
            None => german_neutral(n),
        },
    }
}

/// Gender unknown: "Guten Tag Alex Weber,"; with a last name only "Sehr
/// geehrte Frau oder sehr geehrter Herr Schuster,"; without any name "Sehr
/// geehrte Damen und Herren,". Prof. stays abbreviated here because the
/// written-out form is gendered.
fn german_neutral(n: &Names) -> String {
    let title = match n.rank() {
        Rank::Professor => "Prof.",
        Rank::Doctor => "Dr.",
        Rank::None => "",
    };
    if !n.first.is_empty() {
        format!(
            "Guten Tag {},",
            join_nonempty(&[title, &n.name_without_title()])
        )
    } else if !n.last.is_empty() {
        let name = join_nonempty(&[title, &n.surname]);
        format!("Sehr geehrte Frau oder sehr geehrter Herr {name},")
    } else {
        "Sehr geehrte Damen und Herren,".into()
    }
}

/// The English courtesy title: what the data says (Ms, Mrs, Miss, Mx, Mr),
/// German and French forms mapped (Frau/Madame → Ms, Herr/Monsieur → Mr);
/// with US full stops ("Ms.", not "Miss.").
pub fn english_honorific(person: &Person, us: bool) -> Option<String> {
    let form = form_word(person);
    let h = match form.as_str() {
        "mrs" => "Mrs",
        "miss" => "Miss",
        "mx" => "Mx",
        "ms" => "Ms",
        _ => match gender(person) {
            Gender::Female => "Ms",
            Gender::Male => "Mr",
            _ => return None,
        },
    };
    Some(if us && h != "Miss" {
        format!("{h}.")
    } else {
        h.to_string()
    })
}

/// "Professor", "Dr"/"Dr." or the courtesy title, for salutation and address.
pub fn english_prefix(person: &Person, n: &Names, us: bool) -> Option<String> {
    match n.rank() {
        Rank::Professor => Some("Professor".into()),
        Rank::Doctor => Some(if us { "Dr." } else { "Dr" }.into()),
        Rank::None => english_honorific(person, us),
    }
}

fn english(person: &Person, g: Gender, n: &Names, f: Formality, us: bool) -> String {
    // US business letters end the salutation with a colon; friendly ones
    // (familiar, informal) with a comma everywhere.
    let end = if us && f == Formality::Formal {
        ':'
    } else {
        ','
    };
    if g == Gender::Organisation {
        return match f {
            Formality::Informal => "Dear all,".into(),
            _ => format!("Dear Sir or Madam{end}"),
        };
    }
    if f == Formality::Informal {
        return format!("Dear {}{end}", n.first);
    }
    match english_prefix(person, n, us) {
        Some(p) if !n.last.is_empty() => format!("Dear {p} {}{end}", n.surname),
        _ if !n.first.is_empty() => format!("Dear {}{end}", n.name_without_title()),
        _ => format!("Dear Sir or Madam{end}"),
    }
}

/// "Madame", "Monsieur le Professeur", "Madame, Monsieur" — the formal
/// French appellation without its comma; the closing repeats it.
fn french_appel(g: Gender, n: &Names) -> &'static str {
    let prof = n.rank() == Rank::Professor;
    match g {
        Gender::Female if prof => "Madame la Professeure",
        Gender::Male if prof => "Monsieur le Professeur",
        Gender::Female => "Madame",
        Gender::Male => "Monsieur",
        Gender::Organisation => "Mesdames, Messieurs",
        Gender::Neutral => "Madame, Monsieur",
    }
}

fn french(g: Gender, n: &Names, f: Formality) -> String {
    match (f, g) {
        (Formality::Informal, Gender::Female) => format!("Chère {},", n.first),
        (Formality::Informal, Gender::Male) => format!("Cher {},", n.first),
        (Formality::Informal, Gender::Organisation) => "Bonjour à tous,".into(),
        (Formality::Informal, _) => format!("Bonjour {},", n.first),
        (Formality::Familiar, Gender::Female) => "Chère Madame,".into(),
        (Formality::Familiar, Gender::Male) => "Cher Monsieur,".into(),
        (Formality::Familiar, Gender::Neutral) if !n.first.is_empty() => {
            format!("Bonjour {},", n.name_without_title())
        }
        _ => format!("{},", french_appel(g, n)),
    }
}

/// The closing formula. `style` is the template's `closing_style`: letters
/// close by formality, cards warmly ("card"; anything else is a letter).
pub fn closing(person: &Person, lang: &str, style: &str) -> String {
    let n = names(person);
    let g = gender(person);
    let f = effective_formality(person, &n);
    let card = style.trim().eq_ignore_ascii_case("card");
    let text: String = match base_language(lang).as_str() {
        "de" => {
            let s = match (card, f) {
                (false, Formality::Formal) => "Mit freundlichen Grüßen",
                (false, Formality::Familiar) => "Herzliche Grüße",
                (false, Formality::Informal) => "Viele Grüße",
                (true, Formality::Formal) => "Mit herzlichen Grüßen",
                (true, _) => "Herzliche Grüße",
            };
            if swiss(person) {
                s.replace('ß', "ss")
            } else {
                s.to_string()
            }
        }
        "fr" => match (card, f) {
            (false, Formality::Formal) => format!(
                "Veuillez agréer, {}, l’expression de mes salutations distinguées.",
                french_appel(g, &n)
            ),
            (false, Formality::Familiar) => "Bien cordialement,".into(),
            (false, Formality::Informal) => "Amicalement,".into(),
            (true, Formality::Informal) => "Avec toute mon amitié,".into(),
            (true, _) => "Bien chaleureusement,".into(),
        },
        _ => {
            let us = is_us(person, lang);
            // "Dear Sir or Madam" is answered by "Yours faithfully".
            let unnamed = english(person, g, &n, f, us).starts_with("Dear Sir or Madam");
            match (card, f) {
                (true, Formality::Informal) => "Warm wishes,",
                (true, _) => "With warm regards,",
                (false, Formality::Informal) => "Best wishes,",
                (false, Formality::Familiar) => "Kind regards,",
                (false, Formality::Formal) if us => "Sincerely,",
                (false, Formality::Formal) if unnamed => "Yours faithfully,",
                (false, Formality::Formal) => "Yours sincerely,",
            }
            .to_string()
        }
    };
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn person(fields: &[(&str, &str)]) -> Person {
        Person {
            id: "1".into(),
            line: 2,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            events: vec![],
        }
    }

    /// Every row of `tests/data/salutations.csv`: the columns other than
    /// `note`, `lang` and `expected_*` are the person's fields. All
    /// mismatches are reported at once.
    #[test]
    fn salutation_table() {
        let data = include_str!("../../tests/data/salutations.csv");
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::None)
            .from_reader(data.as_bytes());
        let headers = reader.headers().expect("header line").clone();
        let mut rows = 0;
        let mut failures = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.expect("well-formed CSV");
            let row: IndexMap<&str, &str> = headers.iter().zip(record.iter()).collect();
            let fields: Vec<(&str, &str)> = row
                .iter()
                .filter(|(k, _)| !matches!(**k, "note" | "lang") && !k.starts_with("expected_"))
                .map(|(k, v)| (*k, *v))
                .collect();
            let p = person(&fields);
            let lang = row["lang"];
            rows += 1;
            let mut check = |what: &str, got: String| {
                let want = row[what];
                if got != want {
                    failures.push(format!(
                        "line {} ({}): {what}\n    want {want:?}\n     got {got:?}",
                        i + 2,
                        row["note"]
                    ));
                }
            };
            check("expected_salutation", salutation_line(&p, lang));
            check("expected_closing_letter", closing(&p, lang, "letter"));
            check("expected_closing_card", closing(&p, lang, "card"));
        }
        assert!(rows >= 35, "only {rows} cases in salutations.csv");
        assert!(
            failures.is_empty(),
            "{} of {rows} salutation cases failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn formality_values() {
        let f = |v: &str| formality(&person(&[("formality", v)]));
        assert_eq!(f(""), Formality::Formal);
        assert_eq!(f("Sie"), Formality::Formal);
        assert_eq!(f("nonsense"), Formality::Formal);
        assert_eq!(f("DU"), Formality::Informal);
        assert_eq!(f("informal"), Formality::Informal);
        assert_eq!(f("sie_vertraut"), Formality::Familiar);
        assert_eq!(f("Familiar"), Formality::Familiar);
    }

    #[test]
    fn ranks_and_names() {
        assert_eq!(rank("Prof. Dr. Dr. h.c."), Rank::Professor);
        assert_eq!(rank("Dr. rer. nat."), Rank::Doctor);
        assert_eq!(rank("drs."), Rank::None);
        assert_eq!(rank("Dipl.-Ing."), Rank::None);
        let n = names(&person(&[
            ("first_name", "Karl-Theodor"),
            ("last_name", "Freiherr von und zu Guttenberg"),
        ]));
        assert_eq!(n.noble.map(|n| n.kind), Some(NobleKind::Baron));
        assert_eq!(n.surname, "von und zu Guttenberg");
        assert_eq!(n.core, "Guttenberg");
        assert_eq!(n.full(), "Karl-Theodor Freiherr von und zu Guttenberg");
    }
}
