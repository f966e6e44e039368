//! Helpers shared by the reader tests.
#![allow(dead_code)]

use std::path::Path;

use newsmill_core::{Document, Rejection};
use newsmill_ingest::{InputConfig, Record, list_inputs, read_input};

pub fn config(paths: &[&str]) -> InputConfig {
    InputConfig {
        paths: paths.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    }
}

/// Lists and reads everything, keeping listing rejections first.
pub fn read_all(cfg: &InputConfig, base: &Path) -> (Vec<Document>, Vec<Rejection>) {
    let (files, mut rejections) = list_inputs(cfg, base);
    let mut docs = Vec::new();
    for file in &files {
        for record in read_input(file, cfg) {
            match record {
                Record::Document(d) => docs.push(d),
                Record::Rejected(r) => rejections.push(r),
            }
        }
    }
    (docs, rejections)
}
