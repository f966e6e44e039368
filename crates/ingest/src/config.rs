//! The `[input]` table: where documents come from and how to read them.

use newsmill_core::KeyDoc;
use serde::{Deserialize, Serialize};

/// Default limit on one record (a JSON line, a CSV row, a whole text or HTML file).
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;
/// Default limit on what one gzip or zstd file may expand to: far above any real dump of
/// news a nightly job reads in one file, far below what a compression bomb expands to.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// Default limit on one line of a document's text. A news paragraph is a few kilobytes even
/// when a scraper joins a whole article into one line; a megabyte-long line is a data dump.
pub const DEFAULT_MAX_LINE_BYTES: u64 = 1024 * 1024;
/// Default limit on the lines of one document: long live blogs have a few thousand.
pub const DEFAULT_MAX_LINES: u64 = 100_000;

/// The `[input]` table of pipeline.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// Files, directories and glob patterns; relative ones resolve against the config's directory.
    pub paths: Vec<String>,
    pub format: Format,
    /// Column or key names of the record fields in JSON Lines and CSV inputs.
    pub fields: FieldNames,
    /// "auto" or a WHATWG encoding label such as "windows-1252".
    pub encoding: String,
    /// A record, line or file larger than this is rejected as "too-large".
    pub max_record_bytes: u64,
    /// A gzip or zstd file stops being read when it has expanded to this many bytes.
    pub max_decompressed_bytes: u64,
    /// A document with a line of its text longer than this is rejected as "line-too-long".
    pub max_line_bytes: u64,
    /// A document whose text has more lines than this is rejected as "too-many-lines".
    pub max_lines: u64,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            paths: vec!["samples".to_string()],
            format: Format::Auto,
            fields: FieldNames::default(),
            encoding: "auto".to_string(),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_lines: DEFAULT_MAX_LINES,
        }
    }
}

/// How the files are read. `Auto` picks per file by extension.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Auto,
    Text,
    Jsonl,
    Csv,
    Html,
}

impl Format {
    pub const CHOICES: &'static [&'static str] = &["auto", "text", "jsonl", "csv", "html"];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Text => "text",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }

    /// The format `auto` picks for a file name: by extension, looking through `.gz`/`.zst`.
    pub fn from_file_name(name: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        let inner = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".zst"))
            .unwrap_or(&lower);
        let ext = inner.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
        match ext {
            "jsonl" | "ndjson" => Format::Jsonl,
            "csv" => Format::Csv,
            "html" | "htm" | "xhtml" => Format::Html,
            _ => Format::Text,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Key (JSON Lines) or column (CSV) names of the fields newsmill reads. A name with dots
/// ("meta.url") also finds a nested JSON key when no key has that exact name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldNames {
    pub id: String,
    pub text: String,
    pub title: String,
    pub url: String,
    pub site: String,
    pub published: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            id: "id".to_string(),
            text: "text".to_string(),
            title: "title".to_string(),
            url: "url".to_string(),
            site: "site".to_string(),
            published: "published".to_string(),
        }
    }
}

