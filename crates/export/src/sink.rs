//! The open output files of one run, fed one document at a time.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use newsmill_core::{Document, Rejection, StageError};

use crate::cells::Row;
use crate::files::{HashingFile, Written, csv_error, io_error, temp_path};
use crate::jsonl::ArticleRecord;
use crate::rows::{Disposition, RowOptions, header, rows};
use crate::tables::Table;

pub const JSONL_NAME: &str = "articles.jsonl";
/// Rejected documents arrive while streaming but are listed after the input rejections, which
/// only come at the end; they wait in this file instead of in memory.
const SPOOL_NAME: &str = "rejected.csv.documents";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// LF line ends: every CSV reader (Excel, LibreOffice, pandas, R, Python's csv) accepts them,
/// and they match the JSON Lines output and diff cleanly.
fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

/// A finished output still under its temporary name.
pub struct Finished {
    pub name: String,
    pub temp: PathBuf,
    pub written: Written,
    pub rows: u64,
    pub table: Option<Table>,
}

struct CsvTable {
    table: Table,
    out: csv::Writer<HashingFile>,
    rows: u64,
}

struct Spool {
    path: PathBuf,
    out: csv::Writer<BufWriter<File>>,
    rows: u64,
}

pub struct Writers {
    options: RowOptions,
    tables: Vec<CsvTable>,
    jsonl: Option<(HashingFile, u64)>,
    spool: Option<Spool>,
}

/// Every temporary file a stage with these outputs may create, for cleaning up after a failure.
pub fn temp_names(tables: &[Table], jsonl: bool) -> Vec<String> {
    let mut names: Vec<String> = tables.iter().map(|t| t.file_name()).collect();
    if jsonl {
        names.push(JSONL_NAME.to_string());
    }
    if tables.contains(&Table::Rejected) {
        names.push(SPOOL_NAME.to_string());
    }
    names
}

impl Writers {
    pub fn open(
        dir: &Path,
        tables: &[Table],
        jsonl: bool,
        bom: bool,
        options: RowOptions,
    ) -> Result<Self, StageError> {
        let mut open = Vec::with_capacity(tables.len());
        for &table in tables {
            let mut file = HashingFile::create(temp_path(dir, &table.file_name()))?;
            if bom {
                file.write_all(UTF8_BOM)
                    .map_err(|e| io_error("write", file.path(), e))?;
            }
            let mut out = csv_writer(file);
            let path = out.get_ref().path().to_path_buf();
            out.write_record(header(table, options))
                .map_err(|e| csv_error(&path, e))?;
            open.push(CsvTable {
                table,
                out,
                rows: 0,
            });
        }
        let jsonl = match jsonl {
            true => Some((HashingFile::create(temp_path(dir, JSONL_NAME))?, 0)),
            false => None,
        };
        let spool = match tables.contains(&Table::Rejected) {
            true => {
                let path = temp_path(dir, SPOOL_NAME);
                let file = File::create(&path).map_err(|e| io_error("create", &path, e))?;
                Some(Spool {
                    out: csv_writer(BufWriter::new(file)),
                    path,
                    rows: 0,
                })
            }
            false => None,
        };
        Ok(Writers {
            options,
            tables: open,
            jsonl,
            spool,
        })
    }

    pub fn write(&mut self, doc: &Document) -> Result<(), StageError> {
        let disposition = Disposition::of(doc);
        for table in &mut self.tables {
            for cells in rows(table.table, doc, &disposition, self.options) {
                let out = &mut table.out;
                out.write_record(cells.iter().map(|c| c.as_bytes()))
                    .map_err(|e| csv_error(out.get_ref().path(), e))?;
                table.rows += 1;
            }
        }
        if let (Some((out, rows)), Disposition::Article) = (&mut self.jsonl, &disposition) {
            let record = ArticleRecord::new(doc, self.options.text);
            serde_json::to_writer(&mut *out, &record)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| io_error("write", out.path(), e))?;
            *rows += 1;
        }
        if let (Some(spool), Disposition::Rejected { reason, detail }) =
            (&mut self.spool, &disposition)
        {
            let cells = Row::new(self.options.neutralize, 4)
                .text(&doc.source)
                .text(&doc.position)
                .plain(reason)
                .text(detail)
                .into_cells();
            spool
                .out
                .write_record(cells.iter().map(|c| c.as_bytes()))
                .map_err(|e| csv_error(&spool.path, e))?;
            spool.rows += 1;
        }
        Ok(())
    }

    /// Completes every file (input rejections go first in `rejected`) and syncs it to disk.
    pub fn finish(self, rejections: &[Rejection]) -> Result<Vec<Finished>, StageError> {
        let Writers {
            options,
            tables,
            jsonl,
            mut spool,
        } = self;
        let mut finished = Vec::new();
        for CsvTable {
            table,
            mut out,
            mut rows,
        } in tables
        {
            let temp = out.get_ref().path().to_path_buf();
            if table == Table::Rejected {
                for rejection in rejections {
                    let cells = Row::new(options.neutralize, 4)
                        .text(&rejection.source)
                        .text(&rejection.position)
                        .text(&rejection.reason)
                        .text(&rejection.detail)
                        .into_cells();
                    out.write_record(cells.iter().map(|c| c.as_bytes()))
                        .map_err(|e| csv_error(&temp, e))?;
                    rows += 1;
                }
            }
            let mut file = out
                .into_inner()
                .map_err(|e| io_error("flush", &temp, e.into_error()))?;
            let documents = if table == Table::Rejected {
                spool.take()
            } else {
                None
            };
            if let Some(spool) = documents {
                rows += append_spool(spool, &mut file)?;
            }
            finished.push(Finished {
                name: table.file_name(),
                temp,
                written: file.finish()?,
                rows,
                table: Some(table),
            });
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
        Ok(finished)
    }
}

fn append_spool(spool: Spool, out: &mut HashingFile) -> Result<u64, StageError> {
    let Spool {
        path,
        out: spool_out,
        rows,
    } = spool;
    let file = spool_out
        .into_inner()
        .map_err(|e| io_error("flush", &path, e.into_error()))?;
    file.into_inner()
        .map_err(|e| io_error("flush", &path, e.into_error()))?;
    let mut reader = File::open(&path).map_err(|e| io_error("read", &path, e))?;
    io::copy(&mut reader, out).map_err(|e| io_error("copy", &path, e))?;
    fs::remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
    Ok(rows)
}
