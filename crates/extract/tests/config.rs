use std::collections::BTreeSet;

use newsmill_extract::{DOC, ExtractConfig, new};

#[test]
fn doc_lists_exactly_the_config_keys() {
    let value = serde_json::to_value(ExtractConfig::default()).expect("serialises");
    let fields: BTreeSet<String> = value.as_object().expect("object").keys().cloned().collect();
    let documented: BTreeSet<String> = DOC.keys.iter().map(|k| k.name.to_string()).collect();
    assert_eq!(fields, documented);
    assert_eq!(DOC.kind, "extract");
}

#[test]
fn unknown_keys_are_rejected_and_missing_keys_default() {
    let cfg: ExtractConfig = serde_json::from_str(r#"{"quotes": false}"#).expect("valid");
    assert!(!cfg.quotes && cfg.entities);
    assert!(serde_json::from_str::<ExtractConfig>(r#"{"quote": false}"#).is_err());
}

#[test]
fn problems_name_the_key() {
    let cfg = ExtractConfig {
        max_quote_chars: 3,
        min_quote_words: 0,
        ..ExtractConfig::default()
    };
    let keys: Vec<String> = cfg.problems().into_iter().map(|p| p.0).collect();
    assert_eq!(keys, ["max_quote_chars", "min_quote_words"]);
    assert!(new(cfg).is_err());
    assert!(ExtractConfig::default().problems().is_empty());
}

#[test]
fn model_key_names_a_file_and_empty_means_built_in() {
    let cfg: ExtractConfig = serde_json::from_str(r#"{"model": ""}"#).expect("valid");
    assert!(cfg.problems().is_empty());
    let missing = ExtractConfig {
        model: "no/such/ner.model".into(),
        ..ExtractConfig::default()
    };
    let keys: Vec<String> = missing.problems().into_iter().map(|p| p.0).collect();
    assert_eq!(keys, ["model"]);
    assert!(new(missing).is_err());
}
