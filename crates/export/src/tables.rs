//! The tables newsmill writes and what every column means. The CSV headers and the README's
//! table reference are both taken from [`TABLES`], so they cannot disagree.

/// One column of a table.
#[derive(Clone, Copy, Debug)]
pub struct ColumnDoc {
    pub name: &'static str,
    pub doc: &'static str,
    /// What the cells hold, so typed formats (xlsx, sqlite, parquet) store numbers as numbers.
    pub kind: ColumnKind,
}

/// The type of a column's values. CSV writes them all as text; typed formats use this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text; an empty cell means "none".
    Text,
    /// A whole number (counts, offsets).
    Integer,
    /// A decimal number (ratios, amounts).
    Decimal,
    /// `true` or `false`.
    Bool,
    /// A publication time as given: ISO 8601 where the input had one, else free text.
    DateTime,
}

impl ColumnKind {
    /// The name the table reference shows.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Text => "text",
            ColumnKind::Integer => "integer",
            ColumnKind::Decimal => "decimal",
            ColumnKind::Bool => "boolean",
            ColumnKind::DateTime => "date-time",
        }
    }
}

/// One table: its name (the CSV file is `<name>.csv`), what a row is, and its columns in order.
#[derive(Clone, Copy, Debug)]
pub struct TableDoc {
    pub name: &'static str,
    pub row: &'static str,
    pub columns: &'static [ColumnDoc],
}

/// A table, in the order tables are written and listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Articles,
    Entities,
    Mentions,
    Quotes,
    Dates,
    Quantities,
    Clusters,
    Removed,
    Rejected,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Articles,
        Table::Entities,
        Table::Mentions,
        Table::Quotes,
        Table::Dates,
        Table::Quantities,
        Table::Clusters,
        Table::Removed,
        Table::Rejected,
    ];

    pub fn doc(self) -> &'static TableDoc {
        &TABLES[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.doc().name
    }

    pub fn file_name(self) -> String {
        format!("{}.csv", self.name())
    }
}

const fn col(name: &'static str, doc: &'static str) -> ColumnDoc {
    ColumnDoc {
        name,
        doc,
        kind: ColumnKind::Text,
    }
}

const fn int(name: &'static str, doc: &'static str) -> ColumnDoc {
    ColumnDoc {
        name,
        doc,
        kind: ColumnKind::Integer,
    }
}

const fn dec(name: &'static str, doc: &'static str) -> ColumnDoc {
    ColumnDoc {
        name,
        doc,
        kind: ColumnKind::Decimal,
    }
}

const fn flag(name: &'static str, doc: &'static str) -> ColumnDoc {
    ColumnDoc {
        name,
        doc,
        kind: ColumnKind::Bool,
    }
}

const fn when(name: &'static str, doc: &'static str) -> ColumnDoc {
    ColumnDoc {
        name,
        doc,
        kind: ColumnKind::DateTime,
    }
}

