//! The tag set, the compact runtime model (an open-addressing table of quantised weights) and
//! Viterbi decoding over BILOU tags with the transitions that cannot occur forbidden.

use newsmill_core::EntityKind;

use super::NerError;
use super::features::{FEATURE_SET_VERSION, FEATURES_PER_TOKEN, WORD_FEATURES, WORD_KEY};

pub const KINDS: [EntityKind; 4] = [
    EntityKind::PER,
    EntityKind::ORG,
    EntityKind::LOC,
    EntityKind::MISC,
];

/// O, then B, I, L, U for each kind.
pub const NUM_TAGS: usize = 1 + 4 * KINDS.len();
/// Row of transition weights out of the sentence start.
pub const START: usize = NUM_TAGS;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Part {
    Outside,
    Begin,
    Inside,
    Last,
    Unit,
}

pub const fn tag_of(part: Part, kind: usize) -> usize {
    match part {
        Part::Outside => 0,
        Part::Begin => 1 + 4 * kind,
        Part::Inside => 2 + 4 * kind,
        Part::Last => 3 + 4 * kind,
        Part::Unit => 4 + 4 * kind,
    }
}

pub fn part_of(tag: usize) -> (Part, usize) {
    if tag == 0 {
        return (Part::Outside, 0);
    }
    let kind = (tag - 1) / 4;
    let part = match (tag - 1) % 4 {
        0 => Part::Begin,
        1 => Part::Inside,
        2 => Part::Last,
        _ => Part::Unit,
    };
    (part, kind)
}

/// Whether tag `b` may follow tag `a` (`a == START` for the first token).
pub fn allowed(a: usize, b: usize) -> bool {
    let (pb, kb) = part_of(b);
    let open = a != START && matches!(part_of(a).0, Part::Begin | Part::Inside);
    if open {
        matches!(pb, Part::Inside | Part::Last) && kb == part_of(a).1
    } else {
        matches!(pb, Part::Outside | Part::Begin | Part::Unit)
    }
}

pub fn allowed_last(a: usize) -> bool {
    !matches!(part_of(a).0, Part::Begin | Part::Inside)
}

/// Token spans (end exclusive) with their kind index from a tag sequence.
pub fn spans(tags: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for (i, &t) in tags.iter().enumerate() {
        let (p, k) = part_of(t);
        match p {
            Part::Outside => open = None,
            Part::Unit => {
                out.push((i, i + 1, k));
                open = None;
            }
            Part::Begin => open = Some((i, k)),
            Part::Inside => {
                if open.is_none_or(|(_, ok)| ok != k) {
                    open = Some((i, k));
                }
            }
            Part::Last => {
                let s = match open {
                    Some((s, ok)) if ok == k => s,
                    _ => i,
                };
                out.push((s, i + 1, k));
                open = None;
            }
        }
    }
    out
}

/// Tags that close or open nothing (O, L, U): the only ones a tag outside an entity, a B or a
/// U may follow.
const CLOSED: [usize; 1 + 2 * KINDS.len()] = closed_tags([Part::Last, Part::Unit]);
/// Tags that may follow a closed one (O, B, U).
const CLOSED_OR_OPENING: [usize; 1 + 2 * KINDS.len()] = closed_tags([Part::Begin, Part::Unit]);

/// O, then the two given parts of every kind, in increasing tag order.
const fn closed_tags(parts: [Part; 2]) -> [usize; 1 + 2 * KINDS.len()] {
    let mut out = [0; 1 + 2 * KINDS.len()];
    let mut k = 0;
    while k < KINDS.len() {
        out[1 + 2 * k] = tag_of(parts[0], k);
        out[2 + 2 * k] = tag_of(parts[1], k);
        k += 1;
    }
    out
}

/// Entries of the per-thread cache of word rows (a power of two).
const WORD_CACHE_SIZE: usize = 1 << 13;

/// Summed weight rows of the word-only features, per word form, for one model; direct-mapped
/// (a colliding word replaces the entry), so it stays small and in cache. Only a cache: the
/// tags never depend on what it holds.
struct WordCache {
    model: u64,
    keys: Vec<u64>,
    sums: Vec<[i32; NUM_TAGS]>,
}

