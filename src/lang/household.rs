//! One piece for the people at one address: the joint name on the envelope
//! ("Anna und Peter Müller", "Familie Müller") and the joint salutation
//! ("Liebe Anna, lieber Peter," / "Dear Anna and Peter,"), built from each
//! member's own salutation so every rule of [`super::salutation`] holds.

use super::base_language;
use super::salutation::{names, salutation_line};
use crate::model::{join_nonempty, Person};

/// "und" / "and" / "et".
fn and(lang: &str) -> &'static str {
    match base_language(lang).as_str() {
        "de" => "und",
        "fr" => "et",
        _ => "and",
    }
}

/// "A, B und C".
fn join_and(parts: &[String], lang: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {} {last}", init.join(", "), and(lang)),
    }
}

/// The household's name for the address and the texts: "Anna und Peter
/// Müller" when they share a last name, "Familie Müller" / "The Müller
/// family" / "Famille Müller" for three or more who do, else every full
/// name: "Anna Müller und Peter Schmidt".
pub fn household_name(members: &[Person], lang: &str) -> String {
    let all: Vec<_> = members.iter().map(names).collect();
    let last = &all[0].surname;
    let shared = !last.is_empty() && all.iter().all(|n| &n.surname == last);
    let firsts_known = all.iter().all(|n| !n.first.is_empty());
    match (shared, members.len()) {
        (true, n) if n >= 3 => match base_language(lang).as_str() {
            "de" => format!("Familie {last}"),
            "fr" => format!("Famille {last}"),
            _ => format!("The {last} family"),
        },
        (true, _) if firsts_known => {
            let firsts: Vec<String> = all.iter().map(|n| n.first.clone()).collect();
            format!("{} {last}", join_and(&firsts, lang))
        }
        _ => {
            let full: Vec<String> = members
                .iter()
                .zip(&all)
                .map(|(p, n)| {
                    let name = join_nonempty(&[&n.first, &n.surname]);
                    if name.is_empty() {
                        p.display_name()
                    } else {
                        name
                    }
                })
                .collect();
            join_and(&full, lang)
        }
    }
}

/// The joint salutation: German and French chain each member's line, the
/// ones after the first in lower case ("Liebe Anna, lieber Peter,",
/// "Sehr geehrte Frau Müller, sehr geehrter Herr Müller,", "Chère Anne,
/// cher Pierre,"; "Madame, Monsieur," keeps its capitals). English says
/// "Dear" once: "Dear Anna and Peter,", "Dear Ms Müller and Mr Müller,".
pub fn household_salutation(members: &[Person], lang: &str) -> String {
    let lines: Vec<String> = members.iter().map(|p| salutation_line(p, lang)).collect();
    let mut unique: Vec<String> = Vec::new();
    for line in lines {
        if !unique.contains(&line) {
            unique.push(line);
        }
    }
    if !matches!(base_language(lang).as_str(), "de" | "fr") {
        let bodies: Option<Vec<String>> = unique
            .iter()
            .map(|l| {
                l.strip_prefix("Dear ")
                    .map(|b| b.trim_end_matches(',').to_string())
            })
            .collect();
        if let Some(bodies) = bodies {
            return format!("Dear {},", join_and(&bodies, lang));
        }
        return unique.join(" ");
    }
    unique
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let keeps_capital = line.starts_with("Madame") || line.starts_with("Monsieur");
            if i == 0 || keeps_capital {
                line.clone()
            } else {
                lower_first(line)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(salutation: &str, first: &str, last: &str, formality: &str) -> Person {
        Person::with_fields([
            ("salutation", salutation),
            ("first_name", first),
            ("last_name", last),
            ("formality", formality),
        ])
    }

    #[test]
    fn a_couple_with_one_last_name() {
        let couple = [
            person("Frau", "Anna", "Müller", "informal"),
            person("Herr", "Peter", "Müller", "informal"),
        ];
        assert_eq!(household_name(&couple, "de"), "Anna und Peter Müller");
        assert_eq!(household_name(&couple, "en"), "Anna and Peter Müller");
        assert_eq!(household_name(&couple, "fr"), "Anna et Peter Müller");
        assert_eq!(
            household_salutation(&couple, "de"),
            "Liebe Anna, lieber Peter,"
        );
        assert_eq!(household_salutation(&couple, "en"), "Dear Anna and Peter,");
        let formal = [
            person("Frau", "Anna", "Müller", "formal"),
            person("Herr", "Peter", "Müller", "formal"),
        ];
        assert_eq!(
            household_salutation(&formal, "de"),
            "Sehr geehrte Frau Müller, sehr geehrter Herr Müller,"
        );
        assert_eq!(
            household_salutation(&formal, "en"),
            "Dear Ms Müller and Mr Müller,"
        );
        assert_eq!(household_salutation(&formal, "fr"), "Madame, Monsieur,");
        assert_eq!(
            household_salutation(&couple, "fr"),
            "Chère Anna, cher Peter,"
        );
    }

    #[test]
    fn three_with_one_name_are_a_family_others_keep_their_names() {
        let family = [
            person("Frau", "Anna", "Müller", "informal"),
            person("Herr", "Peter", "Müller", "informal"),
            person("Frau", "Lena", "Müller", "informal"),
        ];
        assert_eq!(household_name(&family, "de"), "Familie Müller");
        assert_eq!(household_name(&family, "en"), "The Müller family");
        assert_eq!(
            household_salutation(&family, "en"),
            "Dear Anna, Peter and Lena,"
        );
        let two = [
            person("Frau", "Anna", "Müller", "formal"),
            person("Herr", "Peter", "Schmidt", "formal"),
        ];
        assert_eq!(household_name(&two, "de"), "Anna Müller und Peter Schmidt");
        assert_eq!(
            household_salutation(&two, "de"),
            "Sehr geehrte Frau Müller, sehr geehrter Herr Schmidt,"
        );
    }
}
