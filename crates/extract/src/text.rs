//! Tokens and sentences over the article text, as byte ranges (always on char boundaries).

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
pub(crate) fn takes_final_dot(word: &str) -> bool {
    if ABBREVIATIONS.contains(&word) {
        return true;
    }
    if word.contains('.') {
        let last = word.rsplit(['.', '-']).next().unwrap_or("");
        return last.chars().count() <= 1 || ABBREVIATIONS.contains(&last);
    }
    word.chars().count() == 1 && word.chars().all(|c| c.is_uppercase())
}

/// The sentences of a text. Words are scanned ("al-Assad", "U.S.", "Maj.-Gen.") so that an
/// abbreviation's dot does not end a sentence.
pub struct Analysis {
    /// Byte ranges of sentences.
    pub sentences: Vec<(usize, usize)>,
}

pub fn analyse(text: &str) -> Analysis {
    let mut sentences = Vec::new();
    let mut sentence_start = 0usize;
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
            // An abbreviation's dot ends a sentence only at the end of a line.
            if abbreviated && chars.get(j).is_some_and(|&(_, n)| n == '\n') {
                sentences.push((sentence_start, end));
                sentence_start = end;
            }
            i = j;
            continue;
        }
        if c == '\n' {
            if sentence_start < pos {
                sentences.push((sentence_start, pos));
            }
            sentence_start = pos + 1;
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
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if sentence_start < text.len() {
        sentences.push((sentence_start, text.len()));
    }
    Analysis { sentences }
}

impl Analysis {
    /// Index of the sentence containing byte `pos`.
    pub fn sentence_of(&self, pos: usize) -> usize {
        self.sentences
            .partition_point(|&(_, end)| end <= pos)
            .min(self.sentences.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let text = "Maj.-Gen. Aharon Haliva met U.S. officials. Israel’s al-Assad";
        let a = analyse(text);
        assert_eq!(a.sentences.len(), 2);
        assert_eq!(
            &text[a.sentences[1].0..a.sentences[1].1].trim(),
            &"Israel’s al-Assad"
        );
    }
}
