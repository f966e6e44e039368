//! What the stage records about each document in its two observation rounds.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use newsmill_core::{Document, Observer, StageError};
use xxhash_rust::xxh3::Xxh3;

use crate::config::DedupeConfig;
use crate::minhash::{MinHasher, Permutation};
use crate::persist;
use crate::prefilter;
use crate::shard::{self, Family, LoadedSets};
use crate::spill::{Partitions, SetFile, SetLoc};
use crate::text::{Scratch, compact, shingle_set, story_set};

/// Everything derived from the config that turns a text into hashes; shared by all threads.
#[derive(Debug)]
pub struct Sketcher {
    pub shingle_size: usize,
    pub story_shingle_size: usize,
    pub story_window: usize,
    pub story: bool,
    /// [`persist::config_digest`]: files of sharded runs carry it, so that one written with
    /// another config is refused.
    pub digest: u64,
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
            digest: persist::config_digest(cfg),
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

    /// Round 0 of one document: its compact record, its band keys (appended to `bands` as
    /// `seq` then one key per band) and its story fingerprints (appended to `story` as
    /// `fingerprint << 32 | seq`). `None` for a text without words.
    fn sketch(
        &self,
        doc: &Document,
        seq: u32,
        scratch: &mut Scratch,
        signature: &mut Vec<u64>,
        out: &mut SketchObserver,
    ) -> Option<()> {
        let mut exact = Xxh3::new();
        scratch.tokenize(&doc.text, self.token_seed, Some(&mut exact));
        if scratch.tokens.is_empty() {
            return None;
        }
        scratch.shingle(self.shingle_size, self.shingle_seed);
        self.minhash.signature(&scratch.shingles, signature);
        out.bands.push(seq);
        out.bands.extend(self.minhash.band_keys(signature));
        out.set_buf.clear();
        out.set_buf
            .extend(scratch.shingles.iter().map(|&h| compact(h)));
        out.set_buf.sort_unstable();
        out.set_buf.dedup();
        let set_size = u32::try_from(out.set_buf.len()).unwrap_or(u32::MAX);
        out.sketches
            .push(u64::from(seq) | u64::from(set_size) << 32);
        prefilter::sketch(signature, &mut out.sketches);
        if self.story {
            scratch.shingle(self.story_shingle_size, self.story_seed);
            for fp in self.story_fingerprints(scratch) {
                out.story.push(u64::from(fp) << 32 | u64::from(seq));
            }
        }
        let id_start = out.ids.len() as u64;
        out.ids.push_str(&doc.id);
        out.docs.push(DocRecord {
            exact: exact.digest128(),
            published: published_key(doc.published.as_deref()),
            id_start,
            seq,
            chars: u32::try_from(doc.text.chars().count()).unwrap_or(u32::MAX),
            id_len: u32::try_from(doc.id.len()).unwrap_or(u32::MAX),
        });
        Some(())
    }

    /// The LSH band keys of `text` (for documents added to the persistent index).
    pub fn band_keys(
        &self,
        text: &str,
        scratch: &mut Scratch,
        signature: &mut Vec<u64>,
    ) -> Vec<u32> {
        self.shingles(text, scratch);
        self.minhash.signature(&scratch.shingles, signature);
        self.minhash.band_keys(signature).collect()
    }
}

/// `published` as an integer that sorts like the ISO 8601 string it came from:
/// `YYYYMMDDhhmmss` from "YYYY-MM-DD[Thh:mm[:ss]]..." (missing time fields count as 0). A
/// missing or unparseable date is `u64::MAX`: it sorts last, as a missing date always did.
pub fn published_key(published: Option<&str>) -> u64 {
    let Some(p) = published.map(str::trim) else {
        return u64::MAX;
    };
    let b = p.as_bytes();
    let digits = |from: usize, n: usize| -> Option<u64> {
        let part = b.get(from..from + n)?;
        part.iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    let (Some(y), Some(mo), Some(d)) = (digits(0, 4), digits(5, 2), digits(8, 2)) else {
        return u64::MAX;
    };
    if !sep(4, b"-") || !sep(7, b"-") {
        return u64::MAX;
    }
    let key = (y * 100 + mo) * 100 + d;
    let mut time = 0u64;
    if sep(10, b"T ")
        && let (Some(h), Some(mi)) = (digits(11, 2), digits(14, 2))
    {
        time = (h * 100 + mi) * 100;
        if sep(16, b":") {
            time += digits(17, 2).unwrap_or(0);
        }
    }
    key * 1_000_000 + time
}

/// The compact round-0 state of one document (its band keys and fingerprints are in the
/// scratch partitions, not here).
#[derive(Clone, Copy, Debug)]
pub struct DocRecord {
    /// xxh3-128 of the normalised text.
    pub exact: u128,
    /// [`published_key`].
    pub published: u64,
    /// The id, in the observer's (later the decision's) id arena.
    pub id_start: u64,
    pub seq: u32,
    pub chars: u32,
    pub id_len: u32,
}

impl DocRecord {
    pub fn id<'a>(&self, arena: &'a str) -> &'a str {
        usize::try_from(self.id_start)
            .ok()
            .and_then(|s| arena.get(s..s + self.id_len as usize))
            .unwrap_or_default()
    }
}

