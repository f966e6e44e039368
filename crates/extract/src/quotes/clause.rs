//! Reporting clauses found on tokens: a reporting verb is a word-list lookup per token, and its
//! subject is read off the neighbouring tokens and entity mentions. This replaces one large
//! regular expression over every verb form, which was slower and missed subjects with
//! parentheticals ("Sen. Claire McCaskill (D-Mo.) said"), appositives and long descriptions
//! ("the former secretary of state … said").

use newsmill_core::EntityKind;

use super::{Attribution, Span, Who, inside};
use crate::entities::Found;
use crate::lexicon::lexicon;
use crate::text::{Analysis, takes_final_dot};

/// Words that sit between a subject and its verb ("he *also* said", "X *has* told").
const AUXILIARIES: &[&str] = &[
    "also",
    "then",
    "later",
    "has",
    "had",
    "have",
    "was",
    "were",
    "is",
    "again",
    "further",
    "reportedly",
    "once",
    "previously",
    "recently",
    "repeatedly",
    "would",
    "will",
    "did",
    "does",
    "had",
    "often",
    "publicly",
    "privately",
    "simply",
    "just",
    "flatly",
    "quickly",
    "still",
    "even",
    "never",
    "not",
    "ultimately",
    "separately",
    "first",
    "subsequently",
];

/// Words that open a descriptive subject ("*the* ad's narrator", "*a* spokeswoman").
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "one", "another", "his", "her", "their", "its", "our", "some", "two",
    "three", "several", "many", "both", "other", "this", "that", "these", "those",
];

/// Words that do not occur in a description of a speaker ("the class by", "Polls show …").
const NOT_IN_A_DESCRIPTION: &[&str] = &[
    "to", "by", "if", "before", "after", "when", "while", "being", "been", "came", "come", "show",
    "shows", "up", "because", "since", "than", "into", "not", "no", "would", "could", "should",
    "be", "is", "are", "was", "were", "has", "have", "had", "it", "there", "then",
];

const PRONOUNS: &[&str] = &["he", "she", "they", "him", "her", "them", "i", "we", "it"];

/// Participles that continue a sentence's subject ("…, adding that “…”").
fn is_participle(word: &str) -> bool {
    word.ends_with("ing")
}

/// Verbs of thinking and feeling, which report no words.
fn is_cognition(word: &str) -> bool {
    const STEMS: &[&str] = &[
        "think", "thought", "believ", "feel", "felt", "know", "knew", "hope", "want", "wish",
        "fear", "expect", "assum", "guess", "imagin", "suspect", "doubt", "wonder",
    ];
    STEMS.iter().any(|s| word.starts_with(s))
}

/// Reporting verbs that are mostly nouns in news prose ("the report", "his comments").
fn noun_like(word: &str) -> bool {
    matches!(
        word,
        "report"
            | "reports"
            | "comment"
            | "comments"
            | "statement"
            | "claim"
            | "claims"
            | "promise"
            | "answer"
            | "reply"
            | "question"
            | "note"
            | "notes"
            | "remark"
            | "remarks"
            | "charge"
            | "charges"
            | "state"
            | "point"
            | "order"
            | "mention"
            | "estimate"
            | "boast"
            | "respond"
            | "joke"
            | "call"
            | "calls"
            | "add"
            | "say"
            | "tell"
            | "ask"
            | "write"
            | "admit"
            | "warn"
            | "insist"
            | "explain"
            | "argue"
            | "states"
            | "accepted"
            | "accept"
            | "tweet"
            | "tweets"
            | "quote"
            | "quotes"
            | "finds"
            | "find"
            | "indicate"
    )
}

/// A word token (byte offsets): letters and digits with inner apostrophes, hyphens and dots.
pub(super) struct Token {
    start: usize,
    end: usize,
    /// First word of its sentence.
    initial: bool,
}

