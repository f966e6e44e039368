//! The open outputs of one run, fed one document at a time.
//!
//! Each document's rows are built once (as plain text cells) and handed to every tabular
//! writer (CSV, xlsx, sqlite, parquet); JSON Lines and the report take the document itself.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use newsmill_core::{Document, RunInfo, StageError};

use crate::cells::Row;
use crate::csv_out::{CsvSink, csv_writer};
use crate::files::{HashingFile, Written, csv_error, io_error, temp_path};
use crate::jsonl::ArticleRecord;
use crate::report::ReportSink;
use crate::rows::{Cells, Disposition, RowOptions, rows};
use crate::sqlite::SqliteSink;
use crate::tables::Table;
use crate::xlsx::XlsxSink;

pub const JSONL_NAME: &str = "articles.jsonl";
/// Rejected documents arrive while streaming but are listed after the input rejections, which
/// only come at the end; they wait in this file instead of in memory.
const SPOOL_NAME: &str = "rejected.documents.csv";

/// The rows one document contributes, table by table in table order.
pub type DocRows<'a> = Vec<(Table, Cells<'a>)>;

/// A writer of the tables (CSV, xlsx, sqlite, parquet).
pub trait TableSink: Send {
    /// Writes one row of one table.
    fn row(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError>;
    /// Every row of one document (never `rejected` rows).
    fn document(&mut self, rows: &DocRows<'_>) -> Result<(), StageError> {
        for (table, cells) in rows {
            self.row(*table, cells)?;
        }
        Ok(())
    }
    /// One `rejected` row; all of them come at the end, in their final order.
    fn rejected(&mut self, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        self.row(Table::Rejected, cells)
    }
    /// Completes the files under their temporary names, synced to disk.
    fn finish(self: Box<Self>) -> Result<Vec<Finished>, StageError>;
}

/// A finished output still under its temporary name.
pub struct Finished {
    pub name: String,
    pub temp: PathBuf,
    pub written: Written,
    pub rows: u64,
    /// The CSV table this file is, for the row counts in `run.json`.
    pub table: Option<Table>,
}

/// What a stage writes, decided from its config.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Tables written by the tabular formats, in table order.
    pub tables: Vec<Table>,
    pub csv: bool,
    pub xlsx: bool,
    pub sqlite: bool,
    pub parquet: bool,
    pub jsonl: bool,
    pub report: bool,
    pub bom: bool,
    pub options: RowOptions,
    /// Most rows (header included) on one worksheet before the table continues on another.
    pub sheet_rows: u32,
}

impl Plan {
    fn tabular(&self) -> bool {
        self.csv || self.xlsx || self.sqlite || self.parquet
    }

    fn spools(&self) -> bool {
        self.tabular() && self.tables.contains(&Table::Rejected)
    }

    /// Every temporary file any plan may create, whatever its formats and tables (and whether
    /// or not this build has the `parquet` feature): what a killed run of any config can
    /// have left behind.
    pub fn every_temp_name() -> Vec<String> {
        let mut names: Vec<String> = Table::ALL.iter().map(|t| t.file_name()).collect();
        names.extend(Table::ALL.iter().map(|t| format!("{}.parquet", t.name())));
        names.extend(
            [
                crate::xlsx::XLSX_NAME,
                crate::sqlite::SQLITE_NAME,
                JSONL_NAME,
                crate::report::REPORT_NAME,
                SPOOL_NAME,
            ]
            .map(String::from),
        );
        names
    }

    /// Every temporary file these outputs may create, for cleaning up after a failure.
    pub fn temp_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if self.csv {
            names.extend(self.tables.iter().map(|t| t.file_name()));
        }
        if self.xlsx {
            names.push(crate::xlsx::XLSX_NAME.to_string());
        }
        if self.sqlite {
            names.push(crate::sqlite::SQLITE_NAME.to_string());
        }
        #[cfg(feature = "parquet")]
        if self.parquet {
            names.extend(self.tables.iter().map(|t| crate::parquet::file_name(*t)));
        }
        if self.jsonl {
            names.push(JSONL_NAME.to_string());
        }
        if self.report {
            names.push(crate::report::REPORT_NAME.to_string());
        }
        if self.spools() {
            names.push(SPOOL_NAME.to_string());
        }
        names
    }
}

struct Spool {
    path: PathBuf,
    out: csv::Writer<BufWriter<File>>,
}

pub struct Writers {
    plan: Plan,
    sinks: Vec<Box<dyn TableSink>>,
    jsonl: Option<(HashingFile, u64)>,
    report: Option<ReportSink>,
    spool: Option<Spool>,
}

impl Writers {
    pub fn open(dir: &Path, plan: &Plan) -> Result<Self, StageError> {
        let mut sinks: Vec<Box<dyn TableSink>> = Vec::new();
        if plan.csv {
            sinks.push(Box::new(CsvSink::open(
                dir,
                &plan.tables,
                plan.bom,
                plan.options,
            )?));
        }
        if plan.xlsx {
            sinks.push(Box::new(XlsxSink::open(
                dir,
                &plan.tables,
                plan.options,
                plan.csv,
                plan.sheet_rows,
            )?));
        }
        if plan.sqlite {
            sinks.push(Box::new(SqliteSink::open(dir, &plan.tables, plan.options)?));
        }
        #[cfg(feature = "parquet")]
        if plan.parquet {
            sinks.push(Box::new(crate::parquet::ParquetSink::open(
                dir,
                &plan.tables,
                plan.options,
            )?));
        }
        let jsonl = match plan.jsonl {
            true => Some((HashingFile::create(temp_path(dir, JSONL_NAME))?, 0)),
            false => None,
        };
        let report = plan.report.then(|| ReportSink::new(dir));
        let spool = match plan.spools() {
            true => {
                let path = temp_path(dir, SPOOL_NAME);
                let file = File::create(&path).map_err(|e| io_error("create", &path, e))?;
                Some(Spool {
                    out: csv_writer(BufWriter::new(file)),
                    path,
                })
            }
            false => None,
        };
        Ok(Writers {
            plan: plan.clone(),
            sinks,
            jsonl,
            report,
            spool,
        })
    }

