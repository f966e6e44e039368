//! The direct-quotation cases of textacy's test suite (Apache-2.0; see
//! `fixtures/textacy_LICENSE.txt`), run through the stage: every expected quote is found with
//! its speaker's words, and nothing else is reported as a quote.

use newsmill_core::{Document, Quote, Stage, Tally};
use newsmill_extract::{ExtractConfig, new};
use serde_json::Value;

const CASES: &str = include_str!("fixtures/textacy_direct_quotation_cases.json");

fn quotes(text: &str) -> Vec<Quote> {
    let stage = new(ExtractConfig::default()).expect("default config is valid");
    let mut doc = Document {
        text: text.to_string(),
        ..Document::default()
    };
    stage
        .apply(&mut doc, &mut Tally::default())
        .expect("extract does not fail");
    doc.extracted.quotes
}

fn cases(key: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(CASES).expect("valid fixture");
    all[key].as_array().cloned().unwrap_or_default()
}

fn words(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn speaker_words(q: &Quote) -> Vec<String> {
    q.speaker_mention
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .filter(|w| *w != "and")
        .map(str::to_string)
        .collect()
}

#[test]
fn direct_quotations_with_speaker_and_cue() {
    for case in cases("direct_quotations") {
        let text = case["text"].as_str().unwrap_or("");
        let found = quotes(text);
        let expected = case["expected"].as_array().cloned().unwrap_or_default();
        let got: Vec<(Vec<String>, String, String)> = found
            .iter()
            .map(|q| {
                let marked = text
                    .chars()
                    .skip(q.start)
                    .take(q.end - q.start)
                    .collect::<String>();
                (speaker_words(q), q.cue.clone().unwrap_or_default(), marked)
            })
            .collect();
        let want: Vec<(Vec<String>, String, String)> = expected
            .iter()
            .map(|e| {
                (
                    words(&e[0]),
                    words(&e[1]).join(" "),
                    e[2].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(got, want, "text: {text}");
    }
}

#[test]
fn speakers_in_order() {
    for case in cases("speaker_detection") {
        let text = case["text"].as_str().unwrap_or("");
        let got: Vec<String> = quotes(text)
            .iter()
            .filter(|q| !q.speaker.is_empty())
            .flat_map(speaker_words)
            .collect();
        assert_eq!(got, words(&case["speakers_only"]), "text: {text}");
    }
}
