mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;
use newsmill_core::{BuildContext, Document, RunInfo, Stage};
use newsmill_export::{ExportConfig, ExportError, ExportStage, Format, TABLES, TableChoice};
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn full_export() -> (tempfile::TempDir, Vec<newsmill_core::OutputFile>) {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = export(ExportConfig::default(), tmp.path(), &corpus());
    (tmp, outputs)
}

#[test]
fn writes_every_table_and_no_temporary_files() {
    let (tmp, outputs) = full_export();
    let out = tmp.path().join("out");
    let mut expected: Vec<String> = TABLES.iter().map(|t| format!("{}.csv", t.name)).collect();
    expected.push("articles.jsonl".into());
    expected.push("run.json".into());
    expected.sort();
    assert_eq!(file_names(&out), expected, "no .tmp files may remain");
    assert_eq!(outputs.len(), expected.len());
    assert!(outputs.last().unwrap().path.ends_with("run.json"));
    for table in TABLES {
        let rows = read_csv(&out.join(format!("{}.csv", table.name)));
        let header: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        assert_eq!(rows[0], header, "header of {}", table.name);
        for row in &rows {
            assert_eq!(row.len(), header.len(), "row width in {}", table.name);
        }
    }
}

#[test]
fn articles_hold_live_documents_with_text_intact() {
    let (tmp, _) = full_export();
    let rows = read_csv(&tmp.path().join("out/articles.csv"));
    assert_eq!(
        column(&rows, "id"),
        [
            "000_d3f30cc8e01184eb.txt",
            "001_e6fc3a51efc8f4de.txt",
            "002_438689cf3929fe33.txt",
            "004_66e42796693d4503.txt"
        ],
        "dropped, failed and filtered documents are not articles"
    );
    // Newlines, commas, straight and curly quotes, dashes and ellipses survive the round trip.
    let texts = column(&rows, "text");
    assert_eq!(texts[0], russia_cnn().text);
    assert!(texts[0].contains('\n') && texts[0].contains('“') && texts[0].contains(','));
    assert_eq!(texts[2], voa().text);
    assert!(texts[2].contains("\"I wouldn't use"));

    assert_eq!(
        column(&rows, "title")[0],
        "Israel’s security ‘top priority,’ says Russian Foreign Ministry"
    );
    assert_eq!(
        column(&rows, "title")[1],
        "'=SUM(A1:A9) Russia gives clear statement of support"
    );
    assert_eq!(column(&rows, "authors")[1], "Batya Jerenberg");
    assert_eq!(column(&rows, "outlet")[1], "World Israel News");
    assert_eq!(column(&rows, "dateline")[3], "JERUSALEM");
    assert_eq!(column(&rows, "dateline_agency")[3], "JTA");
    assert_eq!(column(&rows, "credits")[0], "Amos Ben Gershom/GPO");
    assert_eq!(column(&rows, "story")[0], "story:000_d3f30cc8e01184eb.txt");
    assert_eq!(column(&rows, "cluster")[2], "dup:002_438689cf3929fe33.txt");
    assert_eq!(column(&rows, "similarity")[2], "1.0000");
    assert_eq!(
        column(&rows, "duplicate_of")[2],
        "",
        "a representative is nobody's duplicate"
    );
    assert_eq!(
        column(&rows, "similarity")[0],
        "",
        "no duplicate cluster, no similarity"
    );
    let words = column(&rows, "words");
    assert_eq!(
        words[0],
        russia_cnn().text.split_whitespace().count().to_string()
    );
    assert_eq!(column(&rows, "encoding")[0], "UTF-8");
    assert_eq!(column(&rows, "replaced_bytes")[0], "0");
}

