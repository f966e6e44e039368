//! What the stage records about each document in its two observation rounds.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use newsmill_core::{Document, Observer};
use xxhash_rust::xxh3::Xxh3;

use crate::config::DedupeConfig;
use crate::minhash::{MinHasher, Permutation};
use crate::text::{Scratch, compact, shingle_set, story_set};

/// Everything derived from the config that turns a text into hashes; shared by all threads.
#[derive(Debug)]
pub struct Sketcher {
    pub shingle_size: usize,
    pub story_shingle_size: usize,
    pub story_window: usize,
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
            story_window: cfg.story_window.max(1),
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

    /// Story fingerprints of the shingles in `scratch`: every quoted shingle (a quote shared
    /// word for word is the strongest sign of one story, even when short) and the smallest hash
    /// of every window of `story_window` shingles, so that any passage spanning a whole window
    /// yields the same fingerprint in every article that has it.
    fn story_fingerprints(&self, scratch: &Scratch) -> Box<[u32]> {
        let shingles = &scratch.shingles;
        let mut fps: Vec<u32> = shingles
            .iter()
            .zip(&scratch.shingle_quoted)
            .filter(|(_, q)| **q)
            .map(|(&h, _)| compact(h))
            .collect();
        let window = self.story_window.min(shingles.len()).max(1);
        let mut last: Option<usize> = None;
        for start in 0..=shingles.len().saturating_sub(window) {
            let Some(slice) = shingles.get(start..start + window) else {
                break;
            };
            // Rightmost minimum, so consecutive windows agree on the same position.
            let Some(pos) = (0..slice.len()).rev().min_by_key(|&k| slice[k]) else {
                continue;
            };
            if last != Some(start + pos) {
                last = Some(start + pos);
                fps.push(compact(slice[pos]));
            }
        }
        fps.sort_unstable();
        fps.dedup();
        fps.into_boxed_slice()
    }

    /// Tokens and story shingles of `text`, as the sorted story set (quoted flags kept).
    pub fn story_set(&self, text: &str, scratch: &mut Scratch) -> Vec<u32> {
        self.story_shingles(text, scratch);
        story_set(&scratch.shingles, &scratch.shingle_quoted)
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
            self.story_fingerprints(scratch)
        } else {
            Box::default()
        };
        Some(DocSketch {
            seq: doc.seq,
            id: doc.id.as_str().into(),
            published: doc.published.as_deref().map(Box::from),
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
    pub id: Box<str>,
    pub published: Option<Box<str>>,
    pub chars: u32,
    /// xxh3-128 of the normalised text.
    pub exact: u128,
    /// LSH band keys of the MinHash signature.
    pub bands: Box<[u32]>,
    /// Sorted story fingerprints (empty when story clusters are off).
    pub story: Box<[u32]>,
}

impl DocSketch {
    /// Bytes this sketch holds in memory (the struct and its heap parts, without allocator
    /// overhead): the per-document state of round 0.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.id.len()
            + self.published.as_ref().map_or(0, |p| p.len())
            + std::mem::size_of_val(&*self.bands)
            + std::mem::size_of_val(&*self.story)
    }
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

/// Which exact sets round 1 collects for a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub duplicate: bool,
    pub story: bool,
}

/// Round 1: the exact shingle sets of each document that round 0 marked for verification.
pub struct SetObserver {
    sketcher: Arc<Sketcher>,
    wanted: Arc<HashMap<u64, Wanted>>,
    scratch: Scratch,
    pub sets: Vec<(u64, Vec<u32>)>,
    pub story_sets: Vec<(u64, Vec<u32>)>,
}

impl SetObserver {
    pub fn new(sketcher: Arc<Sketcher>, wanted: Arc<HashMap<u64, Wanted>>) -> Self {
        SetObserver {
            sketcher,
            wanted,
            scratch: Scratch::default(),
            sets: Vec::new(),
            story_sets: Vec::new(),
        }
    }
}

impl Observer for SetObserver {
    fn observe(&mut self, doc: &Document) {
        if !doc.status.is_live() {
            return;
        }
        let Some(wanted) = self.wanted.get(&doc.seq) else {
            return;
        };
        if wanted.duplicate {
            self.sketcher.shingles(&doc.text, &mut self.scratch);
            self.sets
                .push((doc.seq, shingle_set(&self.scratch.shingles)));
        }
        if wanted.story {
            let set = self.sketcher.story_set(&doc.text, &mut self.scratch);
            self.story_sets.push((doc.seq, set));
        }
    }

    fn merge(&mut self, other: Box<dyn Observer>) {
        if let Ok(other) = other.into_any().downcast::<SetObserver>() {
            self.sets.extend(other.sets);
            self.story_sets.extend(other.story_sets);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}
