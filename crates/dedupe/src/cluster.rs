//! The decisions: candidate pairs from exact keys and LSH buckets, verification on exact
//! shingle sets, and center clustering in keep order.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io;
use std::path::Path;

use newsmill_core::{ClusterKind, Tally};
use rayon::prelude::*;

use crate::index::Index;
use crate::observe::{DocRecord, RoundZeroSpill, STORY_PARTITION_BITS, wanted};
use crate::prefilter::Prefilter;
use crate::spill::{Partitions, SetFile, SetLoc};
use crate::text::{intersection, intersection_while, story_intersection};

/// "No document" in the `seq → keep index` table.
pub const ABSENT: u32 = u32::MAX;

/// The keep rule: earliest `published` (missing or unparseable counts as latest), then
/// longest text, then smallest id, then input order. The first document of a cluster in this
/// order is its representative, whatever the thread count.
pub fn keep_order(a: &DocRecord, b: &DocRecord, ids: &str) -> Ordering {
    a.published
        .cmp(&b.published)
        .then(b.chars.cmp(&a.chars))
        .then_with(|| a.id(ids).cmp(b.id(ids)))
        .then(a.seq.cmp(&b.seq))
}

/// The outcome of round 0. Indices are positions in keep order.
pub struct Plan {
    /// Records in keep order, and the arena of their ids.
    pub docs: Vec<DocRecord>,
    pub ids: String,
    /// Keep index of each document number (`ABSENT` for documents without a record).
    pub seq_to_idx: Vec<u32>,
    /// Index of each document's exact-duplicate leader (itself when first of its text).
    pub leader: Vec<u32>,
    /// Candidate pairs `j << 32 | i`, `i < j`, between exact-group leaders that passed the
    /// pre-filter, in scratch partitions by the later document `j` ([`partition_of`]; unsorted,
    /// repeated once per shared band).
    pub pairs: Partitions,
    /// Candidate pairs `(entry, j)` of persistent-index entries and this run's leaders, sorted.
    pub index_pairs: Vec<(u32, u32)>,
    /// Story candidate pairs `j << 32 | i`, `i < j`, between exact-group leaders sharing a
    /// fingerprint, in scratch partitions by the later document `j` ([`partition_of`]),
    /// grouped by `j` in increasing order.
    pub story_pairs: Partitions,
    /// Per document number, the sets round 1 must collect ([`wanted`] bits).
    pub wanted: Vec<u8>,
}

/// What round 0's decision needs besides the records.
pub struct PlanParams<'a> {
    pub max_bucket: usize,
    pub story_max_df: usize,
    pub story_max_candidates: usize,
    /// The persistent index, when one is kept: its entries are candidates too, and every
    /// leader's set and band keys are collected so that this run's articles can be added.
    pub index: Option<&'a Index>,
    /// Where the candidate and story pair partitions go.
    pub scratch: &'a Path,
    pub prefilter: &'a Prefilter,
}

/// The pre-filter sketches of round 0 by keep index (`words` per document) and the sizes of
/// the documents' shingle sets, read from their scratch partition a chunk at a time.
fn load_sketches(
    spill: &Partitions,
    seq_to_idx: &[u32],
    n: usize,
    words: usize,
) -> io::Result<(Vec<u64>, Vec<u32>)> {
    let mut sketches = vec![0u64; n * words];
    let mut sizes = vec![0u32; n];
    let stride = words + 1;
    spill.take_chunks(0, stride * 4096, |chunk| {
        for record in chunk.chunks_exact(stride) {
            let seq = record[0] as u32 as usize;
            let Some(&idx) = seq_to_idx.get(seq) else {
                continue;
            };
            let from = idx as usize * words;
            if let Some(slot) = sketches.get_mut(from..from + words) {
                slot.copy_from_slice(&record[1..]);
                sizes[idx as usize] = (record[0] >> 32) as u32;
            }
        }
    })?;
    Ok((sketches, sizes))
}