#[test]
fn annotation_tables_carry_offsets_and_neutralised_text() {
    let (tmp, _) = full_export();
    let out = tmp.path().join("out");

    let entities = read_csv(&out.join("entities.csv"));
    assert_eq!(entities.len(), 3);
    assert_eq!(
        entities[1][..4],
        [
            "000_d3f30cc8e01184eb.txt",
            "PER",
            "Sergei Ryabkov",
            "Sergei Ryabkov"
        ]
    );
    assert_eq!(
        entities[1][4],
        "Russian Deputy Foreign Minister; deputy foreign minister"
    );

    let mentions = read_csv(&out.join("mentions.csv"));
    assert_eq!(
        column(&mentions, "canonical"),
        ["Sergei Ryabkov", "Moscow", ""]
    );
    let text = russia_cnn().text;
    let (start, end): (usize, usize) = (
        mentions[1][5].parse().unwrap(),
        mentions[1][6].parse().unwrap(),
    );
    let found: String = text.chars().skip(start).take(end - start).collect();
    assert_eq!(
        found, "Sergei Ryabkov",
        "offsets are character offsets into the exported text"
    );

    let quotes = read_csv(&out.join("quotes.csv"));
    assert_eq!(quotes.len(), 2);
    assert!(
        quotes[1][1].starts_with("We in no way underestimate")
            && quotes[1][1].ends_with("priorities of Russia,")
    );
    assert_eq!(quotes[1][5], "told");

    let dates = read_csv(&out.join("dates.csv"));
    assert_eq!(
        dates[1][1..5],
        ["May 9, 2018", "2018-05-09", "day", "false"]
    );

    let quantities = read_csv(&out.join("quantities.csv"));
    assert_eq!(
        quantities[1][1..8],
        [
            "60 miles", "60", "mile", "distance", "96.56064", "km", "some"
        ]
    );

    let removed = read_csv(&out.join("removed.csv"));
    assert_eq!(removed.len(), 5, "removed lines of live articles only");
    assert_eq!(
        removed[3][4],
        "Israeli Prime Minister Benjamin Netanyahu, left, and Russian President Vladimir Putin seen during a wreath-laying ceremony at the Tomb of the Unknown Soldier in Moscow, on May 9, 2018. Credit: Amos Ben Gershom/GPO."
    );
    assert_eq!(removed[3][3], "credit");
    assert_eq!(removed[4][0], "001_e6fc3a51efc8f4de.txt");
    assert_eq!(removed[4][4], "'@cmd|' /C calc'!A0 Follow us on Twitter");
}

#[test]
fn dropped_duplicate_appears_in_clusters_not_articles() {
    let (tmp, _) = full_export();
    let out = tmp.path().join("out");
    let clusters = read_csv(&out.join("clusters.csv"));
    let dup_rows: Vec<&Vec<String>> = clusters.iter().filter(|r| r[1] == "duplicate").collect();
    assert_eq!(dup_rows.len(), 2);
    assert_eq!(
        dup_rows[0][2..5],
        [
            "002_438689cf3929fe33.txt",
            "002_438689cf3929fe33.txt",
            "true"
        ]
    );
    assert_eq!(
        dup_rows[1][..10],
        [
            "dup:002_438689cf3929fe33.txt",
            "duplicate",
            "voa-rescrape.txt",
            "002_438689cf3929fe33.txt",
            "false",
            "",
            "0.8765",
            "0.9123",
            "512",
            "\"I wouldn't use this type of words to describe where we are with Iran,\"\nadding that",
        ]
    );
    let raw = fs::read_to_string(out.join("clusters.csv")).unwrap();
    assert!(
        raw.contains(",\"\"\"I wouldn't use this type of words to describe where we are with Iran,\"\"\nadding that\"\n"),
        "RFC 4180: quotes doubled, the cell quoted, the newline kept inside it"
    );
    assert!(
        raw.starts_with("cluster,kind,article_id,representative,"),
        "no needless quoting"
    );
    let stories = clusters.iter().filter(|r| r[1] == "story").count();
    assert_eq!(stories, 2);
    let articles = fs::read_to_string(out.join("articles.csv")).unwrap();
    assert!(!articles.contains("voa-rescrape.txt"));
    let rejected = fs::read_to_string(out.join("rejected.csv")).unwrap();
    assert!(
        !rejected.contains("voa-rescrape.txt"),
        "a linked duplicate is accounted for by clusters"
    );
}

#[test]
fn rejected_lists_input_rejections_then_documents_in_order() {
    let (tmp, _) = full_export();
    let rows = read_csv(&tmp.path().join("out/rejected.csv"));
    assert_eq!(
        rows,
        [
            vec!["source", "position", "reason", "detail"],
            vec![
                "feeds.jsonl",
                "line 12",
                "malformed-json",
                "expected `,` or `}` at column 80"
            ],
            vec!["empty.txt", "", "empty", "the file has no text"],
            vec![
                "samples/003_3ccf4f1fb7630145.txt",
                "",
                "stage-error",
                "extract: quote offsets out of range, at 4,096"
            ],
            vec!["feeds.jsonl", "line 7", "dropped", "clean: too-short"],
        ]
    );
}

