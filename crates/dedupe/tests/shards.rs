//! Sharded runs simulated in one process: every step builds its own stage from the config,
//! as a separate process would, and talks to the others only through saved directories.
//! N shards plus merge must give exactly what one process gives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use newsmill_core::{BuildContext, ClusterKind, Document, Observer, Stage, Tally, Verdict};
use newsmill_dedupe::{Action, DedupeConfig, DedupeStage};

mod common;
use common::{SEEDS, doc};

fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Copy edits as syndication makes them: boilerplate around, straight quotes, a copy
/// editor's substitutions, a truncation, and the same text shouted.
fn variants(text: &str) -> Vec<String> {
    let paras = paragraphs(text);
    let keep = (paras.len() * 7).div_ceil(10);
    let substituted: String = text
        .split(' ')
        .enumerate()
        .map(|(i, w)| if i % 25 == 7 { "company" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    vec![
        format!("Skip to main content\n\n{text}\n\nShare this article\nAll rights reserved."),
        text.replace(['’', '‘'], "'").replace(['“', '”'], "\""),
        substituted,
        paras[..keep].join("\n\n"),
        text.to_uppercase(),
    ]
}

/// The seeds and their variants, interleaved so that every cluster spans the shards, with
/// dates that make copies both earlier and later than their originals, and a few documents
/// without words.
fn corpus() -> Vec<Document> {
    let mut texts: Vec<(String, String, Option<String>)> = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        texts.push((
            format!("seed{i}"),
            seed.to_string(),
            Some(format!("2019-01-1{i}")),
        ));
    }
    for k in 0..5 {
        for (i, seed) in SEEDS.iter().enumerate() {
            let v = variants(seed).remove(k);
            // A different copy is the earliest of each seed, so representatives land in
            // different shards.
            let day = 8 + (k + 5 - (2 * i) % 5) % 5;
            let published = (k != 2).then(|| format!("2019-01-{day:02}T0{k}:00:00Z"));
            texts.push((format!("seed{i}-copy{k}"), v, published));
        }
        texts.push((format!("odd{k}"), "… — •".repeat(k), None));
    }
    // Two of the three seeds that quote one interview move to the middle and the end.
    let middle = texts.len() / 2;
    let second = texts.remove(1);
    texts.insert(middle, second);
    let third = texts.remove(1);
    texts.push(third);
    texts
        .into_iter()
        .enumerate()
        .map(|(seq, (id, text, published))| doc(seq as u64, &id, published.as_deref(), &text))
        .collect()
}

struct Outcome {
    docs: Vec<Document>,
    verdicts: Vec<Verdict>,
    decide_tally: Tally,
    apply_tally: Tally,
}

fn context(work: &Path) -> BuildContext {
    BuildContext {
        work_dir: Some(work.join("scratch")),
        ..Default::default()
    }
}

fn build(cfg: &DedupeConfig, work: &Path) -> DedupeStage {
    let stage = DedupeStage::build(cfg.clone(), &context(work)).expect("builds");
    assert!(stage.shardable());
    stage
}

/// Several observers per process, merged, as worker threads would.
fn observe(stage: &DedupeStage, round: usize, docs: &[Document]) -> Box<dyn Observer> {
    let mut merged = stage.new_observer(round);
    for chunk in docs.chunks(4).rev() {
        let mut o = stage.new_observer(round);
        for d in chunk {
            o.observe(d);
        }
        merged.merge(o);
    }
    merged
}

fn apply_all(stage: &DedupeStage, docs: &[Document], out: &mut Outcome) {
    for d in docs {
        let mut d = d.clone();
        out.verdicts
            .push(stage.apply(&mut d, &mut out.apply_tally).expect("apply"));
        out.docs.push(d);
    }
}

fn single(cfg: &DedupeConfig, docs: &[Document]) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    let mut stage = build(cfg, work.path());
    let mut out = Outcome {
        docs: Vec::new(),
        verdicts: Vec::new(),
        decide_tally: Tally::default(),
        apply_tally: Tally::default(),
    };
    for round in 0..stage.observation_rounds() {
        let merged = observe(&stage, round, docs);
        out.decide_tally
            .merge(&stage.decide(round, merged).expect("decide"));
    }
    apply_all(&stage, docs, &mut out);
    out
}

/// Every file under `dir` with its length: loaders must leave saved directories as they are.
fn listing(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let len = std::fs::metadata(&path).unwrap().len();
                files.insert(path, len);
            }
        }
    }
    files
}