/// The partition of pairs whose later document is `j` (keep index) among `parts` partitions
/// of `n` documents: contiguous, increasing ranges, so that clustering, which walks
/// documents in keep order, reads each partition once and holds one partition's verified
/// pairs at a time.
pub fn partition_of(j: u32, parts: usize, n: usize) -> usize {
    (j as usize * parts / n.max(1)).min(parts.saturating_sub(1))
}

/// Documents per partition of candidate pairs (by later document).
const CANDIDATE_PARTITION_DOCS: usize = 4096;
/// Documents per partition of raw story pairs (by later document): a partition holds about
/// 700 raw pairs per document on news100k, so about 6 MB are sorted at a time.
const STORY_PAIR_PARTITION_DOCS: usize = 1024;
/// Records an in-memory buffer holds before it is appended to its partition (32 KB: there
/// is one buffer per partition, up to 256).
const BUFFER: usize = 1 << 12;

pub fn plan(
    mut docs: Vec<DocRecord>,
    ids: String,
    spill: &RoundZeroSpill,
    params: PlanParams<'_>,
    tally: &mut Tally,
) -> io::Result<Plan> {
    let max_bucket = params.max_bucket;
    let started = std::time::Instant::now();
    docs.par_sort_unstable_by(|a, b| keep_order(a, b, &ids));
    let n = docs.len();
    let max_seq = docs.iter().map(|d| d.seq as usize + 1).max().unwrap_or(0);
    let mut seq_to_idx = vec![ABSENT; max_seq];
    for (i, d) in docs.iter().enumerate() {
        seq_to_idx[d.seq as usize] = i as u32;
    }

    let mut leader: Vec<u32> = (0..n as u32).collect();
    {
        let mut by_text: Vec<(u128, u32)> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.exact, i as u32))
            .collect();
        by_text.par_sort_unstable();
        for group in by_text.chunk_by(|a, b| a.0 == b.0) {
            for &(_, i) in group {
                leader[i as usize] = group[0].1;
            }
        }
    }
    let exact_dups = leader
        .iter()
        .enumerate()
        .filter(|&(i, &l)| l as usize != i)
        .count();
    tally.add("exact-duplicates", exact_dups as u64);
    let is_leader = |idx: u32| leader.get(idx as usize) == Some(&idx);
    // A partition record `key << 32 | seq` as `key << 32 | keep index`, for leaders only.
    let by_index = |records: Vec<u64>| -> Vec<u64> {
        let mut out: Vec<u64> = records
            .into_iter()
            .filter_map(|r| {
                let idx = *seq_to_idx.get(r as u32 as usize)?;
                is_leader(idx).then_some(r & !0xffff_ffff | u64::from(idx))
            })
            .collect();
        out.par_sort_unstable();
        out
    };

    let mut wanted = vec![0u8; max_seq];
    let want = |wanted: &mut [u8], i: u32, bit: u8| {
        if let Some(d) = docs.get(i as usize) {
            wanted[d.seq as usize] |= bit;
        }
    };

    // LSH: one band at a time; in a sorted band each bucket is one run. Every pair of a
    // bucket meets the pre-filter at once; those it keeps go to scratch partitions by their
    // later document, so memory never holds the candidate list.
    let filter = params.prefilter;
    let words = filter.words();
    let (sketches, set_sizes) = load_sketches(&spill.sketches, &seq_to_idx, n, words)?;
    let hopeless = |a: u32, b: u32| {
        let sketch = |i: u32| {
            let from = i as usize * words;
            sketches.get(from..from + words).unwrap_or_default()
        };
        let size = |i: u32| set_sizes.get(i as usize).copied().unwrap_or(0);
        filter.hopeless(sketch(a), size(a), sketch(b), size(b))
    };
    let pair_parts = n.div_ceil(CANDIDATE_PARTITION_DOCS).clamp(1, 256);
    let pairs = Partitions::create(params.scratch, "pairs", pair_parts)?;
    let part_of = |j: u32| partition_of(j, pair_parts, n);
    let mut buffers: Vec<Vec<u64>> = vec![Vec::new(); pair_parts];
    let mut index_pairs: Vec<(u32, u32)> = Vec::new();
    let mut lsh_pairs = 0u64;
    let mut rejected = 0u64;
    let mut skipped_buckets = 0u64;
    let mut skipped_pairs = 0u64;
    for band in 0..spill.bands.count() {
        let entries = by_index(spill.bands.take(band)?);
        let mut buckets: Vec<&[u64]> = Vec::new();
        let mut emitted = 0u64;
        for bucket in entries.chunk_by(|a, b| a >> 32 == b >> 32) {
            if bucket.len() < 2 {
                continue;
            }
            let count = (bucket.len() * (bucket.len() - 1) / 2) as u64;
            if bucket.len() > max_bucket {
                // A giant bucket is near-empty or boilerplate text; all its pairs would cost
                // quadratic time for matches the other bands find anyway.
                skipped_buckets += 1;
                skipped_pairs += count;
                continue;
            }
            emitted += count;
            buckets.push(bucket);
        }
        lsh_pairs += emitted;
        // A bucket is sorted by keep index, so each pair comes out as (earlier, later).
        let kept: Vec<u64> = buckets
            .par_iter()
            .flat_map_iter(|&bucket| {
                bucket.iter().enumerate().flat_map(move |(k, &a)| {
                    bucket[k + 1..].iter().map(move |&b| (a as u32, b as u32))
                })
            })
            .filter(|&(a, b)| !hopeless(a, b))
            .map(|(a, b)| u64::from(a) << 32 | u64::from(b))
            .collect();
        rejected += emitted - kept.len() as u64;
        for &pair in &kept {
            let (a, b) = ((pair >> 32) as u32, pair as u32);
            want(&mut wanted, a, wanted::DUPLICATE);
            want(&mut wanted, b, wanted::DUPLICATE);
            let buffer = &mut buffers[part_of(b)];
            buffer.push(u64::from(b) << 32 | u64::from(a));
            if buffer.len() >= BUFFER {
                pairs.append(part_of(b), buffer);
                buffer.clear();
            }
        }
        if let Some(index) = params.index {
            index_pairs.extend(index_candidates(index, band, &entries, max_bucket));
        }
    }
    for (part, buffer) in buffers.iter().enumerate() {
        pairs.append(part, buffer);
    }
    drop(buffers);
    drop(sketches);
    drop(set_sizes);
    index_pairs.par_sort_unstable();
    index_pairs.dedup();
    tally.add("index-candidates", index_pairs.len() as u64);
    tally.add("buckets-skipped", skipped_buckets);
    tally.add("pairs-skipped", skipped_pairs);
    tally.add("lsh-pairs", lsh_pairs);
    tally.add("prefilter-rejected", rejected);

    let lsh_seconds = started.elapsed().as_secs_f64();
    let story_pairs = if spill.story.count() > 0 {
        story_candidates(spill, &by_index, &docs, &mut wanted, &params, tally)?
    } else {
        Partitions::create(params.scratch, "story-candidates", 0)?
    };
    tracing::info!(
        lsh_seconds,
        story_seconds = started.elapsed().as_secs_f64() - lsh_seconds,
        "Generated candidates from the scratch partitions."
    );

    for (i, &l) in leader.iter().enumerate() {
        if l as usize != i {
            want(&mut wanted, l, wanted::DUPLICATE);
        }
    }
    if params.index.is_some() {
        for (i, &l) in leader.iter().enumerate() {
            if l as usize == i {
                want(&mut wanted, l, wanted::DUPLICATE | wanted::BANDS);
            }
        }
    }
    Ok(Plan {
        docs,
        ids,
        seq_to_idx,
        leader,
        pairs,
        index_pairs,
        story_pairs,
        wanted,
    })
}

