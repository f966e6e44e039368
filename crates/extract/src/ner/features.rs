//! Feature extraction: per-token atoms computed once per document, then a fixed list of
//! templates combining the atoms of a ±2 window into hashed features.
//!
//! Atoms: the word, its lower-cased form (digits folded to 0), its shape ("Xxxx", "XX.", "dd"),
//! a collapsed shape, prefixes and suffixes, gazetteer matches (places, nationalities, given
//! names, titles, organisation words, with their position in a multi-word match), and two
//! document-level facts: whether the word also occurs in lower case, and whether it occurs
//! capitalised mid-sentence elsewhere in the document. The last two let the tagger tell a
//! sentence-initial "Police" or an all-caps headline word from a name.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::hash::{self, BuildPassThrough, feature, pair};

/// Number of features per token (every template fires once; absent context uses padding atoms).
pub const FEATURES_PER_TOKEN: usize = 35;

/// Changes whenever templates or atoms change, so an old model file is refused.
pub const FEATURE_SET_VERSION: u32 = 2;

const PAD_BEFORE: u64 = 0x5eed_0000_0000_0001;
const PAD_AFTER: u64 = 0x5eed_0000_0000_0002;

#[derive(Clone, Copy, Default)]
struct Atoms {
    word: u64,
    lower: u64,
    shape: u64,
    short_shape: u64,
    prefix: [u64; 4],
    suffix: [u64; 4],
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
            word: value,
            lower: value,
            shape: value,
            short_shape: value,
            prefix: [value; 4],
            suffix: [value; 4],
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
        Gazetteer { entries }
    })
}

/// Loads the word lists now rather than on the first document.
pub fn warm_up() {
    let _ = gazetteer();
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
    extract_into(words, sentences, &mut hashes);
    DocFeatures { hashes }
}

thread_local! {
    /// Per-thread buffer for the atoms: a long article's atoms would otherwise be a fresh large
    /// allocation (and fresh zeroed pages) per document.
    static ATOMS: std::cell::RefCell<Vec<Atoms>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Like [`extract`], writing into `hashes` (cleared first) so callers can reuse the buffer.
pub fn extract_into(words: &[&str], sentences: &[(usize, usize)], hashes: &mut Vec<u64>) {
    ATOMS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut atoms) => extract_with(words, sentences, &mut atoms, hashes),
        Err(_) => extract_with(words, sentences, &mut Vec::new(), hashes),
    });
}

fn extract_with(
    words: &[&str],
    sentences: &[(usize, usize)],
    atoms: &mut Vec<Atoms>,
    hashes: &mut Vec<u64>,
) {
    let gaz = gazetteer();
    atoms.clear();
    atoms.resize(words.len(), Atoms::default());
    let mut buf = String::new();
    let mut shape = Vec::with_capacity(32);
    let mut short = Vec::with_capacity(32);
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
    for (i, w) in words.iter().enumerate() {
        let a = &mut atoms[i];
        a.word = hash::bytes(w.as_bytes());
        a.lower = lower_hash(w, &mut buf);
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
        a.shape = hash::bytes(&shape);
        a.short_shape = hash::bytes(&short);
        let bounds: Vec<usize> = buf
            .char_indices()
            .map(|(p, _)| p)
            .chain(std::iter::once(buf.len()))
            .collect();
        let n = bounds.len() - 1;
        for k in 0..4 {
            let take = (k + 1).min(n);
            a.prefix[k] = hash::bytes(&buf.as_bytes()[..bounds[take]]) ^ (k as u64 + 1);
            a.suffix[k] = hash::bytes(&buf.as_bytes()[bounds[n - take]..]) ^ (k as u64 + 11);
        }
        capitalised[i] = w.chars().next().is_some_and(char::is_uppercase);
        a.position = (initial[i] as u64) | (headline[i] as u64) << 1;
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
    let mut i = 0;
    while i < words.len() {
        if !capitalised[i] || headline[i] {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < words.len() && capitalised[j] && !headline[j] && !initial[j] {
            j += 1;
        }
        if j - i == 1 && initial[i] {
            i = j;
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
        i = j;
    }
    for i in 0..words.len() {
        let a = &mut atoms[i];
        a.runs = if capitalised[i] {
            0x100 | run_roles.get(&a.lower).copied().unwrap_or(0)
        } else {
            0x200
        };
        a.gazetteer = gaz_bits[i] ^ 0x6a7;
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
    for &(s, e) in sentences {
        let e = e.min(words.len());
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
            let f = [
                0x0b1a5,
                c.word,
                c.lower,
                c.shape,
                c.short_shape,
                c.prefix[0],
                c.prefix[1],
                c.prefix[2],
                c.prefix[3],
                c.suffix[0],
                c.suffix[1],
                c.suffix[2],
                c.suffix[3],
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
            for (t, atom) in f.into_iter().enumerate() {
                hashes.push(feature(t as u64, atom));
            }
        }
    }
}
