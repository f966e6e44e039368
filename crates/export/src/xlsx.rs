//! `newsmill.xlsx`: one workbook, a sheet per table, streamed in constant memory.
//!
//! Each sheet has a bold header row frozen in place, an autofilter and fixed column widths by
//! column kind (autofit would need every row in memory). Numbers and booleans are typed cells,
//! publication times are dates. Excel holds at most 32,767 characters in a cell and 1,048,576
//! rows in a sheet: longer texts are cut with a visible note, longer tables go on to sheets
//! named "articles (2)", "articles (3)", …

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use newsmill_core::StageError;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::cells::FORMULA_TRIGGERS;
use crate::files::{hash_file, temp_path};
use crate::rows::{RowOptions, header};
use crate::sink::{Finished, TableSink};
use crate::tables::{ColumnDoc, ColumnKind, Table};
use crate::values::{Value, iso_datetime, typed};

pub const XLSX_NAME: &str = "newsmill.xlsx";
/// Excel's row limit per worksheet, header row included.
pub const XLSX_SHEET_ROWS: u32 = 1_048_576;
/// Excel's limit of characters in one cell.
const CELL_CHARS: usize = 32_767;
/// A zip member over 4 GiB needs the ZIP64 extension. Sheets are estimated from the text
/// written plus a per-cell allowance for the XML around it; ZIP64 goes on only when needed,
/// as a few old readers lack it.
const ZIP64_ESTIMATE: u64 = 3 << 30;
const XML_PER_CELL: u64 = 40;

struct Sheet {
    table: Table,
    columns: Vec<&'static ColumnDoc>,
    /// Index of the current worksheet in the workbook, and which part of the table it holds.
    index: usize,
    part: u32,
    /// Rows written on the current worksheet, header included.
    rows: u32,
    total: u64,
    /// Estimated XML bytes of the current worksheet.
    xml_bytes: u64,
}

struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
    /// Excel's "quote prefix": the cell is text even if someone edits it and presses Enter.
    as_text: Format,
}

pub struct XlsxSink {
    workbook: Workbook,
    temp: PathBuf,
    sheets: Vec<Sheet>,
    formats: Formats,
    neutralize: bool,
    /// Whether the CSV tables, which hold the untruncated texts, are written too.
    csv: bool,
    sheet_rows: u32,
    /// (table, part) of every worksheet, in the order they were added.
    order: Vec<(Table, u32)>,
    zip64: bool,
}

fn xlsx_error(path: &Path, error: XlsxError) -> StageError {
    StageError::Other(format!("cannot write {}: {error}", path.display()))
}

impl XlsxSink {
    pub fn open(
        dir: &Path,
        tables: &[Table],
        options: RowOptions,
        csv: bool,
        sheet_rows: u32,
    ) -> Result<Self, StageError> {
        let temp = temp_path(dir, XLSX_NAME);
        let mut workbook = Workbook::new();
        // The sheets stream to temporary files; keep them on the output's disk, not in a
        // memory-backed /tmp.
        workbook
            .set_tempdir(dir)
            .map_err(|e| xlsx_error(&temp, e))?;
        // Zipping is most of the save: level 3 instead of 6 saved a third of the time for a
        // file 12% larger (20,000 sample-sized articles: 21.8 s / 107 MB against 32.0 s / 95 MB).
        workbook.set_zip_compression_level(3);
        // A fixed creation time (like the zip's own timestamps), so the same rows give the
        // same bytes run after run; run.json records when the run happened.
        let created = ExcelDateTime::from_ymd(1980, 1, 1).map_err(|e| xlsx_error(&temp, e))?;
        workbook.set_properties(
            &DocProperties::new()
                .set_title("newsmill tables")
                .set_author("newsmill")
                .set_creation_datetime(&created),
        );
        let mut sink = XlsxSink {
            workbook,
            temp,
            sheets: Vec::with_capacity(tables.len()),
            formats: Formats {
                header: Format::new().set_bold(),
                date: Format::new().set_num_format("yyyy-mm-dd"),
                datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
                as_text: Format::new().set_quote_prefix(),
            },
            neutralize: options.neutralize,
            csv,
            sheet_rows: sheet_rows.clamp(2, XLSX_SHEET_ROWS),
            order: Vec::new(),
            zip64: false,
        };
        for &table in tables {
            let names = header(table, options);
            let columns = table
                .doc()
                .columns
                .iter()
                .filter(|c| names.contains(&c.name))
                .collect();
            sink.sheets.push(Sheet {
                table,
                columns,
                index: 0,
                part: 0,
                rows: 0,
                total: 0,
                xml_bytes: 0,
            });
            let last = sink.sheets.len() - 1;
            sink.new_part(last)?;
        }
        Ok(sink)
    }

