//! The `[[stage]] type = "export"` table: what to write and where.

use std::fmt;
use std::str::FromStr;

use newsmill_core::{KeyDoc, StageDoc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::tables::Table;

/// Config of one export stage, deserialised from its `[[stage]]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportConfig {
    /// Output directory; relative paths resolve against the config file's directory.
    pub dir: String,
    /// Which writers run.
    pub formats: Vec<Format>,
    /// Start every CSV with a UTF-8 byte order mark so Excel detects the encoding.
    pub bom: bool,
    /// Which tables the tabular formats write (`all` means every table).
    pub tables: Vec<TableChoice>,
    /// Include the full article text in `articles.csv` and `articles.jsonl`.
    pub text: bool,
    /// Keep spreadsheets from running text cells that start like a formula.
    pub neutralize_formulas: bool,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            dir: "out".to_string(),
            formats: vec![Format::Csv, Format::Jsonl],
            bom: false,
            tables: vec![TableChoice::All],
            text: true,
            neutralize_formulas: true,
        }
    }
}

impl ExportConfig {
    /// Problems serde cannot see: `(key, message, valid choices)`, all of them at once.
    pub fn problems(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out = Vec::new();
        if self.dir.trim().is_empty() {
            out.push(("dir".into(), "must name a directory".into(), vec![]));
        }
        if let Some(twice) = first_repeat(&self.formats) {
            out.push((
                "formats".into(),
                format!("lists `{twice}` more than once"),
                choices(Format::NAMES),
            ));
        }
        if self.formats.iter().any(|f| f.is_tabular()) && self.tables.is_empty() {
            out.push((
                "tables".into(),
                "is empty, so no table would be written; list tables or use [\"all\"]".into(),
                choices(TableChoice::NAMES),
            ));
        }
        if let Some(twice) = first_repeat(&self.tables) {
            out.push((
                "tables".into(),
                format!("lists `{twice}` more than once"),
                choices(TableChoice::NAMES),
            ));
        }
        out
    }

    /// The tables this config writes (in every tabular format), in the fixed table order.
    pub fn selected_tables(&self) -> Vec<Table> {
        if !self.formats.iter().any(|f| f.is_tabular()) {
            return Vec::new();
        }
        Table::ALL
            .iter()
            .copied()
            .filter(|t| self.tables.iter().any(|c| c.includes(*t)))
            .collect()
    }

    pub fn writes(&self, format: Format) -> bool {
        self.formats.contains(&format)
    }
}

fn first_repeat<T: PartialEq + fmt::Display>(items: &[T]) -> Option<&T> {
    items
        .iter()
        .enumerate()
        .find(|(i, a)| items[..*i].contains(a))
        .map(|(_, a)| a)
}

fn choices(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
    Xlsx,
    Sqlite,
    Parquet,
    Report,
}

impl Format {
    pub const NAMES: &'static [&'static str] =
        &["csv", "jsonl", "xlsx", "sqlite", "parquet", "report"];
    const ALL: [Format; 6] = [
        Format::Csv,
        Format::Jsonl,
        Format::Xlsx,
        Format::Sqlite,
        Format::Parquet,
        Format::Report,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Xlsx => "xlsx",
            Format::Sqlite => "sqlite",
            Format::Parquet => "parquet",
            Format::Report => "report",
        }
    }

    /// Whether the format writes the tables (and so follows `tables`).
    pub fn is_tabular(self) -> bool {
        matches!(
            self,
            Format::Csv | Format::Xlsx | Format::Sqlite | Format::Parquet
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match Format::ALL.iter().find(|f| f.as_str() == s) {
            Some(Format::Parquet) if !cfg!(feature = "parquet") => Err(
                "format `parquet` needs newsmill built with the `parquet` feature \
                 (cargo build --release --features parquet)"
                    .to_string(),
            ),
            Some(format) => Ok(*format),
            None => Err(format!(
                "unknown format `{s}`; valid formats: {}",
                Format::NAMES.join(", ")
            )),
        }
    }
}

/// A table name in `tables`, or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableChoice {
    All,
    One(Table),
}

impl TableChoice {
    pub const NAMES: &'static [&'static str] = &[
        "all",
        "articles",
        "entities",
        "mentions",
        "quotes",
        "dates",
        "quantities",
        "clusters",
        "removed",
        "rejected",
    ];

    fn includes(self, table: Table) -> bool {
        match self {
            TableChoice::All => true,
            TableChoice::One(t) => t == table,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TableChoice::All => "all",
            TableChoice::One(t) => t.name(),
        }
    }
}

impl fmt::Display for TableChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TableChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "all" {
            return Ok(TableChoice::All);
        }
        Table::ALL
            .iter()
            .find(|t| t.name() == s)
            .map(|t| TableChoice::One(*t))
            .ok_or_else(|| {
                format!(
                    "unknown table `{s}`; valid tables: {}",
                    TableChoice::NAMES.join(", ")
                )
            })
    }
}

macro_rules! string_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(Format);
string_serde!(TableChoice);

/// Documentation of every key, for `newsmill stages`, `newsmill validate` and the README.
pub const DOC: StageDoc = StageDoc {
    kind: "export",
    summary: "Writes the run's articles, annotations, clusters and rejections as CSV tables, JSON \
              Lines, an Excel workbook, a SQLite database, Parquet files and an HTML report, \
              atomically, with a run.json manifest of digests.",
    keys: &[
        KeyDoc {
            name: "dir",
            kind: "string",
            default: "\"out\"",
            choices: &[],
            doc: "Output directory, relative to the config file unless absolute; `--out` replaces it.",
        },
        KeyDoc {
            name: "formats",
            kind: "list of strings",
            default: "[\"csv\", \"jsonl\"]",
            choices: Format::NAMES,
            doc: "Writers to run: `csv` (one file per table), `jsonl` (articles.jsonl, one nested object per article), `xlsx` (newsmill.xlsx, a sheet per table), `sqlite` (newsmill.sqlite, keyed and indexed), `parquet` (one file per table; needs the `parquet` build feature) and `report` (report.html, a self-contained summary of the run).",
        },
        KeyDoc {
            name: "bom",
            kind: "boolean",
            default: "false",
            choices: &[],
            doc: "Start each CSV with a UTF-8 byte order mark, which Excel needs to read non-ASCII text correctly.",
        },
        KeyDoc {
            name: "tables",
            kind: "list of strings",
            default: "[\"all\"]",
            choices: TableChoice::NAMES,
            doc: "Tables to write in csv, xlsx, sqlite and parquet; `all` means every table.",
        },
        KeyDoc {
            name: "text",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Include the full article text in articles.csv and articles.jsonl (false drops the column and key).",
        },
        KeyDoc {
            name: "neutralize_formulas",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Prefix CSV text cells starting with = + - @ tab or CR with an apostrophe (in xlsx: mark them as text) so spreadsheets do not run them as formulas.",
        },
    ],
};
