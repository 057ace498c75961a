//! `.xlsb` workbooks, read the way `render` reads them (`load::load`, then
//! every person built). Random bytes are seldom a ZIP, so the input
//! replaces one part of a sound workbook (tests/data/xlsb/good.xlsb): the
//! first byte picks the part (mod the number of parts, in the archive's
//! order), the rest is its new content. The fuzzer thus reaches calamine's
//! record parsing, where damaged `.xlsb` files made it panic.
#![no_main]

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

mod shared;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// good.xlsb's parts, name and content, in the archive's order:
/// [Content_Types].xml, _rels/.rels, xl/workbook.bin,
/// xl/_rels/workbook.bin.rels, xl/worksheets/sheet1.bin,
/// xl/sharedStrings.bin.
fn parts() -> &'static [(String, Vec<u8>)] {
    static PARTS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    PARTS.get_or_init(|| {
        let good = include_bytes!("../../tests/data/xlsb/good.xlsb");
        let mut zip = ZipArchive::new(Cursor::new(&good[..])).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut part = zip.by_index(i).unwrap();
                let mut bytes = Vec::new();
                part.read_to_end(&mut bytes).unwrap();
                (part.name().unwrap().into_owned(), bytes)
            })
            .collect()
    })
}

/// One scratch folder per fuzzing process; the workbook is written to it.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("warmly-fuzz-xlsb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let parts = parts();
    let pick = pick as usize % parts.len();
    // Stored, not deflated: compressing each input would only add the
    // compressor's branches to the coverage, not calamine's.
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (i, (name, original)) in parts.iter().enumerate() {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(if i == pick { content } else { original })
            .unwrap();
    }
    let people = dir().join("fuzz.xlsb");
    std::fs::write(&people, zip.finish().unwrap().into_inner()).unwrap();
    shared::load_everyone(people, None);
});
