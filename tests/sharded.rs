//! Sharded runs of the real binary: N shards plus the merge write the same tables, byte for
//! byte, as one run; completion markers make re-runs skip finished work.

mod common;
use common::*;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

/// A corpus over several files: the seeds, edited re-scrapes of them in later files (so
/// near-duplicates cross shard boundaries), JSON Lines records whose ids repeat across files
/// (so ids must be made unique across shards), and a malformed line (a rejection).
fn corpus(dir: &Path) {
    let input = dir.join("input");
    std::fs::create_dir_all(&input).unwrap();
    let mut seeds = Vec::new();
    for entry in std::fs::read_dir(root().join("samples")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(input.join(path.file_name().unwrap()), &text).unwrap();
        seeds.push(text);
    }
    seeds.sort();
    for batch in 0..4 {
        let mut lines = String::new();
        for (k, seed) in seeds.iter().enumerate() {
            let paragraphs: Vec<&str> = seed.split('\n').filter(|l| !l.trim().is_empty()).collect();
            // Drop a different paragraph in each batch: a light edit of the same article.
            let kept: Vec<&str> = paragraphs
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != (batch + k) % paragraphs.len().max(1) + 1)
                .map(|(_, p)| *p)
                .collect();
            let record = serde_json::json!({"id": format!("wire-{k}"), "text": kept.join("\n\n")});
            writeln!(lines, "{record}").unwrap();
        }
        if batch == 2 {
            lines.push_str("{\"id\": \"broken\", \"text\": \n");
        }
        std::fs::write(input.join(format!("batch-{batch}.jsonl")), lines).unwrap();
    }
    let config = default_pipeline("[run]\nbatch_size = 7", &["csv", "jsonl", "xlsx", "sqlite"]);
    std::fs::write(dir.join("pipeline.toml"), config).unwrap();
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_newsmill"));
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env_remove("JOB_COMPLETION_INDEX");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

/// Runs every shard, then the merge, until the merge says the run is complete. Returns the
/// number of rounds.
fn sharded_run(dir: &Path, shards: usize) -> usize {
    for round in 1..=12 {
        for i in 0..shards {
            let o = run(dir, &["run", "--shard", &format!("{i}/{shards}")], &[]);
            assert_eq!(o.status.code(), Some(0), "shard {i}: {}", stderr(&o));
        }
        let merge = run(dir, &["merge"], &[]);
        assert!(
            matches!(merge.status.code(), Some(0 | 1)),
            "merge: {}",
            stderr(&merge)
        );
        if dir.join("shards/complete.json").exists() {
            return round;
        }
    }
    panic!("the sharded run did not complete in 12 rounds");
}

fn compare(single: &Path, sharded: &Path) -> usize {
    let mut compared = 0;
    for entry in std::fs::read_dir(single).unwrap() {
        let name = entry.unwrap().file_name();
        // run.json and report.html record timings; every table must match byte for byte.
        if name == "run.json" || name == "report.html" {
            continue;
        }
        let a = std::fs::read(single.join(&name)).unwrap();
        let b = std::fs::read(sharded.join(&name))
            .unwrap_or_else(|e| panic!("{name:?} missing from the sharded run: {e}"));
        assert!(
            a == b,
            "{name:?} differs between one run and the sharded run"
        );
        compared += 1;
    }
    compared
}

#[test]
fn shards_plus_merge_write_the_same_tables_as_one_run() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let single = run(dir.path(), &["run", "--out", "single"], &[]);
    assert_eq!(single.status.code(), Some(1), "{}", stderr(&single));
    // The corpus exercises what must cross shard boundaries.
    let clusters = table(&dir.path().join("single"), "clusters");
    assert!(
        clusters
            .iter()
            .any(|r| r["kind"] == "duplicate" && r["is_representative"] == "false"),
        "near-duplicates found"
    );
    let articles = table(&dir.path().join("single"), "articles");
    assert!(
        articles.iter().any(|r| r["id"] == "wire-0#2"),
        "ids made unique"
    );

    for shards in [2, 3] {
        let _ = std::fs::remove_dir_all(dir.path().join("shards"));
        let _ = std::fs::remove_dir_all(dir.path().join("out"));
        let rounds = sharded_run(dir.path(), shards);
        let compared = compare(&dir.path().join("single"), &dir.path().join("out"));
        eprintln!("{shards} shards: {rounds} rounds, {compared} files identical to one run.");
        assert!(compared >= 12, "compared {compared} files");
        let run_json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("out/run.json")).unwrap())
                .unwrap();
        assert_eq!(run_json["documents"], articles.len() as u64);
    }
}

