//! Documents built by hand from the seed articles, shaped as the earlier stages leave them.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use newsmill_core::*;
use newsmill_export::{ExportConfig, ExportStage, Format};

pub const SEED_RUSSIA_CNN: &str = include_str!("../../../../samples/000_d3f30cc8e01184eb.txt");
pub const SEED_WIN: &str = include_str!("../../../../samples/001_e6fc3a51efc8f4de.txt");
pub const SEED_VOA: &str = include_str!("../../../../samples/002_438689cf3929fe33.txt");
pub const SEED_LAVROV: &str = include_str!("../../../../samples/003_3ccf4f1fb7630145.txt");
pub const SEED_JTA: &str = include_str!("../../../../samples/004_66e42796693d4503.txt");

/// Headline (first line) and body of a seed.
pub fn split(seed: &str) -> (String, String) {
    let (title, body) = seed.split_once('\n').unwrap_or((seed, ""));
    (title.trim().to_string(), body.trim().to_string())
}

/// Character span of the first occurrence of `needle` in `text`.
pub fn span(text: &str, needle: &str) -> (usize, usize) {
    let byte = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    let offsets = CharOffsets::new(text);
    (offsets.char_at(byte), offsets.char_at(byte + needle.len()))
}

fn base(seq: u64, file: &str, seed: &str) -> Document {
    let (title, text) = split(seed);
    Document {
        seq,
        id: file.to_string(),
        source: format!("samples/{file}"),
        title: Some(title),
        text,
        decoding: Decoding {
            encoding: "UTF-8".into(),
            how: "utf-8".into(),
            replaced: 0,
        },
        meta: Metadata {
            language: Some("en".into()),
            ..Metadata::default()
        },
        ..Document::default()
    }
}

/// The CNN interview story: entities, mentions, a quote full of commas, removed caption lines.
pub fn russia_cnn() -> Document {
    let mut doc = base(0, "000_d3f30cc8e01184eb.txt", SEED_RUSSIA_CNN);
    // This scrape starts with a desk note; cleaning removed it (see `removed` below), so the
    // headline is the next line.
    let (title, text) = split(&doc.text);
    doc.title = Some(title);
    doc.text = text;
    let quote = "We in no way underestimate the importance of measures that would ensure very strong security of the State of Israel. The Israelis know this, the U.S. knows this, everyone else, including the Iranians, the Turks, the government in Damascus. This is one of the top priorities of Russia,";
    let (qs, qe) = span(&doc.text, quote);
    let (ms, me) = span(&doc.text, "Sergei Ryabkov");
    let (ls, le) = span(&doc.text, "Moscow");
    doc.extracted = Extracted {
        entities: vec![
            Entity {
                kind: EntityKind::PER,
                name: "Sergei Ryabkov".into(),
                canonical: "Sergei Ryabkov".into(),
                mentions: 3,
                first_start: ms,
                titles: vec![
                    "Russian Deputy Foreign Minister".into(),
                    "deputy foreign minister".into(),
                ],
            },
            Entity {
                kind: EntityKind::LOC,
                name: "Moscow".into(),
                canonical: "Moscow".into(),
                mentions: 2,
                first_start: ls,
                titles: vec![],
            },
        ],
        mentions: vec![
            Mention {
                kind: EntityKind::PER,
                text: "Sergei Ryabkov".into(),
                start: ms,
                end: me,
                entity: 0,
                title: Some("Russian Deputy Foreign Minister".into()),
            },
            Mention {
                kind: EntityKind::LOC,
                text: "Moscow".into(),
                start: ls,
                end: le,
                entity: 1,
                title: None,
            },
            // An index past the entity list must not break the row.
            Mention {
                kind: EntityKind::MISC,
                text: "CNN".into(),
                start: 0,
                end: 3,
                entity: 99,
                title: None,
            },
        ],
        quotes: vec![Quote {
            quote: quote.into(),
            speaker: "Sergei Ryabkov".into(),
            speaker_title: Some("Russian Deputy Foreign Minister".into()),
            speaker_mention: Some("Sergei Ryabkov".into()),
            cue: Some("told".into()),
            start: qs - 1,
            end: qe + 1,
        }],
        dates: vec![DateMention {
            text: "May 9, 2018".into(),
            value: "2018-05-09".into(),
            resolution: DateResolution::Day,
            relative: false,
            start: span(&doc.text, "May 9, 2018").0,
            end: span(&doc.text, "May 9, 2018").1,
        }],
        quantities: vec![],
    };
    let caption = "Israeli Prime Minister Benjamin Netanyahu, left, and Russian President Vladimir Putin seen during a wreath-laying ceremony at the Tomb of the Unknown Soldier in Moscow, on May 9, 2018. Credit: Amos Ben Gershom/GPO.";
    doc.removed = vec![
        RemovedLine {
            line: 1,
            text: "update desk".into(),
            rule: "phrase:desk-note".into(),
            kept_as: None,
        },
        RemovedLine {
            line: 7,
            text: caption.into(),
            rule: "repeat-in-article".into(),
            kept_as: None,
        },
        RemovedLine {
            line: 8,
            text: caption.into(),
            rule: "caption".into(),
            kept_as: Some("credit".into()),
        },
    ];
    doc.meta.credits = vec!["Amos Ben Gershom/GPO".into()];
    doc.meta.captions = vec![caption.into()];
    doc.links = vec![story_link(
        "story:000_d3f30cc8e01184eb.txt",
        "000_d3f30cc8e01184eb.txt",
        1.0,
    )];
    doc
}

