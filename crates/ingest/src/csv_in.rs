//! CSV with a header row, streamed row by row.
//!
//! Rows are parsed as bytes and each cell decoded with the file's encoding: every encoding
//! newsmill detects except UTF-16 keeps ASCII bytes as ASCII, so commas, quotes and newlines
//! are found correctly before decoding. UTF-16 files are decoded whole first.

use std::io::{Cursor, Read};

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use newsmill_core::{Decoding, Document};

use crate::Record;
use crate::config::{FieldNames, InputConfig};
use crate::decode::{binary_reason, decode_counting, detect};
use crate::discover::InputFile;
use crate::error::ReadError;
use crate::fields::RecordFields;

const SAMPLE_BYTES: u64 = 64 * 1024;

/// Reads CSV rows from a stream.
pub fn from_reader(
    mut handle: Box<dyn Read + Send>,
    file: &InputFile,
    cfg: &InputConfig,
) -> Result<CsvRows, ReadError> {
    let io_error = |source| ReadError::Io {
        path: file.display.clone(),
        position: String::new(),
        source,
    };
    let mut sample = Vec::new();
    (&mut handle)
        .take(SAMPLE_BYTES)
        .read_to_end(&mut sample)
        .map_err(io_error)?;
    if sample.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty {
            path: file.display.clone(),
            position: String::new(),
        });
    }
    if let Some(why) = binary_reason(&sample) {
        return Err(ReadError::Binary {
            path: file.display.clone(),
            why,
        });
    }
    let complete = (sample.len() as u64) < SAMPLE_BYTES;
    let bom = Encoding::for_bom(&sample);
    let (encoding, how) = match (cfg.forced_encoding(), bom) {
        (Some(enc), _) => (enc, "config"),
        (None, Some((enc, _))) => (enc, "bom"),
        (None, None) => {
            let enc = detect(&sample, complete);
            (
                enc,
                if enc == UTF_8 && std::str::from_utf8(&sample).is_ok() {
                    "utf-8"
                } else {
                    "detected"
                },
            )
        }
    };
    let skip = match bom {
        Some((bom_enc, len)) if bom_enc == encoding => len,
        _ => 0,
    };
    let rest: Box<dyn Read + Send> = Box::new(Cursor::new(sample.split_off(skip)).chain(handle));
    let mut decoding = Decoding {
        encoding: encoding.name().to_string(),
        how: how.to_string(),
        replaced: 0,
    };
    let (stream, cell_encoding): (Box<dyn Read + Send>, _) =
        if encoding == UTF_16LE || encoding == UTF_16BE {
            let mut bytes = Vec::new();
            rest.take(cfg.max_record_bytes.saturating_mul(64))
                .read_to_end(&mut bytes)
                .map_err(io_error)?;
            let (text, replaced) = decode_counting(encoding, &bytes);
            decoding.replaced = replaced;
            (Box::new(Cursor::new(text.into_bytes())), UTF_8)
        } else {
            (rest, encoding)
        };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(stream);
    let header_error = |message: String| ReadError::MalformedCsv {
        path: file.display.clone(),
        position: "row 0".to_string(),
        message,
    };
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| header_error(e.to_string()))?
        .iter()
        .map(|h| decode_counting(cell_encoding, h).0.trim().to_string())
        .collect();
    let columns = Columns::find(&headers, &cfg.fields);
    if columns.text.is_none() {
        return Err(ReadError::MissingText {
            path: file.display.clone(),
            position: String::new(),
            field: cfg.fields.text.clone(),
            detail: format!(
                "the header has no such column; its columns are: {}",
                headers.join(", ")
            ),
        });
    }
    Ok(CsvRows {
        reader,
        record: csv::ByteRecord::new(),
        columns,
        cell_encoding,
        decoding,
        file: file.clone(),
        fields: cfg.fields.clone(),
        limit: cfg.max_record_bytes,
        row: 0,
        done: false,
    })
}

/// Column index of each configured field in the header.
#[derive(Debug, Default)]
struct Columns {
    id: Option<usize>,
    text: Option<usize>,
    title: Option<usize>,
    url: Option<usize>,
    site: Option<usize>,
    published: Option<usize>,
}

impl Columns {
    fn find(headers: &[String], names: &FieldNames) -> Columns {
        // An exact match wins; otherwise headers match ignoring case ("Text" for "text").
        let find = |name: &str| {
            let name = name.trim();
            headers
                .iter()
                .position(|h| h == name)
                .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(name)))
        };
        Columns {
            id: find(&names.id),
            text: find(&names.text),
            title: find(&names.title),
            url: find(&names.url),
            site: find(&names.site),
            published: find(&names.published),
        }
    }

    fn index(&self, names: &FieldNames, name: &str) -> Option<usize> {
        [
            (&names.text, self.text),
            (&names.id, self.id),
            (&names.title, self.title),
            (&names.url, self.url),
            (&names.site, self.site),
            (&names.published, self.published),
        ]
        .into_iter()
        .find(|(n, _)| n.as_str() == name)
        .and_then(|(_, i)| i)
    }
}

pub struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::ByteRecord,
    columns: Columns,
    cell_encoding: &'static Encoding,
    decoding: Decoding,
    file: InputFile,
    fields: FieldNames,
    limit: u64,
    row: u64,
    done: bool,
}

struct CsvRow<'a> {
    cells: Vec<Option<String>>,
    rows: &'a CsvRows,
}

impl RecordFields for CsvRow<'_> {
    fn field(&self, name: &str) -> Option<Result<String, String>> {
        let index = self.rows.columns.index(&self.rows.fields, name)?;
        self.cells.get(index).cloned().flatten().map(Ok)
    }
}

impl CsvRows {
    fn document(&self) -> Result<Document, ReadError> {
        let position = format!("row {}", self.row);
        let mut replaced = self.decoding.replaced;
        let cells = self
            .record
            .iter()
            .map(|cell| {
                let (text, r) = decode_counting(self.cell_encoding, cell);
                replaced += r;
                Some(text)
            })
            .collect();
        if replaced > self.decoding.replaced {
            tracing::warn!(path = %self.file.display, row = self.row, replaced, "Replaced undecodable bytes with U+FFFD.");
        }
        let decoding = Decoding {
            replaced,
            ..self.decoding.clone()
        };
        let row = CsvRow { cells, rows: self };
        row.to_document(
            &self.fields,
            &self.file,
            &position,
            &format!("#{}", self.row),
            decoding,
        )
    }
}

impl Iterator for CsvRows {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        self.row += 1;
        let position = format!("row {}", self.row);
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) if self.record.as_slice().len() as u64 > self.limit => Some(Record::Rejected(
                ReadError::TooLarge {
                    path: self.file.display.clone(),
                    position,
                    size: self.record.as_slice().len().to_string(),
                    limit: self.limit,
                }
                .into(),
            )),
            Ok(true) => Some(match self.document() {
                Ok(doc) => Record::Document(doc),
                Err(e) => Record::Rejected(e.into()),
            }),
            Err(e) => {
                // Only I/O failures end the file; a bad row is reported and skipped.
                if let csv::ErrorKind::Io(_) = e.kind() {
                    self.done = true;
                }
                let line = e
                    .position()
                    .map(|p| format!(" (line {})", p.line()))
                    .unwrap_or_default();
                Some(Record::Rejected(
                    ReadError::MalformedCsv {
                        path: self.file.display.clone(),
                        position,
                        message: format!("{e}{line}"),
                    }
                    .into(),
                ))
            }
        }
    }
}
