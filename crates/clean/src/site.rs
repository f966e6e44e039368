//! Site repetition: lines printed on many pages of one site are the site's furniture (menus,
//! footers, newsletter boxes, "related" headlines), whatever words they use.
//!
//! observe → decide → apply: the observer counts, for every site, in how many documents each
//! normalised line occurs (as 64-bit hashes: compact, and merged by adding counts, so the
//! result is the same for any thread count or merge order); `decide` keeps the hashes of lines
//! found in enough of a site's documents; `apply` removes those lines (rule "site-repeat").

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use newsmill_core::{Document, Observer, StageError};

use crate::config::QuoteStyle;
use crate::normalize::split_lines;
use crate::rules::spaced_words;

/// Words from which a line reads as a sentence: two pages of a site can share one (a quote,
/// a re-published story), so such lines need `PROSE_MIN_DOCS` documents, not the configured
/// minimum.
const PROSE_WORDS: usize = 12;
const PROSE_MIN_DOCS: u32 = 10;

/// The site a document belongs to: its `site`, else its URL's host, else the directory of its
/// source file. `None` when there is none (files at the top of the input): such documents are
/// not compared with each other.
pub fn site_of(doc: &Document) -> Option<String> {
    if let Some(site) = doc.site.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        return Some(site.to_lowercase());
    }
    if let Some(host) = doc.url.as_deref().and_then(url_host) {
        return Some(host);
    }
    let source = doc.source.replace('\\', "/");
    source
        .rsplit_once('/')
        .map(|(dir, _)| dir.to_string())
        .filter(|d| !d.is_empty())
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?.trim_start_matches("www.");
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// A stable 64-bit hash (SipHash with fixed keys), so decisions do not vary between runs.
fn hash_of(parts: &[&str]) -> u64 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

/// The key of a line: lowercase letters and digits of its words, so that case, quotes and
/// punctuation do not hide a repeat. Empty for lines without any.
pub fn line_key(line: &str) -> String {
    let mut key: Vec<u8> = Vec::with_capacity(line.len());
    // A space is owed once a word has given the key something and another word follows.
    let mut in_word = false;
    let mut space_owed = false;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            match ASCII_KEY[usize::from(b)] {
                SKIP => {}
                SPACE => {
                    space_owed |= in_word;
                    in_word = false;
                }
                lower => {
                    if space_owed {
                        key.push(b' ');
                        space_owed = false;
                    }
                    key.push(lower);
                    in_word = true;
                }
            }
            continue;
        }
        let Some(c) = line.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        i += c.len_utf8();
        if c.is_whitespace() {
            space_owed |= in_word;
            in_word = false;
        } else if c.is_alphanumeric() {
            if space_owed {
                key.push(b' ');
                space_owed = false;
            }
            let mut buf = [0u8; 4];
            for lower in c.to_lowercase() {
                key.extend_from_slice(lower.encode_utf8(&mut buf).as_bytes());
            }
            in_word = true;
        }
    }
    // Only whole characters were pushed, so this never fails.
    String::from_utf8(key).unwrap_or_default()
}

const SKIP: u8 = 0;
const SPACE: u8 = 1;

/// What each ASCII byte contributes to a line key: its lowercase form (letters, digits),
/// a word break (whitespace), or nothing (punctuation, controls).
static ASCII_KEY: [u8; 128] = {
    let mut table = [SKIP; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else if c.is_ascii_whitespace() || c == 0x0B {
            SPACE
        } else {
            SKIP
        };
        b += 1;
    }
    table
};

/// The hash of a (site, line) pair.
pub fn pair_hash(site: &str, key: &str) -> u64 {
    hash_of(&[site, key])
}

