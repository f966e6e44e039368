//! Unicode, whitespace and quotation-mark normalisation, line by line.
//!
//! The text is split into [`Line`]s that remember their 1-based number in the text as the
//! stage received it, so every later removal can be reported against the original.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::config::QuoteStyle;

/// One non-blank line of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the text as the stage received it.
    pub no: usize,
    pub text: String,
    /// Whether one or more blank lines preceded it (paragraph break kept in the output).
    pub blank_before: bool,
}

/// NFC, then one `Line` per non-blank line with whitespace, invisible characters and quotes
/// normalised. Returns the lines and the number of non-blank input lines.
pub fn split_lines(text: &str, quotes: QuoteStyle) -> Vec<Line> {
    let nfc: std::borrow::Cow<str> =
        if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(text.nfc().collect())
        };
    let mut lines = Vec::new();
    let mut blank_before = false;
    for (index, raw) in raw_lines(&nfc).enumerate() {
        let cleaned = normalize_line(raw, quotes);
        if cleaned.is_empty() {
            blank_before = !lines.is_empty();
            continue;
        }
        lines.push(Line {
            no: index + 1,
            text: cleaned,
            blank_before,
        });
        blank_before = false;
    }
    lines
}

/// Normalises one line (used for titles too).
pub fn normalize_line(raw: &str, quotes: QuoteStyle) -> String {
    if is_plain_ascii(raw, quotes) {
        return raw.to_string();
    }
    let mut spaced = String::with_capacity(raw.len());
    let mut pending_space = false;
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Runs of printable ASCII are copied whole; other characters are judged one by one.
        let run = bytes[i..]
            .iter()
            .position(|&b| !(0x21..=0x7E).contains(&b))
            .unwrap_or(bytes.len() - i);
        if run > 0 {
            if pending_space && !spaced.is_empty() {
                spaced.push(' ');
            }
            pending_space = false;
            spaced.push_str(raw.get(i..i + run).unwrap_or_default());
            i += run;
            continue;
        }
        match bytes[i] {
            b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' => {
                pending_space = true;
                i += 1;
                continue;
            }
            // Other ASCII controls print nothing.
            0x00..=0x7F => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(c) = raw.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        i += c.len_utf8();
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if c.is_control() || is_invisible(c) {
            continue;
        }
        if pending_space && !spaced.is_empty() {
            spaced.push(' ');
        }
        pending_space = false;
        spaced.push(c);
    }
    match quotes {
        QuoteStyle::Keep => spaced,
        QuoteStyle::Tidy if !spaced.contains(needs_tidying) => spaced,
        QuoteStyle::Tidy => tidy_quotes(&spaced),
        QuoteStyle::Curly => curl_straight_quotes(&tidy_quotes(&spaced)),
        QuoteStyle::Straight => straighten_quotes(&spaced),
    }
}

/// Whether `raw` is already normal: printable ASCII words separated by single spaces, with
/// nothing the quote style would change. Most lines of most texts are, and copying them
/// whole is several times faster than rebuilding them character by character.
fn is_plain_ascii(raw: &str, quotes: QuoteStyle) -> bool {
    let bytes = raw.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    let mut previous_space = false;
    for &b in bytes {
        let fine = match b {
            b' ' => !previous_space,
            // Curly quotes are chosen for straight ones in that style; a backtick between
            // letters is a mistyped apostrophe.
            b'"' | b'\'' => quotes != QuoteStyle::Curly,
            b'`' => quotes == QuoteStyle::Keep,
            0x21..=0x7E => true,
            _ => false,
        };
        if !fine {
            return false;
        }
        previous_space = b == b' ';
    }
    true
}

/// Marks that `tidy` maps onto the curly set.
fn needs_tidying(c: char) -> bool {
    matches!(
        c,
        '„' | '‟'
            | '〝'
            | '〞'
            | '〟'
            | '‚'
            | '‛'
            | '«'
            | '»'
            | '‹'
            | '›'
            | '″'
            | '´'
            | '`'
    )
}

/// Splits on every line break a scraper may leave: `\n`, `\r\n`, lone `\r`, vertical tab,
/// form feed, NEL and the Unicode line and paragraph separators.
pub(crate) fn raw_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match find_line_break(current) {
            Some((at, len)) => {
                let mut next = at + len;
                if current.as_bytes().get(at) == Some(&b'\r')
                    && current.as_bytes().get(next) == Some(&b'\n')
                {
                    next += 1;
                }
                rest = current.get(next..);
                current.get(..at)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The byte offset and UTF-8 length of the first line break in `text`, scanning bytes: the
/// breaks are `\n`, `\r`, VT, FF (one byte), NEL (C2 85) and U+2028/U+2029 (E2 80 A8/A9).
fn find_line_break(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' | 0x0B | 0x0C => return Some((i, 1)),
            0xC2 if bytes.get(i + 1) == Some(&0x85) => return Some((i, 2)),
            0xE2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                return Some((i, 3));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Characters that print nothing and only get in the way of matching: zero-width space, BOM,
/// soft hyphen, word joiner. Zero-width (non-)joiners stay: scripts and emoji need them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{FEFF}' | '\u{00AD}' | '\u{2060}' | '\u{180E}'
    )
}

/// Whether a quote at this position opens: at the start, or after a space, an opening
/// bracket, a dash or another opening mark.
fn opens_here(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(p) => {
            p.is_whitespace() || matches!(p, '(' | '[' | '{' | '—' | '–' | '-' | '/' | '“' | '‘')
        }
    }
}