/// Pairs `(entry, document)` of index entries and this run's leaders sharing a bucket of
/// `band`. `entries` holds this band's `key << 32 | document`, sorted.
fn index_candidates(
    index: &Index,
    band: usize,
    entries: &[u64],
    max_bucket: usize,
) -> Vec<(u32, u32)> {
    index
        .entries
        .par_iter()
        .enumerate()
        .flat_map_iter(|(e, _)| {
            let key = u64::from(index.bands(e).get(band).copied().unwrap_or(0));
            let from = entries.partition_point(|&r| r >> 32 < key);
            let to = entries.partition_point(|&r| r >> 32 <= key);
            let bucket = if to - from > max_bucket {
                &[][..]
            } else {
                &entries[from..to]
            };
            bucket.iter().map(move |&r| (e as u32, r as u32))
        })
        .collect()
}

/// Pairs of exact-group leaders sharing at least one story fingerprint: for each document, the
/// `max_candidates` earlier ones it shares most fingerprints with (a corpus where every article
/// quotes many others must not cost a quadratic number of verifications). Fingerprints found
/// in more than `max_df` documents are site boilerplate or stock phrases and are ignored.
///
/// One fingerprint partition at a time yields raw pairs `(later, earlier)` (one per shared
/// fingerprint), spilled by the later document; one pair partition at a time then counts them.
fn story_candidates(
    spill: &RoundZeroSpill,
    by_index: &(dyn Fn(Vec<u64>) -> Vec<u64> + Sync),
    docs: &[DocRecord],
    wanted: &mut [u8],
    params: &PlanParams<'_>,
    tally: &mut Tally,
) -> io::Result<Partitions> {
    let n = docs.len();
    let parts = n.div_ceil(STORY_PAIR_PARTITION_DOCS).clamp(1, 256);
    let raw = Partitions::create(params.scratch, "story-pairs", parts)?;
    let candidates = Partitions::create(params.scratch, "story-candidates", parts)?;
    let part_of = |j: u32| partition_of(j, parts, n);
    let mut postings = 0u64;
    let mut boilerplate = 0u64;
    let mut raw_pairs = 0u64;
    let mut buffers: Vec<Vec<u64>> = vec![Vec::new(); parts];
    debug_assert_eq!(spill.story.count(), 1 << STORY_PARTITION_BITS);
    for part in 0..spill.story.count() {
        let records = by_index(spill.story.take(part)?);
        postings += records.len() as u64;
        for run in records.chunk_by(|a, b| a >> 32 == b >> 32) {
            if run.len() > params.story_max_df {
                boilerplate += 1;
                continue;
            }
            for (k, &later) in run.iter().enumerate().skip(1) {
                let j = later as u32;
                let buffer = &mut buffers[part_of(j)];
                for &earlier in &run[..k] {
                    buffer.push(u64::from(j) << 32 | u64::from(earlier as u32));
                }
                raw_pairs += k as u64;
                if buffer.len() >= BUFFER {
                    raw.append(part_of(j), buffer);
                    buffer.clear();
                }
            }
        }
    }
    for (part, buffer) in buffers.iter().enumerate() {
        raw.append(part, buffer);
    }
    drop(buffers);
    tally.add("story-fingerprints", postings);
    tally.add("story-fingerprints-ignored", boilerplate);
    tally.add("story-raw-pairs", raw_pairs);

    let mut count = 0u64;
    let mut want = |i: u32| {
        if let Some(d) = docs.get(i as usize) {
            wanted[d.seq as usize] |= wanted::STORY;
        }
    };
    for part in 0..parts {
        let mut records = raw.take(part)?;
        records.par_sort_unstable();
        let groups: Vec<&[u64]> = records.chunk_by(|a, b| a >> 32 == b >> 32).collect();
        let chosen: Vec<Vec<u64>> = groups
            .par_iter()
            .map(|group| {
                let j = (group[0] >> 32) as u32;
                let mut counted: Vec<(u32, u32)> = group
                    .chunk_by(|a, b| a == b)
                    .map(|run| (run.len() as u32, run[0] as u32))
                    .collect();
                // Most shared fingerprints first, then the earlier document.
                counted.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                counted.truncate(params.story_max_candidates);
                counted
                    .into_iter()
                    .map(|(_, i)| u64::from(j) << 32 | u64::from(i))
                    .collect()
            })
            .collect();
        drop(groups);
        drop(records);
        for group in &chosen {
            for &pair in group {
                want(pair as u32);
                want((pair >> 32) as u32);
            }
            count += group.len() as u64;
        }
        candidates.append(part, &chosen.concat());
    }
    tally.add("story-candidates", count);
    Ok(candidates)
}

