//! Sharded runs: shards observe contiguous slices in separate "processes" (fresh stages), save
//! their observers, a merge step loads and merges them and decides, and shards apply after
//! loading the decision. The documents must come out exactly as from one process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use newsmill_clean::{CleanConfig, CleanStage, DECISION_FILE, OBSERVER_FILE, QuoteStyle};
use newsmill_core::{Document, Observer, Stage, Tally};

const SITE_PAGES: [&str; 4] = [
    include_str!("fixtures/site/page1.txt"),
    include_str!("fixtures/site/page2.txt"),
    include_str!("fixtures/site/page3.txt"),
    include_str!("fixtures/site/page4.txt"),
];
const SEEDS: [&str; 5] = [
    include_str!("../../../samples/000_d3f30cc8e01184eb.txt"),
    include_str!("../../../samples/001_e6fc3a51efc8f4de.txt"),
    include_str!("../../../samples/002_438689cf3929fe33.txt"),
    include_str!("../../../samples/003_3ccf4f1fb7630145.txt"),
    include_str!("../../../samples/004_66e42796693d4503.txt"),
];

/// A text file as the text reader makes it: first line the title.
fn document(source: &str, url: Option<String>, file: &str) -> Document {
    let trimmed = file.trim_start_matches(['\n', '\r']);
    let (title, text) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
    Document {
        id: source.to_string(),
        source: source.to_string(),
        url,
        title: Some(title.trim().to_string()),
        text: text.to_string(),
        ..Document::default()
    }
}

/// Three sites whose pages are spread over the whole input, so that every shard sees only
/// part of each: the desk pages as files of one directory, the same pages published on a
/// second site (by URL), and the seed articles as files of a third directory.
fn corpus() -> Vec<Document> {
    let mut docs = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        if let Some(page) = SITE_PAGES.get(i) {
            docs.push(document(&format!("desk/page{i}.txt"), None, page));
        }
        docs.push(document(&format!("seeds/{i}.txt"), None, seed));
        if let Some(page) = SITE_PAGES.iter().rev().nth(i) {
            let url = format!("https://www.example.com/news/{i}");
            docs.push(document(&format!("mirror/{i}.txt"), Some(url), page));
        }
    }
    for (seq, doc) in docs.iter_mut().enumerate() {
        doc.seq = seq as u64;
    }
    docs
}

fn configs() -> Vec<CleanConfig> {
    vec![
        CleanConfig::default(),
        CleanConfig {
            quotes: QuoteStyle::Curly,
            disable: vec!["body".into()],
            ..CleanConfig::default()
        },
    ]
}

struct Outcome {
    docs: Vec<Document>,
    decided: Tally,
    applied: Tally,
}

/// One process: observe everything, decide, apply.
fn single(cfg: &CleanConfig, mut docs: Vec<Document>) -> Outcome {
    let mut stage = CleanStage::new(cfg.clone()).unwrap();
    let decided = stage.observe_corpus(&docs).unwrap();
    let mut applied = Tally::default();
    for doc in &mut docs {
        stage.apply(doc, &mut applied).unwrap();
    }
    Outcome {
        docs,
        decided,
        applied,
    }
}

/// Contiguous slices, as `--shard i/N` cuts the input.
fn slices(docs: &[Document], shards: usize) -> Vec<&[Document]> {
    let bounds: Vec<usize> = (0..=shards).map(|i| i * docs.len() / shards).collect();
    bounds.windows(2).map(|w| &docs[w[0]..w[1]]).collect()
}

fn decision_dir(root: &Path, round: usize) -> PathBuf {
    root.join(format!("decision-{round}"))
}

/// A fresh stage as every later process builds it: from config, then the decisions so far.
fn fresh_stage(cfg: &CleanConfig, root: &Path, decided_rounds: usize) -> CleanStage {
    let mut stage = CleanStage::new(cfg.clone()).unwrap();
    for round in 0..decided_rounds {
        stage
            .load_decision(round, &decision_dir(root, round))
            .unwrap();
    }
    stage
}

