//! The xlsx workbook, read back with calamine (values) and as raw XML (formatting).

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::*;
use newsmill_core::{BuildContext, Document, Stage};
use newsmill_export::{ExportConfig, ExportStage, Format};

fn config(formats: &[Format]) -> ExportConfig {
    ExportConfig {
        formats: formats.to_vec(),
        ..ExportConfig::default()
    }
}

fn read(path: &Path) -> Xlsx<std::io::BufReader<fs::File>> {
    open_workbook(path).expect("the workbook opens")
}

/// The sheet as rows of cells, header first.
fn sheet(book: &mut Xlsx<std::io::BufReader<fs::File>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).expect("sheet exists");
    range.rows().map(|r| r.to_vec()).collect()
}

fn cell<'a>(rows: &'a [Vec<Data>], row: usize, column: &str) -> &'a Data {
    let index = rows[0]
        .iter()
        .position(|h| h == &Data::String(column.to_string()))
        .unwrap_or_else(|| panic!("no column {column}"));
    &rows[row][index]
}

/// A file inside the xlsx zip, as text.
fn part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn workbook_has_a_typed_sheet_per_table() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = export(config(&[Format::Csv, Format::Xlsx]), tmp.path(), &corpus());
    let path = tmp.path().join("out/newsmill.xlsx");
    assert!(outputs.iter().any(|o| o.path.ends_with("newsmill.xlsx")));
    let mut book = read(&path);
    assert_eq!(
        book.sheet_names(),
        [
            "articles",
            "entities",
            "mentions",
            "quotes",
            "dates",
            "quantities",
            "clusters",
            "removed",
            "rejected"
        ]
    );

    // The same header as the CSV, and one row per CSV row.
    let csv = read_csv(&tmp.path().join("out/articles.csv"));
    let articles = sheet(&mut book, "articles");
    let header: Vec<Data> = csv[0].iter().map(|h| Data::String(h.clone())).collect();
    assert_eq!(articles[0], header);
    assert_eq!(articles.len(), csv.len());

    // Row 2 is the World Israel News piece: numbers as numbers, the date as a date, and
    // the hostile title as the text it is (no apostrophe added to the value).
    assert_eq!(
        cell(&articles, 2, "title"),
        &Data::String("=SUM(A1:A9) Russia gives clear statement of support".into())
    );
    let words: f64 = column(&csv, "words")[1].parse().unwrap();
    assert_eq!(cell(&articles, 2, "words"), &Data::Float(words));
    match cell(&articles, 2, "published") {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 43494.0, "2019-01-29 as an Excel serial"),
        other => panic!("published is not a date: {other:?}"),
    }
    assert_eq!(cell(&articles, 1, "published"), &Data::Empty);
    assert_eq!(cell(&articles, 1, "replaced_bytes"), &Data::Float(0.0));

    let clusters = sheet(&mut book, "clusters");
    let copy = clusters
        .iter()
        .position(|r| r.contains(&Data::String("voa-rescrape.txt".into())))
        .expect("the dropped copy is a cluster member");
    assert_eq!(cell(&clusters, copy, "similarity"), &Data::Float(0.8765));
    assert_eq!(
        cell(&clusters, copy, "is_representative"),
        &Data::Bool(false)
    );

    let quantities = sheet(&mut book, "quantities");
    assert_eq!(cell(&quantities, 1, "number"), &Data::Float(60.0));
    assert_eq!(cell(&quantities, 1, "normalized"), &Data::Float(96.56064));

    // Input rejections first, then documents, as in rejected.csv.
    let rejected = sheet(&mut book, "rejected");
    let reasons: Vec<&Data> = (1..rejected.len())
        .map(|r| cell(&rejected, r, "reason"))
        .collect();
    assert_eq!(
        reasons,
        [
            &Data::String("malformed-json".into()),
            &Data::String("empty".into()),
            &Data::String("stage-error".into()),
            &Data::String("dropped".into()),
        ]
    );

    // Formatting: a frozen, bold header row, set column widths, formula-like text marked as
    // text (quote prefix) on the cell that holds it.
    let first = part(&path, "xl/worksheets/sheet1.xml");
    assert!(
        first.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "{first}"
    );
    assert!(first.contains("<cols>") && first.contains("customWidth=\"1\""));
    assert!(first.contains("<autoFilter ref=\"A1:"));
    let styles = part(&path, "xl/styles.xml");
    assert!(styles.contains("<b/>"));
    assert!(styles.contains("quotePrefix=\"1\""));
    assert!(first.contains("=SUM(A1:A9)"));

    // No temporary files left beside the outputs.
    for entry in fs::read_dir(tmp.path().join("out")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "left {name}");
    }
}

