//! Related-story headlines: links to other stories that pages print inside or after an
//! article. They are not the article, but which stories a site linked from it is information
//! (for story clustering, for readers of the tables), so their headlines move to
//! `meta.related` instead of being dropped.
//!
//! Only two explicit forms are taken, so that a subhead of the article is never mistaken for
//! a teaser: a line prefixed by a related-content label ("Read more: <headline>", "RELATED:
//! <headline>"), and headline-like lines right under a related-content heading ("Related
//! stories", "More on this story", "You may also like").

use std::sync::LazyLock;

use regex::Regex;

use crate::rules::word_count;

/// Words a teaser headline has at least and at most: "Suunto Run review" to a long headline
/// with a subtitle.
const HEADLINE_MIN_WORDS: usize = 2;
const HEADLINE_MAX_WORDS: usize = 25;
/// A headline ending in a full stop is rare; a line this long ending in one is a sentence.
const HEADLINE_WITH_STOP_MAX_WORDS: usize = 14;
/// Teasers taken under one heading at most: related blocks list a handful.
const MAX_ITEMS: usize = 12;

/// "Read more: <headline>", ">> Related: <headline>", "See also: <headline>". The label is
/// the whole line up to the colon, so an article sentence ("Read more about it: ...") is
/// never taken.
static PREFIXED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:read more|read next|read also|also read|related|related (?:reading|stories|story|articles?|posts?|content|coverage|links?)|see also|recommended(?: reading)?|suggested reading|further reading|you (?:may|might) (?:also )?(?:like|enjoy)|more on this(?: story| topic)?)\s*:\s*(\S.*)$",
    )
    .expect("valid related-prefix pattern")
});

/// A heading over a block of related stories, alone on its line.
static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:related|related (?:reading|stories|articles|posts|content|coverage|news|links|reads|guides)|more on this (?:story|topic|subject)|read next|see also|further reading|suggested reading|(?:recommended|suggested)(?: for you| stories| articles| reading| posts| content)?|you (?:may|might) also (?:like|enjoy|be interested in)|(?:other |more )?(?:stories|articles|posts) you (?:may|might) (?:also )?(?:like|enjoy)|more (?:stories|news|articles) like this|also read|read also)\s*[:.…»>›]*$",
    )
    .expect("valid related-heading pattern")
});

/// Headings that name related content outright; under a bare "Recommended" or "You may also
/// like" at least two teasers must follow. (A bare "Read more" is no heading at all: it is
/// mostly the button under a teaser, and what follows it is the next teaser's card.)
static EXPLICIT_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:related|more on this|see also|further reading|suggested reading)\b")
        .expect("valid explicit-heading pattern")
});

/// A numbered list item: digits, then a full stop or a bracket and a space.
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,3}[.)] ").expect("valid numbered-item pattern"));

/// Leading decoration before a label: bullets, arrows, emoji, brackets (">> Related: ...",
/// "💡 Read more: ...", "[ Read more: ... ]").
fn strip_decoration(line: &str) -> &str {
    line.trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches([']', ' '])
}

/// The headline of a line prefixed by a related-content label, if the line is one.
pub fn prefixed_headline(line: &str) -> Option<String> {
    let caps = PREFIXED.captures(strip_decoration(line))?;
    let headline = caps.get(1)?.as_str().trim();
    is_headline(headline).then(|| headline.to_string())
}

/// Whether `line` is a heading over a block of related stories, and how many teasers must
/// follow it for the block to count.
pub fn heading_min_items(line: &str) -> Option<usize> {
    let line = strip_decoration(line);
    if !HEADING.is_match(line) {
        return None;
    }
    Some(if EXPLICIT_HEADING.is_match(line) {
        1
    } else {
        2
    })
}

/// Whether a line reads as a story headline: a handful of words, one sentence at most, not a
/// label or a paragraph.
pub fn is_headline(line: &str) -> bool {
    let words = word_count(line);
    if !(HEADLINE_MIN_WORDS..=HEADLINE_MAX_WORDS).contains(&words) {
        return false;
    }
    if line.ends_with(':') || !line.chars().any(char::is_alphabetic) {
        return false;
    }
    // Several sentences make a summary or a paragraph, not a headline. (A full stop after a
    // short word is an abbreviation or an initial: "U.S.", "Dr.", "J.")
    let inner_stops = line
        .split(' ')
        .rev()
        .skip(1)
        .filter(|w| w.ends_with(['?', '!']) || (w.ends_with('.') && w.chars().count() > 3))
        .count();
    if inner_stops > 0 {
        return false;
    }
    // "4. Xero", "2) Pick a location": the numbered items of a list in the article.
    if NUMBERED.is_match(line) {
        return false;
    }
    !(line.ends_with('.') && words > HEADLINE_WITH_STOP_MAX_WORDS)
}

/// The maximum number of teasers taken under one heading.
pub const fn max_items() -> usize {
    MAX_ITEMS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_lines_give_their_headline() {
        assert_eq!(
            prefixed_headline("Read more: How to Choose a GPS Watch").as_deref(),
            Some("How to Choose a GPS Watch")
        );
        assert_eq!(
            prefixed_headline(">> Related: What Is ISP Throttling?").as_deref(),
            Some("What Is ISP Throttling?")
        );
        assert_eq!(
            prefixed_headline("RELATED: Netanyahu meets Putin in Moscow").as_deref(),
            Some("Netanyahu meets Putin in Moscow")
        );
        // A sentence that starts like a label is prose.
        assert_eq!(
            prefixed_headline("Read more about the decision in our report."),
            None
        );
        // A label followed by a paragraph is not a teaser.
        assert_eq!(
            prefixed_headline(
                "Related: The council met on Tuesday. It voted to close the library and residents said they would appeal."
            ),
            None
        );
    }

    #[test]
    fn headings_and_their_strictness() {
        assert_eq!(heading_min_items("Related stories"), Some(1));
        assert_eq!(heading_min_items("More on this story"), Some(1));
        assert_eq!(heading_min_items("You may also like"), Some(2));
        assert_eq!(heading_min_items("Read more"), None);
        assert_eq!(heading_min_items("Related stories are listed below."), None);
        assert_eq!(heading_min_items("Home"), None);
    }

    #[test]
    fn headlines_are_short_single_sentences() {
        assert!(is_headline("Israel strikes targets in Syria"));
        assert!(is_headline("Why is Russia backing Iran?"));
        assert!(!is_headline("Home"));
        assert!(!is_headline("Tags:"));
        assert!(!is_headline("4. Xero"));
        assert!(!is_headline(
            "So there you have it! The first steps to take"
        ));
        assert!(!is_headline(
            "The council met on Tuesday. It voted to close the library."
        ));
    }
}