/// Every file under `dir` with its bytes, to show that loading leaves directories alone.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn sharded(cfg: &CleanConfig, docs: &[Document], shards: usize, root: &Path) -> Outcome {
    let parts = slices(docs, shards);
    let rounds = CleanStage::new(cfg.clone()).unwrap().observation_rounds();
    let mut decided = Tally::default();
    for round in 0..rounds {
        let shard_dirs: Vec<PathBuf> = (0..shards)
            .map(|i| root.join(format!("round-{round}/shard-{i}")))
            .collect();
        for (part, dir) in parts.iter().zip(&shard_dirs) {
            let stage = fresh_stage(cfg, root, round);
            // Two workers per shard, merged as the driver merges its threads.
            let (first, second) = part.split_at(part.len() / 2);
            let mut observer = stage.new_observer(round);
            let mut other = stage.new_observer(round);
            first.iter().for_each(|d| observer.observe(d));
            second.iter().for_each(|d| other.observe(d));
            observer.merge(other);
            std::fs::create_dir_all(dir).unwrap();
            observer.save(dir).unwrap();
        }
        let mut merge = fresh_stage(cfg, root, round);
        let mut merged: Option<Box<dyn Observer>> = None;
        for dir in &shard_dirs {
            let loaded = merge.load_observer(round, dir).unwrap();
            merged = Some(match merged {
                None => loaded,
                Some(mut m) => {
                    m.merge(loaded);
                    m
                }
            });
        }
        decided.merge(&merge.decide(round, merged.unwrap()).unwrap());
        let dir = decision_dir(root, round);
        std::fs::create_dir_all(&dir).unwrap();
        merge.save_decision(round, &dir).unwrap();
    }
    let before = snapshot(root);
    let mut applied = Tally::default();
    let mut out = Vec::new();
    for part in parts {
        let stage = fresh_stage(cfg, root, rounds);
        for doc in part {
            let mut doc = doc.clone();
            stage.apply(&mut doc, &mut applied).unwrap();
            out.push(doc);
        }
    }
    assert_eq!(snapshot(root), before, "loading changed the saved state");
    Outcome {
        docs: out,
        decided,
        applied,
    }
}

#[test]
fn sharded_runs_clean_every_document_as_one_process_does() {
    let docs = corpus();
    for cfg in configs() {
        let want = single(&cfg, docs.clone());
        // The corpus exercises site repetition, across shards: no single shard finds every
        // repeated line, the merge does.
        assert!(want.decided.0["site-repeat-lines"] > 0);
        assert!(want.applied.0["removed:site-repeat"] > 0);
        for part in slices(&docs, 2) {
            let alone = single(&cfg, part.to_vec());
            let found = alone.decided.0.get("site-repeat-lines").copied();
            assert!(found < Some(want.decided.0["site-repeat-lines"]));
        }
        for shards in [1, 2, 3] {
            let root = tempfile::tempdir().unwrap();
            let got = sharded(&cfg, &docs, shards, root.path());
            assert_eq!(got.docs.len(), want.docs.len());
            for (g, w) in got.docs.iter().zip(&want.docs) {
                assert_eq!(g, w, "{shards} shards, {cfg:?}: {} differs", w.id);
            }
            assert_eq!(got.decided, want.decided, "{shards} shards");
            assert_eq!(got.applied, want.applied, "{shards} shards");
        }
    }
}

