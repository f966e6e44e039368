//! Behaviour of the stage on the seed articles shipped in `samples/`.

use newsmill_core::{DateResolution, Document, EntityKind, Stage, Tally};
use newsmill_extract::{ExtractConfig, new};

const SEEDS: [&str; 5] = [
    include_str!("../../../samples/000_d3f30cc8e01184eb.txt"),
    include_str!("../../../samples/001_e6fc3a51efc8f4de.txt"),
    include_str!("../../../samples/002_438689cf3929fe33.txt"),
    include_str!("../../../samples/003_3ccf4f1fb7630145.txt"),
    include_str!("../../../samples/004_66e42796693d4503.txt"),
];

/// A document as a reader makes it: first non-empty line is the title, the rest the text.
fn seed(i: usize) -> Document {
    let raw = SEEDS[i].trim_start();
    let (title, text) = raw.split_once('\n').unwrap_or((raw, ""));
    Document {
        id: format!("seed-{i}"),
        title: Some(title.trim().to_string()),
        text: text.to_string(),
        ..Document::default()
    }
}

fn run(mut doc: Document) -> Document {
    let stage = new(ExtractConfig::default()).expect("default config is valid");
    let mut tally = Tally::default();
    stage
        .apply(&mut doc, &mut tally)
        .expect("extract does not fail");
    doc
}

fn quotes_by<'a>(doc: &'a Document, speaker: &str) -> Vec<&'a str> {
    doc.extracted
        .quotes
        .iter()
        .filter(|q| q.speaker == speaker)
        .map(|q| q.quote.as_str())
        .collect()
}

#[test]
fn byline_from_metadata_and_from_text() {
    // As the clean stage leaves it: the byline line moved into meta.byline.
    let mut doc = seed(1);
    let byline = "By Batya Jerenberg, World Israel News";
    doc.text = doc.text.replacen(&format!("{byline}\n"), "", 1);
    doc.meta.byline = Some(byline.to_string());
    let doc = run(doc);
    assert_eq!(doc.meta.authors, ["Batya Jerenberg"]);
    assert_eq!(doc.meta.outlet.as_deref(), Some("World Israel News"));

    // Without clean: found in the text's first lines and left there.
    let before = seed(1).text;
    let doc = run(seed(1));
    assert_eq!(doc.meta.byline.as_deref(), Some(byline));
    assert_eq!(doc.meta.authors, ["Batya Jerenberg"]);
    assert_eq!(doc.meta.outlet.as_deref(), Some("World Israel News"));
    assert_eq!(doc.text, before);
}

#[test]
fn dateline_of_seed_004() {
    let doc = run(seed(4));
    let d = doc.meta.dateline.expect("dateline");
    assert_eq!(d.place, "JERUSALEM");
    assert_eq!(d.agency.as_deref(), Some("JTA"));
    assert_eq!(d.text, "JERUSALEM (JTA) —");
}

#[test]
fn kicker_title_is_replaced_by_the_headline() {
    let doc = run(seed(0));
    assert_eq!(
        doc.title.as_deref(),
        Some("Israel’s security ‘top priority,’ says Russian Foreign Ministry")
    );
    assert!(doc.text.starts_with("In interview with CNN"));
    assert_eq!(doc.removed.len(), 1);
    // A real headline is left alone.
    assert_eq!(run(seed(3)).title, seed(3).title);
}

#[test]
fn ryabkov_quotes_in_seeds_000_and_002() {
    let doc = run(seed(0));
    let q = quotes_by(&doc, "Sergei Ryabkov");
    assert!(
        q.iter()
            .any(|q| q.starts_with("We in no way underestimate")),
        "{q:?}"
    );
    assert!(
        q.iter().any(|q| q.starts_with("I wouldn’t use this type")),
        "{q:?}"
    );
    // "He noted that Moscow “acted …”": the pronoun resolves to Ryabkov.
    assert!(q.iter().any(|q| q.starts_with("acted last year")), "{q:?}");
    let noted = doc
        .extracted
        .quotes
        .iter()
        .find(|q| q.quote.starts_with("acted"))
        .expect("quote");
    assert_eq!(noted.speaker_mention.as_deref(), Some("He"));
    assert_eq!(
        noted.speaker_title.as_deref(),
        Some("Deputy Foreign Minister")
    );

    let doc = run(seed(2));
    let q = quotes_by(&doc, "Sergei Ryabkov");
    // "… The Times of Israel quoted him as having said."
    assert!(
        q.iter().any(|q| q.starts_with("The Israelis know this")),
        "{q:?}"
    );
    assert!(
        q.iter().any(|q| q.starts_with("I wouldn't use this type")),
        "{q:?}"
    );
    assert!(q.iter().any(|q| q.starts_with("We in no way")), "{q:?}");
}

