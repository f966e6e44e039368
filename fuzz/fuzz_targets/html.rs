//! The HTML path: `parse_page` (meta tags, Readability, block text) and the HTML reader.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use newsmill_ingest::{Format, parse_page};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let page = parse_page(&html);
    // The clean text is paragraphs of non-blank lines, whitespace collapsed.
    assert!(!page.text.contains("\n\n\n"), "{:?}", page.text);
    for line in page.text.split('\n') {
        assert_eq!(line, line.trim(), "{:?}", page.text);
        assert!(!line.contains("  "), "{:?}", page.text);
    }
    if let Some(title) = &page.title {
        assert_eq!(title, title.trim());
    }
    common::read_and_check(data, Format::Html, "fuzz.html", &common::small_limits());
});
