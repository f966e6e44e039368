//! The default pipeline on the five sample articles, through the real binary, asserting what
//! users come for: clean text, metadata, quotes, amounts and no false duplicates.

mod common;
use common::*;

const JNS: &str = "000_d3f30cc8e01184eb.txt";
const WIN: &str = "001_e6fc3a51efc8f4de.txt";
const VOA: &str = "002_438689cf3929fe33.txt";
const JPOST: &str = "003_3ccf4f1fb7630145.txt";
const JTA: &str = "004_66e42796693d4503.txt";

fn article<'a>(articles: &'a [Row], id: &str) -> &'a Row {
    rows_where(articles, "id", id)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no article {id}"))
}

#[test]
fn the_sample_pipeline_writes_every_table() {
    let (out, output) = run_samples(&[]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    for name in [
        "articles",
        "entities",
        "mentions",
        "quotes",
        "dates",
        "quantities",
        "clusters",
        "removed",
        "rejected",
    ] {
        assert!(
            out.path().join(format!("{name}.csv")).is_file(),
            "{name}.csv missing"
        );
    }
    assert!(out.path().join("articles.jsonl").is_file());
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(run["documents"], 5);
    assert!(
        run["outputs"].as_array().is_some_and(|o| o.len() >= 10),
        "run.json lists outputs: {run}"
    );
    assert_eq!(table(out.path(), "articles").len(), 5);
    assert!(table(out.path(), "rejected").is_empty());
    // No temporary files left behind.
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "temporary file left: {name}");
    }
}

/// Schedulers and log collectors read the last line of a run: one JSON object with the
/// run's figures.
#[test]
fn every_run_ends_with_a_one_line_summary() {
    let out = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_newsmill"))
        .args(["--log-format", "json", "run", "--out"])
        .arg(out.path())
        .current_dir(root())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let text = stderr(&output);
    let last = text.lines().last().expect("a log line");
    let summary: serde_json::Value = serde_json::from_str(last).expect("a JSON log line");
    let message = summary["fields"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Run finished: 5 articles (0 duplicates), 0 rejected, from 5 inputs."),
        "{last}"
    );
    assert_eq!(summary["fields"]["articles"], 5, "{last}");
    assert_eq!(summary["fields"]["rejected"], 0, "{last}");
    assert!(summary["fields"]["seconds"].is_string(), "{last}");
}

#[test]
fn boilerplate_is_removed_and_recorded_with_its_rule() {
    let (out, output) = run_samples(&[]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let articles = table(out.path(), "articles");
    let removed = table(out.path(), "removed");
    let cases = [
        (JNS, "You have read 3 articles this month."),
        (JNS, "Register to receive full access to JNS."),
        (
            JNS,
            "Please register for full access to continue reading and post comments.",
        ),
        (JNS, "Become a part of our mission by donating today"),
        (JPOST, "Leave a Reply"),
        (
            JPOST,
            "Your email address will not be published. Required fields are marked *",
        ),
        (JTA, "Leave a comment"),
        (JTA, "Your email address will not be published."),
        (VOA, "Breaking News"),
    ];
    for (id, line) in cases {
        let text = &article(&articles, id)["text"];
        assert!(
            !text.lines().any(|l| l.trim() == line),
            "{id}: {line:?} still in the text"
        );
        let rows: Vec<_> = rows_where(&removed, "article_id", id)
            .into_iter()
            .filter(|r| r["text"].trim() == line)
            .collect();
        assert_eq!(
            rows.len(),
            1,
            "{id}: {line:?} should be listed once in removed"
        );
        assert!(!rows[0]["rule"].is_empty(), "{id}: {line:?} has no rule");
    }
    // The donation appeal between the paywall nags goes too.
    let jns = &article(&articles, JNS)["text"];
    assert!(!jns.contains("Every contribution, big or small"));
    // ...and the article's own last paragraph stays.
    assert!(jns.contains("Foreign Policy magazine reported that the Pentagon was weighing a plan"));
}

#[test]
fn the_doubled_caption_appears_once_and_its_credit_is_metadata() {
    let (out, _) = run_samples(&[]);
    let articles = table(out.path(), "articles");
    let jns = article(&articles, JNS);
    let caption = "wreath-laying ceremony at the Tomb of the Unknown Soldier";
    let jsonl = std::fs::read_to_string(out.path().join("articles.jsonl")).unwrap();
    let record: serde_json::Value = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == JNS)
        .expect("the JNS article in articles.jsonl");
    let in_text = jns["text"].matches(caption).count();
    let in_captions = record["meta"]["captions"].as_array().map_or(0, |c| {
        c.iter()
            .filter(|c| c.as_str().is_some_and(|c| c.contains(caption)))
            .count()
    });
    assert_eq!(
        in_text + in_captions,
        1,
        "the caption is kept exactly once (text {in_text}, captions {in_captions})"
    );
    // The second copy is recorded as removed, with its rule.
    let removed = table(out.path(), "removed");
    assert!(
        rows_where(&removed, "article_id", JNS)
            .iter()
            .any(|r| r["text"].contains(caption) && r["rule"] == "repeat-in-article"),
        "the repeated caption is listed in removed"
    );
    assert!(
        jns["credits"].contains("Amos Ben Gershom/GPO"),
        "credits: {}",
        jns["credits"]
    );
    assert!(!jns["text"].contains("Credit: Amos Ben Gershom"));
    let jpost = article(&articles, JPOST);
    assert!(jpost["contributors"].contains("Tovah Lazaoff"));
    assert!(!jpost["text"].contains("contributed to this report"));
}

