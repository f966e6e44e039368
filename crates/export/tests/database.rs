//! The SQLite database, queried back.

mod common;

use std::fs;

use common::*;
use newsmill_export::{ExportConfig, Format};
use rusqlite::Connection;

fn sqlite_export(docs: &[newsmill_core::Document]) -> (tempfile::TempDir, Connection) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        formats: vec![Format::Csv, Format::Sqlite],
        ..ExportConfig::default()
    };
    let outputs = export(cfg, tmp.path(), docs);
    let path = tmp.path().join("out/newsmill.sqlite");
    let listed = outputs
        .iter()
        .find(|o| o.path.ends_with("newsmill.sqlite"))
        .expect("finish lists the database");
    assert_eq!(listed.bytes, fs::metadata(&path).unwrap().len());
    let conn = Connection::open(&path).unwrap();
    (tmp, conn)
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut statement = conn.prepare(sql).unwrap();
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn tables_join_on_article_ids() {
    let (tmp, conn) = sqlite_export(&corpus());
    // Who is quoted in which article, by title.
    let (title, speaker, quote): (String, String, String) = conn
        .query_row(
            "SELECT a.title, q.speaker, q.quote FROM quotes q JOIN articles a ON a.id = q.article_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(title.contains("Israel"), "{title}");
    assert_eq!(speaker, "Sergei Ryabkov");
    assert!(quote.starts_with("We in no way underestimate"));

    // Places per outlet-less article, counted through a join.
    let places = strings(
        &conn,
        "SELECT e.canonical FROM entities e JOIN articles a ON a.id = e.article_id \
         WHERE e.type = 'LOC' ORDER BY e.canonical",
    );
    assert_eq!(places, ["Moscow"]);

    // The duplicate cluster: the dropped copy is a member but not an article.
    let members = strings(
        &conn,
        "SELECT c.article_id || ':' || ifnull(a.id, 'not an article') FROM clusters c \
         LEFT JOIN articles a ON a.id = c.article_id WHERE c.kind = 'duplicate' ORDER BY 1",
    );
    assert_eq!(
        members,
        [
            "002_438689cf3929fe33.txt:002_438689cf3929fe33.txt",
            "voa-rescrape.txt:not an article"
        ]
    );

    // Typed columns: numbers are numbers, booleans 0/1, empty cells NULL.
    let (words_type, similarity, is_rep, url): (String, f64, i64, Option<String>) = conn
        .query_row(
            "SELECT typeof(a.words), c.similarity, c.is_representative, a.url FROM articles a \
             JOIN clusters c ON c.article_id = a.id WHERE c.kind = 'duplicate'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(words_type, "integer");
    assert_eq!(similarity, 1.0);
    assert_eq!(is_rep, 1);
    assert_eq!(url, None);
    let normalized: f64 = conn
        .query_row("SELECT normalized FROM quantities", [], |r| r.get(0))
        .unwrap();
    assert_eq!(normalized, 96.56064);

    // Same rows as the CSV tables, rejected in the same order.
    for table in [
        "articles", "entities", "mentions", "quotes", "dates", "clusters", "removed",
    ] {
        let csv_rows = read_csv(&tmp.path().join(format!("out/{table}.csv"))).len() as i64 - 1;
        let sql_rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(sql_rows, csv_rows, "{table}");
    }
    assert_eq!(
        strings(&conn, "SELECT reason FROM rejected ORDER BY rowid"),
        ["malformed-json", "empty", "stage-error", "dropped"]
    );
    // Text is stored as found: neutralising formulas is for spreadsheets only.
    assert_eq!(
        strings(
            &conn,
            "SELECT text FROM removed WHERE rule = 'phrase:social-follow'"
        ),
        ["@cmd|' /C calc'!A0 Follow us on Twitter"]
    );
}

#[test]
fn keys_and_indexes_are_declared_and_hold() {
    let (_tmp, conn) = sqlite_export(&corpus());
    let primary: i64 = conn
        .query_row(
            "SELECT pk FROM pragma_table_info('articles') WHERE name = 'id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(primary, 1);
    for table in [
        "entities",
        "mentions",
        "quotes",
        "dates",
        "quantities",
        "removed",
    ] {
        let target: String = conn
            .query_row(
                &format!("SELECT \"table\" FROM pragma_foreign_key_list('{table}')"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(target, "articles", "{table}");
        let indexes = strings(
            &conn,
            &format!("SELECT name FROM pragma_index_list('{table}')"),
        );
        assert!(
            indexes.contains(&format!("{table}_article_id")),
            "{table}: {indexes:?}"
        );
    }
    let clusters = strings(
        &conn,
        "SELECT name FROM pragma_index_list('clusters') ORDER BY name",
    );
    assert_eq!(
        clusters,
        [
            "clusters_article_id",
            "clusters_cluster",
            "clusters_representative"
        ]
    );
    let violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
}

#[test]
fn a_repeated_id_keeps_the_first_article() {
    let mut again = jta();
    again.seq = 9;
    again.title = Some("A later record with the same id".into());
    let (_tmp, conn) = sqlite_export(&[jta(), again]);
    assert_eq!(
        strings(&conn, "SELECT title FROM articles"),
        [jta().title.unwrap()]
    );
    let quantities: i64 = conn
        .query_row("SELECT count(*) FROM quantities", [], |r| r.get(0))
        .unwrap();
    assert_eq!(quantities, 1);
}