#[test]
fn dzhagaryan_and_falahatpisheh_quotes_in_seed_002() {
    let doc = run(seed(2));
    let d = quotes_by(&doc, "Levan Dzhagaryan");
    assert!(
        d.iter()
            .any(|q| q.starts_with("the weakening of the Iran-Russia alliance")),
        "{d:?}"
    );
    let f = quotes_by(&doc, "Heshmatollah Falahatpisheh");
    assert!(
        f.iter()
            .any(|q| q.starts_with("It appears there is some sort")),
        "{f:?}"
    );
    let e = doc
        .extracted
        .entities
        .iter()
        .find(|e| e.canonical == "Levan Dzhagaryan")
        .expect("entity");
    assert_eq!(e.titles, ["Russia's ambassador to Tehran"]);
}

#[test]
fn lavrov_and_netanyahu_quotes_in_seed_003() {
    let doc = run(seed(3));
    let l = quotes_by(&doc, "Sergei Lavrov");
    assert!(
        l.iter()
            .any(|q| q.starts_with("If you look at who is the greatest danger")),
        "{l:?}"
    );
    assert!(l.contains(&"legitimate"), "{l:?}");
    let n = quotes_by(&doc, "Benjamin Netanyahu");
    assert!(
        n.iter().any(|q| q.starts_with("Iran knows very well")),
        "{n:?}"
    );
    assert!(
        n.iter().any(|q| q.starts_with("informed our friends")),
        "{n:?}"
    );
}

/// The speaker, mention and cue of the quote starting with `words`.
fn attribution<'a>(doc: &'a Document, words: &str) -> (&'a str, &'a str, &'a str) {
    let q = doc
        .extracted
        .quotes
        .iter()
        .find(|q| q.quote.starts_with(words))
        .unwrap_or_else(|| panic!("no quote {words:?} in {:?}", doc.extracted.quotes));
    (
        q.speaker.as_str(),
        q.speaker_mention.as_deref().unwrap_or(""),
        q.cue.as_deref().unwrap_or(""),
    )
}

#[test]
fn clause_forms_of_the_seeds() {
    let doc = run(seed(0));
    // "“…,” Sergei Ryabkov told CNN."
    assert_eq!(
        attribution(&doc, "We in no way underestimate"),
        ("Sergei Ryabkov", "Sergei Ryabkov", "told")
    );
    // "According to Ryabkov, Russia had been prepared “to go even further” …"
    assert_eq!(
        attribution(&doc, "to go even further"),
        ("Sergei Ryabkov", "Ryabkov", "according to")
    );
    // "“…,” said the official, according to Haaretz."
    let doc = run(seed(4));
    assert_eq!(
        attribution(&doc, "Russia has a certain ability"),
        ("the official", "the official", "said")
    );
}

#[test]
fn a_quote_nobody_is_named_for_is_kept_with_an_empty_speaker() {
    // "Israel is concerned that Iran will stockpile “hundreds and thousands of missiles” …"
    let doc = run(seed(4));
    assert_eq!(
        attribution(&doc, "hundreds and thousands of missiles"),
        ("", "", "")
    );
}

#[test]
fn nationality_adjectives_link_to_their_country() {
    let doc = run(seed(0));
    let canonical = |name: &str| {
        doc.extracted
            .entities
            .iter()
            .find(|e| e.name == name)
            .map(|e| (e.kind, e.canonical.as_str()))
    };
    assert_eq!(canonical("Russian"), Some((EntityKind::MISC, "Russia")));
    assert_eq!(canonical("Israeli"), Some((EntityKind::MISC, "Israel")));
    assert_eq!(canonical("Iranians"), Some((EntityKind::MISC, "Iran")));
    // The country itself, as a place, has the same canonical name.
    assert_eq!(canonical("Russia"), Some((EntityKind::LOC, "Russia")));
}

