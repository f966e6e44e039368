//! The per-document work of the clean stage, step by step.

use std::collections::{HashMap, HashSet};

use newsmill_core::{Document, RemovedLine, Tally};

use crate::body::{self, BodyParams, LineKind};
use crate::caption;
use crate::config::CleanConfig;
use crate::meta;
use crate::normalize::{Line, normalize_line, split_lines};
use crate::related;
use crate::rules::{LineRules, is_title_slug, spaced_words, word_count};
use crate::tail::{self, Mark};
use crate::unwrap;

/// Shortest line dropped for repeating the line right before it.
const ADJACENT_REPEAT_MIN_WORDS: usize = 4;

/// Site-repeated lines this short inside the article are its labels, not site furniture.
const SITE_LABEL_MAX_WORDS: usize = 4;

/// Phrase rules whose lines stand inside articles as often as around them ("Buy
/// now" buttons in product lists, "Updated: DATE" lines): in the body search they cost what
/// any other non-prose line costs, so that they do not cut an article in two.
const IN_ARTICLE_RULES: &[&str] = &["phrase:call-to-action", "phrase:post-meta"];

/// A line of the text and, once judged, why it leaves the text.
struct Slot {
    line: Line,
    /// The line's comparison key (lowercase words without punctuation), made once.
    key: String,
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
    pub(crate) body: BodyParams,
    /// Lines decided to be site boilerplate, as (site, line) hashes.
    pub(crate) site_repeats: crate::site::SiteRepeats,
}

impl Cleaner {
    pub(crate) fn on(&self, rule: &str) -> bool {
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
        self.drop_site_repeats(&mut slots, doc);
        self.move_byline_and_contributors(&mut slots, doc);
        let title = self.check_title(&mut slots, title, doc, tally);
        if self.on("related") {
            move_related(&mut slots, doc);
        }
        // Captions first: a caption under the headline is no menu, and must not read as one.
        let credit_cuts = self.move_captions_and_credits(&mut slots, doc);
        self.keep_body(&mut slots, title.as_deref());
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
        let words: Vec<usize> = lines.iter().map(|l| spaced_words(&l.text)).collect();
        let mut prose_after = vec![false; lines.len()];
        let mut seen_long = false;
        for (i, &n) in words.iter().enumerate().rev() {
            if let Some(flag) = prose_after.get_mut(i) {
                *flag = seen_long;
            }
            seen_long |= n > max_words;
        }
        let mut seen_long = false;
        lines
            .into_iter()
            .zip(prose_after)
            .zip(words)
            .map(|((line, prose_follows), n)| {
                let prose_before = seen_long;
                seen_long |= n > max_words;
                match self
                    .rules
                    .classify_counted(&line.text, n, title, prose_before, prose_follows)
                {
                    Some(hit) => Slot {
                        key: crate::site::line_key(&line.text),
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
                        key: crate::site::line_key(&line.text),
                        line,
                        removal: None,
                        mark: Mark::Other,
                    },
                }
            })
            .collect()
    }