#[test]
fn byline_outlet_and_dateline_are_metadata() {
    let (out, _) = run_samples(&[]);
    let articles = table(out.path(), "articles");
    let win = article(&articles, WIN);
    assert_eq!(win["authors"], "Batya Jerenberg");
    assert_eq!(win["outlet"], "World Israel News");
    assert!(!win["text"].contains("By Batya Jerenberg"));
    let jta = article(&articles, JTA);
    assert_eq!(jta["dateline"], "JERUSALEM");
    assert_eq!(jta["dateline_agency"], "JTA");
    assert_eq!(
        article(&articles, VOA)["title"],
        "Russia, Iran Not Allies in Syria, Says Senior Russian Diplomat"
    );
}

#[test]
fn ryabkovs_quotes_are_attributed_to_him() {
    let (out, _) = run_samples(&[]);
    let quotes = table(out.path(), "quotes");
    let by = |id: &str, words: &str| -> String {
        rows_where(&quotes, "article_id", id)
            .into_iter()
            .find(|q| q["quote"].contains(words))
            .unwrap_or_else(|| panic!("{id}: no quote with {words:?}"))["speaker"]
            .clone()
    };
    assert_eq!(by(JNS, "We in no way underestimate"), "Sergei Ryabkov");
    assert_eq!(
        by(JNS, "I wouldn’t use this type of word"),
        "Sergei Ryabkov"
    );
    assert_eq!(
        by(VOA, "I wouldn't use this type of words"),
        "Sergei Ryabkov"
    );
    assert_eq!(
        by(VOA, "the weakening of the Iran-Russia alliance is a myth"),
        "Levan Dzhagaryan"
    );
    assert_eq!(
        by(JPOST, "If you look at who is the greatest danger"),
        "Sergei Lavrov"
    );
    let cue_of = |id: &str, words: &str| -> String {
        rows_where(&quotes, "article_id", id)
            .into_iter()
            .find(|q| q["quote"].contains(words))
            .unwrap_or_else(|| panic!("{id}: no quote with {words:?}"))["cue"]
            .clone()
    };
    assert_eq!(by(JNS, "to go even further"), "Sergei Ryabkov");
    assert_eq!(cue_of(JNS, "to go even further"), "according to");
    // A quote nobody is named for is kept, with an empty speaker.
    assert_eq!(by(JTA, "hundreds and thousands of missiles"), "");
    // Offsets are character offsets into the exported text.
    let articles = table(out.path(), "articles");
    for q in &quotes {
        let text = &article(&articles, &q["article_id"])["text"];
        let (start, end): (usize, usize) = (q["start"].parse().unwrap(), q["end"].parse().unwrap());
        let span: String = text.chars().skip(start).take(end - start).collect();
        assert!(
            span.contains(q["quote"].trim()),
            "offsets {start}..{end} give {span:?} for {:?}",
            q["quote"]
        );
    }
}

