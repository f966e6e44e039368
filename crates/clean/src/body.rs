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
/// A short line ending like a sentence ("He resigned.") still counts for half its words.
const SHORT_SENTENCE_WORDS: usize = 3;
/// Share of the penalty a data-like line costs: none. Results, line-ups, tables and award
/// lists are article content, and menus and link lists rarely carry digits, commas or
/// brackets; measured on labelled pages, any cost there cut tables out of articles more often
/// than it kept menus out.
const DATA_LINE_SHARE: f64 = 0.0;
/// Words a menu entry has at most ("Pricing", "Case Studies").
const MENU_ENTRY_MAX_WORDS: usize = 2;
/// Words from which a line ending in an ellipsis reads as a cut excerpt (a menu's "More..."
/// or "Loading..." is furniture like any other).
const TRUNCATED_MIN_WORDS: usize = 5;
/// Words from which a short line with a function word reads as a list item ("Fix RAM usage
/// by splitting nested expressions") rather than a menu entry ("Home", "World News").
const LIST_ITEM_MIN_WORDS: usize = 4;
/// Share of the penalty such a line costs: bulleted lists belong to articles, and a long one
/// must not cut the article in two.
const LIST_ITEM_SHARE: f64 = 0.2;
/// Content words a Title Case line needs to read as a headline ("Pros and Cons" does not).
const HEADLINE_MIN_WORDS: usize = 3;
/// Share of function words a prose line needs (English prose runs at 0.4–0.5; menus near 0).
const MIN_STOPWORD_SHARE: f64 = 0.2;
/// Below this share of function words in the whole text, the text is not in a language the
/// list knows, and only length and punctuation judge prose.
const MIN_DOC_STOPWORD_SHARE: f64 = 0.05;

/// Function words of English. Their share tells prose from link text.
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

/// A word of at most 8 lowercase ASCII letters packed into a number, zero-padded.
fn packed(word: &[u8]) -> Option<u64> {
    let mut buf = [0u8; 8];
    buf.get_mut(..word.len())?.copy_from_slice(word);
    Some(u64::from_le_bytes(buf))
}

/// Slots of the stop-word table: a power of two, four times the words, so that a lookup
/// rarely probes more than one slot.
const STOPWORD_SLOTS: usize = 512;

fn slot_of(key: u64) -> usize {
    // Fibonacci hashing: the top bits of the product mix every letter.
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - STOPWORD_SLOTS.trailing_zeros())) as usize
}

/// `STOPWORDS` packed into an open-addressing table (0 marks an empty slot): this lookup runs
/// on every word of every document.
static STOPWORD_TABLE: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut table = vec![0u64; STOPWORD_SLOTS];
    for key in STOPWORDS.iter().filter_map(|w| packed(w.as_bytes())) {
        let mut slot = slot_of(key);
        while table[slot] != 0 && table[slot] != key {
            slot = (slot + 1) % STOPWORD_SLOTS;
        }
        table[slot] = key;
    }
    table
});

/// Whether a lowercase ASCII word is one of `STOPWORDS`.
fn is_stopword(word: &[u8]) -> bool {
    let Some(key) = packed(word).filter(|&k| k != 0) else {
        return false;
    };
    let table = &*STOPWORD_TABLE;
    let mut slot = slot_of(key);
    loop {
        match table.get(slot) {
            Some(&k) if k == key => return true,
            Some(&0) | None => return false,
            Some(_) => slot = (slot + 1) % STOPWORD_SLOTS,
        }
    }
}

/// How the region search sees one line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LineKind {
    /// Judged already: boilerplate found by a rule. `barrier` marks comment-section openers,
    /// which the article never runs past.
    Boilerplate { barrier: bool },
    /// The heading of a section that follows articles ("About the Author", "Recent Posts"):
    /// what comes after it must outweigh it by far to count as the article going on.
    EndSection,
    /// Boilerplate that stands inside articles too (an ad marker, a "Buy now" button): it
    /// costs what any non-prose line costs.
    Furniture,
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

