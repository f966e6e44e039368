//! The `export` stage: a sink that writes the run's articles, annotations, clusters and
//! rejections as CSV tables and JSON Lines, plus a `run.json` manifest.
//!
//! Documents stream straight to temporary files in the output directory, hashed as they go;
//! `finish` completes and syncs them and writes `run.json` under a temporary name too, and
//! returns them all staged: the driver publishes them (`run.json` last) once the run is
//! committed, so a reader that sees a new `run.json` sees a complete set of outputs. With a
//! `[state] dir` there are two sets: the cumulative one and `new/`, this run's documents.

mod cells;
mod config;
mod csv_out;
mod error;
mod files;
mod jsonl;
#[cfg(feature = "parquet")]
mod parquet;
mod report;
mod rows;
mod run;
mod sink;
mod sqlite;
mod tables;
mod values;
mod xlsx;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use newsmill_core::{
    BuildContext, Document, OutputFile, RunInfo, Stage, StageError, Staged, Tally, Verdict,
};

pub use cells::neutralize;
pub use config::{DOC, ExportConfig, Format, TableChoice};
pub use error::ExportError;
pub use report::REPORT_NAME;
pub use sqlite::SQLITE_NAME;
pub use tables::{ColumnDoc, ColumnKind, TABLES, Table, TableDoc, tables_markdown};
pub use xlsx::{XLSX_NAME, XLSX_SHEET_ROWS};

use files::{HashingFile, io_error, temp_path};
use rows::RowOptions;
use run::{RunRecord, TableCounts};
use sink::{Plan, Writers, write_to};

/// The manifest, written last.
pub const RUN_JSON: &str = "run.json";

/// Where this run's documents go in an incremental run, inside the output directory.
pub const NEW_DIR: &str = "new";

/// A running export stage.
pub struct ExportStage {
    dir: PathBuf,
    /// Incremental runs (with a `[state] dir`) only: `dir/new`, the set of this run's documents.
    new_dir: Option<PathBuf>,
    plan: Plan,
    /// Opened on the first document, so building a stage to validate a config writes nothing.
    /// In a mutex only because a stage must be `Sync` and a database connection is not; the
    /// driver calls `write` and `finish` with `&mut self`, so it is never contended.
    writers: Option<Mutex<Sets>>,
    /// Whether temporary files may exist (set before opening, so a half-failed open counts).
    opened: bool,
    finished: bool,
}

/// The open output sets.
struct Sets {
    /// Every document: in an incremental run those of earlier runs first, then this run's.
    all: Writers,
    /// Incremental runs only: this run's documents.
    new: Option<Writers>,
}

impl ExportStage {
    /// Resolves and creates the output directory and checks that it is writable. In an
    /// incremental run (`ctx.state_run` set) it also removes the temporary files a killed run
    /// left in it and in its `new` directory.
    pub fn new(cfg: ExportConfig, ctx: &BuildContext) -> Result<ExportStage, ExportError> {
        let problems = cfg.problems();
        if !problems.is_empty() {
            return Err(ExportError::Invalid(
                problems
                    .into_iter()
                    .map(|(key, message, _)| format!("{key} {message}"))
                    .collect(),
            ));
        }
        let dir = match &ctx.out_override {
            Some(out) => out.clone(),
            None if Path::new(&cfg.dir).is_absolute() => PathBuf::from(&cfg.dir),
            None => ctx.config_dir.join(&cfg.dir),
        };
        fs::create_dir_all(&dir).map_err(|source| ExportError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        check_writable(&dir)?;
        let new_dir = ctx.state_run.map(|_| dir.join(NEW_DIR));
        if let Some(new_dir) = &new_dir {
            sweep_temporary_files(&[&dir, new_dir]);
        }
        let plan = Plan {
            tables: cfg.selected_tables(),
            csv: cfg.writes(Format::Csv),
            xlsx: cfg.writes(Format::Xlsx),
            sqlite: cfg.writes(Format::Sqlite),
            parquet: cfg.writes(Format::Parquet),
            jsonl: cfg.writes(Format::Jsonl),
            report: cfg.writes(Format::Report),
            bom: cfg.bom,
            options: RowOptions {
                neutralize: cfg.neutralize_formulas,
                text: cfg.text,
            },
            sheet_rows: XLSX_SHEET_ROWS,
        };
        Ok(ExportStage {
            plan,
            writers: None,
            opened: false,
            finished: false,
            dir,
            new_dir,
        })
    }

    /// The directory outputs go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Incremental runs only: the directory of the set holding this run's documents.
    pub fn new_dir(&self) -> Option<&Path> {
        self.new_dir.as_deref()
    }

    /// Lowers the rows per worksheet (header included) after which an xlsx table continues on
    /// a further sheet; Excel's own limit, [`XLSX_SHEET_ROWS`], is the default. For tests of
    /// the continuation, which would otherwise need a million rows. At least 2.
    pub fn set_sheet_rows(&mut self, rows: u32) {
        self.plan.sheet_rows = rows.clamp(2, XLSX_SHEET_ROWS);
    }

    fn sets(&mut self) -> Result<&mut Sets, StageError> {
        if self.finished {
            return Err(StageError::Other(
                "the export stage has already finished".into(),
            ));
        }
        if self.writers.is_none() {
            self.opened = true;
            tracing::debug!(dir = %self.dir.display(), tables = self.plan.tables.len(), "Opening the export files.");
            let new = match &self.new_dir {
                Some(new_dir) => {
                    fs::create_dir_all(new_dir)
                        .map_err(|e| io_error("create directory", new_dir, e))?;
                    Some(Writers::open(new_dir, &self.plan)?)
                }
                None => None,
            };
            let all = Writers::open(&self.dir, &self.plan)?;
            self.writers = Some(Mutex::new(Sets { all, new }));
        }
        self.writers
            .as_mut()
            .map(|m| m.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()))
            .ok_or_else(|| StageError::Other("export files are not open".into()))
    }

