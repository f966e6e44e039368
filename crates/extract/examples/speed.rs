//! Measures extraction speed on a directory of `.txt` articles (first line = title), e.g. the
//! BBC news corpus. Run in release mode:
//!
//!     cargo run --release -p newsmill-extract --example speed -- DIR
//!
//! Prints documents, megabytes and MB/s on one core, timed in CPU seconds of the measuring thread
//! where the system reports them (Linux), so a busy machine does not distort the figure. With `--breakdown` it also times the
//! stage with one extractor at a time (quotes need entities, so "quotes" is entities + quotes),
//! which shows where the time goes on a busy machine better than absolute figures. With
//! `--repeat N` the whole stage runs N times and the median and best runs are reported (the
//! machine may be shared; the first run is included).

mod common;

use std::path::Path;
use std::time::Instant;

use newsmill_core::{Document, Tally};
use newsmill_extract::ExtractConfig;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let breakdown = args.iter().any(|a| a == "--breakdown");
    let repeat: usize = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1);
    let Some(dir) = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--repeat"))
        .map(|(_, a)| a)
    else {
        eprintln!("Usage: speed DIR [--breakdown] [--repeat N]");
        std::process::exit(2);
    };
    let paths = common::txt_files(Path::new(&dir));
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
    let clock = Clock::start();
    for mut doc in docs.iter().cloned() {
        newsmill_core::Stage::apply(&stage, &mut doc, &mut tally).expect("extract never fails");
    }
    let mut runs = vec![clock.seconds()];
    for _ in 1..repeat {
        let mut tally = Tally::default();
        let clock = Clock::start();
        for mut doc in docs.iter().cloned() {
            newsmill_core::Stage::apply(&stage, &mut doc, &mut tally).expect("extract never fails");
        }
        runs.push(clock.seconds());
    }
    let first = runs[0];
    runs.sort_by(f64::total_cmp);
    let secs = runs[runs.len() / 2];
    let whole = secs;
    let mb = bytes as f64 / 1e6;
    println!(
        "{} documents, {mb:.2} MB in {secs:.2} s: {:.2} MB/s on one core",
        docs.len(),
        mb / secs
    );
    if repeat > 1 {
        println!(
            "median of {repeat} runs; best {:.2} MB/s, first {:.2} MB/s",
            mb / runs[0],
            mb / first
        );
    }
    for (k, v) in &tally.0 {
        println!("{k}: {v}");
    }
    if breakdown {
        let none = ExtractConfig {
            metadata: false,
            entities: false,
            quotes: false,
            dates: false,
            quantities: false,
            ..ExtractConfig::default()
        };
        let parts = [
            ("nothing (tokens, sentences)", none.clone()),
            (
                "metadata",
                ExtractConfig {
                    metadata: true,
                    ..none.clone()
                },
            ),
            (
                "dates",
                ExtractConfig {
                    dates: true,
                    ..none.clone()
                },
            ),
            (
                "quantities",
                ExtractConfig {
                    quantities: true,
                    ..none.clone()
                },
            ),
            (
                "entities",
                ExtractConfig {
                    entities: true,
                    ..none.clone()
                },
            ),
            (
                "entities + quotes",
                ExtractConfig {
                    entities: true,
                    quotes: true,
                    ..none.clone()
                },
            ),
        ];
        for (name, cfg) in parts {
            let secs = time(&docs, cfg);
            println!(
                "{name}: {secs:.2} s ({:.0}% of the whole stage)",
                100.0 * secs / whole
            );
        }
    }
}

fn time(docs: &[Document], cfg: ExtractConfig) -> f64 {
    let mut tally = Tally::default();
    let clock = Clock::start();
    for mut doc in docs.iter().cloned() {
        newsmill_extract::extract_document(&cfg, &mut doc, &mut tally);
    }
    clock.seconds()
}

/// Seconds this thread spent on a CPU (Linux `/proc/thread-self/schedstat`), which other work
/// on a busy machine does not inflate; wall-clock time elsewhere.
struct Clock {
    wall: Instant,
    cpu: Option<f64>,
}

fn cpu_now() -> Option<f64> {
    common::thread_cpu_ns().map(|ns| ns as f64 / 1e9)
}

impl Clock {
    fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: cpu_now(),
        }
    }

    fn seconds(&self) -> f64 {
        match (self.cpu, cpu_now()) {
            (Some(a), Some(b)) => b - a,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}
