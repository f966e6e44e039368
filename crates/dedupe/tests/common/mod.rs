//! The seed articles and documents made from them, shared by the dedupe stage's tests.
#![allow(dead_code)]

use newsmill_core::Document;

pub const SEEDS: [&str; 5] = [
    include_str!("../../../../samples/000_d3f30cc8e01184eb.txt"),
    include_str!("../../../../samples/001_e6fc3a51efc8f4de.txt"),
    include_str!("../../../../samples/002_438689cf3929fe33.txt"),
    include_str!("../../../../samples/003_3ccf4f1fb7630145.txt"),
    include_str!("../../../../samples/004_66e42796693d4503.txt"),
];

pub fn doc(seq: u64, id: &str, published: Option<&str>, text: &str) -> Document {
    Document {
        seq,
        id: id.to_string(),
        published: published.map(str::to_string),
        text: text.to_string(),
        ..Document::default()
    }
}
