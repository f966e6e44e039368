//! Readers on real seed articles and on damaged inputs written into temporary directories.

mod common;

use std::io::Write;
use std::path::Path;

use common::{config, read_all};
use newsmill_ingest::{Format, InputConfig, list_inputs};

const SEED_000: &str = include_str!("../../../samples/000_d3f30cc8e01184eb.txt");
const SEED_001: &str = include_str!("../../../samples/001_e6fc3a51efc8f4de.txt");
const SEED_003: &str = include_str!("../../../samples/003_3ccf4f1fb7630145.txt");
const NEWS_PAGE: &str = include_str!("fixtures/news_page.html");

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// JSON Lines records made from the seed articles, one per paragraph.
fn seed_jsonl(count: usize) -> String {
    let paragraphs: Vec<&str> = SEED_003
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .collect();
    (0..count)
        .map(|i| {
            let text = paragraphs[i % paragraphs.len()];
            format!(
                "{}\n",
                serde_json::json!({"id": i, "title": format!("Part {i}"), "text": text})
            )
        })
        .collect()
}

#[test]
fn seed_samples_are_read_in_order_with_titles_and_ids() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (docs, rejections) = read_all(&InputConfig::default(), &base);
    assert!(rejections.is_empty(), "{rejections:?}");
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "000_d3f30cc8e01184eb.txt",
            "001_e6fc3a51efc8f4de.txt",
            "002_438689cf3929fe33.txt",
            "003_3ccf4f1fb7630145.txt",
            "004_66e42796693d4503.txt"
        ]
    );
    for doc in &docs {
        let raw = std::fs::read_to_string(base.join(&doc.source)).unwrap();
        let first_line = raw.lines().find(|l| !l.trim().is_empty()).unwrap().trim();
        assert_eq!(doc.title.as_deref(), Some(first_line));
        assert!(raw.ends_with(&doc.text) && !doc.text.is_empty());
        assert_eq!(doc.source, format!("samples/{}", doc.id));
        assert_eq!(
            (doc.position.as_str(), doc.site.as_deref(), doc.seq),
            ("", None, 0)
        );
        assert_eq!(
            (
                doc.decoding.encoding.as_str(),
                doc.decoding.how.as_str(),
                doc.decoding.replaced
            ),
            ("UTF-8", "utf-8", 0)
        );
    }
    assert_eq!(docs[0].title.as_deref(), Some("update desk"));
    assert!(
        docs[0]
            .text
            .starts_with("\nIsrael’s security ‘top priority,’")
    );
    assert!(
        docs[1]
            .text
            .starts_with("By Batya Jerenberg, World Israel News\n")
    );
}

#[test]
fn directory_walk_is_sorted_skips_hidden_and_names_sites() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/b.txt", SEED_001.as_bytes());
    write(dir.path(), "in/a.txt", SEED_000.as_bytes());
    write(dir.path(), "in/ledger/z.txt", SEED_003.as_bytes());
    write(dir.path(), "in/a.txt.d/x.txt", SEED_003.as_bytes());
    write(dir.path(), "in/.hidden.txt", SEED_003.as_bytes());
    write(dir.path(), "in/.git/config.txt", SEED_003.as_bytes());
    // Naming a file twice (directly and through its directory) reads it once.
    let cfg = config(&["in/", "in/a.txt", "in/ledger/*.txt"]);
    let (files, rejections) = list_inputs(&cfg, dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    let listed: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.display.as_str(), f.relative.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("in/a.txt", "a.txt"),
            ("in/a.txt.d/x.txt", "a.txt.d/x.txt"),
            ("in/b.txt", "b.txt"),
            ("in/ledger/z.txt", "ledger/z.txt")
        ]
    );
    assert!(
        files
            .iter()
            .all(|f| f.format == Format::Text && f.bytes > 0)
    );
    let (docs, _) = read_all(&cfg, dir.path());
    let sites: Vec<Option<&str>> = docs.iter().map(|d| d.site.as_deref()).collect();
    assert_eq!(sites, [None, Some("a.txt.d"), None, Some("ledger")]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_end() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/site/a.txt", SEED_000.as_bytes());
    std::os::unix::fs::symlink(dir.path().join("in"), dir.path().join("in/site/loop")).unwrap();
    let (files, rejections) = list_inputs(&config(&["in"]), dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    assert_eq!(files.len(), 1);
}

#[test]
fn missing_paths_and_empty_globs_are_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let (files, rejections) = list_inputs(
        &config(&["nowhere", "data/*.jsonl", "bad/[glob"]),
        dir.path(),
    );
    assert!(files.is_empty());
    let got: Vec<(&str, &str)> = rejections
        .iter()
        .map(|r| (r.source.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("nowhere", "not-found"),
            ("data/*.jsonl", "not-found"),
            ("bad/[glob", "bad-glob")
        ]
    );
}

