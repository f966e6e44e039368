//! A page built from a seed article: a header with a date and a reading time, a long bulleted
//! list in the middle of the article, and after it an author's bio, related posts, a
//! disclosure, a button and a copyright line.

mod common;

use newsmill_clean::CleanConfig;
use newsmill_core::Document;

const PAGE: &str = include_str!("fixtures/after_article_page.txt");

fn cleaned(config: CleanConfig) -> Document {
    common::clean_page("after_article_page", PAGE, config)
}

fn rule_of(doc: &Document, line: &str) -> Option<String> {
    doc.removed
        .iter()
        .find(|r| r.text == line)
        .map(|r| r.rule.clone())
}

#[test]
fn a_long_list_inside_the_article_does_not_cut_it_in_two() {
    let doc = cleaned(CleanConfig::default());
    let (_, text) = PAGE.split_once('\n').unwrap_or_default();
    let list: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Russian troops on the Golan"))
        .take(12)
        .collect();
    assert_eq!(list.len(), 12);
    for item in list {
        assert!(doc.text.contains(item), "lost list item {item:?}");
    }
    // The paragraphs after the list are the article's too.
    assert!(
        doc.text
            .contains("There already is a working mechanism in place.")
    );
    assert!(doc.text.contains("One of the main issues that Netanyahu"));
}

#[test]
fn header_metadata_and_after_article_sections_go_by_name() {
    let doc = cleaned(CleanConfig::default());
    for (line, rule) in [
        ("May 20, 2025", "phrase:date"),
        ("5 min read", "phrase:post-meta"),
        ("About the Author", "phrase:end-section"),
        ("Recent Posts", "phrase:end-section"),
        (
            "As an Amazon Associate we earn from qualifying purchases.",
            "phrase:disclosure",
        ),
        ("Book a demo", "phrase:call-to-action"),
    ] {
        assert_eq!(rule_of(&doc, line).as_deref(), Some(rule), "{line}");
    }
    // The bio and the related headlines stand after an end-of-article heading.
    assert!(!doc.text.contains("Batya Jerenberg is a journalist"));
    assert!(!doc.text.contains("Moscow hosts a delegation"));
}

#[test]
fn the_new_rules_switch_off_by_name() {
    let doc = cleaned(CleanConfig {
        disable: vec!["end-section".into(), "date".into(), "call-to-action".into()],
        ..CleanConfig::default()
    });
    for line in ["About the Author", "May 20, 2025", "Book a demo"] {
        assert!(
            rule_of(&doc, line).is_none_or(|r| !r.starts_with("phrase:")),
            "{line} was removed by a phrase rule"
        );
    }
}
