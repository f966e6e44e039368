//! Runs the clean stage over a directory of `.txt` articles (first non-empty line = title) and
//! reports what it removed: the share of lines and sentences kept, removals per rule, and
//! throughput. Used to check that already-clean corpora come through untouched.
//!
//! `cargo run --release -p newsmill-clean --example clean_report -- DIR [--show N]`

use std::path::{Path, PathBuf};
use std::time::Instant;

use newsmill_clean::{CleanConfig, CleanStage};
use newsmill_core::{Document, Stage, Tally};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "txt") {
            out.push(path);
        }
    }
    Ok(())
}

fn sentences(text: &str) -> usize {
    text.split(['.', '!', '?'])
        .filter(|s| s.split_whitespace().count() >= 3)
        .count()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: clean_report DIR [--show N]");
        std::process::exit(2);
    };
    let show: usize = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let mut paths = Vec::new();
    if let Err(e) = collect(Path::new(dir), &mut paths) {
        eprintln!("cannot read {dir}: {e}");
        std::process::exit(1);
    }
    paths.sort();
    let mut docs: Vec<Document> = paths
        .iter()
        .filter_map(|p| {
            std::fs::read(p)
                .ok()
                .map(|b| (p, String::from_utf8_lossy(&b).into_owned()))
        })
        .map(|(p, s)| {
            let trimmed = s.trim_start();
            let (title, text) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
            Document {
                id: p.display().to_string(),
                title: Some(title.trim().into()),
                text: text.into(),
                ..Document::default()
            }
        })
        .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let sentences_in: usize = docs.iter().map(|d| sentences(&d.text)).sum();
    let stage = CleanStage::new(CleanConfig::default()).expect("default config is valid");
    let mut tally = Tally::default();
    let started = Instant::now();
    for doc in &mut docs {
        stage.apply(doc, &mut tally).expect("clean does not fail");
    }
    let seconds = started.elapsed().as_secs_f64();
    let sentences_removed: usize = docs
        .iter()
        .flat_map(|d| d.removed.iter())
        .filter(|r| r.line > 0 && r.rule != "credit" && r.rule != "title")
        .map(|r| sentences(&r.text))
        .sum();
    let lines_in = tally.0.get("lines-in").copied().unwrap_or(0);
    let lines_kept = tally.0.get("lines-kept").copied().unwrap_or(0);
    println!(
        "documents: {}  bytes: {bytes}  seconds: {seconds:.3}  MB/s: {:.1}",
        docs.len(),
        bytes as f64 / 1e6 / seconds
    );
    println!(
        "lines in: {lines_in}  kept: {lines_kept}  ({:.3}% kept)",
        100.0 * lines_kept as f64 / lines_in.max(1) as f64
    );
    println!(
        "sentences in: {sentences_in}  removed: {sentences_removed}  ({:.3}% kept)",
        100.0 - 100.0 * sentences_removed as f64 / sentences_in.max(1) as f64
    );
    for (key, n) in &tally.0 {
        println!("  {key}: {n}");
    }
    let mut shown = 0;
    for doc in &docs {
        for r in &doc.removed {
            if shown < show {
                println!(
                    "{} | line {} | {} | {}",
                    doc.id,
                    r.line,
                    r.rule,
                    r.text.chars().take(140).collect::<String>()
                );
                shown += 1;
            }
        }
    }
}
