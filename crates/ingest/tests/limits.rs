//! The limits that protect a nightly run: compression bombs, overlong lines and documents
//! with too many lines each become one rejection naming the limit, and the rest is read.

mod common;

use std::io::Write;

use common::{config, read_all};
use newsmill_ingest::{Format, InputConfig, InputFile, Record, list_inputs, read_from, read_input};

const SEED_003: &str = include_str!("../../../samples/003_3ccf4f1fb7630145.txt");
const SEED_004: &str = include_str!("../../../samples/004_66e42796693d4503.txt");

/// Two seed-article records followed by `padding` spaces: what a bomb appended to a real
/// file looks like once decompressed. (Zeros this close to the start would make the file
/// look binary and be rejected before any decompression work.)
fn records_then_padding(padding: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for (id, text) in [("a", SEED_003), ("b", SEED_004)] {
        let line = serde_json::json!({"id": id, "text": text});
        writeln!(data, "{line}").unwrap();
    }
    data.resize(data.len() + padding, b' ');
    data
}

#[test]
fn compression_bombs_stop_at_the_limit_and_keep_earlier_records() {
    let dir = tempfile::tempdir().unwrap();
    let data = records_then_padding(20 * 1024 * 1024);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data).unwrap();
    std::fs::write(dir.path().join("bomb.jsonl.gz"), gz.finish().unwrap()).unwrap();
    let zst = zstd::encode_all(&data[..], 19).unwrap();
    std::fs::write(dir.path().join("bomb.jsonl.zst"), zst).unwrap();
    for (name, codec) in [("bomb.jsonl.gz", "gzip"), ("bomb.jsonl.zst", "zstd")] {
        let cfg = InputConfig {
            max_decompressed_bytes: 1024 * 1024,
            ..config(&[name])
        };
        let (docs, rejections) = read_all(&cfg, dir.path());
        let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"], "{name}");
        assert_eq!(rejections.len(), 1, "{name}: {rejections:?}");
        let r = &rejections[0];
        assert_eq!(r.reason, "decompressed-too-large", "{r:?}");
        assert_eq!(r.source, name);
        assert_eq!(r.position, "line 3");
        assert!(r.detail.contains(codec), "{r:?}");
        assert!(
            r.detail.contains("raise [input] max_decompressed_bytes"),
            "{r:?}"
        );

        // Under the default limit the same file is read to its end.
        let (docs, rejections) = read_all(&config(&[name]), dir.path());
        assert_eq!(docs.len(), 2);
        assert_eq!(rejections.len(), 1);
        assert_eq!(rejections[0].reason, "too-large", "{rejections:?}");
    }
}

#[test]
fn a_file_that_ends_exactly_at_the_decompressed_limit_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let data = records_then_padding(0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    std::fs::write(dir.path().join("exact.jsonl.gz"), gz.finish().unwrap()).unwrap();
    let cfg = InputConfig {
        max_decompressed_bytes: data.len() as u64,
        ..config(&["exact.jsonl.gz"])
    };
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert_eq!((docs.len(), rejections.len()), (2, 0), "{rejections:?}");
}

#[test]
fn overlong_lines_reject_only_their_document() {
    let dir = tempfile::tempdir().unwrap();
    let longest = SEED_003.split('\n').map(str::len).max().unwrap();
    // A scraper that lost the line breaks: the whole article on one line.
    let joined = SEED_003.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.len() > longest);
    let mut data = String::new();
    for (id, text) in [
        ("kept", SEED_003),
        ("joined", joined.as_str()),
        ("kept2", SEED_004),
    ] {
        data.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": id, "title": id, "text": text})
        ));
    }
    std::fs::write(dir.path().join("records.jsonl"), data).unwrap();
    std::fs::write(
        dir.path().join("joined.txt"),
        format!("Headline\n{joined}\n"),
    )
    .unwrap();
    let cfg = InputConfig {
        max_line_bytes: longest.max(SEED_004.split('\n').map(str::len).max().unwrap()) as u64,
        ..config(&["records.jsonl", "joined.txt"])
    };
    let (docs, rejections) = read_all(&cfg, dir.path());
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["kept", "kept2"]);
    let rows: Vec<(&str, &str, &str)> = rejections
        .iter()
        .map(|r| (r.source.as_str(), r.position.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("records.jsonl", "line 2", "line-too-long"),
            ("joined.txt", "", "line-too-long")
        ]
    );
    assert!(
        rejections[0].detail.contains("text line 1 is"),
        "{:?}",
        rejections[0]
    );
    assert!(
        rejections[1]
            .detail
            .contains("raise [input] max_line_bytes")
    );
}

