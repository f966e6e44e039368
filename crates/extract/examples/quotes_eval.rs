//! Scores direct-quote extraction and speaker attribution on PolNeAR (brat standoff).
//!
//!     cargo run --release -p newsmill-extract --example quotes_eval -- [DIR] [--show]
//!
//! DIR defaults to `../shared/eval/polnear/dev` (it holds `text/` and `attributions/`).
//!
//! Convention: a gold quote is an attribution whose Content holds a double quotation mark
//! (" “ ” „ « »). Texts with several annotators: the gold quotes are the union over annotators;
//! a predicted quote is right when at least half of its characters (marks included) fall inside
//! any annotator's Content; a gold quote is found when some predicted quote matches it (gold
//! quotes of different annotators covering the same quote count once: overlapping Contents are
//! merged). The speaker is right when the predicted speaker's mention overlaps the Source of any
//! gold quote the prediction matches (a lenient figure also accepts a speaker whose surname is
//! printed in that Source: "she" resolved to Elizabeth Warren where "Warren" was annotated). The first line of each text is its title, which the stage
//! does not search; gold quotes inside it are left out and counted.
//!
//! `--show` prints every false positive, miss and wrong speaker.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use newsmill_core::{Document, Tally};
use newsmill_extract::{ExtractConfig, attributed_quotes, extract_document};

/// One annotated attribution: Content segments and Source segments (char offsets in the file).
#[derive(Clone, Debug, Default)]
struct GoldQuote {
    content: Vec<(usize, usize)>,
    sources: Vec<(usize, usize)>,
}

fn parse_spans(s: &str) -> Vec<(usize, usize)> {
    s.split(';')
        .filter_map(|part| {
            let mut it = part.split_whitespace();
            let a = it.next()?.parse().ok()?;
            let b = it.next()?.parse().ok()?;
            Some((a, b))
        })
        .collect()
}

fn is_double_mark(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '«' | '»')
}

/// Attributions of one `.ann` file whose Content holds a double quotation mark.
fn read_ann(path: &Path, text: &[char]) -> Vec<GoldQuote> {
    let Ok(raw) = std::fs::read_to_string(path) else {
        eprintln!("Cannot read {}.", path.display());
        return Vec::new();
    };
    let mut spans: BTreeMap<String, (String, Vec<(usize, usize)>)> = BTreeMap::new();
    let mut events = Vec::new();
    for line in raw.lines() {
        let mut cols = line.split('\t');
        let (Some(id), Some(head)) = (cols.next(), cols.next()) else {
            continue;
        };
        if id.starts_with('T') {
            let (label, offsets) = head.split_once(' ').unwrap_or((head, ""));
            spans.insert(id.to_string(), (label.to_string(), parse_spans(offsets)));
        } else if id.starts_with('E') {
            events.push(head.to_string());
        }
    }
    let mut out = Vec::new();
    for e in events {
        let mut g = GoldQuote::default();
        for arg in e.split_whitespace() {
            let Some((role, t)) = arg.split_once(':') else {
                continue;
            };
            let Some((_, segs)) = spans.get(t) else {
                continue;
            };
            match role {
                "Content" => g.content.extend(segs),
                "Source" => g.sources.extend(segs),
                _ => {}
            }
        }
        let has_mark = g.content.iter().any(|&(a, b)| {
            text.get(a..b.min(text.len()))
                .is_some_and(|s| s.iter().copied().any(is_double_mark))
        });
        if has_mark {
            out.push(g);
        }
    }
    out
}

fn overlap(a: (usize, usize), b: (usize, usize)) -> usize {
    a.1.min(b.1).saturating_sub(a.0.max(b.0))
}