/// The sets round 1 stored, by keep index.
pub struct Sets<'a> {
    pub file: &'a SetFile,
    pub locs: &'a [SetLoc],
}

impl Sets<'_> {
    pub fn len(&self, i: u32) -> usize {
        self.locs.get(i as usize).map_or(0, |l| l.len())
    }

    fn loc(&self, i: u32) -> SetLoc {
        self.locs.get(i as usize).copied().unwrap_or(SetLoc::NONE)
    }

    pub fn has(&self, i: u32) -> bool {
        self.loc(i).is_some()
    }

    pub fn read(&self, i: u32, out: &mut Vec<u32>) -> io::Result<()> {
        self.file.read(self.loc(i), out)
    }
}

/// Runs `check(i, set_i, j, set_j)` over `pairs` (sorted by `i`) in parallel, reading each
/// first set once per run of equal `i` (`first` reads it, or says the run is skipped); pairs
/// whose second side has no set or fails `second` are skipped.
fn verify_pairs<T: Send>(
    pairs: &[(u32, u32)],
    first: &(dyn Fn(u32, &mut Vec<u32>) -> io::Result<bool> + Sync),
    second: &(dyn Fn(u32) -> bool + Sync),
    sets: &Sets<'_>,
    check: impl Fn(u32, &[u32], u32, &[u32]) -> Option<T> + Sync,
) -> io::Result<Vec<T>> {
    let groups: Vec<&[(u32, u32)]> = pairs.chunk_by(|a, b| a.0 == b.0).collect();
    let found: io::Result<Vec<Vec<T>>> = groups
        .par_iter()
        .map(|group| {
            let mut out = Vec::new();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let i = group[0].0;
            if !first(i, &mut a)? {
                return Ok(out);
            }
            for &(_, j) in group.iter() {
                if !sets.has(j) || !second(j) {
                    continue;
                }
                sets.read(j, &mut b)?;
                out.extend(check(i, &a, j, &b));
            }
            Ok(out)
        })
        .collect();
    Ok(found?.into_iter().flatten().collect())
}