#[test]
fn glob_ids_are_relative_to_the_literal_prefix() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "dumps/2024/one.jsonl", seed_jsonl(2).as_bytes());
    write(
        dir.path(),
        "dumps/2025/two.jsonl",
        b"{\"text\": \"No id here.\"}\n",
    );
    let cfg = config(&["dumps/*/*.jsonl"]);
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    let got: Vec<(&str, &str, &str, Option<&str>)> = docs
        .iter()
        .map(|d| {
            (
                d.id.as_str(),
                d.source.as_str(),
                d.position.as_str(),
                d.site.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("0", "dumps/2024/one.jsonl", "line 1", Some("2024")),
            ("1", "dumps/2024/one.jsonl", "line 2", Some("2024")),
            (
                "2025/two.jsonl#1",
                "dumps/2025/two.jsonl",
                "line 1",
                Some("2025")
            ),
        ]
    );
}

#[test]
fn invalid_utf8_is_decoded_with_replacements() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = SEED_000.as_bytes().to_vec();
    bytes.extend_from_slice(b"\nA damaged line: \xff\xfe end \xe2\x80.\n");
    write(dir.path(), "damaged.txt", &bytes);
    let (docs, rejections) = read_all(&config(&["damaged.txt"]), dir.path());
    assert!(rejections.is_empty());
    assert_eq!(docs[0].decoding.encoding, "UTF-8");
    assert!(docs[0].decoding.replaced >= 2, "{:?}", docs[0].decoding);
    assert!(docs[0].text.contains("A damaged line: \u{fffd}"));
    assert!(docs[0].text.contains("Sergei Ryabkov"));
}

#[test]
fn windows_1252_file_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Café owners in Jerusalem say “business is back”\n\nThe café’s owner, René, said the résumé of the season was “better than we feared” — and that tourists had returned.\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    write(dir.path(), "legacy.txt", &bytes);
    let (docs, _) = read_all(&config(&["legacy.txt"]), dir.path());
    assert_eq!(docs[0].decoding.encoding, "windows-1252");
    assert_eq!(docs[0].decoding.replaced, 0);
    assert_eq!(
        docs[0].title.as_deref(),
        Some("Café owners in Jerusalem say “business is back”")
    );
    assert_eq!(
        docs[0].text,
        "\nThe café’s owner, René, said the résumé of the season was “better than we feared” — and that tourists had returned.\n"
    );
}

#[test]
fn utf16_with_bom_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0xff, 0xfe];
    for unit in SEED_001.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    write(dir.path(), "wide.txt", &bytes);
    let (docs, rejections) = read_all(&config(&["wide.txt"]), dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    assert_eq!(
        (
            docs[0].decoding.encoding.as_str(),
            docs[0].decoding.how.as_str()
        ),
        ("UTF-16LE", "bom")
    );
    assert_eq!(docs[0].title.as_deref(), SEED_001.lines().next());
}

