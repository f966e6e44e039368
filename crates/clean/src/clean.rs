//! The per-document work of the clean stage, step by step.

use std::collections::{HashMap, HashSet};

use newsmill_core::{Document, RemovedLine, Tally};

use crate::config::CleanConfig;
use crate::meta;
use crate::normalize::{Line, normalize_line, split_lines};
use crate::rules::{LineRules, is_title_slug, word_count};
use crate::tail::{self, Mark};
use crate::unwrap;

/// Shortest line dropped for repeating the line right before it.
const ADJACENT_REPEAT_MIN_WORDS: usize = 4;

/// A line of the text and, once judged, why it leaves the text.
struct Slot {
    line: Line,
    removal: Option<Removal>,
    /// The line rules judged it boilerplate (used by the trailing-block smoothing).
    mark: Mark,
}

struct Removal {
    rule: &'static str,
    kept_as: Option<&'static str>,
}

/// Everything `apply` needs, built once from the config.
pub struct Cleaner {
    pub(crate) cfg: CleanConfig,
    pub(crate) rules: LineRules,
    /// Recorded rule names switched off by `disable`.
    pub(crate) disabled: HashSet<&'static str>,
}

impl Cleaner {
    fn on(&self, rule: &str) -> bool {
        !self.disabled.contains(rule)
    }

    pub fn clean(&self, doc: &mut Document, tally: &mut Tally) {
        let mut lines = split_lines(&doc.text, self.cfg.quotes);
        tally.add("lines-in", lines.len() as u64);
        if self.cfg.unwrap {
            tally.add("lines-joined", unwrap::rejoin(&mut lines) as u64);
        }
        let title = doc
            .title
            .as_deref()
            .map(|t| normalize_line(t, self.cfg.quotes))
            .filter(|t| !t.is_empty());

        let mut slots = self.judge_lines(lines, title.as_deref());
        self.move_byline_and_contributors(&mut slots, doc);
        let title = self.check_title(&mut slots, title, doc, tally);
        if self.on("tail-block") {
            let marks: Vec<Mark> = slots.iter().map(|s| s.mark).collect();
            for i in tail::sandwiched(&marks) {
                if let Some(slot) = slots.get_mut(i)
                    && slot.removal.is_none()
                {
                    slot.removal = Some(Removal {
                        rule: "tail-block",
                        kept_as: None,
                    });
                }
            }
        }
        if self.on("repeat-in-article") {
            self.drop_repeats(&mut slots, title.as_deref());
        }
        let credit_cuts = if self.on("credit") {
            self.move_credits(&mut slots, doc)
        } else {
            Vec::new()
        };

        let mut removed: Vec<RemovedLine> = credit_cuts;
        let mut text = String::with_capacity(doc.text.len());
        let mut kept = 0u64;
        let mut paragraph_break = false;
        for slot in slots {
            match slot.removal {
                Some(removal) => {
                    paragraph_break |= slot.line.blank_before;
                    removed.push(RemovedLine {
                        line: slot.line.no,
                        text: slot.line.text,
                        rule: removal.rule.to_string(),
                        kept_as: removal.kept_as.map(str::to_string),
                    });
                }
                None => {
                    if !text.is_empty() {
                        text.push_str(if paragraph_break || slot.line.blank_before {
                            "\n\n"
                        } else {
                            "\n"
                        });
                    }
                    paragraph_break = false;
                    text.push_str(&slot.line.text);
                    kept += 1;
                }
            }
        }
        removed.sort_by_key(|r| r.line);
        for r in &removed {
            tally.add(&format!("removed:{}", r.rule), 1);
        }
        tally.add("lines-kept", kept);
        doc.text = text;
        doc.title = title;
        doc.removed.extend(removed);
    }

    /// Phrase rules and HTML-tag lines.
    fn judge_lines(&self, lines: Vec<Line>, title: Option<&str>) -> Vec<Slot> {
        let max_words = self.rules.max_words();
        // Whether a long line comes after position i (tail-only rules need none).
        let mut prose_after = vec![false; lines.len()];
        let mut seen_long = false;
        for (i, line) in lines.iter().enumerate().rev() {
            if let Some(flag) = prose_after.get_mut(i) {
                *flag = seen_long;
            }
            seen_long |= word_count(&line.text) > max_words;
        }
        lines
            .into_iter()
            .zip(prose_after)
            .map(|(line, prose_follows)| {
                match self.rules.classify(&line.text, title, prose_follows) {
                    Some(hit) => Slot {
                        line,
                        removal: Some(Removal {
                            rule: hit.rule,
                            kept_as: None,
                        }),
                        mark: if hit.closing {
                            Mark::Closing
                        } else {
                            Mark::Inline
                        },
                    },
                    None => Slot {
                        line,
                        removal: None,
                        mark: Mark::Other,
                    },
                }
            })
            .collect()
    }

    fn move_byline_and_contributors(&self, slots: &mut [Slot], doc: &mut Document) {
        if self.on("byline") && doc.meta.byline.is_none() {
            let near_top = slots
                .iter_mut()
                .filter(|s| s.removal.is_none())
                .take(self.cfg.byline_lines);
            for slot in near_top {
                if meta::is_byline(&slot.line.text) {
                    doc.meta.byline = Some(slot.line.text.clone());
                    slot.removal = Some(Removal {
                        rule: "byline",
                        kept_as: Some("byline"),
                    });
                    slot.mark = Mark::Inline;
                    break;
                }
            }
        }
        if self.on("contributor") {
            for slot in slots.iter_mut().filter(|s| s.removal.is_none()) {
                if let Some(names) = meta::contributors(&slot.line.text) {
                    for name in names {
                        if !doc.meta.contributors.contains(&name) {
                            doc.meta.contributors.push(name);
                        }
                    }
                    slot.removal = Some(Removal {
                        rule: "contributor",
                        kept_as: Some("contributor"),
                    });
                    slot.mark = Mark::Inline;
                }
            }
        }
    }