/// What the line after the page's headline is worth on top of its own value: a nudge towards
/// starting the article there, less than a paragraph is worth.
const HEADLINE_BONUS: f64 = 15.0;

/// What a line removed by a phrase rule costs: share links, "Tags:", "Related stories" and
/// newsletter boxes mostly stand where the article ends, so the region rarely runs past them.
const RULE_COST: f64 = 90.0;

/// A second block of prose beyond the best region joins it when it is worth at least this
/// much (a few paragraphs)...
const JOIN_MIN_VALUE: f64 = 80.0;
/// ...and what lies between costs at most this many times the smaller of the two: a table of
/// contents, a gallery or a product box splits an article in two, and the smaller half is
/// the article all the same; a footer's "About us" paragraph is no such half.
const JOIN_GAP_RATIO: f64 = 3.0;

/// What the heading of an after-article section costs: more than an author's bio or a few
/// teasers pay back, less than the rest of an article that goes on after a stray heading.
const END_SECTION_COST: f64 = 250.0;

/// The value of a region before the first comment-section opener from which it is taken as
/// the article, whatever follows the opener: a few paragraphs.
const ARTICLE_BEFORE_BARRIER: f64 = 60.0;

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
    /// Ends in an ellipsis: an excerpt cut short, as teasers of other stories are.
    pub truncated: bool,
}

pub fn profile(line: &str) -> Profile {
    let mut words = 0;
    let mut stopwords = 0;
    let mut data = false;
    let mut capitalised = 0usize;
    // One pass over the bytes (this runs on every line): a word is a run of non-space
    // characters; its first letter, its letters (for the function-word test, ASCII only) and
    // whether it carries digits or list punctuation are gathered as it goes.
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // A word starts at i.
        words += 1;
        let first_upper = if b < 0x80 {
            b.is_ascii_uppercase()
        } else {
            line.get(i..)
                .and_then(|rest| rest.chars().next())
                .is_some_and(char::is_uppercase)
        };
        let mut buf = [0u8; 8];
        let mut len = 0;
        let mut ascii = true;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            let c = bytes[i];
            if c.is_ascii_alphabetic() {
                if len == buf.len() {
                    ascii = false;
                } else if ascii {
                    buf[len] = c.to_ascii_lowercase();
                    len += 1;
                }
            } else if c >= 0x80 {
                ascii = false;
            } else if c.is_ascii_digit() || matches!(c, b',' | b';' | b'(' | b')' | b'-') {
                // Only before the first non-ASCII byte, as the word-by-word reading did.
                if ascii {
                    data = true;
                }
            }
            i += 1;
        }
        if first_upper {
            capitalised += 1;
        }
        if ascii && len > 0 && is_stopword(&buf[..len]) {
            stopwords += 1;
            // "The", "A" open headlines and sentences alike: only content words count.
            if b.is_ascii_uppercase() {
                capitalised -= 1;
            }
        }
    }
    let content = words - stopwords;
    let end = line
        .trim_end()
        .trim_end_matches(['"', '”', '’', '\'', ')', ']']);
    let full_stop = end.ends_with(['.', '!', '…']);
    let truncated = end.ends_with('…') || end.ends_with("...");
    Profile {
        words,
        stopwords,
        sentence_end: full_stop || end.ends_with('?'),
        data,
        truncated,
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
    // An excerpt cut short ("… the plan would see the […]") is a teaser of another story far
    // more often than article prose (on labelled pages 4 in 5 such lines were not article
    // lines): it counts for nothing, so the region neither grows by it nor breaks at it.
    if p.truncated && p.words >= TRUNCATED_MIN_WORDS {
        return 0.0;
    }
    if p.words >= PROSE_MIN_WORDS && (dense || p.sentence_end) {
        if p.sentence_end || p.words >= LONG_LINE_WORDS {
            return p.words as f64;
        }
        return p.words as f64 * 0.5;
    }
    if p.sentence_end && p.words >= SHORT_SENTENCE_WORDS {
        return p.words as f64 * 0.5;
    }
    if p.data {
        return -penalty * DATA_LINE_SHARE;
    }
    if p.words >= LIST_ITEM_MIN_WORDS && p.stopwords > 0 {
        return -penalty * LIST_ITEM_SHARE;
    }
    -penalty
}