/// The World Israel News piece: byline, authors, a hostile removed line and title.
pub fn world_israel_news() -> Document {
    let mut doc = base(1, "001_e6fc3a51efc8f4de.txt", SEED_WIN);
    doc.url = Some("https://worldisraelnews.com/russia-gives-clear-statement".into());
    doc.site = Some("worldisraelnews.com".into());
    doc.published = Some("2019-01-29".into());
    doc.meta.byline = Some("By Batya Jerenberg, World Israel News".into());
    doc.meta.authors = vec!["Batya Jerenberg".into()];
    doc.meta.outlet = Some("World Israel News".into());
    // Scraped pages do carry text like this; a spreadsheet must show it, not run it.
    doc.title = Some("=SUM(A1:A9) Russia gives clear statement of support".into());
    doc.removed = vec![RemovedLine {
        line: 40,
        text: "@cmd|' /C calc'!A0 Follow us on Twitter".into(),
        rule: "phrase:social-follow".into(),
        kept_as: None,
    }];
    doc.links = vec![story_link(
        "story:000_d3f30cc8e01184eb.txt",
        "000_d3f30cc8e01184eb.txt",
        0.2134,
    )];
    doc
}

/// The VOA piece, representative of a duplicate cluster.
pub fn voa() -> Document {
    let mut doc = base(2, "002_438689cf3929fe33.txt", SEED_VOA);
    doc.links = vec![dup_link(
        "002_438689cf3929fe33.txt",
        1.0,
        1.0,
        "Ryabkov's denial of Russia's alliance",
    )];
    doc
}

/// A re-scrape of the VOA piece that dedupe dropped.
pub fn voa_copy() -> Document {
    let mut doc = base(3, "voa-rescrape.txt", SEED_VOA);
    doc.links = vec![dup_link(
        "002_438689cf3929fe33.txt",
        0.876_543_21,
        0.912_345,
        "\"I wouldn't use this type of words to describe where we are with Iran,\"\nadding that",
    )];
    doc.status = Status::Dropped {
        stage: "dedupe".into(),
        reason: "duplicate".into(),
    };
    doc
}

/// The Lavrov piece, failed in a stage.
pub fn lavrov_failed() -> Document {
    let mut doc = base(4, "003_3ccf4f1fb7630145.txt", SEED_LAVROV);
    doc.status = Status::Failed {
        stage: "extract".into(),
        error: "quote offsets out of range, at 4,096".into(),
    };
    doc
}

/// The JTA piece, live, with amounts and a dateline.
pub fn jta() -> Document {
    let mut doc = base(5, "004_66e42796693d4503.txt", SEED_JTA);
    doc.meta.dateline = Some(Dateline {
        place: "JERUSALEM".into(),
        agency: Some("JTA".into()),
        text: "JERUSALEM (JTA) —".into(),
    });
    let (s, e) = span(&doc.text, "some 60 miles");
    doc.extracted.quantities = vec![Quantity {
        text: "60 miles".into(),
        number: 60.0,
        unit: "mile".into(),
        kind: "distance".into(),
        normalized: Some(60.0 * 1.609344),
        normalized_unit: Some("km".into()),
        qualifier: Some("some".into()),
        start: s + 5,
        end: e,
    }];
    doc
}

/// A page filtered out by cleaning.
pub fn too_short() -> Document {
    Document {
        seq: 6,
        id: "feeds.jsonl#7".into(),
        source: "feeds.jsonl".into(),
        position: "line 7".into(),
        text: "Accessibility links\n\nBreaking News".into(),
        status: Status::Dropped {
            stage: "clean".into(),
            reason: "too-short".into(),
        },
        ..Document::default()
    }
}

fn dup_link(rep: &str, similarity: f64, containment: f64, passage: &str) -> ClusterLink {
    ClusterLink {
        kind: ClusterKind::Duplicate,
        cluster: format!("dup:{rep}"),
        representative: rep.into(),
        representative_run: None,
        similarity,
        containment,
        shared_shingles: 512,
        passage: passage.into(),
    }
}

fn story_link(cluster: &str, rep: &str, similarity: f64) -> ClusterLink {
    ClusterLink {
        kind: ClusterKind::Story,
        cluster: cluster.into(),
        representative: rep.into(),
        representative_run: None,
        similarity,
        containment: similarity,
        shared_shingles: 14,
        passage: "very strong security of the State of Israel".into(),
    }
}

