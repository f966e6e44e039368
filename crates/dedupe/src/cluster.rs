//! The decisions: candidate pairs from exact keys and LSH buckets, verification on exact
//! shingle sets, and center clustering in keep order.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use newsmill_core::{ClusterKind, Tally};
use rayon::prelude::*;

use crate::observe::DocSketch;
use crate::text::intersection;

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
    /// Seqs of the documents whose shingle sets round 1 must collect.
    pub wanted: HashSet<u64>,
}

pub fn plan(mut docs: Vec<DocSketch>, max_bucket: usize, tally: &mut Tally) -> Plan {
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
    drop(entries);
    pairs.par_sort_unstable();
    pairs.dedup();
    tally.add("buckets-skipped", skipped_buckets);
    tally.add("pairs-skipped", skipped_pairs);
    tally.add("candidates", pairs.len() as u64);

    let mut wanted: HashSet<u64> = HashSet::new();
    for &(i, j) in &pairs {
        wanted.insert(docs[i as usize].seq);
        wanted.insert(docs[j as usize].seq);
    }
    for (i, &l) in leader.iter().enumerate() {
        if l as usize != i {
            wanted.insert(docs[l as usize].seq);
        }
    }
    for doc in &mut docs {
        doc.bands = Box::default();
    }
    Plan {
        docs,
        leader,
        pairs,
        wanted,
    }
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
pub fn duplicates(
    plan: &Plan,
    sets: &HashMap<u32, Vec<u32>>,
    rule: Rule,
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
    for j in 0..n {
        let l = plan.leader[j] as usize;
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
            .filter(|(i, _)| assigned[*i as usize].is_none())
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

/// Story clusters among the documents that are not duplicates of another: candidates share
/// sampled fingerprints of long shingles (fingerprints found in more than `max_df` documents
/// are boilerplate and ignored); a document joins, in keep order, the story representative it
/// shares most fingerprints with, if they share at least `min_shared`.
pub fn stories(
    plan: &Plan,
    dups: &[Option<PlannedLink>],
    min_shared: usize,
    max_df: usize,
    tally: &mut Tally,
) -> Vec<Option<PlannedLink>> {
    let n = plan.docs.len();
    let is_unit = |i: usize| dups[i].is_none_or(|link| link.rep as usize == i);
    let mut postings: Vec<(u32, u32)> = Vec::new();
    for (i, doc) in plan.docs.iter().enumerate() {
        if is_unit(i) {
            postings.extend(doc.story.iter().map(|&fp| (fp, i as u32)));
        }
    }
    postings.par_sort_unstable();
    let boilerplate = postings
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > max_df)
        .count() as u64;
    tally.add("story-fingerprints-ignored", boilerplate);

    // Each document counts, in parallel, the fingerprints it shares with every earlier unit;
    // no corpus-wide pair table is built.
    let partners: Vec<Vec<(u32, u32)>> = (0..n)
        .into_par_iter()
        .map(|j| {
            if !is_unit(j) {
                return Vec::new();
            }
            let mut earlier: Vec<u32> = Vec::new();
            for &fp in plan.docs[j].story.iter() {
                let from = postings.partition_point(|p| p.0 < fp);
                let to = postings.partition_point(|p| p.0 <= fp);
                if to - from > max_df {
                    continue;
                }
                earlier.extend(
                    postings[from..to]
                        .iter()
                        .map(|p| p.1)
                        .filter(|&i| (i as usize) < j),
                );
            }
            earlier.sort_unstable();
            earlier
                .chunk_by(|a, b| a == b)
                .filter(|run| run.len() >= min_shared)
                .map(|run| (run[0], run.len() as u32))
                .collect()
        })
        .collect();
    drop(postings);
    let candidates: u64 = partners.iter().map(|p| p.len() as u64).sum();
    tally.add("story-candidates", candidates);

    let mut assigned: Vec<Option<PlannedLink>> = vec![None; n];
    let mut has_members = vec![false; n];
    for j in 0..n {
        let best = partners[j]
            .iter()
            .filter(|(i, _)| assigned[*i as usize].is_none())
            .max_by(|(i1, c1), (i2, c2)| c1.cmp(c2).then(i2.cmp(i1)));
        if let Some(&(i, count)) = best {
            has_members[i as usize] = true;
            assigned[j] = Some(PlannedLink {
                kind: ClusterKind::Story,
                rep: i,
                evidence: sampled_evidence(
                    &plan.docs[j].story,
                    &plan.docs[i as usize].story,
                    count,
                ),
            });
        }
    }
    let mut clusters = 0u64;
    for i in 0..n {
        if has_members[i] {
            clusters += 1;
            let size = plan.docs[i].story.len();
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

/// Evidence estimated from sampled fingerprints (a uniform hash sample of the shingles).
fn sampled_evidence(member: &[u32], rep: &[u32], shared: u32) -> Evidence {
    let shared = shared as usize;
    let union = (member.len() + rep.len()).saturating_sub(shared).max(1);
    Evidence {
        similarity: shared as f64 / union as f64,
        containment: shared as f64 / member.len().max(1) as f64,
        shared: shared as u64,
    }
}
