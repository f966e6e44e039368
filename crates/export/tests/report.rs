//! The HTML report's content. (tests/report_browser.rs renders it in Chromium.)

mod common;

use std::fs;

use common::*;
use newsmill_core::{BuildContext, RunInfo};
use newsmill_export::{ExportConfig, ExportStage, Format};

#[test]
fn report_shows_the_funnel_clusters_names_rules_and_rejections() {
    let tmp = tempfile::tempdir().unwrap();
    let html = fs::read_to_string(write_report(tmp.path())).unwrap();

    // Funnel: 7 documents read, 4 articles, 1 duplicate dropped, 2 + 2 rejected.
    let funnel = section(&html, "funnel");
    assert!(
        funnel.contains("<b>7</b><span>documents read</span>"),
        "{funnel}"
    );
    assert!(funnel.contains("<b>4</b><span>articles written</span>"));
    assert!(funnel.contains("<b>1</b><span>duplicates</span>"));
    assert!(funnel.contains("<b>4</b><span>rejected</span>"));
    assert!(funnel.contains("<svg"));

    // Stages with in/kept/dropped by reason.
    let stages = section(&html, "stages");
    assert!(
        stages.contains("<td>dedupe</td><td class=\"n\">6</td><td class=\"n\">5</td>"),
        "{stages}"
    );
    assert!(stages.contains("duplicate 1"));
    assert!(stages.contains("too-short 1"));

    // Cleaning rules from the clean stage's counters, with an example line each.
    let cleaning = section(&html, "cleaning");
    assert!(
        cleaning.contains("4 lines removed by 4 rules"),
        "{cleaning}"
    );
    assert!(cleaning.contains("<code>phrase:social-follow</code>"));
    assert!(cleaning.contains("@cmd|&#39; /C calc&#39;!A0 Follow us on Twitter"));
    assert!(!cleaning.contains("lines-rejoined"));

    // The duplicate cluster with its evidence, and the story cluster.
    assert!(html.contains("kept copy <code>002_438689cf3929fe33.txt</code>"));
    assert!(html.contains(
        "<code>voa-rescrape.txt</code></td><td class=\"n\">0.8765</td><td class=\"n\">0.9123</td>"
    ));
    assert!(html.contains("&quot;I wouldn&#39;t use this type of words"));
    assert!(html.contains("story:000_d3f30cc8e01184eb.txt"));

    // Names and speakers.
    let entities = section(&html, "entities");
    assert!(entities.contains("Sergei Ryabkov <span class=\"muted\">(Russian Deputy Foreign Minister; deputy foreign minister)</span></td><td class=\"n\">1</td><td class=\"n\">3</td>"), "{entities}");
    assert!(entities.contains("Moscow"));
    let speakers = section(&html, "speakers");
    assert!(
        speakers.contains("1 direct quotes, 0 of them without"),
        "{speakers}"
    );
    assert!(speakers.contains("Sergei Ryabkov"));
    assert!(speakers.contains("We in no way underestimate"));

    // Rejected inputs and documents.
    let rejected = section(&html, "rejected");
    assert!(rejected.contains("malformed-json"));
    assert!(rejected.contains("extract: quote offsets out of range"));
    assert!(rejected.contains("clean: too-short"));

    // Hostile text is escaped, never markup.
    assert!(!html.contains("=SUM(A1:A9) Russia gives clear statement</"));
    assert!(!html.contains("<cmd"));
}

#[test]
fn report_is_self_contained() {
    let tmp = tempfile::tempdir().unwrap();
    let html = fs::read_to_string(write_report(tmp.path())).unwrap();
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    for external in [
        "<script src",
        "<link",
        "<img",
        "url(",
        "@import",
        "http://",
        "https://",
    ] {
        assert!(!html.contains(external), "the report loads {external}");
    }
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn an_empty_run_still_makes_a_readable_report() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = BuildContext {
        config_dir: tmp.path().to_path_buf(),
        ..BuildContext::default()
    };
    let cfg = ExportConfig {
        formats: vec![Format::Report],
        ..ExportConfig::default()
    };
    let mut stage = ExportStage::new(cfg, &ctx).unwrap();
    finish(&mut stage, &RunInfo::default());
    let html = fs::read_to_string(tmp.path().join("out/report.html")).unwrap();
    assert!(html.contains("Every input became an article"));
    assert!(html.contains("No cleaning stage removed anything"));
}

/// The HTML of the `<section id="…">`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}
