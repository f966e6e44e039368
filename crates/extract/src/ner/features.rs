//! Feature extraction: per-token atoms computed once per document, then a fixed list of
//! templates combining the atoms of a ±2 window into hashed features.
//!
//! Atoms: the word, its lower-cased form (digits folded to 0), its shape ("Xxxx", "XX.", "dd"),
//! a collapsed shape, prefixes and suffixes, gazetteer matches (places, nationalities, given
//! names, titles, organisation words, with their position in a multi-word match; a lower-case
//! organisation head noun next to the word's capitalised run), and two
//! document-level facts: whether the word also occurs in lower case, and whether it occurs
//! capitalised mid-sentence elsewhere in the document. The last two let the tagger tell a
//! sentence-initial "Police" or an all-caps headline word from a name.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::hash::{self, BuildPassThrough, feature, pair};

/// Number of features per token (every template fires once; absent context uses padding atoms).
pub const FEATURES_PER_TOKEN: usize = 35;

/// The first `WORD_FEATURES` features of a token (bias, word, lower-cased form, shapes,
/// prefixes, suffixes) depend on the word alone, so the tagger may cache their sum per word.
pub const WORD_FEATURES: usize = 13;
/// Index of the word feature: a key for the word-only features.
pub const WORD_KEY: usize = 1;

/// Changes whenever templates or atoms change, so an old model file is refused.
pub const FEATURE_SET_VERSION: u32 = 3;

const PAD_BEFORE: u64 = 0x5eed_0000_0000_0001;
const PAD_AFTER: u64 = 0x5eed_0000_0000_0002;

#[derive(Clone, Copy, Default)]
struct Atoms {
    /// The hashed features of the word alone (templates `0..WORD_FEATURES`).
    own: [u64; WORD_FEATURES],
    lower: u64,
    short_shape: u64,
    gazetteer: u64,
    doc: u64,
    /// Where the word's form sits in capitalised runs elsewhere in the document (first, middle,
    /// last word of a multi-word run, or alone): "Netanyahu" alone after "Benjamin Netanyahu".
    runs: u64,
    position: u64,
}

impl Atoms {
    fn pad(value: u64) -> Atoms {
        Atoms {
            own: [value; WORD_FEATURES],
            lower: value,
            short_shape: value,
            gazetteer: value,
            doc: value,
            runs: value,
            position: value,
        }
    }
}

/// Typographic variants folded to the ASCII forms the training data uses.
fn fold_char(c: char) -> char {
    match c {
        '’' | '‘' | '`' | '´' => '\'',
        '“' | '”' | '„' => '"',
        '–' | '—' | '‑' | '−' => '-',
        _ => c,
    }
}

fn shape_char(c: char) -> u8 {
    if c.is_uppercase() {
        b'X'
    } else if c.is_lowercase() {
        b'x'
    } else if c.is_ascii_digit() {
        b'd'
    } else if c.is_ascii() {
        c as u8
    } else {
        b'?'
    }
}

/// Gazetteer kinds; a token's gazetteer atom has bit `kind * 4 + position` set, where position
/// is 0 begin, 1 inside, 2 last, 3 unit (a one-word match).
#[derive(Clone, Copy)]
enum GazKind {
    Country = 0,
    Region = 1,
    City = 2,
    Nationality = 3,
    GivenName = 4,
    Title = 5,
    OrgWord = 6,
    LocWord = 7,
}

const MAX_GAZ_TOKENS: usize = 4;

struct Gazetteer {
    /// Hash of the lower-cased token sequence → bit set of kinds.
    entries: HashMap<u64, u16, BuildPassThrough>,
    /// Lower-cased hashes of the common nouns that head an organisation's name printed next
    /// to them ("Foreign Policy magazine", "the daily Haaretz").
    org_heads: HashSet<u64, BuildPassThrough>,
}

fn lower_hash(word: &str, buf: &mut String) -> u64 {
    buf.clear();
    for c in word.chars() {
        let c = fold_char(c);
        if c.is_ascii_digit() {
            buf.push('0');
        } else {
            buf.extend(c.to_lowercase());
        }
    }
    hash::bytes(buf.as_bytes())
}

fn sequence_hash(hashes: impl Iterator<Item = u64>) -> u64 {
    hashes.fold(0x1234_5678, pair)
}

