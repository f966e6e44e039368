//! Rule- and list-based entity tagging (a trained tagger can replace `tag_sequences` later).
//!
//! 1. Candidates are runs of capitalised tokens joined by single spaces, with name connectors
//!    inside ("of", "the" after "of", "bin", "van", …). A possessive ends a run. A sentence's
//!    first word, and every word of a title-case line (a headline left in the text), starts a
//!    run only with evidence: it is in a word list (places, given names, nationalities,
//!    organisation words) or appears capitalised elsewhere in mid-sentence; common English
//!    words ("The", "Meanwhile", "Asked") never do.
//! 2. Titles are split off the front ("Russian Deputy Foreign Minister", "Maj.-Gen.", "IDF Chief
//!    of Staff Lt.-Gen."), and a lower-case appositive just before a name ("Russia's ambassador
//!    to Tehran") is attached too. A title makes the name a person.
//! 3. Types: organisation words at the end (Ministry, Council, Forces, News, Times…) or before
//!    "of" → ORG; acronyms → ORG; the gazetteer and place words (Heights, Sea…) → LOC; a given
//!    name or a title → PER; nationality adjectives → MISC with the country as canonical name
//!    (the CoNLL-2003 convention: "Russian" is MISC, "Russia" is LOC).
//! 4. Mentions of one person are grouped under the fullest form used in the article
//!    ("Netanyahu" → "Benjamin Netanyahu"), comparing folded spellings.

use std::collections::HashMap;
use std::sync::OnceLock;

use newsmill_core::{Entity, EntityKind, Mention};
use regex::Regex;

use crate::canonical::{canonical_person_name, folding_key, place_alias};
use crate::lexicon::lexicon;
use crate::text::{Analysis, Token, is_capitalised, without_possessive};

#[derive(Debug, Default)]
pub struct Found {
    pub entities: Vec<Entity>,
    /// Byte offsets until the stage converts them.
    pub mentions: Vec<Mention>,
}

const CONNECTORS: &[&str] = &[
    "of", "the", "bin", "ibn", "van", "von", "de", "da", "der", "du", "la", "le", "del", "al",
    "and",
];

const TITLE_WORDS: &[&str] = &[
    "Vice",
    "Prime",
    "Deputy",
    "Foreign",
    "Defense",
    "Defence",
    "Interior",
    "Finance",
    "Security",
    "National",
    "State",
    "Crown",
    "Special",
    "Staff",
    "Operations",
    "Senior",
    "Acting",
    "Former",
    "First",
    "Supreme",
    "Field",
    "Affairs",
    "Economy",
    "Health",
    "Education",
    "Energy",
    "Trade",
    "Agriculture",
    "Transport",
    "Environment",
    "Communications",
    "Intelligence",
    "Military",
    "Strategic",
    "Assistant",
    "Under",
    "Executive",
    "Attorney",
    "Solicitor",
    "Opposition",
    "Labor",
    "Labour",
    "Justice",
    "of",
    "the",
    "for",
];

const HEAD_TITLES: &[&str] = &[
    "President",
    "Minister",
    "Secretary",
    "Chancellor",
    "King",
    "Queen",
    "Prince",
    "Princess",
    "Sheikh",
    "Emir",
    "Ambassador",
    "Envoy",
    "Adviser",
    "Advisor",
    "Director",
    "General",
    "Chief",
    "Commander",
    "Spokesman",
    "Spokeswoman",
    "Spokesperson",
    "Senator",
    "Sen.",
    "Rep.",
    "Representative",
    "Governor",
    "Gov.",
    "Mayor",
    "Judge",
    "Pope",
    "Rabbi",
    "Rev.",
    "Mr.",
    "Mrs.",
    "Ms.",
    "Dr.",
    "Prof.",
    "Gen.",
    "Maj.-Gen.",
    "Lt.-Gen.",
    "Brig.-Gen.",
    "Lt.",
    "Col.",
    "Maj.",
    "Capt.",
    "Sgt.",
    "Adm.",
    "Colonel",
    "Major",
    "Captain",
    "Sergeant",
    "Admiral",
    "Lieutenant",
    "Marshal",
    "Leader",
    "Ayatollah",
    "Chairman",
    "Chairwoman",
    "CEO",
    "Officer",
    "Speaker",
    "Commissioner",
    "Lord",
    "Sir",
    "Dame",
    "Lady",
    "Secretary-General",
    "Premier",
    "Sultan",
];