impl Token {
    fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// The words of `text`, with a dot kept on abbreviations ("Sen.", "U.S.").
fn tokenize(text: &str, analysis: &Analysis) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut sentences = analysis.sentences.iter().peekable();
    let mut chars = text.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        let mut end = pos + c.len_utf8();
        while let Some(&(p, n)) = chars.peek() {
            // Letters and digits, and joiners inside a word ("al-Assad", "U.S", "Israel’s").
            let joins = n.is_alphanumeric()
                || (matches!(n, '\'' | '’' | '-' | '.' | '‑')
                    && text[p + n.len_utf8()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric));
            if !joins {
                break;
            }
            end = p + n.len_utf8();
            chars.next();
        }
        if text[end..].starts_with('.') && takes_final_dot(&text[pos..end]) {
            end += 1;
            chars.next();
        }
        while sentences.peek().is_some_and(|&&(_, e)| e <= pos) {
            sentences.next();
        }
        let initial = sentences.peek().is_none_or(|&&(s, _)| {
            text.get(s..pos)
                .is_none_or(|g| !g.chars().any(char::is_alphanumeric))
        });
        tokens.push(Token {
            start: pos,
            end,
            initial,
        });
    }
    tokens
}

pub(super) struct Clauses<'a> {
    pub text: &'a str,
    pub found: &'a Found,
    pub spans: &'a [Span],
    pub tokens: Vec<Token>,
}

impl<'a> Clauses<'a> {
    pub fn new(text: &'a str, analysis: &'a Analysis, found: &'a Found, spans: &'a [Span]) -> Self {
        // Only articles with quotes need their words.
        let tokens = if spans.is_empty() {
            Vec::new()
        } else {
            tokenize(text, analysis)
        };
        Clauses {
            text,
            found,
            spans,
            tokens,
        }
    }
}

fn lower(word: &str) -> String {
    word.to_lowercase()
}

