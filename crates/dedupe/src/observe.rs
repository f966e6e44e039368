//! What the stage records about each document in its two observation rounds.

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;

use newsmill_core::{Document, Observer};
use xxhash_rust::xxh3::Xxh3;

use crate::config::DedupeConfig;
use crate::minhash::{MinHasher, Permutation};
use crate::text::{Scratch, compact, shingle_set};

/// Everything derived from the config that turns a text into hashes; shared by all threads.
#[derive(Debug)]
pub struct Sketcher {
    pub shingle_size: usize,
    pub story_shingle_size: usize,
    pub story_sample: u64,
    pub story: bool,
    token_seed: u64,
    shingle_seed: u64,
    story_seed: u64,
    minhash: MinHasher,
}

impl Sketcher {
    pub fn new(cfg: &DedupeConfig) -> Self {
        Sketcher {
            shingle_size: cfg.shingle_size,
            story_shingle_size: cfg.story_shingle_size,
            story_sample: cfg.story_sample.max(1),
            story: cfg.story,
            token_seed: cfg.seed,
            shingle_seed: cfg.seed.rotate_left(17) ^ 0x5348_494e_474c_4531,
            story_seed: cfg.seed.rotate_left(41) ^ 0x5354_4f52_5953_4831,
            minhash: MinHasher::new(Permutation::Mix, cfg.bands, cfg.rows, cfg.seed),
        }
    }

    /// Tokens and near-duplicate shingles of `text` into `scratch`.
    pub fn shingles(&self, text: &str, scratch: &mut Scratch) {
        scratch.tokenize(text, self.token_seed, None);
        scratch.shingle(self.shingle_size, self.shingle_seed);
    }

    /// Tokens and story shingles of `text` into `scratch`.
    pub fn story_shingles(&self, text: &str, scratch: &mut Scratch) {
        scratch.tokenize(text, self.token_seed, None);
        scratch.shingle(self.story_shingle_size, self.story_seed);
    }

    /// Whether a story shingle is one of the sampled fingerprints.
    #[allow(clippy::manual_is_multiple_of)] // `is_multiple_of` needs Rust 1.87; newsmill supports 1.85.
    pub fn sampled(&self, h: u64) -> bool {
        h % self.story_sample == 0
    }

    fn sketch(
        &self,
        doc: &Document,
        scratch: &mut Scratch,
        signature: &mut Vec<u64>,
    ) -> Option<DocSketch> {
        let mut exact = Xxh3::new();
        scratch.tokenize(&doc.text, self.token_seed, Some(&mut exact));
        if scratch.tokens.is_empty() {
            return None;
        }
        scratch.shingle(self.shingle_size, self.shingle_seed);
        self.minhash.signature(&scratch.shingles, signature);
        let bands = self.minhash.band_keys(signature).collect();
        let story = if self.story {
            scratch.shingle(self.story_shingle_size, self.story_seed);
            let mut fps: Vec<u32> = scratch
                .shingles
                .iter()
                .filter(|&&h| self.sampled(h))
                .map(|&h| compact(h))
                .collect();
            fps.sort_unstable();
            fps.dedup();
            fps.into_boxed_slice()
        } else {
            Box::default()
        };
        Some(DocSketch {
            seq: doc.seq,
            id: doc.id.clone(),
            published: doc.published.clone(),
            chars: u32::try_from(doc.text.chars().count()).unwrap_or(u32::MAX),
            exact: exact.digest128(),
            bands,
            story,
        })
    }
}

/// The compact round-0 state of one document.
#[derive(Clone, Debug)]
pub struct DocSketch {
    pub seq: u64,
    pub id: String,
    pub published: Option<String>,
    pub chars: u32,
    /// xxh3-128 of the normalised text.
    pub exact: u128,
    /// LSH band keys of the MinHash signature.
    pub bands: Box<[u32]>,
    /// Sorted sampled story fingerprints (empty when story clusters are off).
    pub story: Box<[u32]>,
}

/// Round 0: a sketch of every live document with text.
pub struct SketchObserver {
    sketcher: Arc<Sketcher>,
    scratch: Scratch,
    signature: Vec<u64>,
    pub sketches: Vec<DocSketch>,
}

impl SketchObserver {
    pub fn new(sketcher: Arc<Sketcher>) -> Self {
        SketchObserver {
            sketcher,
            scratch: Scratch::default(),
            signature: Vec::new(),
            sketches: Vec::new(),
        }
    }
}

impl Observer for SketchObserver {
    fn observe(&mut self, doc: &Document) {
        if !doc.status.is_live() {
            return;
        }
        if let Some(sketch) = self
            .sketcher
            .sketch(doc, &mut self.scratch, &mut self.signature)
        {
            self.sketches.push(sketch);
        }
    }

    fn merge(&mut self, other: Box<dyn Observer>) {
        // Order does not matter: decide sorts by seq.
        if let Ok(other) = other.into_any().downcast::<SketchObserver>() {
            self.sketches.extend(other.sketches);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// Round 1: the full shingle set of each document that round 0 marked for verification.
pub struct SetObserver {
    sketcher: Arc<Sketcher>,
    wanted: Arc<HashSet<u64>>,
    scratch: Scratch,
    pub sets: Vec<(u64, Vec<u32>)>,
}

impl SetObserver {
    pub fn new(sketcher: Arc<Sketcher>, wanted: Arc<HashSet<u64>>) -> Self {
        SetObserver {
            sketcher,
            wanted,
            scratch: Scratch::default(),
            sets: Vec::new(),
        }
    }
}

impl Observer for SetObserver {
    fn observe(&mut self, doc: &Document) {
        if !doc.status.is_live() || !self.wanted.contains(&doc.seq) {
            return;
        }
        self.sketcher.shingles(&doc.text, &mut self.scratch);
        self.sets
            .push((doc.seq, shingle_set(&self.scratch.shingles)));
    }

    fn merge(&mut self, other: Box<dyn Observer>) {
        if let Ok(other) = other.into_any().downcast::<SetObserver>() {
            self.sets.extend(other.sets);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}
