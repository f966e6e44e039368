//! Plugin stages: a program speaking JSON Lines runs as a stage through the real binary, and its
//! crashes, timeouts and malformed answers are handled as `on_error` says.

mod common;
use common::*;
use std::path::Path;

/// Writes a config that runs `command` as an exec stage between clean and export.
fn config(dir: &Path, exec: &str) -> std::path::PathBuf {
    let samples = root().join("samples");
    let text = format!(
        "[input]\npaths = [{samples:?}]\n\n[[stage]]\ntype = \"clean\"\n\n[[stage]]\ntype = \"exec\"\n{exec}\n\n[[stage]]\ntype = \"export\"\ndir = \"out\"\n"
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(dir: &Path) -> std::process::Output {
    newsmill(dir, &["run", "--config", "pipeline.toml"])
}

#[test]
fn the_example_python_stage_drops_short_articles_and_logs_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let script = root().join("examples/exec/reading_time.py");
    config(
        dir.path(),
        &format!(
            "command = [\"python3\", {:?}]\non_error = \"skip\"\nenv = {{ MIN_WORDS = \"420\" }}",
            script.to_string_lossy()
        ),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsmill"))
        .args(["run", "--config", "pipeline.toml"])
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    // Dropped articles are rejected inputs as far as the exit code goes.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("004_66e42796693d4503.txt:"),
        "the program's stderr is logged"
    );
    let out_dir = dir.path().join("out");
    let rejected = table(&out_dir, "rejected");
    let articles = table(&out_dir, "articles");
    assert_eq!(
        rejected.len() + articles.len(),
        5,
        "every input is an article or rejected"
    );
    assert!(!rejected.is_empty() && !articles.is_empty(), "{rejected:?}");
    for r in &rejected {
        assert_eq!(r["reason"], "dropped");
        assert!(r["detail"].contains("shorter than 420 words"), "{r:?}");
    }
    for a in &articles {
        assert!(a["text"].split_whitespace().count() >= 420);
    }
    // The program's own field reaches the JSON export.
    let jsonl = std::fs::read_to_string(out_dir.join("articles.jsonl")).unwrap();
    for line in jsonl.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let minutes = record["extra"]["reading_minutes"]
            .as_f64()
            .expect("reading_minutes in extra");
        assert!(minutes > 1.0, "{minutes}");
    }
}

const FLAKY: &str = r#"
import json, sys, time
for line in sys.stdin:
    doc = json.loads(line)
    text = doc["text"]
    if "Lavrov" in text and "MODE" == "crash":
        sys.exit(3)
    if "Lavrov" in text and "MODE" == "hang":
        time.sleep(30)
    if "Lavrov" in text and "MODE" == "garbage":
        print("this is not json", flush=True)
        continue
    print(json.dumps({"title": doc["title"].upper()}), flush=True)
"#;

fn flaky(dir: &Path, mode: &str, on_error: &str) -> std::process::Output {
    let script = dir.join("flaky.py");
    std::fs::write(&script, FLAKY.replace("MODE", mode)).unwrap();
    config(
        dir,
        &format!(
            "command = [\"python3\", \"flaky.py\"]\non_error = \"{on_error}\"\ntimeout_seconds = 2.0"
        ),
    );
    run(dir)
}

#[test]
fn a_crashing_program_is_restarted_and_skip_rejects_only_that_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = flaky(dir.path(), "crash", "skip");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out_dir = dir.path().join("out");
    let rejected = table(&out_dir, "rejected");
    let articles = table(&out_dir, "articles");
    // Two samples mention Lavrov; the other three go through a restarted program.
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert!(
        rejected.iter().all(|r| r["detail"].contains("exited")),
        "{rejected:?}"
    );
    assert_eq!(articles.len(), 3);
    for a in &articles {
        assert_eq!(
            a["title"],
            a["title"].to_uppercase(),
            "the program's answer was applied"
        );
    }
}

#[test]
fn a_hanging_program_times_out_and_keep_keeps_the_document_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out = flaky(dir.path(), "hang", "keep");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let articles = table(&dir.path().join("out"), "articles");
    assert_eq!(articles.len(), 5);
    let unchanged: Vec<_> = articles
        .iter()
        .filter(|a| a["title"] != a["title"].to_uppercase())
        .collect();
    assert_eq!(
        unchanged.len(),
        2,
        "the two timed-out documents keep their titles"
    );
}

#[test]
fn a_malformed_answer_with_fail_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = flaky(dir.path(), "garbage", "fail");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("malformed answer"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.path().join("out/articles.csv").exists(),
        "no tables from a stopped run"
    );
}

#[test]
fn a_missing_program_is_a_clear_error_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "command = [\"no-such-program-here\"]");
    let out = run(dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such-program-here"),
        "{}",
        stderr(&out)
    );
}
