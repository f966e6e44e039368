//! `newsmill.sqlite`: the tables in one SQLite database, for `sqlite3`, DuckDB and pandas.
//!
//! `articles.id` is the primary key; the per-article tables reference it and are indexed on
//! `article_id` (indexes are built once the rows are in). `clusters` is indexed but has no foreign key: dropped duplicates are cluster
//! members without being articles. Everything goes in one transaction into a temporary file
//! that is renamed into place like every other output. Empty cells are NULL.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use newsmill_core::StageError;
use rusqlite::{Connection, ToSql, params_from_iter, types::ToSqlOutput, types::ValueRef};

use crate::files::{hash_file, io_error, temp_path};
use crate::rows::{RowOptions, header};
use crate::sink::{DocRows, Finished, TableSink};
use crate::tables::{ColumnDoc, ColumnKind, Table};
use crate::values::{Value, typed};

pub const SQLITE_NAME: &str = "newsmill.sqlite";

struct SqlTable {
    table: Table,
    columns: Vec<&'static ColumnDoc>,
    insert: String,
    rows: u64,
}

pub struct SqliteSink {
    /// `None` once closed.
    conn: Option<Connection>,
    temp: PathBuf,
    tables: Vec<SqlTable>,
    /// Ids already in `articles`: a repeated id (inputs may repeat record ids) keeps its first
    /// article and loses the rows of the later ones, which the key could not tell apart.
    repeated_ids: u64,
}

fn sql_error(path: &Path, error: rusqlite::Error) -> StageError {
    StageError::Other(format!("cannot write {}: {error}", path.display()))
}

/// Double-quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Integer | ColumnKind::Bool => "INTEGER",
        ColumnKind::Decimal => "REAL",
        // ISO 8601 text is SQLite's own date convention (its date functions read it).
        ColumnKind::Text | ColumnKind::DateTime => "TEXT",
    }
}

/// The `CREATE TABLE` of one table: typed columns and keys.
fn create_table(table: Table, columns: &[&ColumnDoc], with_articles: bool) -> String {
    let name = table.name();
    let mut defs: Vec<String> = columns
        .iter()
        .map(|c| {
            let mut def = format!("{} {}", ident(c.name), sql_type(c.kind));
            if table == Table::Articles && c.name == "id" {
                def.push_str(" PRIMARY KEY NOT NULL");
            } else if c.name == "article_id" && with_articles && table != Table::Clusters {
                def.push_str(" NOT NULL REFERENCES articles(id)");
            }
            def
        })
        .collect();
    if columns.is_empty() {
        defs.push("\"_empty\" TEXT".to_string());
    }
    format!("CREATE TABLE {} ({})", ident(name), defs.join(", "))
}

/// The indexes of one table, created once the rows are in (one sort instead of a B-tree
/// update per row).
fn create_indexes(table: Table, columns: &[&ColumnDoc]) -> String {
    let name = table.name();
    let mut statements = String::new();
    for column in ["article_id", "representative", "cluster"] {
        if columns.iter().any(|c| c.name == column) {
            statements.push_str(&format!(
                "CREATE INDEX {} ON {} ({});\n",
                ident(&format!("{name}_{column}")),
                ident(name),
                ident(column)
            ));
        }
    }
    statements
}

impl SqliteSink {
    pub fn open(dir: &Path, tables: &[Table], options: RowOptions) -> Result<Self, StageError> {
        let temp = temp_path(dir, SQLITE_NAME);
        // A leftover from a crashed run would otherwise be appended to.
        if temp.exists() {
            fs::remove_file(&temp).map_err(|e| io_error("remove", &temp, e))?;
        }
        let conn = Connection::open(&temp).map_err(|e| sql_error(&temp, e))?;
        let with_articles = tables.contains(&Table::Articles);
        let mut setup = String::from(
            // No journal and no syncing while loading: the file is private until renamed, a
            // failed run discards it, and `finish` syncs it once complete.
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON; BEGIN;",
        );
        let mut open = Vec::with_capacity(tables.len());
        for &table in tables {
            let names = header(table, options);
            let columns: Vec<&'static ColumnDoc> = table
                .doc()
                .columns
                .iter()
                .filter(|c| names.contains(&c.name))
                .collect();
            setup.push_str(&create_table(table, &columns, with_articles));
            setup.push_str(";\n");
            let insert = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                ident(table.name()),
                columns
                    .iter()
                    .map(|c| ident(c.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                vec!["?"; columns.len()].join(", ")
            );
            open.push(SqlTable {
                table,
                columns,
                insert,
                rows: 0,
            });
        }
        conn.execute_batch(&setup)
            .map_err(|e| sql_error(&temp, e))?;
        Ok(SqliteSink {
            conn: Some(conn),
            temp,
            tables: open,
            repeated_ids: 0,
        })
    }

    fn insert(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<bool, StageError> {
        let Some(conn) = &self.conn else {
            return Err(StageError::Other("the SQLite database is closed".into()));
        };
        let Some(open) = self.tables.iter_mut().find(|t| t.table == table) else {
            return Ok(true);
        };
        let values = open
            .columns
            .iter()
            .zip(cells)
            .map(|(c, cell)| SqlValue(typed(c.kind, cell)));
        let mut statement = conn
            .prepare_cached(&open.insert)
            .map_err(|e| sql_error(&self.temp, e))?;
        match statement.execute(params_from_iter(values)) {
            Ok(_) => {
                open.rows += 1;
                Ok(true)
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if table == Table::Articles
                    && e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                Ok(false)
            }
            Err(e) => Err(sql_error(&self.temp, e)),
        }
    }
}

struct SqlValue<'a>(Value<'a>);

impl ToSql for SqlValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Empty => ValueRef::Null,
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Integer(n) => ValueRef::Integer(n),
            Value::Decimal(x) => ValueRef::Real(x),
            Value::Bool(b) => ValueRef::Integer(i64::from(b)),
        }))
    }
}

impl TableSink for SqliteSink {
    fn document(&mut self, rows: &DocRows<'_>) -> Result<(), StageError> {
        for (table, cells) in rows {
            // `articles` comes first in table order, so a repeated id is known before its rows.
            if !self.insert(*table, cells)? {
                self.repeated_ids += 1;
                return Ok(());
            }
        }
        Ok(())
    }

    fn row(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        self.insert(table, cells).map(|_| ())
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Finished>, StageError> {
        let temp = self.temp.clone();
        if let Some(conn) = self.conn.take() {
            let indexes: String = self
                .tables
                .iter()
                .map(|t| create_indexes(t.table, &t.columns))
                .collect();
            conn.execute_batch(&format!("{indexes}COMMIT; PRAGMA optimize;"))
                .map_err(|e| sql_error(&temp, e))?;
            conn.close().map_err(|(_, e)| sql_error(&temp, e))?;
        }
        if self.repeated_ids > 0 {
            tracing::warn!(
                path = %temp.display(),
                articles = self.repeated_ids,
                "Left articles out of the SQLite database because an earlier article had the same id."
            );
        }
        let rows = self.tables.iter().map(|t| t.rows).sum();
        Ok(vec![Finished {
            name: SQLITE_NAME.to_string(),
            written: hash_file(&temp)?,
            temp,
            rows,
            table: None,
        }])
    }
}
