//! Corpus-level cleaning and page structure: lines repeated across one site's pages, the
//! article found among menus and comments, and `explain`.

use newsmill_clean::{CleanConfig, CleanStage, explain};
use newsmill_core::{Document, Stage, Tally};

const SITE_PAGES: [&str; 4] = [
    include_str!("fixtures/site/page1.txt"),
    include_str!("fixtures/site/page2.txt"),
    include_str!("fixtures/site/page3.txt"),
    include_str!("fixtures/site/page4.txt"),
];
const MENU_AND_FOOTER: [&str; 8] = [
    "Home",
    "World",
    "Politics",
    "Podcasts",
    "More from Middle East Desk",
    "About us",
    "Privacy policy",
    "Terms of use",
];

/// A text file as the text reader makes it: first line the title, the directory the site.
fn document(seq: u64, source: &str, file: &str) -> Document {
    let (title, text) = file.split_once('\n').unwrap_or((file, ""));
    Document {
        seq,
        id: source.to_string(),
        source: source.to_string(),
        title: Some(title.trim().to_string()),
        text: text.to_string(),
        ..Document::default()
    }
}

fn site_docs() -> Vec<Document> {
    SITE_PAGES
        .iter()
        .enumerate()
        .map(|(i, f)| document(i as u64, &format!("desk/page{}.txt", i + 1), f))
        .collect()
}

fn paragraphs(file: &str) -> Vec<&str> {
    file.lines()
        .filter(|l| l.split_whitespace().count() > 15)
        .collect()
}

/// The paragraph is in the text, or moved to the captions (without its credit).
fn kept(doc: &Document, paragraph: &str) -> bool {
    doc.text.contains(paragraph)
        || doc
            .meta
            .captions
            .iter()
            .any(|c| paragraph.starts_with(c.as_str()))
}

/// Runs the stage the way the driver does: observe every document, decide, then apply.
fn run(cfg: CleanConfig, mut docs: Vec<Document>) -> Vec<Document> {
    let mut stage = CleanStage::new(cfg).expect("valid config");
    stage.observe_corpus(&docs).expect("observing never fails");
    for doc in &mut docs {
        stage
            .apply(doc, &mut Tally::default())
            .expect("clean never fails");
    }
    docs
}

#[test]
fn lines_repeated_across_a_sites_pages_are_removed() {
    // With the body search off, only site repetition can find the menu and the footer.
    let cfg = CleanConfig {
        disable: vec!["body".into()],
        ..CleanConfig::default()
    };
    let docs = run(cfg, site_docs());
    for (doc, file) in docs.iter().zip(SITE_PAGES) {
        for line in MENU_AND_FOOTER {
            assert!(
                doc.removed
                    .iter()
                    .any(|r| r.text == line && r.rule == "site-repeat"),
                "{}: {line:?} not removed as site-repeat; text:\n{}",
                doc.id,
                doc.text
            );
        }
        for p in paragraphs(file) {
            assert!(kept(doc, p), "{}: lost {p}", doc.id);
        }
    }
}

#[test]
fn site_repetition_needs_enough_pages_of_the_same_site() {
    let cfg = CleanConfig {
        disable: vec!["body".into()],
        ..CleanConfig::default()
    };
    // Two pages of the site are fewer than the three the default asks for.
    let two: Vec<Document> = site_docs().into_iter().take(2).collect();
    let docs = run(cfg.clone(), two);
    assert!(docs.iter().all(|d| d.text.contains("Privacy policy")));
    // Pages of different sites are never compared.
    let scattered: Vec<Document> = site_docs()
        .into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            d.source = format!("site{i}/page.txt");
            d
        })
        .collect();
    let docs = run(cfg, scattered);
    assert!(docs.iter().all(|d| d.text.contains("Privacy policy")));
}

#[test]
fn site_decisions_do_not_depend_on_observation_order_or_merging() {
    let cfg = CleanConfig::default();
    let docs = site_docs();
    let expected = run(cfg.clone(), docs.clone());
    // Observe in reverse order with one observer per document, merged pairwise.
    let mut stage = CleanStage::new(cfg).unwrap();
    let mut observers: Vec<_> = docs
        .iter()
        .rev()
        .map(|d| {
            let mut o = stage.new_observer(0);
            o.observe(d);
            o
        })
        .collect();
    let mut merged = observers.pop().unwrap();
    for o in observers {
        merged.merge(o);
    }
    stage.decide(0, merged).unwrap();
    for (mut doc, want) in docs.into_iter().zip(expected) {
        stage.apply(&mut doc, &mut Tally::default()).unwrap();
        assert_eq!(doc, want);
    }
}

