//! The body region: where the article sits in a page flattened to text.
//!
//! A scraped page is the article surrounded by menus, link lists, related-story blocks and
//! comments. Article paragraphs are sentence-like: many words, function words ("the", "of",
//! "and"), closing punctuation; furniture is short, link-like lines. Every line gets a value
//! (prose counts its words, furniture costs a fixed penalty) and the article is the contiguous
//! run of lines with the largest sum: the densest prose region. A subhead inside the article
//! costs little next to the paragraphs around it and survives; a menu of twenty links costs
//! more than any single paragraph near it could pay for, so the region stops at it.
//!
//! Already-clean text is all prose (and a few subheads), so the region is the whole text.

use std::sync::LazyLock;

/// Words a line needs to count as a paragraph of prose.
const PROSE_MIN_WORDS: usize = 8;
/// A paragraph this long counts as prose without closing punctuation (a hard-cut scrape).
const LONG_LINE_WORDS: usize = 20;
/// Share of its words a one-sentence line counts for: the summaries in related-story blocks
/// are single sentences, article paragraphs mostly have several.
const SINGLE_SENTENCE_SHARE: f64 = 0.8;
/// A short line ending like a sentence ("He resigned.") still counts for half its words.
const SHORT_SENTENCE_WORDS: usize = 3;
/// Share of the penalty a data-like line costs (results, line-ups, award lists are article
/// content; menus and link lists rarely carry digits, commas or brackets).
const DATA_LINE_SHARE: f64 = 0.1;
/// Content words a Title Case line needs to read as a headline ("Pros and Cons" does not).
const HEADLINE_MIN_WORDS: usize = 3;
/// Share of function words a prose line needs (English prose runs at 0.4–0.5; menus near 0).
const MIN_STOPWORD_SHARE: f64 = 0.2;
/// Below this share of function words in the whole text, the text is not in a language the
/// list knows, and only length and punctuation judge prose.
const MIN_DOC_STOPWORD_SHARE: f64 = 0.05;

/// Function words of English. Their share tells prose from link text.
#[cfg(test)]
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his",
    "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "most", "my", "no",
    "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "out", "over",
    "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until",
    "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "also", "may", "might", "must",
];

/// Whether a lowercase ASCII word is one of `STOPWORDS` (a `match` the compiler turns into
/// a few byte comparisons: this runs on every word of every document).
fn is_stopword(word: &[u8]) -> bool {
    matches!(
        word,
        b"a" | b"about"
            | b"above"
            | b"after"
            | b"again"
            | b"against"
            | b"all"
            | b"am"
            | b"an"
            | b"and"
            | b"any"
            | b"are"
            | b"as"
            | b"at"
            | b"be"
            | b"because"
            | b"been"
            | b"before"
            | b"being"
            | b"below"
            | b"between"
            | b"both"
            | b"but"
            | b"by"
            | b"can"
            | b"could"
            | b"did"
            | b"do"
            | b"does"
            | b"doing"
            | b"down"
            | b"during"
            | b"each"
            | b"few"
            | b"for"
            | b"from"
            | b"further"
            | b"had"
            | b"has"
            | b"have"
            | b"having"
            | b"he"
            | b"her"
            | b"here"
            | b"hers"
            | b"him"
            | b"his"
            | b"how"
            | b"i"
            | b"if"
            | b"in"
            | b"into"
            | b"is"
            | b"it"
            | b"its"
            | b"just"
            | b"me"
            | b"more"
            | b"most"
            | b"my"
            | b"no"
            | b"nor"
            | b"not"
            | b"now"
            | b"of"
            | b"off"
            | b"on"
            | b"once"
            | b"only"
            | b"or"
            | b"other"
            | b"our"
            | b"out"
            | b"over"
            | b"own"
            | b"same"
            | b"she"
            | b"should"
            | b"so"
            | b"some"
            | b"such"
            | b"than"
            | b"that"
            | b"the"
            | b"their"
            | b"them"
            | b"then"
            | b"there"
            | b"these"
            | b"they"
            | b"this"
            | b"those"
            | b"through"
            | b"to"
            | b"too"
            | b"under"
            | b"until"
            | b"up"
            | b"very"
            | b"was"
            | b"we"
            | b"were"
            | b"what"
            | b"when"
            | b"where"
            | b"which"
            | b"while"
            | b"who"
            | b"whom"
            | b"why"
            | b"will"
            | b"with"
            | b"would"
            | b"you"
            | b"your"
            | b"also"
            | b"may"
            | b"might"
            | b"must"
    )
}

