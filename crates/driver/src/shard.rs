//! Sharded runs: one corpus processed by N processes (on N machines sharing a directory), with
//! the same tables as one run.
//!
//! The inputs are cut into N contiguous slices of about equal bytes. A sharded run is a fixed
//! list of steps, each done by every shard (`newsmill run --shard i/N`) and then once by the
//! merge (`newsmill merge`):
//!
//! 1. shards read their slice and spill it; the merge numbers the documents across shards and
//!    makes their ids unique, as one run would;
//! 2. for every observation round of every observing stage: shards apply the stages before it
//!    and observe, saving the observer; the merge loads and merges the observers in shard
//!    order, decides, and saves the decision, which every later step loads;
//! 3. shards apply the remaining stages (not the sinks); the merge hands every shard's final
//!    documents, in shard order, to the sinks, which write the tables as one run would.
//!
//! Each step leaves a completion marker (`step-K/shard-I.json`, `merge-K.json`), written last,
//! so re-running a shard or the merge skips what is done, and a step killed halfway is redone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use newsmill_core::{BuildContext, Observer, Rejection, RunInfo, Stage};
use newsmill_ingest::InputFile;

use crate::executor::{self, Renumber, Sharding, StageStats, Step, StepFigures, UniqueIds};

/// Where documents are spilled in a step's directory.
const DOCS: &str = "docs.jsonl.zst";
/// The ids a shard read, one JSON string per line, for the merge to make them unique.
const IDS: &str = "ids.jsonl";
const OBSERVER: &str = "observer";
const DECISION: &str = "decision";
const NUMBERING: &str = "numbering.json";
const COMPLETE: &str = "complete.json";
const MARKER_FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is damaged: {detail}")]
    Damaged { path: PathBuf, detail: String },
    #[error("{0}")]
    Mismatch(String),
    #[error("{0}")]
    NotReady(String),
    #[error(transparent)]
    Run(#[from] executor::RunError),
    #[error(transparent)]
    Busy(#[from] crate::state::LockError),
    #[error("stage {index} ({kind}): {message}")]
    Stage {
        index: usize,
        kind: String,
        message: String,
    },
}

fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> ShardError + 'p {
    move |source| ShardError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Which shard this process is: `--shard i/N`, or `--shards N` with the index from the
/// scheduler (Slurm array tasks, Kubernetes Indexed Jobs).
pub fn resolve_shard(
    shard: Option<&str>,
    shards: Option<usize>,
) -> Result<Option<(usize, usize)>, ShardError> {
    let usage = |m: String| ShardError::Usage(m);
    if let Some(text) = shard {
        let (i, n) = text
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse::<usize>().ok()?, n.trim().parse::<usize>().ok()?)))
            .ok_or_else(|| usage(format!("--shard takes INDEX/COUNT with the index counted from 0, as in 0/4; got {text:?}")))?;
        if n == 0 || i >= n {
            return Err(usage(format!(
                "--shard {text}: the index must be below the count (0/{n} to {}/{n})",
                n.saturating_sub(1)
            )));
        }
        if shards.is_some_and(|s| s != n) {
            return Err(usage(format!(
                "--shard {text} and --shards {} disagree",
                shards.unwrap_or(0)
            )));
        }
        return Ok(Some((i, n)));
    }
    let Some(n) = shards else { return Ok(None) };
    if n == 0 {
        return Err(usage("--shards must be at least 1".into()));
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let index = if let Some(task) = env("SLURM_ARRAY_TASK_ID") {
        // Arrays may start anywhere (--array=1-8); count from the first task.
        let parse = |name: &str, v: &str| {
            v.parse::<usize>()
                .map_err(|_| usage(format!("{name}={v:?} is not a number")))
        };
        let task = parse("SLURM_ARRAY_TASK_ID", &task)?;
        let min = match env("SLURM_ARRAY_TASK_MIN") {
            Some(v) => parse("SLURM_ARRAY_TASK_MIN", &v)?,
            None => 0,
        };
        task.checked_sub(min).ok_or_else(|| {
            usage(format!(
                "SLURM_ARRAY_TASK_ID {task} is below SLURM_ARRAY_TASK_MIN {min}"
            ))
        })?
    } else if let Some(index) = env("JOB_COMPLETION_INDEX") {
        index
            .parse::<usize>()
            .map_err(|_| usage(format!("JOB_COMPLETION_INDEX={index:?} is not a number")))?
    } else {
        return Err(usage(
            "--shards N needs the shard's index: give --shard i/N, or run it as a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)".into(),
        ));
    };
    if index >= n {
        return Err(usage(format!(
            "the shard index {index} is not below --shards {n}"
        )));
    }
    Ok(Some((index, n)))
}

