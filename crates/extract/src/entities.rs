//! Entity tagging: the statistical tagger (`crate::ner`) finds the names and their types
//! (PER, ORG, LOC, MISC, CoNLL-2003 conventions); the rules here attach what the tagger does not
//! model.
//!
//! 1. Titles: capitalised title words printed just before a person ("Russian Deputy Foreign
//!    Minister", "IDF Chief of Staff Lt.-Gen.") or left inside the tagged span are the
//!    mention's title, never part of the name; a lower-case appositive before a name ("Russia's
//!    ambassador to Tehran") is attached too.
//! 2. Canonical names: nationality adjectives and plurals ("Russian", "Iranians") stay MISC, as
//!    in CoNLL-2003, with the country as canonical name so they join the country's LOC rows;
//!    place aliases ("U.S.") and capitalised datelines ("JERUSALEM") map to the gazetteer name.
//! 3. Mentions of one person are grouped under the fullest form used in the article
//!    ("Netanyahu" → "Benjamin Netanyahu"), comparing folded spellings.
//!
//! The word lists below also feed the tagger's features (titles, organisation words and heads, and
//! place words): changing them changes the features, so the model must be retrained.

use std::collections::HashMap;
use std::sync::OnceLock;

use newsmill_core::{Entity, EntityKind, Mention};
use regex::Regex;

use crate::canonical::{canonical_person_name, folding_key, place_alias};
use crate::lexicon::lexicon;
use crate::ner::{NerModel, token_sentences, tokenize};

#[derive(Debug, Default)]
pub struct Found {
    pub entities: Vec<Entity>,
    /// Byte offsets until the stage converts them.
    pub mentions: Vec<Mention>,
}

/// Words that join title words ("Chief of Staff", "Minister for Foreign Affairs").
const TITLE_CONNECTORS: &[&str] = &["of", "the", "for"];

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