#[test]
fn nominal_speakers_are_kept_as_printed() {
    let doc = run(seed(4));
    let q = quotes_by(&doc, "the official");
    assert!(
        q.iter().any(|q| q.starts_with("Iran wants to turn Syria")),
        "{q:?}"
    );
}

#[test]
fn quantities_and_dates() {
    let doc = run(seed(4));
    let q = doc
        .extracted
        .quantities
        .iter()
        .find(|q| q.text == "some 60 miles")
        .expect("some 60 miles");
    assert_eq!(q.qualifier.as_deref(), Some("some"));
    assert_eq!(
        (q.number, q.unit.as_str(), q.kind.as_str()),
        (60.0, "mile", "distance")
    );
    assert_eq!(q.normalized, Some(96.56));
    assert_eq!(q.normalized_unit.as_deref(), Some("km"));

    let doc = run(seed(2));
    assert!(
        doc.extracted
            .quantities
            .iter()
            .any(|q| q.text == "85 kilometers" && q.normalized == Some(85.0))
    );
    // The S-300 is a weapon system, not an amount or a date.
    for q in &doc.extracted.quantities {
        assert!(!q.text.contains("300") && !q.text.contains("200"), "{q:?}");
    }
    for d in &doc.extracted.dates {
        assert!(!d.text.contains("300"), "{d:?}");
    }
    let y = doc
        .extracted
        .dates
        .iter()
        .find(|d| d.text == "2017")
        .expect("2017");
    assert_eq!(
        (y.value.as_str(), y.resolution),
        ("2017", DateResolution::Year)
    );

    let doc = run(seed(0));
    let d = doc
        .extracted
        .dates
        .iter()
        .find(|d| d.text == "May 9, 2018")
        .expect("May 9, 2018");
    assert_eq!(
        (d.value.as_str(), d.resolution, d.relative),
        ("2018-05-09", DateResolution::Day, false)
    );
    // Without a publication date, "on Friday" is exported but not guessed.
    let f = doc
        .extracted
        .dates
        .iter()
        .find(|d| d.text == "Friday")
        .expect("Friday");
    assert!(f.relative && f.value.is_empty());
}

#[test]
fn relative_dates_resolve_against_the_publication_date() {
    let mut doc = seed(1);
    doc.published = Some("2019-01-30T08:00:00Z".to_string());
    let doc = run(doc);
    let value = |t: &str| {
        doc.extracted
            .dates
            .iter()
            .find(|d| d.text == t)
            .map(|d| d.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(value("last Wednesday"), "2019-01-23");
    assert_eq!(value("last September"), "2018-09");
    assert_eq!(value("three weeks ago"), "2019-01-09");
    assert_eq!(value("December"), "2018-12");
}

#[test]
fn titles_and_canonical_names() {
    let doc = run(seed(0));
    let r = doc
        .extracted
        .entities
        .iter()
        .find(|e| e.canonical == "Sergei Ryabkov")
        .expect("Ryabkov");
    assert_eq!(r.kind, EntityKind::PER);
    assert!(
        r.titles.contains(&"Deputy Foreign Minister".to_string()),
        "{:?}",
        r.titles
    );

    // "Sergey Lavrov" (004) and "Sergei Lavrov" (003) share one canonical name.
    let canon = |doc: &Document, name: &str| {
        doc.extracted
            .entities
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.canonical.clone())
    };
    let c3 = canon(&run(seed(3)), "Sergei Lavrov").expect("Sergei Lavrov");
    let c4 = canon(&run(seed(4)), "Sergey Lavrov").expect("Sergey Lavrov");
    assert_eq!(c3, c4);

    // Every "Netanyahu" is grouped under "Benjamin Netanyahu".
    let doc = run(seed(3));
    let bn: Vec<_> = doc
        .extracted
        .entities
        .iter()
        .filter(|e| e.name.contains("Netanyahu"))
        .collect();
    assert_eq!(bn.len(), 1);
    assert_eq!(bn[0].name, "Benjamin Netanyahu");
    let idx = doc
        .extracted
        .entities
        .iter()
        .position(|e| e.name == "Benjamin Netanyahu")
        .expect("entity");
    assert!(
        doc.extracted
            .mentions
            .iter()
            .any(|m| m.text == "Netanyahu" && m.entity == idx)
    );
    assert_eq!(
        bn[0].mentions,
        doc.extracted
            .mentions
            .iter()
            .filter(|m| m.entity == idx)
            .count()
    );
}

#[test]
fn a_name_before_an_organisation_head_noun_is_an_organisation() {
    // "Meanwhile, Foreign Policy magazine reported …": the title word "Foreign" and the common
    // noun "Policy" make no person; the magazine is the organisation.
    let doc = run(seed(0));
    let fp = doc
        .extracted
        .entities
        .iter()
        .find(|e| e.name == "Foreign Policy")
        .unwrap_or_else(|| panic!("{:?}", doc.extracted.entities));
    assert_eq!(fp.kind, EntityKind::ORG);
    assert!(
        !doc.extracted
            .mentions
            .iter()
            .any(|m| m.text == "Policy" && m.kind == EntityKind::PER),
        "{:?}",
        doc.extracted.mentions
    );
}

#[test]
fn an_organisation_printed_before_a_person_is_split_from_the_name() {
    // "Russian Chief of the General Staff of the Armed Forces Valery Gerasimov."
    let doc = run(seed(4));
    let kind_of = |name: &str| {
        doc.extracted
            .entities
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.kind)
    };
    assert_eq!(kind_of("Valery Gerasimov"), Some(EntityKind::PER));
    assert_eq!(kind_of("Armed Forces"), Some(EntityKind::ORG));
}

