//! The `dedupe` stage's config keys, their defaults, their checks and their documentation.

use newsmill_core::{KeyDoc, StageDoc};
use serde::{Deserialize, Serialize};

/// What happens to a duplicate that is not its cluster's kept copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Keep it, linked to its kept twin (it is still exported).
    #[default]
    Mark,
    /// Drop it with the reason "duplicate".
    Drop,
}

/// `[[stage]] type = "dedupe"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupeConfig {
    /// Words per shingle for near-duplicate detection.
    pub shingle_size: usize,
    /// MinHash signature length; must equal `bands * rows`.
    pub num_hashes: usize,
    pub bands: usize,
    pub rows: usize,
    /// Minimum exact Jaccard similarity of shingle sets for two documents to be duplicates.
    pub threshold: f64,
    /// Alternatively, the minimum share of the smaller document's shingles found in the larger
    /// one (truncated copies, copies with boilerplate added).
    pub containment_threshold: f64,
    /// Documents with fewer shingles than this are judged by Jaccard only, never containment.
    pub min_shingles: usize,
    /// Also link different articles that share substantial passages (story clusters).
    pub story: bool,
    /// Words per story shingle: the shortest passage that counts as shared.
    pub story_shingle_size: usize,
    /// Story candidates: every quoted story shingle is a fingerprint, and of the others the
    /// smallest hash in every window of this many shingles (winnowing), which guarantees that
    /// any shared passage of `story_window + story_shingle_size - 1` words is found.
    pub story_window: usize,
    /// A story link needs this many shared story shingles...
    pub story_min_shared: usize,
    /// ...or this many shared story shingles that are quoted in both articles.
    pub story_min_quoted: usize,
    /// Fingerprints found in more documents than this are boilerplate and ignored.
    pub story_max_df: usize,
    /// Each article is verified against at most this many earlier ones (those sharing most
    /// fingerprints) for story links.
    pub story_max_candidates: usize,
    pub action: Action,
    pub seed: u64,
    /// LSH buckets with more documents than this are skipped (counted as `buckets-skipped`).
    pub max_bucket: usize,
    /// Keep a persistent index in the `[state] dir` (when one is configured): articles are
    /// matched against those of earlier runs, and this run's are added.
    pub index: bool,
    /// Index entries from runs committed more than this many days ago are pruned (0: never).
    pub index_max_age_days: u64,
    /// At most this many entries are kept, the oldest pruned first (0: no limit).
    pub index_max_entries: usize,
}

impl Default for DedupeConfig {
    fn default() -> Self {
        DedupeConfig {
            shingle_size: 2,
            num_hashes: 150,
            bands: 50,
            rows: 3,
            threshold: 0.35,
            containment_threshold: 0.7,
            min_shingles: 30,
            story: true,
            story_shingle_size: 8,
            story_window: 16,
            story_min_shared: 12,
            story_min_quoted: 2,
            story_max_df: 50,
            story_max_candidates: 10,
            action: Action::Mark,
            seed: 0x6e65_7773_6d69_6c6c,
            max_bucket: 1000,
            index: true,
            index_max_age_days: 0,
            index_max_entries: 1_000_000,
        }
    }
}

impl DedupeConfig {
    /// The duplicate verification thresholds.
    pub(crate) fn rule(&self) -> crate::cluster::Rule {
        crate::cluster::Rule {
            threshold: self.threshold,
            containment_threshold: self.containment_threshold,
            min_shingles: self.min_shingles,
        }
    }

    /// Every problem with this config as (key, message, valid choices); empty when valid.
    pub fn problems(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out = Vec::new();
        let mut bad = |key: &str, msg: String| out.push((key.to_string(), msg, Vec::new()));
        if self.shingle_size == 0 || self.shingle_size > 16 {
            bad(
                "shingle_size",
                format!("must be between 1 and 16, not {}", self.shingle_size),
            );
        }
        if self.story_shingle_size == 0 || self.story_shingle_size > 16 {
            bad(
                "story_shingle_size",
                format!("must be between 1 and 16, not {}", self.story_shingle_size),
            );
        }
        if self.num_hashes == 0 || self.num_hashes > 1024 {
            bad(
                "num_hashes",
                format!("must be between 1 and 1024, not {}", self.num_hashes),
            );
        }
        if self.bands == 0
            || self.rows == 0
            || self.bands.saturating_mul(self.rows) != self.num_hashes
        {
            bad(
                "bands",
                format!(
                    "bands * rows must equal num_hashes ({} * {} != {})",
                    self.bands, self.rows, self.num_hashes
                ),
            );
        }
        for (key, value) in [
            ("threshold", self.threshold),
            ("containment_threshold", self.containment_threshold),
        ] {
            if !(0.0..=1.0).contains(&value) {
                bad(key, format!("must be between 0 and 1, not {value}"));
            }
        }
        if self.story_window == 0 || self.story_window > 1024 {
            bad(
                "story_window",
                format!("must be between 1 and 1024, not {}", self.story_window),
            );
        }
        for (key, value) in [
            ("story_min_shared", self.story_min_shared),
            ("story_min_quoted", self.story_min_quoted),
        ] {
            if value == 0 {
                bad(key, "must be at least 1".to_string());
            }
        }
        if self.max_bucket < 2 {
            bad(
                "max_bucket",
                format!("must be at least 2, not {}", self.max_bucket),
            );
        }
        if self.story_max_candidates == 0 {
            bad("story_max_candidates", "must be at least 1".to_string());
        }
        if self.story_max_df < 2 {
            bad(
                "story_max_df",
                format!("must be at least 2, not {}", self.story_max_df),
            );
        }
        out
    }
}