pub(crate) const HEAD_TITLES: &[&str] = &[
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

pub(crate) const ORG_CUES: &[&str] = &[
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

/// Lower-case common nouns that head the name of an organisation printed next to them:
/// "Foreign Policy magazine", "Interfax news agency", "the Likud party", "the daily Haaretz".
/// CoNLL-2003 tags such names ORG and the noun O. Nouns that as often follow a nationality or
/// a person ("government", "administration", "militia") are left out.
pub(crate) const ORG_HEAD_NOUNS: &[&str] = &[
    "magazine",
    "newspaper",
    "paper",
    "daily",
    "weekly",
    "tabloid",
    "journal",
    "newsletter",
    "news",
    "agency",
    "broadcaster",
    "network",
    "channel",
    "television",
    "radio",
    "website",
    "party",
    "movement",
    "union",
    "group",
    "company",
    "firm",
    "bank",
    "carrier",
    "airline",
    "club",
    "fund",
    "institute",
    "foundation",
];

pub(crate) const LOC_CUES: &[&str] = &[
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

fn is_acronym(word: &str) -> bool {
    let letters: Vec<char> = word.chars().filter(|c| *c != '.').collect();
    (2..=6).contains(&letters.len())
        && letters
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && letters.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2
}

fn is_title_word(w: &str) -> bool {
    TITLE_WORDS.contains(&w) || HEAD_TITLES.contains(&w)
}

/// The first token of a title printed right before token `name` (not before `floor`): title
/// words, optionally led by a nationality or an acronym ("Russian", "IDF"). The title must hold
/// a head word (Minister, President, Gen., …) and must not start with a connector.
fn title_before(words: &[&str], name: usize, floor: usize) -> Option<usize> {
    let mut k = name;
    while k > floor && is_title_word(words[k - 1]) {
        k -= 1;
    }
    while k < name && TITLE_CONNECTORS.contains(&words[k]) {
        k += 1;
    }
    if k == name || !words[k..name].iter().any(|w| HEAD_TITLES.contains(w)) {
        return None;
    }
    if k > floor && (lexicon().demonym_country(words[k - 1]).is_some() || is_acronym(words[k - 1]))
    {
        k -= 1;
    }
    Some(k)
}

fn canonical_for(name: &str, kind: EntityKind) -> Option<String> {
    let lex = lexicon();
    match kind {
        EntityKind::LOC => {
            if let Some(alias) = place_alias(name) {
                return Some(alias.to_string());
            }
            // Datelines print places in capitals ("JERUSALEM").
            if lex.place(name).is_none() && !name.chars().any(char::is_lowercase) {
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
                    return Some(titled);
                }
            }
            None
        }
        EntityKind::MISC if !name.contains(' ') => lex
            .demonym_country(name)
            .or_else(|| lex.demonym_country(name.strip_suffix('s')?))
            .map(str::to_string),
        _ => None,
    }
}

/// Tags the entities of `text` with the built-in model (the sentence analysis is not needed: the
/// tagger tokenises in its own CoNLL style).
pub fn find(text: &str, _analysis: &crate::text::Analysis, authors: &[String]) -> Found {
    find_with(text, NerModel::builtin(), authors)
}

/// Tokens of title-case lines: headlines and kickers left in the text ("Russia and Iran Not
/// Allies, Says Russian Diplomat", "Breaking News"). Such a line has at least two words longer
/// than three letters, 70% of them capitalised, no closing sentence punctuation, and is not a
/// byline ("By Batya Jerenberg, World Israel News": names are expected there).
fn headline_tokens(text: &str, toks: &[(usize, usize)]) -> Vec<bool> {
    let mut flags = vec![false; toks.len()];
    let mut i = 0;
    while i < toks.len() {
        let line_end = text[toks[i].0..]
            .find('\n')
            .map_or(text.len(), |p| toks[i].0 + p);
        let first = i;
        while i < toks.len() && toks[i].0 < line_end {
            i += 1;
        }
        let words = toks[first..i].iter().map(|&(s, e)| &text[s..e]);
        let long: Vec<&str> = words.filter(|w| w.chars().count() > 3).collect();
        let caps = long
            .iter()
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
            .count();
        let line = text[toks[first].0..line_end].trim_end();
        let prose = line.ends_with(['.', '!', '?', '”', '"', ':', ',']);
        let byline = line.starts_with("By ");
        if !prose && !byline && long.len() >= 2 && caps * 10 >= long.len() * 7 && line.len() < 200 {
            flags[first..i].iter_mut().for_each(|f| *f = true);
        }
    }
    flags
}

/// Words as the tagger should see them: in a headline, a capitalised word that the article
/// otherwise prints in lower case (and never capitalised mid-sentence), or a common function
/// word, is lower-cased, because the tagger learnt capitalisation from running text.
fn truecased<'a>(
    text: &'a str,
    toks: &[(usize, usize)],
    sents: &[(usize, usize)],
) -> Vec<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    use std::collections::HashSet;
    let headline = headline_tokens(text, toks);
    let words: Vec<&str> = toks.iter().map(|&(s, e)| &text[s..e]).collect();
    if !headline.contains(&true) {
        return words.into_iter().map(Cow::Borrowed).collect();
    }
    let mut initial = vec![false; toks.len()];
    for &(s, _) in sents {
        if let Some(x) = initial.get_mut(s) {
            *x = true;
        }
    }
    let mut lower: HashSet<&str> = HashSet::new();
    let mut capitalised_mid: HashSet<String> = HashSet::new();
    for (i, w) in words.iter().enumerate() {
        if headline[i] {
            continue;
        }
        if w.chars().next().is_some_and(char::is_lowercase) {
            lower.insert(w);
        } else if !initial[i] && w.chars().next().is_some_and(char::is_uppercase) {
            capitalised_mid.insert(w.to_lowercase());
        }
    }
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if !headline[i] || !w.chars().next().is_some_and(char::is_uppercase) {
                return Cow::Borrowed(*w);
            }
            let l = w.to_lowercase();
            let demote = (lower.contains(l.as_str()) || lexicon().is_common(w))
                && !capitalised_mid.contains(&l);
            if demote {
                Cow::Owned(l)
            } else {
                Cow::Borrowed(*w)
            }
        })
        .collect()
}

