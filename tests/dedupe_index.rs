//! The dedupe index across scheduled runs of the real binary (runs killed at random points are
//! tested in crash_safety.rs).

mod common;
use common::*;

use std::fmt::Write as _;
use std::path::Path;

const CONFIG: &str = r#"
[input]
paths = ["input"]

[run]
# Killed runs leave their scratch files behind; keep them inside the test's directory.
work_dir = "work"

[state]
dir = "state"

[[stage]]
type = "dedupe"

[[stage]]
type = "export"
dir = "out"
formats = ["csv"]
"#;

fn seeds() -> Vec<(String, String)> {
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(root().join("samples"))
        .expect("samples/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("a sample"))
        })
        .collect();
    seeds.sort();
    seeds
}

/// A JSON Lines file of `n` articles: re-scrapes of the seeds (a footer line and a number
/// added, so no two are identical) among distinct filler articles.
fn write_batch(path: &Path, n: usize) {
    let seeds = seeds();
    let mut out = String::new();
    for i in 0..n {
        let text = if i % 10 == 0 {
            let (_, text) = &seeds[(i / 10) % seeds.len()];
            format!("{text}\n\nShare this article. Reader comment number {i}.")
        } else {
            let words: Vec<String> = (0..120).map(|w| format!("w{}x{}", i, w % 37)).collect();
            words.join(" ")
        };
        let record = serde_json::json!({"id": format!("b{i}"), "text": text});
        writeln!(out, "{record}").unwrap();
    }
    std::fs::write(path, out).expect("the batch is written");
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("pipeline.toml"), CONFIG).unwrap();
    let input = dir.path().join("input");
    std::fs::create_dir(&input).unwrap();
    for (name, text) in seeds() {
        std::fs::write(input.join(format!("{name}.txt")), text).unwrap();
    }
    dir
}

fn index_path(dir: &Path) -> std::path::PathBuf {
    dir.join("state/dedupe/index.bin")
}

#[test]
fn a_second_run_links_copies_to_the_first_runs_articles() {
    let dir = setup();
    let first = newsmill(dir.path(), &["run"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let committed = std::fs::read(index_path(dir.path())).expect("run 1 committed an index");

    // Run 2 reads a batch holding re-scrapes of the seeds (the seed files are gone from the
    // input directory; their articles stay in the state).
    std::fs::remove_dir_all(dir.path().join("input")).unwrap();
    std::fs::create_dir(dir.path().join("input")).unwrap();
    write_batch(&dir.path().join("input/batch.jsonl"), 2_000);
    // Copies of the seeds point at run 1's articles.
    let second = newsmill(dir.path(), &["run"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let articles = table(&dir.path().join("out"), "articles");
    let copy = rows_where(&articles, "id", "b0");
    assert_eq!(copy.len(), 1);
    assert_eq!(copy[0]["duplicate_of"], "000_d3f30cc8e01184eb.txt");
    // The clusters table names the earlier run the kept copy came in (by its start time).
    let clusters = table(&dir.path().join("out"), "clusters");
    let link = rows_where(&clusters, "article_id", "b0");
    assert_eq!(link.len(), 1);
    assert_eq!(link[0]["representative"], "000_d3f30cc8e01184eb.txt");
    let run_started = &link[0]["representative_run"];
    assert!(
        run_started.len() >= 20 && run_started.ends_with('Z'),
        "the representative's run should be an RFC 3339 start time: {run_started:?}"
    );
    assert_ne!(std::fs::read(index_path(dir.path())).unwrap(), committed);

    // A different hashing setting is refused before any work, naming the setting.
    let changed = CONFIG.replace("type = \"dedupe\"", "type = \"dedupe\"\nshingle_size = 3");
    std::fs::write(dir.path().join("pipeline.toml"), changed).unwrap();
    let refused = newsmill(dir.path(), &["run"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("shingle_size: index 2, config 3"),
        "{}",
        stderr(&refused)
    );
}

/// A changed input is read again and its documents replace the earlier ones: the new version
/// of an article must not be matched against the old version of itself, which is gone.
#[test]
fn a_changed_input_is_not_matched_against_its_own_earlier_version() {
    let dir = setup();
    let first = newsmill(dir.path(), &["run"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let seed = dir.path().join("input/000_d3f30cc8e01184eb.txt");
    let mut text = std::fs::read_to_string(&seed).unwrap();
    text.push_str("\n\nThis article was updated with a correction.\n");
    std::fs::write(&seed, text).unwrap();
    let second = newsmill(dir.path(), &["run"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let articles = table(&dir.path().join("out"), "articles");
    let updated = rows_where(&articles, "id", "000_d3f30cc8e01184eb.txt");
    assert_eq!(updated.len(), 1, "one version of the article");
    assert_eq!(updated[0]["duplicate_of"], "", "{:?}", updated[0]);
    assert!(
        table(&dir.path().join("out"), "clusters")
            .iter()
            .all(|r| r["article_id"] != "000_d3f30cc8e01184eb.txt" || r["kind"] != "duplicate")
    );
    // The index holds the new version once, not the old one beside it.
    let index = std::fs::read(index_path(dir.path())).unwrap();
    let name = b"000_d3f30cc8e01184eb.txt";
    let count = index.windows(name.len()).filter(|w| w == name).count();
    assert_eq!(count, 1, "entries named like the updated article");
}
