//! Stage 4, typeset: a composed piece → a laid-out document → PDF bytes,
//! with Typst 0.15 as a library.

pub mod compile;
pub mod fonts;
pub mod preflight;
pub mod world;

use std::collections::HashMap;

use chrono::Datelike;
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{Source, VirtualPath};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::compose::{Piece, Warning, WarningKind};
use crate::error::{Error, Result};
use crate::settings::TypesetSettings;
use crate::template::Template;
use crate::timing::{self, time, Stage};
use world::{project_id, DocWorld, Shared, MESSAGE_ID};

/// A typeset document.
pub struct Typeset {
    pub pdf: Vec<u8>,
    pub pages: usize,
    /// Typst's warnings and what the preflight let pass.
    pub warnings: Vec<Warning>,
    /// The address's smallest distance to the window edges, in mm (window
    /// letters only).
    pub clearance_mm: Option<f64>,
    /// Ok, or Warn when the preflight found something it let pass.
    pub preflight: Preflight,
    /// PNG images of the pages, when asked for (proofs, previews).
    pub images: Vec<Vec<u8>>,
    /// The laid-out pages, when asked for (the print file is exported from
    /// them, so every font is embedded once per file, not once per piece).
    pub laid_out: Option<ecow::EcoVec<typst_layout::Page>>,
}

/// What the preflight holds every document to.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// The envelope window over page 1 (window letters).
    pub window: Option<crate::template::Window>,
    /// Pages the template declares.
    pub pages: Option<usize>,
    /// Overflow (page count, `<warmly-fit>`) fails the recipient.
    pub overflow_is_error: bool,
    /// An address outside the window fails the recipient.
    pub window_is_error: bool,
    /// Render the pages to PNG at this resolution (pixels per inch).
    pub render_ppi: Option<f32>,
    /// Render only this page (0-based; the first when there are fewer),
    /// not all of them: a thumbnail shows one.
    pub render_page: Option<usize>,
    /// Keep the laid-out pages for the print file.
    pub keep_pages: bool,
}

/// The preflight's verdict on a document (the manifest's `preflight` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preflight {
    Ok,
    Warn,
    Fail,
}

impl Preflight {
    pub fn as_str(self) -> &'static str {
        match self {
            Preflight::Ok => "ok",
            Preflight::Warn => "warn",
            Preflight::Fail => "fail",
        }
    }
}

/// Why a document could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum Failed {
    /// Typst stopped with errors (in the template or the message).
    Typst(String),
    /// The document was made but fails the preflight (glyphs, fonts,
    /// window, overflow by policy).
    Preflight(String),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Typst(message) => f.write_str(message),
            Failed::Preflight(message) => write!(f, "preflight: {message}"),
        }
    }
}

/// Builds documents for one run; shared by all worker threads.
pub struct Typesetter {
    shared: Shared,
    campaign: String,
    timestamp: Timestamp,
    standards: PdfStandards,
    /// A standard asks for a tagged PDF (PDF/UA, PDF/A level a): the
    /// print file keeps the pages' tags too.
    tagged_print: bool,
    checks: Checks,
    /// The machine's fonts are in use (the missing-glyph message differs).
    system_fonts: bool,
    /// The last piece's introspector: where the next layout starts.
    seed: compile::Seed,
}

