//! JSON Lines (plain, gzip, zstd), streamed one bounded line at a time.

use std::io::{BufRead, BufReader, Cursor, Read};

use encoding_rs::Encoding;
use newsmill_core::{Decoding, Document};
use serde_json::{Map, Value};

use crate::Record;
use crate::config::{FieldNames, InputConfig};
use crate::decode::{decode_counting, utf8_lossy_counting};
use crate::discover::InputFile;
use crate::error::ReadError;
use crate::fields::RecordFields;
use crate::limits::{Capped, LimitReached};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Reads JSON Lines from a stream; compression is recognised by its magic bytes, not the
/// file name.
pub fn from_reader(
    mut stream: Box<dyn Read + Send>,
    file: &InputFile,
    cfg: &InputConfig,
) -> Result<JsonLines, ReadError> {
    let io_error = |source| ReadError::Io {
        path: file.display.clone(),
        position: String::new(),
        source,
    };
    let mut magic = [0u8; 4];
    let mut seen = 0;
    while seen < magic.len() {
        match stream.read(&mut magic[seen..]) {
            Ok(0) => break,
            Ok(n) => seen += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    let whole: Box<dyn Read + Send> = Box::new(Cursor::new(magic[..seen].to_vec()).chain(stream));
    let magic = &magic[..seen];
    let cap = cfg.max_decompressed_bytes;
    let (stream, codec): (Box<dyn Read + Send>, Option<&'static str>) =
        if magic.starts_with(GZIP_MAGIC) {
            let decoder = flate2::read::MultiGzDecoder::new(whole);
            (Box::new(Capped::new(decoder, cap)), Some("gzip"))
        } else if magic.starts_with(ZSTD_MAGIC) {
            let decoder = zstd::stream::read::Decoder::new(whole).map_err(io_error)?;
            (Box::new(Capped::new(decoder, cap)), Some("zstd"))
        } else {
            (whole, None)
        };
    Ok(JsonLines {
        reader: BufReader::with_capacity(64 * 1024, stream),
        codec,
        file: file.clone(),
        fields: cfg.fields.clone(),
        forced: cfg.forced_encoding(),
        limit: usize::try_from(cfg.max_record_bytes).unwrap_or(usize::MAX),
        line_no: 0,
        buf: Vec::new(),
        done: false,
        records: 0,
        emitted: 0,
        started: false,
    })
}

pub struct JsonLines {
    reader: BufReader<Box<dyn Read + Send>>,
    codec: Option<&'static str>,
    file: InputFile,
    fields: FieldNames,
    forced: Option<&'static Encoding>,
    limit: usize,
    line_no: u64,
    buf: Vec<u8>,
    done: bool,
    records: u64,
    /// Documents and rejections returned so far.
    emitted: u64,
    started: bool,
}

enum Line {
    Eof,
    /// The line is in `buf`.
    Data,
    /// The line was longer than the limit and was skipped; its full length.
    TooLong(u64),
}

impl JsonLines {
    /// Reads the next line into `buf`, never holding more than `limit` bytes of it.
    fn next_line(&mut self) -> std::io::Result<Line> {
        self.buf.clear();
        let mut skipped: Option<u64> = None;
        let mut any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(match (skipped, any) {
                    (Some(len), _) => Line::TooLong(len),
                    (None, true) => Line::Data,
                    (None, false) => Line::Eof,
                });
            }
            any = true;
            let (chunk, consumed, ends) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            match skipped.as_mut() {
                Some(len) => *len += chunk.len() as u64,
                None if self.buf.len() + chunk.len() > self.limit => {
                    skipped = Some((self.buf.len() + chunk.len()) as u64);
                    self.buf = Vec::new();
                }
                None => self.buf.extend_from_slice(chunk),
            }
            self.reader.consume(consumed);
            if ends {
                return Ok(match skipped {
                    Some(len) => Line::TooLong(len),
                    None => Line::Data,
                });
            }
        }
    }

    fn line_position(&self) -> String {
        format!("line {}", self.line_no)
    }

    fn stream_error(&self, source: std::io::Error) -> ReadError {
        let path = self.file.display.clone();
        let position = self.line_position();
        match self.codec {
            Some(codec) if LimitReached::limit_of(&source).is_some() => {
                ReadError::DecompressedTooLarge {
                    path,
                    position,
                    codec,
                    limit: LimitReached::limit_of(&source).unwrap_or_default(),
                }
            }
            Some(codec) if is_truncation(&source) => ReadError::Truncated {
                path,
                position,
                codec,
                source,
            },
            Some(codec) => ReadError::Corrupt {
                path,
                position,
                codec,
                source,
            },
            None => ReadError::Io {
                path,
                position,
                source,
            },
        }
    }

    fn parse(&self) -> Result<Option<Document>, ReadError> {
        let (mut line, replaced) = match self.forced {
            Some(enc) => decode_counting(enc, &self.buf),
            None => utf8_lossy_counting(&self.buf),
        };
        if self.line_no == 1 && line.starts_with('\u{feff}') {
            line.drain(..'\u{feff}'.len_utf8());
        }
        if line.trim().is_empty() {
            return Ok(None);
        }
        let malformed = |message: String| ReadError::MalformedJson {
            path: self.file.display.clone(),
            position: self.line_position(),
            message,
        };
        let value: Value = serde_json::from_str(&line).map_err(|e| malformed(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(malformed(format!(
                "the line is {}, not an object",
                kind_of(&value)
            )));
        };
        if replaced > 0 {
            tracing::warn!(path = %self.file.display, line = self.line_no, replaced, "Replaced undecodable bytes with U+FFFD.");
        }
        let record = JsonRecord(&map);
        let decoding = Decoding {
            encoding: self.forced.unwrap_or(encoding_rs::UTF_8).name().to_string(),
            how: if self.forced.is_some() {
                "config"
            } else {
                "utf-8"
            }
            .to_string(),
            replaced,
        };
        record
            .to_document(
                &self.fields,
                &self.file,
                &self.line_position(),
                &format!("#{}", self.line_no),
                decoding,
            )
            .map(Some)
    }
}

fn is_truncation(e: &std::io::Error) -> bool {
    // flate2 reports a cut-off stream as UnexpectedEof; zstd as "incomplete frame" or similar.
    e.kind() == std::io::ErrorKind::UnexpectedEof
        || e.to_string().to_ascii_lowercase().contains("incomplete")
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Iterator for JsonLines {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let record = self.next_record();
        if record.is_some() {
            self.emitted += 1;
        }
        record
    }
}

impl JsonLines {
    /// Whole-file problems found in the first bytes: a binary file would otherwise turn into
    /// one malformed-json rejection per "line".
    fn check_start(&mut self) -> Option<ReadError> {
        let head = match self.reader.fill_buf() {
            Ok(head) => head,
            Err(source) => {
                self.done = true;
                self.line_no = 1;
                return Some(self.stream_error(source));
            }
        };
        let why = crate::decode::binary_reason(head)?;
        self.done = true;
        Some(ReadError::Binary {
            path: self.file.display.clone(),
            why,
        })
    }

    fn next_record(&mut self) -> Option<Record> {
        if !self.started {
            self.started = true;
            if let Some(e) = self.check_start() {
                return Some(Record::Rejected(e.into()));
            }
        }
        while !self.done {
            self.line_no += 1;
            match self.next_line() {
                Ok(Line::Eof) => {
                    self.done = true;
                    if self.emitted == 0 {
                        let path = self.file.display.clone();
                        return Some(Record::Rejected(
                            ReadError::Empty {
                                path,
                                position: String::new(),
                            }
                            .into(),
                        ));
                    }
                }
                Ok(Line::TooLong(size)) => {
                    return Some(Record::Rejected(
                        ReadError::TooLarge {
                            path: self.file.display.clone(),
                            position: self.line_position(),
                            size: size.to_string(),
                            limit: self.limit as u64,
                        }
                        .into(),
                    ));
                }
                Ok(Line::Data) => match self.parse() {
                    Ok(None) => {}
                    Ok(Some(doc)) => {
                        self.records += 1;
                        return Some(Record::Document(doc));
                    }
                    Err(e) => return Some(Record::Rejected(e.into())),
                },
                Err(source) => {
                    self.done = true;
                    let error = self.stream_error(source);
                    tracing::warn!(path = %self.file.display, line = self.line_no, kept = self.records, "Stopped reading a damaged JSON Lines stream.");
                    return Some(Record::Rejected(error.into()));
                }
            }
        }
        None
    }
}

/// A JSON object seen through the configured field names.
struct JsonRecord<'a>(&'a Map<String, Value>);

impl RecordFields for JsonRecord<'_> {
    fn field(&self, name: &str) -> Option<Result<String, String>> {
        let value = match self.0.get(name) {
            Some(v) => v,
            // "meta.url" finds {"meta": {"url": ...}} when no key is literally "meta.url".
            None if name.contains('.') => {
                let mut v = self.0.get(name.split('.').next()?)?;
                for part in name.split('.').skip(1) {
                    v = v.as_object()?.get(part)?;
                }
                v
            }
            None => return None,
        };
        match value {
            Value::Null => None,
            Value::String(s) => Some(Ok(s.clone())),
            Value::Number(n) => Some(Ok(n.to_string())),
            Value::Bool(b) => Some(Ok(b.to_string())),
            other => Some(Err(format!("is {}, not a string", kind_of(other)))),
        }
    }
}
