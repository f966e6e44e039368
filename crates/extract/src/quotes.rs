//! Direct quotes and their speakers.
//!
//! Quote spans: straight and curly double marks, paired within a paragraph. A paragraph that
//! ends inside a quote continues it when the next paragraph opens with a quotation mark (the
//! newspaper convention for quotes over several paragraphs); otherwise the quote is unbalanced
//! and ends at its paragraph's end. Stray marks never abort the search.
//!
//! Attribution, first rule that applies:
//! 1. right after the quote: `, X said` / `said X` / `X told CNN` / `X was quoted as saying` /
//!    `the Times of Israel quoted him` / `according to X`;
//! 2. before it in its sentence: the last `X said` / `according to X` ("Ryabkov said, “…”",
//!    "He noted that Moscow “acted …”"); a participle with no subject ("adding that “…”")
//!    continues the previous quote's speaker;
//! 3. a quote that starts a sentence after another quote of the same paragraph continues it;
//! 4. the speaker of a reporting clause in the previous sentence.
//!
//! Pronouns resolve to the nearest person named before them outside quotes (a PER mention or a
//! role such as "a spokeswoman"). A role as speaker ("the official said") is kept as printed.
//! Quotes shorter than `min_quote_words` are kept only with an adjacent attribution, which keeps
//! scare quotes out.

use std::sync::OnceLock;

use newsmill_core::{EntityKind, Quote};
use regex::{Captures, Regex};

use crate::ExtractConfig;
use crate::entities::Found;
use crate::lexicon::lexicon;
use crate::text::Analysis;

const NAME: &str = r"\p{Lu}[\p{L}\p{M}.’'-]*(?:\s+(?:(?:of|the|al|bin|de|van|von)\s+){0,2}\p{Lu}[\p{L}\p{M}.’'-]*){0,5}";
const PRONOUN: &str = r"\b(?:[Hh]e|[Ss]he|[Tt]hey|[Hh]im|[Hh]er|[Tt]hem)\b";
const ROLE_NOUNS: &str = "officials?|spokesman|spokeswoman|spokesperson|minister|ministry|office|sources?|diplomats?|ambassador|envoy|president|premier|adviser|advisor|aide|analyst|expert|commander|officer|general|leader|lawmaker|senator|agency|embassy|army|military|police|government|prosecutor|lawyer|witness|resident|activist|chief|head|spokespeople|representative";

fn nominal() -> String {
    format!(
        r"\b(?:[Tt]he|[Aa]n?|[Oo]ne|[Aa]nother)\s+(?:[\p{{L}}’'-]+\s+){{0,4}}?(?:{ROLE_NOUNS})\b"
    )
}

struct Patterns {
    after: Regex,
    before: Regex,
    role: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let verbs = lexicon().reporting_verbs_sorted().join("|");
        let nominal = nominal();
        let aux = r"(?:(?:also|then|later|has|had|have|was|were|is|again|further|reportedly)\s+){0,2}";
        let after = format!(
            r"^[\s,—–-]*(?:(?P<qs>{NAME}|{nominal})\s+quoted\s+(?P<qo>{PRONOUN}|{NAME})|(?P<s1>{nominal}|{PRONOUN}|{NAME})\s+{aux}(?P<v1>(?:{verbs}))\b|(?P<v2>(?:{verbs}))\s+(?P<s2>{nominal}|{PRONOUN}|{NAME})|(?P<acc>according to)\s+(?P<s3>{nominal}|{NAME}))"
        );
        let before = format!(
            r"(?P<s1>{nominal}|{PRONOUN}|{NAME})\s+{aux}(?P<v1>(?:{verbs}))\b|(?P<acc>[Aa]ccording to)\s+(?P<s2>{nominal}|{NAME})|\b(?P<p>adding|saying|noting|stressing|insisting|warning|explaining|arguing|asserting|continuing)\b|\b(?P<v3>said|says|told|added|stated|spoke|wrote|noted|stressed|declared|announced|warned|explained|insisted|argued|claimed)\b"
        );
        let re = |s: &str| Regex::new(s).expect("valid quote regex");
        Patterns { after: re(&after), before: re(&before), role: re(&nominal) }
    })
}

/// Compiles the patterns ahead of the first document.
pub fn warm_up() {
    let _ = patterns();
}

