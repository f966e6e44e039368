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
mod limits;
mod text;

use std::io::Read;

use newsmill_core::{Document, Rejection, StageDoc};

pub use config::{
    DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_LINES,
    DEFAULT_MAX_RECORD_BYTES, FieldNames, Format, INPUT_KEYS, InputConfig,
};
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
    let io_error = |source| ReadError::Io {
        path: file.display.clone(),
        position: String::new(),
        source,
    };
    let handle = match std::fs::File::open(&file.path) {
        Ok(handle) => handle,
        Err(e) => return rejected(io_error(e)),
    };
    if matches!(file.format, Format::Html | Format::Text | Format::Auto) {
        // Refuse a single-document file that is too large without reading any of it.
        match handle.metadata() {
            Ok(meta) if meta.len() > cfg.max_record_bytes => {
                return rejected(too_large(file, meta.len(), cfg.max_record_bytes));
            }
            Ok(_) => {}
            Err(e) => return rejected(io_error(e)),
        }
    }
    read_from(Box::new(handle), file, cfg)
}

/// Streams the records of one input from any byte stream, exactly as [`read_input`] does for
/// a file on disk: `file` gives the format and the names used in documents and rejections
/// (its `path` is not opened). Every document passes the line limits of `cfg`.
pub fn read_from(
    stream: Box<dyn Read + Send>,
    file: &InputFile,
    cfg: &InputConfig,
) -> Box<dyn Iterator<Item = Record> + Send> {
    let records: Box<dyn Iterator<Item = Record> + Send> = match file.format {
        Format::Jsonl => match jsonl::from_reader(stream, file, cfg) {
            Ok(lines) => Box::new(lines),
            Err(e) => rejected(e),
        },
        Format::Csv => match csv_in::from_reader(stream, file, cfg) {
            Ok(rows) => Box::new(rows),
            Err(e) => rejected(e),
        },
        Format::Html => one(read_bounded(stream, file, cfg.max_record_bytes)
            .and_then(|bytes| html::html_document(&bytes, file, cfg))),
        Format::Text | Format::Auto => one(read_bounded(stream, file, cfg.max_record_bytes)
            .and_then(|bytes| text::text_document(&bytes, file, cfg))),
    };
    let cfg = cfg.clone();
    Box::new(records.map(move |record| match record {
        Record::Document(doc) => match limits::check_document(&doc, &cfg) {
            Ok(()) => Record::Document(doc),
            Err(e) => Record::Rejected(e.into()),
        },
        rejection => rejection,
    }))
}

fn one(result: Result<Document, ReadError>) -> Box<dyn Iterator<Item = Record> + Send> {
    Box::new(std::iter::once(match result {
        Ok(doc) => Record::Document(doc),
        Err(e) => Record::Rejected(e.into()),
    }))
}

fn rejected(e: ReadError) -> Box<dyn Iterator<Item = Record> + Send> {
    Box::new(std::iter::once(Record::Rejected(e.into())))
}

fn too_large(file: &InputFile, size: u64, limit: u64) -> ReadError {
    ReadError::TooLarge {
        path: file.display.clone(),
        position: String::new(),
        size: size.to_string(),
        limit,
    }
}

/// Reads a single-document stream, refusing one larger than `limit` without holding more
/// than `limit + 1` bytes of it.
fn read_bounded(
    stream: Box<dyn Read + Send>,
    file: &InputFile,
    limit: u64,
) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    stream
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: file.display.clone(),
            position: String::new(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(file, bytes.len() as u64, limit));
    }
    Ok(bytes)
}