#[test]
fn a_duplicate_dropped_without_its_twin_is_rejected_not_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let mut orphan = voa_copy();
    orphan.links.clear();
    export(ExportConfig::default(), tmp.path(), &[orphan]);
    let rows = read_csv(&tmp.path().join("out/rejected.csv"));
    assert_eq!(rows.last().unwrap()[2..], ["dropped", "dedupe: duplicate"]);
}

#[test]
fn jsonl_has_one_nested_object_per_article() {
    let (tmp, _) = full_export();
    let text = fs::read_to_string(tmp.path().join("out/articles.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    assert!(text.ends_with('\n'));
    assert!(
        text.starts_with("{\"id\":\"000_d3f30cc8e01184eb.txt\",\"source\":"),
        "stable key order, id first"
    );
    let first = &records[0];
    assert_eq!(first["text"], russia_cnn().text);
    assert_eq!(first["extracted"]["quotes"][0]["cue"], "told");
    assert_eq!(first["removed"][2]["kept_as"], "credit");
    assert_eq!(first["meta"]["credits"][0], "Amos Ben Gershom/GPO");
    assert_eq!(first["links"][0]["kind"], "story");
    // JSON is not a spreadsheet: values are as found.
    assert_eq!(
        records[1]["title"],
        "=SUM(A1:A9) Russia gives clear statement of support"
    );
    assert_eq!(records[2]["links"][0]["similarity"], 1.0);
    assert_eq!(
        records[3]["extracted"]["quantities"][0]["normalized_unit"],
        "km"
    );
    assert_eq!(records[3]["meta"]["dateline"]["agency"], "JTA");
}

#[test]
fn run_json_lists_outputs_with_correct_digests() {
    let (tmp, returned) = full_export();
    let out = tmp.path().join("out");
    let run: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["version"], "0.1.0");
    assert_eq!(run["documents"], 7);
    let outputs = run["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 10, "nine tables and articles.jsonl");
    for output in outputs {
        let name = output["path"].as_str().unwrap();
        let bytes = fs::read(out.join(name)).unwrap();
        assert_eq!(output["bytes"], bytes.len() as u64, "{name}");
        assert_eq!(output["sha256"], sha256_hex(&bytes), "{name}");
        let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
        if name.ends_with(".jsonl") {
            assert_eq!(output["rows"], lines);
        }
    }
    let tables: BTreeMap<String, u64> = serde_json::from_value(run["tables"].clone()).unwrap();
    let expected = [
        ("articles", 4),
        ("entities", 2),
        ("mentions", 3),
        ("quotes", 1),
        ("dates", 1),
        ("quantities", 1),
        ("clusters", 4),
        ("removed", 4),
        ("rejected", 4),
    ];
    assert_eq!(
        tables,
        expected.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    );
    for (name, rows) in expected {
        assert_eq!(
            read_csv(&out.join(format!("{name}.csv"))).len() as u64 - 1,
            rows,
            "{name}"
        );
    }
    let manifest = returned.last().unwrap();
    assert_eq!(
        manifest.sha256,
        sha256_hex(&fs::read(out.join("run.json")).unwrap())
    );
}

#[test]
fn output_is_byte_identical_for_the_same_documents() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    export(every_format(), a.path(), &corpus());
    // A second apart at least, so a clock in any output would show.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    export(every_format(), b.path(), &corpus());
    let names = file_names(&a.path().join("out"));
    assert!(names.contains(&"newsmill.xlsx".to_string()));
    for name in names {
        let left = fs::read(a.path().join("out").join(&name)).unwrap();
        let right = fs::read(b.path().join("out").join(&name)).unwrap();
        assert!(left == right, "{name} differs between runs");
    }
}

#[test]
fn bom_is_written_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    export(ExportConfig::default(), tmp.path(), &corpus());
    let plain = fs::read_to_string(tmp.path().join("out/articles.csv")).unwrap();
    assert!(plain.starts_with("id,source,position,url,"));
    assert!(
        plain.contains(",text\n") && !plain.contains('\r'),
        "LF line ends"
    );

    let with_bom = ExportConfig {
        bom: true,
        dir: "bom".into(),
        ..ExportConfig::default()
    };
    export(with_bom, tmp.path(), &corpus());
    for table in TABLES {
        let bytes = fs::read(tmp.path().join(format!("bom/{}.csv", table.name))).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{}", table.name);
    }
    let jsonl = fs::read(tmp.path().join("bom/articles.jsonl")).unwrap();
    assert!(jsonl.starts_with(b"{"), "JSON Lines never gets a BOM");
    assert_eq!(read_csv(&tmp.path().join("bom/articles.csv"))[0][0], "id");
}

