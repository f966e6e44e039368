//! Tokens and sentences over the article text, as byte ranges (always on char boundaries).

/// A word token: letters/digits with internal apostrophes, hyphens and dots ("al-Assad",
/// "Israel’s", "U.S.", "Maj.-Gen.").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    /// Index of the sentence the token is in.
    pub sentence: usize,
    /// First word of its sentence (or of its line).
    pub initial: bool,
}

impl Token {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// Abbreviations whose trailing dot belongs to the word and does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "St", "Gen", "Lt", "Col", "Maj", "Sgt", "Capt", "Cmdr", "Adm", "Gov",
    "Sen", "Rep", "Jr", "Sr", "Prof", "Rev", "Inc", "Corp", "Ltd", "Co", "Jan", "Feb", "Mar",
    "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "No", "Mt", "Ft", "vs", "Brig",
    "Pres",
];

fn is_inner_joiner(c: char) -> bool {
    matches!(c, '\'' | '’' | '-' | '.' | '‑')
}

/// Whether a word with a dot inside is an initialism ("U.S", "D.C") or a dotted title
/// ("Maj.-Gen"), whose final dot also belongs to it.
fn takes_final_dot(word: &str) -> bool {
    if ABBREVIATIONS.contains(&word) {
        return true;
    }
    if word.contains('.') {
        let last = word.rsplit(['.', '-']).next().unwrap_or("");
        return last.chars().count() <= 1 || ABBREVIATIONS.contains(&last);
    }
    word.chars().count() == 1 && word.chars().all(|c| c.is_uppercase())
}

fn opens_quote(text: &str, pos: usize) -> bool {
    text[..pos]
        .chars()
        .rev()
        .find(|c| *c != ' ')
        .is_some_and(|c| matches!(c, '“' | '"' | '‘' | '(' | '[' | '„'))
}

pub fn is_capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Splits `text` into word tokens and sentences.
pub struct Analysis {
    pub tokens: Vec<Token>,
    /// Byte ranges of sentences.
    pub sentences: Vec<(usize, usize)>,
}

pub fn analyse(text: &str) -> Analysis {
    let mut tokens = Vec::new();
    let mut sentences = Vec::new();
    let mut sentence_start = 0usize;
    let mut at_sentence_start = true;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_alphanumeric() {
            let mut j = i + 1;
            while j < chars.len() {
                let cj = chars[j].1;
                if cj.is_alphanumeric() {
                    j += 1;
                } else if is_inner_joiner(cj)
                    && chars.get(j + 1).is_some_and(|&(_, n)| n.is_alphanumeric())
                {
                    j += 2;
                } else if cj == '.'
                    && chars.get(j + 1).is_some_and(|&(_, n)| n == '-')
                    && chars.get(j + 2).is_some_and(|&(_, n)| n.is_alphanumeric())
                {
                    j += 3;
                } else {
                    break;
                }
            }
            let mut end = chars.get(j).map_or(text.len(), |&(p, _)| p);
            let word = &text[pos..end];
            let mut abbreviated = false;
            if chars.get(j).is_some_and(|&(_, n)| n == '.') && takes_final_dot(word) {
                end += 1;
                j += 1;
                abbreviated = true;
            }
            tokens.push(Token {
                start: pos,
                end,
                sentence: sentences.len(),
                // A word right after an opening quote mark starts a quoted sentence.
                initial: at_sentence_start || opens_quote(text, pos),
            });
            at_sentence_start = false;
            // An abbreviation's dot ends a sentence only at the end of a line.
            if abbreviated && chars.get(j).is_some_and(|&(_, n)| n == '\n') {
                sentences.push((sentence_start, end));
                sentence_start = end;
                at_sentence_start = true;
            }
            i = j;
            continue;
        }
        if c == '\n' {
            if sentence_start < pos {
                sentences.push((sentence_start, pos));
            }
            sentence_start = pos + 1;
            at_sentence_start = true;
        } else if matches!(c, '.' | '!' | '?' | '…') {
            // The sentence ends after the mark and any closing quotes/brackets, if what follows
            // is a space and then a capital, a quote or a line end.
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '”' | '"' | '’' | '\'' | ')' | '.') {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |&(p, _)| p);
            let mut k = j;
            let mut saw_space = false;
            while k < chars.len() && (chars[k].1 == ' ' || chars[k].1 == '\t') {
                k += 1;
                saw_space = true;
            }
            let next = chars.get(k).map(|&(_, n)| n);
            let boundary = match next {
                None | Some('\n') => true,
                Some(n) => saw_space && (n.is_uppercase() || matches!(n, '“' | '"' | '‘')),
            };
            if boundary {
                sentences.push((sentence_start, end));
                sentence_start = end;
                at_sentence_start = true;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if sentence_start < text.len() {
        sentences.push((sentence_start, text.len()));
    }
    // Tokens were numbered by the sentence count at the time; it equals the index of the
    // sentence that contains them because sentences are pushed in order.
    Analysis { tokens, sentences }
}

impl Analysis {
    /// Index of the sentence containing byte `pos`.
    pub fn sentence_of(&self, pos: usize) -> usize {
        self.sentences
            .partition_point(|&(_, end)| end <= pos)
            .min(self.sentences.len().saturating_sub(1))
    }
}

/// Strips a possessive ending ("Israel’s" → "Israel", "Forces’" → "Forces"), returning the
/// bare word's byte length.
pub fn without_possessive(word: &str) -> &str {
    for suffix in ["’s", "'s", "’S", "'S"] {
        if let Some(stem) = word.strip_suffix(suffix)
            && !stem.is_empty()
        {
            return stem;
        }
    }
    word
}

/// Byte ranges of the lines (paragraphs) of `text`, without the newline.
pub fn lines(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, text.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_initialisms_titles_and_possessives() {
        let text = "Maj.-Gen. Aharon Haliva met U.S. officials. Israel’s al-Assad";
        let a = analyse(text);
        let words: Vec<&str> = a.tokens.iter().map(|t| t.text(text)).collect();
        assert_eq!(
            words,
            [
                "Maj.-Gen.",
                "Aharon",
                "Haliva",
                "met",
                "U.S.",
                "officials",
                "Israel’s",
                "al-Assad"
            ]
        );
        assert_eq!(a.sentences.len(), 2);
        assert!(a.tokens[6].initial);
    }
}