#[test]
fn site_repeat_can_be_switched_off() {
    let cfg = CleanConfig {
        disable: vec!["site-repeat".into()],
        ..CleanConfig::default()
    };
    let stage = CleanStage::new(cfg).unwrap();
    assert_eq!(stage.observation_rounds(), 0);
    assert_eq!(
        CleanStage::new(CleanConfig::default())
            .unwrap()
            .observation_rounds(),
        1
    );
}

#[test]
fn the_article_is_found_among_menus_and_the_body_rules_can_be_switched_off() {
    let docs = run(CleanConfig::default(), site_docs());
    for (doc, file) in docs.iter().zip(SITE_PAGES) {
        assert!(!doc.text.contains("Politics"), "{}", doc.text);
        assert!(!doc.text.contains("Terms of use"), "{}", doc.text);
        for p in paragraphs(file) {
            assert!(kept(doc, p), "{}: lost {p}", doc.id);
        }
    }
    // One page alone (no site repetition): the body search finds the article all the same.
    let page = document(0, "page.txt", SITE_PAGES[0]);
    let docs = run(CleanConfig::default(), vec![page.clone()]);
    assert!(
        docs[0]
            .removed
            .iter()
            .any(|r| r.text == "Podcasts" && r.rule == "body:before")
    );
    assert!(
        docs[0]
            .removed
            .iter()
            .any(|r| r.text == "Terms of use" && r.rule == "body:after")
    );
    let cfg = CleanConfig {
        disable: vec!["body".into()],
        ..CleanConfig::default()
    };
    let docs = run(cfg, vec![page]);
    assert!(docs[0].text.contains("Podcasts"));
}

#[test]
fn comments_after_the_article_are_removed() {
    let file = include_str!("fixtures/comments_page.txt");
    let docs = run(CleanConfig::default(), vec![document(0, "page.txt", file)]);
    let doc = &docs[0];
    for p in paragraphs(file)
        .iter()
        .filter(|p| !p.contains("CNN, and neither") && !p.contains("clearest account"))
    {
        assert!(kept(doc, p), "lost {p}");
    }
    for comment in [
        "I do not believe a word of what the Russian deputy minister told CNN",
        "Thank you for this report, it is the clearest account",
    ] {
        assert!(!doc.text.contains(comment), "comment kept: {comment}");
        assert!(
            doc.removed
                .iter()
                .any(|r| r.text.starts_with(comment) && r.rule == "body:comments"),
            "{:#?}",
            doc.removed
        );
    }
    assert!(!doc.text.contains("Skip to content"));
    assert!(!doc.text.contains("Post Comment"));
    assert!(doc.text.ends_with("on what happens.”"), "{}", doc.text);
}

#[test]
fn explain_marks_every_input_line() {
    let file = include_str!("../../../samples/000_d3f30cc8e01184eb.txt");
    let doc = document(0, "000.txt", file);
    let stage = CleanStage::new(CleanConfig::default()).unwrap();
    let shown = stage.explain_document(&doc);
    assert!(
        shown.contains("title: Israel’s security ‘top priority,’ says Russian Foreign Ministry")
    );
    assert!(shown.contains("title removed: update desk [title-slug]"));
    assert!(shown.contains("- [phrase:paywall] You have read 3 articles this month."));
    assert!(
        shown.contains("> [caption → caption] Israeli Prime Minister Benjamin Netanyahu, left,")
    );
    assert!(shown.contains("  ✂ [credit → credit] Credit: Amos Ben Gershom/GPO."));
    assert!(shown.contains("\n  Russia’s deputy foreign minister denied"));
    // Every non-blank input line appears once, in order.
    let marked: Vec<&str> = shown
        .lines()
        .skip_while(|l| !l.is_empty())
        .skip(1)
        .filter(|l| !l.starts_with("  ✂"))
        .collect();
    let input: Vec<&str> = doc.text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(marked.len(), input.len());
    // The same from the cleaned document and its input text.
    let mut cleaned = doc.clone();
    stage.apply(&mut cleaned, &mut Tally::default()).unwrap();
    assert_eq!(explain(&cleaned, &doc.text), shown);
}