const ORG_CUES: &[&str] = &[
    "Ministry",
    "Council",
    "Forces",
    "Force",
    "Corps",
    "Agency",
    "Party",
    "News",
    "Times",
    "Post",
    "Office",
    "Army",
    "Navy",
    "Committee",
    "Commission",
    "Union",
    "Bank",
    "Company",
    "Inc.",
    "Corp.",
    "Ltd",
    "Group",
    "Court",
    "Parliament",
    "Cabinet",
    "Government",
    "University",
    "Institute",
    "Association",
    "Organization",
    "Organisation",
    "Department",
    "Service",
    "Services",
    "Command",
    "Guard",
    "Guards",
    "Magazine",
    "Press",
    "League",
    "Federation",
    "Fund",
    "Authority",
    "Administration",
    "Senate",
    "Congress",
    "Police",
    "Movement",
    "Front",
    "Brigades",
    "Network",
    "Journal",
    "Herald",
    "Tribune",
    "Telegraph",
    "Guardian",
    "Radio",
    "Television",
    "Foundation",
    "Airlines",
    "Airways",
    "Club",
    "Church",
    "Assembly",
    "Knesset",
    "Kremlin",
    "Pentagon",
    "Reuters",
    "Hezbollah",
    "Hamas",
    "Taliban",
    "Board",
    "Bureau",
    "Centre",
    "Center",
    "Alliance",
    "Coalition",
    "Federal",
    "Society",
    "Review",
    "Daily",
    "Gazette",
    "Channel",
    "Broadcasting",
    "Corporation",
    "Holdings",
    "Motors",
    "Technologies",
];

/// Organisations usually named by one word.
const STANDALONE_ORGS: &[&str] = &[
    "Kremlin",
    "Pentagon",
    "Reuters",
    "Hezbollah",
    "Hamas",
    "Taliban",
    "Knesset",
    "NATO",
    "Congress",
    "Parliament",
    "Senate",
    "Cabinet",
    "Bloomberg",
    "Google",
    "Facebook",
    "Twitter",
    "Microsoft",
    "Apple",
    "Amazon",
];

const LOC_CUES: &[&str] = &[
    "Heights",
    "Sea",
    "River",
    "Gulf",
    "Strait",
    "Valley",
    "Mountains",
    "Mount",
    "Island",
    "Islands",
    "Peninsula",
    "Province",
    "Region",
    "Strip",
    "Desert",
    "Lake",
    "Ocean",
    "Bay",
    "Coast",
    "Street",
    "Square",
    "Airport",
    "Border",
    "Plateau",
    "County",
    "District",
];

const MISC_WORDS: &[&str] = &[
    "Shiite",
    "Shia",
    "Sunni",
    "Jewish",
    "Jew",
    "Jews",
    "Muslim",
    "Muslims",
    "Christian",
    "Christians",
    "Arab",
    "Arabs",
    "Kurdish",
    "Kurds",
    "Western",
    "Islamist",
    "Zionist",
    "Catholic",
    "Islamic",
    "European",
    "Europeans",
    "African",
    "Asian",
    "Soviet",
    "Persian",
];

const NOT_NAMES: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "I",
    "I’m",
    "I'm",
    "I’ve",
    "I'd",
    "OK",
    "TV",
    "AM",
    "PM",
    "Mr",
    "Credit",
    "Photo",
    "Read",
    "More",
    "Click",
    "Share",
    "Advertisement",
];

fn is_acronym(word: &str) -> bool {
    let letters: Vec<char> = word.chars().filter(|c| *c != '.').collect();
    (2..=6).contains(&letters.len())
        && letters
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && letters.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2
}

fn is_name_token(word: &str) -> bool {
    if NOT_NAMES.contains(&word) {
        return false;
    }
    if is_capitalised(word) {
        return word.chars().any(char::is_alphabetic);
    }
    // "al-Assad", "bin-Salman": a lower-case prefix before a capitalised part.
    word.split_once('-').is_some_and(|(pre, rest)| {
        matches!(pre, "al" | "el" | "bin" | "ben" | "abu") && is_capitalised(rest)
    })
}

struct Context<'a> {
    text: &'a str,
    tokens: &'a [Token],
    /// Words seen capitalised somewhere not at a sentence start.
    mid_sentence_caps: std::collections::HashSet<&'a str>,
    /// Lower-case words of the text.
    lower_words: std::collections::HashSet<&'a str>,
    /// Tokens that lie in a title-case line.
    headline_token: Vec<bool>,
}