#[test]
fn amounts_with_units_are_found() {
    let (out, _) = run_samples(&[]);
    let quantities = table(out.path(), "quantities");
    let find = |id: &str, text: &str| {
        rows_where(&quantities, "article_id", id)
            .into_iter()
            .find(|q| q["text"].contains(text))
            .unwrap_or_else(|| panic!("{id}: no quantity {text:?}"))
            .clone()
    };
    let miles = find(JTA, "60 miles");
    assert_eq!(miles["number"].parse::<f64>().unwrap(), 60.0);
    let km: f64 = miles["normalized"].parse().unwrap();
    assert!((km - 96.56).abs() < 0.01, "60 miles = {km} km");
    let kilometers = find(VOA, "85 kilometers");
    assert_eq!(kilometers["number"].parse::<f64>().unwrap(), 85.0);
    assert!(
        !quantities.iter().any(|q| q["text"].contains("S-300")),
        "a missile system is not an amount"
    );
}

#[test]
fn the_three_ryabkov_articles_are_not_duplicates_of_each_other() {
    let (out, _) = run_samples(&[]);
    let clusters = table(out.path(), "clusters");
    assert!(
        !clusters
            .iter()
            .any(|r| r["kind"] == "duplicate" && r["is_representative"] != "true"),
        "no sample is a duplicate of another: {clusters:?}"
    );
    let articles = table(out.path(), "articles");
    assert!(articles.iter().all(|a| a["duplicate_of"].is_empty()));
}

#[test]
fn people_have_their_titles_and_one_canonical_name() {
    let (out, output) = run_samples(&[]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let entities = table(out.path(), "entities");
    let entity = |id: &str, name: &str| -> Row {
        rows_where(&entities, "article_id", id)
            .into_iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{id}: no entity {name:?}"))
            .clone()
    };
    let ryabkov = entity(JNS, "Sergei Ryabkov");
    assert_eq!(ryabkov["type"], "PER");
    assert!(
        ryabkov["titles"].contains("Deputy Foreign Minister"),
        "{ryabkov:?}"
    );
    assert!(entity(VOA, "Levan Dzhagaryan")["titles"].contains("Russia's ambassador to Tehran"));
    // A magazine named before its head noun is an organisation, not a person.
    assert_eq!(entity(JNS, "Foreign Policy")["type"], "ORG");
    // Sergey and Sergei Lavrov are one person across the run.
    assert_eq!(entity(JTA, "Sergey Lavrov")["canonical"], "Sergei Lavrov");
    assert_eq!(entity(JPOST, "Sergei Lavrov")["canonical"], "Sergei Lavrov");
    // Country adjectives point at their country.
    assert_eq!(entity(WIN, "Russian")["canonical"], "Russia");
    // Short mentions are grouped under the full name printed in the article.
    let netanyahu = entity(WIN, "Benjamin Netanyahu");
    assert!(
        netanyahu["mentions"].parse::<usize>().unwrap() >= 2,
        "{netanyahu:?}"
    );
    let mentions = table(out.path(), "mentions");
    assert!(
        rows_where(&mentions, "article_id", WIN)
            .iter()
            .any(|m| m["text"] == "Netanyahu" && m["canonical"] == "Benjamin Netanyahu")
    );
    // Every mention's offsets give its text.
    let articles = table(out.path(), "articles");
    for m in &mentions {
        let text = &article(&articles, &m["article_id"])["text"];
        let (start, end): (usize, usize) = (m["start"].parse().unwrap(), m["end"].parse().unwrap());
        let span: String = text.chars().skip(start).take(end - start).collect();
        assert_eq!(span, m["text"], "mention offsets in {}", m["article_id"]);
    }
}

#[test]
fn dates_carry_iso_values_and_never_guess_without_a_publication_date() {
    let (out, _) = run_samples(&[]);
    let dates = table(out.path(), "dates");
    let year = rows_where(&dates, "article_id", VOA)
        .into_iter()
        .find(|d| d["text"] == "2017")
        .expect("the year 2017 in the VOA article");
    assert_eq!(
        (year["value"].as_str(), year["resolution"].as_str()),
        ("2017", "year")
    );
    // The samples have no publication date, so "last September" stays unresolved.
    let september = rows_where(&dates, "article_id", WIN)
        .into_iter()
        .find(|d| d["text"] == "last September")
        .expect("last September");
    assert_eq!(
        (september["value"].as_str(), september["relative"].as_str()),
        ("", "true")
    );
    assert!(
        !dates
            .iter()
            .any(|d| d["text"].eq_ignore_ascii_case("may") || d["text"] == "S-300")
    );
}
