//! Photo captions: lines that describe a picture rather than tell the story.
//!
//! Scrapers flatten the figure captions of a page into the text, usually right under the
//! headline or between two paragraphs. A caption says who is where in the picture ("X, left,
//! and Y", "X (R) meets Y"), ends in the picture's credit or source ("Credit: NAME/AGENCY.",
//! "(Reuters)"), and often in the date the picture was taken instead of a full stop. Such lines
//! carry information, so they move to `meta.captions` instead of being deleted.

use std::sync::LazyLock;

use regex::Regex;

use crate::rules::spaced_words;

/// Captions are short: a long paragraph with "(R)" in it is a story about someone.
const MAX_CAPTION_WORDS: usize = 60;

/// Where a person stands in the picture: "(R)", "(L-R)", ", left,", "(centre)", "(pictured)".
static POSITION_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\((?:r|l|c|l-r|r-l|left|right|center|centre|second left|second right|front|back|top|bottom|pictured|file photo|file)\)|, (?:left|right|center|centre|second (?:left|right)|far (?:left|right)),|\bpictured (?:above|below|here|left|right)\b")
        .expect("valid position-marker pattern")
});

/// The words of a position marker without brackets, for a quick first test.
const POSITION_WORDS: &[&str] = &[
    ", left,",
    ", right,",
    ", center,",
    ", centre,",
    ", second ",
    ", far ",
    "pictured",
];

/// Whether the line holds one of [`POSITION_WORDS`]: all but "pictured" start with ", ", so
/// only the places after a comma are compared (this runs on every line).
fn has_position_word(line: &str) -> bool {
    let bytes = line.as_bytes();
    let after_comma = bytes.iter().enumerate().filter(|&(_, &b)| b == b',');
    for (at, _) in after_comma {
        let rest = bytes.get(at..).unwrap_or_default();
        if POSITION_WORDS
            .iter()
            .any(|w| rest.starts_with(w.as_bytes()))
        {
            return true;
        }
    }
    line.contains("pictured")
}

/// A caption that ends with the date the picture was taken ("in Tehran, January 12, 2015").
static DATE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.? \d{1,2}, (?:19|20)\d\d\.?$|\d{1,2} (?:january|february|march|april|may|june|july|august|september|october|november|december) (?:19|20)\d\d\.?$")
        .expect("valid date-end pattern")
});

/// Whether a line (already without any labelled credit) reads as a photo caption.
///
/// `had_credit` says a credit or a parenthesised source was cut off or found at its end,
/// which is the strongest sign there is; otherwise a position marker is needed, together
/// with an ending that is not a sentence's (a date, or no full stop at all).
pub fn is_caption(line: &str, had_credit: bool) -> bool {
    // Every position marker has a bracket, a comma or "pictured": skip the rest quickly.
    if !had_credit && !line.contains('(') && !has_position_word(line) {
        return false;
    }
    // Lines reach here normalised: single spaces between words.
    let words = spaced_words(line);
    if !(4..=MAX_CAPTION_WORDS).contains(&words) {
        return false;
    }
    if had_credit {
        return true;
    }
    if !POSITION_MARKER.is_match(line) {
        return false;
    }
    let ends_as_sentence = line.trim_end().ends_with(['.', '!', '?', '”', '"']);
    !ends_as_sentence || DATE_END.is_match(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_by_position_marker_and_ending() {
        assert!(is_caption(
            "Iranian Foreign Minister Mohammad Javad Zarif (R) meets with Russian deputy foreign minister Sergei Ryabkov in Tehran, January 12, 2015",
            false
        ));
        assert!(is_caption(
            "Israeli Prime Minister Benjamin Netanyahu, left, with Russian President Vladimir Putin in Moscow, Russia, January 29, 2018.",
            false
        ));
        // A sentence of the story that mentions a party affiliation is no caption.
        assert!(!is_caption(
            "Senator Jane Doe (R) said on Tuesday that the bill would not pass the Senate this year.",
            false
        ));
        assert!(!is_caption("Prices rose sharply in January.", false));
        assert!(is_caption("Leaders in Moscow, on May 9, 2018.", true));
    }
}
