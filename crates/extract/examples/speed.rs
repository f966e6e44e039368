//! Measures extraction speed on a directory of `.txt` articles (first line = title), e.g. the
//! BBC news corpus. Run in release mode:
//!
//!     cargo run --release -p newsmill-extract --example speed -- DIR
//!
//! Prints documents, megabytes and MB/s on one core.

use std::path::{Path, PathBuf};
use std::time::Instant;

use newsmill_core::{Document, Tally};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("Cannot read directory {}.", dir.display());
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "txt") {
            out.push(p);
        }
    }
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("Usage: speed DIR");
        std::process::exit(2);
    };
    let mut paths = Vec::new();
    collect(Path::new(&dir), &mut paths);
    paths.sort();
    let docs: Vec<Document> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map(|raw| {
            let (title, text) = raw.split_once('\n').unwrap_or((raw.as_str(), ""));
            Document {
                title: Some(title.trim().to_string()),
                text: text.to_string(),
                ..Document::default()
            }
        })
        .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let stage = newsmill_extract::new(newsmill_extract::ExtractConfig::default()).expect("valid");
    let mut tally = Tally::default();
    let started = Instant::now();
    for mut doc in docs.iter().cloned() {
        newsmill_core::Stage::apply(&stage, &mut doc, &mut tally).expect("extract never fails");
    }
    let secs = started.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!(
        "{} documents, {mb:.2} MB in {secs:.2} s: {:.2} MB/s on one core",
        docs.len(),
        mb / secs
    );
    for (k, v) in &tally.0 {
        println!("{k}: {v}");
    }
}
