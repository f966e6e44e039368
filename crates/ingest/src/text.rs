//! Plain-text articles: the first non-empty line is the headline, the rest the text.

use newsmill_core::Document;

use crate::config::InputConfig;
use crate::decode::decode_document;
use crate::discover::InputFile;
use crate::error::ReadError;

/// The document of a whole text file's bytes.
pub fn text_document(
    bytes: &[u8],
    file: &InputFile,
    cfg: &InputConfig,
) -> Result<Document, ReadError> {
    let (content, decoding) = decode_document(&file.display, bytes, cfg.forced_encoding(), None)?;
    let (title, text) = split_title(&content);
    // Every reader promises a document with text; a headline alone is not an article.
    if text.trim().is_empty() {
        return Err(ReadError::TitleOnly {
            path: file.display.clone(),
        });
    }
    Ok(Document {
        id: file.relative.clone(),
        source: file.display.clone(),
        site: file.site_dir().map(str::to_string),
        title: Some(title.to_string()),
        text: text.to_string(),
        decoding,
        ..Document::default()
    })
}

/// Splits off the first non-empty line (trimmed) as the title; the text is everything after
/// that line's terminator, line structure untouched.
pub fn split_title(content: &str) -> (&str, &str) {
    let mut rest = content;
    loop {
        let (line, after) = match rest.find('\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, ""),
        };
        if !line.trim().is_empty() || after.is_empty() {
            return (line.trim(), after);
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::split_title;

    #[test]
    fn title_is_first_non_empty_line() {
        assert_eq!(
            split_title("\n  \r\nHeadline here\r\n\nBody one.\nBody two.\n"),
            ("Headline here", "\nBody one.\nBody two.\n")
        );
        assert_eq!(split_title("Only a title"), ("Only a title", ""));
        assert_eq!(split_title("\n\n"), ("", ""));
    }
}