#[test]
fn sentence_initial_words_are_not_entities() {
    for i in 0..SEEDS.len() {
        let doc = run(seed(i));
        for m in &doc.extracted.mentions {
            assert!(
                !["The", "Meanwhile", "Asked", "He", "We", "It", "This"].contains(&m.text.as_str()),
                "seed {i}: {m:?}"
            );
        }
    }
}

fn slice(text: &str, start: usize, end: usize) -> String {
    text.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

#[test]
fn every_offset_is_a_character_offset_into_the_text() {
    for i in 0..SEEDS.len() {
        let doc = run(seed(i));
        let t = &doc.text;
        let x = &doc.extracted;
        for m in &x.mentions {
            assert_eq!(slice(t, m.start, m.end), m.text, "seed {i}");
        }
        for d in &x.dates {
            assert_eq!(slice(t, d.start, d.end), d.text, "seed {i}");
        }
        for q in &x.quantities {
            assert_eq!(slice(t, q.start, q.end), q.text, "seed {i}");
        }
        for q in &x.quotes {
            let span = slice(t, q.start, q.end);
            assert!(
                span.contains(&q.quote),
                "seed {i}: {span:?} vs {:?}",
                q.quote
            );
            assert_eq!(
                span.chars().count(),
                q.quote.chars().count() + 1 + span.ends_with(['”', '"']) as usize,
                "seed {i}"
            );
        }
        for e in &x.entities {
            assert!(
                x.mentions.iter().any(|m| m.start == e.first_start),
                "seed {i}"
            );
        }
    }
}

#[test]
fn never_panics_on_mangled_text() {
    let stage = new(ExtractConfig::default()).expect("valid");
    let mut inputs: Vec<String> = Vec::new();
    for s in SEEDS {
        // Every prefix cut at a char boundary, stepping through the text.
        let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).step_by(97).collect();
        for c in cuts {
            inputs.push(s[..c].to_string());
            inputs.push(s[c..].to_string());
        }
    }
    inputs.extend([
        "“".to_string(),
        "\"\"\"".to_string(),
        "” “ ” “\n\n“".to_string(),
        "By".to_string(),
        "Mr. . . . U.S.-".to_string(),
        "$ % 1,000,000,000,000,000,000,000 miles ago".to_string(),
        "99999999999 days ago, last 9999 years ago, May 99, 2018, 2018-13-45".to_string(),
    ]);
    for text in inputs {
        let mut doc = Document {
            text,
            title: Some("update desk".into()),
            published: Some("2019-01-30".into()),
            ..Document::default()
        };
        let mut tally = Tally::default();
        stage.apply(&mut doc, &mut tally).expect("no error");
    }
}
