//! `run.json`: the driver's account of the run plus what this export wrote.

use newsmill_core::{OutputFile, RunInfo};
use serde::{Serialize, Serializer};

use crate::tables::Table;

#[derive(Serialize)]
pub struct RunRecord<'a> {
    #[serde(flatten)]
    pub run: &'a RunInfo,
    /// Rows per written CSV table, in table order.
    pub tables: TableCounts,
    /// Every file written besides run.json, paths relative to the output directory.
    pub outputs: &'a [OutputFile],
}

pub struct TableCounts(pub Vec<(Table, u64)>);

impl Serialize for TableCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(table, rows)| (table.name(), rows)))
    }
}

/// Pretty-printed with a final newline, as people read it.
pub fn render(record: &RunRecord<'_>) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(record)?;
    bytes.push(b'\n');
    Ok(bytes)
}