impl<'a> Context<'a> {
    fn word(&self, i: usize) -> &'a str {
        self.tokens[i].text(self.text)
    }

    fn known(&self, bare: &str) -> bool {
        let lex = lexicon();
        lex.place(bare).is_some()
            || lex.is_first_name(bare)
            || lex.demonym_country(bare).is_some()
            || lex.demonym_country(bare.trim_end_matches('s')).is_some()
            || ORG_CUES.contains(&bare)
            || HEAD_TITLES.contains(&bare)
            || MISC_WORDS.contains(&bare)
            || place_alias(bare).is_some()
            || is_acronym(bare)
    }

    /// Whether a capitalised word at a sentence start (or in a headline line) is a name.
    fn initial_word_is_name(&self, i: usize) -> bool {
        let bare = without_possessive(self.word(i));
        if self.known(bare) {
            return true;
        }
        if lexicon().is_common(bare) {
            return false;
        }
        if self.mid_sentence_caps.contains(bare) {
            return true;
        }
        if self.headline_token[i] {
            return false;
        }
        let lower = bare.to_lowercase();
        let inflected = ["ing", "ed", "ly"].iter().any(|s| lower.ends_with(s));
        !inflected && !self.lower_words.contains(lower.as_str())
    }
}

fn headline_flags(text: &str, tokens: &[Token]) -> Vec<bool> {
    let mut flags = vec![false; tokens.len()];
    let mut i = 0;
    for (start, end) in crate::text::lines(text) {
        let first = i;
        while i < tokens.len() && tokens[i].start < end {
            i += 1;
        }
        let line = &tokens[first..i];
        let long: Vec<&str> = line
            .iter()
            .map(|t| t.text(text))
            .filter(|w| w.chars().count() > 3)
            .collect();
        let caps = long.iter().filter(|w| is_capitalised(w)).count();
        // Prose ends with sentence punctuation; headlines usually do not.
        let prose = text[start..end]
            .trim_end()
            .ends_with(['.', '!', '?', '”', '"', ':', ',']);
        if !prose && long.len() >= 3 && caps * 10 >= long.len() * 7 && end - start < 200 {
            flags[first..i].iter_mut().for_each(|f| *f = true);
        }
    }
    flags
}

/// A run of name tokens: token indices, plus the byte end (before any possessive).
struct Run {
    first: usize,
    last: usize,
    end: usize,
}

fn find_runs(cx: &Context) -> Vec<Run> {
    let mut runs = Vec::new();
    let tokens = cx.tokens;
    let text = cx.text;
    let mut i = 0;
    // A word after a rejected sentence-initial word ("Breaking News") needs evidence too.
    let mut carried = false;
    while i < tokens.len() {
        let w = cx.word(i);
        let needs_evidence = tokens[i].initial || cx.headline_token[i] || carried;
        carried = false;
        if !is_name_token(w) || (needs_evidence && !cx.initial_word_is_name(i)) {
            carried = needs_evidence
                && is_name_token(w)
                && tokens
                    .get(i + 1)
                    .is_some_and(|n| &text[tokens[i].end..n.start] == " ");
            i += 1;
            continue;
        }
        let first = i;
        let mut last = i;
        let mut end = tokens[i].start + without_possessive(w).len();
        let mut possessive = end < tokens[i].end;
        let mut j = i + 1;
        while !possessive && j < tokens.len() {
            let gap = &text[tokens[j - 1].end..tokens[j].start];
            if gap != " " {
                break;
            }
            let wj = cx.word(j);
            if is_name_token(wj) && (!cx.headline_token[j] || cx.initial_word_is_name(j)) {
                last = j;
                end = tokens[j].start + without_possessive(wj).len();
                possessive = end < tokens[j].end;
                j += 1;
                continue;
            }
            // Connectors count only between name tokens ("Tomb of the Unknown Soldier").
            if CONNECTORS.contains(&wj) && wj != "and" {
                let mut k = j + 1;
                while k < tokens.len() && k < j + 2 && CONNECTORS.contains(&cx.word(k)) {
                    k += 1;
                }
                let joined = (j..=k).all(|m| {
                    m < tokens.len() && m > 0 && &text[tokens[m - 1].end..tokens[m].start] == " "
                });
                if joined && k < tokens.len() && is_name_token(cx.word(k)) && !cx.headline_token[k]
                {
                    j = k;
                    continue;
                }
            }
            break;
        }
        runs.push(Run { first, last, end });
        i = last + 1;
    }
    runs
}