/// How the region search sees one line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LineKind {
    /// Judged already: boilerplate found by a rule. `barrier` marks comment-section openers,
    /// which the article never runs past.
    Boilerplate { barrier: bool },
    /// A line the site prints on many pages: furniture, or one of the site's article labels.
    Repeated,
    /// Moved to metadata (a byline, a credit): neither for nor against.
    Neutral,
    /// Text to be judged by its words.
    Text,
    /// The page's headline: the document's title printed again above the article. The
    /// article most likely starts right after it.
    Headline,
}

/// Tuning of the region search.
#[derive(Clone, Copy, Debug)]
pub struct BodyParams {
    /// What a non-prose line costs, in words of prose.
    pub penalty: f64,
}

impl Default for BodyParams {
    fn default() -> Self {
        BodyParams { penalty: 10.0 }
    }
}

/// What the line after the page's headline is worth on top of its own value.
const HEADLINE_BONUS: f64 = 30.0;

/// What a line removed by a phrase rule costs: share links, "Tags:", "Related stories" and
/// newsletter boxes mostly stand where the article ends, so the region rarely runs past them.
const RULE_COST: f64 = 40.0;

/// What a barrier costs: more than any page's comments could pay back.
const BARRIER_COST: f64 = 1000.0;

/// Words, function words, and whether the line ends like a sentence.
#[derive(Clone, Copy, Debug, Default)]
pub struct Profile {
    pub words: usize,
    pub stopwords: usize,
    pub sentence_end: bool,
    /// Digits, commas, semicolons, brackets or dashes inside: a list of results or names
    /// rather than link text.
    pub data: bool,
    /// Title Case without a full stop: a headline (of this article's sections, or of other
    /// stories in a related-links block).
    pub headline: bool,
    /// Sentence stops inside the line ("... said. Then ..."): paragraphs have several.
    pub inner_stops: usize,
}

pub fn profile(line: &str) -> Profile {
    let mut words = 0;
    let mut stopwords = 0;
    let mut data = false;
    let mut capitalised = 0;
    for word in line.split_whitespace() {
        words += 1;
        if word.chars().next().is_some_and(char::is_uppercase) {
            capitalised += 1;
        }
        let mut buf = [0u8; 8];
        let mut len = 0;
        let mut ascii = true;
        for b in word.bytes() {
            if b.is_ascii_alphabetic() {
                if len == buf.len() {
                    ascii = false;
                    break;
                }
                buf[len] = b.to_ascii_lowercase();
                len += 1;
            } else if b >= 0x80 {
                ascii = false;
                break;
            } else if b.is_ascii_digit() || matches!(b, b',' | b';' | b'(' | b')' | b'-') {
                data = true;
            }
        }
        if ascii && len > 0 && is_stopword(&buf[..len]) {
            stopwords += 1;
            // "The", "A" open headlines and sentences alike: only content words count.
            if word.starts_with(|c: char| c.is_ascii_uppercase()) {
                capitalised -= 1;
            }
        }
    }
    let content = words - stopwords;
    let end = line
        .trim_end()
        .trim_end_matches(['"', '”', '’', '\'', ')', ']']);
    let full_stop = end.ends_with(['.', '!', '…']);
    Profile {
        words,
        stopwords,
        sentence_end: full_stop || end.ends_with('?'),
        data,
        inner_stops: line.matches(". ").count() + line.matches("? ").count(),
        headline: !full_stop && content >= HEADLINE_MIN_WORDS && capitalised * 5 >= content * 4,
    }
}

/// The value of a line of text for the region search: its words if it is prose, half of them
/// if it is prose-like but ends without punctuation, the penalty otherwise.
fn value(p: &Profile, use_stopwords: bool, params: &BodyParams) -> f64 {
    let penalty = params.penalty;
    let dense =
        !use_stopwords || p.words == 0 || p.stopwords as f64 / p.words as f64 >= MIN_STOPWORD_SHARE;
    if p.headline {
        return -penalty;
    }
    if p.words >= PROSE_MIN_WORDS && (dense || p.sentence_end) {
        if p.sentence_end || p.words >= LONG_LINE_WORDS {
            let share = if p.inner_stops == 0 {
                SINGLE_SENTENCE_SHARE
            } else {
                1.0
            };
            return p.words as f64 * share;
        }
        return p.words as f64 * 0.5;
    }
    if p.sentence_end && p.words >= SHORT_SENTENCE_WORDS {
        return p.words as f64 * 0.5;
    }
    if p.data {
        return -penalty * DATA_LINE_SHARE;
    }
    -penalty
}