/// Tags the entities of `text` with `model`. `authors` (validated byline names) count as
/// known people.
pub fn find_with(text: &str, model: &NerModel, authors: &[String]) -> Found {
    let toks = tokenize(text);
    let sents = token_sentences(text, &toks);
    let cased = truecased(text, &toks, &sents);
    let words: Vec<&str> = cased.iter().map(|w| w.as_ref()).collect();
    let mut sentence_of = vec![0usize; toks.len()];
    for &(s, e) in &sents {
        for x in &mut sentence_of[s..e] {
            *x = s;
        }
    }
    let tagged = model.tag_words(&words, &sents);
    let mut raw: Vec<RawMention> = Vec::new();
    for (n, &(first, end, mut kind)) in tagged.iter().enumerate() {
        let floor = sentence_of[first];
        // A span made of title words is a title, not a name: a title alone ("Staff"), or one
        // printed before a person ("National Security Adviser Meir Ben-Shabbat"), which the
        // person's mention takes as its title.
        if words[first..end].iter().all(|w| is_title_word(w)) {
            let mut j = end;
            while j < words.len() && is_title_word(words[j]) {
                j += 1;
            }
            let before_person = tagged
                .get(n + 1)
                .is_some_and(|&(f, _, k)| f == j && k == EntityKind::PER);
            if kind == EntityKind::PER || before_person {
                continue;
            }
        }
        // Months and weekdays are dates, whatever the tagger thought ("Friday January 25").
        if end - first == 1 && crate::lexicon::calendar_names().any(|n| n == words[first]) {
            continue;
        }
        let mut first = first;
        let mut title_from = None;
        if kind != EntityKind::PER
            && let Some(g) = person_after_organisation(&words, first, end)
        {
            // "… of the Armed Forces Valery Gerasimov": the organisation, then the person.
            let name = &text[toks[first].0..toks[g - 1].1];
            raw.push(RawMention {
                start: toks[first].0,
                end: toks[g - 1].1,
                kind,
                sure: true,
                title: None,
                canonical: canonical_for(name, kind),
            });
            first = g;
            kind = EntityKind::PER;
        }
        if kind == EntityKind::PER {
            // "… ambassador to Tehran Levan Dzhagaryan": a place right before a given name.
            let after_preposition =
                first > 0 && matches!(words[first - 1], "to" | "in" | "from" | "at" | "of");
            if end - first >= 3
                && after_preposition
                && lexicon().place(words[first]).is_some()
                && lexicon().is_given_name(words[first + 1])
            {
                raw.push(RawMention {
                    start: toks[first].0,
                    end: toks[first].1,
                    kind: EntityKind::LOC,
                    sure: true,
                    title: None,
                    canonical: None,
                });
                first += 1;
            }
            // Title words the tagger left inside the span.
            let mut k = first;
            while k + 1 < end && is_title_word(words[k]) {
                k += 1;
            }
            if k > first && words[first..k].iter().any(|w| HEAD_TITLES.contains(w)) {
                title_from = Some(first);
                first = k;
            }
            if let Some(t) = title_before(&words, title_from.unwrap_or(first), floor) {
                title_from = Some(t);
            }
        }
        let start = toks[first].0;
        let end_byte = toks[end - 1].1;
        let name = &text[start..end_byte];
        let mut title = title_from.map(|t| text[toks[t].0..toks[first - 1].1].to_string());
        if kind == EntityKind::PER && title.is_none() {
            title = appositive_title(text, start, toks[floor].0);
        }
        if authors.iter().any(|a| a == name) {
            kind = EntityKind::PER;
        }
        // A one-word organisation may be a surname mistyped; grouping may still join it to a
        // person named in full.
        let sure = !(kind == EntityKind::ORG && end - first == 1 && !is_acronym(name));
        raw.push(RawMention {
            start,
            end: end_byte,
            kind,
            sure,
            title,
            canonical: canonical_for(name, kind),
        });
    }
    raw.sort_by_key(|m| (m.start, m.end));
    group(text, raw)
}

/// Where a person's name starts inside a tagged organisation span that runs into it: after a
/// word that ends organisation names ("Forces", "Ministry", "Party"), a known given name and at
/// least one more capitalised word, none of them another organisation word ("the Armed Forces
/// Valery Gerasimov"). Organisations named after a person put the name first ("Robert Bosch",
/// "John F. Kennedy Center") and keep their head word after it, so they are left whole.
fn person_after_organisation(words: &[&str], first: usize, end: usize) -> Option<usize> {
    (first + 1..end.saturating_sub(1)).find(|&g| {
        ORG_CUES.contains(&words[g - 1])
            && lexicon().is_given_name(words[g])
            && words[g + 1..end]
                .iter()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase) && !ORG_CUES.contains(w))
    })
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