/// Shard `index` of `count`'s files: contiguous in input order, about `1/count` of the bytes.
/// A file goes to the shard its middle byte falls in, so the cut depends only on the listing.
pub fn slice(files: &[InputFile], index: usize, count: usize) -> Vec<InputFile> {
    let total: u128 = files
        .iter()
        .map(|f| u128::from(f.bytes))
        .sum::<u128>()
        .max(1);
    let mut before: u128 = 0;
    let mut out = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let middle = before * 2 + u128::from(file.bytes);
        // With no bytes at all, cut by count.
        let shard = if files.iter().all(|f| f.bytes == 0) {
            k * count / files.len().max(1)
        } else {
            usize::try_from(middle * count as u128 / (total * 2)).unwrap_or(count - 1)
        }
        .min(count - 1);
        if shard == index {
            out.push(file.clone());
        }
        before += u128::from(file.bytes);
    }
    out
}

/// A digest of the listing, so the merge can tell whether all shards saw the same inputs.
fn listing_digest(files: &[InputFile]) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for f in files {
        hasher.update(f.display.as_bytes());
        hasher.update(&[0]);
        hasher.update(&f.bytes.to_le_bytes());
    }
    format!("{:032x}", hasher.digest128())
}

/// One step of the sharded run, as the pipeline's shape dictates.
#[derive(Clone, Debug, PartialEq)]
enum StepKind {
    /// Read the inputs and spill them.
    Read,
    /// Apply `apply`, observe `stage` round `round`.
    Observe {
        apply: std::ops::Range<usize>,
        stage: usize,
        round: usize,
    },
    /// Apply the stages before the sinks.
    Apply { apply: std::ops::Range<usize> },
}

/// The steps of a pipeline, or why it cannot be sharded.
fn plan_steps(stages: &[Box<dyn Stage>]) -> Result<Vec<StepKind>, ShardError> {
    let n = stages.len();
    for (i, s) in stages.iter().enumerate() {
        if !s.shardable() {
            return Err(ShardError::Usage(format!(
                "stage {} ({}) cannot take part in sharded runs; run this pipeline without --shard",
                i + 1,
                s.kind()
            )));
        }
    }
    let first_sink = (0..n).find(|&i| stages[i].is_sink()).unwrap_or(n);
    if let Some(late) = (first_sink..n).find(|&i| !stages[i].is_sink()) {
        return Err(ShardError::Usage(format!(
            "stage {} ({}) comes after an export stage; in sharded runs the export stages must end the pipeline",
            late + 1,
            stages[late].kind()
        )));
    }
    let mut steps = vec![StepKind::Read];
    let mut start = 0;
    for (i, s) in stages.iter().enumerate().take(first_sink) {
        for round in 0..s.observation_rounds() {
            steps.push(StepKind::Observe {
                apply: if round == 0 { start..i } else { i..i },
                stage: i,
                round,
            });
        }
        if s.observation_rounds() > 0 {
            start = i;
        }
    }
    steps.push(StepKind::Apply {
        apply: start..first_sink,
    });
    Ok(steps)
}

/// What a shard leaves when it has done a step.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ShardMarker {
    format: u32,
    shard: usize,
    shards: usize,
    step: usize,
    config_digest: String,
    /// The listing every shard must agree on (step 0 only).
    #[serde(default)]
    listing: String,
    /// The work file holding the shard's documents after this step, relative to the shard dir.
    docs: String,
    figures: StepFigures,
    seconds: f64,
}

/// What the merge leaves when it has done a step.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct MergeMarker {
    format: u32,
    shards: usize,
    step: usize,
    config_digest: String,
    /// Deciding's figures, per stage.
    stats: Vec<StageStats>,
    seconds: f64,
}

/// How the merge numbered one shard's documents.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Numbering {
    offset: u64,
    /// Local seq → the id the document takes (only the renamed ones).
    renamed: Vec<(u64, String)>,
}

