//! The `dedupe` stage: exact and near-duplicate articles, and story clusters.
//!
//! Round 0 sketches every document (exact key, MinHash LSH band keys, a b-bit sketch of the
//! same signature, winnowed and quoted story fingerprints); deciding it yields candidate
//! pairs, less those a b-bit MinHash pre-filter shows cannot verify. Round 1 collects the
//! exact shingle sets of the candidates only; deciding it verifies every pair and clusters
//! around representatives chosen by the keep rule. `apply` attaches the [`ClusterLink`]s.
//! With a `[state] dir`, a persistent [`index`] adds earlier runs' articles as candidates, and
//! `finish` adds this run's. In sharded runs, observers and decisions are saved to directories
//! and loaded by other processes (`shard`).
//!
//! Memory holds a compact record per document; band keys, fingerprints, candidate pairs and
//! shingle sets go to scratch files under `[run] work_dir`, so the stage's state
//! stays at a few hundred bytes per document however large the corpus.

mod cluster;
mod config;
pub mod index;
pub mod minhash;
mod observe;
mod persist;
mod prefilter;
mod shard;
mod spill;
pub mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use newsmill_core::{
    BuildContext, ClusterKind, ClusterLink, Document, Observer, OutputFile, RunInfo, Stage,
    StageError, Tally, Verdict,
};

pub use config::{Action, DOC, DedupeConfig};

use cluster::{ABSENT, Evidence, Plan, PlanParams, PlannedLink, Sets, StoryRule};
use index::{Bounds, Index, IndexError, NewEntry, Settings};
use observe::{
    DocRecord, RoundZeroSpill, STORY_PARTITION_BITS, SetObserver, SketchObserver, Sketcher, Stored,
    wanted,
};
use prefilter::Prefilter;
use spill::{Partitions, SetFile, SetLoc};
use text::{Scratch, compact, longest_shared_run, story_contains, trim_passage};

/// Longest evidence passage attached to a link, in characters (including the "…").
const PASSAGE_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum DedupeError {
    #[error("invalid dedupe config: {}", .0.iter().map(|(k, m, _)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    Config(Vec<(String, String, Vec<String>)>),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cannot create the dedupe scratch directory in {path}: {source}")]
    Scratch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An article of this run to add to the index in `finish`.
struct Pending {
    doc: u32,
    set: SetLoc,
    bands: SetLoc,
}

/// What `apply` needs after both rounds are decided.
#[derive(Default)]
struct Decision {
    /// Keep-order records (ids of representatives for the links) and their id arena.
    docs: Vec<DocRecord>,
    ids: String,
    seq_to_idx: Vec<u32>,
    /// Duplicate and story links by keep index.
    dups: Vec<Option<PlannedLink>>,
    stories: Vec<Option<PlannedLink>>,
    /// Where round 1 stored each document's sets, by keep index (representatives' sets give
    /// the evidence passages).
    dup_sets: Vec<SetLoc>,
    story_sets: Vec<SetLoc>,
    /// Documents that duplicate an article of an earlier run: the index entry and evidence.
    index_links: HashMap<u32, (u32, Evidence)>,
    /// This run's articles to add to the index in `finish`, in keep order.
    pending: Vec<Pending>,
}

/// The run's scratch directory (removed when the stage is dropped) and its files.
struct Scratchpad {
    dir: tempfile::TempDir,
    round0: Arc<RoundZeroSpill>,
    sets: Arc<SetFile>,
}

impl Scratchpad {
    fn create(parent: &Path, cfg: &DedupeConfig) -> std::io::Result<Scratchpad> {
        std::fs::create_dir_all(parent)?;
        let dir = tempfile::Builder::new()
            .prefix("newsmill-dedupe-")
            .tempdir_in(parent)?;
        let story_parts = if cfg.story {
            1 << STORY_PARTITION_BITS
        } else {
            0
        };
        let round0 = Arc::new(RoundZeroSpill {
            bands: Partitions::create(dir.path(), "bands", cfg.bands)?,
            sketches: Partitions::create(dir.path(), "sketches", 1)?,
            story: Partitions::create(dir.path(), "story", story_parts)?,
        });
        let sets = Arc::new(SetFile::create(dir.path().join("sets.bin"))?);
        Ok(Scratchpad { dir, round0, sets })
    }
}

pub struct DedupeStage {
    cfg: DedupeConfig,
    sketcher: Arc<Sketcher>,
    prefilter: Prefilter,
    scratch: Scratchpad,
    plan: Option<Plan>,
    wanted: Arc<Vec<u8>>,
    decision: Decision,
    /// Round 1 was decided (or its decision loaded): `decision` is complete.
    clustered: bool,
    index: Option<Index>,
}

fn no_round(round: usize) -> StageError {
    StageError::Other(format!("dedupe has no observation round {round}"))
}

fn io_error(action: &str) -> impl Fn(std::io::Error) -> StageError + '_ {
    move |e| StageError::Other(format!("dedupe could not {action} its scratch files: {e}"))
}