#[derive(Clone, Copy, Debug)]
struct Span {
    /// Byte offsets of the quote including its marks.
    start: usize,
    end: usize,
    /// The quoted words.
    inner: (usize, usize),
}

fn is_open_mark(c: char) -> bool {
    matches!(c, '“' | '"' | '„')
}

/// Finds quote spans, never failing on unbalanced marks.
fn find_spans(text: &str, max_chars: usize) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    // Set after a paragraph break inside a quote: the next paragraph's opening mark reopens it.
    let mut awaiting_reopen = false;
    let mut last_non_space = 0usize;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let close_unbalanced = |spans: &mut Vec<Span>, o: usize, end: usize| {
        let inner_start = o + text[o..].chars().next().map_or(1, char::len_utf8);
        if end > inner_start {
            spans.push(Span {
                start: o,
                end,
                inner: (inner_start, end),
            });
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let prev = if i > 0 { Some(chars[i - 1].1) } else { None };
        let next = chars.get(i + 1).map(|&(_, n)| n);
        if awaiting_reopen {
            if c == '\n' || c.is_whitespace() {
                i += 1;
                continue;
            }
            awaiting_reopen = false;
            if is_open_mark(c) {
                i += 1;
                continue;
            }
            if let Some(o) = open.take() {
                close_unbalanced(&mut spans, o, last_non_space);
            }
        }
        match c {
            '\n' => {
                if let Some(o) = open {
                    if pos.saturating_sub(o) > max_chars {
                        open = None;
                        close_unbalanced(&mut spans, o, last_non_space);
                    } else {
                        awaiting_reopen = true;
                    }
                }
            }
            '“' | '„' => {
                if let Some(o) = open {
                    // A new opening mark inside an open quote: the first one was never closed.
                    close_unbalanced(&mut spans, o, last_non_space);
                }
                open = Some(pos);
            }
            '”' => {
                if let Some(o) = open.take() {
                    let inner_start = o + text[o..].chars().next().map_or(1, char::len_utf8);
                    spans.push(Span {
                        start: o,
                        end: pos + c.len_utf8(),
                        inner: (inner_start, pos),
                    });
                }
            }
            '"' => match open {
                Some(o) => {
                    open = None;
                    spans.push(Span {
                        start: o,
                        end: pos + 1,
                        inner: (o + text[o..].chars().next().map_or(1, char::len_utf8), pos),
                    });
                }
                None => {
                    let opens = next.is_some_and(|n| !n.is_whitespace())
                        && prev.is_none_or(|p| {
                            p.is_whitespace() || matches!(p, '(' | '[' | '—' | '–' | '-' | ':')
                        });
                    if opens {
                        open = Some(pos);
                    }
                }
            },
            _ => {}
        }
        if !c.is_whitespace() {
            last_non_space = pos + c.len_utf8();
        }
        i += 1;
    }
    if let Some(o) = open {
        close_unbalanced(&mut spans, o, last_non_space);
    }
    spans.retain(|s| {
        s.inner.0 < s.inner.1
            && text[s.inner.0..s.inner.1]
                .chars()
                .any(char::is_alphanumeric)
    });
    spans
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Name,
    Pronoun,
    Role,
}

#[derive(Clone, Debug)]
struct Attribution {
    who: Who,
    span: (usize, usize),
    cue: String,
}

fn classify(text: &str, span: (usize, usize)) -> Who {
    let s = &text[span.0..span.1];
    let lower = s.to_lowercase();
    if matches!(
        lower.as_str(),
        "he" | "she" | "they" | "him" | "her" | "them"
    ) {
        Who::Pronoun
    } else if patterns()
        .role
        .find(s)
        .is_some_and(|m| m.start() == 0 && m.end() == s.len())
    {
        Who::Role
    } else {
        Who::Name
    }
}

fn attribution(
    text: &str,
    c: &Captures,
    base: usize,
    subject: &[&str],
    verb: &[&str],
) -> Option<Attribution> {
    let s = subject.iter().find_map(|n| c.name(n))?;
    let cue = verb
        .iter()
        .find_map(|n| c.name(n))
        .map_or(String::new(), |m| m.as_str().to_string());
    let span = (base + s.start(), base + s.end());
    Some(Attribution {
        who: classify(text, span),
        span,
        cue,
    })
}

