//! newsmill's `clean` stage: normalises article text, re-joins hard-wrapped paragraphs,
//! removes boilerplate lines (paywall notices, comment forms, share links...) with named,
//! switchable rules, and moves bylines, contributor notes and photo credits into metadata.
//! Every removed line is recorded in `Document::removed` with the rule that removed it.
//!
//! The stage is a pure map today (`observation_rounds() == 0`); the rule pipeline in
//! [`clean`](crate::clean) judges lines one pass at a time so that a corpus-level pass (lines
//! repeated across a site) can be added as one more judgement.

mod clean;
mod config;
mod meta;
mod normalize;
mod rules;
mod tail;
mod unwrap;

use std::collections::HashSet;

use newsmill_core::{Document, KeyDoc, Stage, StageDoc, StageError, Tally, Verdict};

pub use config::{CleanConfig, CleanError, Problem, QuoteStyle};
pub use rules::{PHRASE_RULES, PhraseRule, STRUCTURAL_RULES, rule_names};

/// Documentation of every config key, for `newsmill stages`, `validate` and the README.
pub const DOC: StageDoc = StageDoc {
    kind: "clean",
    summary: "Normalises text, re-joins hard-wrapped lines, removes boilerplate lines with named rules, and moves bylines, contributors and photo credits into metadata.",
    keys: &[
        KeyDoc {
            name: "quotes",
            kind: "string",
            default: "\"tidy\"",
            choices: QuoteStyle::CHOICES,
            doc: "Quotation marks: keep as printed, tidy rare marks („ « » ″) into “ ” ‘ ’, make all curly, or make all straight.",
        },
        KeyDoc {
            name: "unwrap",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Re-join paragraphs that were hard-wrapped at a fixed width.",
        },
        KeyDoc {
            name: "max_rule_words",
            kind: "integer",
            default: "12",
            choices: &[],
            doc: "Phrase rules only judge lines of at most this many words.",
        },
        KeyDoc {
            name: "repeat_min_words",
            kind: "integer",
            default: "8",
            choices: &[],
            doc: "Lines this long are dropped when they repeat an earlier line of the article; shorter ones (4+ words) only when they repeat the line just before.",
        },
        KeyDoc {
            name: "byline_lines",
            kind: "integer",
            default: "3",
            choices: &[],
            doc: "How many leading lines of the text are searched for a byline.",
        },
        KeyDoc {
            name: "disable",
            kind: "list of strings",
            default: "[]",
            choices: &[],
            doc: "Rule names to switch off (see `newsmill stages clean`); the \"phrase:\" prefix is optional.",
        },
        KeyDoc {
            name: "extra_phrases",
            kind: "list of strings",
            default: "[]",
            choices: &[],
            doc: "Extra case-insensitive phrases that mark a short line as boilerplate (rule \"phrase:user\").",
        },
    ],
};

/// The clean stage, built from its config.
pub struct CleanStage {
    cleaner: clean::Cleaner,
}

impl CleanStage {
    pub fn new(cfg: CleanConfig) -> Result<CleanStage, CleanError> {
        let mut disabled = HashSet::new();
        for name in &cfg.disable {
            match rules::canonical_rule_name(name) {
                Some(full) => {
                    disabled.insert(full);
                }
                None => {
                    return Err(CleanError::UnknownRule {
                        name: name.clone(),
                        valid: rule_names().join(", "),
                    });
                }
            }
        }
        if let Some((key, message, _)) = cfg.problems().into_iter().next() {
            return Err(CleanError::InvalidKey { key, message });
        }
        let rules = rules::LineRules::new(
            &|rule| !disabled.contains(rule),
            &cfg.extra_phrases,
            cfg.max_rule_words,
        )?;
        Ok(CleanStage {
            cleaner: clean::Cleaner {
                cfg,
                rules,
                disabled,
            },
        })
    }

    pub fn config(&self) -> &CleanConfig {
        &self.cleaner.cfg
    }
}

impl Stage for CleanStage {
    fn kind(&self) -> &'static str {
        "clean"
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError> {
        self.cleaner.clean(doc, tally);
        Ok(Verdict::Keep)
    }
}