/// The pieces a sharded step needs from the command.
pub struct Setup<'a> {
    pub registry: &'a crate::Registry,
    /// The config as loaded once (its stages are built again from the file for every step).
    pub config: &'a crate::Config,
    pub config_path: PathBuf,
    pub input_base: PathBuf,
    pub out: Option<PathBuf>,
    pub pool: &'a rayon::ThreadPool,
}

struct Layout {
    root: PathBuf,
}

impl Layout {
    fn step_dir(&self, step: usize) -> PathBuf {
        self.root.join(format!("step-{step}"))
    }
    fn shard_dir(&self, step: usize, shard: usize) -> PathBuf {
        self.step_dir(step).join(format!("shard-{shard:04}"))
    }
    fn shard_marker(&self, step: usize, shard: usize) -> PathBuf {
        self.step_dir(step).join(format!("shard-{shard:04}.json"))
    }
    fn merge_dir(&self, step: usize) -> PathBuf {
        self.root.join(format!("merge-{step}"))
    }
    fn merge_marker(&self, step: usize) -> PathBuf {
        self.root.join(format!("merge-{step}.json"))
    }
    fn complete(&self) -> PathBuf {
        self.root.join(COMPLETE)
    }
    fn work(&self) -> PathBuf {
        self.root.join("work")
    }
    /// One process at a time per shard, and one merge: a scheduler that starts a task again
    /// while the first still runs must not have both write the same step.
    fn lock(&self, who: &str) -> Result<crate::state::StateLock, ShardError> {
        let taken = crate::state::StateLock::acquire(&self.root.join("locks").join(who))?;
        if let Some(holder) = &taken.stale_holder {
            tracing::warn!(previous = %holder, "Took over from a process of this sharded run that did not finish ({holder}).");
        }
        Ok(taken.lock)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, ShardError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ShardError::Damaged {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path)(e)),
    }
}

/// Written under a temporary name, synced and renamed: a marker is whole or absent.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ShardError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| ShardError::Damaged {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let temp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        if let Some(dir) = path.parent() {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    };
    write().map_err(io("write", path))
}

/// A step's files go to a fresh directory that is renamed into place when complete. What a
/// killed attempt left (the directory, or a `.partial-PID` one) is removed first.
fn fresh_dir(final_dir: &Path) -> Result<PathBuf, ShardError> {
    let partial = final_dir.with_extension(format!("partial-{}", std::process::id()));
    let mut leftovers = vec![final_dir.to_path_buf()];
    if let (Some(parent), Some(name)) = (final_dir.parent(), final_dir.file_name()) {
        let prefix = format!("{}.partial-", name.to_string_lossy());
        if let Ok(entries) = std::fs::read_dir(parent) {
            leftovers.extend(
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                    .map(|e| e.path()),
            );
        }
    }
    for dir in &leftovers {
        if dir.exists() {
            tracing::info!(path = %dir.display(), "Removing what an unfinished attempt at this step left.");
            std::fs::remove_dir_all(dir).map_err(io("remove the unfinished", dir))?;
        }
    }
    std::fs::create_dir_all(&partial).map_err(io("create", &partial))?;
    Ok(partial)
}

