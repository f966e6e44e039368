//! newsmill's `clean` stage: normalises article text, re-joins hard-wrapped paragraphs, finds
//! the article among a page's menus, link lists and comments (the densest prose region), removes
//! boilerplate lines with named, switchable rules — including lines a site prints on many of its
//! pages, found in one observation round — and moves bylines, contributor notes, photo captions
//! and credits into metadata. Every removed line is recorded in `Document::removed` with the
//! rule that removed it; [`explain`] prints an article with its kept and removed lines.

mod body;
mod caption;
mod clean;
mod config;
mod explain;
mod meta;
mod normalize;
mod related;
mod rules;
mod site;
mod site_state;
mod tail;
mod unwrap;

use std::collections::HashSet;
use std::path::Path;

use newsmill_core::{Document, KeyDoc, Observer, Stage, StageDoc, StageError, Tally, Verdict};

pub use config::{CleanConfig, CleanError, Problem, QuoteStyle};
pub use explain::explain;
pub use rules::{PHRASE_RULES, PhraseRule, STRUCTURAL_RULES, rule_names};
pub use site_state::{DECISION_FILE, OBSERVER_FILE, StateFileError};

/// Documentation of every config key, for `newsmill stages`, `validate` and the README.
pub const DOC: StageDoc = StageDoc {
    kind: "clean",
    summary: "Normalises text, re-joins hard-wrapped lines, finds the article among menus, link lists and comments, removes boilerplate lines with named rules (including lines repeated across a site's pages), and moves bylines, contributors, captions, photo credits and related-story headlines into metadata.",
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
            doc: "Rule names to switch off, as the `rule` column of the `removed` table prints them; the \"phrase:\" prefix is optional and an unknown name is refused with the list of valid ones.",
        },
        KeyDoc {
            name: "extra_phrases",
            kind: "list of strings",
            default: "[]",
            choices: &[],
            doc: "Extra case-insensitive phrases that mark a short line as boilerplate (rule \"phrase:user\").",
        },
        KeyDoc {
            name: "site_repeat_min_docs",
            kind: "integer",
            default: "3",
            choices: &[],
            doc: "A line printed in at least this many documents of one site (site field, else URL host, else directory) is removed as the site's boilerplate (rule \"site-repeat\"); lines of 12+ words need at least 10.",
        },
        KeyDoc {
            name: "site_repeat_min_share",
            kind: "float",
            default: "0.1",
            choices: &[],
            doc: "...and in at least this share of the site's documents.",
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
            let names = rules::expand_rule_name(name);
            if names.is_empty() {
                return Err(CleanError::UnknownRule {
                    name: name.clone(),
                    valid: rule_names().join(", "),
                });
            }
            disabled.extend(names);
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
                body: body::BodyParams::default(),
                site_repeats: site::SiteRepeats::default(),
            },
        })
    }

    /// Runs the observation round over `docs` the way the driver does (for harnesses and tests
    /// that hold a corpus in memory): observe every document, then decide.
    pub fn observe_corpus<'a>(
        &mut self,
        docs: impl IntoIterator<Item = &'a Document>,
    ) -> Result<Tally, StageError> {
        if self.observation_rounds() == 0 {
            return Ok(Tally::default());
        }
        let mut observer = self.new_observer(0);
        for doc in docs {
            observer.observe(doc);
        }
        self.decide(0, observer)
    }

    /// Cleans a copy of `doc` (as read from the input) and prints it with every input line
    /// marked kept, removed or moved to metadata, and the rule for each (see [`explain`]).
    /// For site repetition to show, run [`CleanStage::observe_corpus`] first.
    pub fn explain_document(&self, doc: &Document) -> String {
        let mut cleaned = doc.clone();
        cleaned.removed.clear();
        self.cleaner.clean(&mut cleaned, &mut Tally::default());
        explain(&cleaned, &doc.text)
    }

    pub fn config(&self) -> &CleanConfig {
        &self.cleaner.cfg
    }
}

impl Stage for CleanStage {
    fn kind(&self) -> &'static str {
        "clean"
    }

    /// One round when site repetition is on: count lines per site over the whole corpus.
    fn observation_rounds(&self) -> usize {
        usize::from(self.cleaner.on("site-repeat"))
    }

    fn new_observer(&self, _round: usize) -> Box<dyn Observer> {
        Box::new(site::SiteObserver::new(self.cleaner.cfg.quotes))
    }

    fn decide(&mut self, _round: usize, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        let observer = state
            .into_any()
            .downcast::<site::SiteObserver>()
            .map_err(|_| {
                StageError::Other(
                    "clean: the observer handed to decide is not the clean stage's".into(),
                )
            })?;
        let repeats = site::decide(
            *observer,
            self.cleaner.cfg.site_repeat_min_docs,
            self.cleaner.cfg.site_repeat_min_share,
        );
        let mut tally = Tally::default();
        tally.add("sites", repeats.sites as u64);
        tally.add("site-repeat-lines", repeats.lines.len() as u64);
        tracing::info!(
            sites = repeats.sites,
            lines = repeats.lines.len(),
            "Found the lines repeated across the pages of each site."
        );
        self.cleaner.site_repeats = repeats;
        Ok(tally)
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError> {
        self.cleaner.clean(doc, tally);
        Ok(Verdict::Keep)
    }

    /// The site counts add up across shards and the decision is a set of line hashes, so
    /// both persist as they are (see `site_state`).
    fn shardable(&self) -> bool {
        true
    }

    fn load_observer(&self, round: usize, dir: &Path) -> Result<Box<dyn Observer>, StageError> {
        only_round_zero(round)?;
        let observer = site_state::load_observer(dir, self.cleaner.cfg.quotes)?;
        Ok(Box::new(observer))
    }

    fn save_decision(&self, round: usize, dir: &Path) -> Result<(), StageError> {
        only_round_zero(round)?;
        site_state::save_decision(&self.cleaner.site_repeats, dir)?;
        Ok(())
    }

    fn load_decision(&mut self, round: usize, dir: &Path) -> Result<(), StageError> {
        only_round_zero(round)?;
        self.cleaner.site_repeats = site_state::load_decision(dir)?;
        Ok(())
    }

    /// A line once found repeated across a site's pages stays boilerplate: scheduled runs
    /// that see a handful of articles per site keep removing what earlier runs learned.
    fn carries_decision(&self, round: usize) -> bool {
        round == 0
    }

    fn carry_decision(&mut self, round: usize, dir: &Path) -> Result<(), StageError> {
        only_round_zero(round)?;
        let earlier = site_state::load_decision(dir)?;
        let repeats = &mut self.cleaner.site_repeats;
        let before = repeats.lines.len();
        repeats.lines.extend(earlier.lines);
        repeats.sites = repeats.sites.max(earlier.sites);
        tracing::info!(
            learned_now = before,
            carried = repeats.lines.len() - before,
            "Added the repeated lines earlier runs found to this run's."
        );
        Ok(())
    }
}

/// The clean stage observes in one round (site repetition) at most.
fn only_round_zero(round: usize) -> Result<(), StageError> {
    if round == 0 {
        Ok(())
    } else {
        Err(StageError::Other(format!(
            "clean: asked for observation round {round}, but the stage has only round 0"
        )))
    }
}
