//! Runs the stages over the documents in streaming passes.
//!
//! The stage list is cut at every stage that observes the corpus. Each pass reads documents
//! (from the inputs, then from the work file the previous pass wrote), applies the stages of its
//! slice on all cores, hands every document to sinks in input order, feeds the next observing
//! stage's observer, and spills the documents to a compressed work file for the next pass. Memory
//! holds one batch of documents plus the observers' compact states, never the corpus.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use newsmill_core::{
    ClusterKind, Document, InputInfo, Observer, OutputFile, PassReport, Rejection, RunInfo, Stage,
    StageError, StageReport, Status, Tally, Verdict,
};
use newsmill_ingest::{InputConfig, InputFile, Record};

use crate::progress::Progress;
use crate::store::{Store, StoreError};

/// A run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot create the work directory in {path}: {source}")]
    WorkDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot {action} the work file {path}: {source}")]
    WorkFile {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the work file {path} is damaged at document {line}: {message}")]
    WorkFileDamaged {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("stage {index} ({kind}) failed: {message}")]
    Stage {
        index: usize,
        kind: String,
        message: String,
    },
    #[error("cannot start the worker threads: {0}")]
    Threads(String),
    #[error(transparent)]
    State(#[from] StoreError),
}

/// What the executor needs besides the stages.
pub struct Plan<'a> {
    pub input: &'a InputConfig,
    pub files: Vec<InputFile>,
    /// Rejections found while listing the inputs (paths that do not exist).
    pub listing_rejections: Vec<Rejection>,
    pub batch_size: usize,
    pub work_dir: Option<PathBuf>,
    pub log_every: Duration,
    pub show_progress: bool,
    /// With a `[state] dir`: the database in its open transaction, where the final documents
    /// go and from which sinks get the documents of inputs this run skipped.
    pub state: Option<StatePlan<'a>>,
    /// Sharded runs: how a shard's documents are numbered across the whole corpus.
    pub sharding: Sharding,
}

/// How a sharded run numbers documents. A shard cannot know how many documents earlier shards
/// hold, nor their ids, until all have read their inputs; so the first step reads with local
/// numbers and repeated ids left alone, and the next step renumbers.
#[derive(Clone, Debug, Default)]
pub struct Sharding {
    /// Reading keeps ids as they are (the merge makes them unique across shards).
    pub keep_ids: bool,
    /// Collect the ids of the documents read, in order.
    pub collect_ids: bool,
    /// Applied to every document read from the work file: `seq += offset`, and new ids by
    /// local `seq`.
    pub renumber: Option<Renumber>,
}

#[derive(Clone, Debug, Default)]
pub struct Renumber {
    pub offset: u64,
    pub renamed: std::collections::HashMap<u64, String>,
}

/// The state side of a run.
pub struct StatePlan<'a> {
    pub store: &'a mut Store,
    /// This run's number in the state.
    pub run: u64,
    /// Hashes of the ids stored documents keep, so new documents cannot take them.
    pub earlier_ids: std::collections::HashSet<u64>,
    /// The state directory, where decisions that carry between runs are kept.
    pub dir: PathBuf,
}

/// Per-stage counters gathered while applying; merged across workers (and shards) in any order.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StageStats {
    input: u64,
    kept: u64,
    dropped: BTreeMap<String, u64>,
    errors: u64,
    tally: Tally,
    nanos: u64,
    /// Observing and deciding, in nanoseconds.
    #[serde(default)]
    observe_nanos: u64,
    #[serde(default)]
    decide_nanos: u64,
    /// The first error that must stop the run, by input order.
    #[serde(skip)]
    fatal: Option<(u64, String)>,
}

impl StageStats {
    /// What a merge step's deciding adds to a stage's figures.
    pub fn decided(tally: Tally, nanos: u64) -> StageStats {
        StageStats {
            tally,
            decide_nanos: nanos,
            ..StageStats::default()
        }
    }

    pub fn merge(&mut self, other: &StageStats) {
        self.input += other.input;
        self.kept += other.kept;
        for (k, v) in &other.dropped {
            *self.dropped.entry(k.clone()).or_insert(0) += v;
        }
        self.errors += other.errors;
        self.tally.merge(&other.tally);
        self.nanos += other.nanos;
        self.observe_nanos += other.observe_nanos;
        self.decide_nanos += other.decide_nanos;
        if let Some((seq, message)) = &other.fatal
            && self.fatal.as_ref().is_none_or(|(s, _)| seq < s)
        {
            self.fatal = Some((*seq, message.clone()));
        }
    }
}