    pub fn write(&mut self, doc: &Document) -> Result<(), StageError> {
        write_to(&mut [self], doc)
    }

    /// One document, its rows and JSON Lines record already built.
    fn take(
        &mut self,
        doc: &Document,
        disposition: &Disposition,
        doc_rows: &DocRows<'_>,
        record: Option<&[u8]>,
    ) -> Result<(), StageError> {
        if let Some(report) = &mut self.report {
            report.observe(doc, disposition);
        }
        if !doc_rows.is_empty() {
            for sink in &mut self.sinks {
                sink.document(doc_rows)?;
            }
        }
        if let (Some((out, rows)), Some(record)) = (&mut self.jsonl, record) {
            out.write_all(record)
                .map_err(|e| io_error("write", out.path(), e))?;
            *rows += 1;
        }
        if let (Some(spool), Disposition::Rejected { reason, detail }) =
            (&mut self.spool, disposition)
        {
            let cells = rejected_cells(&doc.source, &doc.position, reason, detail);
            spool
                .out
                .write_record(cells.iter().map(|c| c.as_bytes()))
                .map_err(|e| csv_error(&spool.path, e))?;
        }
        Ok(())
    }

    /// Completes every file and syncs it to disk. `run.rejections` go first in `rejected`;
    /// the report also takes its funnel from `run`.
    pub fn finish(self, run: &RunInfo) -> Result<Vec<Finished>, StageError> {
        let Writers {
            plan: _,
            mut sinks,
            jsonl,
            report,
            spool,
        } = self;
        if let Some(spool) = spool {
            for rejection in &run.rejections {
                let cells = rejected_cells(
                    &rejection.source,
                    &rejection.position,
                    &rejection.reason,
                    &rejection.detail,
                );
                for sink in &mut sinks {
                    sink.rejected(&cells)?;
                }
            }
            replay_spool(spool, &mut sinks)?;
        }
        let mut finished = Vec::new();
        for sink in sinks {
            finished.extend(sink.finish()?);
        }
        if let Some((out, rows)) = jsonl {
            let temp = out.path().to_path_buf();
            finished.push(Finished {
                name: JSONL_NAME.to_string(),
                temp,
                written: out.finish()?,
                rows,
                table: None,
            });
        }
        if let Some(report) = report {
            finished.push(report.finish(run)?);
        }
        Ok(finished)
    }
}

/// Feeds one document to every set of writers (all opened with the same plan), building its
/// rows and its JSON Lines record once however many sets take it.
pub fn write_to(sets: &mut [&mut Writers], doc: &Document) -> Result<(), StageError> {
    let Some(plan) = sets.first().map(|set| &set.plan) else {
        return Ok(());
    };
    let (options, tables) = (plan.options, plan.tables.as_slice());
    let disposition = Disposition::of(doc);
    let doc_rows: DocRows<'_> = match sets.iter().any(|set| !set.sinks.is_empty()) {
        true => tables
            .iter()
            .flat_map(|&table| {
                rows(table, doc, &disposition, options)
                    .into_iter()
                    .map(move |cells| (table, cells))
            })
            .collect(),
        false => Vec::new(),
    };
    let mut record: Option<Vec<u8>> = None;
    if matches!(disposition, Disposition::Article) && sets.iter().any(|set| set.jsonl.is_some()) {
        let mut line = serde_json::to_vec(&ArticleRecord::new(doc, options.text))
            .map_err(|e| StageError::Other(format!("cannot serialise article {}: {e}", doc.id)))?;
        line.push(b'\n');
        record = Some(line);
    }
    for set in sets.iter_mut() {
        set.take(doc, &disposition, &doc_rows, record.as_deref())?;
    }
    Ok(())
}

fn rejected_cells<'a>(
    source: &'a str,
    position: &'a str,
    reason: &'a str,
    detail: &'a str,
) -> Cells<'a> {
    Row::new(4)
        .text(source)
        .text(position)
        .text(reason)
        .text(detail)
        .into_cells()
}

/// Feeds the spooled document rejections to every writer, then removes the spool.
fn replay_spool(spool: Spool, sinks: &mut [Box<dyn TableSink>]) -> Result<(), StageError> {
    let Spool { path, out } = spool;
    let file = out
        .into_inner()
        .map_err(|e| io_error("flush", &path, e.into_error()))?;
    file.into_inner()
        .map_err(|e| io_error("flush", &path, e.into_error()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&path)
        .map_err(|e| csv_error(&path, e))?;
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(&path, e))?
    {
        let cells: Cells<'_> = record.iter().map(Cow::Borrowed).collect();
        for sink in sinks.iter_mut() {
            sink.rejected(&cells)?;
        }
    }
    fs::remove_file(&path).map_err(|e| io_error("remove", &path, e))
}