fn is_title_word(w: &str) -> bool {
    TITLE_WORDS.contains(&w) || HEAD_TITLES.contains(&w)
}

/// Index where the name starts after a leading title, if the run starts with one.
fn title_split(cx: &Context, run: &Run) -> Option<usize> {
    let lex = lexicon();
    let words: Vec<&str> = (run.first..=run.last).map(|i| cx.word(i)).collect();
    let mut k = 0;
    // A nationality or an organisation acronym may lead a title ("Russian", "IDF").
    if words.len() > 1 && (lex.demonym_country(words[0]).is_some() || is_acronym(words[0])) {
        k = 1;
    }
    let mut has_head = false;
    let mut split = None;
    while k < words.len() && is_title_word(words[k]) {
        has_head |= HEAD_TITLES.contains(&words[k]);
        k += 1;
        if has_head && k < words.len() && !CONNECTORS.contains(&words[k - 1]) {
            split = Some(k);
        }
    }
    // A given name after a title ("… of the Armed Forces Valery Gerasimov").
    let head_anywhere = words.iter().position(|w| HEAD_TITLES.contains(w));
    if let Some(h) = head_anywhere
        && let Some(p) = (h + 1..words.len()).find(|&p| lex.is_first_name(words[p]))
        && words.len() - p <= 4
        && split.is_none_or(|s| p > s)
    {
        split = Some(p);
    }
    let s = split?;
    // The name must not start with a connector.
    if CONNECTORS.contains(&words[s]) {
        return None;
    }
    Some(run.first + s)
}

fn appositive_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:\p{Lu}[\p{L}.-]*(?:’s|'s)?\s+)?(?:(?:deputy|foreign|senior|special|former|acting|vice|prime|defen[cs]e|interior|finance|security|national|chief|top|military|presidential|interim|assistant|executive|new|current)\s+){0,3}(?:ambassador|envoy|minister|representative|spokes(?:man|woman|person)|adviser|advisor|secretary|president|chairman|head|chief|commander|director|leader|negotiator|diplomat|lawyer|attorney)(?:\s+(?:to|for|of|in|at)\s+(?:the\s+)?(?:[\p{L}.-]+\s+){0,2}?[\p{L}.-]+)?,?\s+$",
        )
        .expect("valid appositive regex")
    })
}

/// A lower-case role printed just before a name ("Russia's ambassador to Tehran Levan …").
fn appositive_title(text: &str, name_start: usize, sentence_start: usize) -> Option<String> {
    let mut from = name_start.saturating_sub(90).max(sentence_start);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = text.get(from..name_start)?;
    let m = appositive_regex().find(window)?;
    let title = m.as_str().trim().trim_end_matches(',').trim();
    // Must begin at a word boundary.
    let before = window[..m.start()].chars().next_back();
    if before.is_some_and(char::is_alphanumeric) {
        return None;
    }
    Some(title.to_string())
}

struct RawMention {
    start: usize,
    end: usize,
    kind: EntityKind,
    /// Whether the type came from strong evidence (title, list, cue) rather than a default.
    sure: bool,
    title: Option<String>,
    canonical: Option<String>,
}

fn followed_by_reporting_verb(text: &str, end: usize) -> bool {
    let rest = text.get(end..).unwrap_or("");
    let rest = rest.strip_prefix(' ').unwrap_or("");
    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    lexicon().is_reporting_verb(&word)
}

