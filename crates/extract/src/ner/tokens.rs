//! Tokens in the CoNLL-2003 style the tagger was trained on, as byte ranges of the article text:
//! punctuation marks are tokens of their own, a possessive "’s" is split off, initialisms and
//! abbreviations keep their dot ("U.S.", "Gen."), hyphenated words stay whole ("al-Assad").

use crate::text::takes_final_dot;

fn is_inner_joiner(c: char) -> bool {
    matches!(c, '\'' | '’' | '-' | '.' | '‑' | '&')
}

/// Byte ranges of the tokens of `text`.
pub fn tokenize(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((pos, c)) = it.next() {
        if c.is_whitespace() {
            continue;
        }
        if !c.is_alphanumeric() {
            out.push((pos, pos + c.len_utf8()));
            continue;
        }
        let mut end = pos + c.len_utf8();
        loop {
            let rest = &text[end..];
            let mut cs = rest.chars();
            match cs.next() {
                Some(n) if n.is_alphanumeric() => end += n.len_utf8(),
                Some(n) if is_inner_joiner(n) => {
                    let after = cs.next();
                    if after.is_some_and(char::is_alphanumeric) {
                        end += n.len_utf8();
                    } else if n == '.' && after == Some('-') {
                        // "Maj.-Gen."
                        let third = cs.next();
                        if third.is_some_and(char::is_alphanumeric) {
                            end += 2;
                        } else {
                            break;
                        }
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        while it.peek().is_some_and(|&(p, _)| p < end) {
            it.next();
        }
        let word = &text[pos..end];
        if text[end..].starts_with('.') && takes_final_dot(word) {
            end += 1;
            it.next();
            out.push((pos, end));
            continue;
        }
        let possessive = ["'s", "’s", "'S", "’S"]
            .iter()
            .find(|s| word.len() > s.len() && word.ends_with(*s));
        match possessive {
            Some(s) => {
                let cut = end - s.len();
                out.push((pos, cut));
                out.push((cut, end));
            }
            None => out.push((pos, end)),
        }
    }
    out
}

/// Words of a gazetteer entry or short string, tokenised the same way.
pub fn split_words(text: &str) -> Vec<&str> {
    tokenize(text)
        .into_iter()
        .filter_map(|(s, e)| text.get(s..e))
        .collect()
}

/// Sentences as token index ranges (end exclusive) tiling all tokens: a line break always ends
/// a sentence; ".", "!", "?" (with any closing quotes or brackets after them) end one when the
/// next token starts with a capital, a digit or a quote mark.
pub fn sentences(text: &str, tokens: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < tokens.len() {
        let (s, e) = tokens[i];
        let word = &text[s..e];
        let mut j = i + 1;
        let terminal =
            matches!(word, "." | "!" | "?" | "…") || (word.ends_with('.') && word.len() > 1);
        if terminal {
            while j < tokens.len()
                && matches!(
                    &text[tokens[j].0..tokens[j].1],
                    "”" | "\"" | "’" | "'" | ")"
                )
            {
                if text[tokens[j - 1].1..tokens[j].0].contains('\n') {
                    break;
                }
                j += 1;
            }
        }
        let next_breaks_line = tokens
            .get(j)
            .is_some_and(|&(ns, _)| text[tokens[j - 1].1..ns].contains('\n'));
        let next_starts = tokens.get(j).is_none_or(|&(ns, ne)| {
            text[ns..ne].chars().next().is_some_and(|c| {
                c.is_uppercase() || c.is_ascii_digit() || matches!(c, '“' | '"' | '‘')
            })
        });
        let abbreviation_mid_line = word.len() > 1 && !next_breaks_line;
        if next_breaks_line
            || j == tokens.len()
            || (terminal && next_starts && !abbreviation_mid_line)
        {
            out.push((start, j));
            start = j;
        }
        i = j;
    }
    if start < tokens.len() {
        out.push((start, tokens.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_punctuation_and_possessives() {
        let text = "Israel’s Maj.-Gen. Aharon Haliva met U.S. officials, “quietly”.\nNext line";
        let toks = tokenize(text);
        let words: Vec<&str> = toks.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            words,
            [
                "Israel",
                "’s",
                "Maj.-Gen.",
                "Aharon",
                "Haliva",
                "met",
                "U.S.",
                "officials",
                ",",
                "“",
                "quietly",
                "”",
                ".",
                "Next",
                "line"
            ]
        );
        let sents = sentences(text, &toks);
        assert_eq!(sents, [(0, 13), (13, 15)]);
    }
}
