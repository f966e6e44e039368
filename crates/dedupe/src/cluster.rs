//! The decisions: candidate pairs from exact keys and LSH buckets, verification on exact
//! shingle sets, and center clustering in keep order.

use std::cmp::Ordering;
use std::collections::HashMap;

use newsmill_core::{ClusterKind, Tally};
use rayon::prelude::*;

use crate::index::Index;
use crate::observe::{DocSketch, Wanted};
use crate::text::{intersection, story_intersection};

/// The keep rule: earliest `published` (ISO strings compare; missing counts as latest), then
/// longest text, then smallest id, then input order. The first document of a cluster in this
/// order is its representative, whatever the thread count.
pub fn keep_order(a: &DocSketch, b: &DocSketch) -> Ordering {
    let by_date = match (&a.published, &b.published) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_date
        .then(b.chars.cmp(&a.chars))
        .then_with(|| a.id.cmp(&b.id))
        .then(a.seq.cmp(&b.seq))
}

/// The outcome of round 0. Indices are positions in keep order.
pub struct Plan {
    /// Sketches in keep order (band keys released once used).
    pub docs: Vec<DocSketch>,
    /// Index of each document's exact-duplicate leader (itself when first of its text).
    pub leader: Vec<u32>,
    /// Candidate pairs `(i, j)`, `i < j`, between exact-group leaders.
    pub pairs: Vec<(u32, u32)>,
    /// Candidate pairs `(entry, j)` of persistent-index entries and this run's leaders.
    pub index_pairs: Vec<(u32, u32)>,
    /// Story candidate pairs `(i, j)`, `i < j`, between exact-group leaders sharing a
    /// fingerprint.
    pub story_pairs: Vec<(u32, u32)>,
    /// Seqs of the documents whose shingle sets round 1 must collect.
    pub wanted: HashMap<u64, Wanted>,
}

/// What round 0's decision needs besides the sketches.
pub struct PlanParams<'a> {
    pub max_bucket: usize,
    pub story_max_df: usize,
    pub story_max_candidates: usize,
    /// The persistent index, when one is kept: its entries are candidates too, and every
    /// document's band keys and set are kept so that this run's articles can be added to it.
    pub index: Option<&'a Index>,
}

pub fn plan(mut docs: Vec<DocSketch>, params: PlanParams<'_>, tally: &mut Tally) -> Plan {
    let max_bucket = params.max_bucket;
    docs.par_sort_unstable_by(keep_order);
    let n = docs.len();

    let mut leader: Vec<u32> = (0..n as u32).collect();
    let mut first_of_text: HashMap<u128, u32> = HashMap::with_capacity(n);
    for (i, doc) in docs.iter().enumerate() {
        let first = *first_of_text.entry(doc.exact).or_insert(i as u32);
        leader[i] = first;
    }
    let exact_dups = leader
        .iter()
        .enumerate()
        .filter(|&(i, &l)| l as usize != i)
        .count();
    tally.add("exact-duplicates", exact_dups as u64);

    // Every (band, key) of every leader, sorted so that each LSH bucket is one run.
    let mut entries: Vec<(u64, u32)> = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if leader[i] as usize != i {
            continue;
        }
        for (band, &key) in doc.bands.iter().enumerate() {
            entries.push(((band as u64) << 32 | key as u64, i as u32));
        }
    }
    entries.par_sort_unstable();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut skipped_buckets = 0u64;
    let mut skipped_pairs = 0u64;
    for bucket in entries.chunk_by(|a, b| a.0 == b.0) {
        if bucket.len() < 2 {
            continue;
        }
        if bucket.len() > max_bucket {
            // A giant bucket is near-empty or boilerplate text; all its pairs would cost
            // quadratic time for matches the other bands find anyway.
            skipped_buckets += 1;
            skipped_pairs += (bucket.len() * (bucket.len() - 1) / 2) as u64;
            continue;
        }
        for (k, &(_, i)) in bucket.iter().enumerate() {
            for &(_, j) in &bucket[k + 1..] {
                pairs.push((i, j));
            }
        }
    }
    let index_pairs = params
        .index
        .map(|index| index_candidates(index, &entries, max_bucket))
        .unwrap_or_default();
    tally.add("index-candidates", index_pairs.len() as u64);
    drop(entries);
    pairs.par_sort_unstable();
    pairs.dedup();
    tally.add("buckets-skipped", skipped_buckets);
    tally.add("pairs-skipped", skipped_pairs);
    tally.add("candidates", pairs.len() as u64);

    let story_pairs = story_candidates(
        &docs,
        &leader,
        params.story_max_df,
        params.story_max_candidates,
        tally,
    );

    let mut wanted: HashMap<u64, Wanted> = HashMap::new();
    for &(i, j) in &pairs {
        wanted.entry(docs[i as usize].seq).or_default().duplicate = true;
        wanted.entry(docs[j as usize].seq).or_default().duplicate = true;
    }
    for (i, &l) in leader.iter().enumerate() {
        if l as usize != i {
            wanted.entry(docs[l as usize].seq).or_default().duplicate = true;
        }
    }
    for &(i, j) in &story_pairs {
        wanted.entry(docs[i as usize].seq).or_default().story = true;
        wanted.entry(docs[j as usize].seq).or_default().story = true;
    }
    if params.index.is_some() {
        for (i, &l) in leader.iter().enumerate() {
            if l as usize == i {
                wanted.entry(docs[i].seq).or_default().duplicate = true;
            }
        }
    }
    for doc in &mut docs {
        if params.index.is_none() {
            doc.bands = Box::default();
        }
        doc.story = Box::default();
    }
    Plan {
        docs,
        leader,
        pairs,
        index_pairs,
        story_pairs,
        wanted,
    }
}

