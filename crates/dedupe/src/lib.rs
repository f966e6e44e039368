//! The `dedupe` stage: exact and near-duplicate articles, and story clusters.
//!
//! Round 0 sketches every document (exact key, MinHash LSH band keys, winnowed and quoted
//! story fingerprints); deciding it yields candidate pairs. Round 1 collects the exact shingle
//! sets of the candidates only; deciding it verifies every pair and clusters around
//! representatives chosen by the keep rule. `apply` attaches the [`ClusterLink`]s. With a
//! `[state] dir`, a persistent [`index`] adds earlier runs' articles as candidates, and
//! `finish` adds this run's.

mod cluster;
mod config;
pub mod index;
pub mod minhash;
mod observe;
pub mod text;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use newsmill_core::{
    BuildContext, ClusterKind, ClusterLink, Document, Observer, OutputFile, RunInfo, Stage,
    StageError, Tally, Verdict,
};

pub use config::{Action, DOC, DedupeConfig};

use cluster::{Evidence, Plan, PlanParams, PlannedLink, Rule, StoryRule};
use index::{Bounds, Index, IndexError, NewEntry, Settings};
use observe::{SetObserver, SketchObserver, Sketcher, Wanted};
use text::{Scratch, compact, longest_shared_run, story_contains, trim_passage};

