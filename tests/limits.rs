//! Hostile input on the real binary. The `[input]` limits that protect a nightly run: a gzip
//! bomb stops at `max_decompressed_bytes`, an overlong line and a document with too many lines
//! are each one `rejected` row naming the limit, and every other input still becomes an
//! article. Content crafted against the outputs: formulas are neutralised, ids never become
//! file names, and an exec stage's program gets the text on stdin, never through a shell.

mod common;
use common::*;
use std::io::Write;

#[test]
fn limits_reject_bombs_long_lines_and_long_listings_and_the_run_goes_on() {
    let work = tempfile::tempdir().unwrap();
    let inputs = work.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let seed = std::fs::read_to_string(root().join("samples/004_66e42796693d4503.txt")).unwrap();
    let other = std::fs::read_to_string(root().join("samples/002_438689cf3929fe33.txt")).unwrap();

    // Good inputs: a seed article as a text file, and two records before a gzip bomb.
    std::fs::write(inputs.join("good.txt"), &seed).unwrap();
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for (id, text) in [("before-bomb-1", &seed), ("before-bomb-2", &other)] {
        let record = serde_json::json!({"id": id, "title": id, "text": text});
        writeln!(bomb, "{record}").unwrap();
    }
    // 50 MB of padding that compresses about a thousandfold.
    let padding = vec![b' '; 1024 * 1024];
    for _ in 0..50 {
        bomb.write_all(&padding).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    std::fs::write(inputs.join("bomb.jsonl.gz"), bomb).unwrap();
    // The seed article with its line breaks lost and repeated: one 40 kB line.
    let joined = seed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .repeat(20);
    std::fs::write(
        inputs.join("one-line.txt"),
        format!("One long line\n{joined}\n"),
    )
    .unwrap();
    // Every word on its own line: thousands of lines.
    let listing = seed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("\n")
        .repeat(5);
    std::fs::write(
        inputs.join("listing.txt"),
        format!("A listing\n{listing}\n"),
    )
    .unwrap();

    let pipeline = std::fs::read_to_string(root().join("pipeline.toml")).unwrap();
    let limits =
        "[input]\nmax_decompressed_bytes = 1048576\nmax_line_bytes = 16384\nmax_lines = 2000\n";
    let config = work.path().join("pipeline.toml");
    std::fs::write(&config, pipeline.replacen("[input]\n", limits, 1)).unwrap();

    let out_dir = work.path().join("out");
    let out = newsmill(
        work.path(),
        &[
            "run",
            "--config",
            &config.to_string_lossy(),
            "--out",
            &out_dir.to_string_lossy(),
            "inputs",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    let rejected = table(&out_dir, "rejected");
    let rows: Vec<(&str, &str, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["source"].as_str(),
                r["position"].as_str(),
                r["reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("inputs/bomb.jsonl.gz", "line 3", "decompressed-too-large"),
            ("inputs/listing.txt", "", "too-many-lines"),
            ("inputs/one-line.txt", "", "line-too-long"),
        ],
        "{rejected:?}"
    );
    let detail = |reason: &str| rows_where(&rejected, "reason", reason)[0]["detail"].clone();
    assert!(detail("decompressed-too-large").contains("raise [input] max_decompressed_bytes"));
    assert!(detail("too-many-lines").contains("more than max_lines (2000)"));
    assert!(detail("line-too-long").contains("text line 1 is"));
    assert!(detail("line-too-long").contains("raise [input] max_line_bytes"));

    let mut ids: Vec<String> = table(&out_dir, "articles")
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    ids.sort();
    assert_eq!(ids, ["before-bomb-1", "before-bomb-2", "good.txt"]);
}

#[test]
fn the_default_limits_accept_the_samples() {
    let (out_dir, out) = run_samples(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(table(out_dir.path(), "rejected").is_empty());
    assert_eq!(table(out_dir.path(), "articles").len(), 5);
}

#[test]
fn crafted_content_reaches_no_shell_no_file_name_and_no_formula() {
    let work = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(root().join("samples/001_e6fc3a51efc8f4de.txt")).unwrap();
    let text = format!(
        "$(touch pwned-subst) `touch pwned-tick`; touch pwned-semi | touch pwned-pipe\n{seed}"
    );
    let record = serde_json::json!({
        "id": "../../escaped",
        "title": "=HYPERLINK(\"http://example.com/x\",\"click\")",
        "site": "@SUM(1+1)",
        "url": "-2+3+cmd|' /C calc'!A0",
        "text": text,
    });
    std::fs::write(work.path().join("crafted.jsonl"), format!("{record}\n")).unwrap();
    // `cat` answers each document with itself: the text must arrive byte for byte, as data.
    let config = "[input]\npaths = [\"crafted.jsonl\"]\n\n[[stage]]\ntype = \"exec\"\ncommand = [\"cat\"]\n\n[[stage]]\ntype = \"export\"\ndir = \"out\"\nformats = [\"csv\", \"jsonl\", \"xlsx\"]\n";
    std::fs::write(work.path().join("pipeline.toml"), config).unwrap();
    let out = newsmill(work.path(), &["run", "--config", "pipeline.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let mut names: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["crafted.jsonl", "out", "pipeline.toml"],
        "nothing ran the text"
    );
    assert!(!work.path().join("../escaped").exists());
    for entry in std::fs::read_dir(work.path().join("out")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains("escaped"),
            "an output named after an id: {name}"
        );
    }

    let articles = table(&work.path().join("out"), "articles");
    assert_eq!(articles.len(), 1);
    let article = &articles[0];
    assert_eq!(article["id"], "../../escaped");
    assert_eq!(article["text"], text);
    assert_eq!(
        article["title"],
        "'=HYPERLINK(\"http://example.com/x\",\"click\")"
    );
    assert_eq!(article["site"], "'@SUM(1+1)");
    assert_eq!(article["url"], "'-2+3+cmd|' /C calc'!A0");
}
