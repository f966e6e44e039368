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

/// Quote, canonical speaker, mention as printed and cue of every quote found.
fn attributed(text: &str) -> Vec<(String, String, String, String)> {
    quotes(text)
        .into_iter()
        .map(|q| {
            (
                q.quote,
                q.speaker,
                q.speaker_mention.unwrap_or_default(),
                q.cue.unwrap_or_default(),
            )
        })
        .collect()
}

fn row(quote: &str, speaker: &str, mention: &str, cue: &str) -> (String, String, String, String) {
    (quote.into(), speaker.into(), mention.into(), cue.into())
}

#[test]
fn straight_and_curly_marks_with_every_clause_form() {
    let text = "The minister spoke to reporters in Paris on Monday.\n\
        \"We will not accept this deal under any circumstances,\" Maria Lopez said.\n\
        \"The talks will continue next month in Geneva,\" said Peter Hahn.\n\
        “Nobody in this government wants another war in the region,” Lopez told CNN.\n\
        According to Hahn, “the ceasefire has been broken at least a dozen times since March.”";
    assert_eq!(
        attributed(text),
        [
            row(
                "We will not accept this deal under any circumstances,",
                "Maria Lopez",
                "Maria Lopez",
                "said"
            ),
            row(
                "The talks will continue next month in Geneva,",
                "Peter Hahn",
                "Peter Hahn",
                "said"
            ),
            row(
                "Nobody in this government wants another war in the region,",
                "Maria Lopez",
                "Lopez",
                "told"
            ),
            row(
                "the ceasefire has been broken at least a dozen times since March.",
                "Peter Hahn",
                "Hahn",
                "according to"
            ),
        ]
    );
}

#[test]
fn speakers_named_in_the_sentence_before_and_pronouns_resolve() {
    let text = "Maria Lopez and Peter Hahn met on Monday.\n\
        Lopez spoke after the meeting. “Our patience is running out with every passing day.”\n\
        Hahn met the press on Tuesday. He said: “There is still a chance to save the agreement.”";
    assert_eq!(
        attributed(text),
        [
            row(
                "Our patience is running out with every passing day.",
                "Maria Lopez",
                "Lopez",
                "spoke"
            ),
            row(
                "There is still a chance to save the agreement.",
                "Peter Hahn",
                "He",
                "said"
            ),
        ]
    );
}

#[test]
fn a_nested_quote_stays_inside_the_outer_one() {
    let text =
        "“The plan was called ‘a betrayal of our voters’ by the opposition,” Peter Hahn said.";
    assert_eq!(
        attributed(text),
        [row(
            "The plan was called ‘a betrayal of our voters’ by the opposition,",
            "Peter Hahn",
            "Peter Hahn",
            "said"
        )]
    );
}

#[test]
fn a_quote_over_several_paragraphs_is_one_quote_and_unattributable_ones_are_kept() {
    let text = "“Enough is enough, we cannot wait any longer for them.”\n\n\
        Crowds gathered in the square on Sunday morning.\n\n\
        Protest leader Anna Berg said the march would go on. “We have walked for three days and we will walk for three more.\n\n\
        “Nobody will stop us before we reach the capital and deliver our letter.”";
    assert_eq!(
        attributed(text),
        [
            // Nobody is named before it: exported with an empty speaker, not dropped.
            row(
                "Enough is enough, we cannot wait any longer for them.",
                "",
                "",
                ""
            ),
            // An opening mark on each paragraph, a closing one only at the end.
            row(
                "We have walked for three days and we will walk for three more.\n\n“Nobody will stop us before we reach the capital and deliver our letter.",
                "Anna Berg",
                "Anna Berg",
                "said"
            ),
        ]
    );
}

#[test]
fn unbalanced_marks_never_abort_the_article() {
    // A stray opening mark, a closing mark with no opening one and a lone straight mark: the
    // quotes after them are still found and attributed.
    let text = "Police said 40 people were arrested. “This stray mark opens and never closes.\n\
        The rally ended” at noon, and a \" lone mark followed.\n\
        “We will be back next week with twice as many people,” Anna Berg said.";
    let got = attributed(text);
    assert!(
        got.contains(&row(
            "We will be back next week with twice as many people,",
            "Anna Berg",
            "Anna Berg",
            "said"
        )),
        "{got:?}"
    );
}

#[test]
fn a_pronoun_resolves_to_the_last_person_who_fits_it() {
    // The last person named before "He" is a woman: the pronoun goes to the man before her.
    let text = "Peter Hahn met Maria Lopez on Tuesday. He said: “There is still a chance to save the agreement.”\n\
        Lopez listened. She said: “We have heard this many times before, and nothing changed.”";
    let speakers: Vec<(String, String)> = attributed(text)
        .into_iter()
        .map(|(_, speaker, mention, _)| (speaker, mention))
        .collect();
    assert_eq!(
        speakers,
        [
            ("Peter Hahn".to_string(), "He".to_string()),
            ("Maria Lopez".to_string(), "She".to_string())
        ]
    );
}
