//! Measures the clean stage, run the way the driver runs it (the site-repetition round over the
//! whole corpus first, then every document), on two data sets kept outside the repository:
//!
//! * labelled web pages (JSON Lines: `input` = the page as text, `target` = the human-checked
//!   article, `without` = snippets that must not survive, `site`, `url`): 4-word-shingle
//!   precision/recall/F1 per document averaged over documents, word-bag F1, the share of
//!   `without` snippets that leak, and for every rule how many of its removals were article
//!   lines (lines moved to metadata are not counted, except related-story headlines: they
//!   leave the text all the same, so `related` is the precision of that path);
//! * a directory of already-clean `.txt` articles (first line = title; the directory is the
//!   site): the share of sentences and lines kept, and throughput on one core.
//!
//! ```sh
//! cargo run --release -p newsmill-clean --example clean_eval -- \
//!     [--dev ../shared/eval/boilerplate/dev.jsonl] [--clean ../shared/corpora/bbc] [--show RULE] [--dump FILE] \
//!     [--disable RULE,RULE...]
//! ```
//!
//! `--disable` switches rules off as the config key `disable` does, to measure what each one
//! brings.
//!
//! A snippet leaks when its words (lowercase, punctuation dropped) appear in the output: as a
//! run of words for snippets of three words or more, as a whole line for shorter ones ("Home").

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use newsmill_clean::{CleanConfig, CleanStage, DECISION_FILE, OBSERVER_FILE};
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

fn shingles(w: &[String]) -> HashSet<String> {
    if w.len() < 4 {
        return w.iter().cloned().collect();
    }
    w.windows(4).map(|x| x.join(" ")).collect()
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Shingle precision, recall, F1 and word-bag F1 of `got` against `want`.
fn score(got: &str, want: &str) -> [f64; 4] {
    let (gw, ww) = (words(got), words(want));
    let (g, w) = (shingles(&gw), shingles(&ww));
    let (p, r) = if g.is_empty() && w.is_empty() {
        (1.0, 1.0)
    } else {
        let hit = g.intersection(&w).count() as f64;
        (
            if g.is_empty() {
                0.0
            } else {
                hit / g.len() as f64
            },
            if w.is_empty() {
                0.0
            } else {
                hit / w.len() as f64
            },
        )
    };
    let mut bag: HashMap<&str, (usize, usize)> = HashMap::new();
    for x in &gw {
        bag.entry(x).or_default().0 += 1;
    }
    for x in &ww {
        bag.entry(x).or_default().1 += 1;
    }
    let common: usize = bag.values().map(|(a, b)| (*a).min(*b)).sum();
    let wp = common as f64 / gw.len().max(1) as f64;
    let wr = common as f64 / ww.len().max(1) as f64;
    let word_f1 = if gw.is_empty() && ww.is_empty() {
        1.0
    } else {
        f1(wp, wr)
    };
    [p, r, f1(p, r), word_f1]
}

fn leaks(snippet: &str, output_lines: &HashSet<String>, output: &str) -> bool {
    let key = words(snippet).join(" ");
    if key.is_empty() {
        return false;
    }
    if key.split(' ').count() < 3 {
        return output_lines.contains(&key);
    }
    format!(" {output} ").contains(&format!(" {key} "))
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn split_title(page: &str) -> (String, String) {
    let trimmed = page.trim_start();
    let (title, text) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
    (title.trim().to_string(), text.to_string())
}

fn dev_set(path: &Path, show: Option<&str>, dump: Option<&str>, config: &CleanConfig) {
    let data = match std::fs::read_to_string(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "The labelled pages are missing ({}: {e}); skipped the web-page figures.",
                path.display()
            );
            return;
        }
    };
    let records: Vec<serde_json::Value> = data
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut docs: Vec<Document> = records
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (title, text) = split_title(v["input"].as_str().unwrap_or_default());
            Document {
                seq: i as u64,
                id: v["id"].as_str().unwrap_or_default().into(),
                url: v["url"].as_str().map(str::to_string),
                site: v["site"].as_str().map(str::to_string),
                title: Some(title),
                text,
                ..Document::default()
            }
        })
        .collect();
    let inputs: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();
    let mut stage = match CleanStage::new(config.clone()) {
        Ok(stage) => stage,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let observed = stage.observe_corpus(&docs).expect("observing never fails");
    print_state_sizes("labelled pages", &stage, &docs);
    let mut tally = Tally::default();
    for doc in &mut docs {
        stage.apply(doc, &mut tally).expect("clean does not fail");
    }
    if let Some(dump) = dump {
        let lines: Vec<String> = docs
            .iter()
            .map(|d| serde_json::to_string(d).unwrap_or_default())
            .collect();
        if let Err(e) = std::fs::write(dump, lines.join("\n")) {
            eprintln!("Could not write {dump}: {e}");
        }
    }
    let (mut before, mut after) = ([0.0; 4], [0.0; 4]);
    let (mut snippets, mut leaked_before, mut leaked_after) = (0usize, 0usize, 0usize);
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for ((v, doc), input) in records.iter().zip(&docs).zip(&inputs) {
        let target = v["target"].as_str().unwrap_or_default();
        let (b, a) = (score(input, target), score(&doc.text, target));
        for k in 0..4 {
            before[k] += b[k];
            after[k] += a[k];
        }
        let line_keys =
            |t: &str| -> HashSet<String> { t.lines().map(|l| words(l).join(" ")).collect() };
        let (in_lines, out_lines) = (line_keys(input), line_keys(&doc.text));
        let (in_all, out_all) = (words(input).join(" "), words(&doc.text).join(" "));
        for s in v["without"].as_array().into_iter().flatten() {
            let s = s.as_str().unwrap_or_default();
            snippets += 1;
            leaked_before += usize::from(leaks(s, &in_lines, &in_all));
            leaked_after += usize::from(leaks(s, &out_lines, &out_all));
        }
        let target_lines: HashSet<String> = line_keys(target);
        for r in &doc.removed {
            let key = words(&r.text).join(" ");
            // Lines moved to metadata are not lost, except related-story headlines: they
            // leave the text, so their precision is measured like any removal's.
            let wrong = r.rule != "repeat-in-article"
                && (r.kept_as.is_none() || r.rule == "related")
                && !key.is_empty()
                && target_lines.contains(&key);
            let entry = per_rule.entry(r.rule.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(wrong);
            if show == Some(r.rule.as_str()) {
                println!(
                    "{} {} | {}",
                    if wrong { "ARTICLE" } else { "ok     " },
                    doc.id,
                    r.text.chars().take(120).collect::<String>()
                );
            }
        }
    }
    let n = records.len().max(1) as f64;
    println!("labelled pages: {} ({})", records.len(), path.display());
    println!(
        "  site round: {} sites, {} lines marked as site boilerplate",
        observed.0.get("sites").unwrap_or(&0),
        observed.0.get("site-repeat-lines").unwrap_or(&0)
    );
    for (name, s, leaked) in [
        ("no cleaning", before, leaked_before),
        ("clean      ", after, leaked_after),
    ] {
        println!(
            "  {name}: shingle P {:.3} R {:.3} F1 {:.3} | word F1 {:.3} | leak {:.3} ({leaked}/{snippets})",
            s[0] / n,
            s[1] / n,
            s[2] / n,
            s[3] / n,
            leaked as f64 / snippets.max(1) as f64,
        );
    }
    println!("  rule: removed / of which article lines (precision)");
    for (rule, (removed, wrong)) in per_rule {
        println!(
            "    {rule}: {removed} / {wrong} ({:.3})",
            1.0 - wrong as f64 / removed.max(1) as f64
        );
    }
}

/// Seconds this thread has spent on a CPU (Linux), so that throughput does not depend on how
/// busy the machine is; `None` elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "txt") {
            out.push(path);
        }
    }
    Ok(())
}

