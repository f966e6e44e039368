//! Normalised word tokens, the exact-duplicate key and word shingles.
//!
//! Normalisation folds what scrapers and syndication change without changing the article:
//! case, compatibility forms (ligatures, full-width letters, non-breaking spaces), accents,
//! punctuation and whitespace. A token is a maximal run of letters and digits.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use xxhash_rust::xxh3::{Xxh3, xxh3_64_with_seed};

/// One normalised token: its byte range in the original text and its seeded hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub hash: u64,
    /// Inside quotation marks (“…”, «…», "…"), which end at the latest with the line.
    pub quoted: bool,
}

/// Reusable buffers, so that tokenising allocates nothing per token or per shingle.
#[derive(Default)]
pub struct Scratch {
    word: String,
    in_quote: bool,
    word_quoted: bool,
    pub tokens: Vec<Token>,
    pub shingles: Vec<u64>,
    /// Whether each shingle lies wholly inside one quotation.
    pub shingle_quoted: Vec<bool>,
}

impl Scratch {
    /// Fills `self.tokens` with the normalised tokens of `text`; when `exact` is given, also
    /// feeds the normalised text (tokens joined by one space) into it.
    pub fn tokenize(&mut self, text: &str, seed: u64, mut exact: Option<&mut Xxh3>) {
        self.tokens.clear();
        self.word.clear();
        self.in_quote = false;
        let mut start = 0;
        let mut end = 0;
        for (i, c) in text.char_indices() {
            let next = i + c.len_utf8();
            // Straight quotes toggle; a line break ends any quotation so that one unclosed mark
            // cannot turn the rest of the article into a quote. Marks are separators, so the
            // word before one is flushed before the state changes.
            let quote_state = match c {
                '"' => Some(!self.in_quote),
                '“' | '«' => Some(true),
                '”' | '»' | '\n' => Some(false),
                _ => None,
            };
            if let Some(state) = quote_state {
                self.flush(start, end, seed, exact.as_deref_mut());
                self.in_quote = state;
                continue;
            }
            if c.is_ascii() {
                if c.is_ascii_alphanumeric() {
                    if self.word.is_empty() {
                        start = i;
                        self.word_quoted = self.in_quote;
                    }
                    self.word.push(c.to_ascii_lowercase());
                    end = next;
                } else {
                    self.flush(start, end, seed, exact.as_deref_mut());
                }
                continue;
            }
            for folded in std::iter::once(c).nfkd() {
                if is_combining_mark(folded) {
                    // Accents are dropped, so "café" and "cafe" (and OCR that lost them) agree.
                    continue;
                }
                if folded.is_alphanumeric() {
                    if self.word.is_empty() {
                        start = i;
                        self.word_quoted = self.in_quote;
                    }
                    self.word.extend(folded.to_lowercase());
                    end = next;
                } else {
                    self.flush(start, end, seed, exact.as_deref_mut());
                }
            }
        }
        self.flush(start, end, seed, exact);
    }

    fn flush(&mut self, start: usize, end: usize, seed: u64, exact: Option<&mut Xxh3>) {
        if self.word.is_empty() {
            return;
        }
        if let Some(exact) = exact {
            if !self.tokens.is_empty() {
                exact.update(b" ");
            }
            exact.update(self.word.as_bytes());
        }
        let hash = xxh3_64_with_seed(self.word.as_bytes(), seed);
        self.tokens.push(Token {
            start,
            end,
            hash,
            quoted: self.word_quoted,
        });
        self.word.clear();
    }

    /// Fills `self.shingles` with the hash of every run of `size` consecutive tokens, in text
    /// order (not deduplicated). A text shorter than one shingle gives one shingle of all its
    /// tokens, so short texts still compare; an empty text gives none.
    pub fn shingle(&mut self, size: usize, seed: u64) {
        self.shingles.clear();
        self.shingle_quoted.clear();
        if self.tokens.is_empty() || size == 0 {
            return;
        }
        let size = size.min(self.tokens.len());
        let mut quoted_run = 0usize;
        for (i, token) in self.tokens.iter().enumerate() {
            quoted_run = if token.quoted { quoted_run + 1 } else { 0 };
            if i + 1 < size {
                continue;
            }
            let window = &self.tokens[i + 1 - size..=i];
            self.shingles
                .push(combine(window.iter().map(|t| t.hash), seed));
            self.shingle_quoted.push(quoted_run >= size);
        }
    }
}

