//! Runs the dedupe stage over a JSON Lines corpus the way the driver does (observers on all
//! cores, merged; decide; apply in parallel) and writes an `id,cluster` CSV for scoring.
//!
//! cargo run --release -p newsmill-dedupe --example bench_dedupe -- CORPUS.jsonl PRED.csv [key=value ...]
//!
//! Extra arguments override config keys (`threshold=0.45`, `story=false`).

use std::io::{BufWriter, Write};
use std::time::Instant;

use newsmill_core::{Stage, Tally};
use newsmill_dedupe::{DedupeConfig, DedupeStage};
use rayon::prelude::*;

mod common;
use common::read_corpus;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, overrides @ ..] = args.as_slice() else {
        return Err("usage: bench_dedupe CORPUS.jsonl PRED.csv [key=value ...]".into());
    };
    let mut cfg = serde_json::to_value(DedupeConfig::default())?;
    for kv in overrides {
        let (k, v) = kv.split_once('=').ok_or("overrides are key=value")?;
        let value =
            serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
        cfg[k] = value;
    }
    let cfg: DedupeConfig = serde_json::from_value(cfg)?;

    let start = Instant::now();
    let mut docs = read_corpus(input)?;
    let read = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut stage = DedupeStage::new(cfg)?;
    let mut tally = Tally::default();
    let mut timings = Vec::new();
    for round in 0..stage.observation_rounds() {
        let t = Instant::now();
        let merged = docs
            .par_chunks(256)
            .map(|chunk| {
                let mut observer = stage.new_observer(round);
                for doc in chunk {
                    observer.observe(doc);
                }
                observer
            })
            .reduce_with(|mut a, b| {
                a.merge(b);
                a
            })
            .unwrap_or_else(|| stage.new_observer(round));
        let observed = t.elapsed().as_secs_f64();
        let t = Instant::now();
        tally.merge(&stage.decide(round, merged)?);
        timings.push(format!(
            "round {round}: observe {observed:.2}s, decide {:.2}s",
            t.elapsed().as_secs_f64()
        ));
    }
    let t = Instant::now();
    let applied: Vec<Tally> = docs
        .par_iter_mut()
        .map(|doc| {
            let mut tally = Tally::default();
            if let Ok(verdict) = stage.apply(doc, &mut tally) {
                tally.add(&format!("verdict:{verdict:?}"), 1);
            }
            tally
        })
        .collect();
    for t in &applied {
        tally.merge(t);
    }
    timings.push(format!("apply {:.2}s", t.elapsed().as_secs_f64()));
    let seconds = start.elapsed().as_secs_f64();

    let mut out = BufWriter::new(std::fs::File::create(output)?);
    writeln!(out, "id,cluster")?;
    for doc in &docs {
        let cluster = doc
            .links
            .iter()
            .find(|l| l.kind == newsmill_core::ClusterKind::Duplicate)
            .map_or(doc.id.as_str(), |l| l.cluster.as_str());
        writeln!(out, "{},{}", doc.id, cluster)?;
    }
    out.flush()?;

    if std::env::var_os("BENCH_DEDUPE_SHOW_STORIES").is_some() {
        for doc in &docs {
            for l in doc
                .links
                .iter()
                .filter(|l| l.kind == newsmill_core::ClusterKind::Story)
            {
                println!(
                    "{}\t{}\t{:.3}\t{}\t{}",
                    doc.id,
                    l.cluster,
                    l.similarity,
                    l.shared_shingles,
                    l.passage.replace('\n', " ")
                );
            }
        }
    }
    for line in timings {
        eprintln!("{line}");
    }
    for (k, v) in &tally.0 {
        eprintln!("{k}: {v}");
    }
    eprintln!(
        "{} docs: read {read:.2}s, dedupe {seconds:.2}s = {:.0} docs/s ({} threads)",
        docs.len(),
        docs.len() as f64 / seconds,
        rayon::current_num_threads()
    );
    Ok(())
}