/// Fragments of three words or more between sentence stops.
fn sentences(text: &str) -> usize {
    text.split(['.', '!', '?'])
        .filter(|s| s.split_whitespace().count() >= 3)
        .count()
}

fn clean_corpus(dir: &Path, show: Option<&str>, config: &CleanConfig) {
    let mut paths = Vec::new();
    if let Err(e) = collect(dir, &mut paths) {
        eprintln!(
            "The clean corpus is missing ({}: {e}); skipped the clean-text figures.",
            dir.display()
        );
        return;
    }
    paths.sort();
    let mut docs: Vec<Document> = paths
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let bytes = std::fs::read(p).ok()?;
            let (title, text) = split_title(&String::from_utf8_lossy(&bytes));
            let source = p.strip_prefix(dir).unwrap_or(p).display().to_string();
            Some(Document {
                seq: i as u64,
                id: source.clone(),
                source,
                title: Some(title),
                text,
                ..Document::default()
            })
        })
        .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let sentences_in: usize = docs.iter().map(|d| sentences(&d.text)).sum();
    let mut stage = match CleanStage::new(config.clone()) {
        Ok(stage) => stage,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    stage.observe_corpus(&docs).expect("observing never fails");
    let observe_seconds = started.elapsed().as_secs_f64();
    print_state_sizes("clean articles", &stage, &docs);
    // Five timed passes over fresh copies; the median resists a busy machine.
    let originals = docs.clone();
    let mut runs: Vec<(f64, Option<f64>)> = Vec::new();
    let mut tally = Tally::default();
    for _ in 0..5 {
        docs = originals.clone();
        tally = Tally::default();
        let started = Instant::now();
        let cpu_started = thread_cpu_seconds();
        for doc in &mut docs {
            stage.apply(doc, &mut tally).expect("clean does not fail");
        }
        let cpu = cpu_started
            .zip(thread_cpu_seconds())
            .map(|(a, b)| b - a)
            .filter(|s| *s > 0.0);
        runs.push((started.elapsed().as_secs_f64(), cpu));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let seconds = median(runs.iter().map(|r| r.0).collect()).unwrap_or(f64::NAN);
    let cpu_seconds = median(runs.iter().filter_map(|r| r.1).collect());
    // Lines moved to metadata (bylines, captions, credits, a promoted title) are not lost.
    let lost = |r: &&newsmill_core::RemovedLine| r.line > 0 && r.kept_as.is_none();
    let sentences_removed: usize = docs
        .iter()
        .flat_map(|d| d.removed.iter())
        .filter(lost)
        .map(|r| sentences(&r.text))
        .sum();
    let moved: usize = docs
        .iter()
        .flat_map(|d| d.removed.iter())
        .filter(|r| r.line > 0 && r.kept_as.is_some())
        .map(|r| sentences(&r.text))
        .sum();
    let lines_in = tally.0.get("lines-in").copied().unwrap_or(0);
    let lines_kept = tally.0.get("lines-kept").copied().unwrap_or(0);
    println!("clean articles: {} ({})", docs.len(), dir.display());
    println!(
        "  sentences kept {:.4} ({} of {sentences_in} removed; {moved} moved to metadata) | lines kept {:.4}",
        1.0 - sentences_removed as f64 / sentences_in.max(1) as f64,
        sentences_removed,
        lines_kept as f64 / lines_in.max(1) as f64
    );
    println!(
        "  apply (median of 5): {:.1} MB/s on one core ({bytes} bytes in {seconds:.3} s wall){}; observe: {:.1} MB/s",
        bytes as f64 / 1e6 / seconds,
        cpu_seconds
            .map(|c| format!(", {:.1} MB/s per CPU second", bytes as f64 / 1e6 / c))
            .unwrap_or_default(),
        bytes as f64 / 1e6 / observe_seconds
    );
    for doc in &docs {
        for r in doc.removed.iter().filter(|r| show == Some(r.rule.as_str())) {
            println!(
                "  {} | line {} | {}",
                doc.id,
                r.line,
                r.text.chars().take(140).collect::<String>()
            );
        }
    }
    for (key, n) in tally.0.iter().filter(|(k, _)| k.starts_with("removed:")) {
        println!("    {key}: {n}");
    }
}

/// The size of what a sharded run saves for this corpus: the observer of all its documents
/// (what one shard holding them all would save) and the decision `stage` made.
fn print_state_sizes(corpus: &str, stage: &CleanStage, docs: &[Document]) {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("Could not make a temporary directory: {e}");
            return;
        }
    };
    let mut observer = stage.new_observer(0);
    docs.iter().for_each(|d| observer.observe(d));
    let started = Instant::now();
    let saved = observer
        .save(dir.path())
        .and_then(|()| stage.save_decision(0, dir.path()));
    let save_seconds = started.elapsed().as_secs_f64();
    if let Err(e) = saved {
        eprintln!("Could not save the states: {e}");
        return;
    }
    let started = Instant::now();
    if let Err(e) = stage.load_observer(0, dir.path()) {
        eprintln!("Could not load the observer: {e}");
        return;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let size = |name: &str| {
        std::fs::metadata(dir.path().join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let (observer, decision) = (size(OBSERVER_FILE), size(DECISION_FILE));
    let per_doc = |bytes: u64| bytes as f64 / docs.len().max(1) as f64;
    println!(
        "{corpus}: sharded-run state for {} documents: observer {observer} bytes ({:.0} B/doc), decision {decision} bytes ({:.1} B/doc); saving {:.0} ns/doc, loading the observer {:.0} ns/doc",
        docs.len(),
        per_doc(observer),
        per_doc(decision),
        save_seconds * 1e9 / docs.len().max(1) as f64,
        load_seconds * 1e9 / docs.len().max(1) as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dev = arg(&args, "--dev").unwrap_or_else(|| "../shared/eval/boilerplate/dev.jsonl".into());
    let clean = arg(&args, "--clean").unwrap_or_else(|| "../shared/corpora/bbc".into());
    let show = arg(&args, "--show");
    // `--dump FILE`: the cleaned documents as JSON Lines, for a closer look.
    let dump = arg(&args, "--dump");
    let config = CleanConfig {
        disable: arg(&args, "--disable")
            .map(|list| list.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        ..CleanConfig::default()
    };
    dev_set(Path::new(&dev), show.as_deref(), dump.as_deref(), &config);
    clean_corpus(Path::new(&clean), show.as_deref(), &config);
}
