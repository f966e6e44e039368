//! newsmill's readers: turn files of scraped news into [`Document`]s.
//!
//! [`list_inputs`] expands the `[input]` paths into a deterministic file list;
//! [`read_input`] streams the records of one file. Whatever cannot become a document
//! becomes a [`Rejection`] naming the file, the line or row, and the reason, so nothing
//! that came in is silently lost.

mod config;
mod csv_in;
mod decode;
mod discover;
mod error;
mod fields;
mod html;
mod jsonl;
mod text;

use std::io::Read;

use newsmill_core::{Document, Rejection, StageDoc};

pub use config::{DEFAULT_MAX_RECORD_BYTES, FieldNames, Format, INPUT_KEYS, InputConfig};
pub use decode::{binary_reason, decode};
pub use discover::{InputFile, list_inputs};
pub use error::ReadError;
pub use html::{Page, parse_page};
pub use text::split_title;

/// The `[input]` table described like a stage, for `newsmill stages` and the README.
pub const DOC: StageDoc = StageDoc {
    kind: "input",
    summary: "Reads text, JSON Lines (.gz/.zst), CSV and HTML files into documents; bad inputs become rejections.",
    keys: INPUT_KEYS,
};

/// One thing read from an input: a document, or a part that could not become one.
// Documents are what nearly every record is; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Document(Document),
    Rejected(Rejection),
}

/// Streams the records of one file. JSON Lines and CSV are read a record at a time, so a
/// file of any size needs only about `max_record_bytes` of memory.
pub fn read_input(file: &InputFile, cfg: &InputConfig) -> Box<dyn Iterator<Item = Record> + Send> {
    let one = |result: Result<Document, ReadError>| -> Box<dyn Iterator<Item = Record> + Send> {
        Box::new(std::iter::once(match result {
            Ok(doc) => Record::Document(doc),
            Err(e) => Record::Rejected(e.into()),
        }))
    };
    let failed = |e: ReadError| -> Box<dyn Iterator<Item = Record> + Send> {
        Box::new(std::iter::once(Record::Rejected(e.into())))
    };
    match file.format {
        Format::Jsonl => match jsonl::open(file, cfg) {
            Ok(lines) => Box::new(lines),
            Err(e) => failed(e),
        },
        Format::Csv => match csv_in::open(file, cfg) {
            Ok(rows) => Box::new(rows),
            Err(e) => failed(e),
        },
        Format::Html => one(html::read_html(file, cfg)),
        Format::Text | Format::Auto => one(text::read_text(file, cfg)),
    }
}

/// Reads a single-document file, refusing one larger than `limit` without reading it.
pub(crate) fn read_whole(file: &InputFile, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io_error = |source| ReadError::Io {
        path: file.display.clone(),
        position: String::new(),
        source,
    };
    let too_large = |size: u64| ReadError::TooLarge {
        path: file.display.clone(),
        position: String::new(),
        size: size.to_string(),
        limit,
    };
    let handle = std::fs::File::open(&file.path).map_err(io_error)?;
    let size = handle.metadata().map_err(io_error)?.len();
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The file may grow between the size check and the read.
    handle
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}