/// Records buffered by an observer before they are appended to the partitions.
const FLUSH_RECORDS: usize = 1 << 15;
/// Story fingerprints are partitioned by their top bits.
pub const STORY_PARTITION_BITS: u32 = 6;

/// The scratch partitions round 0 writes: one per LSH band, the pre-filter sketches, and story
/// fingerprints by hash.
pub struct RoundZeroSpill {
    pub bands: Partitions,
    /// One partition of records `seq | set size << 32` each followed by the packed b-bit
    /// sketch ([`prefilter::sketch`]).
    pub sketches: Partitions,
    pub story: Partitions,
}

/// Round 0: a compact record of every live document with text; band keys and fingerprints go
/// to the partitions.
pub struct SketchObserver {
    pub(crate) sketcher: Arc<Sketcher>,
    pub(crate) spill: Arc<RoundZeroSpill>,
    scratch: Scratch,
    signature: Vec<u64>,
    pub docs: Vec<DocRecord>,
    pub ids: String,
    /// Per document: seq, then one key per band.
    bands: Vec<u32>,
    /// `fingerprint << 32 | seq`.
    story: Vec<u64>,
    /// Per document: `seq | set size << 32`, then its packed sketch.
    sketches: Vec<u64>,
    /// Reused to count a document's distinct shingles.
    set_buf: Vec<u32>,
    /// A document numbered beyond `u32::MAX` was seen (records hold 32-bit numbers).
    pub too_many: bool,
    records: Vec<u64>,
    /// Partition files of shards' saved observers (sharded runs), attached to the spill
    /// when decided.
    pub loaded: Vec<(Family, usize, PathBuf)>,
}

impl SketchObserver {
    pub fn new(sketcher: Arc<Sketcher>, spill: Arc<RoundZeroSpill>) -> Self {
        SketchObserver {
            sketcher,
            spill,
            scratch: Scratch::default(),
            signature: Vec::new(),
            docs: Vec::new(),
            ids: String::new(),
            bands: Vec::new(),
            story: Vec::new(),
            sketches: Vec::new(),
            set_buf: Vec::new(),
            too_many: false,
            records: Vec::new(),
            loaded: Vec::new(),
        }
    }

    /// Appends the buffered band keys and fingerprints to the partitions.
    pub fn flush(&mut self) {
        let stride = self.spill.bands.count() + 1;
        if !self.bands.is_empty() {
            for band in 0..stride - 1 {
                self.records.clear();
                for doc in self.bands.chunks_exact(stride) {
                    let key = doc.get(band + 1).copied().unwrap_or(0);
                    self.records.push(u64::from(key) << 32 | u64::from(doc[0]));
                }
                self.spill.bands.append(band, &self.records);
            }
            self.bands.clear();
        }
        if !self.sketches.is_empty() {
            self.spill.sketches.append(0, &self.sketches);
            self.sketches.clear();
        }
        if !self.story.is_empty() {
            self.story.sort_unstable();
            for run in self.story.chunk_by(|a, b| {
                a >> (64 - STORY_PARTITION_BITS) == b >> (64 - STORY_PARTITION_BITS)
            }) {
                let part = (run[0] >> (64 - STORY_PARTITION_BITS)) as usize;
                self.spill.story.append(part, run);
            }
            self.story.clear();
        }
    }

    fn flush_if_full(&mut self) {
        if self.bands.len() + self.story.len() + self.sketches.len() >= FLUSH_RECORDS {
            self.flush();
        }
    }
}

impl Observer for SketchObserver {
    fn observe(&mut self, doc: &Document) {
        if !doc.status.is_live() {
            return;
        }
        let Ok(seq) = u32::try_from(doc.seq) else {
            self.too_many = true;
            return;
        };
        let sketcher = self.sketcher.clone();
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut signature = std::mem::take(&mut self.signature);
        sketcher.sketch(doc, seq, &mut scratch, &mut signature, self);
        self.scratch = scratch;
        self.signature = signature;
        self.flush_if_full();
    }