/// How one document relates to its cluster's representative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    pub similarity: f64,
    pub containment: f64,
    pub shared: u64,
}

impl Evidence {
    fn itself(size: usize) -> Self {
        Evidence {
            similarity: 1.0,
            containment: 1.0,
            shared: size as u64,
        }
    }
}

/// A link the stage will attach to a document in `apply`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlannedLink {
    pub kind: ClusterKind,
    /// Keep-order index of the representative.
    pub rep: u32,
    pub evidence: Evidence,
}

/// Verification thresholds.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub threshold: f64,
    pub containment_threshold: f64,
    pub min_shingles: usize,
}

impl Rule {
    /// Evidence for `member` against `rep` when the pair verifies as duplicates.
    pub fn verify(&self, member: &[u32], rep: &[u32]) -> (Evidence, bool) {
        self.judge(intersection(member, rep), member.len(), rep.len())
    }

    /// The same from the intersection size and the two set sizes.
    pub fn judge(&self, shared: usize, member: usize, rep: usize) -> (Evidence, bool) {
        let union = member + rep - shared;
        let smaller = member.min(rep);
        let similarity = if union == 0 {
            0.0
        } else {
            shared as f64 / union as f64
        };
        let contained = if smaller == 0 {
            0.0
        } else {
            shared as f64 / smaller as f64
        };
        let evidence = Evidence {
            similarity,
            containment: if member == 0 {
                0.0
            } else {
                shared as f64 / member as f64
            },
            shared: shared as u64,
        };
        let ok = similarity >= self.threshold
            || (smaller >= self.min_shingles && contained >= self.containment_threshold);
        (evidence, ok)
    }
}