/// Pairs `(entry, document)` of index entries and this run's leaders sharing an LSH bucket.
/// `buckets` holds this run's `(band << 32 | key, document)`, sorted.
fn index_candidates(index: &Index, buckets: &[(u64, u32)], max_bucket: usize) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = index
        .entries
        .par_iter()
        .enumerate()
        .flat_map_iter(|(e, entry)| {
            let mut found: Vec<(u32, u32)> = Vec::new();
            for (band, &key) in entry.bands.iter().enumerate() {
                let bucket = (band as u64) << 32 | key as u64;
                let from = buckets.partition_point(|b| b.0 < bucket);
                let to = buckets.partition_point(|b| b.0 <= bucket);
                if to - from > max_bucket {
                    continue;
                }
                found.extend(buckets[from..to].iter().map(|&(_, j)| (e as u32, j)));
            }
            found
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

/// Pairs of exact-group leaders sharing at least one story fingerprint: for each document, the
/// `max_candidates` earlier ones it shares most fingerprints with (a corpus where every article
/// quotes many others must not cost a quadratic number of verifications). Fingerprints found
/// in more than `max_df` documents are site boilerplate or stock phrases and are ignored.
fn story_candidates(
    docs: &[DocSketch],
    leader: &[u32],
    max_df: usize,
    max_candidates: usize,
    tally: &mut Tally,
) -> Vec<(u32, u32)> {
    let mut postings: Vec<(u32, u32)> = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if leader[i] as usize == i {
            postings.extend(doc.story.iter().map(|&fp| (fp, i as u32)));
        }
    }
    if postings.is_empty() {
        return Vec::new();
    }
    postings.par_sort_unstable();
    let boilerplate = postings
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > max_df)
        .count() as u64;
    tally.add("story-fingerprints", postings.len() as u64);
    tally.add("story-fingerprints-ignored", boilerplate);
    // Fingerprints are uniform hashes: a directory on their top bits finds each one's postings
    // with one or two memory reads instead of a binary search over all postings.
    let bits = (usize::BITS - (postings.len() / 4).max(1).leading_zeros()).clamp(8, 24);
    let shift = 32 - bits;
    let mut directory: Vec<u32> = Vec::with_capacity((1 << bits) + 1);
    let mut at = 0usize;
    for bucket in 0..=(1usize << bits) {
        while at < postings.len() && ((postings[at].0 >> shift) as usize) < bucket {
            at += 1;
        }
        directory.push(at as u32);
    }
    let postings_of = |fp: u32| -> &[(u32, u32)] {
        let bucket = (fp >> shift) as usize;
        let (from, to) = (directory[bucket] as usize, directory[bucket + 1] as usize);
        let slice = &postings[from..to];
        let start = slice.partition_point(|p| p.0 < fp);
        let end = start + slice[start..].partition_point(|p| p.0 <= fp);
        &slice[start..end]
    };
    // Each document lists, in parallel, the earlier leaders it shares a fingerprint with; no
    // corpus-wide pair table is built before deduplication.
    let per_doc: Vec<Vec<u32>> = (0..docs.len())
        .into_par_iter()
        .map(|j| {
            if leader[j] as usize != j {
                return Vec::new();
            }
            let mut earlier: Vec<u32> = Vec::new();
            for &fp in docs[j].story.iter() {
                let run = postings_of(fp);
                if run.len() > max_df {
                    continue;
                }
                earlier.extend(run.iter().map(|p| p.1).filter(|&i| (i as usize) < j));
            }
            earlier.sort_unstable();
            let mut counted: Vec<(u32, u32)> = earlier
                .chunk_by(|a, b| a == b)
                .map(|run| (run.len() as u32, run[0]))
                .collect();
            // Most shared fingerprints first, then the earlier document.
            counted.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            counted.truncate(max_candidates);
            let mut kept: Vec<u32> = counted.into_iter().map(|(_, i)| i).collect();
            kept.sort_unstable();
            kept
        })
        .collect();
    let pairs: Vec<(u32, u32)> = per_doc
        .into_iter()
        .enumerate()
        .flat_map(|(j, earlier)| earlier.into_iter().map(move |i| (i, j as u32)))
        .collect();
    tally.add("story-candidates", pairs.len() as u64);
    pairs
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
        let shared = intersection(member, rep);
        let union = member.len() + rep.len() - shared;
        let smaller = member.len().min(rep.len());
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
            containment: if member.is_empty() {
                0.0
            } else {
                shared as f64 / member.len() as f64
            },
            shared: shared as u64,
        };
        let ok = similarity >= self.threshold
            || (smaller >= self.min_shingles && contained >= self.containment_threshold);
        (evidence, ok)
    }
}