/// `shards` contiguous slices of `docs`, each step with a fresh stage and its own work dir.
fn sharded(cfg: &DedupeConfig, docs: &[Document], shards: usize) -> Outcome {
    let run = tempfile::tempdir().unwrap();
    let shared = run.path().join("shared");
    let per_shard = docs.len().div_ceil(shards);
    let slices: Vec<&[Document]> = docs.chunks(per_shard).collect();
    assert_eq!(slices.len(), shards);
    let rounds = build(cfg, &run.path().join("probe")).observation_rounds();
    let decision_dir = |round: usize| shared.join(format!("decision-{round}"));
    let load_decisions = |stage: &mut DedupeStage, upto: usize| {
        for round in 0..upto {
            stage
                .load_decision(round, &decision_dir(round))
                .expect("load decision");
        }
    };
    let mut decide_tally = Tally::default();
    for round in 0..rounds {
        let mut observer_dirs = Vec::new();
        for (i, slice) in slices.iter().enumerate() {
            let work = run.path().join(format!("shard{i}-round{round}"));
            let mut stage = build(cfg, &work);
            load_decisions(&mut stage, round);
            let dir = shared.join(format!("observer-{round}-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            observe(&stage, round, slice)
                .save(&dir)
                .expect("save observer");
            drop(stage);
            // The process ended: its scratch directory is gone.
            assert_eq!(std::fs::read_dir(work.join("scratch")).unwrap().count(), 0);
            observer_dirs.push(dir);
        }
        let before = listing(&shared);
        let work = run.path().join(format!("merge-round{round}"));
        let mut stage = build(cfg, &work);
        load_decisions(&mut stage, round);
        let mut merged = stage.new_observer(round);
        for dir in &observer_dirs {
            merged.merge(stage.load_observer(round, dir).expect("load observer"));
        }
        decide_tally.merge(&stage.decide(round, merged).expect("decide"));
        assert_eq!(
            listing(&shared),
            before,
            "the merge step wrote to a shard's directory"
        );
        std::fs::create_dir_all(decision_dir(round)).unwrap();
        stage
            .save_decision(round, &decision_dir(round))
            .expect("save decision");
    }
    let mut out = Outcome {
        docs: Vec::new(),
        verdicts: Vec::new(),
        decide_tally,
        apply_tally: Tally::default(),
    };
    let before = listing(&shared);
    for (i, slice) in slices.iter().enumerate() {
        let mut stage = build(cfg, &run.path().join(format!("shard{i}-apply")));
        load_decisions(&mut stage, rounds);
        apply_all(&stage, slice, &mut out);
    }
    assert_eq!(
        listing(&shared),
        before,
        "applying wrote to a saved directory"
    );
    out
}

fn assert_same(one: &Outcome, other: &Outcome, what: &str) {
    assert_eq!(one.docs.len(), other.docs.len());
    for (a, b) in one.docs.iter().zip(&other.docs) {
        assert_eq!(a, b, "{what}: {} differs", a.id);
    }
    assert_eq!(one.verdicts, other.verdicts, "{what}");
    assert_eq!(one.decide_tally, other.decide_tally, "{what}");
    assert_eq!(one.apply_tally, other.apply_tally, "{what}");
}

#[test]
fn two_and_three_shards_give_exactly_what_one_process_gives() {
    let docs = corpus();
    let cfg = DedupeConfig::default();
    let one = single(&cfg, &docs);
    // The corpus exercises what must survive the trip: duplicate and story clusters with
    // members in other shards than their representative, and evidence passages.
    let dups = one
        .docs
        .iter()
        .filter(|d| d.links.iter().any(|l| l.kind == ClusterKind::Duplicate))
        .count();
    let stories = one
        .docs
        .iter()
        .filter(|d| d.links.iter().any(|l| l.kind == ClusterKind::Story))
        .count();
    assert!(dups >= 25 && stories >= 3, "{dups} {stories}");
    assert!(one.decide_tally.0["exact-duplicates"] > 0);
    assert!(
        one.docs
            .iter()
            .flat_map(|d| &d.links)
            .all(|l| !l.passage.is_empty())
    );
    for shards in [2, 3] {
        // Some members are linked to a representative that another shard observed.
        let per_shard = docs.len().div_ceil(shards);
        let shard_of = |id: &str| one.docs.iter().position(|d| d.id == id).unwrap() / per_shard;
        let across = one
            .docs
            .iter()
            .flat_map(|d| d.links.iter().map(move |l| (d, l)))
            .filter(|(d, l)| shard_of(&d.id) != shard_of(&l.representative))
            .map(|(_, l)| l.kind)
            .collect::<Vec<_>>();
        assert!(
            across.contains(&ClusterKind::Duplicate) && across.contains(&ClusterKind::Story),
            "{shards} shards: {across:?}"
        );
        let split = sharded(&cfg, &docs, shards);
        assert_same(&one, &split, &format!("{shards} shards"));
    }
}

#[test]
fn sharded_runs_match_without_stories_and_when_dropping() {
    let docs = corpus();
    for cfg in [
        DedupeConfig {
            story: false,
            ..DedupeConfig::default()
        },
        DedupeConfig {
            action: Action::Drop,
            ..DedupeConfig::default()
        },
    ] {
        let one = single(&cfg, &docs);
        assert!(one.verdicts.iter().any(|v| *v != Verdict::Keep) == (cfg.action == Action::Drop));
        assert_same(&one, &sharded(&cfg, &docs, 2), "2 shards");
    }
}

#[test]
fn saving_then_loading_in_the_same_process_changes_nothing() {
    let docs = corpus();
    let cfg = DedupeConfig::default();
    let one = single(&cfg, &docs);
    let work = tempfile::tempdir().unwrap();
    let mut stage = build(&cfg, work.path());
    let mut out = Outcome {
        docs: Vec::new(),
        verdicts: Vec::new(),
        decide_tally: Tally::default(),
        apply_tally: Tally::default(),
    };
    for round in 0..stage.observation_rounds() {
        let dir = work.path().join(format!("observer-{round}"));
        std::fs::create_dir_all(&dir).unwrap();
        observe(&stage, round, &docs).save(&dir).expect("save");
        let loaded = stage.load_observer(round, &dir).expect("load");
        out.decide_tally
            .merge(&stage.decide(round, loaded).expect("decide"));
        let decision = work.path().join(format!("decision-{round}"));
        std::fs::create_dir_all(&decision).unwrap();
        stage
            .save_decision(round, &decision)
            .expect("save decision");
    }
    apply_all(&stage, &docs, &mut out);
    assert_same(&one, &out, "saved and loaded");

    // The saved decisions, loaded by a fresh stage, give the same links again.
    let mut fresh = build(&cfg, &work.path().join("fresh"));
    for round in 0..2 {
        fresh
            .load_decision(round, &work.path().join(format!("decision-{round}")))
            .expect("load decision");
    }
    let mut again = Outcome {
        docs: Vec::new(),
        verdicts: Vec::new(),
        decide_tally: one.decide_tally.clone(),
        apply_tally: Tally::default(),
    };
    apply_all(&fresh, &docs, &mut again);
    assert_same(&one, &again, "decisions loaded by a fresh stage");
}

#[test]
fn damaged_foreign_or_mismatched_files_are_refused_with_their_path() {
    let docs = corpus();
    let cfg = DedupeConfig::default();
    let work = tempfile::tempdir().unwrap();
    let mut stage = build(&cfg, work.path());
    let dirs: Vec<PathBuf> = (0..2)
        .map(|r| {
            let dir = work.path().join(format!("observer-{r}"));
            std::fs::create_dir_all(&dir).unwrap();
            dir
        })
        .collect();
    let decision = work.path().join("decision-0");
    std::fs::create_dir_all(&decision).unwrap();
    observe(&stage, 0, &docs).save(&dirs[0]).unwrap();
    let loaded = stage.load_observer(0, &dirs[0]).unwrap();
    stage.decide(0, loaded).unwrap();
    stage.save_decision(0, &decision).unwrap();
    observe(&stage, 1, &docs).save(&dirs[1]).unwrap();

    let error = |r: Result<(), newsmill_core::StageError>| r.unwrap_err().to_string();
    let load = |round: usize, dir: &Path| {
        let stage = build(&cfg, &work.path().join("other"));
        stage.load_observer(round, dir).map(|_| ())
    };
    // A round-1 observer read as round 0.
    let e = error(load(0, &dirs[1]));
    assert!(
        e.contains("not a dedupe round-0 observer file") && e.contains("observer-1"),
        "{e}"
    );
    // Another config.
    let other = build(
        &DedupeConfig {
            shingle_size: 3,
            ..cfg.clone()
        },
        &work.path().join("other-config"),
    );
    let e = error(other.load_observer(0, &dirs[0]).map(|_| ()));
    assert!(e.contains("another dedupe config"), "{e}");
    // A set file cut short.
    let sets = dirs[1].join("sets.bin");
    let bytes = std::fs::read(&sets).unwrap();
    std::fs::write(&sets, &bytes[..bytes.len() - 4]).unwrap();
    let e = error(load(1, &dirs[1]));
    assert!(e.contains("sets.bin") && e.contains("bytes where"), "{e}");
    // One flipped bit in a decision.
    let file = decision.join("dedupe-decision.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[40] ^= 0x10;
    std::fs::write(&file, &bytes).unwrap();
    let mut fresh = build(&cfg, &work.path().join("fresh"));
    let e = error(fresh.load_decision(0, &decision));
    assert!(
        e.contains("dedupe-decision.bin") && e.contains("damaged"),
        "{e}"
    );
}

#[test]
fn a_stage_keeping_a_persistent_index_or_an_undecided_round_is_not_saved() {
    let work = tempfile::tempdir().unwrap();
    let ctx = BuildContext {
        state_dir: Some(work.path().join("state")),
        ..context(work.path())
    };
    let indexed = DedupeStage::build(DedupeConfig::default(), &ctx).unwrap();
    assert!(!indexed.shardable());

    let stage = build(&DedupeConfig::default(), work.path());
    let dir = work.path().join("decision");
    std::fs::create_dir_all(&dir).unwrap();
    for round in 0..2 {
        let e = stage.save_decision(round, &dir).unwrap_err().to_string();
        assert!(e.contains("cannot save round"), "{e}");
    }
}
