//! `postcodes.csv`: pieces per country, 2-digit region and postcode, for
//! the bulk-mail hand-off; counts that add up across shards.

use std::collections::BTreeMap;

/// `postcodes.csv` for a bulk-mail hand-off: pieces per country and 2-digit
/// region (the German Leitregion) and per postcode, in postcode order.
pub fn postcode_summary(pieces: impl Iterator<Item = (String, String)>) -> Vec<u8> {
    let mut counts = PostcodeCounts::default();
    for (country, code) in pieces {
        let code = code.trim();
        let region: String = code.chars().take(2).collect();
        *counts.regions.entry((country.clone(), region)).or_default() += 1;
        *counts.codes.entry((country, code.to_string())).or_default() += 1;
    }
    counts.to_csv()
}

/// The counts of `postcodes.csv`, which add up: the shards' files of a
/// run summed are the file one run would have written (`warmly merge`).
#[derive(Debug, Default)]
pub struct PostcodeCounts {
    regions: BTreeMap<(String, String), usize>,
    codes: BTreeMap<(String, String), usize>,
}

impl PostcodeCounts {
    /// Adds the rows of a `postcodes.csv`.
    pub fn add_csv(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut reader = csv::Reader::from_reader(bytes);
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| e.to_string())?;
            let bad = || format!("line {}: not a row of postcodes.csv", i + 2);
            let (Some(country), Some(level), Some(code), Some(n)) =
                (record.get(0), record.get(1), record.get(2), record.get(3))
            else {
                return Err(bad());
            };
            let n: usize = n.parse().map_err(|_| bad())?;
            let map = match level {
                "region" => &mut self.regions,
                "postal_code" => &mut self.codes,
                _ => return Err(bad()),
            };
            *map.entry((country.to_string(), code.to_string()))
                .or_default() += n;
        }
        Ok(())
    }

    pub fn to_csv(&self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer
            .write_record(["country", "level", "code", "pieces"])
            .expect("CSV to memory");
        for (level, map) in [("region", &self.regions), ("postal_code", &self.codes)] {
            for ((country, code), n) in map {
                writer
                    .write_record([country.as_str(), level, code.as_str(), &n.to_string()])
                    .expect("CSV to memory");
            }
        }
        writer.into_inner().expect("flush to memory")
    }
}