/// The article's lines: `start..end`, except the `gaps` (sorted line indices inside it).
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    pub start: usize,
    pub end: usize,
    /// Menu-like lines between two blocks of prose that were joined into one article.
    pub gaps: Vec<usize>,
}

/// The densest prose region, joined with further blocks of prose that a cheap gap separates
/// from it, or `None` when no line is prose (then nothing can be judged and nothing should
/// go).
pub fn region(kinds: &[LineKind], profiles: &[Profile], params: &BodyParams) -> Option<Region> {
    let total_words: usize = profiles.iter().map(|p| p.words).sum();
    let total_stop: usize = profiles.iter().map(|p| p.stopwords).sum();
    let use_stopwords =
        total_words > 0 && total_stop as f64 / total_words as f64 >= MIN_DOC_STOPWORD_SHARE;
    let mut best: Option<(f64, usize, usize)> = None;
    let mut sum = 0.0;
    let mut start = 0;
    let mut after_headline = false;
    let mut values = Vec::with_capacity(kinds.len());
    for (i, (kind, p)) in kinds.iter().zip(profiles).enumerate() {
        // The article does not continue past a comment-section opener: when an article-sized
        // region stands before the first one, a longer thread of comments after it is no
        // rival ("Reply to This" under every comment of a long thread).
        if *kind == (LineKind::Boilerplate { barrier: true })
            && best.is_some_and(|(b, _, _)| b >= ARTICLE_BEFORE_BARRIER)
        {
            break;
        }
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
                LineKind::Repeated | LineKind::Furniture => -params.penalty,
                LineKind::EndSection => -END_SECTION_COST,
                LineKind::Neutral => 0.0,
                LineKind::Text => value(p, use_stopwords, params),
            };
        values.push(v);
        if sum <= 0.0 {
            sum = 0.0;
            start = i;
        }
        sum += v;
        if sum > 0.0 && best.is_none_or(|(b, _, _)| sum > b) {
            best = Some((sum, start, i + 1));
        }
    }
    let (value, mut start, mut end) = best?;
    let mut gaps = Vec::new();
    // Never across a line a rule removed (a share bar, "About the Author", a comment opener):
    // those end articles, while a gap of headings, captions and menu-like links need not.
    let hard = |i: usize| {
        matches!(
            kinds.get(i),
            Some(LineKind::Boilerplate { .. } | LineKind::EndSection)
        )
    };
    let joins = |block: f64, gap: &[f64], range: std::ops::Range<usize>| {
        let cost = -gap.iter().sum::<f64>();
        block >= JOIN_MIN_VALUE
            && cost <= JOIN_GAP_RATIO * block.min(value)
            && !range.clone().any(hard)
    };
    loop {
        let mut joined = false;
        let after = values.get(end..).unwrap_or_default();
        if let Some((block, s, e)) = densest(after) {
            let (s, e) = (s + end, e + end);
            if joins(block, values.get(end..s).unwrap_or_default(), end..s) {
                gaps.extend(menu_like(&values, profiles, end..s, params));
                end = e;
                joined = true;
            }
        }
        let before = values.get(..start).unwrap_or_default();
        if let Some((block, s, e)) = densest(before)
            && joins(block, values.get(e..start).unwrap_or_default(), e..start)
        {
            gaps.extend(menu_like(&values, profiles, e..start, params));
            start = s;
            joined = true;
        }
        if !joined {
            break;
        }
    }
    gaps.sort_unstable();
    Some(Region { start, end, gaps })
}

