//! Title, byline, authors, outlet and dateline.
//!
//! Title rule: scraped titles are sometimes a section kicker ("update desk") while the real
//! headline is the text's first line. When the title has at most three words, all lower-case
//! letters, no punctuation and no verb, and the first non-empty text line looks like a headline
//! (3–30 words, at most 200 characters, starts with a capital or a quote mark, is not a byline),
//! that line becomes the title and is taken out of the text (recorded in `doc.removed` with rule
//! `extract:promoted-headline`). No other line is ever removed by this stage.

use std::sync::OnceLock;

use newsmill_core::{Dateline, Document, RemovedLine};
use regex::Regex;

use crate::lexicon::lexicon;

#[derive(Debug, Default)]
pub struct Report {
    pub title_promoted: bool,
    pub byline_from_text: bool,
}

pub fn apply(doc: &mut Document, promote_headline: bool) -> Report {
    let mut report = Report::default();
    if promote_headline {
        report.title_promoted = promote_title(doc);
    }
    if doc.meta.byline.is_none()
        && let Some(line) = find_byline_line(&doc.text)
    {
        doc.meta.byline = Some(line);
        report.byline_from_text = true;
    }
    if let Some(byline) = doc.meta.byline.clone() {
        let (authors, outlet) = parse_byline(&byline);
        if doc.meta.authors.is_empty() {
            doc.meta.authors = authors;
        }
        if doc.meta.outlet.is_none() {
            doc.meta.outlet = outlet;
        }
    }
    if doc.meta.dateline.is_none() {
        doc.meta.dateline = find_dateline(&doc.text);
    }
    report
}

const AUXILIARIES: &[&str] = &[
    "is", "are", "was", "were", "be", "has", "have", "had", "do", "does", "did", "will", "can",
];

fn is_kicker(title: &str) -> bool {
    let words: Vec<&str> = title.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= 3
        && words.iter().all(|w| {
            w.chars().all(|c| c.is_lowercase() || c == '-')
                && !AUXILIARIES.contains(w)
                && !lexicon().is_reporting_verb(w)
        })
}

fn is_headline_like(line: &str) -> bool {
    let words = line.split_whitespace().count();
    (3..=30).contains(&words)
        && line.chars().count() <= 200
        && line
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || matches!(c, '“' | '"' | '‘' | '\''))
        && !line.ends_with(':')
        && byline_regex().find(line).is_none()
}

fn promote_title(doc: &mut Document) -> bool {
    let Some(title) = doc.title.as_deref() else {
        return false;
    };
    if !is_kicker(title.trim()) {
        return false;
    }
    let mut offset = 0;
    for (index, line) in doc.text.split('\n').enumerate() {
        let line_no = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            offset += line.len() + 1;
            continue;
        }
        if !is_headline_like(trimmed) {
            return false;
        }
        let headline = trimmed.to_string();
        let end = (offset + line.len() + 1).min(doc.text.len());
        let rest = doc.text[end..].trim_start_matches(['\n', '\r']).to_string();
        tracing::debug!(id = %doc.id, kicker = %title, headline = %headline, "Promoted the first text line to title over a section kicker.");
        doc.removed.push(RemovedLine {
            line: line_no,
            text: headline.clone(),
            rule: "extract:promoted-headline".to_string(),
            kept_as: Some("title".to_string()),
        });
        doc.title = Some(headline);
        doc.text = rest;
        return true;
    }
    false
}

fn byline_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*(?:[Bb][Yy]|[Ww]ritten by)[:\s]+\p{Lu}").expect("valid regex")
    })
}

/// A byline printed in the first lines of the text ("By Batya Jerenberg, World Israel News").
fn find_byline_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(5)
        .find(|l| l.chars().count() <= 120 && byline_regex().is_match(l))
        .map(str::to_string)
}

const OUTLET_CUES: &[&str] = &[
    "News",
    "Times",
    "Post",
    "Press",
    "Agency",
    "Reuters",
    "AP",
    "AFP",
    "Journal",
    "Herald",
    "Tribune",
    "Daily",
    "Network",
    "Media",
    "Radio",
    "TV",
    "Television",
    "Telegraph",
    "Guardian",
    "Gazette",
    "Magazine",
    "Review",
    "Wire",
    "Online",
    "Service",
    "Broadcasting",
    "Channel",
    "Monitor",
    "Observer",
    "Insider",
    "Chronicle",
    "Star",
    "Mail",
    "Express",
    "Standard",
    "Independent",
    "Bloomberg",
    "JTA",
    "JNS",
    "CNN",
    "BBC",
    "Associated",
];

const NOT_NAME_WORDS: &[&str] = &[
    "Minute",
    "Minutes",
    "Read",
    "Published",
    "Updated",
    "Staff",
    "Reporter",
    "Correspondent",
    "Editor",
    "Writer",
    "Contributor",
    "Team",
    "Desk",
    "Senior",
    "Chief",
    "Special",
    "Photo",
    "Opinion",
    "Analysis",
    "Comment",
    "Share",
    "Last",
    "Ago",
    "Hours",
    "Am",
    "Pm",
    "Edt",
    "Gmt",
    "The",
    "And",
];