impl Setup<'_> {
    fn layout(&self) -> Layout {
        Layout {
            root: self.config.shard_dir(),
        }
    }

    fn context(&self) -> BuildContext {
        BuildContext {
            config_dir: self.config.dir.clone(),
            out_override: self.out.clone(),
            // Sharded runs are whole runs: they keep no state between runs.
            state_dir: None,
            // Scratch next to the shard directory, so that saving an observer moves files
            // instead of copying them.
            work_dir: Some(self.layout().work()),
            state_run: None,
            replaced_ids: Default::default(),
        }
    }

    /// The pipeline's stages, with every decision merges before `step` made loaded.
    fn stages(&self, before_step: usize) -> Result<Vec<Box<dyn Stage>>, ShardError> {
        let ctx = self.context();
        // Stage configs are consumed by building, so every build reads the file again.
        let config = crate::config::load(&self.config_path, self.registry).map_err(|problems| {
            ShardError::Usage(
                problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        if config.digest != self.config.digest {
            return Err(ShardError::Mismatch(format!(
                "{} changed while the sharded run was going on; every step needs the same config",
                config.path
            )));
        }
        let mut stages = Vec::with_capacity(config.stages.len());
        for spec in config.stages {
            let factory = self.registry.get(&spec.kind).ok_or_else(|| {
                ShardError::Usage(format!(
                    "stage {} has an unknown type `{}`",
                    spec.index, spec.kind
                ))
            })?;
            let stage = factory
                .build(spec.config, &ctx)
                .map_err(|message| ShardError::Stage {
                    index: spec.index,
                    kind: spec.kind.clone(),
                    message,
                })?;
            stages.push(stage);
        }
        let steps = plan_steps(&stages)?;
        let layout = self.layout();
        for (k, step) in steps.iter().enumerate().take(before_step) {
            if let StepKind::Observe { stage, round, .. } = step {
                let dir = layout.merge_dir(k).join(DECISION);
                stages[*stage]
                    .load_decision(*round, &dir)
                    .map_err(|e| ShardError::Stage {
                        index: stage + 1,
                        kind: stages[*stage].kind().to_string(),
                        message: format!("cannot load the decision in {}: {e}", dir.display()),
                    })?;
            }
        }
        Ok(stages)
    }

    fn plan<'p>(
        &'p self,
        files: Vec<InputFile>,
        listing_rejections: Vec<Rejection>,
        sharding: Sharding,
    ) -> executor::Plan<'p> {
        executor::Plan {
            input: &self.config.input,
            files,
            listing_rejections,
            batch_size: self.config.run.batch_size,
            work_dir: Some(self.layout().work()),
            log_every: std::time::Duration::from_secs(self.config.run.log_every_seconds.max(1)),
            show_progress: false,
            state: None,
            sharding,
        }
    }

    fn check_marker(
        &self,
        marker: &ShardMarker,
        shards: usize,
        path: &Path,
    ) -> Result<(), ShardError> {
        if marker.format != MARKER_FORMAT || marker.shards != shards {
            return Err(ShardError::Mismatch(format!(
                "{} belongs to a sharded run of {} shards, not {shards}; give the same count, or remove {} to start again",
                path.display(),
                marker.shards,
                self.layout().root.display()
            )));
        }
        if marker.config_digest != self.config.digest {
            return Err(ShardError::Mismatch(format!(
                "{} was written with another config (digest {}); every step of a sharded run needs the same config, or remove {} to start again",
                path.display(),
                marker.config_digest,
                self.layout().root.display()
            )));
        }
        Ok(())
    }
}

/// What a shard or merge invocation did, for the exit code and the last log line.
pub enum Done {
    /// Did `steps` steps; the next one waits for the other side.
    Waiting { message: String },
    /// The whole sharded run is complete (the merge wrote the tables).
    Complete { info: Box<RunInfo> },
}

/// `newsmill run --shard i/N`: does every step this shard can do now.
pub fn run_shard(setup: &Setup<'_>, shard: usize, shards: usize) -> Result<Done, ShardError> {
    let layout = setup.layout();
    if layout.complete().exists() {
        return Ok(Done::Waiting {
            message: format!(
                "The sharded run in {} is complete; remove that directory to start another.",
                layout.root.display()
            ),
        });
    }
    std::fs::create_dir_all(layout.work()).map_err(io("create", &layout.work()))?;
    let _lock = layout.lock(&format!("shard-{shard:04}"))?;
    let steps = plan_steps(&setup.stages(0)?)?;
    let mut done = 0;
    for k in 0..steps.len() {
        let marker_path = layout.shard_marker(k, shard);
        if let Some(marker) = read_json::<ShardMarker>(&marker_path)? {
            setup.check_marker(&marker, shards, &marker_path)?;
            continue;
        }
        if k > 0 && !layout.merge_marker(k - 1).exists() {
            return Ok(Done::Waiting {
                message: format!(
                    "Shard {shard} of {shards} has done step {k} of {}; the next step waits for `newsmill merge`.{}",
                    steps.len(),
                    if done == 0 {
                        " Nothing was left for this shard to do now."
                    } else {
                        ""
                    }
                ),
            });
        }
        shard_step(setup, &layout, &steps, k, shard, shards)?;
        done += 1;
    }
    Ok(Done::Waiting {
        message: format!(
            "Shard {shard} of {shards} has done all {} steps; `newsmill merge` writes the tables.",
            steps.len()
        ),
    })
}

