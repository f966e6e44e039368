//! Reading CoNLL-2003 files: `WORD POS CHUNK NER` per line, blank lines between sentences,
//! `-DOCSTART-` between documents, IOB1 or IOB2 tags.

use std::path::Path;

use super::NerError;
use super::model::{KINDS, Part, tag_of};

pub struct ConllDoc {
    pub words: Vec<String>,
    /// Token ranges, end exclusive, tiling `words`.
    pub sentences: Vec<(usize, usize)>,
    /// Gold entity spans (token range, kind index).
    pub spans: Vec<(usize, usize, usize)>,
}

impl ConllDoc {
    /// Gold BILOU tags of every token.
    pub fn tags(&self) -> Vec<usize> {
        let mut tags = vec![0; self.words.len()];
        for &(s, e, k) in &self.spans {
            if e == s + 1 {
                tags[s] = tag_of(Part::Unit, k);
            } else {
                tags[s] = tag_of(Part::Begin, k);
                for t in &mut tags[s + 1..e - 1] {
                    *t = tag_of(Part::Inside, k);
                }
                tags[e - 1] = tag_of(Part::Last, k);
            }
        }
        tags
    }
}

fn kind_index(label: &str) -> Option<usize> {
    KINDS.iter().position(|k| k.as_str() == label)
}

pub fn read(path: &Path) -> Result<Vec<ConllDoc>, NerError> {
    let text = std::fs::read_to_string(path).map_err(|source| NerError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

pub fn parse(text: &str, path: &Path) -> Result<Vec<ConllDoc>, NerError> {
    let mut docs = Vec::new();
    let new_doc = || ConllDoc {
        words: Vec::new(),
        sentences: Vec::new(),
        spans: Vec::new(),
    };
    let mut doc = new_doc();
    let mut sentence_start = 0;
    // The entity being read: (start token, kind).
    let mut open: Option<(usize, usize)> = None;
    let close_sentence =
        |doc: &mut ConllDoc, start: &mut usize, open: &mut Option<(usize, usize)>| {
            if let Some((s, k)) = open.take() {
                doc.spans.push((s, doc.words.len(), k));
            }
            if *start < doc.words.len() {
                doc.sentences.push((*start, doc.words.len()));
            }
            *start = doc.words.len();
        };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.starts_with("-DOCSTART-") {
            close_sentence(&mut doc, &mut sentence_start, &mut open);
            if !doc.words.is_empty() {
                docs.push(std::mem::replace(&mut doc, new_doc()));
            }
            sentence_start = 0;
            continue;
        }
        if line.is_empty() {
            close_sentence(&mut doc, &mut sentence_start, &mut open);
            continue;
        }
        let mut cols = line.split_whitespace();
        let word = cols.next().unwrap_or("");
        let label = cols.next_back().unwrap_or("O");
        let i = doc.words.len();
        let (prefix, kind) = match label.split_once('-') {
            Some((p, k)) => {
                let kind = kind_index(k).ok_or_else(|| NerError::Format {
                    path: path.to_path_buf(),
                    line: n + 1,
                    message: format!("unknown entity type `{k}`"),
                })?;
                (p, Some(kind))
            }
            None if label == "O" => ("O", None),
            None => {
                return Err(NerError::Format {
                    path: path.to_path_buf(),
                    line: n + 1,
                    message: format!("unknown tag `{label}`"),
                });
            }
        };
        match (prefix, kind) {
            (_, None) => {
                if let Some((s, k)) = open.take() {
                    doc.spans.push((s, i, k));
                }
            }
            (p, Some(k)) => {
                let continues = p == "I" && open.is_some_and(|(_, ok)| ok == k);
                if !continues {
                    if let Some((s, ok)) = open.take() {
                        doc.spans.push((s, i, ok));
                    }
                    open = Some((i, k));
                }
            }
        }
        doc.words.push(word.to_string());
    }
    close_sentence(&mut doc, &mut sentence_start, &mut open);
    if !doc.words.is_empty() {
        docs.push(doc);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iob1_spans_follow_conlleval() {
        let text = "-DOCSTART- -X- O O\n\nPeter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\nJohn NNP I-NP B-PER\nsaid VBD I-VP O\n\nEU NNP I-NP I-ORG\n";
        let docs = parse(text, Path::new("x")).expect("parses");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].spans, [(0, 2, 0), (2, 3, 0), (4, 5, 1)]);
        assert_eq!(docs[0].sentences, [(0, 4), (4, 5)]);
    }
}
