//! What the templates print about the sender, decided here once for all of
//! them: the return address (name, lines, country line), whether a piece
//! goes abroad, and the two theme colours. The templates only choose where
//! to print these; they keep no country table, address rule or colour
//! default of their own (`templates/warmly.typ`, "the campaign").

use indexmap::IndexMap;
use serde::Serialize;

use super::address::locality_lines;
use crate::error::{Error, Result};
use crate::lang::{country_line, country_line_language, normalize_country};
use crate::template::Manifest;

/// `sender` in `/data.json` and `/campaign.json`: the campaign's `[sender]`
/// fields as written, then the return address as warmly formats it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sender {
    #[serde(flatten)]
    pub fields: IndexMap<String, String>,
    /// Who the return address names: the company, else the person.
    pub return_name: String,
    /// The return address below the name: street, then postcode and town
    /// as the sender's own post writes them ([`return_lines`]).
    pub return_lines: Vec<String>,
    /// The sender's country for a country line, in the language of the
    /// piece's country lines ([`country_name`]); "" when unknown. Printed
    /// only on mail abroad (`abroad` in `/data.json`).
    pub country_name: String,
}

/// The keys [`Sender`] adds; a `[sender]` field of the same name gives way,
/// so the JSON never holds a key twice.
const ADDED: [&str; 3] = ["return_name", "return_lines", "country_name"];

impl Sender {
    /// The sender of a run from its fields (the campaign's `[sender]` with
    /// country and `return_line` filled in, see `jinja::Scope::new`); its
    /// `country_name` is set per piece with [`Sender::for_language`].
    pub fn new(mut fields: IndexMap<String, String>) -> Sender {
        for key in ADDED {
            fields.shift_remove(key);
        }
        Sender {
            return_name: return_name(&fields),
            return_lines: return_lines(&fields),
            country_name: String::new(),
            fields,
        }
    }

    /// This sender for a piece in `lang`: with its country's name in the
    /// language the piece's country lines use.
    pub fn for_language(&self, lang: &str) -> Sender {
        let mut sender = self.clone();
        sender.country_name = country_name(self.field("country"), lang);
        sender
    }

    /// A field, trimmed; "" when missing.
    pub fn field(&self, key: &str) -> &str {
        field(&self.fields, key)
    }
}

fn field<'a>(fields: &'a IndexMap<String, String>, key: &str) -> &'a str {
    fields.get(key).map_or("", |v| v.trim())
}

/// The company, else the person: who a return address names.
fn return_name(fields: &IndexMap<String, String>) -> String {
    match field(fields, "company") {
        "" => field(fields, "name").to_string(),
        company => company.to_string(),
    }
}

