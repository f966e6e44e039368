//! What the dedupe examples share: reading a benchmark corpus.

use std::io::{BufRead, BufReader};

use newsmill_core::Document;

/// A JSON Lines corpus (`id`, `published`, `title`, `text` per line) as documents numbered in
/// file order.
pub fn read_corpus(path: &str) -> Result<Vec<Document>, Box<dyn std::error::Error>> {
    let mut docs = Vec::new();
    for (seq, line) in BufReader::new(std::fs::File::open(path)?)
        .lines()
        .enumerate()
    {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let field = |k: &str| record.get(k).and_then(|v| v.as_str()).map(str::to_string);
        docs.push(Document {
            seq: seq as u64,
            id: field("id").unwrap_or_default(),
            published: field("published"),
            title: field("title"),
            text: field("text").unwrap_or_default(),
            ..Document::default()
        });
    }
    Ok(docs)
}
