//! The clean stage on the five seed articles: boilerplate out, metadata moved, every article
//! sentence kept.

use newsmill_clean::{CleanConfig, CleanError, CleanStage};
use newsmill_core::{Document, Stage, Tally};

const SEEDS: [(&str, &str); 5] = [
    (
        "000",
        include_str!("../../../samples/000_d3f30cc8e01184eb.txt"),
    ),
    (
        "001",
        include_str!("../../../samples/001_e6fc3a51efc8f4de.txt"),
    ),
    (
        "002",
        include_str!("../../../samples/002_438689cf3929fe33.txt"),
    ),
    (
        "003",
        include_str!("../../../samples/003_3ccf4f1fb7630145.txt"),
    ),
    (
        "004",
        include_str!("../../../samples/004_66e42796693d4503.txt"),
    ),
];

/// Splits a file the way the text reader does: first non-empty line is the title.
fn document(id: &str, file: &str) -> Document {
    let trimmed = file.trim_start_matches(['\n', '\r']);
    let (title, text) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
    Document {
        id: id.to_string(),
        title: Some(title.trim().to_string()),
        text: text.to_string(),
        ..Document::default()
    }
}

fn clean_with(cfg: CleanConfig, seed: usize) -> (Document, Tally) {
    let stage = CleanStage::new(cfg).expect("valid config");
    let (id, file) = SEEDS[seed];
    let mut doc = document(id, file);
    let mut tally = Tally::default();
    stage
        .apply(&mut doc, &mut tally)
        .expect("clean never fails");
    (doc, tally)
}

fn clean(seed: usize) -> Document {
    clean_with(CleanConfig::default(), seed).0
}

/// The line is gone from the text and recorded as removed by `rule`.
fn assert_removed(doc: &Document, line: &str, rule: &str) {
    assert!(
        !doc.text.contains(line),
        "{}: still in text: {line}",
        doc.id
    );
    assert!(
        doc.removed
            .iter()
            .any(|r| r.text.starts_with(line) && r.rule == rule),
        "{}: {line:?} not removed by {rule}; removed: {:#?}",
        doc.id,
        doc.removed
    );
}

fn assert_kept(doc: &Document, sentences: &[&str]) {
    for s in sentences {
        assert!(
            doc.text.contains(s),
            "{}: lost sentence: {s}\n--- text:\n{}",
            doc.id,
            doc.text
        );
    }
}

/// Every line of the seed that is not listed as boilerplate survives in the text.
fn assert_everything_else_kept(seed: usize, doc: &Document, boilerplate: &[&str]) {
    let (_, file) = SEEDS[seed];
    for line in file
        .lines()
        .skip(1)
        .map(|l| l.trim_matches(|c: char| c.is_whitespace()))
    {
        if line.is_empty() || boilerplate.iter().any(|b| line.starts_with(b)) {
            continue;
        }
        let normalised = line.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            doc.text.contains(&normalised),
            "{}: lost line: {normalised}\n--- removed: {:#?}",
            doc.id,
            doc.removed
        );
    }
}

#[test]
fn seed_000_paywall_donation_caption_and_credit() {
    let doc = clean(0);
    for (line, rule) in [
        ("You have read 3 articles this month.", "phrase:paywall"),
        (
            "Register to receive full access to JNS.",
            "phrase:subscribe",
        ),
        ("Just before you scroll on...", "phrase:appeal"),
        (
            "Israel is at war. JNS is combating the stream of misinformation",
            // Below the paywall notices, past the end of the article's prose.
            "body:after",
        ),
        (
            "Become a part of our mission by donating today",
            "phrase:appeal",
        ),
        ("Topics", "phrase:nav-label"),
        ("Comments", "phrase:nav-label"),
        ("Thank you. You are a loyal JNS Reader.", "phrase:paywall"),
        (
            "You have read more than 10 articles this month.",
            "phrase:paywall",
        ),
        (
            "Please register for full access to continue reading and post comments.",
            "phrase:subscribe",
        ),
        ("Never miss a thing", "phrase:newsletter"),
        (
            "Get the best stories faster with JNS breaking news updates",
            "phrase:newsletter",
        ),
    ] {
        assert_removed(&doc, line, rule);
    }
    // The caption is printed twice: it is kept once (in meta.captions), without its credit.
    let caption = "Israeli Prime Minister Benjamin Netanyahu, left, and Russian President Vladimir Putin seen during a wreath-laying ceremony at the Tomb of the Unknown Soldier in Moscow, on May 9, 2018.";
    let in_captions = doc.meta.captions.iter().filter(|c| *c == caption).count();
    assert_eq!(doc.text.matches(caption).count() + in_captions, 1);
    assert!(!doc.text.contains("Credit:"));
    assert_eq!(doc.meta.credits, vec!["Amos Ben Gershom/GPO".to_string()]);
    assert!(
        doc.removed
            .iter()
            .any(|r| r.rule == "repeat-in-article" && r.text.starts_with(caption))
    );
    assert!(
        doc.removed
            .iter()
            .any(|r| r.rule == "credit" && r.kept_as.as_deref() == Some("credit"))
    );
    // "update desk" is a desk label, not a headline.
    assert_eq!(
        doc.title.as_deref(),
        Some("Israel’s security ‘top priority,’ says Russian Foreign Ministry")
    );
    assert!(
        doc.removed
            .iter()
            .any(|r| r.line == 0 && r.text == "update desk" && r.rule == "title-slug")
    );
    assert_kept(
        &doc,
        &[
            // The standfirst under the headline, above a caption printed twice: the second
            // copy of the caption is no sign that the article is over.
            "In interview with CNN, Russian Deputy Foreign Minister Sergei Ryabkov denies",
            "Russia’s deputy foreign minister denied that Moscow had formed an alliance with Iran in Syria",
            "This is one of the top priorities of Russia,” Sergei Ryabkov told CNN.",
            "Meanwhile, Foreign Policy magazine reported that the Pentagon was weighing a plan that would see the United States maintain a military presence in a base in southeastern Syria in an attempt to thwart the establishment of a direct supply route from Iran to Syria through Iraq.",
        ],
    );
    assert!(
        doc.text.ends_with("through Iraq."),
        "text ends: {}",
        &doc.text[doc.text.len().saturating_sub(80)..]
    );
}