#[test]
fn saved_states_load_back_in_the_same_process() {
    let docs = corpus();
    let cfg = CleanConfig::default();
    let want = single(&cfg, docs.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut stage = CleanStage::new(cfg.clone()).unwrap();
    let mut observer = stage.new_observer(0);
    docs.iter().for_each(|d| observer.observe(d));
    observer.save(dir.path()).unwrap();
    let loaded = stage.load_observer(0, dir.path()).unwrap();
    assert_eq!(stage.decide(0, loaded).unwrap(), want.decided);
    stage.save_decision(0, dir.path()).unwrap();
    // Loading a decision replaces whatever the stage held.
    let mut other = CleanStage::new(cfg).unwrap();
    other.observe_corpus(&docs[..2]).unwrap();
    other.load_decision(0, dir.path()).unwrap();
    for (doc, w) in docs.iter().zip(&want.docs) {
        let mut doc = doc.clone();
        other.apply(&mut doc, &mut Tally::default()).unwrap();
        assert_eq!(&doc, w);
    }
}

#[test]
fn the_same_observations_save_the_same_bytes() {
    let docs = corpus();
    let stage = CleanStage::new(CleanConfig::default()).unwrap();
    let forward = tempfile::tempdir().unwrap();
    let mut observer = stage.new_observer(0);
    docs.iter().for_each(|d| observer.observe(d));
    observer.save(forward.path()).unwrap();
    // One observer per document, in reverse order, merged.
    let reverse = tempfile::tempdir().unwrap();
    let mut merged = stage.new_observer(0);
    for doc in docs.iter().rev() {
        let mut one = stage.new_observer(0);
        one.observe(doc);
        merged.merge(one);
    }
    merged.save(reverse.path()).unwrap();
    assert_eq!(snapshot(forward.path()).len(), 1);
    assert_eq!(
        std::fs::read(forward.path().join(OBSERVER_FILE)).unwrap(),
        std::fs::read(reverse.path().join(OBSERVER_FILE)).unwrap()
    );
}

/// Saves an observer and a decision of the corpus into `dir`.
fn saved_states(dir: &Path) -> CleanStage {
    let mut stage = CleanStage::new(CleanConfig::default()).unwrap();
    let mut observer = stage.new_observer(0);
    corpus().iter().for_each(|d| observer.observe(d));
    observer.save(dir).unwrap();
    let loaded = stage.load_observer(0, dir).unwrap();
    stage.decide(0, loaded).unwrap();
    stage.save_decision(0, dir).unwrap();
    stage
}

fn load_error(stage: &mut CleanStage, dir: &Path, decision: bool) -> String {
    if decision {
        stage.load_decision(0, dir).unwrap_err().to_string()
    } else {
        match stage.load_observer(0, dir) {
            Ok(_) => panic!("loaded a damaged observer"),
            Err(e) => e.to_string(),
        }
    }
}

#[test]
fn damaged_or_foreign_files_are_refused_with_their_path() {
    for (file, decision) in [(OBSERVER_FILE, false), (DECISION_FILE, true)] {
        let dir = tempfile::tempdir().unwrap();
        let mut stage = saved_states(dir.path());
        let path = dir.path().join(file);
        let good = std::fs::read(&path).unwrap();
        let shown = path.display().to_string();

        std::fs::write(&path, &good[..good.len() - 5]).unwrap();
        let e = load_error(&mut stage, dir.path(), decision);
        assert!(e.contains(&shown) && e.contains("truncated"), "{e}");

        let mut flipped = good.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x10;
        std::fs::write(&path, &flipped).unwrap();
        let e = load_error(&mut stage, dir.path(), decision);
        assert!(e.contains(&shown) && e.contains("checksum"), "{e}");

        let mut newer = good.clone();
        newer[8] = 9;
        std::fs::write(&path, &newer).unwrap();
        let e = load_error(&mut stage, dir.path(), decision);
        assert!(e.contains(&shown) && e.contains("version 9"), "{e}");

        std::fs::write(&path, b"site,line\nexample.com,Home\n").unwrap();
        let e = load_error(&mut stage, dir.path(), decision);
        assert!(
            e.contains(&shown) && e.contains("does not start with"),
            "{e}"
        );

        std::fs::remove_file(&path).unwrap();
        let e = load_error(&mut stage, dir.path(), decision);
        assert!(e.contains(&shown), "{e}");

        // A good file loads again: the failures left the stage usable.
        std::fs::write(&path, &good).unwrap();
        if decision {
            stage.load_decision(0, dir.path()).unwrap();
        } else {
            stage.load_observer(0, dir.path()).unwrap();
        }
    }
}

#[test]
fn observers_of_another_quote_style_and_other_rounds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut stage = saved_states(dir.path());
    let curly = CleanStage::new(CleanConfig {
        quotes: QuoteStyle::Curly,
        ..CleanConfig::default()
    })
    .unwrap();
    match curly.load_observer(0, dir.path()) {
        Ok(_) => panic!("loaded an observer of another quote style"),
        Err(e) => assert!(e.to_string().contains("quote style \"tidy\""), "{e}"),
    }
    assert!(stage.load_observer(1, dir.path()).is_err());
    assert!(stage.load_decision(1, dir.path()).is_err());
    assert!(stage.save_decision(1, dir.path()).is_err());
    assert!(stage.shardable());
}