#[test]
fn completion_markers_skip_finished_work_and_the_merge_waits_for_every_shard() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    // Shard 1 of 2, its index given by a Slurm array that counts from 1.
    let env = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "1")];
    let second = run(dir.path(), &["run", "--shards", "2"], &env);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(dir.path().join("shards/step-0/shard-0001.json").exists());
    // The merge names the shard it waits for and writes nothing.
    let early = run(dir.path(), &["merge"], &[]);
    assert_eq!(early.status.code(), Some(2));
    assert!(
        stderr(&early).contains("shards 0 have not finished"),
        "{}",
        stderr(&early)
    );
    assert!(!dir.path().join("shards/merge-0.json").exists());
    // Shard 0, as a Kubernetes Indexed Job pod.
    let first = run(
        dir.path(),
        &["run", "--shards", "2"],
        &[("JOB_COMPLETION_INDEX", "0")],
    );
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    // Running a shard again before the merge does nothing.
    let marker = dir.path().join("shards/step-0/shard-0000.json");
    let written = std::fs::metadata(&marker).unwrap().modified().unwrap();
    let again = run(dir.path(), &["run", "--shard", "0/2"], &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("Nothing was left"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::metadata(&marker).unwrap().modified().unwrap(),
        written
    );
    // A different shard count is refused.
    let wrong = run(dir.path(), &["run", "--shard", "0/3"], &[]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("not 3"), "{}", stderr(&wrong));
    // A step killed halfway leaves an unfinished directory that the next attempt replaces.
    let merge = run(dir.path(), &["merge"], &[]);
    assert_eq!(merge.status.code(), Some(0), "{}", stderr(&merge));
    std::fs::create_dir_all(dir.path().join("shards/step-1/shard-0000")).unwrap();
    std::fs::write(dir.path().join("shards/step-1/shard-0000/junk"), b"half").unwrap();
    let killed = dir.path().join("shards/step-1/shard-0001.partial-4242");
    std::fs::create_dir_all(&killed).unwrap();
    sharded_run(dir.path(), 2);
    assert!(
        !killed.exists(),
        "the killed attempt's directory is removed"
    );
    assert!(dir.path().join("out/articles.csv").exists());
    // Once complete, shards and merge say so and change nothing.
    let done = run(dir.path(), &["run", "--shard", "1/2"], &[]);
    assert_eq!(done.status.code(), Some(0));
    assert!(stderr(&done).contains("is complete"), "{}", stderr(&done));
}

/// A scheduler that starts a shard again while its first process still runs: the second one
/// stops at once instead of writing the same step.
#[test]
fn a_second_process_for_the_same_shard_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    // Hold the shard's lock the way its running process does.
    let locks = dir.path().join("shards/locks/shard-0000");
    std::fs::create_dir_all(&locks).unwrap();
    let holder = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(locks.join("newsmill.lock"))
        .unwrap();
    holder.try_lock().unwrap();
    let second = run(dir.path(), &["run", "--shard", "0/2"], &[]);
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("is in use by another run"),
        "{}",
        stderr(&second)
    );
    assert!(!dir.path().join("shards/step-0/shard-0000.json").exists());
    drop(holder);
    let third = run(dir.path(), &["run", "--shard", "0/2"], &[]);
    assert_eq!(third.status.code(), Some(0), "{}", stderr(&third));
    assert!(dir.path().join("shards/step-0/shard-0000.json").exists());
}
