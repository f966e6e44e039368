//! Staged publication, and the two output sets of an incremental run: the cumulative one and
//! `new/`, what arrived in this run.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use newsmill_core::{BuildContext, Document, OutputFile, Rejection, RunInfo, Stage, StateReport};
use newsmill_export::{ExportConfig, ExportStage, NEW_DIR};

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn context(config_dir: &Path, state_run: Option<u64>) -> BuildContext {
    BuildContext {
        config_dir: config_dir.to_path_buf(),
        state_run,
        ..BuildContext::default()
    }
}

/// Earlier runs stored the CNN and World Israel News pieces and the failed Lavrov piece; this
/// run read the VOA piece, its dropped re-scrape, the JTA piece and a filtered page.
fn earlier_documents() -> Vec<Document> {
    vec![russia_cnn(), world_israel_news(), lavrov_failed()]
}

fn new_documents() -> Vec<Document> {
    vec![voa(), voa_copy(), jta(), too_short()]
}

fn rejection(source: &str, reason: &str) -> Rejection {
    Rejection {
        source: source.into(),
        position: String::new(),
        reason: reason.into(),
        detail: format!("{source} could not be read"),
    }
}

/// Run 2 of a state directory: one input rejected by an earlier run and skipped as unchanged,
/// two rejected in this run.
fn incremental_run() -> RunInfo {
    RunInfo {
        documents: 4,
        rejections: vec![
            rejection("feeds.jsonl", "malformed-json"),
            rejection("empty.txt", "empty"),
        ],
        earlier_rejections: vec![rejection("old-binary.pdf", "not-text")],
        state: Some(StateReport {
            run: 2,
            new_inputs: 2,
            changed_inputs: 0,
            unchanged_inputs: 3,
            earlier_documents: 3,
        }),
        ..reported_run()
    }
}

/// Runs an incremental export into `dir/out` and returns what `finish` returned, unpublished.
fn incremental_export(dir: &Path, cfg: ExportConfig) -> Vec<OutputFile> {
    let mut stage = ExportStage::new(cfg, &context(dir, Some(2))).expect("stage builds");
    assert_eq!(
        stage.new_dir(),
        Some(dir.join("out").join(NEW_DIR).as_path())
    );
    for doc in earlier_documents() {
        stage.write_earlier(&doc).expect("write_earlier");
    }
    for doc in new_documents() {
        stage.write(&doc).expect("write");
    }
    stage.finish(&incremental_run()).expect("finish")
}

fn ids(path: &Path) -> Vec<String> {
    column(&read_csv(path), "id")
}

