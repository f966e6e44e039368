//! Scores the clean stage on labelled pages (JSON Lines with `input` = page text, one block per
//! line, and `target` = the human-checked article body): 4-word-shingle precision, recall and
//! F1 per document (averaged), before and after cleaning, and for every rule how many of its
//! removals were article lines (lines printed in the target).
//!
//! `cargo run --release -p newsmill-clean --example boilerplate_eval -- FILE.jsonl [--show RULE]`

use std::collections::{BTreeMap, HashSet};

use newsmill_clean::{CleanConfig, CleanStage};
use newsmill_core::{Document, Stage, Tally};

fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

fn shingles(s: &str) -> HashSet<String> {
    let w = words(s);
    if w.len() < 4 {
        return w.into_iter().collect();
    }
    w.windows(4).map(|x| x.join(" ")).collect()
}

fn prf(got: &str, want: &str) -> (f64, f64, f64) {
    let (g, w) = (shingles(got), shingles(want));
    if g.is_empty() && w.is_empty() {
        return (1.0, 1.0, 1.0);
    }
    let hit = g.intersection(&w).count() as f64;
    let p = if g.is_empty() {
        0.0
    } else {
        hit / g.len() as f64
    };
    let r = if w.is_empty() {
        0.0
    } else {
        hit / w.len() as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: boilerplate_eval FILE.jsonl [--show RULE]");
        std::process::exit(2);
    };
    let show = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(1);
    });
    let stage = CleanStage::new(CleanConfig::default()).expect("default config is valid");
    let mut before = (0.0, 0.0, 0.0);
    let mut after = (0.0, 0.0, 0.0);
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut n = 0usize;
    for record in data.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(record) else {
            continue;
        };
        let input = v["input"].as_str().unwrap_or_default();
        let target = v["target"].as_str().unwrap_or_default();
        let target_lines: Vec<String> = target
            .lines()
            .map(|l| words(l).join(" "))
            .filter(|l| !l.is_empty())
            .collect();
        let trimmed = input.trim_start();
        let (title, text) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
        let mut doc = Document {
            id: v["id"].as_str().unwrap_or_default().into(),
            title: Some(title.into()),
            text: text.into(),
            ..Document::default()
        };
        stage
            .apply(&mut doc, &mut Tally::default())
            .expect("clean does not fail");
        let b = prf(text, target);
        let a = prf(&doc.text, target);
        before = (before.0 + b.0, before.1 + b.1, before.2 + b.2);
        after = (after.0 + a.0, after.1 + a.1, after.2 + a.2);
        n += 1;
        for r in &doc.removed {
            let key = words(&r.text).join(" ");
            // A repeat is wrong only if the target prints the line more often than the output.
            let wrong = if r.rule == "repeat-in-article" {
                let in_target = target_lines.iter().filter(|l| **l == key).count();
                let in_output = doc
                    .text
                    .lines()
                    .filter(|l| words(l).join(" ") == key)
                    .count();
                in_output < in_target
            } else {
                target_lines.contains(&key)
            };
            let entry = per_rule.entry(r.rule.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(wrong);
            if show.as_deref() == Some(r.rule.as_str()) {
                println!(
                    "{} {} | {}",
                    if wrong { "ARTICLE" } else { "ok     " },
                    doc.id,
                    r.text.chars().take(120).collect::<String>()
                );
            }
        }
    }
    let n = n.max(1) as f64;
    println!("documents: {n}");
    println!(
        "no cleaning: P {:.3} R {:.3} F1 {:.3}",
        before.0 / n,
        before.1 / n,
        before.2 / n
    );
    println!(
        "clean:       P {:.3} R {:.3} F1 {:.3}",
        after.0 / n,
        after.1 / n,
        after.2 / n
    );
    println!("rule: removed / of which article lines (precision)");
    for (rule, (removed, wrong)) in per_rule {
        println!(
            "  {rule}: {removed} / {wrong} ({:.3})",
            1.0 - wrong as f64 / removed.max(1) as f64
        );
    }
}
