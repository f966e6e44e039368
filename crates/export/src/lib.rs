//! The `export` stage: a sink that writes the run's articles, annotations, clusters and
//! rejections as CSV tables and JSON Lines, plus a `run.json` manifest.
//!
//! Documents stream straight to temporary files in the output directory, hashed as they go;
//! `finish` completes them, renames them into place and writes `run.json` last, so a reader
//! that sees a new `run.json` sees a complete set of outputs.

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
    BuildContext, Document, OutputFile, RunInfo, Stage, StageError, Tally, Verdict,
};

pub use cells::neutralize;
pub use config::{DOC, ExportConfig, Format, TableChoice};
pub use error::ExportError;
pub use report::REPORT_NAME;
pub use sqlite::SQLITE_NAME;
pub use tables::{ColumnDoc, ColumnKind, TABLES, Table, TableDoc, tables_markdown};
pub use xlsx::{XLSX_NAME, XLSX_SHEET_ROWS};

use files::{HashingFile, io_error, rename, sync_dir, temp_path};
use rows::RowOptions;
use run::{RunRecord, TableCounts};
use sink::{Plan, Writers};

/// The manifest, written last.
pub const RUN_JSON: &str = "run.json";

/// A running export stage.
pub struct ExportStage {
    dir: PathBuf,
    plan: Plan,
    /// Opened on the first document, so building a stage to validate a config writes nothing.
    /// In a mutex only because a stage must be `Sync` and a database connection is not; the
    /// driver calls `write` and `finish` with `&mut self`, so it is never contended.
    writers: Option<Mutex<Writers>>,
    /// Whether temporary files may exist (set before opening, so a half-failed open counts).
    opened: bool,
    finished: bool,
}

impl ExportStage {
    /// Resolves and creates the output directory and checks that it is writable.
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
        })
    }

    /// The directory outputs go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Lowers the rows per worksheet (header included) after which an xlsx table continues on
    /// a further sheet; Excel's own limit, [`XLSX_SHEET_ROWS`], is the default. For tests of
    /// the continuation, which would otherwise need a million rows. At least 2.
    pub fn set_sheet_rows(&mut self, rows: u32) {
        self.plan.sheet_rows = rows.clamp(2, XLSX_SHEET_ROWS);
    }

    fn writers(&mut self) -> Result<&mut Writers, StageError> {
        if self.finished {
            return Err(StageError::Other(
                "the export stage has already finished".into(),
            ));
        }
        if self.writers.is_none() {
            self.opened = true;
            tracing::debug!(dir = %self.dir.display(), tables = self.plan.tables.len(), "Opening the export files.");
            self.writers = Some(Mutex::new(Writers::open(&self.dir, &self.plan)?));
        }
        self.writers
            .as_mut()
            .map(|m| m.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()))
            .ok_or_else(|| StageError::Other("export files are not open".into()))
    }

    fn temp_paths(&self) -> Vec<PathBuf> {
        let mut names = self.plan.temp_names();
        names.push(RUN_JSON.to_string());
        names
            .iter()
            .map(|name| temp_path(&self.dir, name))
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

    fn write(&mut self, doc: &Document) -> Result<(), StageError> {
        self.writers()?.write(doc)
    }

    /// Returns the files written, `run.json` last, with paths joined to the output directory
    /// (`run.json` itself lists them relative to it).
    fn finish(&mut self, run: &RunInfo) -> Result<Vec<OutputFile>, StageError> {
        self.writers()?;
        let writers = self
            .writers
            .take()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            })
            .ok_or_else(|| StageError::Other("export files are not open".into()))?;
        let finished = writers.finish(&run.rejections, run)?;

        let mut outputs = Vec::with_capacity(finished.len());
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
        let run_temp = temp_path(&self.dir, RUN_JSON);
        let mut manifest = HashingFile::create(run_temp.clone())?;
        std::io::Write::write_all(&mut manifest, &bytes)
            .map_err(|e| io_error("write", &run_temp, e))?;
        let manifest = manifest.finish()?;

        for file in &finished {
            rename(&file.temp, &self.dir.join(&file.name))?;
        }
        rename(&run_temp, &self.dir.join(RUN_JSON))?;
        sync_dir(&self.dir);
        self.finished = true;

        outputs.push(OutputFile {
            path: RUN_JSON.to_string(),
            bytes: manifest.bytes,
            sha256: manifest.sha256,
            rows: None,
            staged: None,
        });
        for output in &mut outputs {
            output.path = self.dir.join(&output.path).display().to_string();
        }
        let articles = finished
            .iter()
            .find(|f| f.table == Some(Table::Articles))
            .map_or(0, |f| f.rows);
        tracing::info!(
            dir = %self.dir.display(),
            files = outputs.len(),
            articles,
            "Wrote the export outputs."
        );
        Ok(outputs)
    }
}

impl Drop for ExportStage {
    /// A run that stops before `finish` (or whose `finish` failed) leaves no half-written
    /// temporary files behind; outputs already in place stay untouched.
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