fn shard_step(
    setup: &Setup<'_>,
    layout: &Layout,
    steps: &[StepKind],
    k: usize,
    shard: usize,
    shards: usize,
) -> Result<(), ShardError> {
    let started = Instant::now();
    tracing::info!(
        shard,
        shards,
        step = k + 1,
        steps = steps.len(),
        "Starting a step of a sharded run."
    );
    let stages = setup.stages(k)?;
    let final_dir = layout.shard_dir(k, shard);
    let partial = fresh_dir(&final_dir)?;
    let mut listing = String::new();
    let (plan, step) = match &steps[k] {
        StepKind::Read => {
            let (files, listing_rejections) =
                newsmill_ingest::list_inputs(&setup.config.input, &setup.input_base);
            listing = listing_digest(&files);
            let mine = slice(&files, shard, shards);
            tracing::info!(
                shard,
                inputs = mine.len(),
                bytes = mine.iter().map(|f| f.bytes).sum::<u64>(),
                "This shard reads its slice of the inputs."
            );
            // Paths that do not exist are reported once, by the first shard.
            let listing_rejections = if shard == 0 {
                listing_rejections
            } else {
                Vec::new()
            };
            let sharding = Sharding {
                keep_ids: true,
                collect_ids: true,
                renumber: None,
            };
            (
                setup.plan(mine, listing_rejections, sharding),
                Step {
                    source: executor::Source::Inputs,
                    apply: 0..0,
                    observe: None,
                    spill: Some(partial.join(DOCS)),
                },
            )
        }
        StepKind::Observe {
            apply,
            stage,
            round,
        } => {
            let renumber = (k == 1).then(|| numbering(layout, shard)).transpose()?;
            // Renumbered or changed documents are spilled for the steps after.
            let spill = (renumber.is_some() || !apply.is_empty()).then(|| partial.join(DOCS));
            let step = Step {
                source: executor::Source::WorkFiles(vec![previous_docs(layout, k, shard)?]),
                apply: apply.clone(),
                observe: Some((*stage, *round)),
                spill,
            };
            (work_file_plan(setup, renumber), step)
        }
        StepKind::Apply { apply } => {
            let renumber = (k == 1).then(|| numbering(layout, shard)).transpose()?;
            let step = Step {
                source: executor::Source::WorkFiles(vec![previous_docs(layout, k, shard)?]),
                apply: apply.clone(),
                observe: None,
                spill: Some(partial.join(DOCS)),
            };
            (work_file_plan(setup, renumber), step)
        }
    };
    let spilled = step.spill.is_some();
    let outcome = setup
        .pool
        .install(|| executor::run_step(plan, stages, step))?;
    if let Some(observer) = outcome.observer {
        let dir = partial.join(OBSERVER);
        std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let (stage, kind) = match &steps[k] {
            StepKind::Observe { stage, .. } => (*stage, outcome.stages[*stage].kind().to_string()),
            _ => (0, String::new()),
        };
        observer.save(&dir).map_err(|e| ShardError::Stage {
            index: stage + 1,
            kind,
            message: format!("cannot save what it observed: {e}"),
        })?;
    }
    drop(outcome.stages);
    if k == 0 {
        write_ids(&partial.join(IDS), &outcome.ids)?;
    }
    std::fs::rename(&partial, &final_dir).map_err(io("rename into place", &partial))?;
    let docs = if spilled {
        relative(layout, &final_dir.join(DOCS))
    } else {
        read_json::<ShardMarker>(&layout.shard_marker(k - 1, shard))?
            .map(|m| m.docs)
            .unwrap_or_default()
    };
    let figures = outcome.figures;
    let seconds = started.elapsed().as_secs_f64();
    write_json(
        &layout.shard_marker(k, shard),
        &ShardMarker {
            format: MARKER_FORMAT,
            shard,
            shards,
            step: k,
            config_digest: setup.config.digest.clone(),
            listing,
            docs,
            figures,
            seconds,
        },
    )?;
    tracing::info!(
        shard,
        shards,
        step = k + 1,
        seconds = format!("{seconds:.2}"),
        "Finished a step of a sharded run."
    );
    Ok(())
}

/// The plan of a step that reads the shard's work file (renumbering it in the first such step).
fn work_file_plan<'p>(setup: &'p Setup<'_>, renumber: Option<Renumber>) -> executor::Plan<'p> {
    let sharding = Sharding {
        renumber,
        ..Sharding::default()
    };
    setup.plan(Vec::new(), Vec::new(), sharding)
}