fn inside(spans: &[Span], pos: usize) -> bool {
    spans.iter().any(|s| s.start <= pos && pos < s.end)
}

/// `X said` after the quote.
fn after_quote(text: &str, q: &Span, para_end: usize) -> Option<Attribution> {
    let end = (q.end + 200).min(para_end);
    let mut end = end;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let slice = text.get(q.end..end)?;
    let c = patterns().after.captures(slice)?;
    let mut a = if c.name("qs").is_some() {
        let mut a = attribution(text, &c, q.end, &["qo"], &[])?;
        a.cue = "quoted".to_string();
        a
    } else if c.name("acc").is_some() {
        attribution(text, &c, q.end, &["s3"], &["acc"])?
    } else {
        attribution(text, &c, q.end, &["s1", "s2"], &["v1", "v2"])?
    };
    if a.cue == "quoted"
        && slice[c.get(0)?.end()..]
            .trim_start()
            .starts_with("as saying")
    {
        a.cue = "quoted as saying".to_string();
    }
    Some(a)
}

enum Before {
    Found(Attribution, bool),
    Continues(String),
}

/// The last reporting clause in `from..to`, outside quotes.
fn reporting_clause(
    text: &str,
    from: usize,
    to: usize,
    spans: &[Span],
    found: &Found,
) -> Option<Before> {
    let slice = text.get(from..to)?;
    let mut last = None;
    for c in patterns().before.captures_iter(slice) {
        let Some(m) = c.get(0) else { continue };
        if inside(spans, from + m.start()) {
            continue;
        }
        let adjacent = slice[m.end()..]
            .trim_matches(|ch: char| ch.is_whitespace() || ch == ',' || ch == ':')
            .is_empty();
        if let Some(p) = c.name("p") {
            last = Some(Before::Continues(p.as_str().to_string()));
        } else if let Some(v) = c.name("v3") {
            // A reporting verb whose subject is further away ("Falahatpisheh, the head of …,
            // spoke about"): the nearest person named before it in the sentence.
            let verb_at = from + v.start();
            let person = found.mentions.iter().rfind(|m| {
                m.kind == EntityKind::PER
                    && m.start >= from
                    && m.end <= verb_at
                    && !inside(spans, m.start)
            });
            if let Some(m) = person {
                last = Some(Before::Found(
                    Attribution {
                        who: Who::Name,
                        span: (m.start, m.end),
                        cue: v.as_str().to_string(),
                    },
                    adjacent,
                ));
            }
        } else if let Some(a) = attribution(text, &c, from, &["s1", "s2"], &["v1", "acc"]) {
            last = Some(Before::Found(a, adjacent));
        }
    }
    last
}

struct Resolved {
    speaker: String,
    title: Option<String>,
    mention: String,
}