#[test]
fn empty_binary_and_too_large_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/empty.txt", b"");
    write(dir.path(), "in/blank.txt", b" \n\r\n\t \n");
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..2000u32).map(|i| (i * 7 % 251) as u8));
    write(dir.path(), "in/photo.txt", &png);
    write(dir.path(), "in/ok.txt", SEED_003.as_bytes());
    // Only the headline survived the scrape: not an article (found by fuzzing).
    let headline = SEED_003.lines().next().unwrap();
    write(
        dir.path(),
        "in/headline.txt",
        format!("\n{headline}\n\n").as_bytes(),
    );
    let mut cfg = config(&["in"]);
    cfg.max_record_bytes = 4096;
    write(dir.path(), "in/big.txt", SEED_003.repeat(2).as_bytes());
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert_eq!(docs.len(), 1);
    let got: Vec<(&str, &str)> = rejections
        .iter()
        .map(|r| (r.source.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("in/big.txt", "too-large"),
            ("in/blank.txt", "empty"),
            ("in/empty.txt", "empty"),
            ("in/headline.txt", "missing-text"),
            ("in/photo.txt", "binary")
        ]
    );
    assert!(
        rejections[0].detail.contains("max_record_bytes (4096)"),
        "{}",
        rejections[0].detail
    );
}

#[test]
fn empty_and_binary_json_lines_files_are_one_rejection_each() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "blank.jsonl", b"\n \n\n");
    write(dir.path(), "empty.jsonl.gz", &gzip(b""));
    let noise: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    write(dir.path(), "noise.jsonl", &noise);
    let (docs, rejections) = read_all(&config(&["*.jsonl*"]), dir.path());
    assert!(docs.is_empty());
    let got: Vec<(&str, &str)> = rejections
        .iter()
        .map(|r| (r.source.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("blank.jsonl", "empty"),
            ("empty.jsonl.gz", "empty"),
            ("noise.jsonl", "binary")
        ]
    );
}

#[test]
fn malformed_json_line_is_rejected_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = seed_jsonl(4).lines().map(str::to_string).collect();
    lines.insert(2, r#"{"id": "broken", "text": "unterminated"#.to_string());
    lines.insert(3, String::new());
    lines.insert(
        4,
        r#"{"id": "no-text", "title": "Headline only"}"#.to_string(),
    );
    lines.insert(5, r#"["an", "array"]"#.to_string());
    write(dir.path(), "feed.jsonl", lines.join("\n").as_bytes());
    let (docs, rejections) = read_all(&config(&["feed.jsonl"]), dir.path());
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["0", "1", "2", "3"]);
    assert_eq!(docs[2].position, "line 7");
    let got: Vec<(&str, &str)> = rejections
        .iter()
        .map(|r| (r.position.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("line 3", "malformed-json"),
            ("line 5", "missing-text"),
            ("line 6", "malformed-json")
        ]
    );
    assert!(
        rejections[0]
            .detail
            .starts_with("feed.jsonl line 3: malformed JSON"),
        "{}",
        rejections[0].detail
    );
}

#[test]
fn custom_json_field_names_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let line = serde_json::json!({"doc_id": 4711, "body": SEED_001, "headline": "Russia backs Israel", "meta": {"link": "https://example.org/a"}, "outlet": "World Israel News", "date": "2019-01-29"});
    write(dir.path(), "custom.ndjson", format!("{line}\n").as_bytes());
    let mut cfg = config(&["custom.ndjson"]);
    cfg.fields.id = "doc_id".into();
    cfg.fields.text = "body".into();
    cfg.fields.title = "headline".into();
    cfg.fields.url = "meta.link".into();
    cfg.fields.site = "outlet".into();
    cfg.fields.published = "date".into();
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    let d = &docs[0];
    assert_eq!(
        (d.id.as_str(), d.title.as_deref(), d.url.as_deref()),
        (
            "4711",
            Some("Russia backs Israel"),
            Some("https://example.org/a")
        )
    );
    assert_eq!(
        (d.site.as_deref(), d.published.as_deref()),
        (Some("World Israel News"), Some("2019-01-29"))
    );
    assert_eq!(d.text, SEED_001);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_and_zstd_json_lines_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = seed_jsonl(50);
    write(dir.path(), "a.jsonl.gz", &gzip(data.as_bytes()));
    write(
        dir.path(),
        "b.jsonl.zst",
        &zstd::encode_all(data.as_bytes(), 3).unwrap(),
    );
    let (docs, rejections) = read_all(&config(&["a.jsonl.gz", "b.jsonl.zst"]), dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    assert_eq!(docs.len(), 100);
    assert_eq!(docs[49].id, "49");
    assert_eq!(docs[99].source, "b.jsonl.zst");
    assert_eq!(docs[0].text, docs[50].text);
}