/// The densest prose region as a half-open range of line indices, or `None` when no line is
/// prose (then nothing can be judged and nothing should go).
pub fn region(
    kinds: &[LineKind],
    profiles: &[Profile],
    params: &BodyParams,
) -> Option<(usize, usize)> {
    let total_words: usize = profiles.iter().map(|p| p.words).sum();
    let total_stop: usize = profiles.iter().map(|p| p.stopwords).sum();
    let use_stopwords =
        total_words > 0 && total_stop as f64 / total_words as f64 >= MIN_DOC_STOPWORD_SHARE;
    let mut best: Option<(f64, usize, usize)> = None;
    let mut sum = 0.0;
    let mut start = 0;
    let mut after_headline = false;
    for (i, (kind, p)) in kinds.iter().zip(profiles).enumerate() {
        let bonus = if after_headline && *kind != LineKind::Headline {
            after_headline = false;
            HEADLINE_BONUS
        } else {
            0.0
        };
        let v = bonus
            + match kind {
                LineKind::Headline => {
                    after_headline = true;
                    -params.penalty
                }
                LineKind::Boilerplate { barrier: true } => -BARRIER_COST,
                LineKind::Boilerplate { barrier: false } => -RULE_COST,
                LineKind::Repeated => -params.penalty,
                LineKind::Neutral => 0.0,
                LineKind::Text => value(p, use_stopwords, params),
            };
        if sum <= 0.0 {
            sum = 0.0;
            start = i;
        }
        sum += v;
        if sum > 0.0 && best.is_none_or(|(b, _, _)| sum > b) {
            best = Some((sum, start, i + 1));
        }
    }
    best.map(|(_, a, b)| (a, b))
}

/// Matches the lines that open a comment section ("6 thoughts on “…”", "12 Responses",
/// "Reply" on its own): the article does not continue past them.
static COMMENT_OPENER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)^(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten) (?:thoughts? on|responses? to|comments? on|replies to)\b|^(?:\d+ )?(?:comments|responses|replies)\s*(?:\(\d+\))?:?$|^reply$|^(?:leave|post|add|write) a (?:comment|reply|response)\b")
        .expect("valid comment-opener pattern")
});

/// The ways a page prints its title above the article: the whole title, or the part before
/// or after a site-name separator ("Headline | Site", "Site - Headline"), as line keys.
pub fn headline_keys(title: &str) -> Vec<String> {
    let mut keys = vec![crate::site::line_key(title)];
    for sep in [" | ", " - ", " – ", " — ", " :: ", " · "] {
        for part in title.split(sep) {
            if part.split_whitespace().count() >= 3 && part.len() < title.len() {
                keys.push(crate::site::line_key(part));
            }
        }
    }
    keys.retain(|k| !k.is_empty());
    keys
}

/// Short lines about comments ("Search 87 Comments", "Load All Comments", "Reply to This").
static COMMENT_WORD: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)\bcomments\b|^reply\b|\breply to this\b")
        .expect("valid comment-word pattern")
});

/// Whether `line` (of `words` words) opens a comment section.
pub fn opens_comments(line: &str, words: usize) -> bool {
    // Every form names comments, replies, responses or thoughts: test for those first.
    // (The first letter may be either case; a line in capitals is caught by the second form.)
    let names = [
        "omment", "epl", "espon", "hought", "OMMENT", "EPL", "ESPON", "HOUGHT",
    ];
    line.len() < 200
        && names.iter().any(|n| line.contains(n))
        && (COMMENT_OPENER.is_match(line) || (words <= 6 && COMMENT_WORD.is_match(line)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Option<(usize, usize)> {
        let kinds = vec![LineKind::Text; lines.len()];
        let profiles: Vec<Profile> = lines.iter().map(|l| profile(l)).collect();
        region(&kinds, &profiles, &BodyParams::default())
    }

    #[test]
    fn menus_before_and_link_lists_after_fall_outside() {
        let lines = [
            "Home",
            "News",
            "Sport",
            "Weather",
            "The council voted on Tuesday to close the library for the rest of the year.",
            "Funding",
            "Residents said that they had not been consulted and would appeal the decision.",
            "Most read",
            "Ten things to do this weekend",
            "Council tax rises again",
            "Contact us",
        ];
        assert_eq!(run(&lines), Some((4, 7)));
    }

    #[test]
    fn stopword_match_agrees_with_the_list() {
        for w in STOPWORDS {
            assert!(is_stopword(w.as_bytes()), "{w}");
        }
        assert!(!is_stopword(b"council"));
    }

    #[test]
    fn clean_prose_is_one_region() {
        let lines = [
            "The council voted on Tuesday to close the library for the rest of the year.",
            "Residents said that they had not been consulted and would appeal the decision.",
        ];
        assert_eq!(run(&lines), Some((0, 2)));
        assert_eq!(run(&["Home", "News"]), None);
    }
}
