//! Direct quotes and their speakers.
//!
//! Quote spans: straight and curly double marks, paired within a paragraph. A paragraph that
//! ends inside a quote continues it when the next paragraph opens with a quotation mark (the
//! newspaper convention for quotes over several paragraphs); otherwise the quote is unbalanced
//! and ends at its paragraph's end. Stray marks never abort the search.
//!
//! Quoted titles and names ("One Hundred Years of Solitude") are not quotes.
//!
//! Attribution (reporting clauses are read on tokens in [`clause`]), first rule that applies:
//! 1. right after the quote: `, X said` / `said X` / `X told CNN` / `X was quoted as saying` /
//!    `the Times of Israel quoted him` / `according to X` / `― X`, unless the quote closes a
//!    sentence begun before it;
//! 2. before it in its sentence: the last `X said` / `according to X` ("Ryabkov said, “…”",
//!    "He noted that Moscow “acted …”"); a participle ("saying “…”") takes the sentence's
//!    subject, or continues the previous quote's speaker;
//! 3. a quote that starts a sentence continues the previous quote ending in its paragraph;
//! 4. the reporting clause of the previous sentence, or its subject when it ends with a colon;
//! 5. a partial quote inside a sentence takes the sentence's subject.
//!
//! Pronouns resolve to the nearest person named before them outside quotes who fits them (a
//! PER mention or a role such as "a spokeswoman"; "he" skips a person whose given name or
//! title marks a woman, "she" a man, by `data/gendered_names.txt`). A role as speaker ("the official said") is kept as printed.
//! Quotes shorter than `min_quote_words` are kept only when a verb of saying is close before
//! them or a clause is adjacent, which keeps scare quotes out.

use std::sync::OnceLock;

use newsmill_core::{CharOffsets, Document, EntityKind, Quote};
use regex::Regex;

mod clause;

use clause::{Before, Clauses};

use crate::ExtractConfig;
use crate::entities::Found;
use crate::text::Analysis;

const ROLE_NOUNS: &str = "officials?|spokesman|spokeswoman|spokesperson|minister|ministry|office|sources?|diplomats?|ambassador|envoy|president|premier|adviser|advisor|aide|analyst|expert|commander|officer|general|leader|lawmaker|senator|agency|embassy|army|military|police|government|prosecutor|lawyer|witness|resident|activist|chief|head|spokespeople|representative";

fn nominal() -> String {
    format!(
        r"(?-u:\b)(?:[Tt]he|[Aa]n?|[Oo]ne|[Aa]nother)\s+(?:[\p{{L}}’'-]+\s+){{0,4}}?(?:{ROLE_NOUNS})(?-u:\b)"
    )
}