#[test]
fn documents_with_too_many_lines_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let lines = SEED_004.lines().count() as u64;
    // The same article with every word on its own line: a listing, not prose.
    let listing = format!(
        "Headline\n{}",
        SEED_004.split_whitespace().collect::<Vec<_>>().join("\n")
    );
    std::fs::write(dir.path().join("article.txt"), SEED_004).unwrap();
    std::fs::write(dir.path().join("listing.txt"), &listing).unwrap();
    let cfg = InputConfig {
        max_lines: lines,
        ..config(&["article.txt", "listing.txt"])
    };
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].source, "article.txt");
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    assert_eq!(rejections[0].source, "listing.txt");
    assert_eq!(rejections[0].reason, "too-many-lines");
    assert!(
        rejections[0]
            .detail
            .contains(&format!("more than max_lines ({lines})"))
    );
    assert!(rejections[0].detail.contains("raise [input] max_lines"));
}

#[test]
fn reading_from_bytes_matches_reading_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = records_then_padding(0);
    std::fs::write(dir.path().join("r.jsonl"), &data).unwrap();
    let cfg = config(&["r.jsonl"]);
    let (files, _) = list_inputs(&cfg, dir.path());
    let from_file: Vec<Record> = read_input(&files[0], &cfg).collect();
    let named = InputFile {
        path: "unused".into(),
        format: Format::Jsonl,
        ..files[0].clone()
    };
    let from_bytes: Vec<Record> =
        read_from(Box::new(std::io::Cursor::new(data)), &named, &cfg).collect();
    assert_eq!(from_file, from_bytes);
}

#[test]
fn deeply_nested_pages_are_read_whole_instead_of_by_readability() {
    // Found by feeding the HTML path nested markup: Readability's work grows with size times
    // depth, so 5,000 nested divs took minutes. Such a page is now read as its whole body.
    let paragraphs: String = SEED_003
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{p}</p>"))
        .collect();
    let depth = 2_000;
    let page = format!(
        "<html><head><title>Deep</title></head><body>{}{paragraphs}{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let started = std::time::Instant::now();
    let parsed = newsmill_ingest::parse_page(&page);
    // Every paragraph without markup characters of its own comes through.
    for p in SEED_003
        .split("\n\n")
        .filter(|p| !p.trim().is_empty() && !p.contains(['<', '&']))
    {
        let p = p.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(parsed.text.contains(&p), "{p}");
    }
    assert_eq!(parsed.title.as_deref(), Some("Deep"));
    // Generous even for a debug build on a busy machine; before the guard it was minutes.
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn pages_nested_past_ten_thousand_levels_are_rejected_before_parsing() {
    // html5ever's tree builder is quadratic in depth: such a page would stall the run.
    let dir = tempfile::tempdir().unwrap();
    let depth = 50_000;
    let deep = format!(
        "<html><body>{}<p>Text.</p>{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    std::fs::write(dir.path().join("deep.html"), deep).unwrap();
    // A long page whose list items and cells are never closed is not deep.
    let paragraphs: String = SEED_003
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{p}\n"))
        .collect();
    let open_items = "<li>item\n".repeat(20_000) + &"<td>cell\n".repeat(20_000);
    let page = format!(
        "<html><head><title>Flat</title><script>if (a<b) {{ x(\"<div>\"); }}</script></head><body><article>{paragraphs}</article><ul>{open_items}</ul></body></html>"
    );
    std::fs::write(dir.path().join("flat.html"), page).unwrap();

    let started = std::time::Instant::now();
    let (docs, rejections) = read_all(&config(&["."]), dir.path());
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    assert_eq!(rejections[0].reason, "too-deeply-nested");
    assert!(
        rejections[0].source.ends_with("deep.html") && rejections[0].detail.contains("10000"),
        "{:?}",
        rejections[0]
    );
    assert_eq!(docs.len(), 1);
    assert!(docs[0].source.ends_with("flat.html"));
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}
