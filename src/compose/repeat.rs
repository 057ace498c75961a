//! Never the same card twice: a fingerprint of each piece's message, kept
//! in the ledger, and a comparison with the last piece the person got.
//!
//! The fingerprint is a 64-bit SimHash over the message's word triples
//! (lower case, letters and digits only, so markup and punctuation do not
//! count). Texts that share most of their triples have fingerprints that
//! differ in few bits: last year's "for seven years you have been with us …"
//! and this year's "for eight years …" differ in a handful of bits, two
//! unrelated texts in about half of them. It is 16 hex digits in the
//! ledger, whatever the length of the text, and the text itself is not kept.

use sha2::{Digest, Sha256};

/// Fingerprints at most this many bits apart count as "nearly the same":
/// about 90 % of the word triples in common. Unrelated texts differ in 32
/// bits on average (standard deviation 4).
pub const NEAR_BITS: u32 = 10;

/// The fingerprint of a message (Typst markup or plain text); empty for a
/// text with fewer than three words, which says too little to compare.
pub fn fingerprint(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < 3 {
        return String::new();
    }
    let mut weights = [0i32; 64];
    for triple in words.windows(3) {
        let digest = Sha256::digest(triple.join(" ").as_bytes());
        let bits = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        for (i, w) in weights.iter_mut().enumerate() {
            *w += if bits >> i & 1 == 1 { 1 } else { -1 };
        }
    }
    let hash = weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .fold(0u64, |h, (i, _)| h | 1 << i);
    format!("{hash:016x}")
}

/// How many bits two fingerprints differ in; None when one is empty or
/// not a fingerprint.
pub fn distance(a: &str, b: &str) -> Option<u32> {
    let a = u64::from_str_radix(a, 16).ok().filter(|_| a.len() == 16)?;
    let b = u64::from_str_radix(b, 16).ok().filter(|_| b.len() == 16)?;
    Some((a ^ b).count_ones())
}

/// "the same text as" / "nearly the same text as" for a distance within
/// [`NEAR_BITS`], else None.
pub fn verdict(distance: u32) -> Option<&'static str> {
    match distance {
        0 => Some("the same text as"),
        d if d <= NEAR_BITS => Some("nearly the same text as"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAST_YEAR: &str = "For seven years you have been with us, and we are truly grateful \
        for every one of them. We hope you enjoy your cherry writing desk. Wishing you a \
        peaceful, happy Christmas.";

    #[test]
    fn the_same_text_has_the_same_fingerprint_whatever_the_markup() {
        let markup = "For #\"seven\"; years you have been with us, and we are *truly* grateful \
            for every one of them.\n\nWe hope you enjoy your #\"cherry writing desk\";. Wishing \
            you a peaceful, happy Christmas.";
        assert_eq!(
            distance(&fingerprint(LAST_YEAR), &fingerprint(markup)),
            Some(0)
        );
    }

    #[test]
    fn one_changed_word_is_nearly_the_same_another_text_is_not() {
        let this_year = LAST_YEAR.replace("seven", "eight");
        let d = distance(&fingerprint(LAST_YEAR), &fingerprint(&this_year)).unwrap();
        assert!(d > 0 && d <= NEAR_BITS, "{d}");
        let other = "We were so glad to welcome you to our workshop this year. The oak \
            bookcase for your library was a real pleasure to build. Merry Christmas!";
        let d = distance(&fingerprint(LAST_YEAR), &fingerprint(other)).unwrap();
        assert!(d > NEAR_BITS + 6, "{d}");
    }

    #[test]
    fn short_or_foreign_values_do_not_compare() {
        assert_eq!(fingerprint("Hello you"), "");
        assert_eq!(distance("", &fingerprint(LAST_YEAR)), None);
        assert_eq!(distance("zz", "00"), None);
    }
}
