//! The `dedupe` stage: exact and near-duplicate articles, and story clusters.
//!
//! Round 0 sketches every document (exact key, MinHash LSH band keys, sampled story
//! fingerprints); deciding it yields candidate pairs. Round 1 collects the exact shingle sets
//! of the candidates only; deciding it verifies every pair and clusters around
//! representatives chosen by the keep rule. `apply` attaches the [`ClusterLink`]s.

mod cluster;
mod config;
pub mod minhash;
mod observe;
pub mod text;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use newsmill_core::{
    ClusterKind, ClusterLink, Document, Observer, Stage, StageError, Tally, Verdict,
};

pub use config::{Action, DOC, DedupeConfig};

use cluster::{Plan, PlannedLink, Rule};
use observe::{SetObserver, SketchObserver, Sketcher};
use text::{Scratch, compact, longest_shared_run, trim_passage};

/// Longest evidence passage attached to a link, in characters (including the "…").
const PASSAGE_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum DedupeError {
    #[error("invalid dedupe config: {}", .0.iter().map(|(k, m, _)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    Config(Vec<(String, String, Vec<String>)>),
}

/// What `apply` needs after both rounds are decided.
#[derive(Default)]
struct Decision {
    /// Keep-order sketches (ids, story fingerprints of representatives).
    docs: Vec<observe::DocSketch>,
    index_of_seq: HashMap<u64, u32>,
    links: HashMap<u32, Vec<PlannedLink>>,
    /// Shingle sets of duplicate-cluster representatives, for evidence passages.
    rep_sets: HashMap<u32, Vec<u32>>,
}

pub struct DedupeStage {
    cfg: DedupeConfig,
    sketcher: Arc<Sketcher>,
    plan: Option<Plan>,
    wanted: Arc<HashSet<u64>>,
    decision: Decision,
}

impl DedupeStage {
    pub fn new(cfg: DedupeConfig) -> Result<DedupeStage, DedupeError> {
        let problems = cfg.problems();
        if !problems.is_empty() {
            return Err(DedupeError::Config(problems));
        }
        Ok(DedupeStage {
            sketcher: Arc::new(Sketcher::new(&cfg)),
            cfg,
            plan: None,
            wanted: Arc::default(),
            decision: Decision::default(),
        })
    }

    fn decide_candidates(&mut self, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        let sketches = state
            .into_any()
            .downcast::<SketchObserver>()
            .map_err(|_| StageError::Other("dedupe round 0 got a foreign observer".into()))?
            .sketches;
        let mut tally = Tally::default();
        tally.add("documents", sketches.len() as u64);
        let plan = cluster::plan(sketches, self.cfg.max_bucket, &mut tally);
        tracing::info!(
            documents = plan.docs.len(),
            candidates = plan.pairs.len(),
            to_verify = plan.wanted.len(),
            "Found near-duplicate candidates."
        );
        self.wanted = Arc::new(plan.wanted.clone());
        self.plan = Some(plan);
        Ok(tally)
    }