/// Duplicate clusters: every exact-group leader, in keep order, joins the verified
/// representative it is most similar to, or becomes a representative itself. Joining only
/// representatives (never through another member) keeps a bridge document from chaining two
/// different articles into one cluster.
/// Documents in `taken` (matched to an article of an earlier run) neither join nor are joined.
pub fn duplicates(
    plan: &Plan,
    sets: &HashMap<u32, Vec<u32>>,
    rule: Rule,
    taken: &[bool],
    tally: &mut Tally,
) -> Vec<Option<PlannedLink>> {
    let n = plan.docs.len();
    let verified: Vec<Option<Evidence>> = plan
        .pairs
        .par_iter()
        .map(|&(i, j)| {
            let (Some(rep), Some(member)) = (sets.get(&i), sets.get(&j)) else {
                return None;
            };
            let (evidence, ok) = rule.verify(member, rep);
            ok.then_some(evidence)
        })
        .collect();
    let accepted = verified.iter().filter(|v| v.is_some()).count() as u64;
    tally.add("verified-pairs", accepted);
    tally.add("rejected-pairs", plan.pairs.len() as u64 - accepted);

    // For each later document, its verified earlier partners (pairs are sorted by i).
    let mut partners: Vec<Vec<(u32, Evidence)>> = vec![Vec::new(); n];
    for (&(i, j), evidence) in plan.pairs.iter().zip(&verified) {
        if let Some(evidence) = evidence {
            partners[j as usize].push((i, *evidence));
        }
    }

    let mut assigned: Vec<Option<PlannedLink>> = vec![None; n];
    let mut has_members = vec![false; n];
    let taken = |i: usize| taken.get(i).copied().unwrap_or(false);
    for j in 0..n {
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
                    let size = sets.get(&(l as u32)).map_or(0, Vec::len);
                    Some(PlannedLink {
                        kind: ClusterKind::Duplicate,
                        rep: l as u32,
                        evidence: Evidence::itself(size),
                    })
                }
            };
            continue;
        }
        let best = partners[j]
            .iter()
            .filter(|(i, _)| assigned[*i as usize].is_none() && !taken(*i as usize))
            .max_by(|(i1, e1), (i2, e2)| e1.similarity.total_cmp(&e2.similarity).then(i2.cmp(i1)));
        if let Some(&(i, evidence)) = best {
            has_members[i as usize] = true;
            assigned[j] = Some(PlannedLink {
                kind: ClusterKind::Duplicate,
                rep: i,
                evidence,
            });
        }
    }
    let mut clusters = 0u64;
    let mut duplicates = 0u64;
    for i in 0..n {
        if has_members[i] {
            clusters += 1;
            let size = sets.get(&(i as u32)).map_or(0, Vec::len);
            assigned[i] = Some(PlannedLink {
                kind: ClusterKind::Duplicate,
                rep: i as u32,
                evidence: Evidence::itself(size),
            });
        } else if assigned[i].is_some() {
            duplicates += 1;
        }
    }
    tally.add("clusters", clusters);
    tally.add("duplicates", duplicates);
    assigned
}

