//! The PDF byte work: files warmly wrote, changed or joined — the BleedBox
//! of cards (`bleed.rs`) and the print file joined from the pieces' PDFs
//! when some were kept from an earlier run (`merge.rs`).

pub mod bleed;
pub mod merge;