fn inside_chars(span: (usize, usize), segs: &[(usize, usize)]) -> usize {
    segs.iter().map(|&s| overlap(span, s)).sum()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show = args.iter().any(|a| a == "--show");
    let dir = args.iter().find(|a| !a.starts_with("--")).map_or_else(
        || PathBuf::from("../shared/eval/polnear/dev"),
        PathBuf::from,
    );
    let text_dir = dir.join("text");
    let ann_dir = dir.join("attributions");
    let Ok(entries) = std::fs::read_dir(&text_dir) else {
        eprintln!(
            "The PolNeAR data is missing: {} does not exist. Pass the directory holding text/ and attributions/.",
            text_dir.display()
        );
        std::process::exit(2);
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".txt"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let mut anns: Vec<String> = std::fs::read_dir(&ann_dir)
        .map(|it| {
            it.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    anns.sort();

    let cfg = ExtractConfig {
        promote_headline: false,
        ..ExtractConfig::default()
    };
    let stage_cfg = cfg.clone();
    let (mut predicted, mut correct, mut gold_total, mut gold_found) = (0usize, 0, 0, 0);
    let (mut speaker_right, mut matched_attributed, mut in_title) = (0usize, 0, 0);
    let mut person_right = 0usize;
    let (mut gave_up, mut silent, mut bytes) = (0usize, 0, 0usize);
    let mut seconds = 0f64;
    for name in &names {
        let Ok(raw) = std::fs::read_to_string(text_dir.join(format!("{name}.txt"))) else {
            continue;
        };
        let chars: Vec<char> = raw.chars().collect();
        let (title, body) = raw.split_once('\n').unwrap_or((raw.as_str(), ""));
        let shift = title.chars().count() + 1;
        // The union of the annotators' quotes, merging ones that cover the same quote.
        let mut gold: Vec<Vec<GoldQuote>> = Vec::new();
        for ann in anns.iter().filter(|a| {
            a.strip_suffix(".ann")
                .and_then(|a| a.rsplit_once('_'))
                .is_some_and(|(n, _)| n == name)
        }) {
            for g in read_ann(&ann_dir.join(ann), &chars) {
                if g.content.iter().all(|&(_, b)| b <= shift) {
                    in_title += 1;
                    continue;
                }
                let len: usize = g.content.iter().map(|&(a, b)| b - a).sum();
                let same = gold.iter_mut().find(|group| {
                    group.iter().any(|h| {
                        let hl: usize = h.content.iter().map(|&(a, b)| b - a).sum();
                        let shared: usize =
                            g.content.iter().map(|&s| inside_chars(s, &h.content)).sum();
                        2 * shared >= len.min(hl)
                    })
                });
                match same {
                    Some(group) => group.push(g),
                    None => gold.push(vec![g]),
                }
            }
        }
        let mut doc = Document {
            id: name.clone(),
            title: Some(title.trim().to_string()),
            text: body.to_string(),
            ..Document::default()
        };
        bytes += doc.text.len();
        let started = Instant::now();
        let mut tally = Tally::default();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            extract_document(&stage_cfg, &mut doc, &mut tally);
            attributed_quotes(&cfg, &doc)
        }));
        seconds += started.elapsed().as_secs_f64();
        let quotes = match outcome {
            Ok(q) => q,
            Err(_) => {
                gave_up += 1;
                eprintln!("{name}: extraction panicked.");
                continue;
            }
        };
        if quotes.is_empty() && body.chars().any(is_double_mark) {
            silent += 1;
        }
        gold_total += gold.len();
        let mut found = vec![false; gold.len()];
        for q in &quotes {
            predicted += 1;
            let span = (q.quote.start + shift, q.quote.end + shift);
            let len = span.1 - span.0;
            let matches: Vec<usize> = gold
                .iter()
                .enumerate()
                .filter(|(_, group)| {
                    group
                        .iter()
                        .any(|g| 2 * inside_chars(span, &g.content) >= len)
                })
                .map(|(i, _)| i)
                .collect();
            if matches.is_empty() {
                if show {
                    println!("FP   {name}: «{}» [{}]", q.quote.quote, q.quote.speaker);
                }
                continue;
            }
            correct += 1;
            for &i in &matches {
                found[i] = true;
            }
            let speaker = q.speaker_span.map(|(a, b)| (a + shift, b + shift));
            let right = speaker.is_some_and(|s| {
                matches.iter().any(|&i| {
                    gold[i]
                        .iter()
                        .any(|g| g.sources.iter().any(|&src| overlap(s, src) > 0))
                })
            });
            matched_attributed += 1;
            // Lenient: the speaker's name (its last word) is printed in a gold Source, so the
            // right person was found even when another mention of them was annotated.
            let surname = q.quote.speaker.split_whitespace().last().unwrap_or("");
            let same_person = right
                || (surname.chars().next().is_some_and(char::is_uppercase)
                    && matches.iter().any(|&i| {
                        gold[i].iter().flat_map(|g| &g.sources).any(|&(a, b)| {
                            chars.get(a..b).is_some_and(|s| {
                                s.iter()
                                    .collect::<String>()
                                    .split(|c: char| !c.is_alphanumeric())
                                    .any(|w| w == surname)
                            })
                        })
                    }));
            if same_person {
                person_right += 1;
            }
            if right {
                speaker_right += 1;
            } else if show {
                let gold_source: Vec<String> = gold[matches[0]]
                    .iter()
                    .flat_map(|g| &g.sources)
                    .map(|&(a, b)| {
                        chars
                            .get(a..b)
                            .map_or(String::new(), |s| s.iter().collect())
                    })
                    .collect();
                let around = |a: usize, b: usize| -> String {
                    chars
                        .get(a.min(chars.len())..b.min(chars.len()))
                        .map_or(String::new(), |s| s.iter().collect())
                };
                println!(
                    "SPK  {name}: «{}» got [{}] via {:?}, gold {:?}\n     before: {}\n     after: {}",
                    short(&q.quote.quote),
                    q.quote.speaker_mention.as_deref().unwrap_or(""),
                    q.quote.cue,
                    gold_source,
                    short(&around(span.0.saturating_sub(120), span.0)),
                    short(&around(span.1, span.1 + 100)),
                );
            }
        }
        for (i, hit) in found.iter().enumerate() {
            if *hit {
                gold_found += 1;
            } else if show {
                let g = &gold[i][0];
                let t: String = g
                    .content
                    .iter()
                    .map(|&(a, b)| {
                        chars
                            .get(a..b)
                            .map_or(String::new(), |s| s.iter().collect::<String>())
                    })
                    .collect::<Vec<_>>()
                    .join(" … ");
                println!("MISS {name}: «{}»", short(&t));
            }
        }
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!("texts: {}", names.len());
    println!("gold quotes: {gold_total} (plus {in_title} in titles, not searched)");
    println!("predicted quotes: {predicted}");
    println!("precision: {:.1}", pct(correct, predicted));
    println!("recall: {:.1}", pct(gold_found, gold_total));
    println!(
        "speaker right: {:.1}% of {matched_attributed} matched quotes",
        pct(speaker_right, matched_attributed)
    );
    println!(
        "speaker right, lenient (same surname printed in the gold Source): {:.1}%",
        pct(person_right, matched_attributed)
    );
    println!("articles where extraction gave up: {gave_up}");
    println!("articles with quotation marks but no quote found: {silent}");
    println!(
        "time: {:.3} s for {:.2} MB ({:.2} MB/s, whole stage plus a second quote pass)",
        seconds,
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / seconds.max(1e-9)
    );
}

fn short(s: &str) -> String {
    let s = s.replace('\n', " ⏎ ");
    if s.chars().count() > 110 {
        let head: String = s.chars().take(110).collect();
        format!("{head}…")
    } else {
        s
    }
}