const fn key(
    name: &'static str,
    kind: &'static str,
    default: &'static str,
    doc: &'static str,
) -> KeyDoc {
    KeyDoc {
        name,
        kind,
        default,
        choices: &[],
        doc,
    }
}

/// Documentation of every key of [`DedupeConfig`].
pub const DOC: StageDoc = StageDoc {
    kind: "dedupe",
    summary: "Finds exact and near-duplicate articles (MinHash LSH, verified by exact Jaccard and \
              containment) and, optionally, different articles sharing passages (story clusters).",
    keys: &[
        key(
            "shingle_size",
            "integer",
            "2",
            "Words per shingle for near-duplicate detection.",
        ),
        key(
            "num_hashes",
            "integer",
            "150",
            "MinHash signature length; must equal bands * rows.",
        ),
        key(
            "bands",
            "integer",
            "50",
            "LSH bands: more bands find less similar candidates.",
        ),
        key("rows", "integer", "3", "MinHash values per LSH band."),
        key(
            "threshold",
            "float",
            "0.35",
            "Minimum Jaccard similarity of shingle sets for a duplicate.",
        ),
        key(
            "containment_threshold",
            "float",
            "0.7",
            "Or: minimum share of the smaller article's shingles found in the larger one.",
        ),
        key(
            "min_shingles",
            "integer",
            "30",
            "Articles with fewer shingles are judged by Jaccard only, never by containment.",
        ),
        key(
            "story",
            "boolean",
            "true",
            "Also link different articles sharing passages (story clusters).",
        ),
        key(
            "story_shingle_size",
            "integer",
            "8",
            "Words per story shingle: the shortest passage that counts as shared.",
        ),
        key(
            "story_window",
            "integer",
            "16",
            "Story candidates: winnowing window over unquoted shingles (finds every shared passage of window + shingle size - 1 words).",
        ),
        key(
            "story_min_shared",
            "integer",
            "12",
            "A story link needs this many shared story shingles...",
        ),
        key(
            "story_min_quoted",
            "integer",
            "2",
            "...or this many shared story shingles quoted in both articles.",
        ),
        key(
            "story_max_df",
            "integer",
            "50",
            "Fingerprints found in more articles than this are boilerplate and ignored.",
        ),
        key(
            "story_max_candidates",
            "integer",
            "10",
            "Each article is checked for story links against at most this many earlier ones (those sharing most fingerprints).",
        ),
        KeyDoc {
            name: "action",
            kind: "string",
            default: "\"mark\"",
            choices: &["mark", "drop"],
            doc: "mark: keep duplicates linked to their kept twin; drop: drop them as \"duplicate\".",
        },
        key(
            "seed",
            "integer",
            "7954895654460419180",
            "Seed of every hash (changing it changes MinHash samples).",
        ),
        key(
            "max_bucket",
            "integer",
            "1000",
            "LSH buckets holding more articles than this are skipped (counted as buckets-skipped).",
        ),
        key(
            "index",
            "boolean",
            "true",
            "Keep a dedupe index in the [state] dir (when set): match articles against earlier runs' and add this run's.",
        ),
        key(
            "index_max_age_days",
            "integer",
            "0",
            "Prune index entries from runs committed more than this many days ago (0: never).",
        ),
        key(
            "index_max_entries",
            "integer",
            "1000000",
            "Keep at most this many index entries, pruning the oldest first (0: no limit).",
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_lists_exactly_the_config_keys_with_their_defaults() {
        let value = serde_json::to_value(DedupeConfig::default()).unwrap();
        let fields = value.as_object().unwrap();
        let mut documented: Vec<&str> = DOC.keys.iter().map(|k| k.name).collect();
        let mut actual: Vec<&str> = fields.keys().map(String::as_str).collect();
        documented.sort_unstable();
        actual.sort_unstable();
        assert_eq!(documented, actual);
        for key in DOC.keys {
            // TOML and JSON spell integers, floats, booleans and plain strings alike.
            assert_eq!(
                key.default,
                fields[key.name].to_string(),
                "default of {}",
                key.name
            );
        }
    }

    #[test]
    fn problems_name_the_bad_keys() {
        assert!(DedupeConfig::default().problems().is_empty());
        let cfg = DedupeConfig {
            bands: 7,
            threshold: 1.5,
            ..DedupeConfig::default()
        };
        let keys: Vec<String> = cfg.problems().into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(keys, ["bands", "threshold"]);
    }

    #[test]
    fn unknown_keys_are_rejected_and_missing_keys_default() {
        let cfg: DedupeConfig =
            serde_json::from_str(r#"{"threshold": 0.6, "action": "drop"}"#).unwrap();
        assert_eq!(cfg.threshold, 0.6);
        assert_eq!(cfg.action, Action::Drop);
        assert_eq!(cfg.bands, DedupeConfig::default().bands);
        assert!(serde_json::from_str::<DedupeConfig>(r#"{"treshold": 0.6}"#).is_err());
    }
}