fn resolve(text: &str, a: &Attribution, found: &Found, spans: &[Span]) -> Option<Resolved> {
    let mention_text = text[a.span.0..a.span.1].to_string();
    match a.who {
        Who::Name => {
            let ms: Vec<_> = found
                .mentions
                .iter()
                .filter(|m| m.start < a.span.1 && a.span.0 < m.end)
                .collect();
            let m = ms
                .iter()
                .rev()
                .find(|m| m.kind == EntityKind::PER)
                .or(ms.last())?;
            let e = found.entities.get(m.entity)?;
            let title = m.title.clone().or_else(|| e.titles.first().cloned());
            Some(Resolved {
                speaker: e.canonical.clone(),
                title,
                mention: m.text.clone(),
            })
        }
        Who::Role => Some(Resolved {
            speaker: lower_first(&mention_text),
            title: None,
            mention: mention_text,
        }),
        Who::Pronoun => {
            // The nearest person before the pronoun, outside quotes: a PER mention or a role.
            let person = found.mentions.iter().rfind(|m| {
                m.kind == EntityKind::PER && m.end <= a.span.0 && !inside(spans, m.start)
            });
            let from = person.map_or(0, |m| m.end);
            let role = patterns()
                .role
                .find_iter(text.get(from..a.span.0).unwrap_or(""))
                .filter(|r| !inside(spans, from + r.start()))
                .last();
            if let Some(r) = role {
                let role_text = &text[from + r.start()..from + r.end()];
                return Some(Resolved {
                    speaker: lower_first(role_text),
                    title: None,
                    mention: mention_text,
                });
            }
            let m = person?;
            let e = found.entities.get(m.entity)?;
            Some(Resolved {
                speaker: e.canonical.clone(),
                title: m.title.clone().or_else(|| e.titles.first().cloned()),
                mention: mention_text,
            })
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn paragraph_bounds(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    (start, end)
}

/// Finds the direct quotes of `text` (byte offsets) and attributes them.
pub fn find(text: &str, analysis: &Analysis, found: &Found, cfg: &ExtractConfig) -> Vec<Quote> {
    let spans = find_spans(text, cfg.max_quote_chars);
    let mut out: Vec<Quote> = Vec::new();
    // (paragraph start, quote end, speaker) of the previous kept quote.
    let mut previous: Option<(usize, usize, Resolved, String)> = None;
    for q in &spans {
        let (para_start, _) = paragraph_bounds(text, q.start);
        let (_, para_end) = paragraph_bounds(text, q.end.saturating_sub(1).max(q.start));
        let sentence = analysis.sentence_of(q.start);
        let sentence_start = analysis
            .sentences
            .get(sentence)
            .map_or(para_start, |s| s.0)
            .max(para_start);
        let mut adjacent = false;
        let mut resolved: Option<(Resolved, String)> = None;
        if let Some(a) = after_quote(text, q, para_end) {
            adjacent = true;
            resolved = resolve(text, &a, found, &spans).map(|r| (r, a.cue));
        }
        if resolved.is_none() {
            match reporting_clause(text, sentence_start, q.start, &spans, found) {
                Some(Before::Found(a, adj)) => {
                    adjacent = adj;
                    resolved = resolve(text, &a, found, &spans).map(|r| (r, a.cue));
                }
                Some(Before::Continues(cue)) => {
                    if let Some((p, _, r, _)) = &previous
                        && *p == para_start
                    {
                        adjacent = true;
                        resolved = Some((
                            Resolved {
                                speaker: r.speaker.clone(),
                                title: r.title.clone(),
                                mention: r.mention.clone(),
                            },
                            cue,
                        ));
                    }
                }
                None => {}
            }
        }
        let starts_sentence = text[sentence_start..q.start].trim().is_empty();
        if resolved.is_none()
            && starts_sentence
            && let Some((p, _, r, cue)) = &previous
            && *p == para_start
        {
            resolved = Some((
                Resolved {
                    speaker: r.speaker.clone(),
                    title: r.title.clone(),
                    mention: r.mention.clone(),
                },
                cue.clone(),
            ));
        }
        if resolved.is_none()
            && starts_sentence
            && sentence > 0
            && let Some(&(ps, pe)) = analysis.sentences.get(sentence - 1)
            && let Some(Before::Found(a, _)) = reporting_clause(text, ps, pe, &spans, found)
        {
            resolved = resolve(text, &a, found, &spans).map(|r| (r, a.cue));
        }
        let inner = &text[q.inner.0..q.inner.1];
        let words = inner.split_whitespace().count();
        if words < cfg.min_quote_words && !(resolved.is_some() && adjacent) {
            continue;
        }
        let quote = Quote {
            quote: inner.to_string(),
            speaker: resolved
                .as_ref()
                .map_or(String::new(), |(r, _)| r.speaker.clone()),
            speaker_title: resolved.as_ref().and_then(|(r, _)| r.title.clone()),
            speaker_mention: resolved.as_ref().map(|(r, _)| r.mention.clone()),
            cue: resolved
                .as_ref()
                .map(|(_, c)| c.clone())
                .filter(|c| !c.is_empty()),
            start: q.start,
            end: q.end,
        };
        previous = resolved.map(|(r, c)| (para_start, q.end, r, c));
        out.push(quote);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_survive_unbalanced_and_multi_paragraph_marks() {
        let text = "He said “one two\n\n“three four.”\nShe said “never closed\nNext line.";
        let spans = find_spans(text, 5000);
        let inner: Vec<&str> = spans.iter().map(|s| &text[s.inner.0..s.inner.1]).collect();
        assert_eq!(inner, ["one two\n\n“three four.", "never closed"]);
    }
}