const NAME_PARTICLES: &[&str] = &[
    "de", "da", "van", "von", "bin", "ibn", "al", "der", "le", "la", "del", "ben", "du", "dos",
];

/// Whether `s` reads as a person's name: 2–4 capitalised tokens (particles allowed inside), no
/// digits, no words that only occur in byline furniture ("Minute Read", "Published", "Staff").
pub fn is_person_name(s: &str) -> bool {
    let tokens: Vec<&str> = s.split_whitespace().collect();
    if !(2..=4).contains(&tokens.len()) {
        return false;
    }
    let capitalised = |t: &str| {
        t.chars().next().is_some_and(char::is_uppercase)
            && t.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-' | '.'))
    };
    let lex = lexicon();
    tokens.first().is_some_and(|t| capitalised(t))
        && tokens.last().is_some_and(|t| capitalised(t))
        && tokens
            .iter()
            .all(|t| capitalised(t) || NAME_PARTICLES.contains(t))
        && !tokens.iter().any(|t| {
            NOT_NAME_WORDS
                .iter()
                .copied()
                .chain(crate::lexicon::calendar_names())
                .any(|w| w.eq_ignore_ascii_case(t))
                || OUTLET_CUES.contains(t)
                || lex
                    .place(t)
                    .is_some_and(|k| k == crate::lexicon::PlaceKind::Country)
        })
}

fn is_outlet(part: &str) -> bool {
    let lex = lexicon();
    let tokens: Vec<&str> = part.split_whitespace().collect();
    !tokens.is_empty()
        && tokens.len() <= 6
        && tokens.iter().all(|t| {
            t.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                || matches!(*t, "of" | "the" | "and" | "&")
        })
        && (tokens
            .iter()
            .any(|t| OUTLET_CUES.contains(t) || lex.place(t).is_some())
            || part.contains(".com")
            || part.contains(".org"))
}

/// Splits a byline into validated author names and an outlet.
pub fn parse_byline(byline: &str) -> (Vec<String>, Option<String>) {
    static BY: OnceLock<Regex> = OnceLock::new();
    let by = BY
        .get_or_init(|| Regex::new(r"^\s*(?:[Bb][Yy]|[Ww]ritten by)[:\s]+").expect("valid regex"));
    let body = by.replace(byline.trim(), "");
    let mut authors = Vec::new();
    let mut outlet = None;
    for part in body.split([',', '|', '•', ';', '/', '\n']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if outlet.is_none() && is_outlet(part) {
            outlet = Some(part.to_string());
            continue;
        }
        for name in part.split(" and ").flat_map(|p| p.split(" & ")) {
            let name = name.trim();
            if is_person_name(name) && !authors.iter().any(|a| a == name) {
                authors.push(name.to_string());
            }
        }
    }
    (authors, outlet)
}

fn dateline_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(?P<place>\p{Lu}[\p{Lu}.'’ -]{1,40}?\p{Lu}\.?|\p{Lu}\p{Ll}+(?: \p{Lu}\p{Ll}+){0,2})(?:, *(?P<extra>\p{Lu}[\p{L}.]*(?: \d{1,2})?(?:,? \d{4})?))? *(?:\((?P<agency>[^()\n]{1,30})\) *)?(?P<dash>—|–|--?)(?: |$)",
        )
        .expect("valid regex")
    })
}

/// A dateline at the start of one of the first paragraphs: "JERUSALEM (JTA) —",
/// "MOSCOW, Jan 5 (Reuters) -", "WASHINGTON —". A mixed-case place needs an agency.
pub fn find_dateline(text: &str) -> Option<Dateline> {
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(4)
    {
        let Some(c) = dateline_regex().captures(line) else {
            continue;
        };
        let place = c.name("place").map_or("", |m| m.as_str()).trim();
        let agency = c.name("agency").map(|m| m.as_str().trim().to_string());
        let all_caps = place
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase)
            && place.chars().filter(|c| c.is_alphabetic()).count() >= 3;
        if !all_caps && agency.is_none() {
            continue;
        }
        let whole = c.get(0).map_or("", |m| m.as_str()).trim_end();
        return Some(Dateline {
            place: place.to_string(),
            agency,
            text: whole.to_string(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datelines_of_common_shapes() {
        let d = find_dateline("MOSCOW, Jan 5 (Reuters) - Russia said").expect("dateline");
        assert_eq!(
            (d.place.as_str(), d.agency.as_deref()),
            ("MOSCOW", Some("Reuters"))
        );
        assert_eq!(d.text, "MOSCOW, Jan 5 (Reuters) -");
        let d = find_dateline("WASHINGTON — The Senate").expect("dateline");
        assert_eq!((d.place.as_str(), d.agency), ("WASHINGTON", None));
        assert!(find_dateline("Israel hit an Iranian site — again.").is_none());
    }

    #[test]
    fn byline_parts_are_validated() {
        let (a, o) = parse_byline("By Batya Jerenberg, World Israel News");
        assert_eq!(a, ["Batya Jerenberg"]);
        assert_eq!(o.as_deref(), Some("World Israel News"));
        let (a, _) = parse_byline("By Staff Writer | 3 Minute Read | Published January 5");
        assert!(a.is_empty());
    }
}
