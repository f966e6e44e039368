//! The persistent index across runs: round trip, refused settings, pruning, damage.

use std::path::Path;

use newsmill_core::{BuildContext, ClusterKind, Document, RunInfo, Stage, Tally, Verdict};
use newsmill_dedupe::index::{Bounds, Index, NewEntry, Settings};
use newsmill_dedupe::{DedupeConfig, DedupeError, DedupeStage};

const SEEDS: [&str; 5] = [
    include_str!("../../../samples/000_d3f30cc8e01184eb.txt"),
    include_str!("../../../samples/001_e6fc3a51efc8f4de.txt"),
    include_str!("../../../samples/002_438689cf3929fe33.txt"),
    include_str!("../../../samples/003_3ccf4f1fb7630145.txt"),
    include_str!("../../../samples/004_66e42796693d4503.txt"),
];

fn doc(seq: u64, id: &str, text: &str) -> Document {
    Document {
        seq,
        id: id.to_string(),
        text: text.to_string(),
        ..Document::default()
    }
}

fn seeds() -> Vec<Document> {
    SEEDS
        .iter()
        .enumerate()
        .map(|(i, t)| doc(i as u64, &format!("{i:03}"), t))
        .collect()
}

fn build(cfg: DedupeConfig, state: &Path) -> Result<DedupeStage, DedupeError> {
    let ctx = BuildContext {
        state_dir: Some(state.to_path_buf()),
        ..BuildContext::default()
    };
    DedupeStage::build(cfg, &ctx)
}

/// One run as the driver makes it, `finish` included; returns the stage and the documents.
/// A first run over the five seeds with the default settings, committed to the index in `state`.
fn index_seeds(state: &Path) {
    run(
        DedupeConfig::default(),
        state,
        &seeds(),
        "2026-11-20T06:00:00Z",
    );
}

fn run(
    cfg: DedupeConfig,
    state: &Path,
    docs: &[Document],
    started: &str,
) -> (DedupeStage, Vec<Document>, Tally) {
    let mut stage = build(cfg, state).expect("the stage builds");
    let mut tally = Tally::default();
    for round in 0..stage.observation_rounds() {
        let mut merged = stage.new_observer(round);
        for d in docs {
            let mut o = stage.new_observer(round);
            o.observe(d);
            merged.merge(o);
        }
        tally.merge(&stage.decide(round, merged).expect("decide"));
    }
    let mut docs = docs.to_vec();
    for d in &mut docs {
        assert_eq!(stage.apply(d, &mut tally).expect("apply"), Verdict::Keep);
    }
    let info = RunInfo {
        started: started.to_string(),
        ..RunInfo::default()
    };
    stage.finish(&info).expect("finish commits the index");
    (stage, docs, tally)
}

fn entries(state: &Path) -> Vec<String> {
    let index = Index::open(state, Settings::of(&DedupeConfig::default())).expect("opens");
    index.entries.iter().map(|e| e.id.to_string()).collect()
}

#[test]
fn a_later_run_matches_an_edited_copy_to_the_article_of_the_first_run() {
    let state = tempfile::tempdir().unwrap();
    let (_, first, _) = run(
        DedupeConfig::default(),
        state.path(),
        &seeds(),
        "2026-11-20T06:00:00Z",
    );
    assert!(
        first
            .iter()
            .all(|d| d.links.iter().all(|l| l.kind == ClusterKind::Story))
    );
    assert!(state.path().join("dedupe/index.bin").is_file());
    let mut ids = entries(state.path());
    ids.sort();
    assert_eq!(ids, ["000", "001", "002", "003", "004"]);

    // The next run: a lightly edited re-scrape of 003 (straight quotes, a site footer, one
    // paragraph fewer) and an article never seen before.
    let paras: Vec<&str> = SEEDS[3].split("\n\n").collect();
    let edited = format!(
        "{}\n\nShare this article\nCopyright 2019. All rights reserved.",
        paras[..paras.len() - 1]
            .join("\n\n")
            .replace(['“', '”'], "\"")
    );
    let fresh = "A completely different report about the weather in a small coastal town, \
                 where fishermen waited for the storm to pass before going out again.";
    let docs = vec![doc(0, "rescrape-003", &edited), doc(1, "weather", fresh)];
    let (_stage, second, tally) = run(
        DedupeConfig::default(),
        state.path(),
        &docs,
        "2026-11-21T06:00:00Z",
    );
    let link = &second[0].links[0];
    assert_eq!(link.kind, ClusterKind::Duplicate);
    assert_eq!(link.representative, "003");
    assert_eq!(link.cluster, "dup:003");
    assert_eq!(
        link.representative_run.as_deref(),
        Some("2026-11-20T06:00:00Z")
    );
    assert!(link.similarity > 0.5 && link.similarity < 1.0, "{link:?}");
    assert!(link.shared_shingles > 100 && !link.passage.is_empty());
    assert!(second[1].links.is_empty());
    assert!(
        first
            .iter()
            .flat_map(|d| &d.links)
            .all(|l| l.representative_run.is_none())
    );
    assert_eq!(tally.0["index-duplicates"], 1);
    // The copy is not indexed again; the new article is.
    let ids = entries(state.path());
    assert_eq!(ids.len(), 6);
    assert!(ids.contains(&"weather".to_string()) && !ids.contains(&"rescrape-003".to_string()));
}