/// Every table, in [`Table::ALL`] order.
pub const TABLES: &[TableDoc] = &[
    TableDoc {
        name: "articles",
        row: "article that survived the pipeline (live documents, including duplicates kept by `action = \"mark\"`)",
        columns: &[
            col(
                "id",
                "Stable document id: the record's id field or the path relative to the input root.",
            ),
            col("source", "Input file the document came from."),
            col(
                "position",
                "Where in the source (\"line 12\", \"row 3\"); empty when the file is one document.",
            ),
            col("url", "Canonical URL, when the input had one."),
            col("site", "Site or domain."),
            col("title", "Headline."),
            col("byline", "Byline as printed."),
            col("authors", "Author names, joined with \"; \"."),
            col("outlet", "Outlet named in the byline or the input."),
            when(
                "published",
                "Publication time as given (ISO 8601 when the input had one).",
            ),
            col("dateline", "Dateline place (\"JERUSALEM\")."),
            col("dateline_agency", "Agency in the dateline (\"JTA\")."),
            col("language", "ISO 639-1 language code, when known."),
            int("words", "Number of whitespace-separated words in the text."),
            col("encoding", "Encoding the bytes were decoded from."),
            int(
                "replaced_bytes",
                "Byte sequences that could not be decoded and became U+FFFD.",
            ),
            col(
                "duplicate_of",
                "Id of the kept copy when this article is a non-representative duplicate.",
            ),
            col(
                "cluster",
                "Duplicate cluster id (\"dup:\" and the representative's id), empty when unique.",
            ),
            dec(
                "similarity",
                "Jaccard similarity with the duplicate cluster's representative, 4 decimals.",
            ),
            col(
                "story",
                "Story cluster ids (articles sharing passages), joined with \"; \".",
            ),
            col("credits", "Photo credits, joined with \"; \"."),
            col(
                "contributors",
                "People credited with contributing, joined with \"; \".",
            ),
            col(
                "related",
                "Headlines of related stories the page linked to, joined with \"; \".",
            ),
            col(
                "text",
                "Cleaned article text; the offsets of every other table index it by character. Left out when `text = false`.",
            ),
        ],
    },
    TableDoc {
        name: "entities",
        row: "entity per article (all mentions of one name grouped)",
        columns: &[
            col("article_id", "Id of the article."),
            col("type", "PER, ORG, LOC or MISC."),
            col("name", "Fullest form used in the article."),
            col("canonical", "Canonical name across the run."),
            col(
                "titles",
                "Titles and roles attached to the name, joined with \"; \".",
            ),
            int("mentions", "Number of mentions in the article."),
            int(
                "first_start",
                "Character offset of the first mention in the text.",
            ),
        ],
    },
    TableDoc {
        name: "mentions",
        row: "mention of an entity",
        columns: &[
            col("article_id", "Id of the article."),
            col("type", "PER, ORG, LOC or MISC."),
            col("text", "The words as they appear in the text."),
            col("canonical", "Canonical name of the entity mentioned."),
            col("title", "Title printed with this mention."),
            int("start", "Character offset where the mention starts."),
            int("end", "Character offset just past the mention."),
        ],
    },
    TableDoc {
        name: "quotes",
        row: "direct quotation",
        columns: &[
            col("article_id", "Id of the article."),
            col(
                "quote",
                "The quoted words, without the outer quotation marks.",
            ),
            col(
                "speaker",
                "Canonical name of the speaker; empty when unattributed.",
            ),
            col("speaker_title", "Title or role of the speaker."),
            col(
                "speaker_mention",
                "Words in the text that name the speaker (\"Ryabkov\", \"he\").",
            ),
            col(
                "cue",
                "Reporting verb or phrase (\"said\", \"according to\").",
            ),
            int(
                "start",
                "Character offset of the quote including its marks.",
            ),
            int("end", "Character offset just past the closing mark."),
        ],
    },
    TableDoc {
        name: "dates",
        row: "date mentioned in an article",
        columns: &[
            col("article_id", "Id of the article."),
            col("text", "The date as written."),
            col(
                "value",
                "ISO 8601 value at its resolution (\"2018\", \"2018-05\", \"2018-05-09\").",
            ),
            col("resolution", "year, month or day."),
            flag(
                "relative",
                "true when resolving it needed the publication date (\"on Friday\").",
            ),
            int("start", "Character offset where the date starts."),
            int("end", "Character offset just past the date."),
        ],
    },
    TableDoc {
        name: "quantities",
        row: "amount mentioned in an article",
        columns: &[
            col("article_id", "Id of the article."),
            col("text", "The amount as written."),
            dec(
                "number",
                "The number (up to 6 decimals, trailing zeros trimmed).",
            ),
            col("unit", "Normalised unit (\"mile\", \"USD\", \"percent\")."),
            col(
                "kind",
                "Kind of amount (\"distance\", \"money\", \"count\").",
            ),
            dec(
                "normalized",
                "Value in the kind's base unit, when there is one.",
            ),
            col("normalized_unit", "The base unit (\"km\")."),
            col(
                "qualifier",
                "Hedge printed before the number (\"some\", \"more than\").",
            ),
            int("start", "Character offset where the amount starts."),
            int("end", "Character offset just past the amount."),
        ],
    },
    TableDoc {
        name: "clusters",
        row: "membership of an article in a duplicate or story cluster, including dropped duplicates",
        columns: &[
            col(
                "cluster",
                "Cluster id: the representative's id prefixed by the kind (\"dup:\", \"story:\").",
            ),
            col("kind", "duplicate or story."),
            col("article_id", "Id of the member article."),
            col(
                "representative",
                "Id of the cluster's representative (the kept copy).",
            ),
            flag(
                "is_representative",
                "true for the representative's own row.",
            ),
            col(
                "representative_run",
                "When the representative is an article of an earlier run (from the dedupe index): \
                 the start time of that run; empty when it is in this run.",
            ),
            dec(
                "similarity",
                "Jaccard similarity of shingle sets with the representative, 4 decimals.",
            ),
            dec(
                "containment",
                "Share of this article's shingles found in the representative, 4 decimals.",
            ),
            int(
                "shared_shingles",
                "Number of shingles shared with the representative.",
            ),
            col("passage", "Longest passage shared with the representative."),
        ],
    },
    TableDoc {
        name: "removed",
        row: "line removed from an article by cleaning",
        columns: &[
            col("article_id", "Id of the article."),
            int(
                "line",
                "1-based line number in the text as it came to the stage that removed it.",
            ),
            col(
                "rule",
                "Rule that removed it (\"phrase:paywall-counter\", \"repeat-in-article\").",
            ),
            col(
                "kept_as",
                "Where its information went when kept as metadata: \"byline\", \"caption\", \"credit\", \"contributor\", \"related\" or \"title\".",
            ),
            col("text", "The removed line."),
        ],
    },
    TableDoc {
        name: "rejected",
        row: "input, or document, that did not become an article: input rejections first, then failed and dropped documents in input order",
        columns: &[
            col("source", "Input file."),
            col(
                "position",
                "Where in it (\"line 12\", \"byte 4096\"); empty for the whole file.",
            ),
            col(
                "reason",
                "Short machine-readable reason (\"malformed-json\", \"stage-error\", \"dropped\").",
            ),
            col(
                "detail",
                "Explanation; for documents \"<stage>: <error or drop reason>\".",
            ),
        ],
    },
];

/// The README's table reference, rendered from [`TABLES`].
pub fn tables_markdown() -> String {
    let mut out = String::new();
    for table in TABLES {
        out.push_str(&format!(
            "### {}\n\nOne row per {}.\n\n",
            table.name, table.row
        ));
        out.push_str("| column | type | meaning |\n|---|---|---|\n");
        for column in table.columns {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                column.name,
                column.kind.as_str(),
                column.doc.replace('|', "\\|")
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_docs() {
        assert_eq!(Table::ALL.len(), TABLES.len());
        for (i, table) in Table::ALL.iter().enumerate() {
            assert_eq!(*table as usize, i);
        }
        let names: Vec<_> = TABLES.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "articles",
                "entities",
                "mentions",
                "quotes",
                "dates",
                "quantities",
                "clusters",
                "removed",
                "rejected"
            ]
        );
    }
}