impl FieldNames {
    /// (key as documented, configured name) pairs, in documentation order.
    pub fn named(&self) -> [(&'static str, &str); 6] {
        [
            ("fields.id", &self.id),
            ("fields.text", &self.text),
            ("fields.title", &self.title),
            ("fields.url", &self.url),
            ("fields.site", &self.site),
            ("fields.published", &self.published),
        ]
    }
}

/// Encoding labels offered as examples when a label is not recognised.
const COMMON_ENCODINGS: &[&str] = &[
    "auto",
    "utf-8",
    "utf-16le",
    "utf-16be",
    "windows-1252",
    "iso-8859-1",
    "iso-8859-15",
    "windows-1251",
    "koi8-r",
    "shift_jis",
    "euc-kr",
    "gbk",
    "big5",
];

/// Documentation of every `[input]` key, nested ones as "fields.id".
pub const INPUT_KEYS: &[KeyDoc] = &[
    KeyDoc {
        name: "paths",
        kind: "list of strings",
        default: r#"["samples"]"#,
        choices: &[],
        doc: "Files, directories (walked recursively, hidden entries skipped) and glob patterns to read.",
    },
    KeyDoc {
        name: "format",
        kind: "string",
        default: r#""auto""#,
        choices: Format::CHOICES,
        doc: "How to read files; auto picks by extension (.jsonl/.ndjson[.gz|.zst], .csv, .html/.htm, else text).",
    },
    KeyDoc {
        name: "fields.id",
        kind: "string",
        default: r#""id""#,
        choices: &[],
        doc: "JSON key or CSV column holding a stable record id (string or number).",
    },
    KeyDoc {
        name: "fields.text",
        kind: "string",
        default: r#""text""#,
        choices: &[],
        doc: "JSON key or CSV column holding the article text (required in every record).",
    },
    KeyDoc {
        name: "fields.title",
        kind: "string",
        default: r#""title""#,
        choices: &[],
        doc: "JSON key or CSV column holding the headline.",
    },
    KeyDoc {
        name: "fields.url",
        kind: "string",
        default: r#""url""#,
        choices: &[],
        doc: "JSON key or CSV column holding the article URL.",
    },
    KeyDoc {
        name: "fields.site",
        kind: "string",
        default: r#""site""#,
        choices: &[],
        doc: "JSON key or CSV column holding the site or outlet name.",
    },
    KeyDoc {
        name: "fields.published",
        kind: "string",
        default: r#""published""#,
        choices: &[],
        doc: "JSON key or CSV column holding the publication time.",
    },
    KeyDoc {
        name: "encoding",
        kind: "string",
        default: r#""auto""#,
        choices: &[],
        doc: "Text encoding: auto (BOM, then UTF-8, then detection) or a WHATWG label such as windows-1252.",
    },
    KeyDoc {
        name: "max_record_bytes",
        kind: "integer",
        default: "16777216",
        choices: &[],
        doc: "Largest accepted record, line or single-document file in bytes; larger ones are rejected as too-large.",
    },
    KeyDoc {
        name: "max_decompressed_bytes",
        kind: "integer",
        default: "8589934592",
        choices: &[],
        doc: "Most bytes one .gz or .zst file may expand to; reading stops there (records before are kept) with a decompressed-too-large rejection.",
    },
    KeyDoc {
        name: "max_line_bytes",
        kind: "integer",
        default: "1048576",
        choices: &[],
        doc: "Longest accepted line (or title) of a document's text in bytes; a document with a longer one is rejected as line-too-long.",
    },
    KeyDoc {
        name: "max_lines",
        kind: "integer",
        default: "100000",
        choices: &[],
        doc: "Most lines a document's text may have; a document with more is rejected as too-many-lines.",
    },
];

impl InputConfig {
    /// Problems serde cannot see, each as (key, message, valid choices).
    pub fn problems(&self) -> Vec<(String, String, Vec<String>)> {
        let mut problems = Vec::new();
        if self.paths.is_empty() {
            problems.push((
                "paths".to_string(),
                "paths is empty: name at least one file, directory or glob pattern.".to_string(),
                Vec::new(),
            ));
        }
        for path in &self.paths {
            if path.trim().is_empty() {
                problems.push((
                    "paths".to_string(),
                    "paths contains an empty entry.".to_string(),
                    Vec::new(),
                ));
            } else if let Some(Err(e)) =
                crate::discover::is_glob(path).then(|| glob::Pattern::new(path))
            {
                problems.push((
                    "paths".to_string(),
                    format!("{path:?} is not a valid glob pattern: {e}."),
                    Vec::new(),
                ));
            }
        }
        for (key, name) in self.fields.named() {
            if name.trim().is_empty() {
                problems.push((
                    key.to_string(),
                    format!("{key} must not be empty."),
                    Vec::new(),
                ));
            }
        }
        if !self.encoding.eq_ignore_ascii_case("auto")
            && encoding_rs::Encoding::for_label(self.encoding.trim().as_bytes()).is_none()
        {
            problems.push((
                "encoding".to_string(),
                format!("{:?} is not a known encoding label.", self.encoding),
                COMMON_ENCODINGS.iter().map(|s| s.to_string()).collect(),
            ));
        }
        for (key, value) in [
            ("max_record_bytes", self.max_record_bytes),
            ("max_decompressed_bytes", self.max_decompressed_bytes),
            ("max_line_bytes", self.max_line_bytes),
            ("max_lines", self.max_lines),
        ] {
            if value == 0 {
                problems.push((
                    key.to_string(),
                    format!("{key} must be greater than 0."),
                    Vec::new(),
                ));
            }
        }
        problems
    }

    /// The configured encoding, or None for "auto" (and for an unknown label, which
    /// `problems` reports before any reading starts).
    pub(crate) fn forced_encoding(&self) -> Option<&'static encoding_rs::Encoding> {
        if self.encoding.eq_ignore_ascii_case("auto") {
            None
        } else {
            encoding_rs::Encoding::for_label(self.encoding.trim().as_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn input_keys_document_exactly_the_config_fields() {
        let value = serde_json::to_value(InputConfig::default()).unwrap();
        let mut fields = BTreeSet::new();
        for (key, v) in value.as_object().unwrap() {
            match v.as_object() {
                Some(nested) => fields.extend(nested.keys().map(|k| format!("{key}.{k}"))),
                None => {
                    fields.insert(key.clone());
                }
            }
        }
        let documented: BTreeSet<String> = INPUT_KEYS.iter().map(|k| k.name.to_string()).collect();
        assert_eq!(fields, documented);
    }

    #[test]
    fn documented_defaults_match_the_default_config() {
        let value = serde_json::to_value(InputConfig::default()).unwrap();
        for key in INPUT_KEYS {
            let mut v = &value;
            for part in key.name.split('.') {
                v = &v[part];
            }
            // TOML and JSON spell these scalar and string-list defaults the same way.
            assert_eq!(
                v.to_string().replace(',', ", "),
                key.default,
                "{}",
                key.name
            );
        }
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(Format::from_file_name("a.jsonl.gz"), Format::Jsonl);
        assert_eq!(Format::from_file_name("a.NDJSON.zst"), Format::Jsonl);
        assert_eq!(Format::from_file_name("a.csv"), Format::Csv);
        assert_eq!(Format::from_file_name("page.htm"), Format::Html);
        assert_eq!(Format::from_file_name("license"), Format::Text);
        assert_eq!(Format::from_file_name("story.txt"), Format::Text);
    }

    #[test]
    fn problems_name_key_and_choices() {
        let mut cfg = InputConfig {
            encoding: "latin-9000".into(),
            ..Default::default()
        };
        cfg.fields.text = " ".into();
        cfg.max_record_bytes = 0;
        cfg.max_lines = 0;
        let problems = cfg.problems();
        let keys: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(
            keys,
            ["fields.text", "encoding", "max_record_bytes", "max_lines"]
        );
        assert!(problems[1].2.contains(&"windows-1252".to_string()));
        assert!(InputConfig::default().problems().is_empty());
        let latin1 = InputConfig {
            encoding: "latin1".into(),
            ..Default::default()
        };
        assert!(latin1.problems().is_empty());
    }
}