impl Typesetter {
    /// Every document may read the template's files and the campaign's
    /// pictures (signature, card front).
    pub fn new(template: &Template, settings: &TypesetSettings) -> Result<Typesetter> {
        let date = settings.date;
        let today = Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8)
            .ok_or_else(|| Error::config(format!("run date {date} cannot be represented")))?;
        let mut files = HashMap::new();
        let mut sources = HashMap::new();
        for (path, bytes) in template
            .files
            .iter()
            .chain(settings.pictures.iter().map(|(p, b)| (p, b)))
        {
            if VirtualPath::new(path).is_err() {
                continue; // a name Typst cannot address cannot be used anyway
            }
            let id = project_id(path);
            if path.ends_with(".typ") {
                let text = String::from_utf8(bytes.clone()).map_err(|_| {
                    Error::config(format!("template {}{path} is not UTF-8", template.name))
                })?;
                sources.insert(id, Source::new(id, text));
            }
            files.insert(id, Bytes::new(bytes.clone()));
        }
        let shared = Shared {
            library: LazyHash::new(Library::default()),
            fonts: fonts::store(&settings.fonts)?,
            files,
            sources,
            today,
        };
        let mut list = Vec::new();
        let standards = &settings.pdf_standards;
        for name in standards {
            let standard: PdfStandard =
                serde_json::from_value(serde_json::Value::String(name.clone())).map_err(|_| {
                    Error::config(format!("unknown PDF standard \"{name}\""))
                        .with_hint("e.g. a-2b, a-3b, 1.7")
                })?;
            list.push(standard);
        }
        // PdfStandard names as in `typst compile --pdf-standard`.
        let tagged_print = standards
            .iter()
            .any(|n| n == "ua-1" || (n.starts_with("a-") && n.ends_with('a')));
        let standards = PdfStandards::new(&list)
            .map_err(|e| Error::config(format!("PDF standards: {}", e.message())))?;
        Ok(Typesetter {
            shared,
            campaign: settings.campaign.clone(),
            timestamp: Timestamp::new_utc(today),
            standards,
            tagged_print,
            checks: Checks::default(),
            system_fonts: settings.fonts.system,
            seed: compile::Seed::default(),
        })
    }

    /// Sets what the preflight checks.
    pub fn with_checks(mut self, checks: Checks) -> Typesetter {
        self.checks = checks;
        self
    }

    /// Typesets one composed piece: here its model becomes `/data.json`.
    pub fn typeset(&self, piece: &Piece) -> Result<Typeset, Failed> {
        self.make_piece(piece, true)
    }

    /// Lays one piece out and preflights it like [`Typesetter::typeset`],
    /// but makes no PDF of it: only its pages, for a print file (a shard's
    /// print part holds other shards' pieces; their PDFs are theirs).
    pub fn pages(&self, piece: &Piece) -> Result<Typeset, Failed> {
        self.make_piece(piece, false)
    }

    fn make_piece(&self, piece: &Piece, export: bool) -> Result<Typeset, Failed> {
        let data = serde_json::to_vec_pretty(&piece.model).expect("the model is plain data");
        self.make(&piece.id, data, piece.message.clone(), export)
    }

    /// Typesets one document from its `/data.json` and `/message.typ`.
    pub fn typeset_data(
        &self,
        id: &str,
        data: Vec<u8>,
        message: String,
    ) -> Result<Typeset, Failed> {
        self.make(id, data, message, true)
    }

    /// One document, with its PDF when `export`, else with its pages. Never
    /// panics outward: a panic inside Typst is turned into an error for
    /// this document.
    fn make(
        &self,
        id: &str,
        data: Vec<u8>,
        message: String,
        export: bool,
    ) -> Result<Typeset, Failed> {
        let world = DocWorld {
            shared: &self.shared,
            campaign: Bytes::new(world::campaign_of(&data)),
            data: Bytes::new(data),
            message: Source::new(*MESSAGE_ID, message),
        };
        let run = || self.build(&world, id, export);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|_| {
            Err(Failed::Typst(
                "the typesetter failed unexpectedly (internal error)".to_string(),
            ))
        })
    }

    /// Compile, preflight, export (or keep the pages), render images.
    fn build(&self, world: &DocWorld, id: &str, export: bool) -> Result<Typeset, Failed> {
        let compiled = time(Stage::Compile, || compile::compile(world, &self.seed));
        timing::layouts(compiled.layouts);
        let warned = compiled.document;
        for why in &compiled.relayout {
            eprintln!("{id}: laid out again: {}", describe(world, why));
        }
        let mut warnings: Vec<Warning> = warned
            .warnings
            .iter()
            .map(|d| Warning::new(None, WarningKind::Typst, describe(world, d)))
            .collect();
        let document = warned
            .output
            .map_err(|errors| Failed::Typst(describe_all(world, &errors)))?;
        let preflight_start = std::time::Instant::now();
        let findings = preflight::inspect(&document);
        if let Some(problem) = preflight::missing_glyphs(&findings.missing, self.system_fonts) {
            return Err(Failed::Preflight(problem));
        }
        let pages = document.pages().len();
        let (problems, clearance_mm, preflight) = self.judge(&findings, pages, id)?;
        warnings.extend(problems);
        let unembedded = preflight::fonts_without_program(&findings);
        if !unembedded.is_empty() {
            return Err(Failed::Preflight(format!(
                "font(s) not embedded: {}",
                unembedded.join(", ")
            )));
        }
        timing::add(Stage::Preflight, preflight_start);
        let export_pdf = || -> Result<Vec<u8>, Failed> {
            let mut pdf = typst_pdf::pdf(&document, &self.pdf_options(id))
                .map_err(|errors| Failed::Typst(describe_all(world, &errors)))?;
            bleed_boxes(&document, &mut pdf).map_err(Failed::Typst)?;
            Ok(pdf)
        };
        let pdf = match export {
            true => time(Stage::Export, export_pdf)?,
            false => Vec::new(),
        };
        let pages_to_render = match self.checks.render_page {
            None => document.pages(),
            Some(p) => {
                let p = if p < document.pages().len() { p } else { 0 };
                &document.pages()[p..(p + 1).min(document.pages().len())]
            }
        };
        let images = match self.checks.render_ppi {
            None => Vec::new(),
            Some(ppi) => render_pages(pages_to_render, ppi).map_err(Failed::Typst)?,
        };
        warnings.dedup();
        let laid_out =
            (self.checks.keep_pages || !export).then(|| document.pages().iter().cloned().collect());
        Ok(Typeset {
            laid_out,
            pdf,
            pages,
            warnings,
            clearance_mm,
            preflight,
            images,
        })
    }

    /// What the preflight finds against what the template declares: pages,
    /// text that does not fit, the address in the window. Fatal problems
    /// (by policy) fail the document; the others become warnings.
    fn judge(
        &self,
        findings: &preflight::Findings,
        pages: usize,
        id: &str,
    ) -> Result<(Vec<Warning>, Option<f64>, Preflight), Failed> {
        // (fails the document, recipient it names, what)
        let mut problems: Vec<(bool, Option<String>, String)> = Vec::new();
        if let Some(expected) = self.checks.pages.filter(|&p| p != pages) {
            problems.push((
                self.checks.overflow_is_error,
                None,
                format!("{pages} pages, the template expects {expected} (the text is too long?)"),
            ));
        }
        for (whose, note) in &findings.overflows {
            let note = if note.is_empty() {
                "text does not fit"
            } else {
                note
            };
            let whose = (!whose.is_empty() && whose != id).then(|| whose.clone());
            problems.push((self.checks.overflow_is_error, whose, note.to_string()));
        }
        let mut clearance_mm = None;
        if let Some(window) = self.checks.window {
            let (min, problem) = preflight::window_check(findings, window);
            clearance_mm = min;
            if let Some(problem) = problem {
                problems.push((self.checks.window_is_error, None, problem));
            }
        }
        let fatal: Vec<String> = problems
            .iter()
            .filter(|(fatal, _, _)| *fatal)
            .map(|(_, whose, p)| match whose {
                Some(whose) => format!("{whose}: {p}"),
                None => p.clone(),
            })
            .collect();
        if !fatal.is_empty() {
            return Err(Failed::Preflight(fatal.join("; ")));
        }
        let preflight = if problems.is_empty() {
            Preflight::Ok
        } else {
            Preflight::Warn
        };
        let warnings = problems
            .into_iter()
            .map(|(_, whose, p)| Warning {
                recipient: whose,
                kind: WarningKind::Preflight,
                message: p,
            })
            .collect();
        Ok((warnings, clearance_mm, preflight))
    }
}

