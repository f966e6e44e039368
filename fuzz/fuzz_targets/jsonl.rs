//! JSON Lines reader: plain, gzip or zstd (the magic bytes decide), with small limits.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use newsmill_ingest::Format;

fuzz_target!(|data: &[u8]| {
    let cfg = common::small_limits();
    let documents = common::read_and_check(data, Format::Jsonl, "fuzz.jsonl", &cfg);
    // Every document comes from a line that ends in a newline or the end of the data, and
    // compressed input may expand at most to the limit.
    assert!(documents as u64 <= cfg.max_decompressed_bytes.max(data.len() as u64) / 2 + 1);
});