#[test]
fn seed_001_byline_moves_to_metadata() {
    let doc = clean(1);
    assert_eq!(
        doc.meta.byline.as_deref(),
        Some("By Batya Jerenberg, World Israel News")
    );
    assert_removed(&doc, "By Batya Jerenberg, World Israel News", "byline");
    assert_eq!(
        doc.title.as_deref(),
        Some(
            "Russia gives clear statement of support following meeting on Iran and Syria with Netanyahu."
        )
    );
    assert_everything_else_kept(1, &doc, &["By Batya"]);
    assert_kept(
        &doc,
        &[
            "calling it “productive” and a “meaningful and insightful discussion about a variety of regional issues.”",
        ],
    );
}

#[test]
fn seed_002_boilerplate_title_is_replaced() {
    let doc = clean(2);
    assert_eq!(
        doc.title.as_deref(),
        Some("Russia, Iran Not Allies in Syria, Says Senior Russian Diplomat")
    );
    assert!(doc.removed.iter().any(|r| r.line == 0
        && r.text == "Accessibility links"
        && r.rule == "phrase:accessibility"));
    assert_removed(&doc, "Breaking News", "phrase:banner");
    assert!(!doc.text.contains("Says Senior Russian Diplomat"));
    // The photo caption under the headline moves to metadata.
    let caption = "Iranian Foreign Minister Mohammad Javad Zarif (R) meets";
    assert!(doc.text.starts_with("Days after sustained Israeli attacks"));
    assert!(doc.meta.captions.len() == 1 && doc.meta.captions[0].starts_with(caption));
    assert!(
        doc.removed
            .iter()
            .any(|r| r.rule == "caption" && r.kept_as.as_deref() == Some("caption"))
    );
    assert_everything_else_kept(
        2,
        &doc,
        &["Breaking News", "Russia, Iran Not Allies", caption],
    );
}

#[test]
fn seed_003_contributor_comment_form_and_html_help() {
    let doc = clean(3);
    assert_removed(
        &doc,
        "Tovah Lazaoff contributed to this report.",
        "contributor",
    );
    assert_eq!(doc.meta.contributors, vec!["Tovah Lazaoff".to_string()]);
    assert_removed(&doc, "Article source:", "phrase:label");
    assert_removed(&doc, "Leave a Reply", "phrase:comments");
    assert_removed(
        &doc,
        "Your email address will not be published. Required fields are marked *",
        "phrase:comments",
    );
    assert_removed(
        &doc,
        "You may use these HTML tags and attributes:",
        "html-tags",
    );
    // The caption ending in a parenthesised agency moves to metadata; the agency is a credit.
    assert!(!doc.text.contains("November 11, 2017. (Reuters)"));
    assert_eq!(
        doc.meta.captions,
        vec![
            "Donald Trump and Vladimir Putin say Islamic State can be defeated in Syria, November 11, 2017. (Reuters)"
                .to_string()
        ]
    );
    assert_eq!(doc.meta.credits, vec!["Reuters".to_string()]);
    // The paragraph that began with a no-break space is kept, trimmed.
    assert!(
        doc.text
            .contains("\n\nAn official in the Prime Minister’s Office said on Tuesday")
    );
    assert_everything_else_kept(
        3,
        &doc,
        &[
            "Tovah",
            "Donald Trump and Vladimir Putin say",
            "Article source",
            "Leave a",
            "Your email",
            "You may use",
        ],
    );
    assert!(
        doc.text
            .ends_with("We deal firmly and responsibly with the threats around us.”")
    );
}

