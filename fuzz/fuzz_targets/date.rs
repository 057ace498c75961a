//! The one date parser: any text, either slash order, any pivot year.
//! A date it accepts must read back as itself from its ISO form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warmly::date::{self, DateOrder};

fuzz_target!(|input: (&str, bool, i32)| {
    let (text, mdy, pivot) = input;
    let order = if mdy { DateOrder::Mdy } else { DateOrder::Dmy };
    let _ = DateOrder::parse(text);
    let _ = date::is_empty_date(text);
    let _ = date::is_partial_birthday(text);
    if let Some(d) = date::parse(text, order, pivot) {
        let iso = d.to_string();
        assert_eq!(date::parse(&iso, order, pivot), Some(d), "{text:?} → {iso}");
        assert_eq!(date::parse_date(&iso), Some(d), "{text:?} → {iso}");
    }
    let _ = date::parse_date(text);
});
