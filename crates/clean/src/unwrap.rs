//! Re-joining paragraphs that were hard-wrapped at a fixed width (e-mail, plain-text feeds,
//! terminal copies).
//!
//! A greedy wrapper at width W breaks a line only when the next word would not fit, so at
//! every soft break `len(line) + 1 + len(next line's first word) > W`. Normal text with one
//! paragraph per line breaks at paragraph ends, where the next word would usually have fitted,
//! and its lines are far longer than any wrap width. The document is treated as wrapped only
//! when several breaks pass that test at a plausible width; then exactly those breaks are joined.

use crate::normalize::Line;

/// Widths that wrappers use in practice (72, 76, 78, 80...); lines longer than the upper bound
/// cannot come from a wrapper and are ignored when estimating the width.
const MIN_WIDTH: usize = 45;
const MAX_WIDTH: usize = 100;
/// Evidence needed before a document counts as wrapped.
const MIN_SOFT_BREAKS: usize = 3;

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn first_word_len(s: &str) -> usize {
    s.split(' ').next().map_or(0, char_len)
}

fn ends_sentence(s: &str) -> bool {
    s.trim_end_matches(['"', '”', '’', '\'', ')'])
        .ends_with(['.', '!', '?', ':'])
}

/// Joins the soft breaks of a hard-wrapped document; returns the number of joins made.
pub fn rejoin(lines: &mut Vec<Line>) -> usize {
    let lens: Vec<usize> = lines.iter().map(|l| char_len(&l.text)).collect();
    let continues = |i: usize| lines.get(i + 1).is_some_and(|next| !next.blank_before);
    let width = (0..lines.len())
        .filter(|&i| continues(i) && lens[i] <= MAX_WIDTH)
        .map(|i| lens[i])
        .max()
        .unwrap_or(0);
    if width < MIN_WIDTH {
        return 0;
    }
    let is_soft = |i: usize| -> bool {
        continues(i)
            && lens[i] <= width
            && lens[i] * 2 >= width
            && lines
                .get(i + 1)
                .is_some_and(|next| lens[i] + 1 + first_word_len(&next.text) > width)
    };
    let soft: Vec<usize> = (0..lines.len()).filter(|&i| is_soft(i)).collect();
    let candidates = (0..lines.len())
        .filter(|&i| continues(i) && lens[i] <= width && lens[i] * 2 >= width)
        .count();
    let ending_sentence = soft
        .iter()
        .filter(|&&i| ends_sentence(&lines[i].text))
        .count();
    // Wrapped text breaks mid-sentence most of the time and nearly every full-width line is a
    // soft break; a list of one-sentence lines fails one of the two.
    if soft.len() < MIN_SOFT_BREAKS
        || soft.len() * 10 < candidates * 7
        || ending_sentence * 2 > soft.len()
    {
        return 0;
    }
    let mut joined: Vec<Line> = Vec::with_capacity(lines.len());
    let mut glue_next = false;
    for (i, line) in std::mem::take(lines).into_iter().enumerate() {
        match joined.last_mut() {
            Some(last) if glue_next => {
                let hyphenated = last.text.ends_with('-')
                    && last
                        .text
                        .chars()
                        .rev()
                        .nth(1)
                        .is_some_and(char::is_alphabetic)
                    && line.text.chars().next().is_some_and(char::is_lowercase);
                if !hyphenated {
                    last.text.push(' ');
                }
                last.text.push_str(&line.text);
            }
            _ => joined.push(line),
        }
        glue_next = soft.binary_search(&i).is_ok();
    }
    *lines = joined;
    soft.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::QuoteStyle;
    use crate::normalize::split_lines;

    fn wrap(text: &str, width: usize) -> String {
        let mut out = String::new();
        let mut line = String::new();
        for word in text.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out
    }

    #[test]
    fn wrapped_paragraphs_are_rejoined_and_breaks_kept() {
        let seed = include_str!("../../../samples/003_3ccf4f1fb7630145.txt");
        let paragraphs: Vec<&str> = seed
            .lines()
            .filter(|l| l.split(' ').count() > 25)
            .take(4)
            .collect();
        for width in [60, 72, 80] {
            let text = paragraphs
                .iter()
                .map(|p| wrap(p, width))
                .collect::<Vec<_>>()
                .join("\n\n");
            let mut lines = split_lines(&text, QuoteStyle::Keep);
            assert!(rejoin(&mut lines) > 0, "width {width}");
            let got: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
            assert_eq!(got, paragraphs, "width {width}");
            // Without blank lines between paragraphs, paragraph ends are kept where the next
            // word would have fitted.
            let text = paragraphs
                .iter()
                .map(|p| wrap(p, width))
                .collect::<Vec<_>>()
                .join("\n");
            let mut lines = split_lines(&text, QuoteStyle::Keep);
            rejoin(&mut lines);
            let joined: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
            assert_eq!(joined.join(" "), paragraphs.join(" "), "width {width}");
            for line in &lines {
                assert!(
                    paragraphs.iter().any(|p| line.text.starts_with(p)),
                    "width {width}: {}",
                    line.text
                );
            }
        }
    }

    #[test]
    fn one_paragraph_per_line_text_is_left_alone() {
        for seed in [
            include_str!("../../../samples/000_d3f30cc8e01184eb.txt"),
            include_str!("../../../samples/001_e6fc3a51efc8f4de.txt"),
            include_str!("../../../samples/004_66e42796693d4503.txt"),
        ] {
            let mut lines = split_lines(seed, QuoteStyle::Keep);
            let before = lines.clone();
            assert_eq!(rejoin(&mut lines), 0);
            assert_eq!(lines, before);
        }
    }
}