    /// Replaces a title that is boilerplate by the first remaining line of the text.
    fn check_title(
        &self,
        slots: &mut [Slot],
        title: Option<String>,
        doc: &mut Document,
        tally: &mut Tally,
    ) -> Option<String> {
        let title = title?;
        let rule = match self.rules.classify(&title, None, true) {
            Some(hit) => hit.rule,
            None if self.on("title-slug") && is_title_slug(&title) => "title-slug",
            None => return Some(title),
        };
        doc.removed.push(RemovedLine {
            line: 0,
            text: title,
            rule: rule.to_string(),
            kept_as: None,
        });
        tally.add(&format!("removed:{rule}"), 1);
        // A paragraph of prose is no headline: better no title than a wrong one.
        let next = slots
            .iter_mut()
            .find(|s| s.removal.is_none())
            .filter(|s| word_count(&s.line.text) <= 30);
        let promoted = next.map(|slot| {
            slot.removal = Some(Removal {
                rule: "title",
                kept_as: Some("title"),
            });
            slot.line.text.clone()
        });
        tracing::debug!(doc = %doc.id, rule, title = ?promoted, "Replaced a boilerplate title by the first line of the text.");
        tally.add("title-promoted", u64::from(promoted.is_some()));
        promoted
    }

    /// Drops exact repeats within the article. A line of `repeat_min_words` words or more is
    /// a sentence, and printing it twice is a scraping artefact (captions, pull quotes); of its
    /// copies the first one followed by prose stays, so a heading listed first in a table of
    /// contents keeps its place above its section. Shorter lines repeat legitimately in lists
    /// ("Winners meet in final match"), so they only go when they repeat the line right before.
    fn drop_repeats(&self, slots: &mut [Slot], title: Option<&str>) {
        let max_words = self.rules.max_words();
        let live: Vec<usize> = (0..slots.len())
            .filter(|&i| slots[i].removal.is_none())
            .collect();
        let keys: Vec<String> = live
            .iter()
            .map(|&i| comparison_key(&slots[i].line.text))
            .collect();
        let title_key = title.map(comparison_key);
        let mut drop = vec![false; live.len()];
        let mut copies: HashMap<&str, Vec<usize>> = HashMap::new();
        for (n, key) in keys.iter().enumerate() {
            let words = word_count(key);
            // Scrapers often print the headline again as the first line of the text.
            let repeats_title =
                n < 3 && !key.is_empty() && title_key.as_deref() == Some(key.as_str());
            let repeats_previous =
                words >= ADJACENT_REPEAT_MIN_WORDS && n > 0 && keys.get(n - 1) == Some(key);
            if repeats_title || repeats_previous {
                drop[n] = true;
            } else if words >= self.cfg.repeat_min_words {
                copies.entry(key.as_str()).or_default().push(n);
            }
        }
        let followed_by_prose = |n: usize| {
            keys[n + 1..]
                .iter()
                .find(|k| **k != keys[n])
                .is_some_and(|k| word_count(k) > max_words)
        };
        for group in copies.values().filter(|g| g.len() > 1) {
            let keeper = group
                .iter()
                .copied()
                .find(|&n| followed_by_prose(n))
                .unwrap_or(group[0]);
            for &n in group.iter().filter(|&&n| n != keeper) {
                drop[n] = true;
            }
        }
        for (n, &i) in live.iter().enumerate() {
            if drop[n] {
                slots[i].removal = Some(Removal {
                    rule: "repeat-in-article",
                    kept_as: None,
                });
            }
        }
    }

    /// Cuts photo credits off caption lines into `meta.credits`; returns the cut parts as
    /// removed-line records. Parenthesised sources are recorded but left in the caption.
    fn move_credits(&self, slots: &mut [Slot], doc: &mut Document) -> Vec<RemovedLine> {
        let mut cuts = Vec::new();
        let add = |credits: &mut Vec<String>, credit: String| {
            if !credits.contains(&credit) {
                credits.push(credit);
            }
        };
        for slot in slots.iter_mut().filter(|s| s.removal.is_none()) {
            if let Some(cut) = meta::cut_credit(&slot.line.text) {
                add(&mut doc.meta.credits, cut.credit);
                if cut.rest.is_empty() {
                    slot.removal = Some(Removal {
                        rule: "credit",
                        kept_as: Some("credit"),
                    });
                } else {
                    cuts.push(RemovedLine {
                        line: slot.line.no,
                        text: cut.cut,
                        rule: "credit".to_string(),
                        kept_as: Some("credit".to_string()),
                    });
                    slot.line.text = cut.rest;
                }
            } else if let Some(source) = meta::parenthesised_source(&slot.line.text) {
                add(&mut doc.meta.credits, source);
            }
        }
        cuts
    }
}

/// Lowercase words without punctuation, for comparing lines.
fn comparison_key(line: &str) -> String {
    let mut key = String::with_capacity(line.len());
    for word in line.split_whitespace() {
        let word: String = word
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if word.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(&word);
    }
    key
}
