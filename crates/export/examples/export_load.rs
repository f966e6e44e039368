//! Load harness for the export writers: streams N documents built from the sample articles
//! through one export stage and prints the wall time and the process's peak memory, so the
//! formats can be compared and their memory shown not to grow with N.
//!
//!   cargo run --release -p newsmill-export --example export_load -- 50000 csv,xlsx
//!   cargo run --release -p newsmill-export --example export_load -- 50000 csv,xlsx 45000
//!
//! A third number makes it an incremental run: that many documents come first through
//! `write_earlier` (as stored by earlier runs), the rest through `write`, and both the
//! cumulative set and the `new` set are written.
//!
//! Each document is a sample article under a new id, with a few entities, mentions and quotes
//! taken from its capitalised words (a stand-in for extract's output, for volume only), and
//! every tenth one a marked duplicate of the one before it.

use std::time::Instant;

use newsmill_core::{
    BuildContext, ClusterKind, ClusterLink, Document, Entity, EntityKind, Mention, Quote, RunInfo,
    Stage,
};
use newsmill_export::{ExportConfig, ExportStage};

fn samples() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the samples in {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("a sample reads");
            let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
            (title.trim().to_string(), body.trim().to_string())
        })
        .collect()
}

fn document(seq: u64, sample: &(String, String)) -> Document {
    let id = format!("doc-{seq:08}");
    let mut doc = Document {
        seq,
        id: id.clone(),
        source: format!("load/{id}.txt"),
        title: Some(sample.0.clone()),
        published: Some(format!("2019-01-{:02}T08:00:00Z", seq % 28 + 1)),
        text: sample.1.clone(),
        ..Document::default()
    };
    let mut chars = 0;
    for word in doc.text.split_whitespace() {
        let len = word.chars().count();
        if word.chars().next().is_some_and(char::is_uppercase) && len > 3 {
            let entity = doc.extracted.entities.len();
            if entity < 25 {
                doc.extracted.entities.push(Entity {
                    kind: [EntityKind::PER, EntityKind::ORG, EntityKind::LOC][entity % 3],
                    name: word.to_string(),
                    canonical: word.to_string(),
                    mentions: 1,
                    first_start: chars,
                    titles: Vec::new(),
                });
            }
            doc.extracted.mentions.push(Mention {
                kind: EntityKind::PER,
                text: word.to_string(),
                start: chars,
                end: chars + len,
                entity: entity.min(24),
                title: None,
            });
        }
        chars += len + 1;
    }
    for sentence in doc.text.split(". ").take(5) {
        doc.extracted.quotes.push(Quote {
            quote: sentence.to_string(),
            speaker: doc
                .extracted
                .entities
                .first()
                .map(|e| e.canonical.clone())
                .unwrap_or_default(),
            ..Quote::default()
        });
    }
    if seq % 10 == 9 {
        let representative = format!("doc-{:08}", seq - 1);
        doc.links.push(ClusterLink {
            kind: ClusterKind::Duplicate,
            cluster: format!("dup:{representative}"),
            representative,
            representative_run: None,
            similarity: 0.9,
            containment: 0.95,
            shared_shingles: 400,
            passage: doc.text.chars().take(200).collect(),
        });
    }
    doc
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let formats = args.next().unwrap_or_else(|| "csv,jsonl".to_string());
    let formats: Vec<String> = formats.split(',').map(str::to_string).collect();
    let earlier: Option<u64> = args.next().and_then(|a| a.parse().ok());
    let config: ExportConfig = serde_json::from_value(serde_json::json!({ "formats": formats }))
        .unwrap_or_else(|e| panic!("bad formats: {e}"));
    let out = tempfile::tempdir_in(".").expect("a scratch directory here");
    let ctx = BuildContext {
        config_dir: out.path().to_path_buf(),
        state_run: earlier.map(|_| 2),
        ..BuildContext::default()
    };
    let samples = samples();
    let mut stage = ExportStage::new(config, &ctx).expect("the stage builds");
    let started = Instant::now();
    let mut text_bytes = 0u64;
    for seq in 0..count {
        let doc = document(seq, &samples[(seq as usize) % samples.len()]);
        text_bytes += doc.text.len() as u64;
        if seq < earlier.unwrap_or(0) {
            stage.write_earlier(&doc).expect("write_earlier");
        } else {
            stage.write(&doc).expect("write");
        }
    }
    let written = started.elapsed().as_secs_f64();
    let outputs = stage
        .finish(&RunInfo {
            documents: count,
            ..RunInfo::default()
        })
        .expect("finish");
    let staged: Vec<_> = outputs.iter().filter_map(|o| o.staged.as_ref()).collect();
    newsmill_core::publish(staged).expect("publish");
    let total = started.elapsed().as_secs_f64();
    let bytes: u64 = outputs.iter().map(|o| o.bytes).sum();
    println!(
        "formats={} documents={count} earlier={} text_mb={:.1} write_s={written:.2} finish_s={:.2} total_s={total:.2} docs_per_s={:.0} output_mb={:.1} peak_rss_mib={:.1}",
        formats.join(","),
        earlier.unwrap_or(0),
        text_bytes as f64 / 1e6,
        total - written,
        count as f64 / total,
        bytes as f64 / 1e6,
        peak_rss_mib()
    );
}