fn jsonl_ids(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn run_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn nothing_is_visible_before_publishing_and_everything_after() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A previous run's outputs stay as they are until the new ones are published.
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("articles.csv"), "previous").unwrap();
    let mut stage = ExportStage::new(every_format(), &context(tmp.path(), None)).unwrap();
    for doc in corpus() {
        stage.write(&doc).unwrap();
    }
    let outputs = stage.finish(&run_info()).unwrap();
    drop(stage);

    assert!(outputs.last().unwrap().path.ends_with("run.json"));
    let staged: Vec<_> = outputs
        .iter()
        .map(|o| o.staged.clone().expect("every output is staged"))
        .collect();
    for (output, staged) in outputs.iter().zip(&staged) {
        assert_eq!(PathBuf::from(&output.path), staged.target);
        assert_eq!(staged.temp.parent(), staged.target.parent());
        assert!(
            staged.temp.exists(),
            "{} is complete",
            staged.temp.display()
        );
        assert_eq!(fs::metadata(&staged.temp).unwrap().len(), output.bytes);
    }
    assert_eq!(fs::read(out.join("articles.csv")).unwrap(), b"previous");
    let visible: Vec<String> = file_names(&out)
        .into_iter()
        .filter(|name| !name.starts_with('.'))
        .collect();
    assert_eq!(
        visible,
        ["articles.csv"],
        "only the previous output is visible"
    );

    publish(&outputs);
    let mut expected: Vec<String> = outputs
        .iter()
        .map(|o| {
            Path::new(&o.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    expected.sort();
    assert_eq!(
        file_names(&out),
        expected,
        "every output, no temporary file"
    );
    assert_eq!(ids(&out.join("articles.csv")).len(), 4);
    assert!(
        !out.join(NEW_DIR).exists(),
        "no new set outside incremental runs"
    );
}

#[test]
fn the_new_set_holds_this_runs_documents_and_the_cumulative_set_all() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let new = out.join(NEW_DIR);
    let outputs = incremental_export(tmp.path(), every_format());

    // The new set first, then the cumulative one; each ends with its run.json.
    let split = outputs
        .iter()
        .position(|o| !Path::new(&o.path).starts_with(&new))
        .expect("a cumulative set");
    let (new_files, all_files) = outputs.split_at(split);
    assert!(
        new_files
            .iter()
            .all(|o| Path::new(&o.path).starts_with(&new))
    );
    assert!(
        all_files
            .iter()
            .all(|o| Path::new(&o.path).parent() == Some(&out))
    );
    assert_eq!(
        PathBuf::from(&new_files.last().unwrap().path),
        new.join("run.json")
    );
    assert_eq!(
        PathBuf::from(&all_files.last().unwrap().path),
        out.join("run.json")
    );
    assert_eq!(new_files.len(), all_files.len(), "same formats and tables");
    publish(&outputs);
    assert_eq!(
        file_names(&out)
            .into_iter()
            .filter(|n| n != NEW_DIR)
            .collect::<Vec<_>>(),
        file_names(&new),
        "same files in both sets, no temporary file left"
    );

    let new_articles = ["002_438689cf3929fe33.txt", "004_66e42796693d4503.txt"];
    let all_articles = [
        "000_d3f30cc8e01184eb.txt",
        "001_e6fc3a51efc8f4de.txt",
        "002_438689cf3929fe33.txt",
        "004_66e42796693d4503.txt",
    ];
    assert_eq!(ids(&new.join("articles.csv")), new_articles);
    assert_eq!(
        ids(&out.join("articles.csv")),
        all_articles,
        "earlier first"
    );
    assert_eq!(jsonl_ids(&new.join("articles.jsonl")), new_articles);
    assert_eq!(jsonl_ids(&out.join("articles.jsonl")), all_articles);
    // Annotations follow their documents: only the CNN piece has quotes.
    assert_eq!(read_csv(&new.join("quotes.csv")).len(), 1);
    assert_eq!(read_csv(&out.join("quotes.csv")).len(), 2);

    for (dir, articles) in [(&new, 2), (&out, 4)] {
        let db = rusqlite::Connection::open(dir.join("newsmill.sqlite")).unwrap();
        let count: i64 = db
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, articles, "articles in {}", dir.display());
    }

    // One run record in both, each with its own files and table counts.
    let new_run = run_json(&new.join("run.json"));
    let all_run = run_json(&out.join("run.json"));
    assert_eq!(new_run["started"], all_run["started"]);
    assert_eq!(new_run["state"]["run"], 2);
    assert_eq!(all_run["state"]["earlier_documents"], 3);
    assert_eq!(new_run["tables"]["articles"], 2);
    assert_eq!(all_run["tables"]["articles"], 4);
    let listed = |run: &serde_json::Value| -> Vec<String> {
        run["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        listed(&new_run),
        listed(&all_run),
        "paths relative to each set"
    );
    let jsonl_digest = |run: &serde_json::Value| {
        run["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["path"] == "articles.jsonl")
            .unwrap()["sha256"]
            .clone()
    };
    assert_ne!(jsonl_digest(&new_run), jsonl_digest(&all_run));
}

#[test]
fn rejections_split_between_the_sets() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let new = out.join(NEW_DIR);
    publish(&incremental_export(tmp.path(), every_format()));

    let sources = |dir: &Path| column(&read_csv(&dir.join("rejected.csv")), "source");
    // Input rejections (earlier runs', then this run's), then failed and dropped documents.
    assert_eq!(
        sources(&out),
        [
            "old-binary.pdf",
            "feeds.jsonl",
            "empty.txt",
            "samples/003_3ccf4f1fb7630145.txt",
            "feeds.jsonl",
        ]
    );
    assert_eq!(sources(&new), ["feeds.jsonl", "empty.txt", "feeds.jsonl"]);
    let reasons = column(&read_csv(&new.join("rejected.csv")), "reason");
    assert_eq!(reasons, ["malformed-json", "empty", "dropped"]);

    // The reports list the same rejections.
    let all_report = fs::read_to_string(out.join("report.html")).unwrap();
    let new_report = fs::read_to_string(new.join("report.html")).unwrap();
    assert!(all_report.contains("old-binary.pdf"));
    assert!(all_report.contains("003_3ccf4f1fb7630145.txt"));
    assert!(!new_report.contains("old-binary.pdf"));
    assert!(!new_report.contains("003_3ccf4f1fb7630145.txt"));
}

#[test]
fn an_incremental_stage_sweeps_temporary_files_a_killed_run_left() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let new = out.join(NEW_DIR);
    fs::create_dir_all(&new).unwrap();
    let leftovers = [
        out.join(".articles.csv.tmp"),
        out.join(".run.json.tmp"),
        out.join(".newsmill.xlsx.tmp"),
        out.join(".rejected.documents.csv.tmp"),
        // Written by a build with Parquet, or an earlier config with other formats.
        out.join(".quotes.parquet.tmp"),
        new.join(".articles.jsonl.tmp"),
        new.join(".report.html.tmp"),
    ];
    let kept = [
        out.join("articles.csv"),
        out.join("run.json"),
        out.join(".notes.tmp"),
        out.join("summary.txt"),
        new.join("articles.jsonl"),
    ];
    for path in leftovers.iter().chain(&kept) {
        fs::write(path, "x").unwrap();
    }

    // Without a state run nothing is swept: a temporary file may be someone else's.
    ExportStage::new(ExportConfig::default(), &context(tmp.path(), None)).unwrap();
    assert!(leftovers.iter().all(|p| p.exists()));

    // Only csv and jsonl are configured now; the leftovers of other formats go too.
    ExportStage::new(ExportConfig::default(), &context(tmp.path(), Some(3))).unwrap();
    for path in &leftovers {
        assert!(!path.exists(), "{} was swept", path.display());
    }
    for path in &kept {
        assert!(path.exists(), "{} was left alone", path.display());
    }
}

