//! Dates and amounts through the stage: relative dates resolved against the publication date
//! with their resolution and character offsets, words that are not dates, and amounts written
//! in words, with hedges and scale words, normalised.

use newsmill_core::{DateResolution, Document, Stage, Tally};
use newsmill_extract::{ExtractConfig, new};

fn run(text: &str, published: Option<&str>) -> Document {
    let stage = new(ExtractConfig::default()).expect("default config is valid");
    let mut doc = Document {
        text: text.to_string(),
        published: published.map(str::to_string),
        ..Document::default()
    };
    stage
        .apply(&mut doc, &mut Tally::default())
        .expect("extract does not fail");
    doc
}

/// The mention at character offsets `start..end` of `text`.
fn chars(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

// Curly marks and "ü" before the dates: byte and character offsets differ there.
const TEXT: &str = "“Talks resumed,” the envoy said last Friday in Zürich. Earlier this week, \
                    we may have seen 2,000 or 15 of them; in May 2018 the price was 40.";

#[test]
fn last_friday_and_earlier_this_week_resolve_with_resolution_and_offsets() {
    // Published on Thursday 26 July 2018 (ISO week 30).
    let doc = run(TEXT, Some("2018-07-26"));
    let got: Vec<(String, &str, DateResolution, bool)> = doc
        .extracted
        .dates
        .iter()
        .map(|d| {
            (
                chars(&doc.text, d.start, d.end),
                d.value.as_str(),
                d.resolution,
                d.relative,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "last Friday".into(),
                "2018-07-20",
                DateResolution::Day,
                true
            ),
            (
                "Earlier this week".into(),
                "2018-W30",
                DateResolution::Week,
                true
            ),
            ("May 2018".into(), "2018-05", DateResolution::Month, false),
        ]
    );
    for d in &doc.extracted.dates {
        assert_eq!(chars(&doc.text, d.start, d.end), d.text);
    }
}

#[test]
fn relative_dates_without_a_publication_date_are_kept_unresolved() {
    let doc = run(TEXT, None);
    let relative: Vec<(&str, &str)> = doc
        .extracted
        .dates
        .iter()
        .filter(|d| d.relative)
        .map(|d| (d.text.as_str(), d.value.as_str()))
        .collect();
    assert_eq!(relative, [("last Friday", ""), ("Earlier this week", "")]);
}

#[test]
fn may_we_and_bare_numbers_are_not_dates() {
    let doc = run(TEXT, Some("2018-07-26"));
    for d in &doc.extracted.dates {
        assert!(
            !["may", "we", "2,000", "15", "40"].contains(&d.text.as_str()),
            "{d:?}"
        );
    }
    let doc = run(
        "We may agree in 15 minutes; the 2017 tanks and 1,500 of the S-300 were sold for 2018 dollars.",
        Some("2018-07-26"),
    );
    assert!(doc.extracted.dates.is_empty(), "{:?}", doc.extracted.dates);
}

/// Words, number, kind, normalised value and qualifier of an amount.
type Row<'a> = (String, f64, &'a str, Option<f64>, Option<&'a str>);

#[test]
fn amounts_in_words_and_scaled_numbers_are_normalised() {
    let text = "Officials said twenty-five troops, a dozen people and 1.5 million refugees were \
                moved some 60 miles, about three kilometres and more than 200 metres.";
    let doc = run(text, None);
    let got: Vec<Row> = doc
        .extracted
        .quantities
        .iter()
        .map(|q| {
            (
                chars(&doc.text, q.start, q.end),
                q.number,
                q.kind.as_str(),
                q.normalized,
                q.qualifier.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("twenty-five troops".into(), 25.0, "count", None, None),
            ("a dozen people".into(), 12.0, "count", None, None),
            ("1.5 million refugees".into(), 1.5e6, "count", None, None),
            (
                "some 60 miles".into(),
                60.0,
                "distance",
                Some(96.56),
                Some("some")
            ),
            (
                "about three kilometres".into(),
                3.0,
                "distance",
                Some(3.0),
                Some("about")
            ),
            (
                "more than 200 metres".into(),
                200.0,
                "distance",
                Some(0.2),
                Some("more than")
            ),
        ]
    );
}