    /// Adds the next worksheet of sheet `at`'s table, with its header.
    fn new_part(&mut self, at: usize) -> Result<(), StageError> {
        let temp = self.temp.clone();
        let err = |e| xlsx_error(&temp, e);
        self.finish_part(at)?;
        let sheet = &mut self.sheets[at];
        sheet.part += 1;
        sheet.rows = 1;
        sheet.xml_bytes = 0;
        sheet.index = self.order.len();
        self.order.push((sheet.table, sheet.part));
        let name = match sheet.part {
            1 => sheet.table.name().to_string(),
            n => format!("{} ({n})", sheet.table.name()),
        };
        let worksheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(err)?;
        worksheet.set_name(name).map_err(err)?;
        for (col, column) in sheet.columns.iter().enumerate() {
            let col = col as u16;
            worksheet
                .set_column_width(col, width(column))
                .map_err(err)?;
            worksheet
                .write_string_with_format(0, col, column.name, &self.formats.header)
                .map_err(err)?;
        }
        worksheet.set_freeze_panes(1, 0).map_err(err)?;
        Ok(())
    }

    /// Sets the autofilter over the rows the current worksheet of sheet `at` got.
    fn finish_part(&mut self, at: usize) -> Result<(), StageError> {
        let sheet = &self.sheets[at];
        if sheet.part == 0 || sheet.columns.is_empty() {
            return Ok(());
        }
        let last_col = (sheet.columns.len() - 1) as u16;
        let last_row = sheet.rows.saturating_sub(1);
        let temp = self.temp.clone();
        self.workbook
            .worksheet_from_index(sheet.index)
            .and_then(|ws| ws.autofilter(0, 0, last_row, last_col).map(|_| ()))
            .map_err(|e| xlsx_error(&temp, e))
    }

    fn write_row(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        let Some(at) = self.sheets.iter().position(|s| s.table == table) else {
            return Ok(());
        };
        if self.sheets[at].rows >= self.sheet_rows {
            self.new_part(at)?;
        }
        let sheet = &mut self.sheets[at];
        let row = sheet.rows;
        sheet.rows += 1;
        sheet.total += 1;
        sheet.xml_bytes += cells
            .iter()
            .map(|c| c.len() as u64 + XML_PER_CELL)
            .sum::<u64>();
        if sheet.xml_bytes > ZIP64_ESTIMATE && !self.zip64 {
            self.zip64 = true;
            self.workbook.use_zip_large_file(true);
        }
        // The note on a truncated cell says where the full text is.
        let full_text_in = match self.csv {
            true => table.file_name(),
            false => super::sink::JSONL_NAME.to_string(),
        };
        let worksheet = self
            .workbook
            .worksheet_from_index(sheet.index)
            .map_err(|e| xlsx_error(&self.temp, e))?;
        for (col, (column, cell)) in sheet.columns.iter().zip(cells).enumerate() {
            write_cell(
                worksheet,
                row,
                col as u16,
                column,
                cell,
                &self.formats,
                self.neutralize,
                &full_text_in,
            )
            .map_err(|e| xlsx_error(&self.temp, e))?;
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn write_cell(
    worksheet: &mut Worksheet,
    row: u32,
    col: u16,
    column: &ColumnDoc,
    cell: &str,
    formats: &Formats,
    neutralize: bool,
    full_text_in: &str,
) -> Result<(), XlsxError> {
    if column.kind == ColumnKind::DateTime
        && let Some(when) = iso_datetime(cell).and_then(|d| excel_datetime(d).map(|x| (d, x)))
    {
        let format = match when.0.time {
            Some(_) => &formats.datetime,
            None => &formats.date,
        };
        worksheet.write_datetime_with_format(row, col, when.1, format)?;
        return Ok(());
    }
    match typed(column.kind, cell) {
        Value::Empty => {}
        Value::Integer(n) => {
            worksheet.write_number(row, col, n as f64)?;
        }
        Value::Decimal(x) => {
            worksheet.write_number(row, col, x)?;
        }
        Value::Bool(b) => {
            worksheet.write_boolean(row, col, b)?;
        }
        Value::Text(text) => {
            let text = fit_cell(text, full_text_in);
            // A string cell is never evaluated as it stands; the quote prefix keeps it text
            // when someone edits the cell too, as an apostrophe typed in Excel does.
            if neutralize && text.starts_with(FORMULA_TRIGGERS) {
                worksheet.write_string_with_format(row, col, text, &formats.as_text)?;
            } else {
                worksheet.write_string(row, col, text)?;
            }
        }
    }
    Ok(())
}

fn excel_datetime(d: crate::values::DateTime) -> Option<ExcelDateTime> {
    let date = ExcelDateTime::from_ymd(d.year, d.month, d.day).ok()?;
    match d.time {
        None => Some(date),
        Some((h, m, s)) => date.and_hms(u16::from(h), m, s).ok(),
    }
}

/// Cuts a text longer than Excel's cell limit, ending it with a note saying how long the
/// full text is and where to find it.
pub fn fit_cell<'a>(text: &'a str, full_text_in: &str) -> Cow<'a, str> {
    // Byte length bounds char count from above: most cells need no counting.
    if text.len() <= CELL_CHARS {
        return Cow::Borrowed(text);
    }
    let chars = text.chars().count();
    if chars <= CELL_CHARS {
        return Cow::Borrowed(text);
    }
    let note = format!(" … [truncated: {chars} chars, full text in {full_text_in}]");
    let keep = CELL_CHARS - note.chars().count();
    let cut = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}{note}", &text[..cut]))
}