fn type_name(
    cx: &Context,
    first: usize,
    last: usize,
    end: usize,
    titled: bool,
) -> Option<(EntityKind, bool, Option<String>)> {
    let lex = lexicon();
    let text = cx.text;
    let name = &text[cx.tokens[first].start..end];
    let words: Vec<&str> = name.split(' ').collect();
    let last_word = *words.last()?;
    let of_pos = words.iter().position(|w| *w == "of");
    if (words.len() > 1 && ORG_CUES.contains(&last_word))
        || of_pos.is_some_and(|p| p > 0 && ORG_CUES.contains(&words[p - 1]))
    {
        return Some((EntityKind::ORG, true, None));
    }
    if let Some(alias) = place_alias(name) {
        return Some((EntityKind::LOC, true, Some(alias.to_string())));
    }
    if lex.place(name).is_some() {
        return Some((EntityKind::LOC, true, None));
    }
    // Datelines print places in capitals ("JERUSALEM").
    if name.chars().count() > 3 && name.chars().all(|c| c.is_uppercase() || c == ' ') {
        let titled: String = name
            .split(' ')
            .map(|w| {
                let mut cs = w.chars();
                cs.next().map_or(String::new(), |f| {
                    f.to_string() + &cs.as_str().to_lowercase()
                })
            })
            .collect::<Vec<_>>()
            .join(" ");
        if lex.place(&titled).is_some() {
            return Some((EntityKind::LOC, true, Some(titled)));
        }
    }
    if words.len() == 1
        && let Some(country) = lex
            .demonym_country(name)
            .or_else(|| lex.demonym_country(name.strip_suffix('s')?))
    {
        return Some((EntityKind::MISC, true, Some(country.to_string())));
    }
    if titled {
        return Some((EntityKind::PER, true, None));
    }
    if words.len() == 1 {
        if MISC_WORDS.contains(&name) {
            return Some((EntityKind::MISC, true, None));
        }
        if is_acronym(name) {
            return Some((EntityKind::ORG, true, None));
        }
        if STANDALONE_ORGS.contains(&name) {
            return Some((EntityKind::ORG, true, None));
        }
        if ORG_CUES.contains(&name) || HEAD_TITLES.contains(&name) || TITLE_WORDS.contains(&name) {
            return None;
        }
        if name.chars().filter(|c| c.is_alphabetic()).count() < 2 {
            return None;
        }
        if lex.is_first_name(name) || followed_by_reporting_verb(text, end) {
            return Some((EntityKind::PER, lex.is_first_name(name), None));
        }
        return Some((EntityKind::MISC, false, None));
    }
    if LOC_CUES.contains(&last_word) {
        return Some((EntityKind::LOC, true, None));
    }
    if words[0] == "Operation" {
        return Some((EntityKind::MISC, true, None));
    }
    if lex.is_first_name(words[0]) {
        return Some((EntityKind::PER, true, None));
    }
    let name_like = words.len() <= 3
        && words.iter().all(|w| {
            is_name_token(w)
                && !lex.is_common(w)
                && !is_title_word(w)
                && lex.place(w).is_none()
                && lex.demonym_country(w).is_none()
                && !is_acronym(w)
        });
    let _ = last;
    if name_like {
        return Some((EntityKind::PER, false, None));
    }
    Some((EntityKind::MISC, false, None))
}

/// Tags the entities of `text`. `authors` (validated byline names) count as known people.
pub fn find(text: &str, analysis: &Analysis, authors: &[String]) -> Found {
    let tokens = &analysis.tokens;
    let mut mid_sentence_caps = std::collections::HashSet::new();
    let mut lower_words = std::collections::HashSet::new();
    let headline_token = headline_flags(text, tokens);
    for (i, t) in tokens.iter().enumerate() {
        let w = t.text(text);
        if is_capitalised(w) {
            if !t.initial && !headline_token[i] {
                mid_sentence_caps.insert(without_possessive(w));
            }
        } else {
            lower_words.insert(w);
        }
    }
    let cx = Context {
        text,
        tokens,
        mid_sentence_caps,
        lower_words,
        headline_token,
    };
    let mut raw: Vec<RawMention> = Vec::new();
    for run in find_runs(&cx) {
        let sentence_start = analysis
            .sentences
            .get(tokens[run.first].sentence)
            .map_or(0, |s| s.0);
        let split = title_split(&cx, &run);
        let (name_first, mut title) = match split {
            Some(s) => {
                let title_text = text[tokens[run.first].start..tokens[s - 1].end].to_string();
                // A leading nationality or acronym is also a mention of its own.
                let w0 = cx.word(run.first);
                if let Some((kind, sure, canonical)) =
                    type_name(&cx, run.first, run.first, tokens[run.first].end, false)
                    && (lexicon().demonym_country(w0).is_some() || is_acronym(w0))
                {
                    raw.push(RawMention {
                        start: tokens[run.first].start,
                        end: tokens[run.first].end,
                        kind,
                        sure,
                        title: None,
                        canonical,
                    });
                }
                (s, Some(title_text))
            }
            None => (run.first, None),
        };
        // A nationality in front of an untitled name is a separate MISC mention
        // ("Russian Sergei X" is rare; "Russian Foreign Ministry" stays one ORG).
        let mut name_first = name_first;
        if title.is_none() && run.last > run.first {
            let w0 = cx.word(run.first);
            let whole = &text[tokens[run.first].start..run.end];
            let is_org = type_name(&cx, run.first, run.last, run.end, false)
                .is_some_and(|t| t.0 == EntityKind::ORG);
            if lexicon().demonym_country(w0).is_some()
                && !is_org
                && lexicon().place(whole).is_none()
            {
                if let Some((kind, sure, canonical)) =
                    type_name(&cx, run.first, run.first, tokens[run.first].end, false)
                {
                    raw.push(RawMention {
                        start: tokens[run.first].start,
                        end: tokens[run.first].end,
                        kind,
                        sure,
                        title: None,
                        canonical,
                    });
                }
                name_first = run.first + 1;
            }
        }
        // "… ambassador to Tehran Levan Dzhagaryan": a place directly before a given name.
        if name_first < run.last {
            let w = cx.word(name_first);
            if lexicon().place(w).is_some() && lexicon().is_first_name(cx.word(name_first + 1)) {
                raw.push(RawMention {
                    start: tokens[name_first].start,
                    end: tokens[name_first].end,
                    kind: EntityKind::LOC,
                    sure: true,
                    title: None,
                    canonical: None,
                });
                name_first += 1;
            }
        }
        let start = tokens[name_first].start;
        if title.is_none() {
            title = appositive_title(text, start, sentence_start);
        }
        let Some((mut kind, mut sure, canonical)) =
            type_name(&cx, name_first, run.last, run.end, title.is_some())
        else {
            continue;
        };
        let name = &text[start..run.end];
        if authors.iter().any(|a| a == name) {
            kind = EntityKind::PER;
            sure = true;
        }
        if kind != EntityKind::PER {
            title = None;
        }
        raw.push(RawMention {
            start,
            end: run.end,
            kind,
            sure,
            title,
            canonical,
        });
    }
    raw.sort_by_key(|m| (m.start, m.end));
    group(text, raw)
}

