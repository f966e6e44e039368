//! Reads every input under the given paths and prints counts and timing:
//! `cargo run --release -p newsmill-ingest --example read_corpus -- DIR...`

use std::collections::BTreeMap;
use std::time::Instant;

use newsmill_ingest::{InputConfig, Record, list_inputs, read_input};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let cfg = InputConfig {
        paths,
        ..Default::default()
    };
    let start = Instant::now();
    let (files, mut rejections) =
        list_inputs(&cfg, &std::env::current_dir().expect("a working directory"));
    let listed = start.elapsed();
    let (mut documents, mut bytes, mut chars) = (0u64, 0u64, 0usize);
    let mut encodings = BTreeMap::new();
    for file in &files {
        bytes += file.bytes;
        for record in read_input(file, &cfg) {
            match record {
                Record::Document(d) => {
                    documents += 1;
                    chars += d.text.len();
                    *encodings
                        .entry(format!("{} ({})", d.decoding.encoding, d.decoding.how))
                        .or_insert(0u64) += 1;
                }
                Record::Rejected(r) => rejections.push(r),
            }
        }
    }
    let total = start.elapsed();
    println!(
        "files {} ({} bytes), listed in {:.3}s",
        files.len(),
        bytes,
        listed.as_secs_f64()
    );
    println!(
        "documents {documents} ({chars} bytes of text), rejected {}",
        rejections.len()
    );
    println!("encodings {encodings:?}");
    for r in rejections.iter().take(10) {
        println!(
            "rejected {} {} {}: {}",
            r.source, r.position, r.reason, r.detail
        );
    }
    println!(
        "total {:.3}s, {:.1} MB/s",
        total.as_secs_f64(),
        bytes as f64 / 1e6 / total.as_secs_f64()
    );
}