impl Clauses<'_> {
    fn word(&self, t: &Token) -> &str {
        t.text(self.text)
    }

    /// Index range of the tokens lying inside `from..to`.
    fn token_range(&self, from: usize, to: usize) -> std::ops::Range<usize> {
        let tokens = &self.tokens;
        let a = tokens.partition_point(|t| t.start < from);
        let b = tokens.partition_point(|t| t.end <= to);
        a..b.max(a)
    }

    /// Whether a token is a reporting verb. Right after a quote (`loose`) even forms that are
    /// mostly nouns elsewhere count: “…” reply Burton and Nick.
    fn is_verb(&self, t: &Token, loose: bool) -> bool {
        let w = self.word(t);
        if !w.chars().next().is_some_and(char::is_lowercase) {
            return false;
        }
        let w = lower(w);
        lexicon().is_reporting_verb(&w) && (loose || !noun_like(&w))
    }

    /// Whether the tokens from index `first` up to byte `to` follow each other with only spaces
    /// between them (a parenthetical such as "(D-Wis.)" is skipped).
    fn clean_run(&self, first: usize, to: usize) -> bool {
        let mut depth = 0i32;
        let mut prev_end: Option<usize> = None;
        for t in self.tokens[first.min(self.tokens.len())..].iter() {
            if t.start >= to {
                break;
            }
            if let Some(p) = prev_end {
                for c in self.gap(p, t.start).chars() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        ',' | ';' | ':' | '.' | '!' | '?' | '“' | '”' | '"' | '\n'
                            if depth == 0 =>
                        {
                            return false;
                        }
                        _ => {}
                    }
                }
            }
            prev_end = Some(t.end);
        }
        true
    }

    /// Whether token `v` follows a determiner or a possessive, which makes it a noun ("Trump’s
    /// tweet", "the woman’s quotes", "his early-morning tweets").
    fn follows_determiner(&self, v: usize) -> bool {
        let Some(prev) = v.checked_sub(1).and_then(|p| self.tokens.get(p)) else {
            return false;
        };
        let w = lower(self.word(prev));
        let prev_is_det = matches!(
            w.as_str(),
            "the"
                | "a"
                | "an"
                | "his"
                | "her"
                | "their"
                | "its"
                | "our"
                | "my"
                | "your"
                | "this"
                | "these"
                | "those"
        ) || w.ends_with("’s")
            || w.ends_with("'s");
        let adjective_run = w.contains('-') && v >= 2 && {
            let w2 = lower(self.word(&self.tokens[v - 2]));
            matches!(
                w2.as_str(),
                "the" | "a" | "an" | "his" | "her" | "their" | "its" | "of"
            )
        };
        (prev_is_det || adjective_run) && self.gap(prev.end, self.tokens[v].start).trim().is_empty()
    }

    fn gap(&self, a: usize, b: usize) -> &str {
        self.text.get(a..b).unwrap_or("")
    }

    /// Whether the text between two positions is only what may separate a subject from its
    /// verb: spaces, auxiliaries, a parenthetical ("(D-Mo.)") or a comma-delimited appositive.
    fn subject_reaches_verb(&self, subject_end: usize, verb: usize) -> bool {
        let gap = self.gap(subject_end, verb);
        let mut depth = 0i32;
        let mut cleaned = String::with_capacity(gap.len());
        for c in gap.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 => cleaned.push(c),
                _ => {}
            }
        }
        let trimmed = cleaned.trim();
        if trimmed.is_empty() {
            return true;
        }
        // ", the assistant leader of the Democratic caucus," / ", R-Ky.," — an appositive.
        let trimmed = trimmed.strip_prefix('.').unwrap_or(trimmed).trim_start();
        if trimmed.len() > 1 && trimmed.starts_with(',') && trimmed.ends_with(',') {
            return !trimmed.contains(['!', '?', '“', '”', '"', ';', ':', '\n'])
                && trimmed.split_whitespace().count() <= 16;
        }
        if trimmed.contains(['.', '!', '?', '“', '”', '"', ';', ':', '\n']) {
            return false;
        }
        trimmed
            .split_whitespace()
            .all(|w| AUXILIARIES.contains(&lower(w).as_str()))
    }

    /// The last mention (of a kind) ending inside `from..to`, outside quotes.
    fn mention_in(
        &self,
        from: usize,
        to: usize,
        kind: Option<EntityKind>,
    ) -> Option<(usize, usize)> {
        self.found
            .mentions
            .iter()
            .rfind(|m| {
                m.start >= from
                    && m.end <= to
                    && kind.is_none_or(|k| m.kind == k)
                    && !inside(self.spans, m.start)
            })
            .map(|m| (m.start, m.end))
    }

    fn attribution(&self, span: (usize, usize), who: Who, cue: &str) -> Attribution {
        Attribution {
            who,
            span,
            cue: cue.to_string(),
        }
    }

    /// The subject of the verb token `v`, looking back no further than `from`.
    fn subject_before(&self, from: usize, v: usize, whole_segment: bool) -> Option<Attribution> {
        let tokens = &self.tokens;
        let verb = tokens.get(v)?;
        let cue = self.word(verb);
        // Skip auxiliaries back to the word before them.
        let mut i = v;
        while i > 0 {
            let t = &tokens[i - 1];
            if t.start < from || !AUXILIARIES.contains(&lower(self.word(t)).as_str()) {
                break;
            }
            i -= 1;
        }
        if i > 0
            && tokens[i - 1].start >= from
            && matches!(self.word(&tokens[i - 1]), "and" | "but" | "then")
        {
            // "… did A and said B": the subject of the first verb.
            let mut a = self.sentence_subject(from, tokens[i - 1].start)?;
            a.cue = cue.to_string();
            return Some(a);
        }
        if i > 0 {
            let t = &tokens[i - 1];
            if t.start >= from
                && PRONOUNS.contains(&lower(self.word(t)).as_str())
                && self.subject_reaches_verb(t.end, verb.start)
            {
                let who = if lower(self.word(t)) == "it" {
                    Who::Role
                } else {
                    Who::Pronoun
                };
                return Some(self.attribution((t.start, t.end), who, cue));
            }
        }
        // A person named just before the verb, maybe with a parenthetical or an appositive
        // (the tagger may give the person another type: any name reaching the verb will do).
        for kind in [Some(EntityKind::PER), None] {
            let reaching = self
                .found
                .mentions
                .iter()
                .rev()
                .filter(|m| {
                    m.start >= from
                        && m.end <= verb.start
                        && kind.is_none_or(|k| m.kind == k)
                        && !inside(self.spans, m.start)
                })
                .take(4)
                .find(|m| self.subject_reaches_verb(m.end, verb.start));
            if let Some(m) = reaching {
                return Some(self.attribution((m.start, m.end), Who::Name, cue));
            }
        }
        // A description opened by a determiner within a few words ("the ad’s narrator"), or
        // everything from a clause start that is only a description ("Spokeswoman said").
        if i == 0 || !self.subject_reaches_verb(tokens[i - 1].end, verb.start) {
            return None;
        }
        let mut j = i;
        while j > 0 && i - j < 8 {
            let t = &tokens[j - 1];
            if t.start < from {
                break;
            }
            if j < i && !self.gap(t.end, tokens[j].start).trim().is_empty() {
                break;
            }
            let w = lower(self.word(t));
            let opens_clause = self.gap(from, t.start).trim().is_empty() && whole_segment;
            if matches!(w.as_str(), "who" | "that" | "which" | "but") {
                // A relative clause or a second verb: not this verb's subject.
                return None;
            }
            if (DETERMINERS.contains(&w.as_str()) && j < i) || t.initial || opens_clause {
                let described = DETERMINERS.contains(&w.as_str())
                    || self.word(t).chars().next().is_some_and(char::is_uppercase);
                let words = tokens[j - 1..i].iter().map(|t| lower(self.word(t)));
                let mut plain = true;
                for word in words {
                    if NOT_IN_A_DESCRIPTION.contains(&word.as_str()) {
                        plain = false;
                    }
                }
                if !(described && plain) {
                    return None;
                }
                return Some(self.attribution((t.start, tokens[i - 1].end), Who::Role, cue));
            }
            j -= 1;
        }
        None
    }

    /// Where a name joined by "and" to the name ending at `end` ends ("Burton and Nick").
    fn joined_name_end(&self, end: usize, to: usize) -> usize {
        let tokens = &self.tokens;
        let after = tokens.partition_point(|t| t.start < end);
        match (tokens.get(after), tokens.get(after + 1)) {
            (Some(and), Some(name))
                if self.word(and) == "and"
                    && self.gap(end, and.start).trim().is_empty()
                    && name.end <= to
                    && self
                        .word(name)
                        .chars()
                        .next()
                        .is_some_and(char::is_uppercase) =>
            {
                self.found
                    .mentions
                    .iter()
                    .find(|n| n.start == name.start)
                    .map_or(name.end, |n| n.end)
            }
            _ => end,
        }
    }

    /// The subject after an inverted verb ("said Paul Martin", "said a spokeswoman").
    fn subject_after(&self, v: usize, to: usize) -> Option<Attribution> {
        let tokens = &self.tokens;
        let verb = tokens.get(v)?;
        let cue = self.word(verb);
        let next = tokens.get(v + 1).filter(|t| t.end <= to)?;
        if !self.gap(verb.end, next.start).trim().is_empty() {
            return None;
        }
        let w = lower(self.word(next));
        if PRONOUNS.contains(&w.as_str()) {
            return Some(self.attribution((next.start, next.end), Who::Pronoun, cue));
        }
        // A person whose mention starts within the next few words (titles come first).
        let window_end = tokens.get(v + 5).map_or(to, |t| t.end).min(to);
        if let Some(m) =
            self.found.mentions.iter().find(|m| {
                m.start >= next.start && m.start < window_end && m.kind == EntityKind::PER
            })
            && self.clean_run(v + 1, m.start)
        {
            // "reply Burton and Nick": both speakers' words.
            let end = self.joined_name_end(m.end, to);
            return Some(self.attribution((m.start, end), Who::Name, cue));
        }
        if DETERMINERS.contains(&w.as_str())
            && !matches!(w.as_str(), "that" | "this" | "these" | "those")
        {
            // Up to the first punctuation or preposition.
            let mut end = next.end;
            for t in tokens[v + 2..].iter().take(7) {
                if t.end > to || !self.gap(end, t.start).trim().is_empty() {
                    break;
                }
                let tw = lower(self.word(t));
                if matches!(
                    tw.as_str(),
                    "in" | "on"
                        | "at"
                        | "during"
                        | "to"
                        | "after"
                        | "before"
                        | "when"
                        | "while"
                        | "who"
                        | "that"
                        | "and"
                        | "as"
                ) {
                    break;
                }
                end = t.end;
            }
            return Some(self.attribution((next.start, end), Who::Role, cue));
        }
        if let Some(m) = self.found.mentions.iter().find(|m| m.start == next.start) {
            let end = self.joined_name_end(m.end, to);
            return Some(self.attribution((m.start, end), Who::Name, cue));
        }
        None
    }

    /// A reporting clause right after a quote: `, X said`, `said X`, `— X`, `according to X`.
    pub fn after(&self, q: &Span, para_end: usize) -> Option<Attribution> {
        let text = self.text;
        let limit = para_end.min(q.end + 300);
        let rest = self.gap(q.end, limit);
        let lead = rest.len() - rest.trim_start_matches([' ', ',', '\t']).len();
        let tail = &rest[lead..];
        // “…” ― Pamela Padilla
        if let Some(after_dash) = tail.strip_prefix(['—', '―', '–', '-']) {
            let at = q.end + lead + (tail.len() - after_dash.len());
            let end = limit;
            if let Some(m) =
                self.found.mentions.iter().find(|m| {
                    m.start >= at && m.end <= end && self.gap(at, m.start).trim().is_empty()
                })
            {
                return Some(self.attribution((m.start, m.end), Who::Name, ""));
            }
            // A name the tagger missed: up to four capitalised words ending the paragraph or
            // followed by punctuation.
            let range = self.token_range(at, end);
            let mut name_end = None;
            for (k, t) in self.tokens[range.clone()].iter().enumerate() {
                let before = self.gap(
                    if k == 0 {
                        at
                    } else {
                        self.tokens[range.start + k - 1].end
                    },
                    t.start,
                );
                if k >= 4
                    || !before.trim().is_empty()
                    || !self.word(t).chars().next().is_some_and(char::is_uppercase)
                {
                    break;
                }
                name_end = Some(t.end);
            }
            let name_start = self.tokens.get(range.start).map(|t| t.start)?;
            let name_end = name_end?;
            let rest = self.gap(name_end, end).trim_start();
            if rest.is_empty() || rest.starts_with(['.', ',', '(']) {
                return Some(self.attribution((name_start, name_end), Who::Printed, ""));
            }
            return None;
        }
        let range = self.token_range(q.end, limit);
        let tokens = &self.tokens;
        let mut first = true;
        let mut depth = 0i32;
        let mut prev_end = q.end + lead;
        for v in range.clone().take(20) {
            let t = &tokens[v];
            // Another quote or a sentence end before the verb: no clause here.
            let gap = self.gap(prev_end, t.start);
            for (k, c) in gap.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    // "R-Ky.," — a dot before a comma closes an abbreviation, not a sentence.
                    '.' if gap[k + 1..].starts_with(',') => {}
                    '“' | '"' | '.' | '!' | '?' | ';' | ':' | '\n' if depth == 0 => return None,
                    _ => {}
                }
            }
            prev_end = t.end;
            if depth > 0 {
                continue;
            }
            let w = self.word(t);
            if first && matches!(w, "and" | "but" | "then" | "as") {
                // "“…” and said": the clause belongs to the sentence's subject, found before.
                return None;
            }
            if first && w == "according" {
                let to = tokens.get(v + 1).filter(|n| self.word(n) == "to")?;
                let mut a = self.subject_after(v + 1, limit)?;
                let _ = to;
                a.cue = "according to".to_string();
                return Some(a);
            }
            if first && is_participle(w) {
                // "“…,” adding that …": the sentence's subject, found before the quote.
                return None;
            }
            if self.is_verb(t, first) {
                if first {
                    return self.subject_after(v, limit);
                }
                let mut a = self.subject_before(q.end, v, true)?;
                if a.cue == "quoted"
                    && let Some(n) = tokens.get(v + 1)
                {
                    let nw = lower(self.word(n));
                    if nw == "as" {
                        a.cue = "quoted as saying".to_string();
                    } else if PRONOUNS.contains(&nw.as_str()) {
                        // "the Times of Israel quoted him": the object is the speaker.
                        return Some(self.attribution((n.start, n.end), Who::Pronoun, "quoted"));
                    }
                }
                return Some(a);
            }
            first = false;
        }
        let _ = text;
        None
    }

    /// The last reporting clause in `from..to` (the quote's sentence before it).
    pub fn before(&self, from: usize, to: usize) -> Option<Before> {
        let tokens = &self.tokens;
        let range = self.token_range(from, to);
        let mut clause = None;
        let mut last_verb = None;
        for v in range.clone() {
            let t = &tokens[v];
            if inside(self.spans, t.start) {
                continue;
            }
            let w = self.word(t);
            // Often the sentence's first word: "According to Hahn, “…”".
            if w.eq_ignore_ascii_case("according")
                && tokens.get(v + 1).is_some_and(|n| self.word(n) == "to")
            {
                if let Some(mut a) = self.subject_after(v + 1, to) {
                    a.cue = "according to".to_string();
                    last_verb = Some(v);
                    clause = Some(Before::Found(a, false));
                }
                continue;
            }
            if !self.is_verb(t, false) || self.follows_determiner(v) {
                continue;
            }
            let found = if is_participle(w) {
                // "…, saying “…”": the sentence's subject, else the previous speaker.
                match self.sentence_subject(from, t.start) {
                    Some(mut a) => {
                        a.cue = w.to_string();
                        Before::Found(a, false)
                    }
                    None => Before::Continues(w.to_string()),
                }
            } else {
                match self.subject_before(from, v, false).or_else(|| {
                    // "Falahatpisheh, the head of …, spoke": the nearest person before it.
                    self.mention_in(from, t.start, Some(EntityKind::PER))
                        .map(|m| self.attribution(m, Who::Name, w))
                }) {
                    Some(a) => Before::Found(a, false),
                    None => continue,
                }
            };
            // The clause nearest the quote names its speaker (taking the first clause of the
            // sentence instead measured no better on annotated news).
            last_verb = Some(v);
            clause = Some(found);
        }
        let (v, mut found) = (last_verb?, clause?);
        if let Before::Found(_, adjacent) = &mut found {
            let after_verb = self.gap(tokens[v].end, to);
            // A verb of saying a few words before the quote makes even a short quote speech
            // ("Warren called the behavior “outrageous”"); a verb of thinking does not
            // ("Burton thinks that cats are “cuties”").
            let verb = lower(self.word(&tokens[v]));
            *adjacent = after_verb.split_whitespace().count() <= 10 && !is_cognition(&verb);
        }
        Some(found)
    }

    /// The subject of the sentence part `from..to`: its first person or pronoun.
    pub fn sentence_subject(&self, from: usize, to: usize) -> Option<Attribution> {
        let tokens = &self.tokens;
        // A name opening the sentence is its subject whatever type the tagger gave it
        // ("Bolton called Obama’s …").
        if let Some(first) = self.token_range(from, to).next().map(|v| &tokens[v])
            && let Some(m) = self
                .found
                .mentions
                .iter()
                .find(|m| m.start == first.start && m.kind != EntityKind::LOC)
        {
            return Some(self.attribution((m.start, m.end), Who::Name, ""));
        }
        for v in self.token_range(from, to) {
            let t = &tokens[v];
            if inside(self.spans, t.start) {
                continue;
            }
            let w = lower(self.word(t));
            if matches!(w.as_str(), "he" | "she" | "they") {
                return Some(self.attribution((t.start, t.end), Who::Pronoun, ""));
            }
            if let Some(m) = self
                .found
                .mentions
                .iter()
                .find(|m| m.start == t.start && m.kind == EntityKind::PER)
            {
                return Some(self.attribution((m.start, m.end), Who::Name, ""));
            }
        }
        None
    }
}

pub(super) enum Before {
    Found(Attribution, bool),
    Continues(String),
}
