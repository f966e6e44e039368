//! The entity tagger's harness: scores a model on a CoNLL-2003 file (exact-span precision,
//! recall and F1 per type, conlleval convention, and tagging speed), or trains one.
//!
//!     cargo run --release -p newsmill-extract --example ner_eval -- [--model M] [FILE]
//!     cargo run --release -p newsmill-extract --example ner_eval -- train \
//!         --conll ../shared/eval/conll2003/eng.train --dev ../shared/eval/conll2003/eng.testa \
//!         --out crates/extract/data/ner.model [--epochs N] [--prune W]
//!
//!     cargo run --release -p newsmill-extract --example ner_eval -- speed DIR
//!
//! `speed` tokenises and tags every `.txt` file under DIR (e.g. the BBC news corpus) and prints
//! tokens per second of wall-clock and of CPU time. FILE defaults to `../shared/eval/conll2003/eng.testa` (the development split). `--repeat N`
//! tags the file N times and reports the median speed (the machine may be shared).

mod common;

use std::path::{Path, PathBuf};
use std::process::exit;

use newsmill_extract::{NerModel, TrainOptions, evaluate, train};

const DEFAULT_DEV: &str = "../shared/eval/conll2003/eng.testa";

fn need(path: &Path) {
    if !path.exists() {
        eprintln!(
            "{} is missing: this harness needs the CoNLL-2003 files (see ../shared/eval/README.md).",
            path.display()
        );
        exit(2);
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let take = |args: &mut Vec<String>, flag: &str| -> Option<String> {
        let i = args.iter().position(|a| a == flag)?;
        if i + 1 >= args.len() {
            eprintln!("{flag} needs a value.");
            exit(2);
        }
        let v = args.remove(i + 1);
        args.remove(i);
        Some(v)
    };
    if args.first().is_some_and(|a| a == "train") {
        args.remove(0);
        let conll = PathBuf::from(take(&mut args, "--conll").unwrap_or_else(|| {
            eprintln!("Usage: ner_eval train --conll FILE --out MODEL [--dev FILE] [--epochs N]");
            exit(2)
        }));
        let out = PathBuf::from(take(&mut args, "--out").unwrap_or_else(|| {
            eprintln!("train needs --out MODEL.");
            exit(2)
        }));
        let mut opts = TrainOptions {
            dev: take(&mut args, "--dev").map(PathBuf::from),
            ..TrainOptions::default()
        };
        if let Some(e) = take(&mut args, "--epochs") {
            opts.epochs = e.parse().unwrap_or(opts.epochs);
        }
        if let Some(p) = take(&mut args, "--prune") {
            opts.prune = p.parse().unwrap_or(opts.prune);
        }
        need(&conll);
        if let Some(d) = &opts.dev {
            need(d);
        }
        match train(&conll, &out, &opts) {
            Ok(r) => {
                println!(
                    "{} sentences, {} tokens; dev F1 by epoch: {:?}; kept epoch {}; {} features, {} bytes; {:.1} s",
                    r.sentences,
                    r.tokens,
                    r.dev_f1
                        .iter()
                        .map(|f| (f * 100.0).round() / 100.0)
                        .collect::<Vec<_>>(),
                    r.chosen_epoch,
                    r.features,
                    r.model_bytes,
                    r.seconds
                );
                if let Some(d) = r.dev {
                    println!("{d}");
                }
            }
            Err(e) => {
                eprintln!("Training failed: {e}");
                exit(1);
            }
        }
        return;
    }
    if args.first().is_some_and(|a| a == "speed") {
        let Some(dir) = args.get(1) else {
            eprintln!("Usage: ner_eval speed DIR");
            exit(2)
        };
        speed(Path::new(dir));
        return;
    }
    let model_path = take(&mut args, "--model");
    let repeat: usize = take(&mut args, "--repeat")
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let file = PathBuf::from(args.first().map_or(DEFAULT_DEV, String::as_str));
    need(&file);
    let loaded;
    let model = match &model_path {
        Some(p) => {
            loaded = NerModel::load(Path::new(p)).unwrap_or_else(|e| {
                eprintln!("{e}");
                exit(1)
            });
            &loaded
        }
        None => NerModel::builtin(),
    };
    let mut reports = Vec::new();
    let cpu_before = common::thread_cpu_ns();
    for _ in 0..repeat.max(1) {
        match evaluate(model, &file) {
            Ok(r) => reports.push(r),
            Err(e) => {
                eprintln!("{e}");
                exit(1);
            }
        }
    }
    let cpu = common::thread_cpu_ns()
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b));
    reports.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let fastest = reports[0].tokens_per_second();
    let median = &reports[reports.len() / 2];
    println!("{median}");
    if reports.len() > 1 {
        println!(
            "median of {} runs; fastest run {fastest:.0} tokens/s",
            reports.len()
        );
    }
    if let Some(ns) = cpu {
        let tokens: usize = reports.iter().map(|r| r.tokens).sum();
        println!(
            "{:.0} tokens per CPU-second, reading and scoring the file included (not slowed by other processes)",
            tokens as f64 / (ns as f64 / 1e9)
        );
    }
}

fn speed(dir: &Path) {
    let paths = common::txt_files(dir);
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    let model = NerModel::builtin();
    let tokens: usize = texts
        .iter()
        .map(|t| newsmill_extract::ner::tokenize(t).len())
        .sum();
    let cpu_before = common::thread_cpu_ns();
    let started = std::time::Instant::now();
    let mut spans = 0;
    for t in &texts {
        spans += model.tag_text(t).len();
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = common::thread_cpu_ns()
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b) as f64 / 1e9);
    println!(
        "{} documents, {tokens} tokens, {spans} entities: {:.0} tokens/s wall-clock",
        texts.len(),
        tokens as f64 / wall
    );
    if let Some(c) = cpu {
        println!(
            "{:.0} tokens per CPU-second (tokenising, sentences, features, decoding)",
            tokens as f64 / c
        );
    }
}