/// Verified pairs `(later, earlier, shared)`, sorted by the later document: 12 bytes a pair;
/// the evidence is recomputed from the set sizes when a partner is chosen.
type Verified = Vec<(u32, u32, u32)>;

/// A walk over the documents in keep order through pair partitions by later document
/// ([`partition_of`]): entering a partition verifies its pairs (`verify_part`), so memory holds
/// one partition's verified pairs at a time.
struct PartnerWalk<F> {
    parts: usize,
    n: usize,
    loaded: usize,
    verified: Verified,
    at: usize,
    verify_part: F,
}

impl<F: FnMut(usize) -> io::Result<Verified>> PartnerWalk<F> {
    fn new(parts: usize, n: usize, verify_part: F) -> Self {
        PartnerWalk {
            parts,
            n,
            loaded: usize::MAX,
            verified: Vec::new(),
            at: 0,
            verify_part,
        }
    }

    /// The verified partners of `j`; call it for every document, in increasing order.
    fn partners(&mut self, j: u32) -> io::Result<&[(u32, u32, u32)]> {
        let part = partition_of(j, self.parts, self.n);
        if self.parts > 0 && part != self.loaded {
            self.loaded = part;
            self.verified = (self.verify_part)(part)?;
            self.at = 0;
        }
        let from = self.at;
        while self.verified.get(self.at).is_some_and(|v| v.0 == j) {
            self.at += 1;
        }
        Ok(&self.verified[from..self.at])
    }
}