#[test]
fn an_unfinished_incremental_run_leaves_previous_outputs_and_no_temporary_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let new = out.join(NEW_DIR);
    publish(&incremental_export(tmp.path(), every_format()));
    let before = (file_names(&out), file_names(&new));
    let articles = fs::read(new.join("articles.csv")).unwrap();
    {
        let mut stage = ExportStage::new(every_format(), &context(tmp.path(), Some(3))).unwrap();
        stage.write_earlier(&russia_cnn()).unwrap();
        stage.write(&jta()).unwrap();
        assert!(file_names(&new).iter().any(|n| n.ends_with(".tmp")));
        // Dropped without finish, as when a run fails.
    }
    assert_eq!((file_names(&out), file_names(&new)), before);
    assert_eq!(fs::read(new.join("articles.csv")).unwrap(), articles);
}

#[test]
fn a_run_with_no_new_documents_publishes_an_empty_new_set() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut stage =
        ExportStage::new(ExportConfig::default(), &context(tmp.path(), Some(4))).unwrap();
    for doc in earlier_documents() {
        stage.write_earlier(&doc).unwrap();
    }
    let run = RunInfo {
        rejections: Vec::new(),
        ..incremental_run()
    };
    finish(&mut stage, &run);
    assert_eq!(read_csv(&out.join(NEW_DIR).join("articles.csv")).len(), 1);
    assert_eq!(
        fs::read(out.join(NEW_DIR).join("articles.jsonl")).unwrap(),
        b""
    );
    assert_eq!(ids(&out.join("articles.csv")).len(), 2);
    assert_eq!(
        column(&read_csv(&out.join("rejected.csv")), "source"),
        ["old-binary.pdf", "samples/003_3ccf4f1fb7630145.txt"]
    );
}
