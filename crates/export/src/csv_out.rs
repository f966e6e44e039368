//! CSV: one file per table, RFC 4180, LF line ends, formula triggers neutralised.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use newsmill_core::StageError;

use crate::cells::neutralize;
use crate::files::{HashingFile, csv_error, io_error, temp_path};
use crate::rows::{RowOptions, header};
use crate::sink::{Finished, TableSink};
use crate::tables::{ColumnKind, Table};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// LF line ends: every CSV reader (Excel, LibreOffice, pandas, R, Python's csv) accepts them,
/// and they match the JSON Lines output and diff cleanly.
pub fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

struct CsvTable {
    table: Table,
    out: csv::Writer<HashingFile>,
    rows: u64,
}

pub struct CsvSink {
    neutralize: bool,
    tables: Vec<CsvTable>,
}

impl CsvSink {
    pub fn open(
        dir: &Path,
        tables: &[Table],
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
        Ok(CsvSink {
            neutralize: options.neutralize,
            tables: open,
        })
    }

    fn write_row(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        let neutralize_cells = self.neutralize;
        let Some(open) = self.tables.iter_mut().find(|t| t.table == table) else {
            return Ok(());
        };
        let columns = table.doc().columns;
        let record: Vec<Cow<'_, str>> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                // Numbers and booleans are never formulas; every text cell is treated alike.
                let text_column = columns
                    .get(i)
                    .is_none_or(|c| matches!(c.kind, ColumnKind::Text | ColumnKind::DateTime));
                if neutralize_cells && text_column {
                    neutralize(cell)
                } else {
                    Cow::Borrowed(cell.as_ref())
                }
            })
            .collect();
        let out = &mut open.out;
        let path = out.get_ref().path().to_path_buf();
        out.write_record(record.iter().map(|c| c.as_bytes()))
            .map_err(|e| csv_error(&path, e))?;
        open.rows += 1;
        Ok(())
    }
}

impl TableSink for CsvSink {
    fn row(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        self.write_row(table, cells)
    }

    fn finish(self: Box<Self>) -> Result<Vec<Finished>, StageError> {
        let mut finished = Vec::with_capacity(self.tables.len());
        for CsvTable { table, out, rows } in self.tables {
            let temp = out.get_ref().path().to_path_buf();
            let file = out
                .into_inner()
                .map_err(|e| io_error("flush", &temp, e.into_error()))?;
            finished.push(Finished {
                name: table.file_name(),
                temp,
                written: file.finish()?,
                rows,
                table: Some(table),
            });
        }
        Ok(finished)
    }
}
