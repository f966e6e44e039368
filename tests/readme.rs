//! The README's config and table references are generated from the code; these tests keep them
//! identical. Run with NEWSMILL_UPDATE_README=1 to rewrite the generated sections.

mod common;
use common::*;

fn section(readme: &str, name: &str) -> (usize, usize) {
    let start_marker = format!("<!-- {name}:start -->\n");
    let end_marker = format!("<!-- {name}:end -->");
    let start = readme
        .find(&start_marker)
        .unwrap_or_else(|| panic!("README lacks {start_marker}"))
        + start_marker.len();
    let end = readme
        .find(&end_marker)
        .unwrap_or_else(|| panic!("README lacks {end_marker}"));
    (start, end)
}

fn check_or_update(name: &str, generated: &str) {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = section(&readme, name);
    if std::env::var_os("NEWSMILL_UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..start], generated, &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == *generated,
        "README section {name} is out of date; run NEWSMILL_UPDATE_README=1 cargo test --test readme"
    );
}

#[test]
fn the_config_reference_matches_the_registry() {
    let out = newsmill(&root(), &["stages", "--markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let generated = String::from_utf8(out.stdout).unwrap();
    for kind in ["clean", "dedupe", "extract", "export"] {
        assert!(
            generated.contains(&format!("type = \"{kind}\"")),
            "{kind} missing"
        );
    }
    check_or_update("config-reference", &generated);
}

#[test]
fn the_table_reference_matches_the_exporter() {
    check_or_update("tables-reference", &newsmill_export::tables_markdown());
}

#[test]
fn the_stages_command_lists_every_key() {
    let out = newsmill(&root(), &["stages"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for key in ["threshold", "formats", "disable", "paths", "batch_size"] {
        assert!(text.contains(key), "{key} missing from `newsmill stages`");
    }
}