/// Strips a leading nationality adjective from a printed title for the entity's title list.
fn entity_title(title: &str) -> String {
    match title.split_once(' ') {
        Some((first, rest)) if lexicon().demonym_country(first).is_some() => rest.to_string(),
        _ => title.to_string(),
    }
}

fn group(text: &str, raw: Vec<RawMention>) -> Found {
    let name_of = |m: &RawMention| &text[m.start..m.end];
    let tokens_of = |s: &str| -> Vec<String> { s.split(' ').map(folding_key).collect() };
    // Full person names of the article, longest first, then first seen.
    let mut people: Vec<(usize, Vec<String>)> = raw
        .iter()
        .enumerate()
        .filter(|(_, m)| m.kind == EntityKind::PER && m.sure)
        .map(|(i, m)| (i, tokens_of(name_of(m))))
        .collect();
    people.sort_by_key(|(i, t)| (std::cmp::Reverse(t.len()), *i));
    let contains = |outer: &[String], inner: &[String]| {
        inner.len() <= outer.len() && outer.windows(inner.len()).any(|w| w == inner)
    };

    let mut found = Found::default();
    let mut index: HashMap<(EntityKind, String), usize> = HashMap::new();
    for m in &raw {
        let name = name_of(m);
        let tokens = tokens_of(name);
        let mut kind = m.kind;
        let mut full = name.to_string();
        // A shorter form of a person named in full elsewhere in the article.
        if (matches!(kind, EntityKind::PER | EntityKind::MISC)
            || (!m.sure && kind != EntityKind::LOC))
            && let Some((pi, _)) = people.iter().find(|(_, t)| contains(t, &tokens))
        {
            kind = EntityKind::PER;
            full = name_of(&raw[*pi]).to_string();
        }
        let canonical = match (&m.canonical, kind) {
            (Some(c), _) => c.clone(),
            (None, EntityKind::PER) => canonical_person_name(&full),
            (None, _) => full.clone(),
        };
        let key = (kind, folding_key(&canonical));
        let idx = *index.entry(key).or_insert_with(|| {
            found.entities.push(Entity {
                kind,
                name: full.clone(),
                canonical: canonical.clone(),
                mentions: 0,
                first_start: m.start,
                titles: Vec::new(),
            });
            found.entities.len() - 1
        });
        let e = &mut found.entities[idx];
        e.mentions += 1;
        if full.split(' ').count() > e.name.split(' ').count() {
            e.name = full.clone();
        }
        if let Some(t) = &m.title {
            let t = entity_title(t);
            if !e.titles.contains(&t) {
                e.titles.push(t);
            }
        }
        found.mentions.push(Mention {
            kind,
            text: name.to_string(),
            start: m.start,
            end: m.end,
            entity: idx,
            title: m.title.clone(),
        });
    }
    found
}