/// Column widths in Excel's units (about one character each), by what the column holds.
fn width(column: &ColumnDoc) -> f64 {
    let by_content: f64 = match (column.kind, column.name) {
        (ColumnKind::Integer | ColumnKind::Decimal, _) => 10.0,
        (ColumnKind::Bool, _) => 8.0,
        (ColumnKind::DateTime, _) => 19.0,
        (_, "text" | "quote" | "passage" | "detail") => 80.0,
        (_, "title" | "byline" | "source" | "url") => 45.0,
        (_, "id" | "article_id" | "representative" | "cluster" | "story") => 30.0,
        (_, "type" | "language" | "resolution" | "kind" | "encoding") => 10.0,
        _ => 22.0,
    };
    by_content.max(column.name.len() as f64 + 3.0)
}

impl TableSink for XlsxSink {
    fn row(&mut self, table: Table, cells: &[Cow<'_, str>]) -> Result<(), StageError> {
        self.write_row(table, cells)
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Finished>, StageError> {
        for at in 0..self.sheets.len() {
            self.finish_part(at)?;
        }
        // Continuation sheets were added as tables outgrew a sheet; list each table's
        // sheets together, in table order.
        let order = std::mem::take(&mut self.order);
        let mut keyed: Vec<((Table, u32), rust_xlsxwriter::Worksheet)> = order
            .into_iter()
            .zip(std::mem::take(self.workbook.worksheets_mut()))
            .collect();
        keyed.sort_by_key(|(key, _)| *key);
        self.workbook
            .worksheets_mut()
            .extend(keyed.into_iter().map(|(_, ws)| ws));
        let temp = self.temp.clone();
        self.workbook
            .save(&temp)
            .map_err(|e| xlsx_error(&temp, e))?;
        let rows = self.sheets.iter().map(|s| s.total).sum();
        Ok(vec![Finished {
            name: XLSX_NAME.to_string(),
            written: hash_file(&temp)?,
            temp,
            rows,
            table: None,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_visibly_to_the_limit() {
        let text = "é".repeat(40_000);
        let cut = fit_cell(&text, "articles.csv");
        assert_eq!(cut.chars().count(), CELL_CHARS);
        assert!(cut.ends_with(" … [truncated: 40000 chars, full text in articles.csv]"));
        assert!(matches!(
            fit_cell("short", "articles.csv"),
            Cow::Borrowed("short")
        ));
        let exact = "a".repeat(CELL_CHARS);
        assert_eq!(fit_cell(&exact, "articles.csv").len(), CELL_CHARS);
    }
}