fn gazetteer() -> &'static Gazetteer {
    static GAZ: OnceLock<Gazetteer> = OnceLock::new();
    GAZ.get_or_init(|| {
        let lex = crate::lexicon::lexicon();
        let mut entries: HashMap<u64, u16, BuildPassThrough> = HashMap::default();
        let mut buf = String::new();
        let mut add = |name: &str, kind: GazKind| {
            let words: Vec<&str> = super::tokens::split_words(name);
            if words.is_empty() || words.len() > MAX_GAZ_TOKENS {
                return;
            }
            let h = sequence_hash(words.iter().map(|w| lower_hash(w, &mut buf)));
            *entries.entry(h).or_default() |= 1 << kind as u16;
        };
        for (name, kind) in lex.places_iter() {
            let kind = match kind {
                crate::lexicon::PlaceKind::Country => GazKind::Country,
                crate::lexicon::PlaceKind::Region => GazKind::Region,
                crate::lexicon::PlaceKind::City => GazKind::City,
            };
            add(name, kind);
        }
        // Short forms ("US", "U.K.", "Britain") are the country itself.
        for (alias, _) in crate::canonical::PLACE_ALIASES
            .iter()
            .filter(|(a, _)| !a.contains('.'))
        {
            add(alias, GazKind::Country);
        }
        for (adjective, _) in lex.demonyms_iter() {
            add(adjective, GazKind::Nationality);
        }
        for name in lex.first_names_iter() {
            add(name, GazKind::GivenName);
        }
        for w in crate::entities::HEAD_TITLES {
            add(w, GazKind::Title);
        }
        for w in crate::entities::ORG_CUES {
            add(w, GazKind::OrgWord);
        }
        for w in crate::entities::LOC_CUES {
            add(w, GazKind::LocWord);
        }
        let org_heads = crate::entities::ORG_HEAD_NOUNS
            .iter()
            .map(|w| lower_hash(w, &mut buf))
            .collect();
        Gazetteer { entries, org_heads }
    })
}

/// Loads the word lists now rather than on the first document.
pub fn warm_up() {
    let _ = gazetteer();
}

/// The atoms that depend on the word alone, and the features made of them.
#[derive(Clone, Copy, Default)]
struct WordAtoms {
    own: [u64; WORD_FEATURES],
    lower: u64,
    short_shape: u64,
}

fn word_atoms(w: &str, buf: &mut String, shape: &mut Vec<u8>, short: &mut Vec<u8>) -> WordAtoms {
    let mut a = WordAtoms {
        lower: lower_hash(w, buf),
        ..WordAtoms::default()
    };
    shape.clear();
    short.clear();
    for c in w.chars() {
        let s = shape_char(fold_char(c));
        let run = shape.iter().rev().take_while(|&&x| x == s).count();
        if run < 4 {
            shape.push(s);
        }
        if short.last() != Some(&s) {
            short.push(s);
        }
    }
    a.short_shape = hash::bytes(short);
    let (prefix, suffix) = affixes(buf);
    let atoms = [
        0x0b1a5,
        hash::bytes(w.as_bytes()),
        a.lower,
        hash::bytes(shape),
        a.short_shape,
        prefix[0],
        prefix[1],
        prefix[2],
        prefix[3],
        suffix[0],
        suffix[1],
        suffix[2],
        suffix[3],
    ];
    for (t, (f, atom)) in a.own.iter_mut().zip(atoms).enumerate() {
        *f = feature(t as u64, atom);
    }
    a
}

/// Hashes of the prefixes and suffixes of one to four characters of a lower-cased word.
fn affixes(buf: &str) -> ([u64; 4], [u64; 4]) {
    // Byte offsets of the first four and the last four character boundaries of the lower-cased
    // form (the affixes are up to four characters).
    let lower = buf.as_bytes();
    let mut starts = [0usize; 5];
    let mut chars = 0;
    for (p, _) in buf.char_indices().take(5) {
        starts[chars] = p;
        chars += 1;
    }
    let mut ends = [lower.len(); 5];
    let mut back = 0;
    for (p, _) in buf.char_indices().rev().take(4) {
        back += 1;
        ends[back] = p;
    }
    let n = buf.chars().count();
    let (mut prefix, mut suffix) = ([0; 4], [0; 4]);
    for k in 0..4 {
        let take = (k + 1).min(n);
        let prefix_end = if take < chars {
            starts[take]
        } else {
            lower.len()
        };
        prefix[k] = hash::bytes(&lower[..prefix_end]) ^ (k as u64 + 1);
        suffix[k] = hash::bytes(&lower[ends[take]..]) ^ (k as u64 + 11);
    }
    (prefix, suffix)
}