#[test]
fn truncated_compressed_files_keep_earlier_records() {
    let dir = tempfile::tempdir().unwrap();
    let data = seed_jsonl(2000);
    let gz = gzip(data.as_bytes());
    let zst = zstd::encode_all(data.as_bytes(), 3).unwrap();
    write(dir.path(), "cut.jsonl.gz", &gz[..gz.len() / 2]);
    write(dir.path(), "cut.jsonl.zst", &zst[..zst.len() / 2]);
    for (name, reason) in [
        ("cut.jsonl.gz", "truncated-gzip"),
        ("cut.jsonl.zst", "truncated-zstd"),
    ] {
        let (docs, rejections) = read_all(&config(&[name]), dir.path());
        assert!(
            docs.len() > 100 && docs.len() < 2000,
            "{name}: {}",
            docs.len()
        );
        assert_eq!(rejections.len(), 1, "{rejections:?}");
        assert_eq!(rejections[0].reason, reason, "{rejections:?}");
        assert_eq!(rejections[0].position, format!("line {}", docs.len() + 1));
        // Every kept record is complete.
        let last = docs.last().unwrap();
        assert_eq!(last.id, (docs.len() - 1).to_string());
    }
}

#[test]
fn huge_json_line_is_rejected_without_reading_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(seed_jsonl(1).as_bytes()).unwrap();
    f.write_all(b"{\"id\": \"huge\", \"text\": \"").unwrap();
    let chunk = "Lavrov said the presence is legitimate. ".repeat(1024);
    while f.get_ref().metadata().unwrap().len() < 50_000_000 {
        f.write_all(chunk.as_bytes()).unwrap();
        f.flush().unwrap();
    }
    f.write_all(b"\"}\n").unwrap();
    f.write_all(seed_jsonl(2).lines().nth(1).unwrap().as_bytes())
        .unwrap();
    drop(f);
    let mut cfg = config(&["huge.jsonl"]);
    cfg.max_record_bytes = 1024 * 1024;
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert_eq!(
        docs.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["0", "1"]
    );
    assert_eq!(
        (
            rejections[0].position.as_str(),
            rejections[0].reason.as_str()
        ),
        ("line 2", "too-large")
    );

    // The same line as a plain text file is refused before it is read.
    std::fs::rename(&path, dir.path().join("huge.txt")).unwrap();
    let (docs, rejections) = read_all(
        &config(&["huge.txt"]).tap(|c| c.max_record_bytes = 1024 * 1024),
        dir.path(),
    );
    assert!(docs.is_empty());
    assert_eq!(rejections[0].reason, "too-large");
}

