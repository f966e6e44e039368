use serde::{Deserialize, Serialize};

/// One article as it moves through the pipeline.
///
/// Readers fill the input fields; stages add metadata, removed lines, dedupe links and
/// extracted annotations. The whole struct is serialisable because the driver spills
/// documents to a compressed work file between passes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Document {
    /// Position in the deterministic input order (0-based). Ties are broken by it.
    pub seq: u64,
    /// Stable id: the record's id field, or the path relative to the input root.
    pub id: String,
    /// The input file the document came from, as the user named it (root-relative path).
    pub source: String,
    /// Where inside `source` the document is ("line 12" for JSON Lines, "row 3" for CSV);
    /// empty when the whole file is one document.
    pub position: String,
    pub url: Option<String>,
    pub site: Option<String>,
    pub title: Option<String>,
    /// Publication time as given by the input (ISO 8601 when the input had one).
    pub published: Option<String>,
    /// The article text. After `clean` this is the exported text that offsets refer to.
    pub text: String,
    /// How the bytes were decoded.
    pub decoding: Decoding,
    /// Metadata found by readers (HTML meta tags), `clean` (credits) and `extract` (byline).
    pub meta: Metadata,
    /// Lines removed by cleaning, with the rule that removed each.
    pub removed: Vec<RemovedLine>,
    /// Duplicate and story clusters this document belongs to.
    pub links: Vec<ClusterLink>,
    /// Entities, quotes, dates and amounts found by `extract`.
    pub extracted: Extracted,
    /// Whether the document is still live, or was dropped or failed in some stage.
    pub status: Status,
    /// Fields added by plugin stages (`type = "exec"`) under names of their own; exported with
    /// the article in JSON Lines.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub extra: std::collections::BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Decoding {
    /// The encoding the bytes were decoded from (WHATWG label, e.g. "UTF-8", "windows-1252").
    pub encoding: String,
    /// How it was chosen: "bom", "declared", "detected", "config", "utf-8".
    pub how: String,
    /// Number of byte sequences that could not be decoded and became U+FFFD.
    pub replaced: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Metadata {
    /// The byline line as printed ("By Batya Jerenberg, World Israel News").
    pub byline: Option<String>,
    /// Author names, validated as names.
    pub authors: Vec<String>,
    /// The outlet named in the byline or the input ("World Israel News").
    pub outlet: Option<String>,
    pub dateline: Option<Dateline>,
    /// Photo credits ("Amos Ben Gershom/GPO").
    pub credits: Vec<String>,
    /// Image captions kept out of the text.
    pub captions: Vec<String>,
    /// "X contributed to this report" lines, as names.
    pub contributors: Vec<String>,
    /// Headlines of other stories the page linked as related ("Read more: <headline>", the
    /// teasers under "Related stories"), in page order.
    #[serde(default)]
    pub related: Vec<String>,
    /// ISO 639-1 language code when known.
    pub language: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Dateline {
    /// The place ("JERUSALEM").
    pub place: String,
    /// The agency in parentheses ("JTA"), if any.
    pub agency: Option<String>,
    /// The dateline as printed ("JERUSALEM (JTA) —").
    pub text: String,
}

/// A line taken out of the text by cleaning.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RemovedLine {
    /// 1-based line number in the text as it came in to the stage that removed it.
    pub line: usize,
    pub text: String,
    /// The rule that removed it, e.g. "phrase:paywall-counter" or "repeat-in-article".
    pub rule: String,
    /// Where its information went, if it was kept as metadata ("credit", "contributor").
    pub kept_as: Option<String>,
}

/// Membership of a document in a duplicate or story cluster, with the evidence.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ClusterLink {
    pub kind: ClusterKind,
    /// Cluster id: the id of its representative, prefixed by the kind ("dup:", "story:").
    pub cluster: String,
    /// The id of the kept copy (duplicate) or the story's representative.
    pub representative: String,
    /// When the representative came from an earlier run's index: that run's start time
    /// (RFC 3339), so users can find it in that run's outputs. `None` within one run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative_run: Option<String>,
    /// Jaccard similarity of shingle sets with the representative (1.0 for itself).
    pub similarity: f64,
    /// Share of this document's shingles found in the representative.
    pub containment: f64,
    pub shared_shingles: u64,
    /// The longest passage shared with the representative (trimmed to a readable length).
    pub passage: String,
}

#[derive(
    Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum ClusterKind {
    /// Copies of one article (syndication, re-scrapes, light edits).
    #[default]
    Duplicate,
    /// Different articles sharing substantial passages (quotes from one interview).
    Story,
}

