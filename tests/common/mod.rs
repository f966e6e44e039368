//! Helpers for tests that run the real `newsmill` binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `newsmill ARGS` in `dir` with logs kept quiet unless the test fails.
pub fn newsmill(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_newsmill"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the newsmill binary runs")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub type Row = BTreeMap<String, String>;

/// Reads a CSV table written by newsmill into rows keyed by column name.
pub fn table(dir: &Path, name: &str) -> Vec<Row> {
    let path = dir.join(format!("{name}.csv"));
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let headers = reader.headers().expect("a header row").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a well-formed CSV row");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The rows of `rows` whose column `key` equals `value`.
pub fn rows_where<'a>(rows: &'a [Row], key: &str, value: &str) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| r.get(key).map(String::as_str) == Some(value))
        .collect()
}

/// Runs the default pipeline on the samples into a fresh directory and returns it.
pub fn run_samples(extra: &[&str]) -> (tempfile::TempDir, Output) {
    let out = tempfile::tempdir().expect("a temp dir");
    let out_arg = out.path().to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        "--config",
        "pipeline.toml",
        "--out",
        out_arg.as_str(),
    ];
    args.extend_from_slice(extra);
    let output = newsmill(&root(), &args);
    (out, output)
}
