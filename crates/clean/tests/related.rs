//! Related-story headlines, on a page built from a seed article: a "Read more: <headline>"
//! line inside the article, a "Related stories" block after it, and a "You may also like"
//! heading over nothing but the article's own subhead.

mod common;

use newsmill_clean::CleanConfig;
use newsmill_core::Document;

const PAGE: &str = include_str!("fixtures/related_page.txt");

fn cleaned(config: CleanConfig) -> Document {
    common::clean_page("related_page", PAGE, config)
}

#[test]
fn related_headlines_move_to_metadata_in_page_order() {
    let doc = cleaned(CleanConfig::default());
    assert_eq!(
        doc.meta.related,
        vec![
            "Russia: Moscow never promised withdrawal of Iranian troops from Syria",
            "Russia gives clear statement of support following meeting on Iran and Syria with Netanyahu",
            "Israel, seeking total withdrawal, rejects Russian offer to keep Iranian forces in Syria 60 miles away",
        ],
        "a headline linked twice is kept once"
    );
    let moved: Vec<&str> = doc
        .removed
        .iter()
        .filter(|r| r.rule == "related" && r.kept_as.as_deref() == Some("related"))
        .map(|r| r.text.as_str())
        .collect();
    assert_eq!(moved.len(), 4, "{moved:?}");
    assert!(moved.contains(
        &"Read more: Russia: Moscow never promised withdrawal of Iranian troops from Syria"
    ));
    for line in &moved {
        assert!(!doc.text.contains(line), "{line} is still in the text");
    }
    // The heading carries no information: removed, not kept.
    assert!(
        doc.removed
            .iter()
            .any(|r| r.text == "Related stories" && r.kept_as.is_none())
    );
}

#[test]
fn the_article_goes_on_after_an_inline_link() {
    let doc = cleaned(CleanConfig::default());
    assert!(doc.text.contains("Russia’s deputy foreign minister denied"));
    assert!(
        doc.text
            .contains("Asked whether Russia and Iran were allies")
    );
}

#[test]
fn a_subhead_followed_by_prose_is_no_teaser() {
    // One headline-like line under "You may also like", followed by the article's prose, is
    // a subhead: no teaser block (bare headings need two teasers, and a line followed by a
    // paragraph is not one).
    let doc = cleaned(CleanConfig::default());
    assert!(!doc.meta.related.iter().any(|h| h == "Talks with Moscow"));
    assert!(
        doc.removed
            .iter()
            .all(|r| r.text != "Talks with Moscow" || r.rule != "related")
    );
}

#[test]
fn switched_off_the_lines_go_without_their_headlines() {
    let doc = cleaned(CleanConfig {
        disable: vec!["related".into()],
        ..CleanConfig::default()
    });
    assert!(doc.meta.related.is_empty());
    assert!(doc.removed.iter().all(|r| r.rule != "related"));
    // The phrase rule still takes the inline link out of the text.
    assert!(
        doc.removed
            .iter()
            .any(|r| r.rule == "phrase:link-line" && r.text.starts_with("Read more: Russia"))
    );
}

#[test]
fn explain_lists_the_related_headlines_and_marks_their_lines() {
    let doc = cleaned(CleanConfig::default());
    let (_, input) = PAGE.split_once('\n').unwrap_or_default();
    let shown = newsmill_clean::explain(&doc, input);
    assert!(shown.contains("related: Russia: Moscow never promised withdrawal"));
    assert!(shown.contains("> [related → related] Read more: Russia: Moscow never promised"));
}
