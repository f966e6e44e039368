//! The config reference, generated from the registry: `newsmill stages` prints it, and the
//! README holds the Markdown form (a test keeps the two identical).

use std::fmt::Write;

use newsmill_core::KeyDoc;

use crate::config::{RUN_KEYS, STATE_KEYS};
use crate::registry::Registry;

const INPUT_SUMMARY: &str = "Where the articles come from and how to read them.";
const RUN_SUMMARY: &str = "How the run uses the machine.";
const STATE_SUMMARY: &str = "What is kept between scheduled runs.";

fn meaning(key: &KeyDoc) -> String {
    if key.choices.is_empty() {
        key.doc.to_string()
    } else {
        let choices: Vec<String> = key.choices.iter().map(|c| format!("`{c}`")).collect();
        format!("{} One of: {}.", key.doc, choices.join(", "))
    }
}

fn markdown_table(out: &mut String, keys: &[KeyDoc]) {
    out.push_str("| key | type | default | meaning |\n|---|---|---|---|\n");
    for k in keys {
        let _ = writeln!(
            out,
            "| `{}` | {} | `{}` | {} |",
            k.name,
            k.kind,
            k.default,
            meaning(k).replace('|', "\\|")
        );
    }
    out.push('\n');
}

/// The reference in Markdown.
pub fn markdown(registry: &Registry) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#### `[input]`\n\n{INPUT_SUMMARY}\n");
    markdown_table(&mut out, newsmill_ingest::INPUT_KEYS);
    let _ = writeln!(out, "#### `[run]`\n\n{RUN_SUMMARY}\n");
    markdown_table(&mut out, RUN_KEYS);
    let _ = writeln!(out, "#### `[state]`\n\n{STATE_SUMMARY}\n");
    markdown_table(&mut out, STATE_KEYS);
    for doc in registry.docs() {
        let _ = writeln!(
            out,
            "#### `[[stage]] type = \"{}\"`\n\n{}\n",
            doc.kind, doc.summary
        );
        markdown_table(&mut out, doc.keys);
    }
    out
}

fn plain_keys(out: &mut String, keys: &[KeyDoc]) {
    for k in keys {
        let _ = writeln!(out, "    {} ({}, default {})", k.name, k.kind, k.default);
        let _ = writeln!(out, "        {}", meaning(k));
    }
}

/// The reference for a terminal.
pub fn plain(registry: &Registry) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Stage types (use them as [[stage]] tables with type = \"NAME\"):\n"
    );
    for doc in registry.docs() {
        let _ = writeln!(out, "{}: {}", doc.kind, doc.summary);
        plain_keys(&mut out, doc.keys);
        out.push('\n');
    }
    let _ = writeln!(out, "[input]: {INPUT_SUMMARY}");
    plain_keys(&mut out, newsmill_ingest::INPUT_KEYS);
    let _ = writeln!(out, "\n[run]: {RUN_SUMMARY}");
    plain_keys(&mut out, RUN_KEYS);
    let _ = writeln!(out, "\n[state]: {STATE_SUMMARY}");
    plain_keys(&mut out, STATE_KEYS);
    out
}