/// One unit of work between the reader thread and the workers.
enum Batch {
    Documents(Vec<Document>),
    /// Raw lines of a work file (the `file`-th of the source), deserialised on the workers.
    Spilled {
        file: usize,
        first_line: u64,
        lines: Vec<String>,
    },
    Rejections(Vec<Rejection>),
}

/// Where a pass reads from.
#[derive(Clone)]
pub enum Source {
    Inputs,
    /// Work files, read one after the other (one, except in a sharded run's final merge,
    /// which reads every shard's in shard order).
    WorkFiles(Vec<PathBuf>),
}

impl Source {
    fn work_file(path: &Path) -> Source {
        Source::WorkFiles(vec![path.to_path_buf()])
    }
}

struct Executor<'a> {
    plan: Plan<'a>,
    stages: Vec<Box<dyn Stage>>,
    stats: Vec<StageStats>,
    input_infos: Vec<InputInfo>,
    rejections: Vec<Rejection>,
    passes: Vec<PassReport>,
    documents: u64,
    articles: u64,
    duplicates: u64,
    rejected_documents: u64,
    progress: Progress,
    /// The merged observer of the pass that just ended, waiting for its stage to decide.
    pending_observation: Option<(usize, usize, Box<dyn Observer>)>,
    /// Stored documents of earlier runs handed to sinks.
    earlier_documents: Option<u64>,
    /// Ids of the documents read, in order, when the plan asks for them.
    ids: Vec<String>,
    started: Instant,
}

/// The run's figures, for the summary line and the exit code.
pub struct Outcome {
    pub info: RunInfo,
    /// The files the stages wrote, in the order they returned them; those staged under a
    /// temporary name wait for the caller to publish them.
    pub outputs: Vec<OutputFile>,
}

/// Runs the whole pipeline. `info` carries the fields the caller knows (version, config).
pub fn execute(
    plan: Plan<'_>,
    stages: Vec<Box<dyn Stage>>,
    info: RunInfo,
) -> Result<Outcome, RunError> {
    let n = stages.len();
    let mut ex = Executor::new(plan, stages);
    let work_dir = ex.create_work_dir()?;

    // Cut the stage list at observing stages: each cut point is where a pass ends.
    let observers: Vec<usize> = (0..n)
        .filter(|&i| ex.stages[i].observation_rounds() > 0)
        .collect();
    let mut source = Source::Inputs;
    let mut start = 0;
    for (cut, &stage) in observers.iter().enumerate() {
        let spill = work_dir.path().join(format!("pass-{cut}.jsonl.zst"));
        ex.pass(&source, start..stage, Some((stage, 0)), Some(&spill), false)?;
        ex.decide(stage, 0)?;
        for round in 1..ex.stages[stage].observation_rounds() {
            ex.pass(
                &Source::work_file(&spill),
                stage..stage,
                Some((stage, round)),
                None,
                false,
            )?;
            ex.decide(stage, round)?;
        }
        if let Source::WorkFiles(previous) = &source {
            // The previous work file has been fully re-read; free the disk early.
            for file in previous {
                let _ = std::fs::remove_file(file);
            }
        }
        source = Source::work_file(&spill);
        start = stage;
    }
    ex.pass(&source, start..n, None, None, true)?;
    ex.conclude(info)
}

/// One step of a sharded run in a shard: read, apply a slice of stages, perhaps observe one
/// stage round, perhaps spill.
pub struct Step {
    pub source: Source,
    pub apply: std::ops::Range<usize>,
    pub observe: Option<(usize, usize)>,
    pub spill: Option<PathBuf>,
}

/// What a shard's step leaves for the merge: its figures, and the observer to save.
pub struct StepOutcome {
    pub figures: StepFigures,
    pub observer: Option<Box<dyn Observer>>,
    /// The stages, still alive: an observer may hold files they own until it is saved.
    pub stages: Vec<Box<dyn Stage>>,
    pub ids: Vec<String>,
}

/// A shard step's figures, added up by the final merge.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StepFigures {
    pub stats: Vec<StageStats>,
    pub documents: u64,
    pub inputs: Vec<InputInfo>,
    pub rejections: Vec<Rejection>,
    pub passes: Vec<PassReport>,
}