#[test]
fn seed_004_comment_prompt_quoting_the_headline() {
    let doc = clean(4);
    assert_removed(&doc, "Be the first to comment on", "phrase:comments");
    assert_removed(&doc, "Leave a comment", "phrase:comments");
    assert_removed(
        &doc,
        "Your email address will not be published.",
        "phrase:comments",
    );
    assert_eq!(
        doc.meta.credits,
        vec!["Office of the President of Russia".to_string()]
    );
    let caption = "Israeli Prime Minister Benjamin Netanyahu, left, with Russian President Vladimir Putin in Moscow, Russia, January 29, 2018. (Office of the President of Russia)";
    assert_eq!(doc.meta.captions, vec![caption.to_string()]);
    assert_everything_else_kept(
        4,
        &doc,
        &["Be the first", "Leave a comment", "Your email", caption],
    );
    assert!(
        doc.text
            .contains("Iran wants to turn Syria into a second Lebanon.")
    );
}

#[test]
fn removed_lines_point_at_input_lines() {
    for (seed, &(id, file)) in SEEDS.iter().enumerate() {
        let doc = clean(seed);
        let input = document(id, file);
        let input_lines: Vec<&str> = input.text.split('\n').collect();
        for r in doc.removed.iter().filter(|r| r.line > 0) {
            let original = input_lines[r.line - 1]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                original.contains(&r.text),
                "{id}: line {} is {original:?}, removed {:?}",
                r.line,
                r.text
            );
        }
    }
}

#[test]
fn tallies_count_lines_and_rules() {
    let (doc, tally) = clean_with(CleanConfig::default(), 0);
    let get = |k: &str| tally.0.get(k).copied().unwrap_or(0);
    assert_eq!(
        get("lines-kept"),
        doc.text.split('\n').filter(|l| !l.is_empty()).count() as u64
    );
    assert_eq!(get("removed:phrase:paywall"), 3);
    assert_eq!(get("removed:body:after"), 1);
    assert_eq!(
        get("lines-in"),
        get("lines-kept")
            + doc
                .removed
                .iter()
                .filter(|r| r.line > 0 && r.rule != "credit")
                .count() as u64
    );
}

#[test]
fn disabled_rules_keep_their_lines() {
    let cfg = CleanConfig {
        disable: vec![
            "comments".into(),
            "phrase:label".into(),
            "contributor".into(),
            "body".into(),
        ],
        ..CleanConfig::default()
    };
    let (doc, _) = clean_with(cfg, 3);
    assert!(doc.text.contains("Leave a Reply"));
    assert!(doc.text.contains("Article source:"));
    assert!(
        doc.text
            .contains("Tovah Lazaoff contributed to this report.")
    );
    assert!(doc.meta.contributors.is_empty());
    assert!(!doc.text.contains("You may use these HTML tags"));
}

#[test]
fn extra_phrases_remove_short_lines_only() {
    let cfg = CleanConfig {
        extra_phrases: vec!["FOREIGN MINISTER".into()],
        ..CleanConfig::default()
    };
    let stage = CleanStage::new(cfg).unwrap();
    let mut doc = Document {
        title: Some("A headline".into()),
        text: "Ask the Foreign Minister\n\nRussia’s deputy foreign minister denied that Moscow had formed an alliance with Iran in Syria on Friday.".into(),
        ..Document::default()
    };
    stage.apply(&mut doc, &mut Tally::default()).unwrap();
    assert!(
        doc.removed
            .iter()
            .any(|r| r.text == "Ask the Foreign Minister" && r.rule == "phrase:user")
    );
    assert!(doc.text.contains("deputy foreign minister denied"));
}

#[test]
fn unknown_rule_names_are_rejected_with_the_valid_names() {
    let cfg = CleanConfig {
        disable: vec!["paywal".into()],
        ..CleanConfig::default()
    };
    match CleanStage::new(cfg.clone()) {
        Err(CleanError::UnknownRule { name, valid }) => {
            assert_eq!(name, "paywal");
            assert!(valid.contains("phrase:paywall") && valid.contains("tail-block"));
        }
        other => panic!("expected an unknown-rule error, got {:?}", other.err()),
    }
    let problems = cfg.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "disable");
    assert!(problems[0].2.iter().any(|c| c == "phrase:paywall"));
}

