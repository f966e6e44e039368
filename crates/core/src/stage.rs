use std::any::Any;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Document, Rejection};

/// What a stage decided about one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The document goes on to the next stage.
    Keep,
    /// The document is not an article (a dropped duplicate, a filtered page). The reason is a
    /// short machine-readable word ("duplicate", "too-short"); it is counted and exported.
    Drop(String),
}

/// A stage failed on one document. The document is kept out of the articles and listed in
/// `rejected`; the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{0}")]
    Document(String),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
    /// The stage cannot go on at all (a plugin configured to stop the run on its first error):
    /// the driver stops the run with exit code 2 instead of rejecting one document.
    #[error("{0}")]
    Fatal(String),
}

/// Per-stage counters a stage adds to while applying ("lines-removed:phrase:cookie" → 3).
/// Each worker has its own; the driver adds them up, so order never matters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tally(pub BTreeMap<String, u64>);

impl Tally {
    pub fn add(&mut self, key: &str, n: u64) {
        if n == 0 {
            return;
        }
        match self.0.get_mut(key) {
            Some(v) => *v += n,
            None => {
                self.0.insert(key.to_string(), n);
            }
        }
    }
    pub fn merge(&mut self, other: &Tally) {
        for (k, v) in &other.0 {
            self.add(k, *v);
        }
    }
}

/// A stage's knowledge of the corpus, built one document at a time and merged.
///
/// Observers are created empty, fed documents on several threads, and merged pairwise in an
/// order that depends on the thread count, so `merge` must be associative and commutative
/// (sort by `Document::seq` in `decide` where order matters).
pub trait Observer: Send {
    fn observe(&mut self, doc: &Document);
    /// Fold `other` (an observer of the same stage and round) into `self`.
    fn merge(&mut self, other: Box<dyn Observer>);
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
    /// Sharded runs: writes everything this observer holds into the empty directory `dir`,
    /// for [`Stage::load_observer`] in the merge step (another process, perhaps on another
    /// machine sharing the directory). Files the observer spilled may be moved into `dir`.
    fn save(self: Box<Self>, dir: &Path) -> Result<(), StageError> {
        let _ = dir;
        Err(StageError::Other(
            "this stage cannot take part in sharded runs".to_string(),
        ))
    }
}

/// Information the driver hands to sinks when the run ends.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunInfo {
    pub version: String,
    /// SHA-256 of the config file's bytes (hex), or of the built-in default.
    pub config_digest: String,
    pub config_path: String,
    pub started: String,
    pub threads: usize,
    pub seconds: f64,
    pub inputs: Vec<InputInfo>,
    pub stages: Vec<StageReport>,
    /// Every input, or part of one, that did not become a document.
    #[serde(skip)]
    pub rejections: Vec<Rejection>,
    /// With a `[state] dir`: the rejections of inputs that earlier runs read and this run
    /// skipped as unchanged (for the cumulative tables; `rejections` holds this run's).
    #[serde(skip)]
    pub earlier_rejections: Vec<Rejection>,
    /// With a `[state] dir`: this run's place in the state's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateReport>,
    /// Documents read (every input record that became a document, whatever happened to it later).
    pub documents: u64,
    /// Documents that ended the run as articles, and those dropped or failed on the way.
    pub articles: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// The streaming passes the driver made over the documents.
    pub passes: Vec<PassReport>,
}

/// A run of a `[state] dir`: its number and what it found among the inputs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StateReport {
    /// 1 for the first run committed to the state directory, then 2, 3...
    pub run: u64,
    /// Inputs read for the first time, inputs whose content changed since the run that read
    /// them (their earlier documents were replaced), and unchanged inputs that were skipped.
    pub new_inputs: u64,
    pub changed_inputs: u64,
    pub unchanged_inputs: u64,
    /// Documents earlier runs stored that the cumulative outputs repeat.
    pub earlier_documents: u64,
}