#[test]
fn an_index_built_with_other_hashing_settings_is_refused() {
    let state = tempfile::tempdir().unwrap();
    run(
        DedupeConfig::default(),
        state.path(),
        &seeds()[..2],
        "2026-11-20T06:00:00Z",
    );
    let other = DedupeConfig {
        shingle_size: 3,
        seed: 42,
        ..DedupeConfig::default()
    };
    let err = build(other, state.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("other hashing settings"), "{err}");
    assert!(err.contains("shingle_size: index 2, config 3"), "{err}");
    assert!(err.contains("seed: index"), "{err}");
    assert!(!err.contains("bands"), "{err}");
    // Settings that do not change hashes (thresholds) are fine.
    let looser = DedupeConfig {
        threshold: 0.5,
        ..DedupeConfig::default()
    };
    assert!(build(looser, state.path()).is_ok());
}

#[test]
fn a_damaged_index_is_refused_with_its_path() {
    let state = tempfile::tempdir().unwrap();
    index_seeds(state.path());
    let path = state.path().join("dedupe/index.bin");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = build(DedupeConfig::default(), state.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("damaged") && err.contains("index.bin"),
        "{err}"
    );
}

#[test]
fn without_a_state_dir_or_with_index_off_nothing_is_written() {
    let state = tempfile::tempdir().unwrap();
    let cfg = DedupeConfig {
        index: false,
        ..DedupeConfig::default()
    };
    run(cfg, state.path(), &seeds(), "");
    assert!(!state.path().join("dedupe").exists());
}

#[test]
fn pruning_keeps_the_newest_entries_and_drops_old_runs() {
    let state = tempfile::tempdir().unwrap();
    let cfg = DedupeConfig {
        index_max_entries: 3,
        ..DedupeConfig::default()
    };
    run(cfg.clone(), state.path(), &seeds()[..2], "run-a");
    run(cfg, state.path(), &seeds()[2..], "run-b");
    // Five articles, room for three: the first run's two go.
    let mut ids = entries(state.path());
    ids.sort();
    assert_eq!(ids, ["002", "003", "004"]);
    let index = Index::open(state.path(), Settings::of(&DedupeConfig::default())).unwrap();
    assert_eq!(index.runs.len(), 1);
    assert_eq!(index.runs[0].started, "run-b");

    // By age: a commit 31 days after the last one, with a 30-day window, keeps only its own.
    let day = 86_400;
    let committed = index.runs[0].committed;
    let new = vec![NewEntry {
        id: "late".into(),
        exact: 1,
        bands: vec![0; DedupeConfig::default().bands].into(),
        set: vec![3, 70, 1 << 30, u32::MAX],
    }];
    let bounds = Bounds {
        max_age_days: 30,
        max_entries: 0,
    };
    index
        .commit(&new, "run-c", committed + 31 * day, bounds)
        .unwrap();
    let index = Index::open(state.path(), Settings::of(&DedupeConfig::default())).unwrap();
    assert_eq!(entries(state.path()), ["late"]);
    assert_eq!(
        index.set(&index.entries[0]).unwrap(),
        [3, 70, 1 << 30, u32::MAX]
    );
    assert_eq!(index.runs[0].run, 3);
}

#[test]
fn the_index_keeps_its_shingle_sets_in_the_file_not_in_memory() {
    let state = tempfile::tempdir().unwrap();
    index_seeds(state.path());
    let index = Index::open(state.path(), Settings::of(&DedupeConfig::default())).unwrap();
    let file = std::fs::metadata(index.path()).unwrap().len() as usize;
    let per_entry = index.memory_bytes() / index.entries.len();
    // Ids, runs, exact keys, band keys and set positions: the sets (most of the file) are
    // read by position when a candidate needs them.
    assert!(per_entry <= 300, "{per_entry} bytes per entry");
    assert!(
        index.memory_bytes() * 4 < file,
        "{} of {file}",
        index.memory_bytes()
    );
    for entry in &index.entries {
        assert!(!index.set(entry).unwrap().is_empty());
    }
}

/// With a state database numbering the runs, entries of a run the database never committed
/// (killed between the index rename and the commit) are forgotten when the next run opens it.
#[test]
fn entries_of_a_run_the_state_never_committed_are_forgotten() {
    let state = tempfile::tempdir().unwrap();
    let numbered = |run: u64| BuildContext {
        state_dir: Some(state.path().to_path_buf()),
        state_run: Some(run),
        ..BuildContext::default()
    };
    let commit = |run: u64, docs: &[Document]| {
        let mut stage = DedupeStage::build(DedupeConfig::default(), &numbered(run)).unwrap();
        for round in 0..stage.observation_rounds() {
            let mut merged = stage.new_observer(round);
            for d in docs {
                merged.observe(d);
            }
            stage.decide(round, merged).unwrap();
        }
        for d in &mut docs.to_vec() {
            stage.apply(d, &mut Tally::default()).unwrap();
        }
        stage.finish(&RunInfo::default()).unwrap();
    };
    let seeds = seeds();
    commit(1, &seeds[..2]);
    // Run 2 writes its entries, but the state never records it.
    commit(2, &seeds[2..4]);
    assert_eq!(entries(state.path()).len(), 4);
    // Run 2 again, as the state numbers it: the uncommitted entries are dropped first.
    let mut index = Index::open(state.path(), Settings::of(&DedupeConfig::default())).unwrap();
    assert_eq!(index.number_next_run(2), 2);
    assert_eq!(index.entries.len(), 2);
    assert!(index.runs.iter().all(|r| r.run < 2));
    commit(2, &seeds[4..]);
    let ids = entries(state.path());
    assert_eq!(ids, vec!["000", "001", "004"]);
}
