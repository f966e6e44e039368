//! The example binary runs the built-in stages and its own, configured from TOML.

use std::process::Command;

#[test]
fn the_custom_stage_runs_next_to_the_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    std::fs::write(
        dir.path().join("pipeline.toml"),
        format!(
            "[input]\npaths = [{:?}]\n\n[[stage]]\ntype = \"clean\"\n\n[[stage]]\ntype = \"keywords\"\nwords = [\"Lavrov\"]\n\n[[stage]]\ntype = \"export\"\ndir = \"out\"\n",
            samples.to_string_lossy()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_my-newsmill"))
        .args(["run", "--config", "pipeline.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    // Three samples do not mention Lavrov: dropped, so listed as rejected (exit code 1).
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut articles = csv::Reader::from_path(dir.path().join("out/articles.csv")).unwrap();
    let ids: Vec<String> = articles
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(
        ids,
        ["003_3ccf4f1fb7630145.txt", "004_66e42796693d4503.txt"]
    );

    let stages = Command::new(env!("CARGO_BIN_EXE_my-newsmill"))
        .arg("stages")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&stages.stdout).contains("keywords: Keeps only articles"));
}