/// Maps rare quotation marks onto “ ” ‘ ’ while keeping which side each mark is on.
/// Guillemets are read the French/English way (« opens, » closes) and lose the thin
/// space French typography puts inside them.
fn tidy_quotes(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut skip_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if skip_space && c == ' ' {
            skip_space = false;
            continue;
        }
        skip_space = false;
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let mapped = match c {
            '„' | '‟' | '〝' => '“',
            '〞' | '〟' => '”',
            '‚' | '‛' => '‘',
            '«' => {
                skip_space = true;
                '“'
            }
            '»' => {
                if out.ends_with(' ') {
                    out.pop();
                }
                '”'
            }
            '‹' => '‘',
            '›' => '’',
            // A double prime after a digit is inches or seconds, not a quote.
            '″' if prev.is_some_and(|p| p.is_ascii_digit()) => '″',
            '″' => {
                if opens_here(prev) {
                    '“'
                } else {
                    '”'
                }
            }
            // An acute accent or grave between letters is a mistyped apostrophe (don´t).
            '´' | '`'
                if prev.is_some_and(char::is_alphabetic)
                    && chars.get(i + 1).is_some_and(|n| n.is_alphabetic()) =>
            {
                '’'
            }
            other => other,
        };
        out.push(mapped);
    }
    out
}

/// Turns straight quotes into curly ones: a mark opens at the start of a word, closes
/// otherwise; a single mark inside or after a word is an apostrophe.
fn curl_straight_quotes(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut prev: Option<char> = None;
    for c in line.chars() {
        let mapped = match c {
            '"' if opens_here(prev) => '“',
            '"' => '”',
            '\'' if opens_here(prev) => '‘',
            '\'' => '’',
            other => other,
        };
        out.push(mapped);
        // A mark right after a resolved mark takes its side: “‘ opens, ’” closes.
        prev = Some(mapped);
    }
    out
}

fn straighten_quotes(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '“' | '”' | '„' | '‟' | '″' | '«' | '»' | '〝' | '〞' | '〟' | '＂' => {
                '"'
            }
            '‘' | '’' | '‚' | '‛' | '‹' | '›' => '\'',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_controls_are_normalised() {
        let lines = split_lines(
            "\u{a0} An\u{a0}official\t said\u{7}.\r\n\r\n\n\nNext\u{200B} line  ",
            QuoteStyle::Tidy,
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "An official said.");
        assert_eq!(lines[0].no, 1);
        assert_eq!(lines[1].text, "Next line");
        assert_eq!(lines[1].no, 5);
        assert!(lines[1].blank_before);
    }

    #[test]
    fn plain_lines_come_back_as_they_are_and_others_are_rebuilt() {
        let plain = "The council voted 5-4 on Tuesday (a close call).";
        assert_eq!(normalize_line(plain, QuoteStyle::Tidy), plain);
        assert_eq!(
            normalize_line("two  spaces\tand a tab ", QuoteStyle::Tidy),
            "two spaces and a tab"
        );
        assert_eq!(normalize_line("don`t", QuoteStyle::Tidy), "don’t");
        assert_eq!(normalize_line("say \"hi\"", QuoteStyle::Curly), "say “hi”");
        assert_eq!(
            normalize_line("bell\u{7} here", QuoteStyle::Keep),
            "bell here"
        );
    }

    #[test]
    fn every_line_break_splits() {
        let lines = split_lines(
            "a\r\nb\rc\u{85}d\u{2028}e\u{2029}f\u{0B}g\u{0C}h",
            QuoteStyle::Keep,
        );
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "e", "f", "g", "h"]);
    }

    #[test]
    fn nfc_composes_accents() {
        let lines = split_lines("Caf\u{65}\u{301} society", QuoteStyle::Keep);
        assert_eq!(lines[0].text, "Café society");
    }

    #[test]
    fn tidy_keeps_sides_of_odd_quotes() {
        assert_eq!(
            normalize_line("„Ja“ und « oui » und ‹non›", QuoteStyle::Tidy),
            "“Ja“ und “oui” und ‘non’"
        );
        assert_eq!(
            normalize_line("a 5″ screen and ″quoted″", QuoteStyle::Tidy),
            "a 5″ screen and “quoted”"
        );
        assert_eq!(
            normalize_line("“Israel’s security”", QuoteStyle::Tidy),
            "“Israel’s security”"
        );
    }

    #[test]
    fn curly_and_straight_styles() {
        assert_eq!(
            normalize_line("He said \"it's 'fine'\" (\"ok\")", QuoteStyle::Curly),
            "He said “it’s ‘fine’” (“ok”)"
        );
        assert_eq!(
            normalize_line("“It’s” «x»", QuoteStyle::Straight),
            "\"It's\" \"x\""
        );
    }
}