/// Story verification thresholds.
#[derive(Clone, Copy, Debug)]
pub struct StoryRule {
    pub min_shared: usize,
    pub min_quoted: usize,
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
    sets: &HashMap<u32, Vec<u32>>,
    rule: StoryRule,
    tally: &mut Tally,
) -> Vec<Option<PlannedLink>> {
    let n = plan.docs.len();
    let is_unit = |i: u32| {
        dups[i as usize].is_none_or(|link| link.rep == i)
            && !taken.get(i as usize).copied().unwrap_or(false)
    };
    let verified: Vec<Option<(u32, u32, Evidence)>> = plan
        .story_pairs
        .par_iter()
        .map(|&(i, j)| {
            if !is_unit(i) || !is_unit(j) {
                return None;
            }
            let (rep, member) = (sets.get(&i)?, sets.get(&j)?);
            let (shared, quoted) = story_intersection(member, rep);
            if shared < rule.min_shared && quoted < rule.min_quoted {
                return None;
            }
            let union = (member.len() + rep.len() - shared).max(1);
            Some((
                i,
                j,
                Evidence {
                    similarity: shared as f64 / union as f64,
                    containment: shared as f64 / member.len().max(1) as f64,
                    shared: shared as u64,
                },
            ))
        })
        .collect();
    let mut partners: Vec<Vec<(u32, Evidence)>> = vec![Vec::new(); n];
    let mut accepted = 0u64;
    for (i, j, evidence) in verified.into_iter().flatten() {
        accepted += 1;
        partners[j as usize].push((i, evidence));
    }
    tally.add("story-verified-pairs", accepted);

    let mut assigned: Vec<Option<PlannedLink>> = vec![None; n];
    let mut has_members = vec![false; n];
    for j in 0..n {
        let best = partners[j]
            .iter()
            .filter(|(i, _)| assigned[*i as usize].is_none())
            .max_by(|(i1, e1), (i2, e2)| e1.shared.cmp(&e2.shared).then(i2.cmp(i1)));
        if let Some(&(i, evidence)) = best {
            has_members[i as usize] = true;
            assigned[j] = Some(PlannedLink {
                kind: ClusterKind::Story,
                rep: i,
                evidence,
            });
        }
    }
    let mut clusters = 0u64;
    for i in 0..n {
        if has_members[i] {
            clusters += 1;
            let size = sets.get(&(i as u32)).map_or(0, Vec::len);
            assigned[i] = Some(PlannedLink {
                kind: ClusterKind::Story,
                rep: i as u32,
                evidence: Evidence::itself(size),
            });
        }
    }
    tally.add("story-clusters", clusters);
    tally.add(
        "story-members",
        assigned.iter().filter(|a| a.is_some()).count() as u64 - clusters,
    );
    assigned
}

/// Matches of this run's leaders against the persistent index: for each document, the
/// indexed article it verifies against with the highest similarity (the oldest on ties).
pub fn index_matches(
    plan: &Plan,
    sets: &HashMap<u32, Vec<u32>>,
    index: &Index,
    rule: Rule,
    tally: &mut Tally,
) -> Vec<Option<(u32, Evidence)>> {
    let verified: Vec<Option<(u32, u32, Evidence)>> = plan
        .index_pairs
        .par_iter()
        .map(|&(e, j)| {
            let member = sets.get(&j)?;
            let entry = index.entries.get(e as usize)?;
            let (evidence, ok) = rule.verify(member, &index.set(entry));
            ok.then_some((e, j, evidence))
        })
        .collect();
    let mut best: Vec<Option<(u32, Evidence)>> = vec![None; plan.docs.len()];
    let mut accepted = 0u64;
    for (e, j, evidence) in verified.into_iter().flatten() {
        accepted += 1;
        let slot = &mut best[j as usize];
        if slot.is_none_or(|(_, b)| evidence.similarity > b.similarity) {
            *slot = Some((e, evidence));
        }
    }
    tally.add("index-verified-pairs", accepted);
    best
}