/// Duplicate clusters: every exact-group leader, in keep order, joins the verified
/// representative it is most similar to, or becomes a representative itself. Joining only
/// representatives (never through another member) keeps a bridge document from chaining two
/// different articles into one cluster.
/// Documents in `taken` (matched to an article of an earlier run) neither join nor are joined.
pub fn duplicates(
    plan: &Plan,
    sets: &Sets<'_>,
    rule: Rule,
    taken: &[bool],
    tally: &mut Tally,
) -> io::Result<Vec<Option<PlannedLink>>> {
    let n = plan.docs.len();
    let first = |i: u32, out: &mut Vec<u32>| -> io::Result<bool> {
        if !sets.has(i) {
            return Ok(false);
        }
        sets.read(i, out)?;
        Ok(true)
    };
    // One partition of candidates at a time (sorted, each pair once), verified in parallel,
    // grouped by the later document, whose set is read once.
    let mut candidates = 0u64;
    let mut accepted = 0u64;
    let verify_part = |part: usize| -> io::Result<Verified> {
        let mut records = plan.pairs.take(part)?;
        records.par_sort_unstable();
        records.dedup();
        candidates += records.len() as u64;
        let pairs: Vec<(u32, u32)> = records
            .iter()
            .map(|&r| ((r >> 32) as u32, r as u32))
            .collect();
        drop(records);
        let mut verified = verify_pairs(&pairs, &first, &|_| true, sets, |j, member, i, rep| {
            // The rule only gets easier with more shared shingles: stop merging a pair that
            // can no longer reach it.
            let (m, r) = (member.len(), rep.len());
            let shared = intersection_while(member, rep, |n| rule.judge(n, m, r).1)?;
            let (_, ok) = rule.judge(shared, m, r);
            ok.then_some((j, i, shared as u32))
        })?;
        verified.sort_unstable();
        accepted += verified.len() as u64;
        Ok(verified)
    };
    let mut walk = PartnerWalk::new(plan.pairs.count(), n, verify_part);

    let mut assigned: Vec<Option<PlannedLink>> = vec![None; n];
    let mut has_members = vec![false; n];
    let taken = |i: usize| taken.get(i).copied().unwrap_or(false);
    for j in 0..n {
        let partners = walk.partners(j as u32)?;
        let l = plan.leader[j] as usize;
        if taken(l) {
            continue;
        }
        if l != j {
            // Same normalised text as an earlier document: same cluster, same evidence.
            assigned[j] = match assigned[l] {
                Some(link) => Some(link),
                None => {
                    has_members[l] = true;
                    Some(PlannedLink {
                        kind: ClusterKind::Duplicate,
                        rep: l as u32,
                        evidence: Evidence::itself(sets.len(l as u32)),
                    })
                }
            };
            continue;
        }
        let best = partners
            .iter()
            .filter(|&&(_, i, _)| assigned[i as usize].is_none() && !taken(i as usize))
            .map(|&(_, i, shared)| {
                let (evidence, _) = rule.judge(shared as usize, sets.len(j as u32), sets.len(i));
                (i, evidence)
            })
            .max_by(|(i1, e1), (i2, e2)| e1.similarity.total_cmp(&e2.similarity).then(i2.cmp(i1)));
        if let Some((i, evidence)) = best {
            has_members[i as usize] = true;
            assigned[j] = Some(PlannedLink {
                kind: ClusterKind::Duplicate,
                rep: i,
                evidence,
            });
        }
    }
    drop(walk);
    tally.add("candidates", candidates);
    tally.add("verified-pairs", accepted);
    tally.add("rejected-pairs", candidates - accepted);
    let mut clusters = 0u64;
    let mut duplicates = 0u64;
    for i in 0..n {
        if has_members[i] {
            clusters += 1;
            assigned[i] = Some(PlannedLink {
                kind: ClusterKind::Duplicate,
                rep: i as u32,
                evidence: Evidence::itself(sets.len(i as u32)),
            });
        } else if assigned[i].is_some() {
            duplicates += 1;
        }
    }
    tally.add("clusters", clusters);
    tally.add("duplicates", duplicates);
    Ok(assigned)
}

/// Story verification thresholds.
#[derive(Clone, Copy, Debug)]
pub struct StoryRule {
    pub min_shared: usize,
    pub min_quoted: usize,
}

fn story_evidence(shared: usize, member: usize, rep: usize) -> Evidence {
    let union = (member + rep - shared).max(1);
    Evidence {
        similarity: shared as f64 / union as f64,
        containment: shared as f64 / member.max(1) as f64,
        shared: shared as u64,
    }
}

