//! Fonts: the ones shipped in `fonts/` (embedded in the binary), then any
//! `--font-path` folders — each in sorted file order, never system fonts, so
//! fallback choices and PDFs are the same on every machine.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use typst::foundations::Bytes;
use typst::text::Font;
use typst_kit::fonts::FontStore;

use crate::error::{Error, Result};

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
pub fn store(extra_dirs: &[PathBuf]) -> Result<FontStore> {
    let mut store = FontStore::new();
    let mut embedded: Vec<_> = FONTS.files().filter(|f| is_font_file(f.path())).collect();
    embedded.sort_by_key(|f| f.path());
    for file in embedded {
        push_all(&mut store, Bytes::new(file.contents()));
    }
    for dir in extra_dirs {
        let mut paths = Vec::new();
        collect(dir, &mut paths)?;
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            push_all(&mut store, Bytes::new(data));
        }
    }
    Ok(store)
}

fn push_all(store: &mut FontStore, data: Bytes) {
    for font in Font::iter(data) {
        let info = font.info().clone();
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
