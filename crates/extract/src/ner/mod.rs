//! A statistical named-entity tagger in pure Rust: hashed features over a ±2 token window
//! (word, shape, affixes, gazetteers, document-level capitalisation evidence), an averaged
//! structured perceptron, Viterbi decoding over BILOU tags. Trained on CoNLL-2003 English; the
//! model shipped in `data/ner.model` is compiled into the binary, and [`train`] retrains one on
//! any CoNLL-formatted file.

mod conll;
mod features;
mod hash;
mod model;
mod tokens;
mod train;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use newsmill_core::EntityKind;

pub use model::KINDS;
pub use tokens::{sentences as token_sentences, tokenize};
pub use train::{TrainOptions, TrainReport, train};

const BUILTIN: &[u8] = include_bytes!("../../data/ner.model");

#[derive(Debug, thiserror::Error)]
pub enum NerError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Format {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("not a newsmill entity model")]
    NotAModel,
    #[error(
        "the entity model was made for feature set {found}; this build uses {expected}: retrain it"
    )]
    Version { found: u32, expected: u32 },
    #[error("the entity model file is truncated or damaged")]
    Truncated,
    #[error("{path}: {source}")]
    InFile {
        path: PathBuf,
        #[source]
        source: Box<NerError>,
    },
}

/// A loaded tagger.
pub struct NerModel {
    model: model::Model,
}

/// An entity found by the tagger: byte range into the text and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaggedSpan {
    pub start: usize,
    pub end: usize,
    pub kind: EntityKind,
}

fn compress(raw: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(raw, 9)
}