/// Counts, per site, the documents each line occurs in.
pub struct SiteObserver {
    pub(crate) quotes: QuoteStyle,
    /// (site, line) hash → documents containing the line at least once.
    pub(crate) lines: HashMap<u64, LineCount>,
    /// Site hash → documents of the site.
    pub(crate) docs: HashMap<u64, u32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LineCount {
    pub(crate) site: u64,
    pub(crate) docs: u32,
    pub(crate) prose: bool,
}

impl SiteObserver {
    pub fn new(quotes: QuoteStyle) -> SiteObserver {
        SiteObserver {
            quotes,
            lines: HashMap::new(),
            docs: HashMap::new(),
        }
    }
}

impl Observer for SiteObserver {
    fn observe(&mut self, doc: &Document) {
        let Some(site) = site_of(doc) else {
            return;
        };
        let site_hash = hash_of(&[&site]);
        *self.docs.entry(site_hash).or_default() += 1;
        let mut seen = HashSet::new();
        for line in split_lines(&doc.text, self.quotes) {
            let key = line_key(&line.text);
            if key.is_empty() {
                continue;
            }
            let h = pair_hash(&site, &key);
            if seen.insert(h) {
                let count = self.lines.entry(h).or_insert(LineCount {
                    site: site_hash,
                    docs: 0,
                    prose: spaced_words(&key) >= PROSE_WORDS,
                });
                count.docs += 1;
            }
        }
    }

    fn merge(&mut self, other: Box<dyn Observer>) {
        let Ok(other) = other.into_any().downcast::<SiteObserver>() else {
            tracing::error!(
                "Merged an observer of another stage into the clean observer; ignored it."
            );
            return;
        };
        for (h, c) in other.lines {
            self.lines
                .entry(h)
                .and_modify(|mine| mine.docs += c.docs)
                .or_insert(c);
        }
        for (site, n) in other.docs {
            *self.docs.entry(site).or_default() += n;
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn save(self: Box<Self>, dir: &Path) -> Result<(), StageError> {
        crate::site_state::save_observer(&self, dir)?;
        Ok(())
    }
}

/// The decision: which (site, line) hashes are boilerplate.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SiteRepeats {
    pub lines: HashSet<u64>,
    pub sites: usize,
}

/// Lines found in at least `min_docs` documents of their site and in at least `min_share` of
/// them (lines that read as sentences need `PROSE_MIN_DOCS` documents).
pub fn decide(observer: SiteObserver, min_docs: u32, min_share: f64) -> SiteRepeats {
    let lines = observer
        .lines
        .iter()
        .filter(|(_, c)| {
            let site_docs = observer.docs.get(&c.site).copied().unwrap_or(0).max(1);
            let needed = if c.prose {
                min_docs.max(PROSE_MIN_DOCS)
            } else {
                min_docs
            };
            c.docs >= needed && f64::from(c.docs) / f64::from(site_docs) >= min_share
        })
        .map(|(h, _)| *h)
        .collect();
    SiteRepeats {
        lines,
        sites: observer.docs.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key as first written, word by word, to check the byte-level version against.
    fn reference_key(line: &str) -> String {
        let mut key = String::new();
        for word in line.split_whitespace() {
            let part: String = word
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            if !part.is_empty() {
                if !key.is_empty() {
                    key.push(' ');
                }
                key.push_str(&part);
            }
        }
        key
    }

    #[test]
    fn line_key_agrees_with_the_word_by_word_reference() {
        let seeds = [
            include_str!("../../../samples/000_d3f30cc8e01184eb.txt"),
            include_str!("../../../samples/003_3ccf4f1fb7630145.txt"),
        ];
        let odd = [
            "",
            " -- ",
            "“Israel’s security” — ‘top priority,’ says Ryabkov!",
            "ÀÉÎ Straße İstanbul ǅ 日本語 ½ 2,000 x\u{0B}y\u{2003}z",
            "a -- b",
        ];
        for line in seeds.iter().flat_map(|s| s.lines()).chain(odd) {
            assert_eq!(line_key(line), reference_key(line), "{line:?}");
        }
    }

    #[test]
    fn site_comes_from_field_then_url_then_directory() {
        let mut doc = Document {
            source: "feeds/example/a.txt".into(),
            ..Document::default()
        };
        assert_eq!(site_of(&doc).as_deref(), Some("feeds/example"));
        doc.url = Some("https://www.Example.com:443/news/1?x=2".into());
        assert_eq!(site_of(&doc).as_deref(), Some("example.com"));
        doc.site = Some("Example News".into());
        assert_eq!(site_of(&doc).as_deref(), Some("example news"));
        assert_eq!(
            site_of(&Document {
                source: "a.txt".into(),
                ..Document::default()
            }),
            None
        );
    }

    #[test]
    fn line_keys_ignore_case_and_punctuation() {
        assert_eq!(
            line_key("Sign up — for our “Newsletter”!"),
            "sign up for our newsletter"
        );
        assert_eq!(line_key("  -- "), "");
    }
}
