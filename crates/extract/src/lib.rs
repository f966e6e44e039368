//! The `extract` stage: metadata (title, byline, authors, outlet, dateline), entities with
//! titles and canonical names, direct quotes with speakers, dates and quantities.
//!
//! Entities come from a statistical tagger (`ner`, a model compiled into the binary or loaded
//! from the `model` path); the rest is rule- and list-based. Everything is per-document (a pure
//! map): the same text always gives the same output, whatever else is in the run. Offsets in
//! [`newsmill_core::Extracted`] are character offsets into `doc.text`.

mod canonical;
mod dates;
mod entities;
mod lexicon;
mod metadata;
pub mod ner;
mod quantities;
mod quotes;
mod text;

use newsmill_core::{CharOffsets, Document, KeyDoc, Stage, StageDoc, StageError, Tally, Verdict};
use serde::{Deserialize, Serialize};

pub use canonical::{canonical_person_name, folding_key};
pub use dates::parse_published;
pub use ner::{EvalReport, NerError, NerModel, TrainOptions, TrainReport, evaluate, train};
pub use quotes::{AttributedQuote, attributed_quotes};

/// Configuration of the `extract` stage (one `[[stage]]` table with `type = "extract"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractConfig {
    /// Fill title fixes, byline, authors, outlet and dateline.
    pub metadata: bool,
    /// Tag people, organisations, places and other names.
    pub entities: bool,
    /// Find direct quotes and their speakers.
    pub quotes: bool,
    /// Find and resolve dates.
    pub dates: bool,
    /// Find amounts with units.
    pub quantities: bool,
    /// An opening quotation mark with no closing mark within this many characters is treated as
    /// unbalanced: its quote ends at the end of its paragraph.
    pub max_quote_chars: usize,
    /// Quotes shorter than this many words (scare quotes such as “arbitrary”) are kept only
    /// when a speaker is attributed right next to them.
    pub min_quote_words: usize,
    /// Replace a section kicker used as title ("update desk") by the headline on the text's
    /// first line.
    pub promote_headline: bool,
    /// Path of an entity model written by `train` (`newsmill train-ner`); empty means the model
    /// built into the binary.
    pub model: String,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            metadata: true,
            entities: true,
            quotes: true,
            dates: true,
            quantities: true,
            max_quote_chars: 5000,
            min_quote_words: 4,
            promote_headline: true,
            model: String::new(),
        }
    }
}

pub const DOC: StageDoc = StageDoc {
    kind: "extract",
    summary: "Finds metadata, entities with titles, quotes with speakers, dates and quantities.",
    keys: &[
        KeyDoc {
            name: "metadata",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Fill the byline, authors, outlet and dateline, and fix kicker titles.",
        },
        KeyDoc {
            name: "entities",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Tag people, organisations, places and other names (PER/ORG/LOC/MISC).",
        },
        KeyDoc {
            name: "quotes",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Find direct quotes and attribute them to speakers.",
        },
        KeyDoc {
            name: "dates",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Find dates and resolve them against the publication date.",
        },
        KeyDoc {
            name: "quantities",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Find amounts with units (distances, money, percentages, counts, durations).",
        },
        KeyDoc {
            name: "max_quote_chars",
            kind: "integer",
            default: "5000",
            choices: &[],
            doc: "An opening quote mark not closed within this many characters ends its quote at the paragraph end.",
        },
        KeyDoc {
            name: "min_quote_words",
            kind: "integer",
            default: "4",
            choices: &[],
            doc: "Shorter quotes are kept only when a speaker is attributed right next to them.",
        },
        KeyDoc {
            name: "promote_headline",
            kind: "boolean",
            default: "true",
            choices: &[],
            doc: "Use the text's first line as title when the title is a section kicker.",
        },
        KeyDoc {
            name: "model",
            kind: "path",
            default: "\"\"",
            choices: &[],
            doc: "Entity model file written by `newsmill train-ner`; empty uses the built-in CoNLL-2003 model.",
        },
    ],
};

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("invalid extract setting `{key}`: {message}")]
    InvalidConfig { key: String, message: String },
    #[error("cannot load the entity model: {0}")]
    Model(#[from] NerError),
}

impl ExtractConfig {
    /// Every problem with this config as (key, message, valid choices); empty when valid.
    pub fn problems(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out = Vec::new();
        if self.max_quote_chars < 20 {
            out.push((
                "max_quote_chars".to_string(),
                format!("must be at least 20, got {}", self.max_quote_chars),
                Vec::new(),
            ));
        }
        if self.min_quote_words == 0 || self.min_quote_words > 100 {
            out.push((
                "min_quote_words".to_string(),
                format!("must be between 1 and 100, got {}", self.min_quote_words),
                Vec::new(),
            ));
        }
        if !self.model.is_empty() && !std::path::Path::new(&self.model).is_file() {
            out.push((
                "model".to_string(),
                format!("no model file at {}", self.model),
                Vec::new(),
            ));
        }
        out
    }
}