impl DedupeStage {
    /// The stage as the driver builds it: with `index = true` and a `[state] dir`, the
    /// persistent index is opened now, so a damaged index or one built with other hashing
    /// settings stops the run before any work. Scratch files go to `[run] work_dir` (the
    /// system's temporary directory when unset).
    pub fn build(cfg: DedupeConfig, ctx: &BuildContext) -> Result<DedupeStage, DedupeError> {
        let state_dir = ctx.state_dir.clone().filter(|_| cfg.index);
        let work_dir = ctx.work_dir.clone().unwrap_or_else(std::env::temp_dir);
        let mut stage = DedupeStage::with_scratch(cfg, &work_dir)?;
        if let Some(dir) = state_dir {
            let mut index = Index::open(&dir, Settings::of(&stage.cfg))?;
            if let Some(run) = ctx.state_run {
                let run = u32::try_from(run).unwrap_or(u32::MAX);
                let replaced = index.forget_ids(&ctx.replaced_ids);
                if replaced > 0 {
                    tracing::info!(
                        path = %index.path().display(),
                        entries = replaced,
                        "Removed from the dedupe index {replaced} articles whose input changed; this run reads them again."
                    );
                }
                let forgotten = index.number_next_run(run);
                if forgotten > 0 {
                    tracing::warn!(
                        path = %index.path().display(),
                        entries = forgotten,
                        run,
                        "The dedupe index held {forgotten} entries of a run that was killed before it was committed; they are ignored."
                    );
                }
            }
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

    /// The stage without a persistent index, with scratch files in the system's temporary
    /// directory.
    pub fn new(cfg: DedupeConfig) -> Result<DedupeStage, DedupeError> {
        DedupeStage::with_scratch(cfg, &std::env::temp_dir())
    }

    fn with_scratch(cfg: DedupeConfig, work_dir: &Path) -> Result<DedupeStage, DedupeError> {
        let problems = cfg.problems();
        if !problems.is_empty() {
            return Err(DedupeError::Config(problems));
        }
        let scratch =
            Scratchpad::create(work_dir, &cfg).map_err(|source| DedupeError::Scratch {
                path: work_dir.to_path_buf(),
                source,
            })?;
        Ok(DedupeStage {
            sketcher: Arc::new(Sketcher::new(&cfg)),
            prefilter: Prefilter::new(cfg.num_hashes, cfg.rule()),
            cfg,
            scratch,
            plan: None,
            wanted: Arc::default(),
            decision: Decision::default(),
            clustered: false,
            index: None,
        })
    }

    fn decide_candidates(&mut self, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        let mut observed = state
            .into_any()
            .downcast::<SketchObserver>()
            .map_err(|_| StageError::Other("dedupe round 0 got a foreign observer".into()))?;
        if observed.too_many {
            return Err(StageError::Fatal(
                "dedupe handles at most 4,294,967,295 documents per run".into(),
            ));
        }
        observed.flush();
        // Sharded runs: the shards' partition files are read after the scratch partitions.
        for (family, part, path) in std::mem::take(&mut observed.loaded) {
            family.of(&self.scratch.round0).attach(part, path);
        }
        let SketchObserver {
            mut docs, mut ids, ..
        } = *observed;
        // Merging grew them by doubling; they are kept until the end of the run.
        docs.shrink_to_fit();
        ids.shrink_to_fit();
        let mut tally = Tally::default();
        tally.add("documents", docs.len() as u64);
        // The state round 0 keeps per document: its record and id (band keys and story
        // fingerprints are in the scratch partitions).
        let state = docs.len() * std::mem::size_of::<DocRecord>() + ids.len();
        tally.add("sketch-bytes", state as u64);
        let params = PlanParams {
            max_bucket: self.cfg.max_bucket,
            story_max_df: self.cfg.story_max_df,
            story_max_candidates: self.cfg.story_max_candidates,
            index: self.index.as_ref(),
            scratch: self.scratch.dir.path(),
            prefilter: &self.prefilter,
        };
        let plan = cluster::plan(docs, ids, &self.scratch.round0, params, &mut tally)
            .map_err(io_error("read"))?;
        tracing::info!(
            documents = plan.docs.len(),
            lsh_pairs = tally.0.get("lsh-pairs").copied().unwrap_or(0),
            prefilter_rejected = tally.0.get("prefilter-rejected").copied().unwrap_or(0),
            story_candidates = tally.0.get("story-candidates").copied().unwrap_or(0),
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
        let mut plan = self
            .plan
            .take()
            .ok_or_else(|| StageError::Other("dedupe round 1 decided before round 0".into()))?;
        self.wanted = Arc::default();
        plan.wanted = Vec::new();
        self.scratch.sets.seal().map_err(io_error("write"))?;
        let started = std::time::Instant::now();
        let SetObserver {
            mut stored, loaded, ..
        } = *observed;
        // Sharded runs: each shard's set file becomes a read-only segment of the set file.
        for shard in loaded {
            let base = self.scratch.sets.attach(shard.path, shard.bytes)?;
            for s in shard.stored {
                let loc = s.loc.shifted(base).ok_or_else(|| {
                    StageError::Other("the dedupe shards' sets exceed 1 TB".into())
                })?;
                stored.push(Stored { loc, ..s });
            }
        }
        let n = plan.docs.len();
        let mut dup_sets = vec![SetLoc::NONE; n];
        let mut story_sets = vec![SetLoc::NONE; if self.cfg.story { n } else { 0 }];
        let mut band_sets: HashMap<u32, SetLoc> = HashMap::new();
        for stored in stored {
            let Some(&idx) = plan.seq_to_idx.get(stored.seq as usize) else {
                continue;
            };
            if idx == ABSENT {
                continue;
            }
            let slot = match stored.what {
                wanted::DUPLICATE => dup_sets.get_mut(idx as usize),
                wanted::STORY => story_sets.get_mut(idx as usize),
                _ => {
                    band_sets.insert(idx, stored.loc);
                    None
                }
            };
            if let Some(slot) = slot {
                *slot = stored.loc;
            }
        }
        let file = &*self.scratch.sets;
        let located = started.elapsed().as_secs_f64();
        let mut tally = Tally::default();
        tally.add("set-file-bytes", file.bytes());
        let sets = Sets {
            file,
            locs: &dup_sets,
        };

        let rule = self.cfg.rule();
        // Matches against earlier runs come first: those articles were kept already.
        let mut index_links: HashMap<u32, (u32, Evidence)> = HashMap::new();
        if let Some(index) = &self.index {
            let matches = cluster::index_matches(&plan, &sets, index, rule, &mut tally)
                .map_err(io_error("read"))?;
            for j in 0..n {
                if let Some(m) = matches.get(&plan.leader[j]) {
                    index_links.insert(j as u32, *m);
                }
            }
            tally.add("index-duplicates", index_links.len() as u64);
        }
        let taken: Vec<bool> = (0..n as u32)
            .map(|j| index_links.contains_key(&j))
            .collect();
        let dups = cluster::duplicates(&plan, &sets, rule, &taken, &mut tally)
            .map_err(io_error("read"))?;
        let verified = started.elapsed().as_secs_f64();
        let stories = if self.cfg.story {
            let story = Sets {
                file,
                locs: &story_sets,
            };
            cluster::stories(
                &plan,
                &dups,
                &taken,
                &story,
                StoryRule {
                    min_shared: self.cfg.story_min_shared,
                    min_quoted: self.cfg.story_min_quoted,
                },
                &mut tally,
            )
            .map_err(io_error("read"))?
        } else {
            Vec::new()
        };

        // New articles of this run for the index: every leader that is neither a copy of an
        // earlier run's article nor a member of a duplicate cluster.
        tracing::info!(
            located,
            duplicates = verified - located,
            stories = started.elapsed().as_secs_f64() - verified,
            "Verified candidates on the scratch sets."
        );
        let mut pending = Vec::new();
        if self.index.is_some() {
            for j in 0..n {
                let unit = plan.leader[j] as usize == j
                    && !taken[j]
                    && dups[j].is_none_or(|l| l.rep as usize == j);
                if unit {
                    pending.push(Pending {
                        doc: j as u32,
                        set: dup_sets[j],
                        bands: band_sets.get(&(j as u32)).copied().unwrap_or(SetLoc::NONE),
                    });
                }
            }
        }
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            clusters = tally.0.get("clusters").copied().unwrap_or(0),
            duplicates = tally.0.get("duplicates").copied().unwrap_or(0),
            "Clustered duplicates."
        );
        let Plan {
            docs,
            ids,
            seq_to_idx,
            ..
        } = plan;
        self.decision = Decision {
            docs,
            ids,
            seq_to_idx,
            dups,
            stories,
            dup_sets,
            story_sets,
            index_links,
            pending,
        };
        self.clustered = true;
        Ok(tally)
    }

    fn rep_id(&self, rep: u32) -> &str {
        self.decision
            .docs
            .get(rep as usize)
            .map_or("", |d| d.id(&self.decision.ids))
    }

    fn link(&self, doc: &Document, planned: &PlannedLink, scratch: &mut Scratch) -> ClusterLink {
        let rep_seq = self.decision.docs.get(planned.rep as usize).map(|d| d.seq);
        let own = rep_seq.is_some_and(|s| u64::from(s) == doc.seq);
        let passage = if own {
            trim_passage(&doc.text, PASSAGE_CHARS)
        } else {
            self.shared_passage(doc, planned, scratch)
        };
        let prefix = match planned.kind {
            ClusterKind::Duplicate => "dup:",
            ClusterKind::Story => "story:",
        };
        let rep = self.rep_id(planned.rep);
        ClusterLink {
            kind: planned.kind,
            cluster: format!("{prefix}{rep}"),
            representative: rep.to_string(),
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
        let rep_set = index.set(entry).unwrap_or_default();
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
            representative: entry.id.to_string(),
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
        let locs = match planned.kind {
            ClusterKind::Duplicate => &self.decision.dup_sets,
            ClusterKind::Story => &self.decision.story_sets,
        };
        let loc = locs
            .get(planned.rep as usize)
            .copied()
            .unwrap_or(SetLoc::NONE);
        let mut rep_set = Vec::new();
        if !loc.is_some() || self.scratch.sets.read(loc, &mut rep_set).is_err() {
            return String::new();
        }
        let span = match planned.kind {
            ClusterKind::Duplicate => {
                self.sketcher.shingles(&doc.text, scratch);
                longest_shared_run(
                    &scratch.tokens,
                    &scratch.shingles,
                    self.cfg.shingle_size,
                    |_, h| rep_set.binary_search(&compact(h)).is_ok(),
                )
            }
            ClusterKind::Story => {
                self.sketcher.story_shingles(&doc.text, scratch);
                longest_shared_run(
                    &scratch.tokens,
                    &scratch.shingles,
                    self.cfg.story_shingle_size,
                    |_, h| story_contains(&rep_set, h),
                )
            }
        };
        span.and_then(|(s, e)| doc.text.get(s..e))
            .map_or_else(String::new, |p| trim_passage(p, PASSAGE_CHARS))
    }

    /// This run's `k`-th new index entry, read back from the scratch set file.
    fn pending_entry(&self, k: usize) -> std::io::Result<NewEntry> {
        let file = &self.scratch.sets;
        let p = self
            .decision
            .pending
            .get(k)
            .ok_or_else(|| std::io::Error::other("no such pending entry"))?;
        let doc = self.decision.docs.get(p.doc as usize);
        let mut set = Vec::new();
        let mut bands = Vec::new();
        file.read(p.set, &mut set)?;
        file.read(p.bands, &mut bands)?;
        Ok(NewEntry {
            id: doc.map_or("", |d| d.id(&self.decision.ids)).to_string(),
            exact: doc.map_or(0, |d| d.exact),
            bands: bands.into_boxed_slice(),
            set,
        })
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
            Box::new(SketchObserver::new(
                self.sketcher.clone(),
                self.scratch.round0.clone(),
            ))
        } else {
            Box::new(SetObserver::new(
                self.sketcher.clone(),
                self.wanted.clone(),
                self.scratch.sets.clone(),
            ))
        }
    }

    fn decide(&mut self, round: usize, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        match round {
            0 => self.decide_candidates(state),
            1 => self.decide_clusters(state),
            _ => Err(no_round(round)),
        }
    }

    /// Not with a persistent index open: every shard would commit its own additions. The
    /// driver opens none in sharded runs.
    fn shardable(&self) -> bool {
        self.index.is_none()
    }

    fn load_observer(&self, round: usize, dir: &Path) -> Result<Box<dyn Observer>, StageError> {
        let observer: Box<dyn Observer> = match round {
            0 => Box::new(shard::load_sketches(
                self.sketcher.clone(),
                self.scratch.round0.clone(),
                dir,
            )?),
            1 => Box::new(shard::load_sets(
                self.sketcher.clone(),
                self.wanted.clone(),
                self.scratch.sets.clone(),
                dir,
            )?),
            _ => return Err(no_round(round)),
        };
        Ok(observer)
    }

    fn save_decision(&self, round: usize, dir: &Path) -> Result<(), StageError> {
        let digest = self.sketcher.digest;
        match round {
            0 => {
                let plan = self.plan.as_ref().ok_or_else(|| {
                    StageError::Other(
                        "dedupe cannot save round 0: it is not the round last decided".into(),
                    )
                })?;
                shard::save_plan(plan, dir, digest)?;
            }
            1 if self.clustered => {
                shard::save_decision(&self.decision, &self.scratch.sets, dir, digest)?;
            }
            1 => {
                return Err(StageError::Other(
                    "dedupe cannot save round 1: it was not decided".into(),
                ));
            }
            _ => return Err(no_round(round)),
        }
        Ok(())
    }

    fn load_decision(&mut self, round: usize, dir: &Path) -> Result<(), StageError> {
        let digest = self.sketcher.digest;
        match round {
            0 => {
                let plan = shard::load_plan(dir, digest, self.scratch.dir.path())?;
                self.wanted = Arc::new(plan.wanted.clone());
                self.plan = Some(plan);
            }
            1 => {
                // Round 0's plan is only needed to decide round 1.
                self.plan = None;
                self.wanted = Arc::default();
                self.decision = shard::load_decision(dir, digest, &self.scratch.sets)?;
                self.clustered = true;
            }
            _ => return Err(no_round(round)),
        }
        Ok(())
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError> {
        let Some(&index) = usize::try_from(doc.seq)
            .ok()
            .and_then(|seq| self.decision.seq_to_idx.get(seq))
        else {
            return Ok(Verdict::Keep);
        };
        if index == ABSENT {
            return Ok(Verdict::Keep);
        }
        let mut scratch = Scratch::default();
        let mut duplicate = false;
        let earlier = self
            .decision
            .index_links
            .get(&index)
            .and_then(|&(entry, evidence)| self.index_link(doc, entry, evidence, &mut scratch));
        if let Some(link) = earlier {
            doc.links.retain(|l| l.kind != link.kind);
            doc.links.push(link);
            duplicate = true;
        }
        let planned = [&self.decision.dups, &self.decision.stories]
            .into_iter()
            .filter_map(|links| links.get(index as usize).copied().flatten());
        for planned in planned {
            if planned.kind == ClusterKind::Duplicate && planned.rep != index {
                duplicate = true;
            }
            let link = self.link(doc, &planned, &mut scratch);
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
        let added = self.decision.pending.len();
        let written = index
            .commit_with(added, |k| self.pending_entry(k), &run.started, now, bounds)
            .map_err(|e| StageError::Other(e.to_string()))?;
        tracing::info!(
            path = %index.path().display(),
            added,
            entries = written,
            "Committed the dedupe index."
        );
        self.decision.pending = Vec::new();
        Ok(Vec::new())
    }
}