trait Tap: Sized {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
impl Tap for InputConfig {}

#[test]
fn csv_with_custom_columns_and_multiline_cells() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record(["Article ID", "Headline", "Body", "Link"])
        .unwrap();
    let body = SEED_003
        .split("\n\n")
        .take(3)
        .collect::<Vec<_>>()
        .join("\n\n");
    w.write_record([
        "r-1",
        "Moscow never promised withdrawal",
        &body,
        "https://example.org/r1",
    ])
    .unwrap();
    w.write_record(["r-2", "No body", "", ""]).unwrap();
    w.write_record(["", "Short row"]).unwrap();
    w.write_record([
        "r-4",
        "Second story",
        "Lavrov, who was quoted by RIA news agency, \"denied\" it.",
        "",
    ])
    .unwrap();
    write(dir.path(), "export.csv", &w.into_inner().unwrap());
    let mut cfg = config(&["export.csv"]);
    cfg.fields.id = "Article ID".into();
    cfg.fields.title = "headline".into();
    cfg.fields.text = "Body".into();
    cfg.fields.url = "Link".into();
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert_eq!(docs.len(), 2);
    assert_eq!(
        (docs[0].id.as_str(), docs[0].position.as_str()),
        ("r-1", "row 1")
    );
    assert_eq!(docs[0].text, body);
    assert_eq!(
        docs[0].title.as_deref(),
        Some("Moscow never promised withdrawal")
    );
    assert_eq!(docs[0].url.as_deref(), Some("https://example.org/r1"));
    assert_eq!(
        docs[1].text,
        "Lavrov, who was quoted by RIA news agency, \"denied\" it."
    );
    assert_eq!(docs[1].url, None);
    let got: Vec<(&str, &str)> = rejections
        .iter()
        .map(|r| (r.position.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(got, [("row 2", "missing-text"), ("row 3", "missing-text")]);

    // A file without the text column is one rejection that lists the columns it has.
    cfg.fields.text = "content".into();
    let (docs, rejections) = read_all(&cfg, dir.path());
    assert!(docs.is_empty());
    assert_eq!(rejections.len(), 1);
    assert!(
        rejections[0]
            .detail
            .contains("Article ID, Headline, Body, Link"),
        "{}",
        rejections[0].detail
    );
}

#[test]
fn csv_in_windows_1252_is_decoded_per_cell() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,title,text\n1,Café talks,\"René said “no” to the résumé, again.\"\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    write(dir.path(), "legacy.csv", &bytes);
    let (docs, _) = read_all(&config(&["legacy.csv"]), dir.path());
    assert_eq!(docs[0].text, "René said “no” to the résumé, again.");
    assert_eq!(docs[0].decoding.encoding, "windows-1252");
}

#[test]
fn html_page_yields_main_text_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pages/ledger/story.html", NEWS_PAGE.as_bytes());
    let (docs, rejections) = read_all(&config(&["pages"]), dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    let d = &docs[0];
    assert_eq!(d.id, "ledger/story.html");
    assert_eq!(
        d.title.as_deref(),
        Some("Russia: Moscow never promised withdrawal of Iranian troops from Syria")
    );
    assert_eq!(d.meta.byline.as_deref(), Some("Dana Levi"));
    assert_eq!(d.meta.authors, ["Dana Levi"]);
    assert_eq!(d.published.as_deref(), Some("2017-11-14T18:32:00+00:00"));
    assert_eq!(
        d.url.as_deref(),
        Some("https://ledger.example/world/russia-iran-syria-withdrawal")
    );
    assert_eq!(d.site.as_deref(), Some("The Daily Ledger"));
    assert_eq!(d.meta.language.as_deref(), Some("en"));
    assert_eq!(d.decoding.how, "declared");
    // Paragraphs of the story, separated by blank lines, entities decoded.
    let seed_paragraphs: Vec<&str> = SEED_003.split("\n\n").map(str::trim).collect();
    assert!(
        d.text
            .contains(&format!("{}\n\n{}", seed_paragraphs[1], seed_paragraphs[2])),
        "{}",
        d.text
    );
    assert!(
        d.text
            .contains("“If you look at who is the greatest danger, it’s just")
    );
    for chrome in [
        "Subscribe today",
        "Most read",
        "Ten things to know",
        "All rights reserved",
        "Cookie settings",
        "dataLayer",
    ] {
        assert!(!d.text.contains(chrome), "{chrome:?} left in: {}", d.text);
    }
}

#[test]
fn html_without_readable_content_falls_back_to_body_text() {
    let dir = tempfile::tempdir().unwrap();
    let page = "<html><head><title>Brief</title></head><body><nav>Home | World</nav><p>Lavrov said on Tuesday that the presence is legitimate.</p><footer>© Ledger</footer></body></html>";
    write(dir.path(), "brief.htm", page.as_bytes());
    let (docs, rejections) = read_all(&config(&["brief.htm"]), dir.path());
    assert!(rejections.is_empty(), "{rejections:?}");
    assert_eq!(docs[0].title.as_deref(), Some("Brief"));
    assert_eq!(
        docs[0].text,
        "Lavrov said on Tuesday that the presence is legitimate."
    );
}

#[test]
fn reading_is_deterministic() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let first = read_all(&InputConfig::default(), &base);
    let second = read_all(&InputConfig::default(), &base);
    assert_eq!(first, second);
}