    fn temp_paths(&self) -> Vec<PathBuf> {
        let mut names = self.plan.temp_names();
        names.push(RUN_JSON.to_string());
        let dirs = std::iter::once(&self.dir).chain(&self.new_dir);
        dirs.flat_map(|dir| names.iter().map(|name| temp_path(dir, name)))
            .collect()
    }
}

/// Creating and removing a probe file is the only reliable test: permission bits say nothing
/// about read-only mounts, ACLs or quotas.
fn check_writable(dir: &Path) -> Result<(), ExportError> {
    let probe = temp_path(dir, &format!("newsmill-probe-{}", std::process::id()));
    fs::write(&probe, b"").map_err(|source| ExportError::NotWritable {
        path: dir.to_path_buf(),
        source,
    })?;
    fs::remove_file(&probe).map_err(|source| ExportError::NotWritable {
        path: dir.to_path_buf(),
        source,
    })
}

/// Removes the temporary output files a killed run left behind. The driver publishes any
/// committed run's outputs before it builds the stages, so a temporary file still there
/// belongs to a run that was never committed. Only names an export can write are touched.
fn sweep_temporary_files(dirs: &[&Path]) {
    let mut names = Plan::every_temp_name();
    names.push(RUN_JSON.to_string());
    let mut removed = 0usize;
    for dir in dirs {
        for name in &names {
            let path = temp_path(dir, name);
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "Could not remove a temporary export file left by an earlier run.");
                }
            }
        }
    }
    if removed > 0 {
        tracing::info!(
            dir = %dirs.first().map_or_else(String::new, |d| d.display().to_string()),
            files = removed,
            "Removed temporary export files left by a run that was stopped before it was committed."
        );
    }
}

/// The run as the cumulative set shows it: the rejections of earlier runs' inputs first,
/// and the documents earlier runs stored counted as read, so the report's funnel adds up.
fn cumulative_view(run: &RunInfo) -> RunInfo {
    let mut view = run.clone();
    view.rejections = run
        .earlier_rejections
        .iter()
        .chain(&run.rejections)
        .cloned()
        .collect();
    view.earlier_rejections = Vec::new();
    if let Some(state) = &run.state {
        view.documents += state.earlier_documents;
    }
    view
}

/// Completes one set in `dir` and writes its `run.json`: returns its files, `run.json` last,
/// staged for publication, paths joined to `dir`. `run` is recorded in `run.json`; `view`
/// supplies the rejections and the report's funnel.
fn finish_set(
    writers: Writers,
    dir: &Path,
    run: &RunInfo,
    view: &RunInfo,
) -> Result<Vec<OutputFile>, StageError> {
    let finished = writers.finish(view)?;
    let mut outputs = Vec::with_capacity(finished.len() + 1);
    let mut counts = Vec::new();
    for file in &finished {
        outputs.push(OutputFile {
            path: file.name.clone(),
            bytes: file.written.bytes,
            sha256: file.written.sha256.clone(),
            rows: Some(file.rows),
            staged: None,
        });
        if let Some(table) = file.table {
            counts.push((table, file.rows));
        }
    }
    let record = RunRecord {
        run,
        tables: TableCounts(counts),
        outputs: &outputs,
    };
    let bytes = run::render(&record)
        .map_err(|e| StageError::Other(format!("cannot render {RUN_JSON}: {e}")))?;
    let run_temp = temp_path(dir, RUN_JSON);
    let mut manifest = HashingFile::create(run_temp.clone())?;
    std::io::Write::write_all(&mut manifest, &bytes)
        .map_err(|e| io_error("write", &run_temp, e))?;
    let manifest = manifest.finish()?;
    outputs.push(OutputFile {
        path: RUN_JSON.to_string(),
        bytes: manifest.bytes,
        sha256: manifest.sha256,
        rows: None,
        staged: None,
    });
    let temps = finished
        .into_iter()
        .map(|file| file.temp)
        .chain(std::iter::once(run_temp));
    for (output, temp) in outputs.iter_mut().zip(temps) {
        let target = dir.join(&output.path);
        output.path = target.display().to_string();
        output.staged = Some(Staged { temp, target });
    }
    Ok(outputs)
}