/// Runs one step of a sharded run over this shard's documents.
pub fn run_step(
    plan: Plan<'_>,
    stages: Vec<Box<dyn Stage>>,
    step: Step,
) -> Result<StepOutcome, RunError> {
    let mut ex = Executor::new(plan, stages);
    ex.pass(
        &step.source,
        step.apply,
        step.observe,
        step.spill.as_deref(),
        false,
    )?;
    ex.progress.finish();
    let observer = ex.pending_observation.take().map(|(_, _, o)| o);
    Ok(StepOutcome {
        figures: StepFigures {
            stats: ex.stats,
            // Counted when read from the inputs only: a document is one whatever the steps.
            documents: ex.documents,
            inputs: ex.input_infos,
            rejections: ex.rejections,
            passes: ex.passes,
        },
        observer,
        stages: ex.stages,
        ids: ex.ids,
    })
}

/// The last step of a sharded run, in the merge: the shards' final documents, in shard order,
/// go to the sinks, and the run ends as a single run would. `figures` are every shard step's,
/// `merged` the merge steps' (deciding).
pub fn finish_sharded(
    plan: Plan<'_>,
    stages: Vec<Box<dyn Stage>>,
    shard_files: Vec<PathBuf>,
    figures: Vec<StepFigures>,
    merged: Vec<StageStats>,
    info: RunInfo,
) -> Result<Outcome, RunError> {
    let n = stages.len();
    let first_sink = (0..n).find(|&i| stages[i].is_sink()).unwrap_or(n);
    let mut ex = Executor::new(plan, stages);
    let mut documents = 0;
    for f in figures {
        for (total, s) in ex.stats.iter_mut().zip(&f.stats) {
            total.merge(s);
        }
        ex.input_infos.extend(f.inputs);
        ex.rejections.extend(f.rejections);
        documents += f.documents;
        ex.passes.extend(f.passes);
    }
    for (total, s) in ex.stats.iter_mut().zip(&merged) {
        total.merge(s);
    }
    ex.pass(
        &Source::WorkFiles(shard_files),
        first_sink..n,
        None,
        None,
        true,
    )?;
    ex.documents = documents;
    ex.conclude(info)
}

