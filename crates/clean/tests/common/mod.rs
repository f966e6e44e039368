//! Helpers shared by the clean stage's tests.
#![allow(dead_code)]

use newsmill_clean::{CleanConfig, CleanStage};
use newsmill_core::{Document, Stage, Tally};

/// Cleans a fixture page whose first line is its title.
pub fn clean_page(id: &str, page: &str, config: CleanConfig) -> Document {
    let (title, text) = page.split_once('\n').unwrap_or((page, ""));
    let mut doc = Document {
        id: id.into(),
        title: Some(title.to_string()),
        text: text.to_string(),
        ..Document::default()
    };
    let stage = CleanStage::new(config).expect("valid config");
    stage
        .apply(&mut doc, &mut Tally::default())
        .expect("clean never fails");
    doc
}