#[test]
fn formulas_pass_through_when_neutralising_is_off() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        neutralize_formulas: false,
        ..ExportConfig::default()
    };
    export(cfg, tmp.path(), &corpus());
    let rows = read_csv(&tmp.path().join("out/articles.csv"));
    assert_eq!(
        column(&rows, "title")[1],
        "=SUM(A1:A9) Russia gives clear statement of support"
    );
}

#[test]
fn text_can_be_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        text: false,
        ..ExportConfig::default()
    };
    export(cfg, tmp.path(), &corpus());
    let rows = read_csv(&tmp.path().join("out/articles.csv"));
    assert!(!rows[0].contains(&"text".to_string()));
    assert_eq!(rows[0].len(), TABLES[0].columns.len() - 1);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    let line = fs::read_to_string(tmp.path().join("out/articles.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert!(first.get("text").is_none());
    let quotes = read_csv(&tmp.path().join("out/quotes.csv"));
    assert_eq!(quotes.len(), 2, "other tables are unaffected");
}

#[test]
fn only_the_chosen_tables_and_formats_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        formats: vec![Format::Csv],
        tables: vec![
            TableChoice::One(newsmill_export::Table::Rejected),
            TableChoice::One(newsmill_export::Table::Articles),
        ],
        ..ExportConfig::default()
    };
    let outputs = export(cfg, tmp.path(), &corpus());
    assert_eq!(
        file_names(&tmp.path().join("out")),
        ["articles.csv", "rejected.csv", "run.json"]
    );
    assert_eq!(outputs.len(), 3);
    let rows = read_csv(&tmp.path().join("out/rejected.csv"));
    assert_eq!(rows.len(), 5);

    let jsonl_only = ExportConfig {
        formats: vec![Format::Jsonl],
        dir: "j".into(),
        ..ExportConfig::default()
    };
    export(jsonl_only, tmp.path(), &corpus());
    assert_eq!(
        file_names(&tmp.path().join("j")),
        ["articles.jsonl", "run.json"]
    );
}

#[test]
fn an_empty_run_writes_headers_and_input_rejections() {
    let tmp = tempfile::tempdir().unwrap();
    export(ExportConfig::default(), tmp.path(), &[]);
    let out = tmp.path().join("out");
    assert_eq!(read_csv(&out.join("articles.csv")).len(), 1);
    assert_eq!(read_csv(&out.join("rejected.csv")).len(), 3);
    assert_eq!(fs::read(out.join("articles.jsonl")).unwrap(), b"");
}

#[test]
fn directory_resolves_against_config_dir_and_out_override_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = BuildContext {
        config_dir: tmp.path().to_path_buf(),
        out_override: None,
        ..BuildContext::default()
    };
    let cfg = ExportConfig {
        dir: "nested/tables".into(),
        ..ExportConfig::default()
    };
    let stage = ExportStage::new(cfg.clone(), &ctx).unwrap();
    assert_eq!(stage.dir(), tmp.path().join("nested/tables"));
    assert!(stage.dir().is_dir());
    assert!(
        file_names(stage.dir()).is_empty(),
        "building a stage writes no files"
    );

    let absolute = tmp.path().join("abs");
    let cfg_abs = ExportConfig {
        dir: absolute.display().to_string(),
        ..ExportConfig::default()
    };
    let elsewhere = BuildContext {
        config_dir: "/nonexistent-config-dir".into(),
        out_override: None,
        ..BuildContext::default()
    };
    assert_eq!(
        ExportStage::new(cfg_abs, &elsewhere).unwrap().dir(),
        absolute
    );

    let over = BuildContext {
        config_dir: tmp.path().to_path_buf(),
        out_override: Some(tmp.path().join("cli")),
        ..BuildContext::default()
    };
    assert_eq!(
        ExportStage::new(cfg, &over).unwrap().dir(),
        tmp.path().join("cli")
    );
}

