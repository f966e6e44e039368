//! Shared by the reader targets: read bytes as one input file and check what comes out.

use newsmill_ingest::{Format, InputConfig, InputFile, Record, read_from};

/// Limits far below the defaults, so the fuzzer reaches every limit with small inputs.
pub fn small_limits() -> InputConfig {
    InputConfig {
        max_record_bytes: 8 * 1024,
        max_decompressed_bytes: 256 * 1024,
        max_line_bytes: 2 * 1024,
        max_lines: 200,
        ..InputConfig::default()
    }
}

/// Reads `data` as a file of `format` and checks the promises every reader makes: each
/// rejection names its file and a reason, each document has text within the limits.
pub fn read_and_check(data: &[u8], format: Format, name: &str, cfg: &InputConfig) -> usize {
    let file = InputFile {
        path: name.into(),
        display: name.to_string(),
        relative: name.to_string(),
        format,
        bytes: data.len() as u64,
    };
    let stream = Box::new(std::io::Cursor::new(data.to_vec()));
    let mut documents = 0;
    for record in read_from(stream, &file, cfg) {
        match record {
            Record::Document(doc) => {
                documents += 1;
                assert!(!doc.text.trim().is_empty(), "a document without text");
                assert!(!doc.id.is_empty(), "a document without an id");
                assert_eq!(doc.source, name);
                let longest = doc.text.split('\n').map(str::len).max().unwrap_or(0);
                assert!(
                    longest as u64 <= cfg.max_line_bytes,
                    "a line over the limit"
                );
            }
            Record::Rejected(r) => {
                assert_eq!(r.source, name);
                assert!(!r.reason.is_empty() && !r.detail.is_empty(), "{r:?}");
            }
        }
    }
    documents
}