fn relative(layout: &Layout, path: &Path) -> String {
    path.strip_prefix(&layout.root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn previous_docs(layout: &Layout, k: usize, shard: usize) -> Result<PathBuf, ShardError> {
    let path = layout.shard_marker(k - 1, shard);
    let marker = read_json::<ShardMarker>(&path)?
        .ok_or_else(|| ShardError::NotReady(format!("{} is missing", path.display())))?;
    Ok(layout.root.join(marker.docs))
}

fn numbering(layout: &Layout, shard: usize) -> Result<Renumber, ShardError> {
    let path = layout.merge_dir(0).join(NUMBERING);
    let all: Vec<Numbering> = read_json(&path)?
        .ok_or_else(|| ShardError::NotReady(format!("{} is missing", path.display())))?;
    let mine = all.get(shard).cloned().ok_or_else(|| ShardError::Damaged {
        path: path.clone(),
        detail: format!("no numbering for shard {shard}"),
    })?;
    Ok(Renumber {
        offset: mine.offset,
        renamed: mine.renamed.into_iter().collect::<HashMap<_, _>>(),
    })
}

fn write_ids(path: &Path, ids: &[String]) -> Result<(), ShardError> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(io("create", path))?;
    let mut out = std::io::BufWriter::new(file);
    for id in ids {
        let line = serde_json::to_string(id).unwrap_or_default();
        writeln!(out, "{line}").map_err(io("write", path))?;
    }
    out.flush().map_err(io("write", path))
}

fn read_ids(path: &Path) -> Result<Vec<String>, ShardError> {
    let text = std::fs::read_to_string(path).map_err(io("read", path))?;
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| ShardError::Damaged {
                path: path.to_path_buf(),
                detail: format!("line {}: {e}", n + 1),
            })
        })
        .collect()
}

