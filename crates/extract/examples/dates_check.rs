//! Lists the dates and amounts the stage finds in a directory of `.txt` articles (first line =
//! title), most frequent first, to review false positives by eye:
//!
//!     cargo run --release -p newsmill-extract --example dates_check -- DIR [dates|quantities] [N]
//!
//! Each line: count, kind, the text as printed (lower-cased month and weekday forms are the
//! usual suspects: "may", "march", "sunday times").

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use newsmill_core::{Document, Tally};
use newsmill_extract::{ExtractConfig, extract_document};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("Usage: dates_check DIR [dates|quantities] [N]");
        std::process::exit(2);
    };
    let what = args.get(1).map_or("dates", String::as_str);
    let top: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(200);
    let paths = common::txt_files(Path::new(dir));
    let cfg = ExtractConfig {
        metadata: false,
        entities: false,
        quotes: false,
        ..ExtractConfig::default()
    };
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in &paths {
        let Ok(raw) = std::fs::read_to_string(p) else {
            continue;
        };
        let (title, text) = raw.split_once('\n').unwrap_or((raw.as_str(), ""));
        let mut doc = Document {
            title: Some(title.to_string()),
            text: text.to_string(),
            published: Some("2005-03-15".to_string()),
            ..Document::default()
        };
        extract_document(&cfg, &mut doc, &mut Tally::default());
        if what == "dates" {
            for d in &doc.extracted.dates {
                let key = format!(
                    "{} {}",
                    d.resolution.as_str(),
                    if d.relative { "relative" } else { "absolute" }
                );
                *counts.entry((key, d.text.clone())).or_default() += 1;
            }
        } else {
            for q in &doc.extracted.quantities {
                let key = format!("{} {}", q.kind, q.unit);
                *counts.entry((key, q.text.clone())).or_default() += 1;
            }
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("{} articles", paths.len());
    for ((kind, text), n) in rows.into_iter().take(top) {
        println!("{n:6}  {kind:28}  {text}");
    }
}