/// Story clusters among the documents that are not duplicates of another. Every candidate pair
/// is verified on the exact story shingle sets: linked when they share at least `min_shared`
/// story shingles, or at least `min_quoted` that are quoted in both (a quotation repeated word
/// for word). In keep order, a document joins the story representative it shares most
/// shingles with; like duplicates, it never joins through another member.
pub fn stories(
    plan: &Plan,
    dups: &[Option<PlannedLink>],
    taken: &[bool],
    sets: &Sets<'_>,
    rule: StoryRule,
    tally: &mut Tally,
) -> io::Result<Vec<Option<PlannedLink>>> {
    let n = plan.docs.len();
    let is_unit = |i: u32| {
        dups.get(i as usize)
            .is_some_and(|d| d.is_none_or(|link| link.rep == i))
            && !taken.get(i as usize).copied().unwrap_or(false)
    };
    let first = |i: u32, out: &mut Vec<u32>| -> io::Result<bool> {
        if !is_unit(i) || !sets.has(i) {
            return Ok(false);
        }
        sets.read(i, out)?;
        Ok(true)
    };
    // One partition of candidates at a time, each grouped by its later document, whose set is
    // read once.
    let mut accepted = 0u64;
    let verify_part = |part: usize| -> io::Result<Verified> {
        let pairs: Vec<(u32, u32)> = plan
            .story_pairs
            .take(part)?
            .iter()
            .map(|&r| ((r >> 32) as u32, r as u32))
            .collect();
        let mut verified = verify_pairs(&pairs, &first, &is_unit, sets, |j, member, i, rep| {
            let (shared, quoted) = story_intersection(member, rep);
            (shared >= rule.min_shared || quoted >= rule.min_quoted).then_some((
                j,
                i,
                shared as u32,
            ))
        })?;
        verified.sort_unstable();
        accepted += verified.len() as u64;
        Ok(verified)
    };
    let mut walk = PartnerWalk::new(plan.story_pairs.count(), n, verify_part);

    let mut assigned: Vec<Option<PlannedLink>> = vec![None; n];
    let mut has_members = vec![false; n];
    for j in 0..n {
        let partners = walk.partners(j as u32)?;
        let best = partners
            .iter()
            .filter(|&&(_, i, _)| assigned[i as usize].is_none())
            .max_by(|&&(_, i1, s1), &&(_, i2, s2)| s1.cmp(&s2).then(i2.cmp(&i1)));
        if let Some(&(_, i, shared)) = best {
            has_members[i as usize] = true;
            assigned[j] = Some(PlannedLink {
                kind: ClusterKind::Story,
                rep: i,
                evidence: story_evidence(shared as usize, sets.len(j as u32), sets.len(i)),
            });
        }
    }
    drop(walk);
    tally.add("story-verified-pairs", accepted);
    let mut clusters = 0u64;
    for i in 0..n {
        if has_members[i] {
            clusters += 1;
            assigned[i] = Some(PlannedLink {
                kind: ClusterKind::Story,
                rep: i as u32,
                evidence: Evidence::itself(sets.len(i as u32)),
            });
        }
    }
    tally.add("story-clusters", clusters);
    tally.add(
        "story-members",
        assigned.iter().filter(|a| a.is_some()).count() as u64 - clusters,
    );
    Ok(assigned)
}

/// Matches of this run's leaders against the persistent index: for each document, the
/// indexed article it verifies against with the highest similarity (the oldest on ties).
pub fn index_matches(
    plan: &Plan,
    sets: &Sets<'_>,
    index: &Index,
    rule: Rule,
    tally: &mut Tally,
) -> io::Result<HashMap<u32, (u32, Evidence)>> {
    let first = |e: u32, out: &mut Vec<u32>| -> io::Result<bool> {
        let Some(entry) = index.entries.get(e as usize) else {
            return Ok(false);
        };
        *out = index.set(entry).map_err(io::Error::other)?;
        Ok(true)
    };
    let verified = verify_pairs(
        &plan.index_pairs,
        &first,
        &|_| true,
        sets,
        |e, entry, j, member| {
            let (evidence, ok) = rule.verify(member, entry);
            ok.then_some((e, j, evidence))
        },
    )?;
    let mut best: HashMap<u32, (u32, Evidence)> = HashMap::new();
    let mut accepted = 0u64;
    for (e, j, evidence) in verified {
        accepted += 1;
        let slot = best.entry(j).or_insert((e, evidence));
        // Pairs come grouped by entry in parallel; the order of equals is fixed by the entry.
        if evidence.similarity > slot.1.similarity
            || (evidence.similarity == slot.1.similarity && e < slot.0)
        {
            *slot = (e, evidence);
        }
    }
    tally.add("index-verified-pairs", accepted);
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::partition_of;

    #[test]
    fn partitions_are_contiguous_increasing_ranges_that_all_occur() {
        for (n, parts) in [(1, 1), (5, 5), (4096, 1), (10_000, 3), (1_000_003, 256)] {
            let of: Vec<usize> = (0..n as u32).map(|j| partition_of(j, parts, n)).collect();
            assert!(of.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1));
            assert_eq!((of[0], of[n - 1]), (0, parts - 1), "{n} {parts}");
        }
        assert_eq!(partition_of(7, 0, 10), 0);
    }
}
