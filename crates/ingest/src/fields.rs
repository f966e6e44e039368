//! Building a document from a record with named fields (a JSON object, a CSV row).

use newsmill_core::{Decoding, Document};

use crate::config::FieldNames;
use crate::discover::InputFile;
use crate::error::ReadError;

pub trait RecordFields {
    /// The value of a field: None when absent or null, Err when present but unusable.
    fn field(&self, name: &str) -> Option<Result<String, String>>;

    /// A trimmed, non-empty string field; unusable values count as absent.
    fn optional(&self, name: &str) -> Option<String> {
        match self.field(name) {
            Some(Ok(v)) if !v.trim().is_empty() => Some(v.trim().to_string()),
            _ => None,
        }
    }

    /// `id_suffix` ("#12") is appended to the file's relative path when there is no id field.
    fn to_document(
        &self,
        names: &FieldNames,
        file: &InputFile,
        position: &str,
        id_suffix: &str,
        decoding: Decoding,
    ) -> Result<Document, ReadError> {
        let missing = |detail: &str| ReadError::MissingText {
            path: file.display.clone(),
            position: position.to_string(),
            field: names.text.clone(),
            detail: detail.to_string(),
        };
        let text = match self.field(&names.text) {
            None => return Err(missing("")),
            Some(Err(why)) => return Err(missing(&why)),
            Some(Ok(text)) if text.trim().is_empty() => return Err(missing("the text is blank")),
            Some(Ok(text)) => text,
        };
        Ok(Document {
            id: self
                .optional(&names.id)
                .unwrap_or_else(|| format!("{}{id_suffix}", file.relative)),
            source: file.display.clone(),
            position: position.to_string(),
            url: self.optional(&names.url),
            site: self
                .optional(&names.site)
                .or_else(|| file.site_dir().map(str::to_string)),
            title: self.optional(&names.title),
            published: self.optional(&names.published),
            text,
            decoding,
            ..Document::default()
        })
    }
}