    /// Removes the lines decided (over the corpus) to be the site's boilerplate.
    fn drop_site_repeats(&self, slots: &mut [Slot], doc: &Document) {
        if self.site_repeats.lines.is_empty() {
            return;
        }
        let Some(site) = crate::site::site_of(doc) else {
            return;
        };
        for slot in slots.iter_mut().filter(|s| s.removal.is_none()) {
            if !slot.key.is_empty()
                && self
                    .site_repeats
                    .lines
                    .contains(&crate::site::pair_hash(&site, &slot.key))
            {
                slot.removal = Some(Removal {
                    rule: "site-repeat",
                    kept_as: None,
                });
                slot.mark = Mark::Inline;
            }
        }
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

    /// Removes what lies outside the densest prose region (see [`body`]): menus before the
    /// article, link lists and comments after it.
    fn keep_body(&self, slots: &mut [Slot], title: Option<&str>) {
        let (before, after, comments) = (
            self.on("body:before"),
            self.on("body:after"),
            self.on("body:comments"),
        );
        if !(before || after || comments) {
            return;
        }
        let headlines = title.map(body::headline_keys).unwrap_or_default();
        let headline_words: Vec<usize> = headlines.iter().map(|k| word_count(k)).collect();
        let mut kinds = Vec::with_capacity(slots.len());
        let mut profiles = Vec::with_capacity(slots.len());
        for slot in slots.iter() {
            let profile = body::profile(&slot.line.text);
            let barrier = comments && body::opens_comments(&slot.line.text, profile.words);
            // Only lines as long as a form of the title are compared with it.
            // (Tokens such as "|" count as words in the profile but not in keys.)
            let headline = headline_words
                .iter()
                .any(|&w| (w..=w + 3).contains(&profile.words))
                && headlines.contains(&slot.key);
            kinds.push(match &slot.removal {
                _ if headline => LineKind::Headline,
                // A teaser costs what any headline costs: "Read more: <headline>" links stand
                // inside articles as often as after them, and must not cut one in two.
                Some(r) if r.rule == RELATED && r.kept_as.is_some() => LineKind::Furniture,
                // A second copy of a caption says nothing about where the article is.
                Some(r) if r.kept_as.is_some() || r.rule == "repeat-in-article" => {
                    LineKind::Neutral
                }
                Some(r) if r.rule == "site-repeat" && !barrier => LineKind::Repeated,
                Some(r) if r.rule == "phrase:end-section" => LineKind::EndSection,
                Some(r) if IN_ARTICLE_RULES.contains(&r.rule) && !barrier => LineKind::Furniture,
                Some(r) => LineKind::Boilerplate {
                    barrier: barrier || r.rule == "phrase:comments",
                },
                None if barrier => LineKind::Boilerplate { barrier: true },
                None => LineKind::Text,
            });
            profiles.push(profile);
        }
        let Some(body::Region { start, end, gaps }) = body::region(&kinds, &profiles, &self.body)
        else {
            return;
        };
        if self.on("body:gap") {
            for &i in &gaps {
                if let Some(slot) = slots.get_mut(i)
                    && slot.removal.is_none()
                {
                    slot.removal = Some(Removal {
                        rule: "body:gap",
                        kept_as: None,
                    });
                }
            }
        }
        // Labels a site prints in every article ("Pros", "Price", "Our verdict") are repeated
        // but belong to the article when they stand inside it.
        for slot in slots.get_mut(start..end).into_iter().flatten() {
            if slot
                .removal
                .as_ref()
                .is_some_and(|r| r.rule == "site-repeat")
                && word_count(&slot.line.text) <= SITE_LABEL_MAX_WORDS
            {
                slot.removal = None;
                slot.mark = Mark::Other;
            }
        }
        let mut past_barrier = false;
        for (i, slot) in slots.iter_mut().enumerate() {
            if i >= end {
                past_barrier |=
                    matches!(kinds.get(i), Some(LineKind::Boilerplate { barrier: true }));
            }
            if slot.removal.is_some() || (start..end).contains(&i) {
                continue;
            }
            let rule = if i < start {
                before.then_some("body:before")
            } else if past_barrier {
                comments.then_some("body:comments")
            } else {
                after.then_some("body:after")
            };
            if let Some(rule) = rule {
                slot.removal = Some(Removal {
                    rule,
                    kept_as: None,
                });
            }
        }
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
        let keys: Vec<&str> = live.iter().map(|&i| slots[i].key.as_str()).collect();
        let title_key = title.map(comparison_key);
        let mut drop = vec![false; live.len()];
        let mut copies: HashMap<&str, Vec<usize>> = HashMap::new();
        for (n, key) in keys.iter().enumerate() {
            let words = spaced_words(key);
            // Scrapers often print the headline again as the first line of the text.
            let repeats_title = n < 3 && !key.is_empty() && title_key.as_deref() == Some(*key);
            let repeats_previous =
                words >= ADJACENT_REPEAT_MIN_WORDS && n > 0 && keys.get(n - 1) == Some(key);
            if repeats_title || repeats_previous {
                drop[n] = true;
            } else if words >= self.cfg.repeat_min_words {
                copies.entry(key).or_default().push(n);
            }
        }
        let followed_by_prose = |n: usize| {
            keys[n + 1..]
                .iter()
                .find(|k| **k != keys[n])
                .is_some_and(|k| spaced_words(k) > max_words)
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

    /// Cuts photo credits off caption lines into `meta.credits` and moves captions to
    /// `meta.captions`; returns the cut credits as removed-line records. A caption printed
    /// twice is kept once; the other copy is recorded as a repeat.
    fn move_captions_and_credits(
        &self,
        slots: &mut [Slot],
        doc: &mut Document,
    ) -> Vec<RemovedLine> {
        let (credits_on, captions_on) = (self.on("credit"), self.on("caption"));
        let mut cuts = Vec::new();
        for slot in slots.iter_mut().filter(|s| s.removal.is_none()) {
            let mut had_credit = false;
            if credits_on && let Some(cut) = meta::cut_credit(&slot.line.text) {
                push_unique(&mut doc.meta.credits, cut.credit);
                if cut.rest.is_empty() {
                    slot.removal = Some(Removal {
                        rule: "credit",
                        kept_as: Some("credit"),
                    });
                    continue;
                }
                cuts.push(RemovedLine {
                    line: slot.line.no,
                    text: cut.cut,
                    rule: "credit".to_string(),
                    kept_as: Some("credit".to_string()),
                });
                slot.line.text = cut.rest;
                slot.key = crate::site::line_key(&slot.line.text);
                had_credit = true;
            } else if credits_on && let Some(source) = meta::parenthesised_source(&slot.line.text) {
                push_unique(&mut doc.meta.credits, source);
                had_credit = true;
            }
            if captions_on && caption::is_caption(&slot.line.text, had_credit) {
                let repeat = doc.meta.captions.contains(&slot.line.text);
                if !repeat {
                    doc.meta.captions.push(slot.line.text.clone());
                }
                slot.removal = Some(if repeat {
                    Removal {
                        rule: "repeat-in-article",
                        kept_as: None,
                    }
                } else {
                    Removal {
                        rule: "caption",
                        kept_as: Some("caption"),
                    }
                });
            }
        }
        cuts
    }
}

/// The rule name of related-story headlines moved to `meta.related`.
const RELATED: &str = "related";

/// Words of a line that reads as the article's prose rather than one more teaser.
const PROSE_AFTER_BLOCK_WORDS: usize = 12;

/// Phrase rules whose lines a related-story removal replaces: the same line, now with its
/// headline kept.
const RELATED_REPLACES: &[&str] = &["phrase:link-line", "phrase:read-more"];

/// Moves related-story headlines to `meta.related` (see [`related`]): lines prefixed by a
/// related-content label, and the teasers right under a related-content heading.
fn move_related(slots: &mut [Slot], doc: &mut Document) {
    let replaceable = |slot: &Slot| {
        slot.removal
            .as_ref()
            .is_none_or(|r| RELATED_REPLACES.contains(&r.rule))
    };
    let mut i = 0;
    while i < slots.len() {
        let Some(slot) = slots.get_mut(i) else {
            break;
        };
        if replaceable(slot)
            && let Some(headline) = related::prefixed_headline(&slot.line.text)
        {
            push_unique(&mut doc.meta.related, headline);
            slot.removal = Some(Removal {
                rule: RELATED,
                kept_as: Some(RELATED),
            });
            slot.mark = Mark::Inline;
            i += 1;
            continue;
        }
        let Some(min_items) = related::heading_min_items(&slot.line.text) else {
            i += 1;
            continue;
        };
        // The teasers: headline-like lines right under the heading, up to the first line
        // that is not one (the article going on, a footer, another block).
        let mut items = Vec::new();
        for (j, next) in slots.iter().enumerate().skip(i + 1) {
            if items.len() == related::max_items() {
                break;
            }
            let headline = if next.removal.is_none()
                && related::heading_min_items(&next.line.text).is_none()
            {
                related::is_headline(&next.line.text).then(|| next.line.text.clone())
            } else if replaceable(next) {
                related::prefixed_headline(&next.line.text)
            } else {
                None
            };
            match headline {
                Some(headline) => items.push((j, headline)),
                None => break,
            }
        }
        // A headline-like line followed by a paragraph is the subhead of the article going on
        // after the block, not a teaser.
        if let Some(&(last, _)) = items.last()
            && slots.get(last + 1).is_some_and(|next| {
                next.removal.is_none()
                    && !related::is_headline(&next.line.text)
                    && word_count(&next.line.text) > PROSE_AFTER_BLOCK_WORDS
            })
        {
            items.pop();
        }
        if items.len() < min_items {
            i += 1;
            continue;
        }
        if let Some(heading) = slots.get_mut(i)
            && heading.removal.is_none()
        {
            heading.removal = Some(Removal {
                rule: RELATED,
                kept_as: None,
            });
            heading.mark = Mark::Inline;
        }
        let after = items.last().map_or(i + 1, |(j, _)| j + 1);
        for (j, headline) in items {
            push_unique(&mut doc.meta.related, headline);
            if let Some(item) = slots.get_mut(j) {
                item.removal = Some(Removal {
                    rule: RELATED,
                    kept_as: Some(RELATED),
                });
                item.mark = Mark::Inline;
            }
        }
        i = after;
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Lowercase words without punctuation, for comparing lines.
fn comparison_key(line: &str) -> String {
    crate::site::line_key(line)
}
