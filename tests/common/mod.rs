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

/// The seed articles in samples/, as (file name, text), sorted by name.
pub fn sample_articles() -> Vec<(String, String)> {
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(root().join("samples"))
        .expect("samples/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("a sample"))
        })
        .collect();
    seeds.sort();
    seeds
}

/// The blank-line separated paragraphs of `text` with at least `min_words` words.
pub fn paragraphs(text: &str, min_words: usize) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| p.split_whitespace().count() >= min_words)
        .map(str::to_string)
        .collect()
}

/// Every file under `dir` (recursively), by its path relative to `dir`, with its bytes.
pub fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(base, &path, files);
            } else if let Ok(bytes) = std::fs::read(&path) {
                // A file may vanish between the listing and the read (a rename in flight).
                let name = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, bytes);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// Copies the directory tree `from` to `to` (which must not exist), keeping modification
/// times so that a copy looks to newsmill like the original.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy's directory");
    for entry in std::fs::read_dir(from).expect("list the directory to copy") {
        let entry = entry.expect("a directory entry");
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_tree(&source, &target);
        } else {
            std::fs::copy(&source, &target).expect("copy a file");
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .expect("an mtime");
            std::fs::File::options()
                .write(true)
                .open(&target)
                .and_then(|f| f.set_modified(modified))
                .expect("keep the mtime");
        }
    }
}

/// A pipeline.toml reading `input/` with the default stages (clean → dedupe → extract →
/// export to `out/` in `formats`), and `sections` (such as `[state]`) before the stages.
pub fn default_pipeline(sections: &str, formats: &[&str]) -> String {
    let formats: Vec<String> = formats.iter().map(|f| format!("{f:?}")).collect();
    format!(
        "[input]\npaths = [\"input\"]\n\n{sections}\n\n\
         [[stage]]\ntype = \"clean\"\n\n[[stage]]\ntype = \"dedupe\"\n\n\
         [[stage]]\ntype = \"extract\"\n\n\
         [[stage]]\ntype = \"export\"\ndir = \"out\"\nformats = [{}]\n",
        formats.join(", ")
    )
}