impl WordCache {
    fn prepare(&mut self, model: u64) {
        if self.model != model || self.keys.len() != WORD_CACHE_SIZE {
            self.model = model;
            self.keys.clear();
            self.keys.resize(WORD_CACHE_SIZE, 0);
            self.sums.clear();
            self.sums.resize(WORD_CACHE_SIZE, [0; NUM_TAGS]);
        }
    }

    #[inline]
    fn get(&self, key: u64) -> Option<[i32; NUM_TAGS]> {
        let i = key as usize & (WORD_CACHE_SIZE - 1);
        // Feature hashes are never 0, so an empty entry never matches.
        (self.keys.get(i) == Some(&key)).then(|| self.sums[i])
    }

    #[inline]
    fn put(&mut self, key: u64, sum: [i32; NUM_TAGS]) {
        let i = key as usize & (WORD_CACHE_SIZE - 1);
        if let (Some(k), Some(s)) = (self.keys.get_mut(i), self.sums.get_mut(i)) {
            *k = key;
            *s = sum;
        }
    }
}

/// Per-thread buffers of [`Model::decode`], reused across sentences and documents.
#[derive(Default)]
struct Scratch {
    scores: Vec<[i32; NUM_TAGS]>,
    back: Vec<[u8; NUM_TAGS]>,
    words: WordCache,
}

