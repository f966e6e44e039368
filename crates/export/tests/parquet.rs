//! Parquet files, read back with the parquet crate's own reader.
#![cfg(feature = "parquet")]

mod common;

use std::fs::File;

use common::*;
use newsmill_export::{ExportConfig, Format};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};

fn rows(path: &std::path::Path) -> (Vec<String>, Vec<Row>) {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let names = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (names, rows)
}

fn field<'a>(names: &[String], row: &'a Row, column: &str) -> &'a Field {
    let index = names.iter().position(|n| n == column).unwrap();
    row.get_column_iter().nth(index).unwrap().1
}

#[test]
fn every_table_is_a_typed_parquet_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        formats: vec![Format::Csv, Format::Parquet],
        ..ExportConfig::default()
    };
    let outputs = export(cfg, tmp.path(), &corpus());
    let out = tmp.path().join("out");
    for table in [
        "articles",
        "entities",
        "mentions",
        "quotes",
        "dates",
        "quantities",
        "clusters",
        "removed",
        "rejected",
    ] {
        let path = out.join(format!("{table}.parquet"));
        assert!(
            outputs
                .iter()
                .any(|o| o.path.ends_with(&format!("{table}.parquet")))
        );
        let csv = read_csv(&out.join(format!("{table}.csv")));
        let (names, rows) = rows(&path);
        assert_eq!(names, csv[0], "{table} columns");
        assert_eq!(rows.len(), csv.len() - 1, "{table} rows");
    }

    let (names, articles) = rows(&out.join("articles.parquet"));
    let win = &articles[1];
    // Stored as found: formula neutralising is for spreadsheets.
    assert_eq!(
        field(&names, win, "title"),
        &Field::Str("=SUM(A1:A9) Russia gives clear statement of support".into())
    );
    assert_eq!(
        field(&names, win, "published"),
        &Field::Str("2019-01-29".into())
    );
    assert!(matches!(field(&names, win, "words"), Field::Long(n) if *n > 100));
    assert_eq!(
        field(&names, win, "url"),
        &Field::Str("https://worldisraelnews.com/russia-gives-clear-statement".into())
    );
    assert_eq!(field(&names, &articles[0], "url"), &Field::Null);

    let (names, clusters) = rows(&out.join("clusters.parquet"));
    let copy = clusters
        .iter()
        .find(|r| field(&names, r, "article_id") == &Field::Str("voa-rescrape.txt".into()))
        .unwrap();
    assert_eq!(field(&names, copy, "similarity"), &Field::Double(0.8765));
    assert_eq!(
        field(&names, copy, "is_representative"),
        &Field::Bool(false)
    );
    assert_eq!(field(&names, copy, "shared_shingles"), &Field::Long(512));
}

#[test]
fn parquet_files_are_byte_identical_for_the_same_documents() {
    let cfg = || ExportConfig {
        formats: vec![Format::Parquet],
        ..ExportConfig::default()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    export(cfg(), a.path(), &corpus());
    export(cfg(), b.path(), &corpus());
    for table in ["articles", "clusters", "rejected"] {
        let name = format!("out/{table}.parquet");
        assert_eq!(
            std::fs::read(a.path().join(&name)).unwrap(),
            std::fs::read(b.path().join(&name)).unwrap(),
            "{name}"
        );
    }
}