    fn decide_clusters(&mut self, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        let sets = state
            .into_any()
            .downcast::<SetObserver>()
            .map_err(|_| StageError::Other("dedupe round 1 got a foreign observer".into()))?
            .sets;
        let plan = self
            .plan
            .take()
            .ok_or_else(|| StageError::Other("dedupe round 1 decided before round 0".into()))?;
        let index_of_seq: HashMap<u64, u32> = plan
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.seq, i as u32))
            .collect();
        let mut sets: HashMap<u32, Vec<u32>> = sets
            .into_iter()
            .filter_map(|(seq, set)| Some((*index_of_seq.get(&seq)?, set)))
            .collect();

        let mut tally = Tally::default();
        let rule = Rule {
            threshold: self.cfg.threshold,
            containment_threshold: self.cfg.containment_threshold,
            min_shingles: self.cfg.min_shingles,
        };
        let dups = cluster::duplicates(&plan, &sets, rule, &mut tally);
        let stories = if self.cfg.story {
            cluster::stories(
                &plan,
                &dups,
                self.cfg.story_min_shared,
                self.cfg.story_max_df,
                &mut tally,
            )
        } else {
            Vec::new()
        };

        let mut links: HashMap<u32, Vec<PlannedLink>> = HashMap::new();
        for (i, link) in dups.iter().chain(&stories).enumerate() {
            if let Some(link) = link {
                links
                    .entry((i % plan.docs.len()) as u32)
                    .or_default()
                    .push(*link);
            }
        }
        // Only representatives' sets are needed from here on.
        let reps: HashSet<u32> = dups.iter().flatten().map(|l| l.rep).collect();
        sets.retain(|i, _| reps.contains(i));
        tracing::info!(
            clusters = tally.0.get("clusters").copied().unwrap_or(0),
            duplicates = tally.0.get("duplicates").copied().unwrap_or(0),
            "Clustered duplicates."
        );
        let mut docs = plan.docs;
        for (i, doc) in docs.iter_mut().enumerate() {
            if !stories
                .get(i)
                .is_some_and(|l| l.is_some_and(|l| l.rep as usize == i))
            {
                doc.story = Box::default();
            }
        }
        self.wanted = Arc::default();
        self.decision = Decision {
            docs,
            index_of_seq,
            links,
            rep_sets: sets,
        };
        Ok(tally)
    }

    fn link(&self, doc: &Document, planned: &PlannedLink, scratch: &mut Scratch) -> ClusterLink {
        let rep = &self.decision.docs[planned.rep as usize];
        let own = rep.seq == doc.seq;
        let passage = if own {
            trim_passage(&doc.text, PASSAGE_CHARS)
        } else {
            self.shared_passage(doc, planned, scratch)
        };
        let prefix = match planned.kind {
            ClusterKind::Duplicate => "dup:",
            ClusterKind::Story => "story:",
        };
        ClusterLink {
            kind: planned.kind,
            cluster: format!("{prefix}{}", rep.id),
            representative: rep.id.clone(),
            similarity: planned.evidence.similarity,
            containment: planned.evidence.containment,
            shared_shingles: planned.evidence.shared,
            passage,
        }
    }

    /// The longest run of this document's text whose shingles all occur in the representative.
    fn shared_passage(
        &self,
        doc: &Document,
        planned: &PlannedLink,
        scratch: &mut Scratch,
    ) -> String {
        let span = match planned.kind {
            ClusterKind::Duplicate => {
                let Some(rep_set) = self.decision.rep_sets.get(&planned.rep) else {
                    return String::new();
                };
                self.sketcher.shingles(&doc.text, scratch);
                longest_shared_run(
                    &scratch.tokens,
                    &scratch.shingles,
                    self.cfg.shingle_size,
                    |_, h| rep_set.binary_search(&compact(h)).is_ok(),
                )
            }
            ClusterKind::Story => {
                // Only a sample of the representative's shingles is known: a run may pass over
                // unsampled shingles but must start and end on shared sampled ones.
                let rep_fps = &self.decision.docs[planned.rep as usize].story;
                self.sketcher.story_shingles(&doc.text, scratch);
                let sampled_shared: Vec<Option<bool>> = scratch
                    .shingles
                    .iter()
                    .map(|&h| {
                        self.sketcher
                            .sampled(h)
                            .then(|| rep_fps.binary_search(&compact(h)).is_ok())
                    })
                    .collect();
                story_span(
                    &scratch.tokens,
                    &sampled_shared,
                    self.cfg.story_shingle_size,
                )
            }
        };
        span.and_then(|(s, e)| doc.text.get(s..e))
            .map_or_else(String::new, |p| trim_passage(p, PASSAGE_CHARS))
    }
}

/// Longest token span covered by consecutive shingles that are either unsampled or shared,
/// bounded by shared sampled shingles at both ends.
fn story_span(
    tokens: &[text::Token],
    sampled_shared: &[Option<bool>],
    size: usize,
) -> Option<(usize, usize)> {
    let size = size.min(tokens.len()).max(1);
    let mut best: Option<(usize, usize)> = None;
    let mut first: Option<usize> = None;
    for (i, state) in sampled_shared.iter().enumerate() {
        match state {
            Some(true) => {
                let f = *first.get_or_insert(i);
                let (start, end) = (tokens[f].start, tokens[i + size - 1].end);
                if best.is_none_or(|(s, e)| end - start > e - s) {
                    best = Some((start, end));
                }
            }
            Some(false) => first = None,
            None => {}
        }
    }
    best
}

impl Stage for DedupeStage {
    fn kind(&self) -> &'static str {
        "dedupe"
    }

    fn observation_rounds(&self) -> usize {
        2
    }

    fn new_observer(&self, round: usize) -> Box<dyn Observer> {
        if round == 0 {
            Box::new(SketchObserver::new(self.sketcher.clone()))
        } else {
            Box::new(SetObserver::new(self.sketcher.clone(), self.wanted.clone()))
        }
    }

    fn decide(&mut self, round: usize, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        match round {
            0 => self.decide_candidates(state),
            1 => self.decide_clusters(state),
            _ => Err(StageError::Other(format!(
                "dedupe has no observation round {round}"
            ))),
        }
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError> {
        let Some(index) = self.decision.index_of_seq.get(&doc.seq) else {
            return Ok(Verdict::Keep);
        };
        let Some(planned) = self.decision.links.get(index) else {
            return Ok(Verdict::Keep);
        };
        let mut scratch = Scratch::default();
        let mut duplicate = false;
        for planned in planned {
            if planned.kind == ClusterKind::Duplicate && planned.rep != *index {
                duplicate = true;
            }
            let link = self.link(doc, planned, &mut scratch);
            doc.links.retain(|l| l.kind != link.kind);
            doc.links.push(link);
        }
        if duplicate {
            tally.add("linked-duplicates", 1);
            if self.cfg.action == Action::Drop {
                return Ok(Verdict::Drop("duplicate".to_string()));
            }
        }
        Ok(Verdict::Keep)
    }
}
