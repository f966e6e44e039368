//! `newsmill explain ID` shows every input line of one article, kept or removed, with its rule.

mod common;
use common::*;

#[test]
fn explain_marks_kept_and_removed_lines_with_their_rules() {
    let out = newsmill(&root(), &["explain", "000_d3f30cc8e01184eb.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let line_with = |words: &str| -> &str {
        text.lines()
            .find(|l| l.contains(words))
            .unwrap_or_else(|| panic!("no line with {words:?} in:\n{text}"))
    };
    assert!(line_with("You have read 3 articles this month.").starts_with("- [phrase:"));
    assert!(line_with("Every contribution, big or small").starts_with("- ["));
    assert!(line_with("Russia’s deputy foreign minister denied").starts_with("  "));
    assert!(
        text.lines()
            .any(|l| l.starts_with("> [caption") && l.contains("Benjamin Netanyahu, left")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("[credit → credit] Credit: Amos Ben Gershom/GPO.")),
        "{text}"
    );
    assert!(text.contains("credits: Amos Ben Gershom/GPO"));
}

#[test]
fn explaining_an_unknown_id_says_so() {
    let out = newsmill(&root(), &["explain", "no-such-article"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no article with id `no-such-article`"));
}