struct Patterns {
    role: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        role: Regex::new(&nominal()).expect("valid role regex"),
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
            // A right mark opening a paragraph or following a space, before a word, is a
            // misprinted opening mark (”Fear. I am …”).
            '”' if open.is_none()
                && next.is_some_and(char::is_alphanumeric)
                && prev.is_none_or(|p| p == '\n' || p.is_whitespace()) =>
            {
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
    /// A name the entity tagger did not mark, kept as printed ("― Jacklyn Ashley").
    Printed,
}

#[derive(Clone, Debug)]
struct Attribution {
    who: Who,
    span: (usize, usize),
    cue: String,
}

fn inside(spans: &[Span], pos: usize) -> bool {
    spans.iter().any(|s| s.start <= pos && pos < s.end)
}

#[derive(Clone)]
struct Resolved {
    speaker: String,
    title: Option<String>,
    mention: String,
    /// Byte offsets of the words naming the speaker.
    span: (usize, usize),
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
                mention: mention_text,
                span: a.span,
            })
        }
        Who::Printed => Some(Resolved {
            speaker: mention_text.clone(),
            title: None,
            mention: mention_text,
            span: a.span,
        }),
        Who::Role => Some(Resolved {
            speaker: lower_first(&mention_text),
            title: None,
            mention: mention_text,
            span: a.span,
        }),
        Who::Pronoun => {
            // The nearest person before the pronoun, outside quotes, who fits it ("he" skips
            // a person known to be a woman): a PER mention or a role.
            let female_pronoun = match mention_text.to_lowercase().as_str() {
                "she" => Some(true),
                "he" => Some(false),
                _ => None,
            };
            let person = found.mentions.iter().rfind(|m| {
                m.kind == EntityKind::PER
                    && m.end <= a.span.0
                    && !inside(spans, m.start)
                    && (female_pronoun.is_none()
                        || female_pronoun == person_is_female(found, m.entity)
                        || person_is_female(found, m.entity).is_none())
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
                    span: a.span,
                });
            }
            // No person before it: the last name of another kind (a tagger may miss the
            // person's type), else the pronoun itself, so the quote keeps its attribution.
            let named = person.or_else(|| {
                found.mentions.iter().rfind(|m| {
                    m.kind != EntityKind::LOC && m.end <= a.span.0 && !inside(spans, m.start)
                })
            });
            match named.and_then(|m| found.entities.get(m.entity).map(|e| (m, e))) {
                Some((m, e)) => Some(Resolved {
                    speaker: e.canonical.clone(),
                    title: m.title.clone().or_else(|| e.titles.first().cloned()),
                    mention: mention_text,
                    span: a.span,
                }),
                None => Some(Resolved {
                    speaker: lower_first(&mention_text),
                    title: None,
                    mention: mention_text,
                    span: a.span,
                }),
            }
        }
    }
}

/// Whether a person is known to be a woman (`Some(true)`) or a man (`Some(false)`), from the
/// first given name of the entity's name, else from a gendered word in a title printed with
/// any of its mentions ("Mrs.", "Queen", "Spokeswoman"). `None` when nothing tells.
fn person_is_female(found: &Found, entity: usize) -> Option<bool> {
    let lex = crate::lexicon::lexicon();
    let e = found.entities.get(entity)?;
    if let Some(first) = e.name.split_whitespace().next()
        && let Some(female) = lex.marks_female(first)
    {
        return Some(female);
    }
    let mention_titles = found
        .mentions
        .iter()
        .filter(|m| m.entity == entity)
        .filter_map(|m| m.title.as_deref());
    e.titles
        .iter()
        .map(String::as_str)
        .chain(mention_titles)
        .flat_map(str::split_whitespace)
        .find_map(|w| {
            lex.marks_female(w)
                .or_else(|| lex.marks_female(&upper_first(w)))
        })
}

