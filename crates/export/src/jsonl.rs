//! `articles.jsonl`: one nested object per article. Keys come out in struct-field order, so
//! the bytes are stable; floats in links carry the same 4 decimals as the CSV.

use newsmill_core::{ClusterLink, Decoding, Document, Extracted, Metadata, RemovedLine};
use serde::Serialize;

use crate::cells::ratio_value;
use crate::rows::{duplicate_of, word_count};

#[derive(Serialize)]
pub struct ArticleRecord<'a> {
    id: &'a str,
    source: &'a str,
    position: &'a str,
    url: Option<&'a str>,
    site: Option<&'a str>,
    title: Option<&'a str>,
    published: Option<&'a str>,
    words: usize,
    decoding: &'a Decoding,
    meta: &'a Metadata,
    duplicate_of: Option<&'a str>,
    links: Vec<LinkRecord<'a>>,
    removed: &'a [RemovedLine],
    extracted: &'a Extracted,
    /// Fields added by plugin stages; keys sorted, so the bytes are stable.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extra: &'a std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

#[derive(Serialize)]
struct LinkRecord<'a> {
    kind: &'static str,
    cluster: &'a str,
    representative: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    representative_run: Option<&'a str>,
    similarity: f64,
    containment: f64,
    shared_shingles: u64,
    passage: &'a str,
}

impl<'a> LinkRecord<'a> {
    fn new(link: &'a ClusterLink) -> Self {
        LinkRecord {
            kind: link.kind.as_str(),
            cluster: &link.cluster,
            representative: &link.representative,
            representative_run: link.representative_run.as_deref(),
            similarity: ratio_value(link.similarity),
            containment: ratio_value(link.containment),
            shared_shingles: link.shared_shingles,
            passage: &link.passage,
        }
    }
}

impl<'a> ArticleRecord<'a> {
    pub fn new(doc: &'a Document, include_text: bool) -> Self {
        ArticleRecord {
            id: &doc.id,
            source: &doc.source,
            position: &doc.position,
            url: doc.url.as_deref(),
            site: doc.site.as_deref(),
            title: doc.title.as_deref(),
            published: doc.published.as_deref(),
            words: word_count(&doc.text),
            decoding: &doc.decoding,
            meta: &doc.meta,
            duplicate_of: duplicate_of(doc),
            links: doc.links.iter().map(LinkRecord::new).collect(),
            removed: &doc.removed,
            extracted: &doc.extracted,
            extra: &doc.extra,
            text: include_text.then_some(doc.text.as_str()),
        }
    }
}