impl Default for WordCache {
    fn default() -> Self {
        WordCache {
            model: u64::MAX,
            keys: Vec::new(),
            sums: Vec::new(),
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Distinguishes models in the per-thread word cache.
static NEXT_MODEL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A trained tagger. Lookups probe a small array of 32-bit fingerprints (high half of the
/// feature hash; the low bits pick the slot) that mostly stays in cache, and touch the weight
/// rows only for features the model knows: most features of new text are unknown.
pub struct Model {
    /// Per slot: the fingerprint of the feature stored there, 0 when the slot is empty.
    slots: Vec<u32>,
    /// Per slot: the feature hash (kept for writing the model back).
    keys: Vec<u64>,
    /// Per slot: the weights of the feature stored there (all 0 in empty slots).
    rows: Vec<[i16; NUM_TAGS]>,
    mask: usize,
    /// (NUM_TAGS + 1) × NUM_TAGS transition weights, then NUM_TAGS weights into the end.
    transitions: Vec<i32>,
    /// The transitions with forbidden ones (and forbidden ends) set to `FORBIDDEN`.
    constrained: Vec<i64>,
    features: usize,
    /// Unique per model built in this process (keys the per-thread word cache).
    id: u64,
}

/// Never 0, which marks an empty slot.
fn fingerprint(key: u64) -> u32 {
    ((key >> 32) as u32).max(1)
}

const FORBIDDEN: i64 = -(1 << 50);

const MAGIC: &[u8; 8] = b"NMNER\x00\x01\x00";

fn read_u32(data: &[u8], at: &mut usize) -> Result<u32, NerError> {
    let b = data.get(*at..*at + 4).ok_or(NerError::Truncated)?;
    *at += 4;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_u64(data: &[u8], at: &mut usize) -> Result<u64, NerError> {
    let b = data.get(*at..*at + 8).ok_or(NerError::Truncated)?;
    *at += 8;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

fn read_i16(data: &[u8], at: &mut usize) -> Result<i16, NerError> {
    let b = data.get(*at..*at + 2).ok_or(NerError::Truncated)?;
    *at += 2;
    Ok(i16::from_le_bytes([b[0], b[1]]))
}

impl Model {
    /// Builds the runtime table from (feature hash, sparse (tag, weight) pairs).
    pub fn from_parts(rows: Vec<(u64, Vec<(u8, i16)>)>, transitions: Vec<i32>) -> Model {
        let n = rows.len();
        // At most half full: most features of new text are unknown, and an unsuccessful linear
        // probe grows quickly with the load.
        let cap = (n * 2).max(16).next_power_of_two();
        let mask = cap - 1;
        let mut slots = vec![0u32; cap];
        let mut keys = vec![0u64; cap];
        let mut weights = vec![[0i16; NUM_TAGS]; cap];
        let mut features = 0;
        for (key, pairs) in rows {
            let fp = fingerprint(key);
            let mut i = key as usize & mask;
            // Two features with the same slot chain and fingerprint share a row: their 49
            // hash bits collide, which is as good as never for a model of this size.
            while slots[i] != 0 && slots[i] != fp {
                i = (i + 1) & mask;
            }
            if slots[i] == 0 {
                slots[i] = fp;
                keys[i] = key;
                features += 1;
            }
            for (t, w) in pairs {
                if let Some(x) = weights[i].get_mut(t as usize) {
                    *x = w;
                }
            }
        }
        let mut constrained: Vec<i64> = transitions.iter().map(|&t| t as i64).collect();
        constrained.resize((NUM_TAGS + 2) * NUM_TAGS, 0);
        for from in 0..=NUM_TAGS {
            for to in 0..NUM_TAGS {
                if !allowed(from, to) {
                    constrained[from * NUM_TAGS + to] = FORBIDDEN;
                }
            }
        }
        for from in 0..NUM_TAGS {
            if !allowed_last(from) {
                constrained[(NUM_TAGS + 1) * NUM_TAGS + from] = FORBIDDEN;
            }
        }
        Model {
            slots,
            keys,
            rows: weights,
            mask,
            transitions,
            constrained,
            features,
            id: NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    pub fn feature_count(&self) -> usize {
        self.features
    }

    /// Adds the weight rows of `features` that the model knows to `acc`.
    #[inline]
    fn add_rows(&self, features: &[u64], acc: &mut [i32; NUM_TAGS]) {
        // Three passes, so that the processor overlaps the cache misses instead of waiting for
        // each: load every feature's home slot (independent loads, no branches), then resolve
        // the slots (a rare second probe stays in the same cache line), then add the rows.
        let mut home = [0u32; FEATURES_PER_TOKEN];
        for (h, &f) in home.iter_mut().zip(features) {
            *h = self.slots.get(f as usize & self.mask).copied().unwrap_or(0);
        }
        let mut hits = [0usize; FEATURES_PER_TOKEN];
        let mut found = 0;
        for (&f, &first) in features.iter().zip(&home) {
            let fp = fingerprint(f);
            let row = if first == fp {
                Some(f as usize & self.mask)
            } else if first == 0 {
                None
            } else {
                self.find_after(f, fp)
            };
            if let Some(row) = row
                && let Some(h) = hits.get_mut(found)
            {
                *h = row;
                found += 1;
            }
        }
        for &row in &hits[..found] {
            if let Some(w) = self.rows.get(row) {
                for (a, &x) in acc.iter_mut().zip(w.iter()) {
                    *a += x as i32;
                }
            }
        }
    }

    /// The slot of feature `key` (fingerprint `fp`) when its home slot holds another feature.
    #[inline(never)]
    fn find_after(&self, key: u64, fp: u32) -> Option<usize> {
        let mut i = key as usize & self.mask;
        // The table is at most half full, so an empty slot ends every probe.
        loop {
            i = (i + 1) & self.mask;
            let s = *self.slots.get(i)?;
            if s == fp {
                return Some(i);
            }
            if s == 0 {
                return None;
            }
        }
    }

    /// Best tag sequence for one sentence given its tokens' features.
    pub fn decode(&self, features: &[u64], out: &mut Vec<usize>) {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.decode_with(features, out, &mut scratch),
            Err(_) => self.decode_with(features, out, &mut Scratch::default()),
        })
    }

    fn decode_with(&self, features: &[u64], out: &mut Vec<usize>, scratch: &mut Scratch) {
        let n = features.len() / FEATURES_PER_TOKEN;
        out.clear();
        if n == 0 {
            return;
        }
        let Scratch {
            scores,
            back,
            words,
        } = scratch;
        words.prepare(self.id);
        scores.clear();
        scores.reserve(n);
        for token in features.chunks_exact(FEATURES_PER_TOKEN) {
            let (own, context) = token.split_at(WORD_FEATURES);
            // The features of the word alone are the same wherever the word occurs, so their
            // summed rows are cached per word form: one lookup instead of `WORD_FEATURES`.
            let mut acc = match words.get(own[WORD_KEY]) {
                Some(sum) => sum,
                None => {
                    let mut sum = [0i32; NUM_TAGS];
                    self.add_rows(own, &mut sum);
                    words.put(own[WORD_KEY], sum);
                    sum
                }
            };
            self.add_rows(context, &mut acc);
            scores.push(acc);
        }
        self.viterbi_fast(scores, back, out);
    }

    /// Viterbi specialised to integer scores and to the BILOU structure: a tag that opens or
    /// continues nothing (O, B, U) can only follow O, L, U or the start, and I and L of a kind
    /// only follow B or I of that kind, so each step looks at 97 transitions instead of 289.
    fn viterbi_fast(
        &self,
        scores: &[[i32; NUM_TAGS]],
        back: &mut Vec<[u8; NUM_TAGS]>,
        out: &mut Vec<usize>,
    ) {
        let n = scores.len();
        let trans = &self.constrained;
        // 64-bit sums: a forbidden step costs more than any sentence can score.
        let mut best = [0i64; NUM_TAGS];
        back.clear();
        back.resize(n, [0u8; NUM_TAGS]);
        for t in 0..NUM_TAGS {
            best[t] = trans[START * NUM_TAGS + t] + scores[0][t] as i64;
        }
        for i in 1..n {
            let mut next = [0i64; NUM_TAGS];
            let step = &mut back[i];
            for &t in &CLOSED_OR_OPENING {
                let mut top = i64::MIN;
                let mut arg = 0u8;
                for &p in &CLOSED {
                    let s = best[p] + trans[p * NUM_TAGS + t];
                    if s > top {
                        top = s;
                        arg = p as u8;
                    }
                }
                next[t] = top + scores[i][t] as i64;
                step[t] = arg;
            }
            for k in 0..KINDS.len() {
                let (b, inside) = (tag_of(Part::Begin, k), tag_of(Part::Inside, k));
                for t in [inside, tag_of(Part::Last, k)] {
                    let from_b = best[b] + trans[b * NUM_TAGS + t];
                    let from_i = best[inside] + trans[inside * NUM_TAGS + t];
                    // Ties go to the lower tag, as a scan over all tags would.
                    let (top, arg) = if from_i > from_b {
                        (from_i, inside)
                    } else {
                        (from_b, b)
                    };
                    next[t] = top + scores[i][t] as i64;
                    step[t] = arg as u8;
                }
            }
            best = next;
        }
        let mut t = 0;
        let mut top = i64::MIN;
        for (x, &b) in best.iter().enumerate() {
            let s = b + trans[(NUM_TAGS + 1) * NUM_TAGS + x];
            if s > top {
                top = s;
                t = x;
            }
        }
        out.clear();
        out.resize(n, 0);
        for i in (0..n).rev() {
            out[i] = t;
            t = back[i][t] as usize;
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FEATURE_SET_VERSION.to_le_bytes());
        out.extend_from_slice(&(NUM_TAGS as u32).to_le_bytes());
        out.extend_from_slice(&(self.transitions.len() as u32).to_le_bytes());
        for &t in &self.transitions {
            out.extend_from_slice(&t.to_le_bytes());
        }
        let mut rows: Vec<(u64, &[i16; NUM_TAGS])> = self
            .keys
            .iter()
            .zip(&self.rows)
            .zip(&self.slots)
            .filter(|(_, fp)| **fp != 0)
            .map(|((k, r), _)| (*k, r))
            .collect();
        rows.sort_by_key(|r| r.0);
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        for (key, weights) in rows {
            out.extend_from_slice(&key.to_le_bytes());
            let nz: Vec<(usize, i16)> = weights
                .iter()
                .enumerate()
                .filter(|(_, w)| **w != 0)
                .map(|(t, w)| (t, *w))
                .collect();
            // A bit mask of the tags present, then their weights.
            let mut mask: u32 = 0;
            for (t, _) in &nz {
                mask |= 1 << t;
            }
            out.extend_from_slice(&mask.to_le_bytes()[..3]);
            for (_, w) in nz {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(data: &[u8]) -> Result<Model, NerError> {
        if data.get(..8) != Some(MAGIC.as_slice()) {
            return Err(NerError::NotAModel);
        }
        let mut at = 8;
        let version = read_u32(data, &mut at)?;
        let tags = read_u32(data, &mut at)?;
        if version != FEATURE_SET_VERSION || tags as usize != NUM_TAGS {
            return Err(NerError::Version {
                found: version,
                expected: FEATURE_SET_VERSION,
            });
        }
        let nt = read_u32(data, &mut at)? as usize;
        if nt != (NUM_TAGS + 2) * NUM_TAGS {
            return Err(NerError::Truncated);
        }
        let mut transitions = Vec::with_capacity(nt);
        for _ in 0..nt {
            transitions.push(read_u32(data, &mut at)? as i32);
        }
        let n = read_u32(data, &mut at)? as usize;
        let mut rows = Vec::with_capacity(n.min(data.len() / 8));
        for _ in 0..n {
            let key = read_u64(data, &mut at)?;
            let m = data.get(at..at + 3).ok_or(NerError::Truncated)?;
            at += 3;
            let mask = u32::from_le_bytes([m[0], m[1], m[2], 0]);
            let mut pairs = Vec::with_capacity(mask.count_ones() as usize);
            for t in 0..NUM_TAGS {
                if mask & (1 << t) != 0 {
                    pairs.push((t as u8, read_i16(data, &mut at)?));
                }
            }
            rows.push((key | 1, pairs));
        }
        Ok(Model::from_parts(rows, transitions))
    }
}

/// Viterbi over `n` tokens with emission `emit(i, tag)`, transitions `trans(from, to)` (from may
/// be `START`) and `end(tag)`; forbidden transitions are never taken.
pub fn viterbi<S: Copy + PartialOrd + std::ops::Add<Output = S> + Default>(
    n: usize,
    emit: impl Fn(usize, usize) -> S,
    trans: impl Fn(usize, usize) -> S,
    end: impl Fn(usize) -> S,
    out: &mut Vec<usize>,
) {
    out.clear();
    if n == 0 {
        return;
    }
    let mut best: Vec<[Option<S>; NUM_TAGS]> = vec![[None; NUM_TAGS]; n];
    let mut back = vec![[0u8; NUM_TAGS]; n];
    for (t, b) in best[0].iter_mut().enumerate() {
        if allowed(START, t) {
            *b = Some(trans(START, t) + emit(0, t));
        }
    }
    for i in 1..n {
        let prev_row = best[i - 1];
        for t in 0..NUM_TAGS {
            let mut top: Option<(S, usize)> = None;
            for (p, prev) in prev_row.iter().enumerate() {
                let Some(prev) = *prev else { continue };
                if !allowed(p, t) {
                    continue;
                }
                let s = prev + trans(p, t);
                if top.is_none_or(|(b, _)| s > b) {
                    top = Some((s, p));
                }
            }
            if let Some((s, p)) = top {
                best[i][t] = Some(s + emit(i, t));
                back[i][t] = p as u8;
            }
        }
    }
    let mut last: Option<(S, usize)> = None;
    for (t, b) in best[n - 1].iter().enumerate() {
        if let Some(s) = *b
            && allowed_last(t)
        {
            let s = s + end(t);
            if last.is_none_or(|(b, _)| s > b) {
                last = Some((s, t));
            }
        }
    }
    let mut t = last.map_or(0, |(_, t)| t);
    out.resize(n, 0);
    for i in (0..n).rev() {
        out[i] = t;
        t = back[i][t] as usize;
    }
}