/// The lines of a bridged gap that read as menu entries: a word or two costing the full
/// penalty ("Pricing", "Case Studies"). Longer lines there are mostly the article's own
/// subheads and product names (on labelled pages, two in three of those were article lines;
/// of one- and two-word lines, one in three), and data lines and list items stay too.
fn menu_like<'a>(
    values: &'a [f64],
    profiles: &'a [Profile],
    range: std::ops::Range<usize>,
    params: &BodyParams,
) -> impl Iterator<Item = usize> + 'a {
    let threshold = -params.penalty;
    range.filter(move |&i| {
        values.get(i).is_some_and(|&v| v <= threshold)
            && profiles
                .get(i)
                .is_some_and(|p| p.words <= MENU_ENTRY_MAX_WORDS)
    })
}

/// The run of values with the largest positive sum (Kadane's algorithm): (sum, start, end).
fn densest(values: &[f64]) -> Option<(f64, usize, usize)> {
    let mut best: Option<(f64, usize, usize)> = None;
    let (mut sum, mut start) = (0.0, 0);
    for (i, v) in values.iter().enumerate() {
        if sum <= 0.0 {
            sum = 0.0;
            start = i;
        }
        sum += v;
        if sum > 0.0 && best.is_none_or(|(b, _, _)| sum > b) {
            best = Some((sum, start, i + 1));
        }
    }
    best
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
        region(&kinds, &profiles, &BodyParams::default()).map(|r| (r.start, r.end))
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
    fn a_long_comment_thread_after_an_opener_does_not_outweigh_the_article() {
        let article = "The council voted on Tuesday to close the library for the rest of the year, and residents said that they would appeal.";
        let comment = "I have lived here for thirty years and I think that the council is wrong about this, as it was about the pool and the park.";
        let mut lines = vec![article; 4];
        lines.push("Reply to This");
        lines.extend([comment; 12]);
        let mut kinds = vec![LineKind::Text; lines.len()];
        kinds[4] = LineKind::Boilerplate { barrier: true };
        let profiles: Vec<Profile> = lines.iter().map(|l| profile(l)).collect();
        assert_eq!(
            region(&kinds, &profiles, &BodyParams::default()).map(|r| (r.start, r.end)),
            Some((0, 4))
        );
    }

    #[test]
    fn an_article_split_by_a_gallery_is_joined_and_the_gallery_goes() {
        let first = "The council voted on Tuesday to close the library for the rest of the year, and residents said that they would appeal the decision.";
        let second = "The library opened in 1902 and has been run by volunteers since the council cut its budget, a move that the mayor has defended.";
        let mut lines = vec!["Home", "News"];
        lines.extend([first; 4]);
        // A gallery of five captions, each with its "Enlarge" link: it costs more than one
        // half pays back, so the densest region alone would lose the other half.
        for _ in 0..5 {
            lines.extend(["Photo Gallery Of The Old Reading Room", "Enlarge"]);
        }
        lines.extend([second; 4]);
        lines.extend(["Contact us", "About us"]);
        let kinds = vec![LineKind::Text; lines.len()];
        let profiles: Vec<Profile> = lines.iter().map(|l| profile(l)).collect();
        let found = region(&kinds, &profiles, &BodyParams::default());
        // The captions stay with the article; the links go.
        assert_eq!(
            found,
            Some(Region {
                start: 2,
                end: 20,
                gaps: (7..16).step_by(2).collect()
            })
        );
        // A share bar between the halves ends the article: no joining across it.
        let mut kinds = kinds;
        kinds[10] = LineKind::Boilerplate { barrier: false };
        let found = region(&kinds, &profiles, &BodyParams::default()).map(|r| (r.start, r.end));
        assert!(matches!(found, Some((2, 6)) | Some((16, 20))), "{found:?}");
    }

    #[test]
    fn profile_counts_words_stopwords_and_data() {
        let p = profile("The council met. It voted 5-4 on Tuesday? Yes.");
        assert_eq!(p.words, 9);
        assert_eq!(p.stopwords, 3);
        assert!(p.data && p.sentence_end && !p.headline);
        let h = profile("Council Tax Rises Again In Northern Towns");
        assert!(h.headline && !h.sentence_end);
        assert_eq!(profile("Café society in the city").stopwords, 2);
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
