//! The built-in entity tagger on the seed articles and on small CoNLL-formatted data.

use std::io::Write;

use newsmill_core::EntityKind;
use newsmill_extract::ner::tokenize;
use newsmill_extract::{NerModel, TrainOptions, evaluate, train};

const SEED_000: &str = include_str!("../../../samples/000_d3f30cc8e01184eb.txt");

fn tagged(text: &str) -> Vec<(String, EntityKind)> {
    NerModel::builtin()
        .tag_text(text)
        .into_iter()
        .map(|s| (text[s.start..s.end].to_string(), s.kind))
        .collect()
}

#[test]
fn builtin_model_tags_the_four_kinds_in_a_seed() {
    let found = tagged(SEED_000);
    for (name, kind) in [
        ("Sergei Ryabkov", EntityKind::PER),
        ("Moscow", EntityKind::LOC),
        ("CNN", EntityKind::ORG),
        ("Russian", EntityKind::MISC),
    ] {
        assert!(
            found.iter().any(|(n, k)| n == name && *k == kind),
            "{name} as {kind:?} in {found:?}"
        );
    }
    // Titles are not part of the name (CoNLL convention).
    assert!(
        !found.iter().any(|(n, _)| n.contains("Minister")),
        "{found:?}"
    );
}

#[test]
fn spans_are_exact_byte_ranges_on_char_boundaries() {
    for text in [
        SEED_000,
        "Zürich’s “Ünal” met Ngozi Okonjo-Iweala in São Paulo — fine.",
    ] {
        let toks = tokenize(text);
        for s in NerModel::builtin().tag_text(text) {
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            assert!(toks.iter().any(|t| t.0 == s.start));
            assert!(toks.iter().any(|t| t.1 == s.end));
        }
    }
}

