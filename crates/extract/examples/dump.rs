//! Prints what `extract` finds in article files (first line = title), as JSON.
//!
//! Usage: cargo run -p newsmill-extract --example dump -- FILE...

use newsmill_core::{Document, Tally};

fn main() {
    let stage = newsmill_extract::new(newsmill_extract::ExtractConfig::default())
        .expect("default config is valid");
    for path in std::env::args().skip(1) {
        let raw = match std::fs::read_to_string(&path) {
            Ok(raw) => raw,
            Err(e) => {
                eprintln!("Cannot read {path}: {e}");
                continue;
            }
        };
        let (title, text) = raw.split_once('\n').unwrap_or((raw.as_str(), ""));
        let mut doc = Document {
            id: path.clone(),
            title: Some(title.trim().to_string()),
            text: text.to_string(),
            ..Document::default()
        };
        let mut tally = Tally::default();
        newsmill_core::Stage::apply(&stage, &mut doc, &mut tally).expect("extract never fails");
        let out = serde_json::json!({"id": doc.id, "title": doc.title, "meta": doc.meta, "extracted": doc.extracted});
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
}
