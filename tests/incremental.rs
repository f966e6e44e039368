//! Scheduled runs on a `[state] dir`: each run reads only what is new or changed, keeps
//! cumulative tables in the export directory and this run's documents in `new/`, and a run with
//! nothing new leaves every output untouched.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

fn config() -> String {
    default_pipeline(
        "[run]\nwork_dir = \"work\"\n\n[state]\ndir = \"state\"",
        &["csv", "jsonl"],
    )
}

/// A pipeline directory whose input directory starts with the five seed articles.
struct Pipeline {
    dir: tempfile::TempDir,
}

impl Pipeline {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("pipeline.toml"), config()).unwrap();
        std::fs::create_dir(dir.path().join("input")).unwrap();
        let pipeline = Pipeline { dir };
        for (name, text) in sample_articles() {
            pipeline.write_input(&name, &text);
        }
        pipeline
    }

    fn input(&self, name: &str) -> PathBuf {
        self.dir.path().join("input").join(name)
    }

    fn write_input(&self, name: &str, text: &str) {
        std::fs::write(self.input(name), text).expect("write an input");
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn new_set(&self) -> PathBuf {
        self.out().join("new")
    }

    /// Runs the pipeline with info logs (some checks read them).
    fn run(&self) -> Output {
        Command::new(env!("CARGO_BIN_EXE_newsmill"))
            .args(["run"])
            .current_dir(self.dir.path())
            .env("RUST_LOG", "info")
            .output()
            .expect("the newsmill binary runs")
    }

    /// Runs the pipeline and insists it succeeded without rejections.
    fn run_ok(&self) -> Output {
        let out = self.run();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out
    }

    /// The `state` object of out/run.json.
    fn state_report(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.out().join("run.json")).expect("out/run.json");
        let run: serde_json::Value = serde_json::from_str(&text).expect("run.json is JSON");
        run.get("state")
            .cloned()
            .unwrap_or_else(|| panic!("run.json has no \"state\" object: {text}"))
    }

    fn sqlite(&self, sql: &str) -> Option<String> {
        let db = self.dir.path().join("state/state.sqlite");
        let out = Command::new("sqlite3")
            .arg("-readonly")
            .arg(&db)
            .arg(sql)
            .output()
            .ok()?;
        assert!(
            out.status.success(),
            "sqlite3 {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

fn ids(dir: &Path) -> Vec<String> {
    table(dir, "articles")
        .into_iter()
        .map(|r| r["id"].clone())
        .collect()
}

fn state(run: u64, new: u64, changed: u64, unchanged: u64, earlier: u64) -> serde_json::Value {
    serde_json::json!({
        "run": run,
        "new_inputs": new,
        "changed_inputs": changed,
        "unchanged_inputs": unchanged,
        "earlier_documents": earlier,
    })
}

/// The fields of `report` that `expected` names (so that later additions to it do not matter).
fn state_fields(report: &serde_json::Value, expected: &serde_json::Value) -> serde_json::Value {
    let keys = expected.as_object().unwrap().keys();
    keys.map(|k| (k.clone(), report.get(k).cloned().unwrap_or_default()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn assert_state(pipeline: &Pipeline, expected: serde_json::Value) {
    let report = pipeline.state_report();
    assert_eq!(state_fields(&report, &expected), expected, "{report}");
}

/// A JSON Lines batch: a re-scrape of the first seed (a share line and a comment added, as a
/// scraper that fetched the page again would see it) and an article made of the second and
/// third seeds' paragraphs taken alternately, as a round-up would quote them.
fn batch() -> String {
    let seeds = sample_articles();
    let rescrape = format!(
        "{}\n\nShare this article. Reader comment number 7.",
        seeds[0].1
    );
    let (second, third) = (paragraphs(&seeds[1].1, 12), paragraphs(&seeds[2].1, 12));
    let mut roundup = vec!["Russia, Iran and Israel: the week in Syria".to_string()];
    for (a, b) in second.iter().zip(&third) {
        roundup.push(if roundup.len() % 2 == 1 { a } else { b }.clone());
    }
    let records = [
        serde_json::json!({"id": "r1", "text": rescrape}),
        serde_json::json!({"id": "r2", "text": roundup.join("\n\n")}),
    ];
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    files_under(dir)
        .into_iter()
        .map(|(name, bytes)| {
            let modified = std::fs::metadata(dir.join(&name))
                .and_then(|m| m.modified())
                .expect("an mtime");
            (name, (bytes, modified))
        })
        .collect()
}

fn csv_and_jsonl(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") || n.ends_with(".jsonl"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_state_is_an_sqlite_database_with_its_tables() {
    let pipeline = Pipeline::new();
    pipeline.run_ok();
    let db = pipeline.dir.path().join("state/state.sqlite");
    assert!(db.is_file(), "no {}", db.display());
    let Some(tables) = pipeline.sqlite("SELECT name FROM sqlite_master WHERE type = 'table'")
    else {
        eprintln!("No sqlite3 program: the state database's tables are not inspected.");
        return;
    };
    for table in ["runs", "inputs", "documents", "rejections", "publish"] {
        assert!(tables.lines().any(|t| t == table), "no {table}: {tables}");
    }
    let count = |sql: &str| pipeline.sqlite(sql).unwrap();
    assert_eq!(count("SELECT count(*) FROM runs"), "1");
    assert_eq!(count("SELECT count(*) FROM inputs WHERE run = 1"), "5");
    assert_eq!(count("SELECT count(*) FROM documents WHERE run = 1"), "5");
    assert_eq!(count("SELECT count(*) FROM publish"), "0");

    pipeline.write_input("batch.jsonl", &batch());
    pipeline.run_ok();
    assert_eq!(count("SELECT count(*) FROM runs"), "2");
    assert_eq!(count("SELECT count(*) FROM inputs"), "6");
    assert_eq!(count("SELECT count(*) FROM documents WHERE run = 2"), "2");
    let path = count("SELECT path FROM inputs WHERE run = 2");
    assert!(path.ends_with("batch.jsonl"), "{path}");
    assert_eq!(
        count("SELECT id FROM documents WHERE run = 2 ORDER BY seq"),
        "r1\nr2"
    );
    assert_eq!(count("SELECT count(*) FROM publish"), "0");
}

#[test]
fn every_run_writes_cumulative_tables_and_the_new_set() {
    let pipeline = Pipeline::new();
    pipeline.run_ok();
    let names = csv_and_jsonl(&pipeline.out());
    assert!(names.contains(&"articles.csv".to_string()), "{names:?}");
    assert!(names.contains(&"articles.jsonl".to_string()), "{names:?}");
    assert_eq!(csv_and_jsonl(&pipeline.new_set()), names);
    // In the first run everything is new.
    for name in &names {
        assert_eq!(
            std::fs::read(pipeline.new_set().join(name)).unwrap(),
            std::fs::read(pipeline.out().join(name)).unwrap(),
            "{name} differs between out/ and out/new/ in the first run"
        );
    }

    pipeline.write_input("batch.jsonl", &batch());
    pipeline.run_ok();
    assert_eq!(csv_and_jsonl(&pipeline.out()), names);
    assert_eq!(csv_and_jsonl(&pipeline.new_set()), names);
    assert_eq!(ids(&pipeline.new_set()), ["r1", "r2"]);
    assert_eq!(ids(&pipeline.out()).len(), 7);
    let jsonl = std::fs::read_to_string(pipeline.new_set().join("articles.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 2, "{jsonl}");
}

#[test]
fn run_json_reports_the_runs_place_in_the_state() {
    let pipeline = Pipeline::new();
    pipeline.run_ok();
    assert_state(&pipeline, state(1, 5, 0, 0, 0));
    pipeline.write_input("batch.jsonl", &batch());
    pipeline.run_ok();
    assert_state(&pipeline, state(2, 1, 0, 5, 5));
}

#[test]
fn a_run_with_nothing_new_does_no_work_and_leaves_the_outputs_alone() {
    let pipeline = Pipeline::new();
    pipeline.run_ok();
    let before = snapshot(&pipeline.out());
    assert!(before.contains_key("run.json"), "{:?}", before.keys());

    std::thread::sleep(Duration::from_millis(50));
    let again = pipeline.run_ok();
    assert!(
        stderr(&again).contains("Nothing new since run"),
        "{}",
        stderr(&again)
    );
    assert!(snapshot(&pipeline.out()) == before, "out/ changed");

    // A file touched (new modification time, same bytes) is still unchanged.
    let touched = pipeline.input("002_438689cf3929fe33.txt");
    std::fs::File::options()
        .write(true)
        .open(&touched)
        .and_then(|f| f.set_modified(SystemTime::now() + Duration::from_secs(3600)))
        .unwrap();
    let after_touch = pipeline.run_ok();
    assert!(
        stderr(&after_touch).contains("Nothing new since run"),
        "{}",
        stderr(&after_touch)
    );
    assert!(snapshot(&pipeline.out()) == before, "out/ changed");

    // With a new file beside it, the touched one counts among the unchanged.
    pipeline.write_input("batch.jsonl", &batch());
    pipeline.run_ok();
    assert_state(&pipeline, state(2, 1, 0, 5, 5));
}

#[test]
fn a_new_input_is_processed_alone_and_its_copies_link_to_earlier_articles() {
    let pipeline = Pipeline::new();
    pipeline.run_ok();
    let first_ids = ids(&pipeline.out());
    let first_articles = table(&pipeline.out(), "articles");

    pipeline.write_input("batch.jsonl", &batch());
    pipeline.run_ok();
    let new = table(&pipeline.new_set(), "articles");
    assert_eq!(ids(&pipeline.new_set()), ["r1", "r2"]);
    let all = table(&pipeline.out(), "articles");
    let expected: Vec<String> = first_ids
        .iter()
        .cloned()
        .chain(["r1".into(), "r2".into()])
        .collect();
    assert_eq!(ids(&pipeline.out()), expected);
    // Earlier articles are repeated as they were, this run's as the new set has them.
    assert_eq!(&all[..5], &first_articles[..]);
    assert_eq!(&all[5..], &new[..]);
    assert_eq!(
        rows_where(&all, "id", "r1")[0]["duplicate_of"],
        "000_d3f30cc8e01184eb.txt"
    );

    // A third run adds its articles after both earlier runs', which stay as they were.
    let seed = &sample_articles()[3];
    let later =
        serde_json::json!({"id": "s1", "text": format!("{}\n\nShare this article.", seed.1)});
    pipeline.write_input("later.jsonl", &format!("{later}\n"));
    pipeline.run_ok();
    assert_state(&pipeline, state(3, 1, 0, 6, 7));
    assert_eq!(ids(&pipeline.new_set()), ["s1"]);
    let third = table(&pipeline.out(), "articles");
    assert_eq!(&third[..7], &all[..]);
    assert_eq!(ids(&pipeline.out())[7..], ["s1"]);
    assert_eq!(rows_where(&third, "id", "s1")[0]["duplicate_of"], seed.0);
}

#[test]
fn a_changed_input_replaces_its_earlier_documents() {
    let pipeline = Pipeline::new();
    pipeline.run_ok();
    let first_ids = ids(&pipeline.out());
    let name = "002_438689cf3929fe33.txt";
    let first_text = rows_where(&table(&pipeline.out(), "articles"), "id", name)[0]["text"].clone();

    // The page was edited: its longest paragraph that survived cleaning was cut.
    let original = std::fs::read_to_string(pipeline.input(name)).unwrap();
    let cut = paragraphs(&original, 12)
        .into_iter()
        .filter(|p| first_text.contains(p.as_str()))
        .max_by_key(|p| p.len())
        .expect("a paragraph of the seed in its cleaned text");
    let shorter = original.replace(&format!("{cut}\n\n"), "");
    assert_ne!(shorter, original, "the paragraph was not cut");
    pipeline.write_input(name, &shorter);
    pipeline.run_ok();
    assert_state(&pipeline, state(2, 0, 1, 4, 4));

    let expected: Vec<String> = first_ids
        .iter()
        .filter(|id| *id != name)
        .cloned()
        .chain([name.to_string()])
        .collect();
    assert_eq!(ids(&pipeline.out()), expected);
    assert_eq!(ids(&pipeline.new_set()), [name]);
    let all = table(&pipeline.out(), "articles");
    let edited = rows_where(&all, "id", name)[0];
    assert!(
        !edited["text"].contains(cut.as_str()),
        "the cut paragraph is still there"
    );
    // Its earlier version is gone, so nothing may name it as the kept copy.
    assert_ne!(
        edited["duplicate_of"], name,
        "the edited article is a copy of itself"
    );
    // Rows of the other tables go with their article.
    for table_name in ["removed", "mentions"] {
        let cumulative = table(&pipeline.out(), table_name);
        let fresh = table(&pipeline.new_set(), table_name);
        assert_eq!(
            rows_where(&cumulative, "article_id", name),
            rows_where(&fresh, "article_id", name),
            "{table_name}.csv keeps rows of the earlier version"
        );
    }
}

#[test]
fn a_vanished_input_keeps_its_articles() {
    let pipeline = Pipeline::new();
    pipeline.run_ok();
    let name = "004_66e42796693d4503.txt";
    let first = table(&pipeline.out(), "articles");
    let row = rows_where(&first, "id", name)[0].clone();

    std::fs::remove_file(pipeline.input(name)).unwrap();
    pipeline.write_input("batch.jsonl", &batch());
    pipeline.run_ok();
    assert_state(&pipeline, state(2, 1, 0, 4, 5));
    let all = table(&pipeline.out(), "articles");
    assert_eq!(rows_where(&all, "id", name), [&row]);
    assert_eq!(ids(&pipeline.new_set()), ["r1", "r2"]);
}

#[test]
fn rejections_of_unchanged_inputs_stay_in_the_cumulative_table() {
    let pipeline = Pipeline::new();
    let seed = &sample_articles()[4].1;
    let good = serde_json::json!({"id": "j1", "text": seed});
    pipeline.write_input(
        "records.jsonl",
        &format!("{good}\n{{\"id\": \"broken\", \"text\": \n"),
    );
    let first = pipeline.run();
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let rejected = table(&pipeline.out(), "rejected");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(
        rejected[0]["source"].ends_with("records.jsonl"),
        "{rejected:?}"
    );

    pipeline.write_input("batch.jsonl", &batch());
    let second = pipeline.run();
    assert!(
        matches!(second.status.code(), Some(0 | 1)),
        "{}",
        stderr(&second)
    );
    assert_eq!(table(&pipeline.out(), "rejected"), rejected);
    assert_eq!(table(&pipeline.new_set(), "rejected"), []);
    assert_state(&pipeline, state(2, 1, 0, 6, 6));
}

/// Articles of one site, each ending with the site's own footer line, as JSON Lines.
fn site_batch(first: usize, count: usize) -> String {
    const FOOTER: &str = "Example Daily | Springfield edition | All the news";
    let paragraphs: Vec<String> = sample_articles()
        .iter()
        .flat_map(|(_, text)| paragraphs(text, 12))
        .collect();
    let mut out = String::new();
    for k in first..first + count {
        let body: Vec<&str> = (0..3)
            .map(|j| paragraphs[(k * 3 + j) % paragraphs.len()].as_str())
            .collect();
        let record = serde_json::json!({
            "id": format!("daily-{k}"),
            "url": format!("https://www.example-daily.org/story-{k}"),
            "text": format!("{}\n\n{FOOTER}", body.join("\n\n")),
        });
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

fn site_repeats(dir: &Path, id: &str) -> usize {
    table(dir, "removed")
        .iter()
        .filter(|r| r["article_id"] == id && r["rule"] == "site-repeat")
        .count()
}

/// A nightly run sees one article of a site: the site's repeated lines, learned by earlier
/// runs, are still removed from it.
#[test]
fn lines_a_site_repeats_are_learned_once_and_removed_in_later_runs() {
    let pipeline = Pipeline::new();
    pipeline.write_input("daily-1.jsonl", &site_batch(0, 8));
    pipeline.run_ok();
    assert_eq!(
        site_repeats(&pipeline.out(), "daily-0"),
        1,
        "learned in run 1"
    );

    pipeline.write_input("daily-2.jsonl", &site_batch(8, 1));
    pipeline.run_ok();
    assert_eq!(
        site_repeats(&pipeline.new_set(), "daily-8"),
        1,
        "removed in run 2"
    );

    // Alone, without the state, the one article shows no repetition to learn from.
    let alone = Pipeline::new();
    alone.write_input("daily-2.jsonl", &site_batch(8, 1));
    alone.run_ok();
    assert_eq!(
        site_repeats(&alone.out(), "daily-8"),
        0,
        "nothing to learn from one article"
    );
}