/// Pages as PNG images at `ppi`.
pub fn render_pages(
    pages: &[typst_layout::Page],
    ppi: f32,
) -> std::result::Result<Vec<Vec<u8>>, String> {
    pages
        .iter()
        .map(|page| {
            let options = typst_render::RenderOptions {
                pixel_per_pt: typst::utils::Scalar::new(f64::from(ppi) / 72.0),
                render_bleed: false,
            };
            typst_render::render(page, &options)
                .encode_png()
                .map_err(|e| format!("rendering a page image: {e}"))
        })
        .collect()
}

impl Typesetter {
    /// The PDF settings of every file of the run: identified by campaign
    /// and `what` (an id, or "print"), dated by the run date, so the same
    /// inputs give the same bytes.
    fn pdf_options(&self, what: &str) -> PdfOptions {
        PdfOptions {
            ident: Smart::Custom(format!("{}/{what}", self.campaign)),
            creator: Smart::Custom(Some(format!("warmly {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Some(self.timestamp),
            standards: self.standards.clone(),
            ..PdfOptions::default()
        }
    }

    /// One PDF of many pieces' pages (in the order given; blank pages are
    /// pages too): Typst writes each font once, subset to the glyphs all
    /// pages use, and cards get their BleedBox as in their own PDFs. It is
    /// not a tagged PDF unless a standard asks for one (see
    /// [`Typesetter::print_strips_tags`]).
    pub fn print_pdf(&self, pages: ecow::EcoVec<typst_layout::Page>) -> Result<Vec<u8>, String> {
        // A title, as every piece has one (PDF/UA requires it).
        let info = typst::model::DocumentInfo {
            title: Some(format!("{} — print file", self.campaign).into()),
            ..Default::default()
        };
        let document = PagedDocument::new(pages, info);
        let options = PdfOptions {
            tagged: self.tagged_print,
            ..self.pdf_options("print")
        };
        let mut pdf = typst_pdf::pdf(&document, &options).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        bleed_boxes(&document, &mut pdf)?;
        Ok(pdf)
    }
}

impl Typesetter {
    /// Whether the print file's pages go without their introspection tags.
    /// A tag holds the piece's content tree, and the structure a tagged PDF
    /// builds from them is for screen readers, not for a press: without
    /// them a print part of 100 letters is 2.6 × smaller and its pages,
    /// waiting for export, hold a third of the memory (BENCHMARKS.md). The
    /// pieces' own PDFs stay tagged.
    pub fn print_strips_tags(&self) -> bool {
        !self.tagged_print
    }
}

/// Drops the introspection tags from a frame and its groups.
pub fn strip_tags(frame: &mut typst::layout::Frame) {
    use typst::layout::FrameItem;
    frame.retain(|item| match item {
        FrameItem::Tag(_) => false,
        FrameItem::Group(group) => {
            strip_tags(&mut group.frame);
            true
        }
        _ => true,
    });
}

/// Page boxes (cards): a BleedBox beside the TrimBox Typst writes, added in
/// place, or through lopdf when the file is not laid out as expected.
fn bleed_boxes(document: &PagedDocument, pdf: &mut Vec<u8>) -> Result<(), String> {
    let has_bleed = document.pages().iter().any(|p| !p.bleed.is_zero());
    if !has_bleed || crate::pdf::bleed::add_bleed_boxes_in_place(pdf, preflight::BLEED_MM).is_some()
    {
        return Ok(());
    }
    let mut parsed =
        lopdf::Document::load_mem(pdf).map_err(|e| format!("the PDF cannot be read back: {e}"))?;
    if crate::pdf::bleed::add_bleed_boxes(&mut parsed, preflight::BLEED_MM) {
        pdf.clear();
        parsed
            .save_to(pdf)
            .map_err(|e| format!("writing the page boxes: {e}"))?;
    }
    Ok(())
}

impl Typesetter {
    /// With `WARMLY_TRACE=trace.json`: Typst's own timing of every function
    /// call, measure and layout of the run, as `typst compile --timings`
    /// writes it (open it in chrome://tracing or ui.perfetto.dev).
    pub fn start_trace() {
        if std::env::var_os("WARMLY_TRACE").is_some() {
            typst_timing::enable();
        }
    }

    /// Writes the trace started by [`Typesetter::start_trace`], with the
    /// template file and line of each span.
    pub fn finish_trace(&self) {
        let Some(path) = std::env::var_os("WARMLY_TRACE") else {
            return;
        };
        let locate = |raw: std::num::NonZeroU64| {
            let span = typst::syntax::Span::from_raw(raw);
            span.id()
                .and_then(|id| {
                    let source = self.shared.sources.get(&id)?;
                    let range = source.find(span)?.range();
                    let line = source.lines().byte_to_line(range.start)?;
                    Some((id.vpath().get_with_slash().to_string(), line as u32 + 1))
                })
                .unwrap_or_default()
        };
        let written = std::fs::File::create(&path)
            .map_err(|e| e.to_string())
            .and_then(|file| typst_timing::export_json(std::io::BufWriter::new(file), locate));
        if let Err(e) = written {
            crate::errln!(
                "warning: the trace {} was not written: {e}",
                path.to_string_lossy()
            );
        }
    }
}

fn describe_all(world: &DocWorld, diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| describe(world, d))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "template.typ:12:5: unknown variable: x" — the place a template author
/// needs, or `message.typ` for a problem in the composed message. A hint
/// that points elsewhere (Typst's "the closest match for this element")
/// names its own place.
fn describe(world: &DocWorld, diag: &SourceDiagnostic) -> String {
    let mut out = String::new();
    if let Some(place) = place_of(world, diag.span) {
        out.push_str(&place);
        out.push_str(": ");
    }
    out.push_str(&diag.message);
    for hint in &diag.hints {
        match place_of(world, hint.span) {
            Some(place) => out.push_str(&format!(" (hint, {place}: {})", hint.v)),
            None => out.push_str(&format!(" (hint: {})", hint.v)),
        }
    }
    out
}

/// "template.typ:12:5" (or just the file when the line is not known);
/// `None` for a span outside any file.
fn place_of(world: &DocWorld, span: typst::syntax::DiagSpan) -> Option<String> {
    use typst::World;
    let id = span.id()?;
    let mut place = id.vpath().get_without_slash().to_string();
    if let (Some(range), Ok(source)) = (world.range(span), world.source(id)) {
        if let Some((line, col)) = source.lines().byte_to_line_column(range.start) {
            place.push_str(&format!(":{}:{}", line + 1, col + 1));
        }
    }
    Some(place)
}
