//! Fonts: the ones shipped in `fonts/` (embedded in the binary), then any
//! `--font-path` folders — each in sorted file order — and, only when asked
//! for (`--system-fonts`, `[fonts] system = true`), the fonts installed on
//! the machine. Without that option the output is the same on every
//! machine; with it, a document that needs a system font (a Chinese name)
//! depends on what the machine has installed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use typst::foundations::Bytes;
use typst::text::{Font, FontInfo};
use typst_kit::fonts::{FontPath, FontStore};

use crate::error::{Error, Result};
use crate::settings::Fonts;

static FONTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fonts");

fn is_font_file(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase)
            .as_deref(),
        Some("otf" | "ttf" | "ttc" | "otc")
    )
}

/// Builds the font store for a run.
pub fn store(fonts: &Fonts) -> Result<FontStore> {
    let mut store = FontStore::new();
    // Families already in the store: the system adds only other families,
    // so a bundled family (Noto Sans) keeps exactly its bundled faces.
    let mut families = HashSet::new();
    let mut embedded: Vec<_> = FONTS.files().filter(|f| is_font_file(f.path())).collect();
    embedded.sort_by_key(|f| f.path());
    for file in embedded {
        push_all(&mut store, &mut families, Bytes::new(file.contents()));
    }
    for dir in &fonts.dirs {
        let mut paths = Vec::new();
        collect(dir, &mut paths)?;
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            push_all(&mut store, &mut families, Bytes::new(data));
        }
    }
    if fonts.system {
        // After everything else, so a document the bundled fonts can set
        // comes out as without the option. Sorted, so the choice among
        // system fonts does not depend on the order of a directory listing.
        let mut system: Vec<(FontPath, FontInfo)> = typst_kit::fonts::system()
            .filter(|(_, info)| !families.contains(&info.family.to_lowercase()))
            .collect();
        system.sort_by(|(a, _), (b, _)| (&a.path, a.index).cmp(&(&b.path, b.index)));
        store.extend(system);
    }
    Ok(store)
}

fn push_all(store: &mut FontStore, families: &mut HashSet<String>, data: Bytes) {
    for font in Font::iter(data) {
        let info = font.info().clone();
        families.insert(info.family.to_lowercase());
        store.push((font, info));
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if is_font_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The Debian package that brings fonts for `c`'s script, with the
/// script's name: what the message for a missing glyph suggests.
pub fn script_of(c: char) -> Option<(&'static str, &'static str)> {
    const CJK: &str = "fonts-noto-cjk";
    const CORE: &str = "fonts-noto-core";
    let table: &[(u32, u32, &str, &str)] = &[
        (0x0370, 0x03FF, "Greek", CORE),
        (0x1F00, 0x1FFF, "Greek", CORE),
        (0x0400, 0x052F, "Cyrillic", CORE),
        (0x0530, 0x058F, "Armenian", CORE),
        (0x0590, 0x05FF, "Hebrew", CORE),
        (0xFB1D, 0xFB4F, "Hebrew", CORE),
        (0x0600, 0x06FF, "Arabic", CORE),
        (0x0750, 0x077F, "Arabic", CORE),
        (0x08A0, 0x08FF, "Arabic", CORE),
        (0xFB50, 0xFDFF, "Arabic", CORE),
        (0xFE70, 0xFEFF, "Arabic", CORE),
        (0x0900, 0x097F, "Devanagari", CORE),
        (0x0980, 0x09FF, "Bengali", CORE),
        (0x0A00, 0x0A7F, "Gurmukhi", CORE),
        (0x0A80, 0x0AFF, "Gujarati", CORE),
        (0x0B80, 0x0BFF, "Tamil", CORE),
        (0x0C00, 0x0C7F, "Telugu", CORE),
        (0x0C80, 0x0CFF, "Kannada", CORE),
        (0x0D00, 0x0D7F, "Malayalam", CORE),
        (0x0D80, 0x0DFF, "Sinhala", CORE),
        (0x0E00, 0x0E7F, "Thai", CORE),
        (0x0E80, 0x0EFF, "Lao", CORE),
        (0x1000, 0x109F, "Myanmar", CORE),
        (0x10A0, 0x10FF, "Georgian", CORE),
        (0x1200, 0x139F, "Ethiopic", CORE),
        (0x1780, 0x17FF, "Khmer", CORE),
        (0x1100, 0x11FF, "Korean (Hangul)", CJK),
        (0x3130, 0x318F, "Korean (Hangul)", CJK),
        (0xAC00, 0xD7AF, "Korean (Hangul)", CJK),
        (0x3040, 0x30FF, "Japanese (kana)", CJK),
        (0x31F0, 0x31FF, "Japanese (kana)", CJK),
        (0xFF66, 0xFF9F, "Japanese (kana)", CJK),
        (0x3000, 0x303F, "CJK punctuation", CJK),
        (0x3100, 0x312F, "Chinese (Bopomofo)", CJK),
        (0x3400, 0x4DBF, "Chinese/Japanese/Korean (Han)", CJK),
        (0x4E00, 0x9FFF, "Chinese/Japanese/Korean (Han)", CJK),
        (0xF900, 0xFAFF, "Chinese/Japanese/Korean (Han)", CJK),
        (0x20000, 0x3134F, "Chinese/Japanese/Korean (Han)", CJK),
        (0xFF00, 0xFFEF, "CJK full-width forms", CJK),
        (0x1F300, 0x1FAFF, "emoji", "fonts-noto-color-emoji"),
        (0x2600, 0x27BF, "symbols", "fonts-noto-core"),
    ];
    let u = c as u32;
    table
        .iter()
        .find(|(lo, hi, _, _)| (*lo..=*hi).contains(&u))
        .map(|(_, _, script, package)| (*script, *package))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_name_their_debian_package() {
        assert_eq!(
            script_of('陈'),
            Some(("Chinese/Japanese/Korean (Han)", "fonts-noto-cjk"))
        );
        assert_eq!(script_of('ひ').unwrap().1, "fonts-noto-cjk");
        assert_eq!(script_of('민').unwrap().0, "Korean (Hangul)");
        assert_eq!(script_of('ก').unwrap(), ("Thai", "fonts-noto-core"));
        assert_eq!(script_of('a'), None);
    }

    #[test]
    fn the_bundled_fonts_cover_the_scripts_of_europe_and_the_middle_east() {
        let store = store(&Fonts::default()).unwrap();
        let book = store.book();
        // (family, text): the family exists and covers every letter
        for (family, text) in [
            ("noto sans arabic", "محمد عبد الله"),
            ("noto naskh arabic", "شارع الملك فهد"),
            ("noto sans hebrew", "שרה כהן"),
            ("noto serif hebrew", "רחוב הרצל"),
            (
                "inter",
                "Ελένη Παπαδοπούλου Наталья İşık Nguyễn Thị Ngọc Bích",
            ),
            (
                "eb garamond 12",
                "Ελένη Παπαδοπούλου Наталья İşık Nguyễn Thị Ngọc Bích",
            ),
        ] {
            let index = book
                .select(family, typst::text::FontVariant::default())
                .unwrap_or_else(|| panic!("{family} is not bundled"));
            let font = store.font(index).unwrap();
            for c in text.chars().filter(|c| !c.is_whitespace()) {
                assert!(
                    font.info().coverage.contains(c as u32),
                    "{family} lacks {c:?}"
                );
            }
        }
    }
}
