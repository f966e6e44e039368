//! Limits that keep one hostile or broken input from stalling a nightly run: a cap on what a
//! compressed file may expand to, and on the length and number of lines in a document.

use std::io::Read;

use newsmill_core::Document;

use crate::config::InputConfig;
use crate::error::ReadError;

/// The error a [`Capped`] stream returns once its input goes past the limit.
#[derive(Debug, thiserror::Error)]
#[error("the decompressed stream is larger than {limit} bytes")]
pub(crate) struct LimitReached {
    pub limit: u64,
}

impl LimitReached {
    /// The limit, if `e` is a [`LimitReached`] error.
    pub fn limit_of(e: &std::io::Error) -> Option<u64> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<LimitReached>())
            .map(|reached| reached.limit)
    }
}

/// A stream that yields at most `limit` bytes and then fails with [`LimitReached`] if there
/// is more, so a decompressor is never driven past the limit.
pub(crate) struct Capped<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Capped<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        Capped {
            inner,
            read: 0,
            limit,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.read >= self.limit {
            // A stream that ends exactly at the limit is within it.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(LimitReached { limit: self.limit })),
            };
        }
        let room = usize::try_from(self.limit - self.read)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Rejects a document whose title or a text line is longer than `max_line_bytes`, or whose
/// text has more than `max_lines` lines. Later stages scan lines with per-line rules, so an
/// unbounded line or line count is where their time would go.
pub(crate) fn check_document(doc: &Document, cfg: &InputConfig) -> Result<(), ReadError> {
    let too_long = |what: String, size: usize| ReadError::LineTooLong {
        path: doc.source.clone(),
        position: doc.position.clone(),
        what,
        size: size as u64,
        limit: cfg.max_line_bytes,
    };
    if let Some(title) = &doc.title
        && title.len() as u64 > cfg.max_line_bytes
    {
        return Err(too_long("the title".to_string(), title.len()));
    }
    let text = doc.text.as_bytes();
    let mut lines = 0u64;
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    for end in ends {
        lines += 1;
        let length = end - start;
        if length as u64 > cfg.max_line_bytes {
            return Err(too_long(format!("text line {lines}"), length));
        }
        start = end + 1;
    }
    // A final line terminator does not start another line.
    if text.ends_with(b"\n") {
        lines -= 1;
    }
    if lines > cfg.max_lines {
        return Err(ReadError::TooManyLines {
            path: doc.source.clone(),
            position: doc.position.clone(),
            lines,
            limit: cfg.max_lines,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str, text: &str) -> Document {
        Document {
            id: "a".into(),
            source: "in/a.txt".into(),
            title: Some(title.into()),
            text: text.into(),
            ..Document::default()
        }
    }

    fn limits(line: u64, lines: u64) -> InputConfig {
        InputConfig {
            max_line_bytes: line,
            max_lines: lines,
            ..InputConfig::default()
        }
    }

    #[test]
    fn capped_stream_stops_past_the_limit_only() {
        let mut exact = Vec::new();
        Capped::new(&b"0123456789"[..], 10)
            .read_to_end(&mut exact)
            .unwrap();
        assert_eq!(exact, b"0123456789");
        let mut over = Vec::new();
        let err = Capped::new(&b"0123456789x"[..], 10)
            .read_to_end(&mut over)
            .unwrap_err();
        assert_eq!(LimitReached::limit_of(&err), Some(10));
        assert_eq!(over, b"0123456789");
    }

    #[test]
    fn seed_articles_pass_the_default_limits() {
        let seed = include_str!("../../../samples/004_66e42796693d4503.txt");
        let (title, text) = crate::split_title(seed);
        assert!(check_document(&doc(title, text), &InputConfig::default()).is_ok());
    }

    #[test]
    fn long_lines_and_titles_are_named() {
        let seed = include_str!("../../../samples/004_66e42796693d4503.txt");
        let (title, text) = crate::split_title(seed);
        let longest = text.split('\n').map(str::len).max().unwrap() as u64;
        let err = check_document(&doc(title, text), &limits(longest - 1, 1000)).unwrap_err();
        assert_eq!(err.reason(), "line-too-long");
        assert!(
            err.to_string().contains("raise [input] max_line_bytes"),
            "{err}"
        );
        assert!(check_document(&doc(title, text), &limits(longest, 1000)).is_ok());
        let err = check_document(&doc(&"T".repeat(50), "short"), &limits(40, 10)).unwrap_err();
        assert!(err.to_string().contains("the title is 50 bytes"), "{err}");
    }

    #[test]
    fn line_count_ignores_a_final_terminator() {
        assert!(check_document(&doc("t", "a\nb\nc\n"), &limits(100, 3)).is_ok());
        let err = check_document(&doc("t", "a\nb\nc\nd"), &limits(100, 3)).unwrap_err();
        assert_eq!(err.reason(), "too-many-lines");
        assert!(
            err.to_string().contains("4 lines, more than max_lines (3)"),
            "{err}"
        );
    }
}
