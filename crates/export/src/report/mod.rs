//! `report.html`: a self-contained page about the run, for people who will not open a table.
//!
//! While documents stream, the sink keeps only small aggregates: counts, bounded top-K
//! tables (see [`topk`]) of clusters, entities and speakers with a little evidence each, and
//! the first rejected documents. The run's funnel and the cleaning rules' counts come from
//! the driver's `RunInfo` at the end.

mod html;
mod topk;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use newsmill_core::{ClusterKind, Document, EntityKind, RunInfo, StageError};

use crate::files::{HashingFile, io_error, temp_path};
use crate::rows::Disposition;
use crate::sink::Finished;
use topk::TopK;

pub const REPORT_NAME: &str = "report.html";

/// Keys tracked per top-K table: far more than are shown, so what is shown is exact unless
/// the corpus has more distinct keys than this.
const TRACKED: usize = 2000;
/// Members shown as evidence per cluster, rejected documents listed, characters of a passage.
const EVIDENCE: usize = 5;
const LISTED_REJECTIONS: usize = 100;
const PASSAGE_CHARS: usize = 240;

/// One member of a cluster shown as evidence.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: String,
    pub similarity: f64,
    pub containment: f64,
    pub shared: u64,
    pub passage: String,
}

#[derive(Clone, Debug, Default)]
pub struct ClusterInfo {
    pub representative: String,
    pub title: Option<String>,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default)]
pub struct EntityInfo {
    pub mentions: u64,
    pub titles: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SpeakerInfo {
    pub title: Option<String>,
    pub sample: String,
    pub article: String,
}

/// A rejected input or document as listed in the report.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub source: String,
    pub position: String,
    pub reason: String,
    pub detail: String,
}

/// Everything the report shows, gathered in bounded memory.
pub struct Aggregates {
    pub articles: u64,
    pub marked_duplicates: u64,
    pub dropped_duplicates: u64,
    pub rejected_documents: u64,
    pub quotes: u64,
    pub unattributed_quotes: u64,
    pub removed_lines: u64,
    pub clusters: [TopK<ClusterInfo>; 2],
    /// People, organisations and places, by canonical name: articles naming them.
    pub entities: [TopK<EntityInfo>; 3],
    pub speakers: TopK<SpeakerInfo>,
    /// An example line per cleaning rule (rules are few; capped all the same).
    pub rule_examples: BTreeMap<String, String>,
    pub rejected: Vec<Rejected>,
}

impl Default for Aggregates {
    fn default() -> Self {
        Aggregates {
            articles: 0,
            marked_duplicates: 0,
            dropped_duplicates: 0,
            rejected_documents: 0,
            quotes: 0,
            unattributed_quotes: 0,
            removed_lines: 0,
            clusters: [TopK::new(TRACKED), TopK::new(TRACKED)],
            entities: [TopK::new(TRACKED), TopK::new(TRACKED), TopK::new(TRACKED)],
            speakers: TopK::new(TRACKED),
            rule_examples: BTreeMap::new(),
            rejected: Vec::new(),
        }
    }
}

fn clip(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

impl Aggregates {
    pub fn observe(&mut self, doc: &Document, disposition: &Disposition) {
        match disposition {
            Disposition::Article => {
                self.articles += 1;
                if crate::rows::duplicate_of(doc).is_some() {
                    self.marked_duplicates += 1;
                }
                self.observe_clusters(doc);
                self.observe_article(doc);
            }
            Disposition::DroppedDuplicate => {
                self.dropped_duplicates += 1;
                self.observe_clusters(doc);
            }
            Disposition::Rejected { reason, detail } => {
                self.rejected_documents += 1;
                if self.rejected.len() < LISTED_REJECTIONS {
                    self.rejected.push(Rejected {
                        source: doc.source.clone(),
                        position: doc.position.clone(),
                        reason: reason.to_string(),
                        detail: detail.clone(),
                    });
                }
            }
        }
    }

    fn observe_clusters(&mut self, doc: &Document) {
        for link in &doc.links {
            let slot = match link.kind {
                ClusterKind::Duplicate => 0,
                ClusterKind::Story => 1,
            };
            let is_representative = link.representative == doc.id;
            self.clusters[slot].add(
                &link.cluster,
                1,
                || ClusterInfo {
                    representative: link.representative.clone(),
                    ..ClusterInfo::default()
                },
                |info| {
                    if is_representative {
                        info.title = doc.title.clone();
                    } else if info.members.len() < EVIDENCE {
                        info.members.push(Member {
                            id: doc.id.clone(),
                            similarity: link.similarity,
                            containment: link.containment,
                            shared: link.shared_shingles,
                            passage: clip(&link.passage, PASSAGE_CHARS),
                        });
                    }
                },
            );
        }
    }

    fn observe_article(&mut self, doc: &Document) {
        for entity in &doc.extracted.entities {
            let slot = match entity.kind {
                EntityKind::PER => 0,
                EntityKind::ORG => 1,
                EntityKind::LOC => 2,
                EntityKind::MISC => continue,
            };
            let name = if entity.canonical.is_empty() {
                &entity.name
            } else {
                &entity.canonical
            };
            self.entities[slot].add(name, 1, EntityInfo::default, |info| {
                info.mentions += entity.mentions as u64;
                for title in &entity.titles {
                    if info.titles.len() < 3 && !info.titles.contains(title) {
                        info.titles.push(title.clone());
                    }
                }
            });
        }
        for quote in &doc.extracted.quotes {
            self.quotes += 1;
            if quote.speaker.is_empty() {
                self.unattributed_quotes += 1;
                continue;
            }
            self.speakers.add(
                &quote.speaker,
                1,
                || SpeakerInfo {
                    title: quote.speaker_title.clone(),
                    sample: clip(&quote.quote, PASSAGE_CHARS),
                    article: doc.id.clone(),
                },
                |info| {
                    if info.title.is_none() {
                        info.title = quote.speaker_title.clone();
                    }
                },
            );
        }
        for line in &doc.removed {
            self.removed_lines += 1;
            if self.rule_examples.len() < 500 && !self.rule_examples.contains_key(&line.rule) {
                self.rule_examples
                    .insert(line.rule.clone(), clip(&line.text, 120));
            }
        }
    }
}

/// The report writer: aggregates while streaming, renders at the end.
pub struct ReportSink {
    temp: PathBuf,
    aggregates: Box<Aggregates>,
}

impl ReportSink {
    pub fn new(dir: &Path) -> Self {
        ReportSink {
            temp: temp_path(dir, REPORT_NAME),
            aggregates: Box::default(),
        }
    }

    pub fn observe(&mut self, doc: &Document, disposition: &Disposition) {
        self.aggregates.observe(doc, disposition);
    }

    pub fn finish(self, run: &RunInfo) -> Result<Finished, StageError> {
        let page = html::render(&self.aggregates, run);
        let mut file = HashingFile::create(self.temp.clone())?;
        file.write_all(page.as_bytes())
            .map_err(|e| io_error("write", &self.temp, e))?;
        Ok(Finished {
            name: REPORT_NAME.to_string(),
            temp: self.temp,
            written: file.finish()?,
            rows: self.aggregates.articles,
            table: None,
        })
    }
}