impl ClusterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Duplicate => "duplicate",
            ClusterKind::Story => "story",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Extracted {
    pub entities: Vec<Entity>,
    pub mentions: Vec<Mention>,
    pub quotes: Vec<Quote>,
    pub dates: Vec<DateMention>,
    pub quantities: Vec<Quantity>,
}

#[derive(
    Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
pub enum EntityKind {
    #[default]
    PER,
    ORG,
    LOC,
    MISC,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::PER => "PER",
            EntityKind::ORG => "ORG",
            EntityKind::LOC => "LOC",
            EntityKind::MISC => "MISC",
        }
    }
}

/// One entity per article: all its mentions grouped under one canonical name.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Entity {
    pub kind: EntityKind,
    /// The fullest form used in the article ("Benjamin Netanyahu").
    pub name: String,
    /// The canonical name across the run ("Sergei Ryabkov" for "Sergey Ryabkov" too).
    pub canonical: String,
    pub mentions: usize,
    /// Character offset of the first mention in `text`.
    pub first_start: usize,
    /// Titles and roles attached to the name ("Deputy Foreign Minister").
    pub titles: Vec<String>,
}

/// One mention of an entity. Offsets are character (not byte) offsets into `text`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Mention {
    pub kind: EntityKind,
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// Index into `Extracted::entities`.
    pub entity: usize,
    /// Title printed with this mention ("Russian Deputy Foreign Minister").
    pub title: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Quote {
    /// The quoted words, without the outer quotation marks.
    pub quote: String,
    /// Canonical name of the speaker; empty when the quote could not be attributed.
    pub speaker: String,
    pub speaker_title: Option<String>,
    /// The words in the text that name the speaker ("Ryabkov", "he", "the official").
    pub speaker_mention: Option<String>,
    /// The reporting verb or phrase ("told", "said", "according to").
    pub cue: Option<String>,
    /// Character offsets of the quote including its marks.
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DateResolution {
    Year,
    Month,
    /// An ISO 8601 week ("2018-W30"), for "last week", "earlier this week".
    Week,
    #[default]
    Day,
}

impl DateResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            DateResolution::Year => "year",
            DateResolution::Month => "month",
            DateResolution::Week => "week",
            DateResolution::Day => "day",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DateMention {
    pub text: String,
    /// ISO 8601 value at the given resolution: "2018", "2018-05", "2018-W19", "2018-05-09".
    pub value: String,
    pub resolution: DateResolution,
    /// Whether the value needed the publication date ("on Friday", "last month").
    pub relative: bool,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Quantity {
    pub text: String,
    pub number: f64,
    /// The unit as normalised ("mile", "kilometre", "USD", "percent", "people").
    pub unit: String,
    /// The kind of amount ("distance", "money", "percent", "count", ...).
    pub kind: String,
    /// Value in the kind's base unit (km for distance), when there is one.
    pub normalized: Option<f64>,
    pub normalized_unit: Option<String>,
    /// Hedge printed before the number ("some", "about", "more than").
    pub qualifier: Option<String>,
    pub start: usize,
    pub end: usize,
}

/// Whether a document is still flowing, and if not, why.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Status {
    #[default]
    Live,
    /// A stage decided the document should not be an article (a dropped duplicate, a filter).
    Dropped { stage: String, reason: String },
    /// A stage failed on the document.
    Failed { stage: String, error: String },
}

impl Status {
    pub fn is_live(&self) -> bool {
        matches!(self, Status::Live)
    }
}

/// An input, or part of one, that could not become an article.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rejection {
    /// The input file.
    pub source: String,
    /// Where in it: "line 12", "byte 4096", "row 3"; empty for the whole file.
    pub position: String,
    /// A short machine-readable reason: "empty", "binary", "truncated-gzip", "malformed-json",
    /// "line-too-long", "missing-text", "io", "dropped", "stage-error", ...
    pub reason: String,
    /// A human-readable explanation.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    /// Work files and the state database store documents as JSON; a sharded or incremental run
    /// must read back the very amounts one run computed, down to the last bit.
    #[test]
    fn amounts_survive_a_json_round_trip_bit_for_bit() {
        // Values a unit conversion produces (4 trillion in a currency with a rounded rate),
        // which a fast float parser reads back one unit in the last place off.
        let values = [
            3_999_999_999_999.999_5_f64,
            999_999_999_999.999_9,
            0.1 + 0.2,
            1.0 / 3.0,
            f64::MAX,
            5e-324,
        ];
        for value in values {
            let json = serde_json::to_string(&value).unwrap();
            let back: f64 = serde_json::from_str(&json).unwrap();
            assert_eq!(
                back.to_bits(),
                value.to_bits(),
                "{value:e} read back as {back:e}"
            );
        }
    }
}