/// Hash of a sequence of token hashes: order-sensitive, seeded, no allocation.
fn combine(hashes: impl Iterator<Item = u64>, seed: u64) -> u64 {
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    for t in hashes {
        h = (h ^ t).wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(29);
    }
    mix64(h)
}

/// A 64-bit finaliser (MurmurHash3's fmix64): every input bit affects every output bit.
#[inline]
pub fn mix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The compact form a shingle hash takes in stored sets (u32 halves their memory; at a few
/// thousand shingles per article, chance collisions change Jaccard by well under 0.1%).
#[inline]
pub fn compact(h: u64) -> u32 {
    (h >> 32) as u32
}

/// Sorted, deduplicated compact shingle set.
pub fn shingle_set(shingles: &[u64]) -> Vec<u32> {
    let mut set: Vec<u32> = shingles.iter().map(|&h| compact(h)).collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// Size of the intersection of two sorted, deduplicated sets.
pub fn intersection(a: &[u32], b: &[u32]) -> usize {
    // Never stopped early, so always `Some`.
    intersection_while(a, b, |_| true).unwrap_or(0)
}

/// Size of the intersection of two sorted, deduplicated sets, or `None` as soon as
/// `reachable(n)` says that no intersection of `n` (shared so far plus what the shorter
/// remainder could add) is enough; `reachable` must be monotone in `n`. It is asked every
/// few dozen steps, so most of a hopeless pair's merge is skipped.
pub fn intersection_while(
    a: &[u32],
    b: &[u32],
    reachable: impl Fn(usize) -> bool,
) -> Option<usize> {
    const CHECK_EVERY: usize = 64;
    let (mut i, mut j, mut n) = (0, 0, 0);
    let mut steps = 0usize;
    while i < a.len() && j < b.len() {
        steps += 1;
        if steps.is_multiple_of(CHECK_EVERY) && !reachable(n + (a.len() - i).min(b.len() - j)) {
            return None;
        }
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    Some(n)
}

/// Sorted story shingle set: each element is a compact shingle hash whose lowest bit says
/// whether the shingle was quoted (one element per shingle; quoted anywhere wins).
pub fn story_set(shingles: &[u64], quoted: &[bool]) -> Vec<u32> {
    let mut set: Vec<u32> = shingles
        .iter()
        .zip(quoted.iter().chain(std::iter::repeat(&false)))
        .map(|(&h, &q)| (compact(h) & !1) | u32::from(q))
        .collect();
    set.sort_unstable();
    // After sorting, a quoted element follows the unquoted one of the same shingle.
    set.dedup_by(|later, kept| {
        let same = *later & !1 == *kept & !1;
        if same {
            *kept |= *later & 1;
        }
        same
    });
    set
}

/// Whether a story set holds the shingle `h`, quoted or not.
pub fn story_contains(set: &[u32], h: u64) -> bool {
    let key = compact(h) & !1;
    set.binary_search_by(|e| (e & !1).cmp(&key)).is_ok()
}

/// Shared shingles of two story sets, and how many of them are quoted in both.
pub fn story_intersection(a: &[u32], b: &[u32]) -> (usize, usize) {
    let (mut i, mut j, mut shared, mut quoted) = (0, 0, 0, 0);
    while i < a.len() && j < b.len() {
        match (a[i] & !1).cmp(&(b[j] & !1)) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                quoted += (a[i] & b[j] & 1) as usize;
                i += 1;
                j += 1;
            }
        }
    }
    (shared, quoted)
}

/// The longest run of `text` whose consecutive shingles all satisfy `shared`, as a byte range.
/// `tokens` and `shingles` come from one [`Scratch`] pass over `text` with shingle `size`.
pub fn longest_shared_run(
    tokens: &[Token],
    shingles: &[u64],
    size: usize,
    shared: impl Fn(usize, u64) -> bool,
) -> Option<(usize, usize)> {
    let size = size.min(tokens.len()).max(1);
    let mut best: Option<(usize, usize)> = None;
    let mut run_start: Option<usize> = None;
    for (i, &h) in shingles.iter().enumerate() {
        if shared(i, h) {
            let first = *run_start.get_or_insert(i);
            let (start, end) = (tokens[first].start, tokens[i + size - 1].end);
            if best.is_none_or(|(s, e)| end - start > e - s) {
                best = Some((start, end));
            }
        } else {
            run_start = None;
        }
    }
    best
}

/// `text` cut to at most `max_chars` characters, at a word boundary when one is near, with "…".
pub fn trim_passage(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let budget = max_chars.saturating_sub(1);
    let cut = text
        .char_indices()
        .nth(budget)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    // Prefer ending on a whole word unless that would lose more than a fifth of the budget.
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if head[..space].chars().count() >= budget * 4 / 5 => &head[..space],
        _ => head,
    };
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut s = Scratch::default();
        s.tokenize(text, 1, None);
        s.tokens
            .iter()
            .map(|t| text[t.start..t.end].to_string())
            .collect()
    }

    fn exact_key(text: &str) -> u128 {
        let mut s = Scratch::default();
        let mut h = Xxh3::new();
        s.tokenize(text, 1, Some(&mut h));
        h.digest128()
    }

    #[test]
    fn tokens_fold_case_punctuation_and_compatibility_forms() {
        assert_eq!(
            words("Israel’s security ‘top priority,’ says"),
            ["Israel", "s", "security", "top", "priority", "says"]
        );
        assert_eq!(
            exact_key("Israel’s security\u{a0}‘top priority,’ says"),
            exact_key("ISRAEL'S  security 'top\npriority', says")
        );
        assert_eq!(exact_key("ﬁnal café"), exact_key("final cafe\u{301}"));
        assert_ne!(exact_key("top priority"), exact_key("priority top"));
    }

    fn quoted_words(text: &str) -> Vec<String> {
        let mut s = Scratch::default();
        s.tokenize(text, 1, None);
        s.tokens
            .iter()
            .filter(|t| t.quoted)
            .map(|t| text[t.start..t.end].to_string())
            .collect()
    }

    #[test]
    fn quotation_marks_mark_quoted_words_until_the_line_ends() {
        assert_eq!(
            quoted_words("He said “top priority” and \"eye to eye.\" Then «oui» “open\nnext"),
            ["top", "priority", "eye", "to", "eye", "oui", "open"]
        );
        // Apostrophes and single quotes are not quotation marks.
        assert!(quoted_words("Israel’s ‘top priority’").is_empty());
    }

    #[test]
    fn story_sets_keep_the_quoted_flag_and_intersect_by_shingle() {
        let a = story_set(&[10 << 32, 20 << 32, 10 << 32], &[false, true, true]);
        assert_eq!(a, [11, 21]);
        let b = story_set(&[10 << 32, 30 << 32], &[false, true]);
        assert_eq!(story_intersection(&a, &b), (1, 0));
        assert!(story_contains(&a, 20 << 32) && !story_contains(&a, 30 << 32));
    }

    #[test]
    fn bounded_intersection_is_exact_or_gives_up_only_when_hopeless() {
        let a: Vec<u32> = (0..1000).map(|x| x * 2).collect();
        let b: Vec<u32> = (0..1000).map(|x| x * 3).collect();
        let exact = intersection(&a, &b);
        assert_eq!(intersection_while(&a, &b, |_| true), Some(exact));
        assert_eq!(intersection_while(&a, &b, |n| n >= exact), Some(exact));
        // Gives up once the bound falls below 600, long before the end.
        assert_eq!(intersection_while(&a, &b, |n| n >= 600), None);
        // Never wrong when it does not give up: the caller still judges the exact count.
        assert!(matches!(
            intersection_while(&a, &b, |n| n > exact),
            None | Some(334)
        ));
        assert_eq!(intersection_while(&[], &b, |_| false), Some(0));
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "",
            " ",
            "…",
            "\u{301}",
            "a\u{0}b",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ½ ①",
            "\u{fffd}\u{fffd}",
        ] {
            let mut s = Scratch::default();
            s.tokenize(text, 3, Some(&mut Xxh3::new()));
            s.shingle(3, 3);
            let _ = longest_shared_run(&s.tokens, &s.shingles, 3, |_, _| true);
            let _ = trim_passage(text, 1);
        }
    }

    #[test]
    fn trims_at_word_boundary_with_ellipsis() {
        let text = "We in no way underestimate the importance of measures that would ensure";
        let cut = trim_passage(text, 30);
        assert!(cut.chars().count() <= 30, "{cut}");
        assert!(cut.ends_with('…'));
        assert_eq!(cut, "We in no way underestimate…");
    }
}
