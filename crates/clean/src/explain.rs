//! `explain`: one article with every line of its input marked kept or removed, and why.
//!
//! `RemovedLine::line` numbers refer to the text as the clean stage received it, and the kept
//! text no longer says where its lines came from (hard-wrapped lines are re-joined, blank
//! lines collapsed). So the input text is needed to interleave exactly: every input line is
//! printed once, marked by what happened to it.

use std::collections::BTreeMap;
use std::fmt::Write;

use newsmill_core::{Document, RemovedLine};

use crate::normalize::raw_lines;

/// Prints `cleaned` (a document after the clean stage) line by line against `input_text` (its
/// text as the stage received it):
///
/// ```text
///   a kept line
/// - [phrase:paywall] a removed line
/// > [caption → caption] a line moved to metadata
///   ✂ [credit → credit] the part cut off the line above
/// ```
///
/// The header gives the id, the title (and the removed title, if any) and the metadata.
pub fn explain(cleaned: &Document, input_text: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}", cleaned.id);
    if let Some(title) = &cleaned.title {
        let _ = writeln!(out, "title: {title}");
    }
    let mut by_line: BTreeMap<usize, Vec<&RemovedLine>> = BTreeMap::new();
    for r in &cleaned.removed {
        by_line.entry(r.line).or_default().push(r);
    }
    for r in by_line.get(&0).into_iter().flatten() {
        let _ = writeln!(out, "title removed: {} [{}]", r.text, r.rule);
    }
    let meta = &cleaned.meta;
    let lists = [
        ("byline", meta.byline.iter().cloned().collect::<Vec<_>>()),
        ("contributors", meta.contributors.clone()),
        ("credits", meta.credits.clone()),
        ("captions", meta.captions.clone()),
        ("related", meta.related.clone()),
    ];
    for (name, values) in lists {
        if !values.is_empty() {
            let _ = writeln!(out, "{name}: {}", values.join(" | "));
        }
    }
    out.push('\n');
    for (index, raw) in raw_lines(input_text).enumerate() {
        let line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            continue;
        }
        let removals = by_line.get(&(index + 1)).map(Vec::as_slice).unwrap_or(&[]);
        // A removal recording the whole line replaces it; others (a cut credit) are parts.
        let whole = removals.iter().find(|r| {
            r.rule != "credit"
                || r.text.split_whitespace().count() >= line.split_whitespace().count()
        });
        match whole {
            Some(r) => {
                let sign = if r.kept_as.is_some() { '>' } else { '-' };
                let _ = writeln!(out, "{sign} [{}] {line}", label(r));
            }
            None => {
                let _ = writeln!(out, "  {line}");
            }
        }
        for part in removals
            .iter()
            .filter(|r| whole.is_none_or(|w| !std::ptr::eq(*w, **r)))
        {
            let _ = writeln!(out, "  ✂ [{}] {}", label(part), part.text);
        }
    }
    out
}

fn label(r: &RemovedLine) -> String {
    match &r.kept_as {
        Some(kept) => format!("{} → {kept}", r.rule),
        None => r.rule.clone(),
    }
}
