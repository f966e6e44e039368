//! Parquet (behind the `parquet` feature): one `<table>.parquet` file per table, for Spark,
//! DuckDB and pandas. Columns are typed like the SQLite tables (strings, INT64, DOUBLE,
//! BOOLEAN; publication times stay strings with their offset), every column is optional
//! (empty cells are nulls), and pages are Snappy-compressed, the common default of those tools.
//! Rows are buffered per table and flushed as a row group every [`GROUP_ROWS`] rows or
//! [`GROUP_BYTES`] bytes of text, so memory stays bounded.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use newsmill_core::StageError;
use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use crate::files::{HashingFile, temp_path};
use crate::rows::{RowOptions, header};
use crate::sink::{Finished, TableSink};
use crate::tables::{ColumnDoc, ColumnKind, Table};
use crate::values::{Value, typed};

const GROUP_ROWS: usize = 100_000;
const GROUP_BYTES: usize = 64 << 20;

pub fn file_name(table: Table) -> String {
    format!("{}.parquet", table.name())
}

fn parquet_error(path: &Path, error: parquet::errors::ParquetError) -> StageError {
    StageError::Other(format!("cannot write {}: {error}", path.display()))
}

/// The values of one column waiting for the next row group; nulls are only in `defined`.
enum Buffer {
    Text(Vec<ByteArray>),
    Integer(Vec<i64>),
    Decimal(Vec<f64>),
    Bool(Vec<bool>),
}

struct Column {
    kind: ColumnKind,
    buffer: Buffer,
    /// Definition level per row: 1 when the cell has a value, 0 when it is null.
    defined: Vec<i16>,
}

struct ParquetTable {
    table: Table,
    name: String,
    columns: Vec<Column>,
    writer: SerializedFileWriter<HashingFile>,
    buffered_rows: usize,
    buffered_bytes: usize,
    rows: u64,
}

pub struct ParquetSink {
    tables: Vec<ParquetTable>,
}

