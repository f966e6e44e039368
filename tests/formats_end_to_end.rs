//! HTML pages, JSON Lines and CSV with the user's own field names, through config and the binary.

mod common;
use common::*;

#[test]
fn html_jsonl_and_csv_inputs_become_articles_with_their_metadata() {
    let work = tempfile::tempdir().unwrap();
    let inputs = work.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(
        root().join("crates/ingest/tests/fixtures/news_page.html"),
        inputs.join("page.html"),
    )
    .unwrap();
    let seed = std::fs::read_to_string(root().join("samples/004_66e42796693d4503.txt")).unwrap();
    let (headline, body) = seed.split_once('\n').unwrap();
    let record = serde_json::json!({
        "guid": "jta-1", "headline": headline, "body": body,
        "link": "https://example.org/jta-1", "pubdate": "2018-07-24T08:00:00Z"
    });
    std::fs::write(inputs.join("feed.jsonl"), format!("{record}\n")).unwrap();
    let mut csv_file = csv::Writer::from_path(inputs.join("sheet.csv")).unwrap();
    csv_file
        .write_record(["guid", "headline", "body", "link", "pubdate"])
        .unwrap();
    csv_file
        .write_record([
            "csv-1",
            "Talks in Jerusalem",
            body,
            "https://example.org/csv-1",
            "2018-07-25",
        ])
        .unwrap();
    csv_file.flush().unwrap();
    std::fs::write(
        work.path().join("pipeline.toml"),
        "[input]\npaths = [\"inputs\"]\n\n[input.fields]\nid = \"guid\"\ntitle = \"headline\"\ntext = \"body\"\nurl = \"link\"\npublished = \"pubdate\"\n\n[[stage]]\ntype = \"clean\"\n\n[[stage]]\ntype = \"dedupe\"\n\n[[stage]]\ntype = \"extract\"\n\n[[stage]]\ntype = \"export\"\ndir = \"out\"\n",
    )
    .unwrap();
    let out = newsmill(work.path(), &["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out_dir = work.path().join("out");
    let articles = table(&out_dir, "articles");
    let ids: Vec<&str> = articles.iter().map(|a| a["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["jta-1", "page.html", "csv-1"],
        "sorted input order, ids from the records"
    );

    let page = &rows_where(&articles, "id", "page.html")[0];
    assert_eq!(
        page["title"],
        "Russia: Moscow never promised withdrawal of Iranian troops from Syria"
    );
    assert_eq!(page["authors"], "Dana Levi");
    assert_eq!(page["published"], "2017-11-14T18:32:00+00:00");
    assert!(page["text"].contains("If you look at who is the greatest danger"));
    assert!(!page["text"].contains("Subscribe today"));

    let jta = &rows_where(&articles, "id", "jta-1")[0];
    assert_eq!(jta["url"], "https://example.org/jta-1");
    assert_eq!(jta["published"], "2018-07-24T08:00:00Z");
    assert_eq!(jta["dateline"], "JERUSALEM");
    // "on Monday" resolves against the publication date (Tuesday 24 July 2018).
    let dates = table(&out_dir, "dates");
    let monday: Vec<_> = rows_where(&dates, "article_id", "jta-1")
        .into_iter()
        .filter(|d| d["text"].contains("Monday"))
        .collect();
    assert!(
        monday.iter().any(|d| d["value"] == "2018-07-23"),
        "{monday:?}"
    );

    // The CSV row carries the same story text as the JSON record: one duplicate cluster.
    let clusters = table(&out_dir, "clusters");
    let dup: Vec<_> = clusters
        .iter()
        .filter(|c| c["kind"] == "duplicate")
        .collect();
    assert_eq!(dup.len(), 2, "{clusters:?}");
    assert!(
        dup.iter().all(|c| c["representative"] == "jta-1"),
        "the earlier-published copy is kept"
    );
}