#[test]
fn training_on_a_small_file_gives_a_loadable_model_that_learns_it() {
    // Eight sentences derived from the seed articles, in CoNLL-2003 format.
    let sentences: &[&[(&str, &str)]] = &[
        &[
            ("Sergei", "I-PER"),
            ("Ryabkov", "I-PER"),
            ("said", "O"),
            ("on", "O"),
            ("Friday", "O"),
            (".", "O"),
        ],
        &[
            ("Moscow", "I-LOC"),
            ("and", "O"),
            ("Tehran", "I-LOC"),
            ("disagree", "O"),
            (".", "O"),
        ],
        &[("CNN", "I-ORG"), ("reported", "O"), ("it", "O"), (".", "O")],
        &[
            ("The", "O"),
            ("Russian", "I-MISC"),
            ("envoy", "O"),
            ("left", "O"),
            (".", "O"),
        ],
        &[
            ("Benjamin", "I-PER"),
            ("Netanyahu", "I-PER"),
            ("met", "O"),
            ("Vladimir", "I-PER"),
            ("Putin", "I-PER"),
            (".", "O"),
        ],
        &[
            ("Israel", "I-LOC"),
            ("struck", "O"),
            ("Syria", "I-LOC"),
            (".", "O"),
        ],
        &[
            ("The", "O"),
            ("Pentagon", "I-ORG"),
            ("said", "O"),
            ("so", "O"),
            (".", "O"),
        ],
        &[
            ("Iranian", "I-MISC"),
            ("forces", "O"),
            ("stayed", "O"),
            (".", "O"),
        ],
    ];
    let dir = std::env::temp_dir().join(format!("newsmill-ner-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let conll = dir.join("small.conll");
    let mut f = std::fs::File::create(&conll).expect("create");
    writeln!(f, "-DOCSTART- -X- O O\n").expect("write");
    for s in sentences {
        for (w, t) in s.iter() {
            writeln!(f, "{w} X X {t}").expect("write");
        }
        writeln!(f).expect("write");
    }
    drop(f);
    let out = dir.join("small.model");
    let opts = TrainOptions {
        epochs: 8,
        prune: 0.0,
        ..TrainOptions::default()
    };
    let report = train(&conll, &out, &opts).expect("trains");
    assert_eq!(report.sentences, sentences.len());
    let model = NerModel::load(&out).expect("loads");
    let eval = evaluate(&model, &conll).expect("evaluates");
    assert!(eval.overall.f1() > 99.0, "{eval}");
    assert!(
        NerModel::load(&conll).is_err(),
        "a text file is not a model"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn entities_of(raw: &str) -> Vec<(EntityKind, String)> {
    let raw = raw.trim_start();
    let (title, text) = raw.split_once('\n').unwrap_or((raw, ""));
    let mut doc = newsmill_core::Document {
        title: Some(title.trim().to_string()),
        text: text.to_string(),
        ..newsmill_core::Document::default()
    };
    let stage = newsmill_extract::new(newsmill_extract::ExtractConfig::default()).expect("valid");
    let mut tally = newsmill_core::Tally::default();
    newsmill_core::Stage::apply(&stage, &mut doc, &mut tally).expect("never fails");
    doc.extracted
        .entities
        .iter()
        .map(|e| (e.kind, e.name.clone()))
        .collect()
}

#[test]
fn the_stage_keeps_full_names_and_drops_titles_and_dates() {
    let e0 = entities_of(SEED_000);
    let e1 = entities_of(include_str!("../../../samples/001_e6fc3a51efc8f4de.txt"));
    let e2 = entities_of(include_str!("../../../samples/002_438689cf3929fe33.txt"));
    let e4 = entities_of(include_str!("../../../samples/004_66e42796693d4503.txt"));
    // Multi-word names the rule-based finder cut short.
    assert!(
        e0.contains(&(EntityKind::PER, "Amos Ben Gershom".into())),
        "{e0:?}"
    );
    assert!(
        e1.contains(&(EntityKind::PER, "Batya Jerenberg".into())),
        "{e1:?}"
    );
    assert!(
        e1.contains(&(EntityKind::ORG, "World Israel News".into())),
        "{e1:?}"
    );
    // A title printed before a name is never an entity of its own; nor is a month.
    for list in [&e0, &e1, &e2, &e4] {
        for (_, name) in list.iter() {
            assert!(
                ![
                    "National",
                    "Staff",
                    "National Security Adviser",
                    "January",
                    "Friday"
                ]
                .contains(&name.as_str()),
                "{name} in {list:?}"
            );
        }
    }
}

#[test]
fn tags_do_not_depend_on_what_the_thread_tagged_before() {
    // The tagger keeps per-thread caches of word features; a fresh thread starts empty.
    let seeds = [
        include_str!("../../../samples/000_d3f30cc8e01184eb.txt"),
        include_str!("../../../samples/001_e6fc3a51efc8f4de.txt"),
        include_str!("../../../samples/002_438689cf3929fe33.txt"),
        include_str!("../../../samples/003_3ccf4f1fb7630145.txt"),
        include_str!("../../../samples/004_66e42796693d4503.txt"),
    ];
    let cold: Vec<_> = seeds
        .iter()
        .map(|text| {
            let text = text.to_string();
            std::thread::spawn(move || NerModel::builtin().tag_text(&text))
                .join()
                .expect("tagging never panics")
        })
        .collect();
    for _ in 0..2 {
        for (text, expected) in seeds.iter().zip(&cold).rev() {
            assert_eq!(&NerModel::builtin().tag_text(text), expected);
        }
    }
}

#[test]
fn a_sentence_without_capitals_but_a_common_opening_word_has_no_names() {
    let text = "George Best won. Best led the race with ten nominations.\n\
                He said the talks would go on.\nUS officials said nothing.";
    let found = tagged(text);
    // "Best" (a common word) opens a sentence without other capitals, but the text prints it
    // inside one, so that sentence is still tagged.
    assert_eq!(
        found.iter().filter(|(n, _)| n == "Best").count(),
        1,
        "{found:?}"
    );
    assert!(found.iter().any(|(n, _)| n == "US"), "{found:?}");
    assert!(!found.iter().any(|(n, _)| n == "He"), "{found:?}");
}
