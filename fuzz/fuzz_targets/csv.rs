//! CSV reader: header row, encoding detection, per-cell decoding, with small limits.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use newsmill_ingest::Format;

fuzz_target!(|data: &[u8]| {
    let cfg = common::small_limits();
    common::read_and_check(data, Format::Csv, "fuzz.csv", &cfg);
    // A configured encoding takes a different path through the reader.
    let latin1 = newsmill_ingest::InputConfig {
        encoding: "windows-1252".into(),
        ..cfg
    };
    common::read_and_check(data, Format::Csv, "fuzz.csv", &latin1);
});