#[test]
fn an_unusable_directory_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    let ctx = BuildContext {
        config_dir: tmp.path().to_path_buf(),
        out_override: Some(file.join("out")),
        ..BuildContext::default()
    };
    let error = ExportStage::new(ExportConfig::default(), &ctx)
        .err()
        .expect("cannot create under a file");
    assert!(matches!(error, ExportError::CreateDir { .. }));
    assert!(
        error
            .to_string()
            .contains(&file.join("out").display().to_string()),
        "{error}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = tmp.path().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
        // Root ignores permission bits; the check only means something for other users.
        if fs::write(locked.join("probe"), "").is_err() {
            let ctx = BuildContext {
                config_dir: tmp.path().to_path_buf(),
                out_override: Some(locked.clone()),
                ..BuildContext::default()
            };
            let error = ExportStage::new(ExportConfig::default(), &ctx)
                .err()
                .expect("read-only dir");
            assert!(matches!(error, ExportError::NotWritable { .. }));
            assert!(error.to_string().contains(&locked.display().to_string()));
        }
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn an_unfinished_run_leaves_previous_outputs_and_no_temporary_files() {
    let tmp = tempfile::tempdir().unwrap();
    export(every_format(), tmp.path(), &corpus());
    let out = tmp.path().join("out");
    let before = fs::read(out.join("articles.csv")).unwrap();
    let names = file_names(&out);
    {
        let ctx = BuildContext {
            config_dir: tmp.path().to_path_buf(),
            out_override: None,
            ..BuildContext::default()
        };
        let mut stage = ExportStage::new(every_format(), &ctx).unwrap();
        stage.write(&jta()).unwrap();
        assert!(
            file_names(&out).iter().any(|n| n.ends_with(".tmp")),
            "writes stream to temporary files"
        );
        // Dropped here without finish, as when a run aborts.
    }
    assert_eq!(file_names(&out), names);
    assert!(names.contains(&"newsmill.sqlite".to_string()));
    assert_eq!(fs::read(out.join("articles.csv")).unwrap(), before);
}

#[test]
fn finishing_twice_is_an_error_not_a_corrupt_output() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = BuildContext {
        config_dir: tmp.path().to_path_buf(),
        out_override: None,
        ..BuildContext::default()
    };
    let mut stage = ExportStage::new(ExportConfig::default(), &ctx).unwrap();
    stage.write(&jta()).unwrap();
    stage.finish(&RunInfo::default()).unwrap();
    assert!(stage.finish(&RunInfo::default()).is_err());
    assert!(stage.write(&Document::default()).is_err());
}

#[test]
fn config_errors_name_the_valid_choices() {
    let every = serde_json::from_str::<ExportConfig>(
        r#"{"formats": ["csv", "jsonl", "xlsx", "sqlite", "report"]}"#,
    )
    .unwrap();
    assert_eq!(every.formats.len(), 5);
    let unknown_format = serde_json::from_str::<ExportConfig>(r#"{"formats": ["xls"]}"#)
        .unwrap_err()
        .to_string();
    assert!(
        unknown_format.contains("xls") && unknown_format.contains("csv, jsonl, xlsx"),
        "{unknown_format}"
    );
    let parquet = serde_json::from_str::<ExportConfig>(r#"{"formats": ["parquet"]}"#);
    if cfg!(feature = "parquet") {
        assert!(parquet.is_ok());
    } else {
        let message = parquet.unwrap_err().to_string();
        assert!(message.contains("`parquet` feature"), "{message}");
    }
    let unknown = serde_json::from_str::<ExportConfig>(r#"{"tables": ["people"]}"#)
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("people") && unknown.contains("articles") && unknown.contains("all"),
        "{unknown}"
    );
    assert!(serde_json::from_str::<ExportConfig>(r#"{"folder": "out"}"#).is_err());
    let partial: ExportConfig =
        serde_json::from_str(r#"{"bom": true, "tables": ["quotes"]}"#).unwrap();
    assert!(partial.bom && partial.text && partial.dir == "out");

    assert!(ExportConfig::default().problems().is_empty());
    let bad = ExportConfig {
        dir: " ".into(),
        formats: vec![Format::Csv, Format::Csv],
        tables: vec![],
        ..ExportConfig::default()
    };
    let keys: Vec<String> = bad.problems().into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(keys, ["dir", "formats", "tables"]);
    let ctx = BuildContext::default();
    assert!(matches!(
        ExportStage::new(bad, &ctx),
        Err(ExportError::Invalid(_))
    ));
}