/// Entries of the per-thread cache of word atoms (a power of two).
const WORD_ATOM_CACHE_SIZE: usize = 1 << 12;

/// Word atoms by word hash, direct-mapped: the same few thousand words make most of any text,
/// and their atoms (lower-casing, shapes, eight affix hashes) cost more than a lookup.
#[derive(Default)]
struct WordAtomCache {
    keys: Vec<u64>,
    atoms: Vec<WordAtoms>,
}

thread_local! {
    static WORD_ATOMS: std::cell::RefCell<WordAtomCache> =
        std::cell::RefCell::new(WordAtomCache::default());
}

fn fill_word_atoms(words: &[&str], atoms: &mut [Atoms], cache: &mut WordAtomCache) {
    if cache.keys.len() != WORD_ATOM_CACHE_SIZE {
        // Key 0 never matches a word: `hash::bytes` of a word is a mixed FNV value, and a
        // collision with 0 only costs a recomputation of identical atoms.
        cache.keys = vec![0; WORD_ATOM_CACHE_SIZE];
        cache.atoms = vec![WordAtoms::default(); WORD_ATOM_CACHE_SIZE];
    }
    let mut buf = String::new();
    let mut shape: Vec<u8> = Vec::with_capacity(32);
    let mut short: Vec<u8> = Vec::with_capacity(32);
    for (a, w) in atoms.iter_mut().zip(words) {
        let key = hash::bytes(w.as_bytes());
        let slot = key as usize & (WORD_ATOM_CACHE_SIZE - 1);
        if let (Some(k), Some(cached)) = (cache.keys.get_mut(slot), cache.atoms.get_mut(slot)) {
            if *k != key || key == 0 {
                *k = key;
                *cached = word_atoms(w, &mut buf, &mut shape, &mut short);
            }
            a.own = cached.own;
            a.lower = cached.lower;
            a.short_shape = cached.short_shape;
        } else {
            let fresh = word_atoms(w, &mut buf, &mut shape, &mut short);
            a.own = fresh.own;
            a.lower = fresh.lower;
            a.short_shape = fresh.short_shape;
        }
    }
}

/// Where the organisation-head bits sit in the gazetteer atom (above every kind's four bits).
const ORG_HEAD_SHIFT: u32 = 40;
/// The capitalised run holding the token is followed by a lower-case organisation head noun
/// ("Foreign Policy magazine", "Interfax news agency").
const HEAD_AFTER: u64 = 1;
/// The run is preceded by one ("the daily Haaretz", "the carrier Lufthansa").
const HEAD_BEFORE: u64 = 2;

/// Organisation-head cues of each token: a name printed next to "magazine", "newspaper",
/// "agency" or "party" is most likely the organisation's, whatever its words look like alone
/// ("Foreign Policy" holds a title word and a common noun). The cue covers the whole run of
/// capitalised words, so every word of the name sees it, not only the neighbour of the noun.
/// A run that is only a common word opening a sentence ("The newspaper said") gets none.
fn org_head_cues(
    words: &[&str],
    atoms: &[Atoms],
    capitalised: &[bool],
    initial: &[bool],
    headline: &[bool],
    gaz: &Gazetteer,
) -> Vec<u64> {
    let mut cues = vec![0u64; words.len()];
    let is_head = |k: usize| {
        !headline[k]
            && words[k].chars().next().is_some_and(char::is_lowercase)
            && gaz.org_heads.contains(&atoms[k].lower)
    };
    for (i, j) in capitalised_runs(capitalised, headline, initial) {
        let opening_word =
            j - i == 1 && initial[i] && crate::lexicon::lexicon().is_common(words[i]);
        if !opening_word {
            let mut cue = 0;
            if j < words.len() && !initial[j] && is_head(j) {
                cue |= HEAD_AFTER;
            }
            if i > 0 && !initial[i] && is_head(i - 1) {
                cue |= HEAD_BEFORE;
            }
            for c in &mut cues[i..j] {
                *c = cue;
            }
        }
    }
    cues
}