pub fn corpus() -> Vec<Document> {
    vec![
        russia_cnn(),
        world_israel_news(),
        voa(),
        voa_copy(),
        lavrov_failed(),
        jta(),
        too_short(),
    ]
}

pub fn run_info() -> RunInfo {
    RunInfo {
        version: "0.1.0".into(),
        config_digest: "ab".repeat(32),
        config_path: "pipeline.toml".into(),
        started: "2019-01-30T06:00:00Z".into(),
        threads: 2,
        documents: 7,
        rejections: vec![
            Rejection {
                source: "feeds.jsonl".into(),
                position: "line 12".into(),
                reason: "malformed-json".into(),
                detail: "expected `,` or `}` at column 80".into(),
            },
            Rejection {
                source: "empty.txt".into(),
                position: String::new(),
                reason: "empty".into(),
                detail: "the file has no text".into(),
            },
        ],
        ..RunInfo::default()
    }
}

/// Publishes what `finish` staged, as the driver does once the run is committed.
pub fn publish(outputs: &[OutputFile]) {
    let staged: Vec<&Staged> = outputs
        .iter()
        .map(|o| o.staged.as_ref().expect("every output is staged"))
        .collect();
    newsmill_core::publish(staged).expect("publish");
}

/// Finishes a stage and publishes its outputs.
pub fn finish(stage: &mut ExportStage, run: &RunInfo) -> Vec<OutputFile> {
    let outputs = stage.finish(run).expect("finish");
    publish(&outputs);
    outputs
}

/// Runs an export stage over `docs` into `dir`, publishes, and returns what `finish` returned.
pub fn export(cfg: ExportConfig, dir: &Path, docs: &[Document]) -> Vec<OutputFile> {
    let ctx = BuildContext {
        config_dir: dir.to_path_buf(),
        out_override: None,
        ..BuildContext::default()
    };
    let mut stage = ExportStage::new(cfg, &ctx).expect("stage builds");
    assert!(stage.is_sink());
    for doc in docs {
        let mut copy = doc.clone();
        assert_eq!(
            stage
                .apply(&mut copy, &mut Tally::default())
                .expect("apply"),
            Verdict::Keep
        );
        assert_eq!(&copy, doc, "apply must not change documents");
        stage.write(doc).expect("write");
    }
    finish(&mut stage, &run_info())
}

/// All records of a CSV file (header first).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("csv opens");
    reader
        .records()
        .map(|r| {
            r.expect("valid record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Rows as header-keyed lookups.
pub fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let index = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[index].clone()).collect()
}

/// The run as the driver reports it for the corpus: clean removed lines by rule, dedupe
/// dropped the copy, extract failed on one document.
pub fn reported_run() -> RunInfo {
    let stage = |index: usize,
                 kind: &str,
                 input: u64,
                 dropped: &[(&str, u64)],
                 counters: &[(&str, u64)]| {
        let dropped: BTreeMap<String, u64> =
            dropped.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let errors = if kind == "extract" { 1 } else { 0 };
        StageReport {
            index,
            kind: kind.into(),
            input,
            kept: input - dropped.values().sum::<u64>() - errors,
            dropped,
            errors,
            counters: counters.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            apply_seconds: 0.25,
            ..StageReport::default()
        }
    };
    RunInfo {
        stages: vec![
            stage(
                1,
                "clean",
                7,
                &[("too-short", 1)],
                &[
                    ("removed:phrase:desk-note", 1),
                    ("removed:repeat-in-article", 1),
                    ("removed:caption", 1),
                    ("removed:phrase:social-follow", 1),
                    ("lines-rejoined", 12),
                ],
            ),
            stage(2, "dedupe", 6, &[("duplicate", 1)], &[]),
            stage(3, "extract", 5, &[], &[]),
            stage(4, "export", 4, &[], &[]),
        ],
        inputs: vec![newsmill_core::InputInfo {
            path: "samples".into(),
            bytes: 20_000,
            documents: 7,
            rejected: 2,
        }],
        ..run_info()
    }
}

/// Writes the report for the seed corpus into `dir/out` and returns its path.
pub fn write_report(dir: &Path) -> PathBuf {
    let ctx = BuildContext {
        config_dir: dir.to_path_buf(),
        ..BuildContext::default()
    };
    let cfg = ExportConfig {
        formats: vec![Format::Report],
        ..ExportConfig::default()
    };
    let mut stage = ExportStage::new(cfg, &ctx).unwrap();
    for doc in corpus() {
        stage.write(&doc).unwrap();
    }
    let outputs = finish(&mut stage, &reported_run());
    assert!(outputs.iter().any(|o| o.path.ends_with("report.html")));
    dir.join("out/report.html")
}

/// An export writing every format the default build has.
pub fn every_format() -> ExportConfig {
    ExportConfig {
        formats: vec![
            Format::Csv,
            Format::Jsonl,
            Format::Xlsx,
            Format::Sqlite,
            Format::Report,
        ],
        ..ExportConfig::default()
    }
}