impl<'a> Executor<'a> {
    fn new(plan: Plan<'a>, stages: Vec<Box<dyn Stage>>) -> Executor<'a> {
        let n = stages.len();
        let progress = Progress::new(plan.show_progress, plan.log_every);
        Executor {
            rejections: plan.listing_rejections.clone(),
            plan,
            stages,
            stats: vec![StageStats::default(); n],
            input_infos: Vec::new(),
            passes: Vec::new(),
            documents: 0,
            articles: 0,
            duplicates: 0,
            rejected_documents: 0,
            progress,
            pending_observation: None,
            earlier_documents: None,
            ids: Vec::new(),
            started: Instant::now(),
        }
    }

    fn create_work_dir(&self) -> Result<tempfile::TempDir, RunError> {
        match &self.plan.work_dir {
            // A configured work dir is created on first use, like the output directory.
            Some(dir) => std::fs::create_dir_all(dir).and_then(|()| {
                tempfile::Builder::new()
                    .prefix(".newsmill-work-")
                    .tempdir_in(dir)
            }),
            None => tempfile::Builder::new().prefix("newsmill-work-").tempdir(),
        }
        .map_err(|source| RunError::WorkDir {
            path: self
                .plan
                .work_dir
                .clone()
                .unwrap_or_else(std::env::temp_dir),
            source,
        })
    }

    /// Fills in the run's figures and finishes every stage.
    fn conclude(mut self, mut info: RunInfo) -> Result<Outcome, RunError> {
        self.progress.finish();
        let n = self.stages.len();
        info.seconds = self.started.elapsed().as_secs_f64();
        info.inputs = std::mem::take(&mut self.input_infos);
        info.rejections = std::mem::take(&mut self.rejections);
        info.documents = self.documents;
        info.articles = self.articles;
        info.duplicates = self.duplicates;
        info.rejected = self.rejected_documents + info.rejections.len() as u64;
        info.passes = std::mem::take(&mut self.passes);
        if let (Some(state), Some(n)) = (info.state.as_mut(), self.earlier_documents) {
            state.earlier_documents = n;
        }
        info.stages = self
            .stats
            .iter()
            .enumerate()
            .map(|(i, s)| StageReport {
                index: i + 1,
                kind: self.stages[i].kind().to_string(),
                input: s.input,
                kept: s.kept,
                dropped: s.dropped.clone(),
                errors: s.errors,
                counters: s.tally.0.clone(),
                apply_seconds: s.nanos as f64 / 1e9,
                observe_seconds: s.observe_nanos as f64 / 1e9,
                decide_seconds: s.decide_nanos as f64 / 1e9,
            })
            .collect();

        // Sinks complete their outputs first; then stages write state kept between runs.
        let order: Vec<usize> = (0..n)
            .filter(|&i| self.stages[i].is_sink())
            .chain((0..n).filter(|&i| !self.stages[i].is_sink()))
            .collect();
        let mut outputs = Vec::new();
        for i in order {
            let stage = &mut self.stages[i];
            match stage.finish(&info) {
                Ok(mut written) => outputs.append(&mut written),
                Err(e) => {
                    discard_staged(&outputs);
                    return Err(RunError::Stage {
                        index: i + 1,
                        kind: stage.kind().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(Outcome { info, outputs })
    }
}

/// Removes outputs finished under temporary names that will never be published.
pub fn discard_staged(outputs: &[OutputFile]) {
    for staged in outputs.iter().filter_map(|o| o.staged.as_ref()) {
        if let Err(error) = std::fs::remove_file(&staged.temp)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %staged.temp.display(), %error, "Could not remove an unpublished output.");
        }
    }
}

impl Executor<'_> {
    /// One streaming pass: read from `source`, apply `stages`, optionally observe one stage and
    /// spill. `last` marks the pass whose documents are final (counted for the summary).
    fn pass(
        &mut self,
        source: &Source,
        stages: std::ops::Range<usize>,
        observe: Option<(usize, usize)>,
        spill: Option<&Path>,
        last: bool,
    ) -> Result<(), RunError> {
        let started = Instant::now();
        let index = self.passes.len() + 1;
        let label = match observe {
            Some((s, r)) if stages.is_empty() => {
                format!(
                    "pass {index}: stage {} ({}) round {}",
                    s + 1,
                    self.stages[s].kind(),
                    r + 1
                )
            }
            _ => format!("pass {index}"),
        };
        tracing::info!(
            pass = index,
            reads = match source { Source::Inputs => "inputs", Source::WorkFiles(_) => "work file" },
            stages = ?stages.clone().map(|i| i + 1).collect::<Vec<_>>(),
            observes = ?observe.map(|(s, r)| (s + 1, r + 1)),
            "Starting a pass over the documents."
        );
        self.progress.start_pass(
            &label,
            if index == 1 {
                None
            } else {
                Some(self.documents)
            },
        );

        let (receiver, reader) = self.spawn_reader(source)?;
        let mut observer: Option<Box<dyn Observer>> =
            observe.map(|(s, round)| self.stages[s].new_observer(round));
        let mut writer = match spill {
            Some(path) => Some(SpillWriter::create(path)?),
            None => None,
        };
        self.write_earlier_documents(&stages)?;
        let mut documents = 0u64;
        let mut read_wait = Duration::ZERO;
        let mut spill_time = Duration::ZERO;
        loop {
            let waited = Instant::now();
            let Ok(batch) = receiver.recv() else { break };
            read_wait += waited.elapsed();
            let mut docs = match batch {
                Batch::Rejections(mut r) => {
                    self.rejections.append(&mut r);
                    continue;
                }
                Batch::Documents(docs) => docs,
                Batch::Spilled {
                    file,
                    first_line,
                    lines,
                } => decode_spilled(source, file, first_line, lines)?,
            };
            if let Some(renumber) = &self.plan.sharding.renumber {
                for doc in &mut docs {
                    if let Some(id) = renumber.renamed.get(&doc.seq) {
                        doc.id = id.clone();
                    }
                    doc.seq += renumber.offset;
                }
            }
            if self.plan.sharding.collect_ids {
                self.ids.extend(docs.iter().map(|d| d.id.clone()));
            }
            documents += docs.len() as u64;
            self.apply(&stages, &mut docs)?;
            if let Some((s, _)) = observe {
                let t = Instant::now();
                let stage = self.stages[s].as_ref();
                let batch_state = docs
                    .par_iter()
                    .filter(|d| d.status.is_live())
                    .fold(
                        || None::<Box<dyn Observer>>,
                        |acc, d| {
                            let mut o = acc
                                .unwrap_or_else(|| stage.new_observer(observe.map_or(0, |o| o.1)));
                            o.observe(d);
                            Some(o)
                        },
                    )
                    .reduce(
                        || None,
                        |a, b| match (a, b) {
                            (Some(mut a), Some(b)) => {
                                a.merge(b);
                                Some(a)
                            }
                            (a, None) => a,
                            (None, b) => b,
                        },
                    );
                if let (Some(total), Some(part)) = (observer.as_mut(), batch_state) {
                    total.merge(part);
                }
                self.stats[s].observe_nanos += nanos_since(t);
            }
            if last {
                self.count_final(&docs);
                if let Some(state) = self.plan.state.as_mut() {
                    state.store.save_documents(state.run, &docs)?;
                }
            }
            if let Some(w) = writer.as_mut() {
                let t = Instant::now();
                w.write_batch(&docs)?;
                spill_time += t.elapsed();
            }
            self.progress.advance(docs.len() as u64);
        }
        let reader_result = reader
            .join()
            .map_err(|_| RunError::Threads("the reader thread panicked".into()))?;
        if let ReaderEnd::Inputs(infos, docs_read) = reader_result? {
            self.input_infos = infos;
            self.documents = docs_read;
        }
        if let Some(w) = writer {
            let t = Instant::now();
            w.finish()?;
            spill_time += t.elapsed();
        }
        if let (Some((s, round)), Some(state)) = (observe, observer) {
            self.pending_observation = Some((s, round, state));
        }
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            pass = index,
            documents,
            seconds = format!("{seconds:.2}"),
            "Finished a pass over the documents."
        );
        self.passes.push(PassReport {
            index,
            reads: match source {
                Source::Inputs => "inputs".into(),
                Source::WorkFiles(_) => "work file".into(),
            },
            applies: stages.map(|i| i + 1).collect(),
            observes: observe.map(|(s, r)| (s + 1, r + 1)),
            documents,
            seconds,
            read_seconds: read_wait.as_secs_f64(),
            spill_seconds: spill_time.as_secs_f64(),
        });
        Ok(())
    }

    /// Applies a slice of stages to one batch: maps on all cores, sinks in input order.
    fn apply(
        &mut self,
        range: &std::ops::Range<usize>,
        docs: &mut [Document],
    ) -> Result<(), RunError> {
        let mut i = range.start;
        while i < range.end {
            if self.stages[i].is_sink() {
                let stage = &mut self.stages[i];
                let t = Instant::now();
                for doc in docs.iter() {
                    stage.write(doc).map_err(|e| RunError::Stage {
                        index: i + 1,
                        kind: stage.kind().to_string(),
                        message: e.to_string(),
                    })?;
                }
                let stats = &mut self.stats[i];
                stats.input += docs.len() as u64;
                stats.kept += docs.iter().filter(|d| d.status.is_live()).count() as u64;
                stats.nanos += nanos_since(t);
                i += 1;
                continue;
            }
            // A run of map stages, applied to each document in turn on the workers.
            let mut j = i;
            while j < range.end && !self.stages[j].is_sink() {
                j += 1;
            }
            let maps = &self.stages[i..j];
            let first = i;
            let stats = docs
                .par_iter_mut()
                .fold(
                    || vec![StageStats::default(); maps.len()],
                    |mut stats, doc| {
                        for (k, stage) in maps.iter().enumerate() {
                            if !doc.status.is_live() {
                                break;
                            }
                            apply_one(stage.as_ref(), first + k, doc, &mut stats[k]);
                        }
                        stats
                    },
                )
                .reduce(
                    || vec![StageStats::default(); maps.len()],
                    |mut a, b| {
                        for (x, y) in a.iter_mut().zip(&b) {
                            x.merge(y);
                        }
                        a
                    },
                );
            for (k, s) in stats.iter().enumerate() {
                if let Some((_, message)) = &s.fatal {
                    return Err(RunError::Stage {
                        index: first + k + 1,
                        kind: self.stages[first + k].kind().to_string(),
                        message: message.clone(),
                    });
                }
                self.stats[first + k].merge(s);
            }
            i = j;
        }
        Ok(())
    }

    /// With a state: hands the documents earlier runs stored to the sinks of this pass,
    /// before any of this run's documents.
    fn write_earlier_documents(&mut self, stages: &std::ops::Range<usize>) -> Result<(), RunError> {
        let sinks: Vec<usize> = stages
            .clone()
            .filter(|&i| self.stages[i].is_sink())
            .collect();
        let Some(state) = self.plan.state.as_ref() else {
            return Ok(());
        };
        if sinks.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let all_stages = &mut self.stages;
        let count = state
            .store
            .earlier_documents(self.plan.batch_size, |docs| {
                for &i in &sinks {
                    let stage = &mut all_stages[i];
                    for doc in &docs {
                        stage.write_earlier(doc).map_err(|e| RunError::Stage {
                            index: i + 1,
                            kind: stage.kind().to_string(),
                            message: e.to_string(),
                        })?;
                    }
                }
                Ok::<(), RunError>(())
            })?;
        tracing::info!(
            documents = count,
            seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
            "Wrote the documents earlier runs stored to the cumulative outputs."
        );
        self.earlier_documents = Some(count);
        Ok(())
    }

    fn decide(&mut self, stage: usize, round: usize) -> Result<(), RunError> {
        let Some((s, r, state)) = self.pending_observation.take() else {
            return Ok(());
        };
        debug_assert_eq!((s, r), (stage, round));
        let t = Instant::now();
        let kind = self.stages[s].kind().to_string();
        let tally = self.stages[s]
            .decide(r, state)
            .map_err(|e| RunError::Stage {
                index: s + 1,
                kind: kind.clone(),
                message: e.to_string(),
            })?;
        self.stats[s].tally.merge(&tally);
        self.carry_decision(s, r)?;
        self.stats[s].decide_nanos += nanos_since(t);
        tracing::info!(stage = s + 1, kind = %kind, round = r + 1, seconds = format!("{:.2}", t.elapsed().as_secs_f64()), "A stage decided on what it observed.");
        Ok(())
    }

    /// With a state, for stages whose decisions carry between runs: folds in the last
    /// committed run's decision, then saves this run's (it counts once the run commits).
    fn carry_decision(&mut self, s: usize, r: usize) -> Result<(), RunError> {
        let Some(state) = self.plan.state.as_ref() else {
            return Ok(());
        };
        let stage = &mut self.stages[s];
        if !stage.carries_decision(r) {
            return Ok(());
        }
        let kind = stage.kind();
        let error = |message: String| RunError::Stage {
            index: s + 1,
            kind: kind.to_string(),
            message,
        };
        let earlier = crate::state::decision_dir(&state.dir, s, kind, r, state.run - 1);
        if earlier.is_dir() {
            stage.carry_decision(r, &earlier).map_err(|e| {
                error(format!(
                    "cannot use the decision of the previous run in {}: {e}",
                    earlier.display()
                ))
            })?;
        }
        let this_run = crate::state::decision_dir(&state.dir, s, kind, r, state.run);
        let fresh = (|| {
            if this_run.exists() {
                std::fs::remove_dir_all(&this_run)?;
            }
            std::fs::create_dir_all(&this_run)
        })();
        fresh.map_err(|e| error(format!("cannot create {}: {e}", this_run.display())))?;
        stage
            .save_decision(r, &this_run)
            .map_err(|e| error(format!("cannot save its decision for later runs: {e}")))
    }

    fn count_final(&mut self, docs: &[Document]) {
        for doc in docs {
            match &doc.status {
                Status::Live => {
                    self.articles += 1;
                    if doc
                        .links
                        .iter()
                        .any(|l| l.kind == ClusterKind::Duplicate && l.representative != doc.id)
                    {
                        self.duplicates += 1;
                    }
                }
                Status::Dropped { reason, .. } if reason == "duplicate" => self.duplicates += 1,
                Status::Dropped { .. } | Status::Failed { .. } => self.rejected_documents += 1,
            }
        }
    }

    fn spawn_reader(
        &mut self,
        source: &Source,
    ) -> Result<(Receiver<Batch>, ReaderHandle), RunError> {
        // Two batches in flight: the reader stays one ahead of the workers without piling up.
        let (sender, receiver) = sync_channel::<Batch>(2);
        let batch_size = self.plan.batch_size.max(1);
        let handle = match source {
            Source::Inputs => {
                let files = self.plan.files.clone();
                let input = self.plan.input.clone();
                let keep_ids = self.plan.sharding.keep_ids;
                // Only the one pass over the inputs needs them: hand them over, not a copy.
                let earlier_ids = self
                    .plan
                    .state
                    .as_mut()
                    .map(|s| std::mem::take(&mut s.earlier_ids))
                    .unwrap_or_default();
                std::thread::Builder::new()
                    .name("newsmill-reader".into())
                    .spawn(move || {
                        let mut infos = Vec::with_capacity(files.len());
                        let mut seq = 0u64;
                        let mut ids = UniqueIds { seen: earlier_ids };
                        let mut batch = Vec::with_capacity(batch_size);
                        for file in &files {
                            let mut info = InputInfo {
                                path: file.display.clone(),
                                bytes: file.bytes,
                                documents: 0,
                                rejected: 0,
                            };
                            let mut rejections = Vec::new();
                            for record in newsmill_ingest::read_input(file, &input) {
                                match record {
                                    Record::Document(mut doc) => {
                                        doc.seq = seq;
                                        if !keep_ids {
                                            ids.make_unique(&mut doc);
                                        }
                                        seq += 1;
                                        info.documents += 1;
                                        batch.push(doc);
                                        if batch.len() >= batch_size {
                                            let full = std::mem::replace(
                                                &mut batch,
                                                Vec::with_capacity(batch_size),
                                            );
                                            if sender.send(Batch::Documents(full)).is_err() {
                                                return Ok(ReaderEnd::Stopped);
                                            }
                                        }
                                    }
                                    Record::Rejected(r) => {
                                        info.rejected += 1;
                                        rejections.push(r);
                                    }
                                }
                            }
                            if !rejections.is_empty()
                                && sender.send(Batch::Rejections(rejections)).is_err()
                            {
                                return Ok(ReaderEnd::Stopped);
                            }
                            infos.push(info);
                        }
                        if !batch.is_empty() && sender.send(Batch::Documents(batch)).is_err() {
                            return Ok(ReaderEnd::Stopped);
                        }
                        Ok(ReaderEnd::Inputs(infos, seq))
                    })
            }
            Source::WorkFiles(paths) => {
                let paths = paths.clone();
                std::thread::Builder::new()
                    .name("newsmill-work-reader".into())
                    .spawn(move || {
                        for (index, path) in paths.iter().enumerate() {
                            if !read_work_file(index, path, batch_size, &sender)? {
                                return Ok(ReaderEnd::Stopped);
                            }
                        }
                        Ok(ReaderEnd::WorkFile)
                    })
            }
        }
        .map_err(|e| RunError::Threads(e.to_string()))?;
        Ok((receiver, handle))
    }
}

/// Streams one work file to the workers in batches of raw lines. `false` when the workers
/// stopped listening.
fn read_work_file(
    index: usize,
    path: &Path,
    batch_size: usize,
    sender: &std::sync::mpsc::SyncSender<Batch>,
) -> Result<bool, RunError> {
    let error = |action: &'static str| {
        move |source| RunError::WorkFile {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    let file = std::fs::File::open(path).map_err(error("open"))?;
    let decoder = zstd::stream::read::Decoder::new(file).map_err(error("read"))?;
    let reader = BufReader::with_capacity(1 << 20, decoder);
    let mut lines = Vec::with_capacity(batch_size);
    let mut first_line = 1u64;
    let mut line_no = 0u64;
    for line in reader.lines() {
        lines.push(line.map_err(error("read"))?);
        line_no += 1;
        if lines.len() >= batch_size {
            let full = std::mem::replace(&mut lines, Vec::with_capacity(batch_size));
            let batch = Batch::Spilled {
                file: index,
                first_line,
                lines: full,
            };
            if sender.send(batch).is_err() {
                return Ok(false);
            }
            first_line = line_no + 1;
        }
    }
    if !lines.is_empty() {
        let batch = Batch::Spilled {
            file: index,
            first_line,
            lines,
        };
        if sender.send(batch).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Keeps document ids unique across the run. Every table is keyed by id, so a repeated id (the
/// same relative path under two roots, a re-scraped record keeping its id) gets a suffix: the
/// first keeps its id, later ones become `id#2`, `id#3`, ... in input order.
#[derive(Default)]
pub struct UniqueIds {
    /// Hashes of the ids seen so far (8 bytes a document, not the ids themselves).
    seen: std::collections::HashSet<u64>,
}

impl UniqueIds {
    pub fn hash(id: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        h.finish()
    }

    pub fn make_unique(&mut self, doc: &mut Document) {
        if self.seen.insert(Self::hash(&doc.id)) {
            return;
        }
        let original = std::mem::take(&mut doc.id);
        let mut n = 2u64;
        loop {
            let candidate = format!("{original}#{n}");
            if self.seen.insert(Self::hash(&candidate)) {
                tracing::warn!(id = %original, new_id = %candidate, source = %doc.source, position = %doc.position, "An input reused an id seen earlier in the run; this document was renamed.");
                doc.id = candidate;
                return;
            }
            n += 1;
        }
    }
}

/// The reader thread, which says how it ended.
type ReaderHandle = JoinHandle<Result<ReaderEnd, RunError>>;

/// How the reader thread ended.
enum ReaderEnd {
    /// Read all inputs: per-input figures and the number of documents.
    Inputs(Vec<InputInfo>, u64),
    WorkFile,
    /// The workers stopped listening (an error elsewhere ended the pass).
    Stopped,
}

fn apply_one(stage: &dyn Stage, index: usize, doc: &mut Document, stats: &mut StageStats) {
    let t = Instant::now();
    stats.input += 1;
    // A stage bug on one strange document must not end a nightly run: the document is
    // listed in `rejected` with the panic message and the run goes on.
    let result = catch_unwind(AssertUnwindSafe(|| stage.apply(doc, &mut stats.tally)));
    match result {
        Ok(Ok(Verdict::Keep)) => stats.kept += 1,
        Ok(Ok(Verdict::Drop(reason))) => {
            *stats.dropped.entry(reason.clone()).or_insert(0) += 1;
            doc.status = Status::Dropped {
                stage: stage_label(stage, index),
                reason,
            };
        }
        Ok(Err(StageError::Fatal(message))) => {
            stats.errors += 1;
            if stats.fatal.as_ref().is_none_or(|(s, _)| doc.seq < *s) {
                stats.fatal = Some((
                    doc.seq,
                    format!("{message} (document {} from {})", doc.id, doc.source),
                ));
            }
            doc.status = Status::Failed {
                stage: stage_label(stage, index),
                error: message,
            };
        }
        Ok(Err(e)) => {
            stats.errors += 1;
            tracing::warn!(stage = index + 1, kind = stage.kind(), id = %doc.id, source = %doc.source, error = %e, "A stage failed on a document; it is listed in the rejected table.");
            doc.status = Status::Failed {
                stage: stage_label(stage, index),
                error: e.to_string(),
            };
        }
        Err(panic) => {
            stats.errors += 1;
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(stage = index + 1, kind = stage.kind(), id = %doc.id, source = %doc.source, message = %message, "A stage panicked on a document; it is listed in the rejected table.");
            doc.status = Status::Failed {
                stage: stage_label(stage, index),
                error: format!("internal error: {message}"),
            };
        }
    }
    stats.nanos += nanos_since(t);
}

fn nanos_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn stage_label(stage: &dyn Stage, index: usize) -> String {
    format!("{} (stage {})", stage.kind(), index + 1)
}

fn decode_spilled(
    source: &Source,
    file: usize,
    first_line: u64,
    lines: Vec<String>,
) -> Result<Vec<Document>, RunError> {
    lines
        .par_iter()
        .enumerate()
        .map(|(k, line)| {
            serde_json::from_str::<Document>(line).map_err(|e| RunError::WorkFileDamaged {
                path: match source {
                    Source::WorkFiles(paths) => paths.get(file).cloned().unwrap_or_default(),
                    Source::Inputs => PathBuf::new(),
                },
                line: first_line + k as u64,
                message: e.to_string(),
            })
        })
        .collect()
}

/// The compressed work file between passes: one JSON document per line, zstd level 1.
struct SpillWriter {
    path: PathBuf,
    encoder: zstd::stream::write::Encoder<'static, BufWriter<std::fs::File>>,
}

impl SpillWriter {
    fn create(path: &Path) -> Result<Self, RunError> {
        let file = std::fs::File::create(path).map_err(|source| RunError::WorkFile {
            action: "create",
            path: path.to_path_buf(),
            source,
        })?;
        let encoder = zstd::stream::write::Encoder::new(BufWriter::with_capacity(1 << 20, file), 1)
            .map_err(|source| RunError::WorkFile {
                action: "create",
                path: path.to_path_buf(),
                source,
            })?;
        Ok(SpillWriter {
            path: path.to_path_buf(),
            encoder,
        })
    }

    fn write_batch(&mut self, docs: &[Document]) -> Result<(), RunError> {
        let encoded: Vec<Vec<u8>> = docs
            .par_iter()
            .map(serde_json::to_vec)
            .collect::<Result<_, _>>()
            .map_err(|e| RunError::WorkFile {
                action: "encode a document for",
                path: self.path.clone(),
                source: std::io::Error::other(e),
            })?;
        for line in encoded {
            self.encoder
                .write_all(&line)
                .and_then(|_| self.encoder.write_all(b"\n"))
                .map_err(|source| RunError::WorkFile {
                    action: "write",
                    path: self.path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    fn finish(self) -> Result<(), RunError> {
        let path = self.path;
        self.encoder
            .finish()
            .and_then(|mut w| w.flush())
            .map_err(|source| RunError::WorkFile {
                action: "write",
                path,
                source,
            })
    }
}
