//! Bad input never stops a run: each file is decoded (with a count of replaced bytes) or listed
//! in `rejected` with its file and position, and everything else goes on.

mod common;
use common::*;
use std::io::Write;
use std::path::Path;

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn bad_inputs_are_decoded_or_rejected_and_the_run_goes_on() {
    let work = tempfile::tempdir().unwrap();
    let inputs = work.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let seed = std::fs::read_to_string(root().join("samples/004_66e42796693d4503.txt")).unwrap();

    // A good article, so the run has something to keep.
    write(&inputs, "good.txt", seed.as_bytes());
    // Invalid UTF-8 in the middle of an otherwise readable article.
    let mut broken =
        b"Broken bytes in Moscow\n\nThe ministry said \xff\xfe the talks went well.\n".to_vec();
    broken.extend_from_slice(seed.as_bytes());
    write(&inputs, "invalid-utf8.txt", &broken);
    // Windows-1252: curly quotes and an accented letter.
    let cp1252 = b"Caf\xe9 diplomacy in Tehran\n\n\x93We are working together,\x94 the envoy said of the caf\xe9 meeting in the capital, where officials talked for hours about the border.\n";
    write(&inputs, "cp1252.txt", cp1252);
    write(&inputs, "empty.txt", b"");
    write(
        &inputs,
        "binary.txt",
        &[0u8, 1, 2, 3, 0, 159, 146, 150, 0, 0, 7, 8].repeat(200),
    );
    // JSON Lines: a good record, a malformed line, another good record.
    let good = serde_json::json!({"id": "j1", "title": "Talks in Jerusalem", "text": seed});
    let good2 = serde_json::json!({"id": "j2", "title": "Talks again", "text": "Officials met again on Monday in Jerusalem to discuss the border."});
    write(
        &inputs,
        "records.jsonl",
        format!("{good}\n{{\"id\": \"broken\", \"text\": \n{good2}\n").as_bytes(),
    );
    // A gzip file cut in the middle.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..200 {
        let rec = serde_json::json!({"id": format!("g{i}"), "text": format!("Record {i} about the meeting in Moscow. {seed}")});
        writeln!(gz, "{rec}").unwrap();
    }
    let gz = gz.finish().unwrap();
    write(&inputs, "cut.jsonl.gz", &gz[..gz.len() / 2]);
    // A 50 MB single line.
    let mut huge = Vec::with_capacity(50 * 1024 * 1024 + 64);
    huge.extend_from_slice(b"{\"id\": \"huge\", \"text\": \"");
    huge.resize(50 * 1024 * 1024, b'a');
    huge.extend_from_slice(b"\"}\n");
    write(&inputs, "huge.jsonl", &huge);

    let out_dir = work.path().join("out");
    let out = newsmill(
        work.path(),
        &[
            "run",
            "--config",
            &root().join("pipeline.toml").to_string_lossy(),
            "--out",
            &out_dir.to_string_lossy(),
            "inputs",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "some inputs were rejected: {}",
        stderr(&out)
    );

    let rejected = table(&out_dir, "rejected");
    let reason_for = |file: &str| -> Vec<&Row> {
        rejected
            .iter()
            .filter(|r| r["source"].ends_with(file))
            .collect()
    };
    assert_eq!(reason_for("empty.txt")[0]["reason"], "empty");
    assert_eq!(reason_for("binary.txt")[0]["reason"], "binary");
    let malformed = reason_for("records.jsonl");
    assert_eq!(malformed.len(), 1, "{rejected:?}");
    assert_eq!(malformed[0]["position"], "line 2");
    let cut = reason_for("cut.jsonl.gz");
    assert_eq!(cut.len(), 1, "{rejected:?}");
    assert!(cut[0]["reason"].contains("truncated"), "{:?}", cut[0]);
    assert!(cut[0]["position"].starts_with("line "), "{:?}", cut[0]);
    let huge = reason_for("huge.jsonl");
    assert_eq!(huge.len(), 1);
    assert_eq!(huge[0]["position"], "line 1");

    let articles = table(&out_dir, "articles");
    let by_source = |file: &str| -> Vec<&Row> {
        articles
            .iter()
            .filter(|a| a["source"].ends_with(file))
            .collect()
    };
    assert_eq!(by_source("good.txt").len(), 1);
    let broken = by_source("invalid-utf8.txt");
    assert_eq!(broken.len(), 1);
    assert!(broken[0]["replaced_bytes"].parse::<u64>().unwrap() > 0);
    let cp = by_source("cp1252.txt");
    assert_eq!(cp.len(), 1);
    assert_eq!(cp[0]["encoding"].to_lowercase(), "windows-1252");
    assert!(cp[0]["title"].contains("Café"), "{:?}", cp[0]["title"]);
    assert!(
        cp[0]["text"].contains("“We are working together,”"),
        "{:?}",
        cp[0]["text"]
    );
    assert_eq!(
        by_source("records.jsonl").len(),
        2,
        "both good JSON lines kept"
    );
    let gz_kept = by_source("cut.jsonl.gz").len();
    assert!(
        gz_kept > 0 && gz_kept < 200,
        "records before the cut kept: {gz_kept}"
    );
}

#[test]
fn an_unwritable_output_directory_stops_the_run_with_exit_code_2() {
    let work = tempfile::tempdir().unwrap();
    let blocker = work.path().join("file-not-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let out = newsmill(
        &root(),
        &["run", "--out", &blocker.join("out").to_string_lossy()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("file-not-dir"), "{}", stderr(&out));
}

#[test]
fn repeated_ids_are_made_unique_in_input_order() {
    let work = tempfile::tempdir().unwrap();
    for dir in ["a", "b"] {
        std::fs::create_dir(work.path().join(dir)).unwrap();
        std::fs::copy(
            root().join("samples/004_66e42796693d4503.txt"),
            work.path().join(dir).join("story.txt"),
        )
        .unwrap();
    }
    let record = serde_json::json!({"id": "story.txt", "text": "Officials met again on Monday in Jerusalem to discuss the border crossing."});
    std::fs::write(work.path().join("c.jsonl"), format!("{record}\n")).unwrap();
    let out_dir = work.path().join("out");
    let out = newsmill(
        work.path(),
        &[
            "run",
            "--config",
            &root().join("pipeline.toml").to_string_lossy(),
            "--out",
            &out_dir.to_string_lossy(),
            "a",
            "b",
            "c.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids: Vec<String> = table(&out_dir, "articles")
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids, ["story.txt", "story.txt#2", "story.txt#3"]);
    // The two identical files are duplicates; the kept copy is the first by id.
    let clusters = table(&out_dir, "clusters");
    assert!(
        clusters
            .iter()
            .any(|c| c["article_id"] == "story.txt#2" && c["representative"] == "story.txt"),
        "{clusters:?}"
    );
}