/// The runs `[i, j)` of capitalised words outside headlines: a run starts at a capitalised
/// word and goes on while the words are capitalised and do not open a sentence.
fn capitalised_runs<'a>(
    capitalised: &'a [bool],
    headline: &'a [bool],
    initial: &'a [bool],
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let n = capitalised.len();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < n && (!capitalised[i] || headline[i]) {
            i += 1;
        }
        if i >= n {
            return None;
        }
        let mut j = i + 1;
        while j < n && capitalised[j] && !headline[j] && !initial[j] {
            j += 1;
        }
        let run = (i, j);
        i = j;
        Some(run)
    })
}

/// Features of every token of one document.
pub struct DocFeatures {
    /// `FEATURES_PER_TOKEN` hashes per token, token-major.
    pub hashes: Vec<u64>,
}

/// Computes the features of a document given as words and sentence ranges (token indices,
/// end exclusive, covering the words in order).
pub fn extract(words: &[&str], sentences: &[(usize, usize)]) -> DocFeatures {
    let mut hashes = Vec::new();
    extract_into(words, sentences, None, &mut hashes);
    DocFeatures { hashes }
}

thread_local! {
    /// Per-thread buffer for the atoms: a long article's atoms would otherwise be a fresh large
    /// allocation (and fresh zeroed pages) per document.
    static ATOMS: std::cell::RefCell<Vec<Atoms>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Like [`extract`], writing into `hashes` (cleared first) so callers can reuse the buffer.
/// Sentences whose entry in `wanted` is false (when given, one entry per sentence) get zeros
/// instead of features: the tagger skips them, but their words still count as document
/// evidence for the others.
pub fn extract_into(
    words: &[&str],
    sentences: &[(usize, usize)],
    wanted: Option<&[bool]>,
    hashes: &mut Vec<u64>,
) {
    ATOMS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut atoms) => extract_with(words, sentences, wanted, &mut atoms, hashes),
        Err(_) => extract_with(words, sentences, wanted, &mut Vec::new(), hashes),
    });
}

