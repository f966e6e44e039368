//! Drives the dedupe stage by hand the way the driver does: observers per round over groups
//! of documents, merged, decided, then applied.

use newsmill_core::{ClusterKind, Document, Observer, Stage, Tally, Verdict};
use newsmill_dedupe::text::{Scratch, intersection, shingle_set};
use newsmill_dedupe::{Action, DedupeConfig, DedupeStage};

mod common;
use common::{SEEDS, doc};

/// How observers are grouped and merged, as different thread counts would.
#[derive(Clone, Copy)]
enum Grouping {
    OneObserverPerDoc,
    ChunksMergedBackwards(usize),
}

fn observe(
    stage: &DedupeStage,
    round: usize,
    docs: &[Document],
    grouping: Grouping,
) -> Box<dyn Observer> {
    let chunk = match grouping {
        Grouping::OneObserverPerDoc => 1,
        Grouping::ChunksMergedBackwards(n) => n,
    };
    let mut observers: Vec<Box<dyn Observer>> = docs
        .chunks(chunk)
        .map(|chunk| {
            let mut o = stage.new_observer(round);
            for d in chunk {
                o.observe(d);
            }
            o
        })
        .collect();
    if let Grouping::ChunksMergedBackwards(_) = grouping {
        observers.reverse();
    }
    let mut merged = stage.new_observer(round);
    for o in observers {
        merged.merge(o);
    }
    merged
}

struct Run {
    docs: Vec<Document>,
    verdicts: Vec<Verdict>,
    tally: Tally,
}

fn run_with(cfg: DedupeConfig, docs: &[Document], grouping: Grouping) -> Run {
    let mut stage = DedupeStage::new(cfg).expect("valid config");
    assert_eq!(stage.kind(), "dedupe");
    let mut tally = Tally::default();
    for round in 0..stage.observation_rounds() {
        let merged = observe(&stage, round, docs, grouping);
        tally.merge(&stage.decide(round, merged).expect("decide"));
    }
    let mut docs = docs.to_vec();
    let verdicts = docs
        .iter_mut()
        .map(|d| stage.apply(d, &mut tally).expect("apply"))
        .collect();
    Run {
        docs,
        verdicts,
        tally,
    }
}

fn run(docs: &[Document]) -> Run {
    run_with(
        DedupeConfig::default(),
        docs,
        Grouping::ChunksMergedBackwards(2),
    )
}

fn dup_cluster(d: &Document) -> Option<&str> {
    d.links
        .iter()
        .find(|l| l.kind == ClusterKind::Duplicate)
        .map(|l| l.cluster.as_str())
}

fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn jaccard(a: &str, b: &str) -> f64 {
    let set = |t: &str| {
        let mut s = Scratch::default();
        s.tokenize(t, 1, None);
        s.shingle(DedupeConfig::default().shingle_size, 2);
        shingle_set(&s.shingles)
    };
    let (a, b) = (set(a), set(b));
    let shared = intersection(&a, &b);
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Realistic copy edits: boilerplate lines, straight quotes, non-breaking spaces, a copy
/// editor's substitutions, a truncation.
fn variants(text: &str) -> Vec<String> {
    let paras = paragraphs(text);
    let keep = (paras.len() * 7).div_ceil(10);
    let substituted: String = text
        .split(' ')
        .enumerate()
        .map(|(i, w)| if i % 25 == 7 { "company" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    vec![
        format!(
            "Skip to main content\nListen to this article · 4 min\n\n{text}\n\nShare this article\nSubscribe to our newsletter for the latest news.\nCopyright 2019. All rights reserved."
        ),
        text.replace(['’', '‘'], "'")
            .replace(['“', '”'], "\"")
            .replacen(' ', "\u{a0}", 40),
        substituted,
        paras[..keep].join("\n\n"),
    ]
}

#[test]
fn the_five_seeds_are_not_duplicates() {
    let docs: Vec<Document> = SEEDS
        .iter()
        .enumerate()
        .map(|(i, t)| doc(i as u64, &format!("{i:03}"), None, t))
        .collect();
    let out = run(&docs);
    for d in &out.docs {
        assert_eq!(dup_cluster(d), None, "{} was linked: {:?}", d.id, d.links);
    }
    assert_eq!(out.tally.0.get("clusters"), None);
    assert!(out.verdicts.iter().all(|v| *v == Verdict::Keep));
}

#[test]
fn story_clusters_never_join_the_unrelated_seeds_to_the_ryabkov_articles() {
    let docs: Vec<Document> = SEEDS
        .iter()
        .enumerate()
        .map(|(i, t)| doc(i as u64, &format!("{i:03}"), None, t))
        .collect();
    let out = run(&docs);
    let story = |d: &Document| {
        d.links
            .iter()
            .find(|l| l.kind == ClusterKind::Story)
            .map(|l| l.cluster.clone())
    };
    let ryabkov: Vec<Option<String>> = out.docs[..3].iter().map(story).collect();
    for d in &out.docs[3..] {
        if let Some(cluster) = story(d) {
            assert!(
                !ryabkov.contains(&Some(cluster.clone())),
                "{} joined {cluster}",
                d.id
            );
        }
    }
    for d in &out.docs {
        for l in &d.links {
            assert!(l.passage.chars().count() <= 300);
        }
    }
}

#[test]
fn the_three_ryabkov_articles_form_one_story_and_the_others_none() {
    let docs: Vec<Document> = SEEDS
        .iter()
        .enumerate()
        .map(|(i, t)| doc(i as u64, &format!("{i:03}"), None, t))
        .collect();
    let out = run(&docs);
    let story = |d: &Document| {
        d.links
            .iter()
            .find(|l| l.kind == ClusterKind::Story)
            .cloned()
    };
    let links: Vec<_> = out.docs.iter().map(story).collect();
    let cluster = links[0]
        .as_ref()
        .expect("000 is in a story")
        .cluster
        .clone();
    for (i, link) in links[..3].iter().enumerate() {
        let link = link
            .as_ref()
            .unwrap_or_else(|| panic!("00{i} has no story link"));
        assert_eq!(link.cluster, cluster);
        assert!(link.shared_shingles > 0 && link.similarity > 0.0);
        // The evidence passage is words this article shares with the representative.
        let probe: String = link
            .passage
            .trim_end_matches('…')
            .chars()
            .take(30)
            .collect();
        assert!(out.docs[i].text.contains(&probe), "{probe:?}");
    }
    assert!(
        links[3].is_none() && links[4].is_none(),
        "{:?}",
        &links[3..]
    );
    assert_eq!(out.tally.0["story-clusters"], 1);
    assert_eq!(out.tally.0["story-members"], 2);
    // 001 shares only two quoted passages of eight words with the others: its passage is one of them.
    let passage = &links[1].as_ref().unwrap().passage;
    assert!(
        [
            "very strong security of the State of Israel",
            "is one of the top priorities of Russia"
        ]
        .iter()
        .any(|p| passage.contains(p)),
        "{passage:?}"
    );
}

#[test]
fn a_shared_stock_phrase_is_not_a_story() {
    // Two unrelated articles that both end with the same unquoted eleven-word stock sentence.
    let stock = "The ministry did not immediately respond to a request for comment on Monday.";
    let a = format!("{}\n\n{stock}", SEEDS[3]);
    let b = format!("{}\n\n{stock}", SEEDS[4]);
    let out = run(&[doc(0, "a", None, &a), doc(1, "b", None, &b)]);
    assert!(
        out.docs.iter().all(|d| d.links.is_empty()),
        "{:?}",
        out.docs[1].links
    );
}

#[test]
fn near_duplicates_with_light_edits_join_their_original() {
    let mut docs = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        docs.push(doc(
            docs.len() as u64,
            &format!("seed{i}"),
            Some("2019-01-25T10:00:00Z"),
            seed,
        ));
        for (k, v) in variants(seed).into_iter().enumerate() {
            let published = format!("2019-01-2{}T10:00:00Z", 6 + k);
            docs.push(doc(
                docs.len() as u64,
                &format!("seed{i}-copy{k}"),
                Some(&published),
                &v,
            ));
        }
    }
    let out = run(&docs);
    for d in &out.docs {
        let base = d.id.split('-').next().unwrap();
        assert_eq!(
            dup_cluster(d),
            Some(format!("dup:{base}").as_str()),
            "{}: {:?}",
            d.id,
            d.links
        );
        let link = &d.links[0];
        assert_eq!(link.representative, base);
        if d.id == base {
            assert_eq!(link.similarity, 1.0);
        } else {
            assert!(link.similarity < 1.0 && link.similarity >= 0.35 || link.containment >= 0.7);
            assert!(link.shared_shingles > 0);
            assert!(
                !link.passage.is_empty() && link.passage.chars().count() <= 300,
                "{:?}",
                link.passage
            );
            // The evidence passage is this document's own text.
            let probe: String = link
                .passage
                .trim_end_matches('…')
                .chars()
                .take(40)
                .collect();
            assert!(d.text.contains(&probe), "{probe:?}");
        }
    }
    assert_eq!(out.tally.0["clusters"], 5);
    assert_eq!(out.tally.0["duplicates"], 20);
}

#[test]
fn exact_duplicates_differing_only_in_case_and_spacing_are_linked() {
    let seed = SEEDS[3];
    let shouted = seed.to_uppercase().replace("\n\n", "\n");
    let docs = vec![
        doc(0, "b", None, seed),
        doc(1, "a", None, seed),
        doc(2, "c", None, &shouted),
    ];
    let out = run(&docs);
    assert_eq!(out.tally.0["exact-duplicates"], 2);
    // Same date (none) and same length: the smallest id is kept.
    for d in &out.docs {
        assert_eq!(dup_cluster(d), Some("dup:a"));
        assert_eq!(d.links[0].similarity, 1.0);
    }
}

#[test]
fn keep_rule_prefers_earliest_published_then_longest() {
    let seed = SEEDS[4];
    let short = paragraphs(seed)[..8].join("\n\n");
    let docs = vec![
        doc(0, "undated-full", None, seed),
        doc(1, "late-full", Some("2018-07-24T09:00:00Z"), seed),
        doc(2, "early-short", Some("2018-07-23T18:00:00Z"), &short),
    ];
    let out = run(&docs);
    for d in &out.docs {
        assert_eq!(dup_cluster(d), Some("dup:early-short"), "{}", d.id);
    }
    let out = run(&[docs[0].clone(), doc(1, "undated-short", None, &short)]);
    assert_eq!(dup_cluster(&out.docs[1]), Some("dup:undated-full"));
}

#[test]
fn a_bridge_document_does_not_chain_two_articles_into_one_cluster() {
    // A long article (two seeds' bodies one after the other) read through three overlapping
    // windows: A and C share little, B overlaps both.
    let paras: Vec<&str> = paragraphs(SEEDS[2])
        .into_iter()
        .chain(paragraphs(SEEDS[3]))
        .collect();
    let n = paras.len();
    let (a, b, c) = (
        paras[..n / 2].join("\n\n"),
        paras[n / 4..3 * n / 4].join("\n\n"),
        paras[n / 2..].join("\n\n"),
    );
    let threshold = DedupeConfig::default().threshold;
    assert!(
        jaccard(&a, &b) >= threshold && jaccard(&b, &c) >= threshold,
        "{} {}",
        jaccard(&a, &b),
        jaccard(&b, &c)
    );
    assert!(jaccard(&a, &c) < 0.05);
    let docs = vec![
        doc(0, "A", Some("2019-01-01"), &a),
        doc(1, "B", Some("2019-01-02"), &b),
        doc(2, "C", Some("2019-01-03"), &c),
    ];
    // One hash per band makes every overlapping pair an LSH candidate.
    let cfg = DedupeConfig {
        num_hashes: 150,
        bands: 150,
        rows: 1,
        story: false,
        ..DedupeConfig::default()
    };
    let out = run_with(cfg, &docs, Grouping::OneObserverPerDoc);
    assert_eq!(dup_cluster(&out.docs[0]), Some("dup:A"));
    assert_eq!(dup_cluster(&out.docs[1]), Some("dup:A"));
    assert_ne!(dup_cluster(&out.docs[2]), Some("dup:A"));
}

/// Half of one seed and the whole of another against the first seed: a strong LSH candidate
/// (150 one-row bands), but not a copy.
fn half_copy() -> (String, String) {
    let paras = paragraphs(SEEDS[2]);
    let half = paras.len() / 2;
    let a = paras.join("\n\n");
    let b = format!("{}\n\n{}", paras[half..].join("\n\n"), SEEDS[3]);
    (a, b)
}

fn one_row_bands(threshold: f64, containment_threshold: f64) -> DedupeConfig {
    DedupeConfig {
        num_hashes: 150,
        bands: 150,
        rows: 1,
        threshold,
        containment_threshold,
        story: false,
        ..DedupeConfig::default()
    }
}

#[test]
fn an_lsh_candidate_just_below_the_thresholds_is_verified_and_not_linked() {
    let (a, b) = half_copy();
    let j = jaccard(&a, &b);
    let contained = {
        let set = |t: &str| {
            let mut s = Scratch::default();
            s.tokenize(t, 1, None);
            s.shingle(DedupeConfig::default().shingle_size, 2);
            shingle_set(&s.shingles)
        };
        let (a, b) = (set(&a), set(&b));
        intersection(&a, &b) as f64 / a.len().min(b.len()) as f64
    };
    assert!(j > 0.2 && contained > 0.3, "{j} {contained}");
    // Just above the pair's exact values: the pre-filter cannot rule it out, verification does.
    let cfg = one_row_bands(j + 0.02, contained + 0.02);
    let out = run_with(
        cfg,
        &[doc(0, "a", None, &a), doc(1, "b", None, &b)],
        Grouping::OneObserverPerDoc,
    );
    assert_eq!(out.tally.0.get("candidates"), Some(&1), "{:?}", out.tally);
    assert_eq!(out.tally.0["rejected-pairs"], 1);
    assert_eq!(out.tally.0.get("prefilter-rejected"), None);
    assert!(out.docs.iter().all(|d| d.links.is_empty()));
}

#[test]
fn the_prefilter_drops_a_candidate_far_below_the_thresholds_before_verification() {
    let (a, b) = half_copy();
    let out = run_with(
        one_row_bands(0.9, 0.9),
        &[doc(0, "a", None, &a), doc(1, "b", None, &b)],
        Grouping::OneObserverPerDoc,
    );
    let shared_bands = *out
        .tally
        .0
        .get("lsh-pairs")
        .unwrap_or_else(|| panic!("no LSH pairs: {:?}", out.tally));
    assert!(shared_bands > 10, "{:?}", out.tally);
    assert_eq!(out.tally.0["prefilter-rejected"], shared_bands);
    assert_eq!(out.tally.0.get("candidates"), None, "{:?}", out.tally);
    assert!(out.docs.iter().all(|d| d.links.is_empty()));
}

#[test]
fn drop_action_drops_only_the_copies() {
    let seed = SEEDS[0];
    let copy = variants(seed).remove(0);
    let cfg = DedupeConfig {
        action: Action::Drop,
        ..DedupeConfig::default()
    };
    let docs = vec![
        doc(0, "copy", Some("2019-01-27"), &copy),
        doc(1, "original", Some("2019-01-26"), seed),
    ];
    let out = run_with(cfg, &docs, Grouping::OneObserverPerDoc);
    assert_eq!(
        out.verdicts,
        [Verdict::Drop("duplicate".into()), Verdict::Keep]
    );
}

#[test]
fn results_do_not_depend_on_how_observers_are_merged() {
    let mut docs = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        for (k, v) in std::iter::once(seed.to_string())
            .chain(variants(seed))
            .enumerate()
        {
            docs.push(doc(docs.len() as u64, &format!("{i}-{k}"), None, &v));
        }
    }
    let one = run_with(DedupeConfig::default(), &docs, Grouping::OneObserverPerDoc);
    let chunked = run_with(
        DedupeConfig::default(),
        &docs,
        Grouping::ChunksMergedBackwards(3),
    );
    assert_eq!(one.docs, chunked.docs);
    assert_eq!(one.tally, chunked.tally);
    assert!(one.docs.iter().any(|d| !d.links.is_empty()));
}

#[test]
fn empty_and_odd_texts_pass_through() {
    let docs = vec![
        doc(0, "empty", None, ""),
        doc(1, "dots", None, "… — •"),
        doc(2, "one", None, "Word"),
        doc(3, "one-again", None, "word"),
    ];
    let out = run(&docs);
    assert!(out.verdicts.iter().all(|v| *v == Verdict::Keep));
    assert!(out.docs[0].links.is_empty() && out.docs[1].links.is_empty());
}

#[test]
fn scratch_files_live_in_the_work_dir_and_go_with_the_stage() {
    let work = tempfile::tempdir().unwrap();
    let ctx = newsmill_core::BuildContext {
        work_dir: Some(work.path().join("scratch")),
        ..Default::default()
    };
    let docs: Vec<Document> = SEEDS
        .iter()
        .enumerate()
        .map(|(i, t)| doc(i as u64, &format!("{i:03}"), None, t))
        .collect();
    let mut stage = DedupeStage::build(DedupeConfig::default(), &ctx).expect("builds");
    for round in 0..stage.observation_rounds() {
        let merged = observe(&stage, round, &docs, Grouping::OneObserverPerDoc);
        stage.decide(round, merged).expect("decide");
    }
    let listing = |p: &std::path::Path| std::fs::read_dir(p).unwrap().count();
    assert_eq!(listing(&work.path().join("scratch")), 1);
    drop(stage);
    assert_eq!(listing(&work.path().join("scratch")), 0);
}
