//! Runs the dedupe stage over a JSON Lines corpus twice — in one process, and as a sharded
//! run (N contiguous shards, a merge step per round, every step with its own stage and work
//! directory, talking only through saved directories) — checks that every document comes out
//! identical, and prints the size of every saved directory per document and the time of each
//! step.
//!
//! cargo run --release -p newsmill-dedupe --example shard_dedupe -- CORPUS.jsonl [SHARDS] [WORK_DIR]
//!
//! WORK_DIR (default: the system's temporary directory) holds the saved directories while the
//! run lasts.

use std::path::Path;
use std::time::Instant;

use newsmill_core::{BuildContext, Document, Observer, Stage};
use newsmill_dedupe::{DedupeConfig, DedupeStage};
use rayon::prelude::*;

mod common;
use common::read_corpus;

type Error = Box<dyn std::error::Error>;

fn build(work: &Path) -> Result<DedupeStage, Error> {
    let ctx = BuildContext {
        work_dir: Some(work.to_path_buf()),
        ..BuildContext::default()
    };
    Ok(DedupeStage::build(DedupeConfig::default(), &ctx)?)
}

fn observe(stage: &DedupeStage, round: usize, docs: &[Document]) -> Box<dyn Observer> {
    docs.par_chunks(256)
        .map(|chunk| {
            let mut o = stage.new_observer(round);
            for d in chunk {
                o.observe(d);
            }
            o
        })
        .reduce_with(|mut a, b| {
            a.merge(b);
            a
        })
        .unwrap_or_else(|| stage.new_observer(round))
}

fn apply(stage: &DedupeStage, docs: &mut [Document]) -> Result<(), Error> {
    docs.par_iter_mut()
        .try_for_each(|d| stage.apply(d, &mut Default::default()).map(|_| ()))?;
    Ok(())
}

fn dir_bytes(dir: &Path) -> Result<u64, Error> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        total += entry?.metadata()?.len();
    }
    Ok(total)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(input) = args.first() else {
        return Err("usage: shard_dedupe CORPUS.jsonl [SHARDS] [WORK_DIR]".into());
    };
    let shards: usize = args.get(1).map_or(Ok(2), |s| s.parse())?;
    let parent = args.get(2).map_or_else(std::env::temp_dir, Into::into);
    std::fs::create_dir_all(&parent)?;
    let run = tempfile::tempdir_in(&parent)?;
    let docs = read_corpus(input)?;
    let n = docs.len() as f64;

    let t = Instant::now();
    let mut single = docs.clone();
    {
        let mut stage = build(&run.path().join("single"))?;
        for round in 0..stage.observation_rounds() {
            let merged = observe(&stage, round, &single);
            stage.decide(round, merged)?;
        }
        apply(&stage, &mut single)?;
    }
    eprintln!("one process: {:.2}s", t.elapsed().as_secs_f64());

    let shared = run.path().join("shared");
    let per_shard = docs.len().div_ceil(shards.max(1)).max(1);
    let decision = |round: usize| shared.join(format!("decision-{round}"));
    let load = |stage: &mut DedupeStage, upto: usize| -> Result<(), Error> {
        for round in 0..upto {
            stage.load_decision(round, &decision(round))?;
        }
        Ok(())
    };
    for round in 0..2 {
        let mut dirs = Vec::new();
        for (i, slice) in docs.chunks(per_shard).enumerate() {
            let t = Instant::now();
            let mut stage = build(&run.path().join(format!("shard{i}")))?;
            load(&mut stage, round)?;
            let loaded = t.elapsed().as_secs_f64();
            let merged = observe(&stage, round, slice);
            let observed = t.elapsed().as_secs_f64();
            let dir = shared.join(format!("observer-{round}-{i}"));
            std::fs::create_dir_all(&dir)?;
            merged.save(&dir)?;
            eprintln!(
                "round {round} shard {i}: load decisions {loaded:.2}s, observe {:.2}s, save {:.2}s, {:.0} B/doc of its slice",
                observed - loaded,
                t.elapsed().as_secs_f64() - observed,
                dir_bytes(&dir)? as f64 / slice.len() as f64
            );
            dirs.push(dir);
        }
        let t = Instant::now();
        let mut stage = build(&run.path().join("merge"))?;
        load(&mut stage, round)?;
        let mut merged = stage.new_observer(round);
        for dir in &dirs {
            merged.merge(stage.load_observer(round, dir)?);
        }
        let loaded = t.elapsed().as_secs_f64();
        stage.decide(round, merged)?;
        let decided = t.elapsed().as_secs_f64();
        std::fs::create_dir_all(decision(round))?;
        stage.save_decision(round, &decision(round))?;
        eprintln!(
            "round {round} merge: load {loaded:.2}s, decide {:.2}s, save {:.2}s, decision {:.0} B/doc",
            decided - loaded,
            t.elapsed().as_secs_f64() - decided,
            dir_bytes(&decision(round))? as f64 / n
        );
    }
    let mut sharded = docs.clone();
    for (i, slice) in sharded.chunks_mut(per_shard).enumerate() {
        let t = Instant::now();
        let mut stage = build(&run.path().join(format!("apply{i}")))?;
        load(&mut stage, 2)?;
        let loaded = t.elapsed().as_secs_f64();
        apply(&stage, slice)?;
        eprintln!(
            "apply shard {i}: load decisions {loaded:.2}s, apply {:.2}s",
            t.elapsed().as_secs_f64() - loaded
        );
    }
    let differing = single.iter().zip(&sharded).filter(|(a, b)| a != b).count();
    let linked = single.iter().filter(|d| !d.links.is_empty()).count();
    println!(
        "{} documents ({linked} linked), {shards} shards: {differing} differ from one process",
        docs.len()
    );
    if differing > 0 {
        return Err("the sharded run differs".into());
    }
    Ok(())
}