impl Stage for ExportStage {
    fn kind(&self) -> &'static str {
        "export"
    }

    fn apply(&self, _doc: &mut Document, _tally: &mut Tally) -> Result<Verdict, StageError> {
        Ok(Verdict::Keep)
    }

    fn is_sink(&self) -> bool {
        true
    }

    /// A document of this run: into both sets in an incremental run.
    fn write(&mut self, doc: &Document) -> Result<(), StageError> {
        let sets = self.sets()?;
        match &mut sets.new {
            Some(new) => write_to(&mut [&mut sets.all, new], doc),
            None => sets.all.write(doc),
        }
    }

    /// A document an earlier run stored: into the cumulative set only.
    fn write_earlier(&mut self, doc: &Document) -> Result<(), StageError> {
        self.sets()?.all.write(doc)
    }

    /// Completes every file under its temporary name, synced, and returns them staged for
    /// [`newsmill_core::publish`], with paths joined to their directory (`run.json` lists them
    /// relative to it). An incremental run returns the `new` set first, then the cumulative
    /// set; each set ends with its `run.json`, so the cumulative `run.json` is published last.
    fn finish(&mut self, run: &RunInfo) -> Result<Vec<OutputFile>, StageError> {
        self.sets()?;
        let Sets { all, new } = self
            .writers
            .take()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            })
            .ok_or_else(|| StageError::Other("export files are not open".into()))?;
        let mut outputs = Vec::new();
        if let (Some(new), Some(new_dir)) = (new, &self.new_dir) {
            outputs.extend(finish_set(new, new_dir, run, run)?);
            outputs.extend(finish_set(all, &self.dir, run, &cumulative_view(run))?);
        } else {
            outputs.extend(finish_set(all, &self.dir, run, run)?);
        }
        self.finished = true;
        tracing::info!(
            dir = %self.dir.display(),
            files = outputs.len(),
            incremental = self.new_dir.is_some(),
            "Wrote the export outputs; they wait under temporary names until the run is published."
        );
        Ok(outputs)
    }
}

impl Drop for ExportStage {
    /// A run that stops before `finish` (or whose `finish` failed) leaves no half-written
    /// temporary files behind; outputs already in place stay untouched. After a successful
    /// `finish` the temporary files are the staged outputs and stay for publication.
    fn drop(&mut self) {
        if self.finished || !self.opened {
            return;
        }
        // Close the files before removing them (Windows refuses to remove open files).
        self.writers = None;
        for path in self.temp_paths() {
            if !path.exists() {
                continue;
            }
            if let Err(error) = fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %error, "Could not remove an unfinished export file.");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn doc_lists_exactly_the_config_keys() {
        let value = serde_json::to_value(ExportConfig::default()).expect("config serialises");
        let fields: BTreeSet<&str> = value
            .as_object()
            .expect("an object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        let documented: BTreeSet<&str> = DOC.keys.iter().map(|k| k.name).collect();
        assert_eq!(fields, documented);
        assert_eq!(DOC.kind, "export");
    }

    #[test]
    fn doc_defaults_match_the_default_config() {
        let value = serde_json::to_value(ExportConfig::default()).expect("config serialises");
        for key in DOC.keys {
            let documented: serde_json::Value =
                serde_json::from_str(key.default).expect("TOML default is JSON-compatible");
            assert_eq!(value[key.name], documented, "default of {}", key.name);
        }
    }

    #[test]
    fn the_sweep_knows_every_temporary_name_a_plan_can_write() {
        let plan = Plan {
            tables: Table::ALL.to_vec(),
            csv: true,
            xlsx: true,
            sqlite: true,
            parquet: true,
            jsonl: true,
            report: true,
            bom: false,
            options: RowOptions {
                neutralize: true,
                text: true,
            },
            sheet_rows: XLSX_SHEET_ROWS,
        };
        let every: BTreeSet<String> = Plan::every_temp_name().into_iter().collect();
        for name in plan.temp_names() {
            assert!(every.contains(&name), "{name} is not swept");
        }
        #[cfg(feature = "parquet")]
        for table in Table::ALL {
            assert!(every.contains(&crate::parquet::file_name(table)));
        }
    }

    #[test]
    fn readme_lists_every_key() {
        let readme = include_str!("../README.md");
        for key in DOC.keys {
            assert!(
                readme.contains(&format!("`{}`", key.name)),
                "README misses key {}",
                key.name
            );
        }
    }
}