impl NerModel {
    /// The model compiled into the binary.
    pub fn builtin() -> &'static NerModel {
        static MODEL: OnceLock<NerModel> = OnceLock::new();
        MODEL.get_or_init(|| {
            features::warm_up();
            NerModel::from_bytes(BUILTIN).expect("the built-in entity model is valid")
        })
    }

    /// Reads a model written by [`train`].
    pub fn load(path: &Path) -> Result<NerModel, NerError> {
        let data = std::fs::read(path).map_err(|source| NerError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        NerModel::from_bytes(&data).map_err(|e| NerError::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    pub fn from_bytes(data: &[u8]) -> Result<NerModel, NerError> {
        let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(data, 256 << 20)
            .map_err(|_| NerError::NotAModel)?;
        features::warm_up();
        Ok(NerModel {
            model: model::Model::from_bytes(&raw)?,
        })
    }

    /// Number of features with weights.
    pub fn feature_count(&self) -> usize {
        self.model.feature_count()
    }

    /// Tags a document given as words and sentences (token index ranges tiling the words);
    /// returns token spans (end exclusive) with their kinds.
    pub fn tag_words(
        &self,
        words: &[&str],
        sentences: &[(usize, usize)],
    ) -> Vec<(usize, usize, EntityKind)> {
        let tiled = tile(sentences, words.len());
        thread_local! {
            static HASHES: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        HASHES.with(|cell| match cell.try_borrow_mut() {
            Ok(mut hashes) => self.tag_tiled(words, &tiled, &mut hashes),
            Err(_) => self.tag_tiled(words, &tiled, &mut Vec::new()),
        })
    }

    fn tag_tiled(
        &self,
        words: &[&str],
        tiled: &[(usize, usize)],
        hashes: &mut Vec<u64>,
    ) -> Vec<(usize, usize, EntityKind)> {
        let wanted = sentences_to_tag(words, tiled);
        features::extract_into(words, tiled, Some(&wanted), hashes);
        let mut out = Vec::new();
        let mut tags = Vec::new();
        for (&(s, e), wanted) in tiled.iter().zip(wanted) {
            if !wanted {
                continue;
            }
            let f = &hashes[s * features::FEATURES_PER_TOKEN..e * features::FEATURES_PER_TOKEN];
            self.model.decode(f, &mut tags);
            for (a, b, k) in model::spans(&tags) {
                out.push((s + a, s + b, k));
            }
        }
        out.into_iter().map(|(s, e, k)| (s, e, KINDS[k])).collect()
    }

    /// Tokenises, splits sentences and tags `text`; spans are byte ranges.
    pub fn tag_text(&self, text: &str) -> Vec<TaggedSpan> {
        let toks = tokens::tokenize(text);
        let sents = tokens::sentences(text, &toks);
        let words: Vec<&str> = toks.iter().map(|&(s, e)| &text[s..e]).collect();
        self.tag_words(&words, &sents)
            .into_iter()
            .map(|(s, e, kind)| TaggedSpan {
                start: toks[s].0,
                end: toks[e - 1].1,
                kind,
            })
            .collect()
    }
}

/// Which sentences may hold a name. Names are capitalised (CoNLL-2003 conventions), so a
/// sentence without capitals, or whose only capital letter starts a common word opening it
/// ("He said the talks would go on."), holds none, and the tagger skips it. An all-capitals
/// "US" is not such a word, nor is one the document prints capitalised inside a sentence
/// elsewhere ("West led the race" after "Kanye West").
fn sentences_to_tag(words: &[&str], tiled: &[(usize, usize)]) -> Vec<bool> {
    let capitals: Vec<Capitals> = tiled
        .iter()
        .map(|&(s, e)| capitals_of(words.get(s..e).unwrap_or(&[]), s))
        .collect();
    let candidates: HashSet<&str> = capitals
        .iter()
        .filter_map(|c| match c {
            Capitals::OnlyCommonOpening(i) => words.get(*i).copied(),
            _ => None,
        })
        .collect();
    let mut printed_inside: HashSet<&str> = HashSet::new();
    if !candidates.is_empty() {
        for &(s, e) in tiled {
            for w in words.get(s + 1..e).unwrap_or(&[]) {
                if candidates.contains(w) {
                    printed_inside.insert(w);
                }
            }
        }
    }
    capitals
        .iter()
        .map(|c| match c {
            Capitals::None => false,
            Capitals::OnlyCommonOpening(i) => {
                words.get(*i).is_none_or(|w| printed_inside.contains(w))
            }
            Capitals::Elsewhere => true,
        })
        .collect()
}

/// Where a sentence has capital letters.
enum Capitals {
    None,
    /// Only on its opening word (token index), a common word in title case.
    OnlyCommonOpening(usize),
    Elsewhere,
}

fn capitals_of(words: &[&str], first: usize) -> Capitals {
    let mut opening = None;
    let mut after_first_word = false;
    for (i, w) in words.iter().enumerate() {
        let capitals = w.chars().filter(|c| c.is_uppercase()).count();
        if capitals > 0 {
            let title_case = capitals == 1 && w.chars().next().is_some_and(char::is_uppercase);
            if after_first_word || !title_case || !crate::lexicon::lexicon().is_common(w) {
                return Capitals::Elsewhere;
            }
            opening = Some(first + i);
        }
        after_first_word |= w.chars().next().is_some_and(char::is_alphanumeric);
    }
    opening.map_or(Capitals::None, Capitals::OnlyCommonOpening)
}

/// Sentence ranges made to tile `0..n` exactly, whatever the caller passed.
fn tile(sentences: &[(usize, usize)], n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(sentences.len() + 1);
    let mut at = 0;
    for &(s, e) in sentences {
        let (s, e) = (s.max(at).min(n), e.min(n));
        if s > at {
            out.push((at, s));
        }
        if e > s {
            out.push((s, e));
            at = e;
        }
    }
    if at < n {
        out.push((at, n));
    }
    out
}

/// True and false positives and false negatives of one entity type.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub correct: usize,
    pub predicted: usize,
    pub gold: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        100.0 * self.correct as f64 / self.predicted.max(1) as f64
    }
    pub fn recall(&self) -> f64 {
        100.0 * self.correct as f64 / self.gold.max(1) as f64
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Exact-span scores (conlleval convention) and tagging speed.
#[derive(Clone, Debug, Default)]
pub struct EvalReport {
    pub per_kind: Vec<(EntityKind, Counts)>,
    pub overall: Counts,
    pub tokens: usize,
    /// Time spent extracting features and decoding, one thread.
    pub seconds: f64,
}

impl EvalReport {
    pub fn tokens_per_second(&self) -> f64 {
        self.tokens as f64 / self.seconds.max(1e-9)
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "type   precision  recall     F1   gold  predicted")?;
        let rows = self
            .per_kind
            .iter()
            .map(|(k, c)| (k.as_str(), c))
            .chain(std::iter::once(("all", &self.overall)));
        for (name, c) in rows {
            writeln!(
                f,
                "{name:<6} {:>9.2} {:>7.2} {:>6.2} {:>6} {:>10}",
                c.precision(),
                c.recall(),
                c.f1(),
                c.gold,
                c.predicted
            )?;
        }
        write!(
            f,
            "{} tokens in {:.3} s: {:.0} tokens/s (features and decoding, one core)",
            self.tokens,
            self.seconds,
            self.tokens_per_second()
        )
    }
}

/// Scores `model` on a CoNLL-2003 file.
pub fn evaluate(model: &NerModel, conll: &Path) -> Result<EvalReport, NerError> {
    let docs = conll::read(conll)?;
    Ok(evaluate_docs(model, &docs))
}

fn evaluate_docs(model: &NerModel, docs: &[conll::ConllDoc]) -> EvalReport {
    let mut per = vec![Counts::default(); KINDS.len()];
    let mut tokens = 0;
    let mut seconds = 0.0;
    for d in docs {
        let words: Vec<&str> = d.words.iter().map(String::as_str).collect();
        let started = Instant::now();
        let found = model.tag_words(&words, &d.sentences);
        seconds += started.elapsed().as_secs_f64();
        tokens += words.len();
        let gold: std::collections::HashSet<(usize, usize, usize)> =
            d.spans.iter().copied().collect();
        for &(_, _, k) in &d.spans {
            per[k].gold += 1;
        }
        for (s, e, kind) in found {
            let k = KINDS.iter().position(|x| *x == kind).unwrap_or(0);
            per[k].predicted += 1;
            if gold.contains(&(s, e, k)) {
                per[k].correct += 1;
            }
        }
    }
    let mut overall = Counts::default();
    for c in &per {
        overall.correct += c.correct;
        overall.predicted += c.predicted;
        overall.gold += c.gold;
    }
    EvalReport {
        per_kind: KINDS.iter().copied().zip(per).collect(),
        overall,
        tokens,
        seconds,
    }
}
