//! Quote rules beyond textacy's cases, on sentences in the style of US political news (the
//! PolNeAR development texts): dash attributions, misprinted opening marks, parentheticals and
//! appositives between a speaker and the verb, and quoted titles.

use newsmill_core::{Document, Quote, Stage, Tally};
use newsmill_extract::{ExtractConfig, new};

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

fn mentions(text: &str) -> Vec<(String, String)> {
    quotes(text)
        .into_iter()
        .map(|q| (q.quote, q.speaker_mention.unwrap_or_default()))
        .collect()
}

#[test]
fn a_dash_and_a_name_attribute_the_quote_above() {
    let text = "“He is ignorant of our culture and our lives.” ― Pamela Padilla\n”Fear. I am truly afraid of what comes next.” ― Karen Bobadilla.";
    assert_eq!(
        mentions(text),
        [
            (
                "He is ignorant of our culture and our lives.".to_string(),
                "Pamela Padilla".to_string()
            ),
            (
                "Fear. I am truly afraid of what comes next.".to_string(),
                "Karen Bobadilla".to_string()
            ),
        ]
    );
}

#[test]
fn parentheticals_and_appositives_sit_between_speaker_and_verb() {
    let text = "“Our assumption is that the veto will be overridden,” Senate Majority Leader Mitch McConnell, R-Ky., said Tuesday. “It’s a dog whistle to all Americans,” Rep. Gwen Moore (D-Wis.) said Friday.";
    let got = mentions(text);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].1.contains("McConnell"), "{got:?}");
    assert!(got[1].1.contains("Moore"), "{got:?}");
}

#[test]
fn quoted_titles_are_not_quotes_but_a_speaker_continues() {
    let text = "The bill, known as the “Justice Against Sponsors of Terrorism Act,” passed. “The rationales don’t hold weight,” said widow Terry Strada. “All we are asking for is a day in court.”";
    let got = mentions(text);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|(_, m)| m.contains("Strada")), "{got:?}");
}