fn extract_with(
    words: &[&str],
    sentences: &[(usize, usize)],
    wanted: Option<&[bool]>,
    atoms: &mut Vec<Atoms>,
    hashes: &mut Vec<u64>,
) {
    let gaz = gazetteer();
    atoms.clear();
    atoms.resize(words.len(), Atoms::default());
    let mut capitalised = vec![false; words.len()];
    let mut initial = vec![false; words.len()];
    let mut headline = vec![false; words.len()];
    for &(s, e) in sentences {
        let e = e.min(words.len());
        if s >= e {
            continue;
        }
        initial[s] = true;
        // A sentence without lower-case letters is a headline or a dateline in capitals.
        let upper = words[s..e]
            .iter()
            .all(|w| !w.chars().any(char::is_lowercase))
            && words[s..e]
                .iter()
                .any(|w| w.chars().filter(|c| c.is_uppercase()).count() > 1);
        for h in &mut headline[s..e] {
            *h = upper;
        }
    }
    WORD_ATOMS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut cache) => fill_word_atoms(words, atoms, &mut cache),
        Err(_) => fill_word_atoms(words, atoms, &mut WordAtomCache::default()),
    });
    for (i, w) in words.iter().enumerate() {
        capitalised[i] = w.chars().next().is_some_and(char::is_uppercase);
        atoms[i].position = (initial[i] as u64) | (headline[i] as u64) << 1;
    }
    // Gazetteer matches: longest match from each capitalised token.
    let mut gaz_bits = vec![0u64; words.len()];
    for i in 0..words.len() {
        if !capitalised[i] {
            continue;
        }
        let mut h = 0x1234_5678;
        let mut best: Option<(usize, u16)> = None;
        for len in 1..=MAX_GAZ_TOKENS.min(words.len() - i) {
            h = pair(h, atoms[i + len - 1].lower);
            if let Some(&kinds) = gaz.entries.get(&h) {
                best = Some((len, kinds));
            }
        }
        if let Some((len, kinds)) = best {
            for k in 0..16u64 {
                if kinds & (1 << k) == 0 {
                    continue;
                }
                for j in 0..len {
                    let pos = if len == 1 {
                        3
                    } else if j == 0 {
                        0
                    } else if j + 1 == len {
                        2
                    } else {
                        1
                    };
                    gaz_bits[i + j] |= 1 << (k * 4 + pos);
                }
            }
        }
    }
    // Document-level evidence about each word form.
    let mut lower_seen: HashSet<u64, BuildPassThrough> = HashSet::default();
    let mut cap_mid_seen: HashSet<u64, BuildPassThrough> = HashSet::default();
    for i in 0..words.len() {
        if headline[i] {
            continue;
        }
        if capitalised[i] {
            if !initial[i] {
                cap_mid_seen.insert(atoms[i].lower);
            }
        } else if words[i].chars().next().is_some_and(char::is_lowercase) {
            lower_seen.insert(atoms[i].lower);
        }
    }
    let mut run_roles: HashMap<u64, u64, BuildPassThrough> = HashMap::default();
    for (i, j) in capitalised_runs(&capitalised, &headline, &initial) {
        if j - i == 1 && initial[i] {
            continue;
        }
        for (k, a) in atoms.iter().enumerate().take(j).skip(i) {
            let role = if j - i == 1 {
                8
            } else if k == i {
                1
            } else if k + 1 == j {
                2
            } else {
                4
            };
            *run_roles.entry(a.lower).or_default() |= role;
        }
    }
    let cues = org_head_cues(words, atoms, &capitalised, &initial, &headline, gaz);
    for i in 0..words.len() {
        let a = &mut atoms[i];
        a.runs = if capitalised[i] {
            0x100 | run_roles.get(&a.lower).copied().unwrap_or(0)
        } else {
            0x200
        };
        // A word the gazetteer knows keeps its own evidence: "US" in "the US firm" is the
        // country, and a cue there would only blur the country feature.
        let cue = if gaz_bits[i] == 0 { cues[i] } else { 0 };
        a.gazetteer = (gaz_bits[i] | cue << ORG_HEAD_SHIFT) ^ 0x6a7;
        a.doc = if capitalised[i] {
            2 + lower_seen.contains(&a.lower) as u64 + 2 * cap_mid_seen.contains(&a.lower) as u64
        } else {
            1
        };
    }

    hashes.clear();
    hashes.reserve(words.len() * FEATURES_PER_TOKEN);
    let before = Atoms::pad(PAD_BEFORE);
    let after = Atoms::pad(PAD_AFTER);
    for (k, &(s, e)) in sentences.iter().enumerate() {
        let e = e.min(words.len());
        if wanted.is_some_and(|w| !w.get(k).copied().unwrap_or(true)) {
            hashes.resize(hashes.len() + e.saturating_sub(s) * FEATURES_PER_TOKEN, 0);
            continue;
        }
        for i in s..e {
            let at = |d: isize| -> &Atoms {
                let j = i as isize + d;
                if j < s as isize {
                    &before
                } else if j >= e as isize {
                    &after
                } else {
                    &atoms[j as usize]
                }
            };
            let (p2, p1, c, n1, n2) = (at(-2), at(-1), at(0), at(1), at(2));
            hashes.extend_from_slice(&c.own);
            // Templates from `WORD_FEATURES` on: the context.
            let f = [
                p1.lower,
                n1.lower,
                p2.lower,
                n2.lower,
                p1.short_shape,
                n1.short_shape,
                pair(p1.lower, c.lower),
                pair(c.lower, n1.lower),
                pair(pair(p1.short_shape, c.short_shape), n1.short_shape),
                c.gazetteer,
                p1.gazetteer,
                n1.gazetteer,
                pair(c.doc, c.short_shape),
                pair(c.position, c.short_shape),
                pair(c.position, c.lower),
                pair(c.doc, pair(c.position, c.gazetteer)),
                pair(p1.short_shape, c.lower),
                pair(p2.lower, p1.lower),
                pair(n1.lower, n2.lower),
                pair(p1.lower, n1.lower),
                c.runs,
                pair(c.runs, pair(p1.runs, n1.runs)),
            ];
            hashes.extend(
                f.into_iter()
                    .enumerate()
                    .map(|(t, atom)| feature((t + WORD_FEATURES) as u64, atom)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Organisation-head cues of each word of one sentence, words split at spaces.
    fn cues(sentence: &str) -> Vec<(&str, u64)> {
        let words: Vec<&str> = sentence.split_whitespace().collect();
        let mut atoms = vec![Atoms::default(); words.len()];
        fill_word_atoms(&words, &mut atoms, &mut WordAtomCache::default());
        let capitalised: Vec<bool> = words
            .iter()
            .map(|w| w.chars().next().is_some_and(char::is_uppercase))
            .collect();
        let mut initial = vec![false; words.len()];
        initial[0] = true;
        let headline = vec![false; words.len()];
        let found = org_head_cues(
            &words,
            &atoms,
            &capitalised,
            &initial,
            &headline,
            gazetteer(),
        );
        words.into_iter().zip(found).collect()
    }

    #[test]
    fn a_capitalised_run_next_to_an_organisation_noun_is_cued() {
        let found =
            cues("Meanwhile , Foreign Policy magazine reported that the daily Haaretz agreed");
        let cued: Vec<(&str, u64)> = found.into_iter().filter(|(_, c)| *c != 0).collect();
        assert_eq!(
            cued,
            [
                ("Foreign", HEAD_AFTER),
                ("Policy", HEAD_AFTER),
                ("Haaretz", HEAD_BEFORE)
            ]
        );
        // A common word opening the sentence is no name; a capitalised head is the gazetteer's.
        assert!(cues("The newspaper said so").iter().all(|(_, c)| *c == 0));
        assert!(
            cues("Reuters news agency said so")
                .first()
                .is_some_and(|(_, c)| *c == HEAD_AFTER)
        );
        assert!(
            cues("He read Time Magazine today")
                .iter()
                .all(|(_, c)| *c == 0)
        );
    }

    /// Affix hashes as first written: from a list of every character boundary.
    fn reference_affixes(word: &str) -> ([u64; 4], [u64; 4]) {
        let mut buf = String::new();
        lower_hash(word, &mut buf);
        let bounds: Vec<usize> = buf
            .char_indices()
            .map(|(p, _)| p)
            .chain(std::iter::once(buf.len()))
            .collect();
        let n = bounds.len() - 1;
        let (mut prefix, mut suffix) = ([0; 4], [0; 4]);
        for k in 0..4 {
            let take = (k + 1).min(n);
            prefix[k] = hash::bytes(&buf.as_bytes()[..bounds[take]]) ^ (k as u64 + 1);
            suffix[k] = hash::bytes(&buf.as_bytes()[bounds[n - take]..]) ^ (k as u64 + 11);
        }
        (prefix, suffix)
    }

    #[test]
    fn affixes_match_a_scan_over_every_character() {
        let seed = include_str!("../../../../samples/001_e6fc3a51efc8f4de.txt");
        let words = seed.split_whitespace().chain([
            "a",
            "Łódź",
            "İstanbul",
            "’s",
            "U.S.",
            "Maj.-Gen.",
            "2019",
            "ﬁve",
        ]);
        let mut buf = String::new();
        for w in words {
            lower_hash(w, &mut buf);
            assert_eq!(affixes(&buf), reference_affixes(w), "{w}");
        }
    }

    #[test]
    fn cached_word_atoms_equal_fresh_ones() {
        let seed = include_str!("../../../../samples/002_438689cf3929fe33.txt");
        let words: Vec<&str> = seed.split_whitespace().collect();
        let mut cache = WordAtomCache::default();
        let mut first = vec![Atoms::default(); words.len()];
        fill_word_atoms(&words, &mut first, &mut cache);
        let mut again = vec![Atoms::default(); words.len()];
        fill_word_atoms(&words, &mut again, &mut cache);
        let (mut buf, mut shape, mut short) = (String::new(), Vec::new(), Vec::new());
        for ((w, a), b) in words.iter().zip(&first).zip(&again) {
            let fresh = word_atoms(w, &mut buf, &mut shape, &mut short);
            assert_eq!(a.own, fresh.own, "{w}");
            assert_eq!(b.own, fresh.own, "{w}");
            assert_eq!((a.lower, a.short_shape), (fresh.lower, fresh.short_shape));
        }
    }
}