/// One streaming pass: where its documents came from and what it did with them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PassReport {
    pub index: usize,
    /// "inputs" or "work file".
    pub reads: String,
    /// 1-based indices of the stages applied in this pass.
    pub applies: Vec<usize>,
    /// The stage observed at the end of the pass and the round, if any.
    pub observes: Option<(usize, usize)>,
    pub documents: u64,
    pub seconds: f64,
    /// Seconds spent reading (inputs or the work file) and writing the work file.
    pub read_seconds: f64,
    pub spill_seconds: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InputInfo {
    pub path: String,
    pub bytes: u64,
    pub documents: u64,
    pub rejected: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StageReport {
    /// Position in the pipeline, 1-based, and the stage type.
    pub index: usize,
    pub kind: String,
    #[serde(rename = "in")]
    pub input: u64,
    pub kept: u64,
    pub dropped: BTreeMap<String, u64>,
    pub errors: u64,
    pub counters: BTreeMap<String, u64>,
    /// Wall-clock seconds the workers spent in this stage (summed over threads), and in
    /// observe/decide.
    pub apply_seconds: f64,
    pub observe_seconds: f64,
    pub decide_seconds: f64,
}

/// A file a sink wrote, with its digest, for `run.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OutputFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub rows: Option<u64>,
    /// Set when the sink left the file complete and synced under a temporary name: the driver
    /// renames it to `path` once every stage has finished (and, with a `[state] dir`, after the
    /// state recording the run is committed), so a killed run never publishes half a set.
    #[serde(skip)]
    pub staged: Option<Staged>,
}

/// A finished output waiting under a temporary name in the directory of its final name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staged {
    pub temp: PathBuf,
    pub target: PathBuf,
}

/// The contract every stage fulfils: observe → decide → apply, and optionally sink.
///
/// * `apply` runs on all cores, one document at a time, after every observation round of this
///   stage has been decided.
/// * A stage that needs the whole corpus first returns `observation_rounds() > 0`; for each
///   round the driver streams every live document through `new_observer(round)` instances,
///   merges them and calls `decide(round, merged)`. The driver cuts its passes at such stages.
/// * A sink (`is_sink`) additionally receives every document, live or not, in input order
///   through `write`.
/// * `finish` is called on every stage at the end of a successful run, sinks first.
pub trait Stage: Send + Sync {
    /// The stage type as written in config ("clean").
    fn kind(&self) -> &'static str;

    fn observation_rounds(&self) -> usize {
        0
    }

    fn new_observer(&self, round: usize) -> Box<dyn Observer> {
        let _ = round;
        Box::new(NoObserver)
    }