fn schema(table: Table, columns: &[&ColumnDoc]) -> parquet::errors::Result<Type> {
    let fields = columns
        .iter()
        .map(|c| {
            let (physical, logical) = match c.kind {
                ColumnKind::Text | ColumnKind::DateTime => {
                    (Physical::BYTE_ARRAY, Some(LogicalType::String))
                }
                ColumnKind::Integer => (Physical::INT64, None),
                ColumnKind::Decimal => (Physical::DOUBLE, None),
                ColumnKind::Bool => (Physical::BOOLEAN, None),
            };
            Type::primitive_type_builder(c.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    Type::group_type_builder(table.name())
        .with_fields(fields)
        .build()
}

impl ParquetSink {
    pub fn open(dir: &Path, tables: &[Table], options: RowOptions) -> Result<Self, StageError> {
        let properties = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("newsmill {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        let mut open = Vec::with_capacity(tables.len());
        for &table in tables {
            let name = file_name(table);
            let path = temp_path(dir, &name);
            let names = header(table, options);
            let docs: Vec<&ColumnDoc> = table
                .doc()
                .columns
                .iter()
                .filter(|c| names.contains(&c.name))
                .collect();
            let schema = schema(table, &docs).map_err(|e| parquet_error(&path, e))?;
            let file = HashingFile::create(path.clone())?;
            let writer = SerializedFileWriter::new(file, Arc::new(schema), properties.clone())
                .map_err(|e| parquet_error(&path, e))?;
            let columns = docs
                .iter()
                .map(|c| Column {
                    kind: c.kind,
                    buffer: match c.kind {
                        ColumnKind::Text | ColumnKind::DateTime => Buffer::Text(Vec::new()),
                        ColumnKind::Integer => Buffer::Integer(Vec::new()),
                        ColumnKind::Decimal => Buffer::Decimal(Vec::new()),
                        ColumnKind::Bool => Buffer::Bool(Vec::new()),
                    },
                    defined: Vec::new(),
                })
                .collect();
            open.push(ParquetTable {
                table,
                name,
                columns,
                writer,
                buffered_rows: 0,
                buffered_bytes: 0,
                rows: 0,
            });
        }
        Ok(ParquetSink { tables: open })
    }

    fn push(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        let Some(open) = self.tables.iter_mut().find(|t| t.table == table) else {
            return Ok(());
        };
        for (column, cell) in open.columns.iter_mut().zip(cells) {
            let value = typed(column.kind, cell);
            let stored = match (&mut column.buffer, value) {
                (Buffer::Text(values), Value::Text(text)) => {
                    open.buffered_bytes += text.len();
                    values.push(ByteArray::from(text.as_bytes().to_vec()));
                    true
                }
                (Buffer::Integer(values), Value::Integer(n)) => {
                    values.push(n);
                    true
                }
                (Buffer::Decimal(values), Value::Decimal(x)) => {
                    values.push(x);
                    true
                }
                (Buffer::Bool(values), Value::Bool(b)) => {
                    values.push(b);
                    true
                }
                // Empty, or (never for newsmill's own rows) a value of another kind: null.
                _ => false,
            };
            column.defined.push(i16::from(stored));
        }
        open.buffered_rows += 1;
        open.rows += 1;
        if open.buffered_rows >= GROUP_ROWS || open.buffered_bytes >= GROUP_BYTES {
            flush(open)?;
        }
        Ok(())
    }
}

/// Writes the buffered rows of `open` as one row group.
fn flush(open: &mut ParquetTable) -> Result<(), StageError> {
    if open.buffered_rows == 0 {
        return Ok(());
    }
    let path = open.writer.inner().path().to_path_buf();
    let err = |e| parquet_error(&path, e);
    let mut group = open.writer.next_row_group().map_err(err)?;
    let mut columns = open.columns.iter_mut();
    while let Some(mut writer) = group.next_column().map_err(err)? {
        let Some(column) = columns.next() else {
            return Err(StageError::Other(format!(
                "cannot write {}: more columns than buffered",
                path.display()
            )));
        };
        let defined = Some(column.defined.as_slice());
        match (writer.untyped(), &column.buffer) {
            (ColumnWriter::ByteArrayColumnWriter(w), Buffer::Text(v)) => {
                w.write_batch(v, defined, None).map_err(err)?;
            }
            (ColumnWriter::Int64ColumnWriter(w), Buffer::Integer(v)) => {
                w.write_batch(v, defined, None).map_err(err)?;
            }
            (ColumnWriter::DoubleColumnWriter(w), Buffer::Decimal(v)) => {
                w.write_batch(v, defined, None).map_err(err)?;
            }
            (ColumnWriter::BoolColumnWriter(w), Buffer::Bool(v)) => {
                w.write_batch(v, defined, None).map_err(err)?;
            }
            _ => {
                return Err(StageError::Other(format!(
                    "cannot write {}: a column's type does not match its schema",
                    path.display()
                )));
            }
        }
        writer.close().map_err(err)?;
        column.defined.clear();
        match &mut column.buffer {
            Buffer::Text(v) => v.clear(),
            Buffer::Integer(v) => v.clear(),
            Buffer::Decimal(v) => v.clear(),
            Buffer::Bool(v) => v.clear(),
        }
    }
    group.close().map_err(err)?;
    open.buffered_rows = 0;
    open.buffered_bytes = 0;
    Ok(())
}

impl TableSink for ParquetSink {
    fn row(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        self.push(table, cells)
    }

    fn finish(self: Box<Self>) -> Result<Vec<Finished>, StageError> {
        let mut finished = Vec::with_capacity(self.tables.len());
        for mut open in self.tables {
            flush(&mut open)?;
            let temp = open.writer.inner().path().to_path_buf();
            let file = open
                .writer
                .into_inner()
                .map_err(|e| parquet_error(&temp, e))?;
            finished.push(Finished {
                name: open.name,
                temp,
                written: file.finish()?,
                rows: open.rows,
                table: None,
            });
        }
        Ok(finished)
    }
}