/// The sender's address lines below the name, as on any address warmly
/// writes (the same rule as the recipient's, `address::locality_lines`):
/// "01069 Dresden", "Cambridge, MA 02139", "LONDON" + "SW7 2EU". A sender
/// given only as a `return_line` ("Holzwerk · Am Elbufer 12 · 01069
/// Dresden") gives its parts, less the name. No country line: whether one
/// is needed depends on the recipient ([`abroad`]).
pub fn return_lines(fields: &IndexMap<String, String>) -> Vec<String> {
    let f = |key| field(fields, key);
    let lines = if f("street").is_empty() && f("city").is_empty() {
        let name = return_name(fields);
        let mut parts: Vec<String> = f("return_line")
            .split(['·', '•', '|'])
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.first() == Some(&name) {
            parts.remove(0);
        }
        parts
    } else {
        let country = normalize_country(f("country"));
        let mut lines = vec![f("street").to_string(), f("street2").to_string()];
        lines.extend(locality_lines(
            &country,
            f("postal_code"),
            f("city"),
            f("region"),
        ));
        lines
    };
    lines
        .into_iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The sender's country as the last line of a return address on a piece
/// in `lang`: the one country table (`lang::country_line`), in the same
/// language as the recipient's country line on that piece, so an envelope
/// never mixes two ("ÖSTERREICH" above, "GERMANY" in the corner). "" when
/// the sender's country is unknown.
pub fn country_name(sender_country: &str, lang: &str) -> String {
    let code = normalize_country(sender_country);
    if code.is_empty() {
        return code;
    }
    country_line(&code, country_line_language(lang, &code))
}

/// Whether a piece crosses a border: the recipient's country is known and
/// is not the sender's. Then the recipient's address ends with a country
/// line and the return address with the sender's ([`country_name`]).
pub fn abroad(recipient_country: &str, sender_country: &str) -> bool {
    let country = normalize_country(recipient_country);
    !country.is_empty() && country != normalize_country(sender_country)
}

/// warmly's own colours (deep green, warm gold): the theme of a template
/// that declares no `palette` in its `template.toml`.
pub const HOUSE_PALETTE: [&str; 2] = ["#1f3d33", "#b8955a"];

/// A colour as the templates get it, "#rrggbb" in lower case, from
/// "#rrggbb", "rrggbb" or "#rgb"; None for anything else.
pub fn colour(value: &str) -> Option<String> {
    let v = value.trim();
    let hex = v.strip_prefix('#').unwrap_or(v);
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match (hex.len(), v.starts_with('#')) {
        (6, _) => Some(format!("#{}", hex.to_lowercase())),
        (3, true) => Some(hex.chars().fold(String::from("#"), |mut s, c| {
            let c = c.to_ascii_lowercase();
            s.push(c);
            s.push(c);
            s
        })),
        _ => None,
    }
}

/// The default colours of a run: the motif's `palette`, else the
/// template's, else [`HOUSE_PALETTE`]. A `palette` that is no pair of
/// colours is the template author's mistake: it stops the run.
pub fn default_palette(manifest: &Manifest, motif: Option<&str>) -> Result<[String; 2]> {
    let motif_palette = motif
        .and_then(|m| manifest.motif.get(m))
        .and_then(|m| m.palette.as_ref());
    let declared = motif_palette.or(manifest.palette.as_ref());
    let Some(pair) = declared else {
        return Ok(HOUSE_PALETTE.map(String::from));
    };
    let checked = |c: &String| {
        colour(c).ok_or_else(|| {
            Error::config(format!(
                "template.toml: palette colour \"{c}\" is no colour"
            ))
            .with_hint("write the palette as [\"#rrggbb\", \"#rrggbb\"] (primary, accent)")
        })
    };
    Ok([checked(&pair[0])?, checked(&pair[1])?])
}

/// `theme.primary` and `theme.accent` resolved: the campaign's colour when
/// it is one, else the default of `palette` (an unreadable colour is
/// passed over, as the templates always did).
pub fn resolve_palette(theme: &mut IndexMap<String, String>, palette: &[String; 2]) {
    for (key, default) in ["primary", "accent"].into_iter().zip(palette) {
        let value = theme
            .get(key)
            .and_then(|v| colour(v))
            .unwrap_or_else(|| default.clone());
        theme.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn return_lines_follow_the_senders_post() {
        let de = fields(&[
            ("company", "Holzwerk Lindner GmbH"),
            ("street", "Am Elbufer 12"),
            ("postal_code", "01069"),
            ("city", "Dresden"),
            ("region", "Sachsen"),
            ("country", "DE"),
        ]);
        assert_eq!(return_lines(&de), ["Am Elbufer 12", "01069 Dresden"]);
        let us = fields(&[
            ("street", "450 Putnam Avenue"),
            ("postal_code", "02139"),
            ("city", "Cambridge"),
            ("region", "ma"),
            ("country", "USA"),
        ]);
        assert_eq!(
            return_lines(&us),
            ["450 Putnam Avenue", "Cambridge, MA 02139"]
        );
        let gb = fields(&[
            ("street", "27 Onslow Gardens"),
            ("postal_code", "sw72eu"),
            ("city", "London"),
            ("country", "UK"),
        ]);
        assert_eq!(
            return_lines(&gb),
            ["27 Onslow Gardens", "LONDON", "SW7 2EU"]
        );
    }

    #[test]
    fn a_return_line_alone_gives_its_parts_without_the_name() {
        let only = fields(&[
            ("company", "Holzwerk"),
            ("return_line", "Holzwerk · Am Elbufer 12 |  01069   Dresden"),
        ]);
        assert_eq!(return_lines(&only), ["Am Elbufer 12", "01069 Dresden"]);
        assert!(return_lines(&fields(&[("company", "Holzwerk")])).is_empty());
    }

    #[test]
    fn the_return_name_is_the_company_else_the_person() {
        let s = Sender::new(fields(&[("name", " Marie Lindner ")]));
        assert_eq!(s.return_name, "Marie Lindner");
        let s = Sender::new(fields(&[("company", "Holzwerk"), ("name", "Marie")]));
        assert_eq!(s.return_name, "Holzwerk");
    }

    #[test]
    fn added_keys_replace_fields_of_the_same_name() {
        let s = Sender::new(fields(&[("company", "H"), ("return_lines", "x")]));
        let json = serde_json::to_string(&s.for_language("de")).unwrap();
        assert_eq!(json.matches("return_lines").count(), 1, "{json}");
    }

    #[test]
    fn the_senders_country_in_the_pieces_country_line_language() {
        assert_eq!(country_name("DE", "de"), "DEUTSCHLAND");
        assert_eq!(country_name("Deutschland", "en"), "GERMANY");
        // a French piece from Germany: English, as the recipient's line
        assert_eq!(country_name("DE", "fr"), "GERMANY");
        assert_eq!(country_name("CH", "fr"), "SUISSE");
        assert_eq!(country_name("Japan", "de"), "JAPAN");
        assert_eq!(country_name("", "de"), "");
    }

    #[test]
    fn abroad_is_another_known_country() {
        assert!(abroad("AT", "DE"));
        assert!(!abroad("Deutschland", "DE"));
        assert!(!abroad("", "DE"));
        assert!(abroad("UK", ""));
    }

    #[test]
    fn colours_as_the_templates_get_them() {
        assert_eq!(colour("#1F3D33").as_deref(), Some("#1f3d33"));
        assert_eq!(colour("1f3d33").as_deref(), Some("#1f3d33"));
        assert_eq!(colour("#AbC").as_deref(), Some("#aabbcc"));
        for bad in ["abc", "#12345", "green", "", "#1f3d3g"] {
            assert_eq!(colour(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_palette_campaign_then_motif_then_template_then_house() {
        let manifest: Manifest = toml::from_str(
            "palette = [\"#111111\", \"#222222\"]\n[motif.a]\npalette = [\"#333\", \"#444444\"]\n[motif.b]\n",
        )
        .unwrap();
        let a = default_palette(&manifest, Some("a")).unwrap();
        assert_eq!(a, ["#333333", "#444444"]);
        let b = default_palette(&manifest, Some("b")).unwrap();
        assert_eq!(b, ["#111111", "#222222"]);
        let house = default_palette(&Manifest::default(), None).unwrap();
        assert_eq!(house, HOUSE_PALETTE);
        let mut theme = fields(&[("accent", "#ABCDEF"), ("primary", "dark green")]);
        resolve_palette(&mut theme, &b);
        assert_eq!(theme["primary"], "#111111");
        assert_eq!(theme["accent"], "#abcdef");
        assert_eq!(theme.keys().collect::<Vec<_>>(), ["accent", "primary"]);
        let bad: Manifest = toml::from_str("palette = [\"#111111\", \"gold\"]").unwrap();
        assert!(default_palette(&bad, None).is_err());
    }
}