/// `newsmill merge`: does the merge step every shard is ready for.
pub fn run_merge(setup: &Setup<'_>) -> Result<Done, ShardError> {
    let layout = setup.layout();
    if let Some(info) = read_json::<RunInfo>(&layout.complete())? {
        tracing::info!(root = %layout.root.display(), "The sharded run is complete already.");
        return Ok(Done::Complete {
            info: Box::new(info),
        });
    }
    let _lock = layout.lock("merge")?;
    let steps = plan_steps(&setup.stages(0)?)?;
    // The shard count, from whichever shard finished its first step.
    let step0 = layout.step_dir(0);
    let shards = std::fs::read_dir(&step0)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .find_map(|e| read_json::<ShardMarker>(&e.path()).ok().flatten())
        .map(|m| m.shards)
        .ok_or_else(|| ShardError::NotReady(format!(
            "no shard has finished its first step in {}; run `newsmill run --shard i/N` for every shard first",
            layout.root.display()
        )))?;
    let k = (0..steps.len())
        .find(|&k| !layout.merge_marker(k).exists())
        .unwrap_or(steps.len() - 1);
    let mut markers = Vec::with_capacity(shards);
    let mut missing = Vec::new();
    for shard in 0..shards {
        let path = layout.shard_marker(k, shard);
        match read_json::<ShardMarker>(&path)? {
            Some(m) => {
                setup.check_marker(&m, shards, &path)?;
                markers.push(m);
            }
            None => missing.push(shard.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(ShardError::NotReady(format!(
            "merge step {} of {} needs every shard's step {}; shards {} have not finished it",
            k + 1,
            steps.len(),
            k + 1,
            missing.join(", ")
        )));
    }
    let started = Instant::now();
    tracing::info!(
        step = k + 1,
        steps = steps.len(),
        shards,
        "Starting a merge step of a sharded run."
    );
    let mut stats = Vec::new();
    match &steps[k] {
        StepKind::Read => merge_numbering(&layout, &markers)?,
        StepKind::Observe { stage, round, .. } => {
            stats = merge_decide(setup, &layout, k, *stage, *round, shards)?;
        }
        StepKind::Apply { .. } => {
            let info = merge_final(setup, &layout, &steps, shards)?;
            write_json(&layout.complete(), &info)?;
            write_merge_marker(setup, &layout, k, shards, Vec::new(), started)?;
            clean_up(&layout, steps.len(), shards);
            return Ok(Done::Complete {
                info: Box::new(info),
            });
        }
    }
    write_merge_marker(setup, &layout, k, shards, stats, started)?;
    Ok(Done::Waiting {
        message: format!(
            "Merge step {} of {} is done; run the {shards} shards again for step {}.",
            k + 1,
            steps.len(),
            k + 2
        ),
    })
}

fn write_merge_marker(
    setup: &Setup<'_>,
    layout: &Layout,
    k: usize,
    shards: usize,
    stats: Vec<StageStats>,
    started: Instant,
) -> Result<(), ShardError> {
    write_json(
        &layout.merge_marker(k),
        &MergeMarker {
            format: MARKER_FORMAT,
            shards,
            step: k,
            config_digest: setup.config.digest.clone(),
            stats,
            seconds: started.elapsed().as_secs_f64(),
        },
    )
}

/// Numbers documents across shards and makes ids unique exactly as one run reading the
/// shards' slices one after the other would.
fn merge_numbering(layout: &Layout, markers: &[ShardMarker]) -> Result<(), ShardError> {
    if let Some(other) = markers.iter().find(|m| m.listing != markers[0].listing) {
        return Err(ShardError::Mismatch(format!(
            "shards 0 and {} listed different inputs (files were added, removed or changed while they started); remove {} and run the shards again",
            other.shard,
            layout.root.display()
        )));
    }
    let mut unique = UniqueIds::default();
    let mut offset = 0u64;
    let mut all = Vec::with_capacity(markers.len());
    for m in markers {
        let ids = read_ids(&layout.shard_dir(0, m.shard).join(IDS))?;
        let mut renamed = Vec::new();
        for (local, id) in ids.into_iter().enumerate() {
            let mut doc = newsmill_core::Document {
                id,
                ..newsmill_core::Document::default()
            };
            let before = doc.id.clone();
            unique.make_unique(&mut doc);
            if doc.id != before {
                renamed.push((local as u64, doc.id));
            }
        }
        all.push(Numbering { offset, renamed });
        offset += m.figures.documents;
    }
    let dir = layout.merge_dir(0);
    let partial = fresh_dir(&dir)?;
    write_json(&partial.join(NUMBERING), &all)?;
    std::fs::rename(&partial, &dir).map_err(io("rename into place", &partial))?;
    tracing::info!(
        documents = offset,
        shards = markers.len(),
        "Numbered the documents of every shard."
    );
    Ok(())
}

fn merge_decide(
    setup: &Setup<'_>,
    layout: &Layout,
    k: usize,
    stage: usize,
    round: usize,
    shards: usize,
) -> Result<Vec<StageStats>, ShardError> {
    let mut stages = setup.stages(k)?;
    let kind = stages[stage].kind().to_string();
    let stage_error = |message: String| ShardError::Stage {
        index: stage + 1,
        kind: kind.clone(),
        message,
    };
    let observe = Instant::now();
    let mut merged: Option<Box<dyn Observer>> = None;
    for shard in 0..shards {
        let dir = layout.shard_dir(k, shard).join(OBSERVER);
        let loaded = stages[stage].load_observer(round, &dir).map_err(|e| {
            stage_error(format!(
                "cannot load what shard {shard} observed from {}: {e}",
                dir.display()
            ))
        })?;
        match merged.as_mut() {
            None => merged = Some(loaded),
            Some(m) => m.merge(loaded),
        }
    }
    let merged = merged.ok_or_else(|| stage_error("no shard observed anything".into()))?;
    let load_nanos = observe.elapsed().as_nanos();
    let decide = Instant::now();
    let tally = setup
        .pool
        .install(|| stages[stage].decide(round, merged))
        .map_err(|e| stage_error(e.to_string()))?;
    let decide_nanos = decide.elapsed().as_nanos() + load_nanos;
    let dir = layout.merge_dir(k);
    let partial = fresh_dir(&dir)?;
    let decision = partial.join(DECISION);
    std::fs::create_dir_all(&decision).map_err(io("create", &decision))?;
    stages[stage]
        .save_decision(round, &decision)
        .map_err(|e| stage_error(format!("cannot save its decision: {e}")))?;
    drop(stages);
    std::fs::rename(&partial, &dir).map_err(io("rename into place", &partial))?;
    tracing::info!(stage = stage + 1, kind = %kind, round = round + 1, seconds = format!("{:.2}", decide_nanos as f64 / 1e9), "A stage decided on what every shard observed.");
    let mut stats = vec![StageStats::default(); setup.config.stages.len()];
    stats[stage] = StageStats::decided(tally, u64::try_from(decide_nanos).unwrap_or(u64::MAX));
    Ok(stats)
}

fn merge_final(
    setup: &Setup<'_>,
    layout: &Layout,
    steps: &[StepKind],
    shards: usize,
) -> Result<RunInfo, ShardError> {
    let last = steps.len() - 1;
    let stages = setup.stages(last)?;
    let mut figures = Vec::new();
    let mut files = Vec::with_capacity(shards);
    for shard in 0..shards {
        for k in 0..steps.len() {
            let path = layout.shard_marker(k, shard);
            let marker = read_json::<ShardMarker>(&path)?
                .ok_or_else(|| ShardError::NotReady(format!("{} is missing", path.display())))?;
            if k == last {
                files.push(layout.root.join(&marker.docs));
            }
            figures.push(marker.figures);
        }
    }
    let mut totals = vec![StageStats::default(); stages.len()];
    for k in 0..last {
        if let Some(m) = read_json::<MergeMarker>(&layout.merge_marker(k))? {
            for (total, s) in totals.iter_mut().zip(&m.stats) {
                total.merge(s);
            }
        }
    }
    let info = RunInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_digest: setup.config.digest.clone(),
        config_path: setup.config.path.clone(),
        started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        threads: setup.pool.current_num_threads(),
        ..RunInfo::default()
    };
    let plan = setup.plan(Vec::new(), Vec::new(), Sharding::default());
    let outcome = setup
        .pool
        .install(|| executor::finish_sharded(plan, stages, files, figures, totals, info))?;
    let staged: Vec<newsmill_core::Staged> = outcome
        .outputs
        .iter()
        .filter_map(|o| o.staged.clone())
        .collect();
    newsmill_core::publish(&staged).map_err(|e| ShardError::Stage {
        index: 0,
        kind: "export".into(),
        message: e.to_string(),
    })?;
    tracing::info!(files = staged.len(), "Published the outputs.");
    Ok(outcome.info)
}

/// The shards' documents, observers and decisions are not needed once the tables are written;
/// the markers stay, so re-running a shard or the merge says the run is complete.
fn clean_up(layout: &Layout, steps: usize, shards: usize) {
    for k in 0..steps {
        for shard in 0..shards {
            let _ = std::fs::remove_dir_all(layout.shard_dir(k, shard));
        }
        let _ = std::fs::remove_dir_all(layout.merge_dir(k));
    }
    let _ = std::fs::remove_dir_all(layout.work());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(sizes: &[u64]) -> Vec<InputFile> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &bytes)| InputFile {
                path: PathBuf::from(format!("f{i}")),
                display: format!("f{i}"),
                relative: format!("f{i}"),
                format: newsmill_ingest::Format::Text,
                bytes,
            })
            .collect()
    }

    #[test]
    fn slices_are_contiguous_cover_every_file_once_and_balance_bytes() {
        let all = files(&[10, 10, 10, 10, 100, 10, 10, 10, 10, 10]);
        for n in 1..=5 {
            let slices: Vec<Vec<InputFile>> = (0..n).map(|i| slice(&all, i, n)).collect();
            let joined: Vec<InputFile> = slices.iter().flatten().cloned().collect();
            assert_eq!(joined, all, "{n} shards");
        }
        let two: Vec<u64> = (0..2)
            .map(|i| slice(&all, i, 2).iter().map(|f| f.bytes).sum())
            .collect();
        assert_eq!(two, vec![140, 50]);
        // More shards than files: some shards are empty, none is given a file twice.
        let few = files(&[5, 5]);
        assert_eq!((0..4).map(|i| slice(&few, i, 4).len()).sum::<usize>(), 2);
    }

    #[test]
    fn the_shard_index_comes_from_the_flag_or_the_scheduler() {
        assert_eq!(resolve_shard(Some("2/4"), None).unwrap(), Some((2, 4)));
        assert!(resolve_shard(Some("4/4"), None).is_err());
        assert!(resolve_shard(Some("1-4"), None).is_err());
        assert!(resolve_shard(Some("1/4"), Some(3)).is_err());
        assert_eq!(resolve_shard(None, None).unwrap(), None);
    }
}
