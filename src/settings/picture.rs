//! Pictures a campaign names (a scanned signature, the card front), read
//! and decoded once before anything is made, so a broken file stops the run
//! with its name instead of failing every piece.

use std::path::Path;

use crate::error::{Error, Result};

/// A picture the campaign names (a signature, the card front), read and
/// decoded once before anything is made.
pub(super) struct Picture {
    /// Where templates find it: `/<name>.<ext>`.
    pub vpath: String,
    pub bytes: Vec<u8>,
    /// Width and height of a raster image.
    pixels: Option<(u32, u32)>,
}

impl Picture {
    /// Reads `file` (relative to the campaign folder `base`) for the
    /// setting `key`: a PNG, JPEG or SVG that Typst can decode, or a
    /// configuration error that names the file and what to do.
    pub fn read(key: &str, file: &str, base: &Path, name: &str) -> Result<Picture> {
        use typst::foundations::Bytes;
        use typst::visualize::{ExchangeFormat, RasterImage, SvgImage};

        let path = base.join(file.trim());
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase)
            .unwrap_or_default();
        let format = match ext.as_str() {
            "png" => Some(ExchangeFormat::Png),
            "jpg" | "jpeg" => Some(ExchangeFormat::Jpg),
            "svg" => None,
            _ => {
                return Err(Error::config(format!(
                    "{key} {}: not a picture warmly can print",
                    path.display()
                ))
                .with_hint("use a .png, .jpg or .svg file (export other formats to one of these)"))
            }
        };
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::config(format!("{key} {}: {e}", path.display())).with_hint(format!(
                "the path is relative to the campaign file{}",
                if base.as_os_str().is_empty() {
                    String::new()
                } else {
                    format!(" (in {})", base.display())
                }
            ))
        })?;
        let decoded = Bytes::new(bytes.clone());
        let pixels = match format {
            Some(format) => RasterImage::plain(decoded, format)
                .map(|image| Some((image.width(), image.height())))
                .map_err(|e| e.to_string()),
            None => SvgImage::new(decoded)
                .map(|_| None)
                .map_err(|_| "not a well-formed SVG file".to_string()),
        }
        .map_err(|e| {
            Error::config(format!(
                "{key} {}: cannot be read as {}: {e}",
                path.display(),
                ext.to_uppercase()
            ))
            .with_hint(
                "save it again as PNG, JPEG or SVG (a renamed file of another kind does not work)",
            )
        })?;
        Ok(Picture {
            vpath: format!("/{name}.{ext}"),
            bytes,
            pixels,
        })
    }

    /// A warning when a raster image covering a card front (A6 with 3 mm
    /// bleed, 108 × 154 mm) has fewer than 200 pixels per inch there.
    pub fn front_resolution_note(&self, file: &str) -> Option<String> {
        let (w, h) = self.pixels?;
        let ppi = (f64::from(w) / (108.0 / 25.4)).min(f64::from(h) / (154.0 / 25.4));
        (ppi < 200.0).then(|| {
            format!(
                "theme.front_image {file}: {w} × {h} px is about {ppi:.0} ppi on the card front \
                 (108 × 154 mm with bleed) and prints soft; 300 ppi needs 1276 × 1819 px"
            )
        })
    }
}
