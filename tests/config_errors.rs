//! Config mistakes are reported with file, line, column, the key and the valid choices, all at
//! once, and stop the run with exit code 2.

mod common;
use common::*;

fn validate(config: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pipeline.toml"), config).unwrap();
    let out = newsmill(dir.path(), &["validate", "--config", "pipeline.toml"]);
    (out.status.code(), stderr(&out))
}

#[test]
fn a_misspelt_key_names_line_column_and_valid_keys() {
    let (code, err) = validate(
        "[input]\npaths = [\"samples\"]\n\n[[stage]]\ntype = \"dedupe\"\ntreshold = 0.5\n",
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("pipeline.toml:6:1:"), "{err}");
    assert!(err.contains("treshold"), "{err}");
    assert!(err.contains("threshold"), "valid keys listed: {err}");
}

#[test]
fn a_wrong_type_names_line_column_and_expected_type() {
    let (code, err) = validate("[[stage]]\ntype = \"export\"\nbom = \"yes\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("pipeline.toml:3:7:"), "{err}");
    assert!(err.contains("bom"), "{err}");
    assert!(err.contains("boolean"), "{err}");
}

#[test]
fn an_unknown_stage_type_lists_the_stage_types() {
    let (code, err) = validate("[[stage]]\ntype = \"dedup\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("pipeline.toml:2:8:"), "{err}");
    for kind in ["clean", "dedupe", "extract", "export"] {
        assert!(err.contains(kind), "{kind} missing from {err}");
    }
}

#[test]
fn a_bad_choice_lists_the_choices() {
    let (code, err) = validate("[input]\nformat = \"xml\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("pipeline.toml:2:10:"), "{err}");
    for choice in ["auto", "text", "jsonl", "csv", "html"] {
        assert!(err.contains(choice), "{choice} missing from {err}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let (code, err) = validate(
        "[input]\nformatt = \"auto\"\n\n[[stage]]\ntype = \"clean\"\n\n[[stage]]\ntype = \"dedupe\"\nbands = \"many\"\nshingle = 3\n\n[[stage]]\ntype = \"nope\"\n",
    );
    assert_eq!(code, Some(2));
    for needle in [
        "pipeline.toml:2:1:",
        "pipeline.toml:9:9:",
        "pipeline.toml:10:1:",
        "pipeline.toml:13:8:",
    ] {
        assert!(err.contains(needle), "{needle} missing from {err}");
    }
    assert!(err.contains("4 problems"), "{err}");
}

#[test]
fn run_refuses_a_bad_config_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pipeline.toml"),
        "[[stage]]\ntype = \"clean\"\nfoo = 1\n",
    )
    .unwrap();
    let out = newsmill(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pipeline.toml:3:1:"));
}

#[test]
fn the_shipped_config_is_valid() {
    let out = newsmill(&root(), &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn two_export_stages_into_one_directory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pipeline.toml"),
        "[input]\npaths = [\"in\"]\n\n[[stage]]\ntype = \"export\"\ndir = \"out\"\n\n[[stage]]\ntype = \"clean\"\n\n[[stage]]\ntype = \"export\"\ndir = \"./out\"\n",
    )
    .unwrap();
    let out = newsmill(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("stages 1 and 3 (export) both write to"),
        "{}",
        stderr(&out)
    );
}