fn upper_first(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whether quoted words are a title or a name rather than speech ("One Hundred Years of
/// Solitude", "Justice Against Sponsors of Terrorism Act"): every word capitalised except
/// short function words, and no sentence punctuation.
fn is_title_like(inner: &str) -> bool {
    const SMALL: &[&str] = &[
        "of", "the", "a", "an", "and", "in", "on", "for", "to", "at", "by", "with", "from", "or",
    ];
    // American style puts the sentence's comma or full stop inside the marks.
    let inner = inner.trim_end_matches([',', '.']);
    let words: Vec<&str> = inner.split_whitespace().collect();
    words.len() >= 2
        && !inner.contains(['.', '!', '?', ',', ';', ':'])
        && words.iter().all(|w| {
            SMALL.contains(w)
                || w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_numeric())
        })
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
    find_attributed(text, analysis, found, cfg)
        .into_iter()
        .map(|(q, _)| q)
        .collect()
}

/// Like [`find`], with the byte span of the words naming each quote's speaker.
pub fn find_attributed(
    text: &str,
    analysis: &Analysis,
    found: &Found,
    cfg: &ExtractConfig,
) -> Vec<(Quote, Option<(usize, usize)>)> {
    let spans = find_spans(text, cfg.max_quote_chars);
    let clauses = Clauses::new(text, analysis, found, &spans);
    let mut out = Vec::new();
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
        let starts_sentence = text[sentence_start..q.start].trim().is_empty();
        // A quote ending its sentence inside a sentence begun before it ("Japan branded North
        // Korea an “outlaw nation.” Russia insisted …"): what follows is another sentence.
        let ends_sentence = text[q.inner.0..q.inner.1]
            .trim_end()
            .ends_with(['.', '!', '?']);
        if (starts_sentence || !ends_sentence)
            && let Some(a) = clauses.after(q, para_end)
        {
            adjacent = true;
            resolved = resolve(text, &a, found, &spans).map(|r| (r, a.cue));
        }
        if resolved.is_none() {
            match clauses.before(sentence_start, q.start) {
                Some(Before::Found(a, adj)) => {
                    adjacent = adj;
                    resolved = resolve(text, &a, found, &spans).map(|r| (r, a.cue));
                }
                Some(Before::Continues(cue)) => {
                    if let Some((p, _, r, _)) = &previous
                        && *p == para_start
                    {
                        adjacent = true;
                        resolved = Some((r.clone(), cue));
                    }
                }
                None => {}
            }
        }
        if resolved.is_none()
            && starts_sentence
            && let Some((p, _, r, cue)) = &previous
            && *p == para_start
        {
            // A whole sentence in quotes continuing a speaker is no scare quote.
            adjacent = true;
            resolved = Some((r.clone(), cue.clone()));
        }
        if resolved.is_none()
            && starts_sentence
            && sentence > 0
            && let Some(&(ps, pe)) = analysis.sentences.get(sentence - 1)
        {
            if let Some(Before::Found(a, _)) = clauses.before(ps, pe) {
                resolved = resolve(text, &a, found, &spans).map(|r| (r, a.cue));
            } else if text[ps..pe].trim_end().ends_with(':')
                && let Some(a) = clauses.sentence_subject(ps, pe)
            {
                // "Sanders made the following statement:" introduces the quote.
                resolved = resolve(text, &a, found, &spans).map(|r| (r, String::new()));
            }
        }
        if resolved.is_none()
            && !starts_sentence
            && let Some(a) = clauses.sentence_subject(sentence_start, q.start)
        {
            // A partial quote inside a sentence ("Gingrich dismissed Estonia as “…”") carries
            // the words of the sentence's subject.
            resolved = resolve(text, &a, found, &spans).map(|r| (r, String::new()));
        }
        let inner = &text[q.inner.0..q.inner.1];
        if is_title_like(inner) {
            continue;
        }
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
        let span = resolved.as_ref().map(|(r, _)| r.span);
        // A later quote continues this speaker within the paragraph where this quote ends.
        let (end_para_start, _) = paragraph_bounds(text, q.end.saturating_sub(1).max(q.start));
        previous = resolved.map(|(r, c)| (end_para_start, q.end, r, c));
        out.push((quote, span));
    }
    out
}

/// A quote with the character offsets of the words naming its speaker in `doc.text`.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributedQuote {
    /// The quote as the stage exports it (character offsets).
    pub quote: Quote,
    /// Character offsets of the speaker's mention ("Ryabkov", "he", "a spokeswoman").
    pub speaker_span: Option<(usize, usize)>,
}

/// The quotes of `doc` with where their speakers are named, for evaluation against annotated
/// corpora. Uses the built-in entity model and `doc.meta.authors` as the stage does, so run
/// metadata first if wanted.
pub fn attributed_quotes(cfg: &ExtractConfig, doc: &Document) -> Vec<AttributedQuote> {
    let text = doc.text.as_str();
    let analysis = crate::text::analyse(text);
    let found = crate::entities::find(text, &analysis, &doc.meta.authors);
    let offsets = CharOffsets::new(text);
    find_attributed(text, &analysis, &found, cfg)
        .into_iter()
        .map(|(mut quote, span)| {
            quote.start = offsets.char_at(quote.start);
            quote.end = offsets.char_at(quote.end);
            AttributedQuote {
                quote,
                speaker_span: span.map(|(s, e)| (offsets.char_at(s), offsets.char_at(e))),
            }
        })
        .collect()
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