    fn decide(&mut self, round: usize, state: Box<dyn Observer>) -> Result<Tally, StageError> {
        let _ = (round, state);
        Ok(Tally::default())
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError>;
    /// Sharded runs (`newsmill run --shard i/N`, then `newsmill merge`) need every observing
    /// stage to persist what it observed and decided, so that shards observe and apply in
    /// separate processes while the merge step decides once for the whole corpus:
    ///
    /// * a shard builds the stage, restores every decision made so far (`load_decision`, in
    ///   pipeline and round order), observes its slice of the documents (their `seq` already
    ///   numbered across all shards, densely and in input order) and saves the merged observer
    ///   with [`Observer::save`];
    /// * the merge step builds the stage, restores the earlier decisions, loads each shard's
    ///   observer with `load_observer` and merges them in shard order, calls `decide`, and
    ///   writes the decision with `save_decision`;
    /// * shards then restore all decisions and `apply`.
    ///
    /// Directories passed to `load_*` are read-only (several shards read one at a time) and
    /// stay in place until the sharded run ends. Stages that observe nothing need none of this.
    fn shardable(&self) -> bool {
        self.observation_rounds() == 0
    }
    fn load_observer(&self, round: usize, dir: &Path) -> Result<Box<dyn Observer>, StageError> {
        let _ = (round, dir);
        Err(StageError::Other(format!(
            "the {} stage cannot take part in sharded runs",
            self.kind()
        )))
    }
    fn save_decision(&self, round: usize, dir: &Path) -> Result<(), StageError> {
        let _ = (round, dir);
        Err(StageError::Other(format!(
            "the {} stage cannot take part in sharded runs",
            self.kind()
        )))
    }
    fn load_decision(&mut self, round: usize, dir: &Path) -> Result<(), StageError> {
        let _ = (round, dir);
        Err(StageError::Other(format!(
            "the {} stage cannot take part in sharded runs",
            self.kind()
        )))
    }
    /// With a `[state] dir`: whether what `decide(round)` decides should carry into later
    /// runs, for stages whose evidence builds up over time (a nightly run sees a few articles
    /// per site; the lines its sites repeat were learned from earlier runs). The driver saves
    /// the decision of every run with `save_decision` (committed with the run), and in the
    /// next run, right after `decide(round)`, hands the previous one to `carry_decision`.
    fn carries_decision(&self, round: usize) -> bool {
        let _ = round;
        false
    }
    /// Folds the decision an earlier run saved in `dir` into the one just made.
    fn carry_decision(&mut self, round: usize, dir: &Path) -> Result<(), StageError> {
        let _ = (round, dir);
        Ok(())
    }

    fn is_sink(&self) -> bool {
        false
    }

    /// Sinks only: called in input order with every document the run produced.
    fn write(&mut self, doc: &Document) -> Result<(), StageError> {
        let _ = doc;
        Ok(())
    }
    /// Sinks only, with a `[state] dir`: called before the first `write` with every document
    /// that earlier runs stored and this run did not re-read (its input was unchanged), as it
    /// left the pipeline then, in the order the runs produced them. Sinks that keep cumulative
    /// outputs write these too; a sink that only reports what arrived in this run ignores them.
    fn write_earlier(&mut self, doc: &Document) -> Result<(), StageError> {
        self.write(doc)
    }

    /// Called once at the end of a successful run, on every stage: sinks first (in pipeline
    /// order) complete their outputs, then the other stages write any state they keep between
    /// runs. Returns the files written; those marked [`OutputFile::staged`] are renamed into
    /// place by the driver after every stage has finished, in the order returned.
    fn finish(&mut self, run: &RunInfo) -> Result<Vec<OutputFile>, StageError> {
        let _ = run;
        Ok(Vec::new())
    }
}

/// The observer of a stage that does not observe.
pub struct NoObserver;

impl Observer for NoObserver {
    fn observe(&mut self, _doc: &Document) {}
    fn merge(&mut self, _other: Box<dyn Observer>) {}
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// Things a stage may need when it is built from config.
#[derive(Clone, Debug, Default)]
pub struct BuildContext {
    /// The directory of the config file: relative paths in stage keys resolve against it.
    pub config_dir: PathBuf,
    /// `--out DIR` from the command line, which replaces the `dir` of export stages.
    pub out_override: Option<PathBuf>,
    /// `[state] dir`: where stages keep what must survive between scheduled runs (resolved
    /// against the config's directory); `None` when the config names none.
    pub state_dir: Option<PathBuf>,
    /// `[run] work_dir`: where a stage may put scratch files that live for one run (resolved
    /// against the config's directory); `None` means the system's temporary directory.
    pub work_dir: Option<PathBuf>,
    /// With a `[state] dir`: this run's number in it (1 for the first). State a stage finds
    /// marked with this number or a higher one was written by a run that was killed before the
    /// driver committed it, and must be ignored; what the stage writes in `finish` carries
    /// this number and counts once the driver commits the run.
    pub state_run: Option<u64>,
    /// With a `[state] dir`: ids of the documents earlier runs stored from inputs whose content
    /// has changed since. This run reads those inputs again and replaces the documents, so
    /// state a stage keeps about them (the dedupe index) must forget them.
    pub replaced_ids: std::sync::Arc<std::collections::HashSet<String>>,
}