#[test]
fn cells_over_the_excel_limit_are_cut_visibly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut long = jta();
    // A real article's text repeated past Excel's 32,767-character cell limit.
    while long.text.chars().count() <= 40_000 {
        long.text = format!("{}\n\n{}", long.text, jta().text);
    }
    let chars = long.text.chars().count();
    export(
        config(&[Format::Csv, Format::Xlsx]),
        tmp.path(),
        &[long.clone()],
    );
    let mut book = read(&tmp.path().join("out/newsmill.xlsx"));
    let articles = sheet(&mut book, "articles");
    let Data::String(text) = cell(&articles, 1, "text") else {
        panic!("text is not a string");
    };
    assert_eq!(text.chars().count(), 32_767);
    assert!(
        text.ends_with(&format!(
            " … [truncated: {chars} chars, full text in articles.csv]"
        )),
        "{}",
        &text[text.len() - 80..]
    );
    assert!(
        long.text
            .starts_with(text.split(" … [truncated").next().unwrap())
    );
    // The CSV keeps it whole.
    let csv = read_csv(&tmp.path().join("out/articles.csv"));
    assert_eq!(column(&csv, "text")[0], long.text);
}

#[test]
fn long_tables_continue_on_further_sheets() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = BuildContext {
        config_dir: tmp.path().to_path_buf(),
        ..BuildContext::default()
    };
    let mut stage = ExportStage::new(config(&[Format::Csv, Format::Xlsx]), &ctx).unwrap();
    // Three rows per sheet: the header and two data rows.
    stage.set_sheet_rows(3);
    let docs: Vec<Document> = corpus();
    for doc in &docs {
        stage.write(doc).unwrap();
    }
    finish(&mut stage, &run_info());
    let out = tmp.path().join("out");
    let mut book = read(&out.join("newsmill.xlsx"));
    let names = book.sheet_names();
    // Every table's sheets stay together, in table order.
    let articles_csv = read_csv(&out.join("articles.csv"));
    assert_eq!(articles_csv.len() - 1, 4, "four articles: two sheets");
    assert_eq!(&names[..3], ["articles", "articles (2)", "entities"]);
    let rejected_at = names.iter().position(|n| n == "rejected").unwrap();
    assert_eq!(names[rejected_at + 1], "rejected (2)");
    assert_eq!(names.len(), rejected_at + 2);

    // Each part has the header; together they hold every CSV row in order.
    for table in ["articles", "mentions", "rejected"] {
        let csv = read_csv(&out.join(format!("{table}.csv")));
        let mut rows: Vec<Vec<Data>> = Vec::new();
        for name in names
            .iter()
            .filter(|n| *n == table || n.starts_with(&format!("{table} (")))
        {
            let part = sheet(&mut book, name);
            assert!(part.len() <= 3, "{name} has {} rows", part.len());
            assert_eq!(part[0][0], Data::String(csv[0][0].clone()));
            rows.extend(part.into_iter().skip(1));
        }
        assert_eq!(rows.len(), csv.len() - 1, "{table}");
        let first_cells: Vec<Data> = rows.iter().map(|r| r[0].clone()).collect();
        let expected: Vec<Data> = csv[1..]
            .iter()
            .map(|r| Data::String(r[0].clone()))
            .collect();
        assert_eq!(first_cells, expected, "{table}");
    }
}

#[test]
fn workbook_alone_names_json_lines_for_the_full_text() {
    let tmp = tempfile::tempdir().unwrap();
    let mut long = jta();
    long.text = "Jerusalem. ".repeat(4_000);
    export(config(&[Format::Jsonl, Format::Xlsx]), tmp.path(), &[long]);
    let out = tmp.path().join("out");
    assert!(!out.join("articles.csv").exists());
    let mut book = read(&out.join("newsmill.xlsx"));
    let articles = sheet(&mut book, "articles");
    let Data::String(text) = cell(&articles, 1, "text") else {
        panic!("text is not a string");
    };
    assert!(text.ends_with("full text in articles.jsonl]"));
}
