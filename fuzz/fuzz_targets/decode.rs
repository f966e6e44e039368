//! Text decoding: BOM, declared charset, UTF-8, statistical detection, and the text reader.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use newsmill_ingest::{Format, decode, split_title};

fuzz_target!(|data: &[u8]| {
    let (text, decoding) = decode(data, None, None);
    if let Ok(utf8) = std::str::from_utf8(data) {
        // Valid UTF-8 without a BOM is taken as it is.
        if !utf8.starts_with('\u{feff}')
            && !data.starts_with(&[0xfe, 0xff])
            && !data.starts_with(&[0xff, 0xfe])
        {
            assert_eq!(text, utf8);
            assert_eq!(decoding.replaced, 0);
        }
    }
    assert!(decoding.replaced as usize <= data.len());
    let (title, rest) = split_title(&text);
    assert!(title.len() + rest.len() <= text.len());
    let _ = newsmill_ingest::binary_reason(data);
    common::read_and_check(data, Format::Text, "fuzz.txt", &common::small_limits());
});