#[test]
fn hard_wrapped_fixture_is_rejoined() {
    let stage = CleanStage::new(CleanConfig::default()).unwrap();
    let mut doc = Document {
        title: Some("Russia: Moscow never promised withdrawal of Iranian troops from Syria".into()),
        text: include_str!("fixtures/wrapped_72.txt").to_string(),
        ..Document::default()
    };
    stage.apply(&mut doc, &mut Tally::default()).unwrap();
    let seed = SEEDS[3].1;
    let paragraphs: Vec<&str> = doc.text.split("\n\n").collect();
    assert_eq!(paragraphs.len(), 4, "{}", doc.text);
    for p in paragraphs {
        assert!(seed.contains(p), "not a seed paragraph: {p}");
    }
}

#[test]
fn config_accepts_an_empty_table_and_rejects_unknown_keys() {
    let empty: CleanConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, CleanConfig::default());
    assert!(serde_json::from_str::<CleanConfig>(r#"{"dissable": []}"#).is_err());
    let curly: CleanConfig = serde_json::from_str(r#"{"quotes": "curly"}"#).unwrap();
    assert_eq!(curly.quotes, newsmill_clean::QuoteStyle::Curly);
}

#[test]
fn doc_lists_exactly_the_config_keys() {
    let value = serde_json::to_value(CleanConfig::default()).unwrap();
    let mut fields: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut documented: Vec<&str> = newsmill_clean::DOC.keys.iter().map(|k| k.name).collect();
    fields.sort_unstable();
    documented.sort_unstable();
    assert_eq!(fields, documented);
    assert_eq!(newsmill_clean::DOC.kind, "clean");
}

#[test]
fn odd_input_never_panics() {
    let odd = [
        "",
        "\n\n\n",
        "\r",
        "é\u{301}\u{0}\u{200B}",
        "«»„‟″″",
        "By",
        "Photo:",
        "(",
        "a\u{2028}b\u{85}c",
        "Credit: ",
        "x contributed to this report",
        "3 thoughts on “”\nReply\nHome | Site\n(R) , left, 2018",
    ];
    // The site round sees every odd text too, as pages of one site and with odd urls.
    let corpus: Vec<Document> = odd
        .iter()
        .map(|t| Document {
            url: Some(format!("https://{t}/x")),
            site: None,
            source: "odd/page.txt".into(),
            text: t.repeat(3),
            ..Document::default()
        })
        .collect();
    let mut stage = CleanStage::new(CleanConfig::default()).unwrap();
    stage.observe_corpus(&corpus).unwrap();
    for doc in &corpus {
        stage.explain_document(doc);
    }
    for text in [
        "",
        "\n\n\n",
        "\r",
        "é\u{301}\u{0}\u{200B}",
        "«»„‟″″",
        "By",
        "Photo:",
        "(",
        "a\u{2028}b\u{85}c",
        "Credit: ",
        "x contributed to this report",
        "3 thoughts on “”\nReply\nHome | Site\n(R) , left, 2018",
    ] {
        let mut doc = Document {
            title: Some(text.into()),
            text: text.into(),
            ..Document::default()
        };
        stage.apply(&mut doc, &mut Tally::default()).unwrap();
        let mut doc = Document {
            title: None,
            text: text.repeat(50),
            ..Document::default()
        };
        stage.apply(&mut doc, &mut Tally::default()).unwrap();
    }
}

#[test]
fn repeated_list_lines_stay_and_headings_keep_their_section() {
    // A list before any prose would be a menu to the body-region search; this checks repeats.
    let stage = CleanStage::new(CleanConfig {
        disable: vec!["body".into()],
        ..CleanConfig::default()
    })
    .unwrap();
    let prose = "The teams are now divided into three groups of four and play knock-out matches on successive days to determine the group champions.";
    let text = format!(
        "Seychelles v South Africa\n\nWinners meet in final match\n\nNamibia v Botswana\n\nWinners meet in final match\n\n\
         Why Iran and Russia disagree about the future of Syria\nWhat the ceasefire agreement means for the Golan Heights\n\n\
         Why Iran and Russia disagree about the future of Syria\n\n{prose}"
    );
    let mut doc = Document {
        title: Some("A headline".into()),
        text,
        ..Document::default()
    };
    stage.apply(&mut doc, &mut Tally::default()).unwrap();
    assert_eq!(doc.text.matches("Winners meet in final match").count(), 2);
    // The contents entry goes; the heading above its section stays.
    let removed: Vec<usize> = doc
        .removed
        .iter()
        .filter(|r| r.rule == "repeat-in-article")
        .map(|r| r.line)
        .collect();
    assert_eq!(removed, vec![9]);
    assert!(doc.text.contains(&format!(
        "Why Iran and Russia disagree about the future of Syria\n\n{prose}"
    )));
}

#[test]
fn readme_documents_every_rule_and_key() {
    let readme = include_str!("../README.md");
    for name in newsmill_clean::rule_names() {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README misses rule {name}"
        );
    }
    for key in newsmill_clean::DOC.keys {
        assert!(
            readme.contains(&format!("{} = ", key.name)),
            "README misses key {}",
            key.name
        );
    }
}