    fn merge(&mut self, other: Box<dyn Observer>) {
        // Order does not matter: decide sorts records, and partitions are sorted when read.
        if let Ok(other) = other.into_any().downcast::<SketchObserver>() {
            let shift = self.ids.len() as u64;
            self.ids.push_str(&other.ids);
            self.docs.extend(other.docs.iter().map(|d| DocRecord {
                id_start: d.id_start + shift,
                ..*d
            }));
            self.bands.extend_from_slice(&other.bands);
            self.story.extend_from_slice(&other.story);
            self.sketches.extend_from_slice(&other.sketches);
            self.too_many |= other.too_many;
            self.loaded.extend(other.loaded.iter().cloned());
            self.flush_if_full();
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn save(self: Box<Self>, dir: &Path) -> Result<(), StageError> {
        shard::save_sketches(*self, dir).map_err(StageError::from)
    }
}

/// Which sets round 1 collects for a document: bits of one byte per document number.
pub mod wanted {
    pub const DUPLICATE: u8 = 1;
    pub const STORY: u8 = 2;
    /// The band keys, for a document that will be added to the persistent index.
    pub const BANDS: u8 = 4;
}

/// What round 1 stored for one document.
#[derive(Clone, Copy, Debug)]
pub struct Stored {
    pub seq: u32,
    pub what: u8,
    pub loc: SetLoc,
}

/// Round 1: the exact shingle sets of each document that round 0 marked for verification,
/// appended to the set file; memory keeps where each one lies.
pub struct SetObserver {
    pub(crate) sketcher: Arc<Sketcher>,
    wanted: Arc<Vec<u8>>,
    pub(crate) sets: Arc<SetFile>,
    scratch: Scratch,
    signature: Vec<u64>,
    pub stored: Vec<Stored>,
    /// Shards' saved sets (sharded runs), attached to the set file when decided.
    pub loaded: Vec<LoadedSets>,
}

impl SetObserver {
    pub fn new(sketcher: Arc<Sketcher>, wanted: Arc<Vec<u8>>, sets: Arc<SetFile>) -> Self {
        SetObserver {
            sketcher,
            wanted,
            sets,
            scratch: Scratch::default(),
            signature: Vec::new(),
            stored: Vec::new(),
            loaded: Vec::new(),
        }
    }

    fn store(&mut self, seq: u32, what: u8, set: &[u32]) {
        if let Some(loc) = self.sets.append(set) {
            self.stored.push(Stored { seq, what, loc });
        }
    }
}

impl Observer for SetObserver {
    fn observe(&mut self, doc: &Document) {
        if !doc.status.is_live() {
            return;
        }
        let Some((seq, &flags)) = u32::try_from(doc.seq)
            .ok()
            .and_then(|seq| Some((seq, self.wanted.get(seq as usize)?)))
        else {
            return;
        };
        if flags & wanted::DUPLICATE != 0 {
            self.sketcher.shingles(&doc.text, &mut self.scratch);
            let set = shingle_set(&self.scratch.shingles);
            self.store(seq, wanted::DUPLICATE, &set);
        }
        if flags & wanted::STORY != 0 {
            let set = self.sketcher.story_set(&doc.text, &mut self.scratch);
            self.store(seq, wanted::STORY, &set);
        }
        if flags & wanted::BANDS != 0 {
            let keys = self
                .sketcher
                .band_keys(&doc.text, &mut self.scratch, &mut self.signature);
            self.store(seq, wanted::BANDS, &keys);
        }
    }

    fn merge(&mut self, other: Box<dyn Observer>) {
        if let Ok(other) = other.into_any().downcast::<SetObserver>() {
            let SetObserver { stored, loaded, .. } = *other;
            self.stored.extend_from_slice(&stored);
            self.loaded.extend(loaded);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn save(self: Box<Self>, dir: &Path) -> Result<(), StageError> {
        shard::save_sets(*self, dir).map_err(StageError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::published_key;

    #[test]
    fn published_keys_sort_like_iso_dates_and_unparseable_ones_last() {
        let keys: Vec<u64> = [
            "2016-03-05",
            "2016-03-05T14:02:11Z",
            "2016-03-05 14:02:12+01:00",
            "2016-03-05T14:03",
            "2016-11-01T00:00:00Z",
            "2017-01-01T00:00:00.5Z",
        ]
        .iter()
        .map(|p| published_key(Some(p)))
        .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(published_key(Some("2016-03-05T14:02:11Z")), 20160305140211);
        for odd in [
            "",
            "yesterday",
            "2016/03/05",
            "５０１６-03-05",
            "2016-0",
            "€",
        ] {
            assert_eq!(published_key(Some(odd)), u64::MAX, "{odd}");
        }
        assert_eq!(published_key(None), u64::MAX);
    }
}