/// Longest evidence passage attached to a link, in characters (including the "…").
const PASSAGE_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum DedupeError {
    #[error("invalid dedupe config: {}", .0.iter().map(|(k, m, _)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    Config(Vec<(String, String, Vec<String>)>),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// What `apply` needs after both rounds are decided.
#[derive(Default)]
struct Decision {
    /// Keep-order sketches (ids of representatives for the links).
    docs: Vec<observe::DocSketch>,
    index_of_seq: HashMap<u64, u32>,
    links: HashMap<u32, Vec<PlannedLink>>,
    /// Shingle sets of duplicate-cluster representatives, for evidence passages.
    rep_sets: HashMap<u32, Vec<u32>>,
    /// Story shingle sets of story representatives, for evidence passages.
    story_rep_sets: HashMap<u32, Vec<u32>>,
    /// Documents that duplicate an article of an earlier run: the index entry and evidence.
    index_links: HashMap<u32, (u32, Evidence)>,
    /// This run's articles to add to the index in `finish`, in keep order.
    pending: Vec<NewEntry>,
}

pub struct DedupeStage {
    cfg: DedupeConfig,
    sketcher: Arc<Sketcher>,
    plan: Option<Plan>,
    wanted: Arc<HashMap<u64, Wanted>>,
    decision: Decision,
    index: Option<Index>,
}

impl DedupeStage {
    /// The stage as the driver builds it: with `index = true` and a `[state] dir`, the
    /// persistent index is opened now, so a damaged index or one built with other hashing
    /// settings stops the run before any work.
    pub fn build(cfg: DedupeConfig, ctx: &BuildContext) -> Result<DedupeStage, DedupeError> {
        let state_dir = ctx.state_dir.clone().filter(|_| cfg.index);
        let mut stage = DedupeStage::new(cfg)?;
        if let Some(dir) = state_dir {
            let index = Index::open(&dir, Settings::of(&stage.cfg))?;
            tracing::info!(
                path = %index.path().display(),
                entries = index.entries.len(),
                runs = index.runs.len(),
                "Opened the dedupe index."
            );
            stage.index = Some(index);
        }
        Ok(stage)
    }

    /// The stage without a persistent index.
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
            index: None,
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
        let state: usize = sketches.iter().map(observe::DocSketch::bytes).sum();
        let story: usize = sketches
            .iter()
            .map(|s| std::mem::size_of_val(&*s.story))
            .sum();
        tally.add("sketch-bytes", state as u64);
        tally.add("sketch-story-bytes", story as u64);
        let params = PlanParams {
            max_bucket: self.cfg.max_bucket,
            story_max_df: self.cfg.story_max_df,
            story_max_candidates: self.cfg.story_max_candidates,
            index: self.index.as_ref(),
        };
        let plan = cluster::plan(sketches, params, &mut tally);
        tracing::info!(
            documents = plan.docs.len(),
            candidates = plan.pairs.len(),
            story_candidates = plan.story_pairs.len(),
            to_verify = plan.wanted.len(),
            "Found near-duplicate candidates."
        );
        self.wanted = Arc::new(plan.wanted.clone());
        self.plan = Some(plan);
        Ok(tally)
    }

    fn decide_clusters(&mut self, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        let observed = state
            .into_any()
            .downcast::<SetObserver>()
            .map_err(|_| StageError::Other("dedupe round 1 got a foreign observer".into()))?;
        let SetObserver {
            sets, story_sets, ..
        } = *observed;
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
        let by_index = |sets: Vec<(u64, Vec<u32>)>| -> HashMap<u32, Vec<u32>> {
            sets.into_iter()
                .filter_map(|(seq, set)| Some((*index_of_seq.get(&seq)?, set)))
                .collect()
        };
        let mut sets = by_index(sets);
        let mut story_sets = by_index(story_sets);

        let mut tally = Tally::default();
        let rule = Rule {
            threshold: self.cfg.threshold,
            containment_threshold: self.cfg.containment_threshold,
            min_shingles: self.cfg.min_shingles,
        };
        let n = plan.docs.len();
        // Matches against earlier runs come first: those articles were kept already.
        let mut index_links: HashMap<u32, (u32, Evidence)> = HashMap::new();
        if let Some(index) = &self.index {
            let matches = cluster::index_matches(&plan, &sets, index, rule, &mut tally);
            for j in 0..n {
                if let Some(m) = matches[plan.leader[j] as usize] {
                    index_links.insert(j as u32, m);
                }
            }
            tally.add("index-duplicates", index_links.len() as u64);
        }
        let taken: Vec<bool> = (0..n as u32)
            .map(|j| index_links.contains_key(&j))
            .collect();
        let dups = cluster::duplicates(&plan, &sets, rule, &taken, &mut tally);
        let stories = if self.cfg.story {
            cluster::stories(
                &plan,
                &dups,
                &taken,
                &story_sets,
                StoryRule {
                    min_shared: self.cfg.story_min_shared,
                    min_quoted: self.cfg.story_min_quoted,
                },
                &mut tally,
            )
        } else {
            Vec::new()
        };

        let mut links: HashMap<u32, Vec<PlannedLink>> = HashMap::new();
        for (i, link) in dups.iter().chain(&stories).enumerate() {
            if let Some(link) = link {
                links.entry((i % n) as u32).or_default().push(*link);
            }
        }
        // New articles of this run for the index: every leader that is neither a copy of an
        // earlier run's article nor a member of a duplicate cluster.
        let mut pending = Vec::new();
        let mut docs = plan.docs;
        if self.index.is_some() {
            for (j, doc) in docs.iter_mut().enumerate() {
                let unit = plan.leader[j] as usize == j
                    && !taken[j]
                    && dups[j].is_none_or(|l| l.rep as usize == j);
                let bands = std::mem::take(&mut doc.bands);
                if !unit {
                    continue;
                }
                let set = if dups[j].is_some() {
                    sets.get(&(j as u32)).cloned()
                } else {
                    sets.remove(&(j as u32))
                };
                pending.push(NewEntry {
                    id: doc.id.to_string(),
                    exact: doc.exact,
                    bands,
                    set: set.unwrap_or_default(),
                });
            }
        }
        // Only representatives' sets are needed from here on.
        let reps: HashSet<u32> = dups.iter().flatten().map(|l| l.rep).collect();
        sets.retain(|i, _| reps.contains(i));
        let story_reps: HashSet<u32> = stories.iter().flatten().map(|l| l.rep).collect();
        story_sets.retain(|i, _| story_reps.contains(i));
        tracing::info!(
            clusters = tally.0.get("clusters").copied().unwrap_or(0),
            duplicates = tally.0.get("duplicates").copied().unwrap_or(0),
            "Clustered duplicates."
        );
        self.wanted = Arc::default();
        self.decision = Decision {
            docs,
            index_of_seq,
            links,
            rep_sets: sets,
            story_rep_sets: story_sets,
            index_links,
            pending,
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
            representative: rep.id.to_string(),
            representative_run: None,
            similarity: planned.evidence.similarity,
            containment: planned.evidence.containment,
            shared_shingles: planned.evidence.shared,
            passage,
        }
    }

    /// The link of a document that duplicates an article of an earlier run. Its cluster is
    /// named after that article, as it was in the run that kept it.
    fn index_link(
        &self,
        doc: &Document,
        entry: u32,
        evidence: Evidence,
        scratch: &mut Scratch,
    ) -> Option<ClusterLink> {
        let index = self.index.as_ref()?;
        let entry = index.entries.get(entry as usize)?;
        let rep_set = index.set(entry);
        self.sketcher.shingles(&doc.text, scratch);
        let span = longest_shared_run(
            &scratch.tokens,
            &scratch.shingles,
            self.cfg.shingle_size,
            |_, h| rep_set.binary_search(&compact(h)).is_ok(),
        );
        Some(ClusterLink {
            kind: ClusterKind::Duplicate,
            cluster: format!("dup:{}", entry.id),
            representative: entry.id.clone(),
            representative_run: Some(index.run_started(entry.run)),
            similarity: evidence.similarity,
            containment: evidence.containment,
            shared_shingles: evidence.shared,
            passage: span
                .and_then(|(s, e)| doc.text.get(s..e))
                .map_or_else(String::new, |p| trim_passage(p, PASSAGE_CHARS)),
        })
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
                let Some(rep_set) = self.decision.story_rep_sets.get(&planned.rep) else {
                    return String::new();
                };
                self.sketcher.story_shingles(&doc.text, scratch);
                longest_shared_run(
                    &scratch.tokens,
                    &scratch.shingles,
                    self.cfg.story_shingle_size,
                    |_, h| story_contains(rep_set, h),
                )
            }
        };
        span.and_then(|(s, e)| doc.text.get(s..e))
            .map_or_else(String::new, |p| trim_passage(p, PASSAGE_CHARS))
    }
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
        let mut scratch = Scratch::default();
        let mut duplicate = false;
        let earlier = self
            .decision
            .index_links
            .get(index)
            .and_then(|&(entry, evidence)| self.index_link(doc, entry, evidence, &mut scratch));
        if let Some(link) = earlier {
            doc.links.retain(|l| l.kind != link.kind);
            doc.links.push(link);
            duplicate = true;
        }
        let planned = self
            .decision
            .links
            .get(index)
            .map_or(&[][..], Vec::as_slice);
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

    /// Adds this run's new articles to the index, after the outputs are written.
    fn finish(&mut self, run: &RunInfo) -> Result<Vec<OutputFile>, StageError> {
        let Some(index) = &self.index else {
            return Ok(Vec::new());
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let bounds = Bounds {
            max_age_days: self.cfg.index_max_age_days,
            max_entries: self.cfg.index_max_entries,
        };
        let written = index
            .commit(&self.decision.pending, &run.started, now, bounds)
            .map_err(|e| StageError::Other(e.to_string()))?;
        tracing::info!(
            path = %index.path().display(),
            added = self.decision.pending.len(),
            entries = written,
            "Committed the dedupe index."
        );
        self.decision.pending = Vec::new();
        Ok(Vec::new())
    }
}