/// The entity model a stage uses.
enum ModelRef {
    Builtin,
    Loaded(Box<NerModel>),
}

/// The running `extract` stage.
pub struct ExtractStage {
    cfg: ExtractConfig,
    model: ModelRef,
}

pub fn new(cfg: ExtractConfig) -> Result<ExtractStage, ExtractError> {
    if let Some((key, message, _)) = cfg.problems().into_iter().next() {
        return Err(ExtractError::InvalidConfig { key, message });
    }
    // Parse the word lists and the model now so the first document does not pay for it.
    let _ = lexicon::lexicon();
    quotes::warm_up();
    let model = if cfg.model.is_empty() {
        let _ = NerModel::builtin();
        ModelRef::Builtin
    } else {
        let path = std::path::Path::new(&cfg.model);
        let m = NerModel::load(path)?;
        tracing::info!(path = %path.display(), features = m.feature_count(), "Loaded the entity model.");
        ModelRef::Loaded(Box::new(m))
    };
    Ok(ExtractStage { cfg, model })
}

impl ExtractStage {
    pub fn config(&self) -> &ExtractConfig {
        &self.cfg
    }

    /// The entity tagger this stage uses.
    pub fn model(&self) -> &NerModel {
        match &self.model {
            ModelRef::Builtin => NerModel::builtin(),
            ModelRef::Loaded(m) => m,
        }
    }
}

impl Stage for ExtractStage {
    fn kind(&self) -> &'static str {
        "extract"
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError> {
        extract_document_with(&self.cfg, self.model(), doc, tally);
        Ok(Verdict::Keep)
    }
}

/// Runs every enabled extractor on `doc` with the built-in entity model, replacing
/// `doc.extracted` (`cfg.model` is not read here: load a model once with [`new`] instead).
pub fn extract_document(cfg: &ExtractConfig, doc: &mut Document, tally: &mut Tally) {
    extract_document_with(cfg, NerModel::builtin(), doc, tally);
}

/// Runs every enabled extractor on `doc` with the entity tagger `model`.
pub fn extract_document_with(
    cfg: &ExtractConfig,
    model: &NerModel,
    doc: &mut Document,
    tally: &mut Tally,
) {
    if cfg.metadata {
        let report = metadata::apply(doc, cfg.promote_headline);
        tally.add("titles-promoted", report.title_promoted as u64);
        tally.add("bylines-found-in-text", report.byline_from_text as u64);
        tally.add("authors", doc.meta.authors.len() as u64);
        tally.add("datelines", doc.meta.dateline.is_some() as u64);
    }
    let text = doc.text.as_str();
    let analysis = text::analyse(text);
    let published = doc.published.as_deref().and_then(parse_published);

    let dates = if cfg.dates {
        dates::find(text, published)
    } else {
        Vec::new()
    };
    let quantities = if cfg.quantities {
        quantities::find(text, &dates)
    } else {
        Vec::new()
    };
    let ents = if cfg.entities || cfg.quotes {
        entities::find_with(text, model, &doc.meta.authors)
    } else {
        entities::Found::default()
    };
    let quotes = if cfg.quotes {
        quotes::find(text, &analysis, &ents, cfg)
    } else {
        Vec::new()
    };

    let offsets = CharOffsets::new(text);
    let mut out = newsmill_core::Extracted::default();
    if cfg.entities {
        out.entities = ents.entities;
        out.mentions = ents.mentions;
        for m in &mut out.mentions {
            m.start = offsets.char_at(m.start);
            m.end = offsets.char_at(m.end);
        }
        for e in &mut out.entities {
            e.first_start = offsets.char_at(e.first_start);
        }
    }
    out.quotes = quotes;
    for q in &mut out.quotes {
        q.start = offsets.char_at(q.start);
        q.end = offsets.char_at(q.end);
    }
    out.dates = dates;
    for d in &mut out.dates {
        d.start = offsets.char_at(d.start);
        d.end = offsets.char_at(d.end);
    }
    out.quantities = quantities;
    for q in &mut out.quantities {
        q.start = offsets.char_at(q.start);
        q.end = offsets.char_at(q.end);
    }
    tally.add("entities", out.entities.len() as u64);
    tally.add("mentions", out.mentions.len() as u64);
    tally.add("quotes", out.quotes.len() as u64);
    tally.add(
        "quotes-attributed",
        out.quotes.iter().filter(|q| !q.speaker.is_empty()).count() as u64,
    );
    tally.add("dates", out.dates.len() as u64);
    tally.add(
        "dates-unresolved",
        out.dates.iter().filter(|d| d.value.is_empty()).count() as u64,
    );
    tally.add("quantities", out.quantities.len() as u64);
    doc.extracted = out;
}
