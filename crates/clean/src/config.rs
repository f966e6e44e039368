//! The `[[stage]] type = "clean"` table and its validation.

use serde::{Deserialize, Serialize};

use crate::rules;

/// How quotation marks are written in the cleaned text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteStyle {
    /// Leave every mark as printed.
    Keep,
    /// Map rare marks („ ‟ « » ‹ › ″ 〝 〞) onto the curly set “ ” ‘ ’, keeping opening vs
    /// closing; straight quotes stay straight.
    #[default]
    Tidy,
    /// Tidy, then turn straight quotes into curly ones, choosing the side from context.
    Curly,
    /// Every double mark becomes `"` and every single mark `'` (loses opening vs closing).
    Straight,
}

impl QuoteStyle {
    pub const CHOICES: &'static [&'static str] = &["keep", "tidy", "curly", "straight"];
}

/// Config of the clean stage. Every key has a default, so an empty table is valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CleanConfig {
    /// Quotation-mark normalisation.
    pub quotes: QuoteStyle,
    /// Re-join paragraphs that were hard-wrapped at a fixed width.
    pub unwrap: bool,
    /// Phrase rules only judge lines of at most this many words.
    pub max_rule_words: usize,
    /// Lines of at least this many words are dropped when they repeat an earlier line anywhere
    /// in the article; shorter ones (4+ words) only when they repeat the line just before.
    pub repeat_min_words: usize,
    /// How many leading lines of the text may hold the byline.
    pub byline_lines: usize,
    /// Rule names to switch off (see `rule_names()`); the `phrase:` prefix is optional.
    pub disable: Vec<String>,
    /// Extra case-insensitive phrases that mark a short line as boilerplate ("phrase:user").
    pub extra_phrases: Vec<String>,
    /// A line found in at least this many documents of one site is the site's boilerplate.
    pub site_repeat_min_docs: u32,
    /// ... and in at least this share of the site's documents.
    pub site_repeat_min_share: f64,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            quotes: QuoteStyle::Tidy,
            unwrap: true,
            max_rule_words: 12,
            repeat_min_words: 8,
            byline_lines: 3,
            disable: Vec::new(),
            extra_phrases: Vec::new(),
            site_repeat_min_docs: 3,
            site_repeat_min_share: 0.1,
        }
    }
}

/// A config problem: the key, what is wrong, and the valid choices if there is a fixed set.
pub type Problem = (String, String, Vec<String>);

impl CleanConfig {
    /// Every problem in the config at once, for `newsmill validate`.
    pub fn problems(&self) -> Vec<Problem> {
        let mut found = Vec::new();
        for name in &self.disable {
            if rules::expand_rule_name(name).is_empty() {
                found.push((
                    "disable".to_string(),
                    format!("unknown rule name {name:?}"),
                    rules::rule_names().iter().map(|n| n.to_string()).collect(),
                ));
            }
        }
        for (i, phrase) in self.extra_phrases.iter().enumerate() {
            if phrase.trim().is_empty() {
                found.push((
                    "extra_phrases".to_string(),
                    format!("entry {} is empty and would match every line", i + 1),
                    Vec::new(),
                ));
            }
        }
        if self.max_rule_words == 0 {
            found.push((
                "max_rule_words".to_string(),
                "must be at least 1 (phrase rules only judge lines of at most this many words)"
                    .to_string(),
                Vec::new(),
            ));
        }
        if self.repeat_min_words == 0 {
            found.push((
                "repeat_min_words".to_string(),
                "must be at least 1 (otherwise blank-looking lines would count as repeats)"
                    .to_string(),
                Vec::new(),
            ));
        }
        if self.site_repeat_min_docs < 2 {
            found.push((
                "site_repeat_min_docs".to_string(),
                "must be at least 2 (a line in one document is no repetition)".to_string(),
                Vec::new(),
            ));
        }
        if !(0.0..=1.0).contains(&self.site_repeat_min_share) {
            found.push((
                "site_repeat_min_share".to_string(),
                "must be between 0 and 1".to_string(),
                Vec::new(),
            ));
        }
        found
    }
}

/// Why a clean stage could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("clean: unknown rule name {name:?} in `disable`; valid names: {valid}")]
    UnknownRule { name: String, valid: String },
    #[error("clean: invalid `{key}`: {message}")]
    InvalidKey { key: String, message: String },
    #[error("clean: cannot build the matcher for `extra_phrases`: {0}")]
    Phrases(#[from] aho_corasick::BuildError),
}
