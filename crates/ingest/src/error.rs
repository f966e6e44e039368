//! Why an input, or part of one, could not become a document.

use newsmill_core::Rejection;

/// A problem reading one input. Each variant carries the file (as the user named it) and,
/// inside multi-record files, the line or row; it becomes a [`Rejection`] row.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path} does not exist: {detail}")]
    NotFound { path: String, detail: String },
    #[error("{pattern:?} is not a valid glob pattern: {detail}")]
    BadGlob { pattern: String, detail: String },
    #[error("cannot read {path}{}: {source}", at(position))]
    Io {
        path: String,
        position: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a regular file")]
    NotAFile { path: String },
    #[error("{path}{} is empty", at(position))]
    Empty { path: String, position: String },
    #[error("{path} looks binary, not text: {why}")]
    Binary { path: String, why: String },
    #[error(
        "{path}{} is {size} bytes, more than max_record_bytes ({limit}) (raise [input] max_record_bytes to accept it)",
        at(position)
    )]
    TooLarge {
        path: String,
        position: String,
        size: String,
        limit: u64,
    },
    #[error("{path}{}: malformed JSON: {message}", at(position))]
    MalformedJson {
        path: String,
        position: String,
        message: String,
    },
    #[error("{path}{}: no text in field {field:?}{}", at(position), note(detail))]
    MissingText {
        path: String,
        position: String,
        field: String,
        detail: String,
    },
    #[error("{path}{}: malformed CSV: {message}", at(position))]
    MalformedCsv {
        path: String,
        position: String,
        message: String,
    },
    #[error(
        "{path}: the {codec} stream breaks off at {position}; the records before it were kept: {source}"
    )]
    Truncated {
        path: String,
        position: String,
        codec: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the {codec} stream is corrupt at {position}; the records before it were kept: {source}"
    )]
    Corrupt {
        path: String,
        position: String,
        codec: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no main content could be found in the page")]
    NoContent { path: String },
    #[error("{path}: there is a title line but no text after it")]
    TitleOnly { path: String },
    #[error(
        "{path}: the {codec} stream expands past max_decompressed_bytes ({limit} bytes) at {position}; the records before it were kept and the rest of the file was not read (raise [input] max_decompressed_bytes to read it)"
    )]
    DecompressedTooLarge {
        path: String,
        position: String,
        codec: &'static str,
        limit: u64,
    },
    #[error(
        "{path}{}: {what} is {size} bytes long, more than max_line_bytes ({limit}) (raise [input] max_line_bytes to accept it)",
        at(position)
    )]
    LineTooLong {
        path: String,
        position: String,
        /// "text line 12", or "the title".
        what: String,
        size: u64,
        limit: u64,
    },
    #[error(
        "{path}: the page's elements nest more than {limit} deep; real pages nest a few dozen levels, and parsing markup this deep takes minutes, so it was not read"
    )]
    TooDeep { path: String, limit: usize },
    #[error(
        "{path}{}: the text has {lines} lines, more than max_lines ({limit}) (raise [input] max_lines to accept it)",
        at(position)
    )]
    TooManyLines {
        path: String,
        position: String,
        lines: u64,
        limit: u64,
    },
}

fn at(position: &str) -> String {
    if position.is_empty() {
        String::new()
    } else {
        format!(" {position}")
    }
}

fn note(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

impl ReadError {
    /// The short machine-readable reason exported in the `rejected` table.
    pub fn reason(&self) -> String {
        match self {
            ReadError::NotFound { .. } => "not-found".into(),
            ReadError::BadGlob { .. } => "bad-glob".into(),
            ReadError::Io { .. } | ReadError::NotAFile { .. } => "io".into(),
            ReadError::Empty { .. } => "empty".into(),
            ReadError::Binary { .. } => "binary".into(),
            ReadError::TooLarge { .. } => "too-large".into(),
            ReadError::MalformedJson { .. } => "malformed-json".into(),
            ReadError::MissingText { .. } => "missing-text".into(),
            ReadError::MalformedCsv { .. } => "malformed-csv".into(),
            ReadError::Truncated { codec, .. } => format!("truncated-{codec}"),
            ReadError::Corrupt { codec, .. } => format!("corrupt-{codec}"),
            ReadError::NoContent { .. } => "no-content".into(),
            ReadError::TitleOnly { .. } => "missing-text".into(),
            ReadError::DecompressedTooLarge { .. } => "decompressed-too-large".into(),
            ReadError::LineTooLong { .. } => "line-too-long".into(),
            ReadError::TooManyLines { .. } => "too-many-lines".into(),
            ReadError::TooDeep { .. } => "too-deeply-nested".into(),
        }
    }

    fn parts(&self) -> (&str, &str) {
        match self {
            ReadError::NotFound { path, .. }
            | ReadError::NotAFile { path }
            | ReadError::Binary { path, .. }
            | ReadError::NoContent { path }
            | ReadError::TitleOnly { path }
            | ReadError::TooDeep { path, .. } => (path, ""),
            ReadError::BadGlob { pattern, .. } => (pattern, ""),
            ReadError::Io { path, position, .. }
            | ReadError::Empty { path, position }
            | ReadError::TooLarge { path, position, .. }
            | ReadError::MalformedJson { path, position, .. }
            | ReadError::MissingText { path, position, .. }
            | ReadError::MalformedCsv { path, position, .. }
            | ReadError::Truncated { path, position, .. }
            | ReadError::Corrupt { path, position, .. }
            | ReadError::DecompressedTooLarge { path, position, .. }
            | ReadError::LineTooLong { path, position, .. }
            | ReadError::TooManyLines { path, position, .. } => (path, position),
        }
    }

    pub fn to_rejection(&self) -> Rejection {
        let (source, position) = self.parts();
        Rejection {
            source: source.to_string(),
            position: position.to_string(),
            reason: self.reason(),
            detail: self.to_string(),
        }
    }
}

impl From<ReadError> for Rejection {
    fn from(e: ReadError) -> Rejection {
        e.to_rejection()
    }
}
