//! What each document contributes to each table.

use std::borrow::Cow;

use newsmill_core::{ClusterKind, ClusterLink, Document, Status};

use crate::cells::{Row, amount, ratio};
use crate::tables::Table;

/// The drop reason dedupe gives copies it removes; they are listed in `clusters`, not `rejected`.
pub const DUPLICATE_REASON: &str = "duplicate";

/// Where a document ends up in the output.
#[derive(Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Live: an article with all its rows.
    Article,
    /// Dropped as a duplicate and pointing at a kept twin: only its cluster rows.
    DroppedDuplicate,
    /// Failed, or dropped for another reason: one `rejected` row.
    Rejected {
        reason: &'static str,
        detail: String,
    },
}

impl Disposition {
    pub fn of(doc: &Document) -> Disposition {
        match &doc.status {
            Status::Live => Disposition::Article,
            Status::Dropped { reason, .. } if reason == DUPLICATE_REASON && points_at_twin(doc) => {
                Disposition::DroppedDuplicate
            }
            Status::Dropped { stage, reason } => Disposition::Rejected {
                reason: "dropped",
                detail: format!("{stage}: {reason}"),
            },
            Status::Failed { stage, error } => Disposition::Rejected {
                reason: "stage-error",
                detail: format!("{stage}: {error}"),
            },
        }
    }
}

/// A duplicate dropped without a link to its kept copy would vanish from every table, so it
/// goes to `rejected` instead: every input stays accounted for.
fn points_at_twin(doc: &Document) -> bool {
    doc.links
        .iter()
        .any(|l| l.kind == ClusterKind::Duplicate && l.representative != doc.id)
}

/// Options that change cell contents.
#[derive(Clone, Copy, Debug)]
pub struct RowOptions {
    pub neutralize: bool,
    pub text: bool,
}

pub type Cells<'a> = Vec<Cow<'a, str>>;

/// The header of `table` under `options`.
pub fn header(table: Table, options: RowOptions) -> Vec<&'static str> {
    table
        .doc()
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|name| options.text || table != Table::Articles || *name != "text")
        .collect()
}

/// The rows `doc` contributes to `table` (never `rejected`, which the stage writes itself).
pub fn rows<'a>(
    table: Table,
    doc: &'a Document,
    disposition: &Disposition,
    options: RowOptions,
) -> Vec<Cells<'a>> {
    let row = || Row::new(table.doc().columns.len());
    let id = doc.id.as_str();
    match (table, disposition) {
        (Table::Clusters, Disposition::Article | Disposition::DroppedDuplicate) => doc
            .links
            .iter()
            .map(|link| cluster_row(row(), id, link))
            .collect(),
        (_, Disposition::Article) => article_rows(table, doc, options, row),
        _ => Vec::new(),
    }
}

fn article_rows<'a>(
    table: Table,
    doc: &'a Document,
    options: RowOptions,
    row: impl Fn() -> Row<'a>,
) -> Vec<Cells<'a>> {
    let id = doc.id.as_str();
    let found = &doc.extracted;
    match table {
        Table::Articles => vec![article_row(row(), doc, options)],
        Table::Entities => found
            .entities
            .iter()
            .map(|e| {
                row()
                    .text(id)
                    .plain(e.kind.as_str())
                    .text(&e.name)
                    .text(&e.canonical)
                    .list(&e.titles)
                    .plain(e.mentions)
                    .plain(e.first_start)
                    .into_cells()
            })
            .collect(),
        Table::Mentions => found
            .mentions
            .iter()
            .map(|m| {
                let canonical = found.entities.get(m.entity).map(|e| e.canonical.as_str());
                row()
                    .text(id)
                    .plain(m.kind.as_str())
                    .text(&m.text)
                    .opt(canonical)
                    .opt(m.title.as_deref())
                    .plain(m.start)
                    .plain(m.end)
                    .into_cells()
            })
            .collect(),
        Table::Quotes => found
            .quotes
            .iter()
            .map(|q| {
                row()
                    .text(id)
                    .text(&q.quote)
                    .text(&q.speaker)
                    .opt(q.speaker_title.as_deref())
                    .opt(q.speaker_mention.as_deref())
                    .opt(q.cue.as_deref())
                    .plain(q.start)
                    .plain(q.end)
                    .into_cells()
            })
            .collect(),
        Table::Dates => found
            .dates
            .iter()
            .map(|d| {
                row()
                    .text(id)
                    .text(&d.text)
                    .text(&d.value)
                    .plain(d.resolution.as_str())
                    .plain(d.relative)
                    .plain(d.start)
                    .plain(d.end)
                    .into_cells()
            })
            .collect(),
        Table::Quantities => found
            .quantities
            .iter()
            .map(|q| {
                row()
                    .text(id)
                    .text(&q.text)
                    .plain(amount(q.number))
                    .text(&q.unit)
                    .text(&q.kind)
                    .plain(q.normalized.map(amount).unwrap_or_default())
                    .opt(q.normalized_unit.as_deref())
                    .opt(q.qualifier.as_deref())
                    .plain(q.start)
                    .plain(q.end)
                    .into_cells()
            })
            .collect(),
        Table::Removed => doc
            .removed
            .iter()
            .map(|r| {
                row()
                    .text(id)
                    .plain(r.line)
                    .text(&r.rule)
                    .opt(r.kept_as.as_deref())
                    .text(&r.text)
                    .into_cells()
            })
            .collect(),
        Table::Clusters | Table::Rejected => Vec::new(),
    }
}

fn article_row<'a>(row: Row<'a>, doc: &'a Document, options: RowOptions) -> Cells<'a> {
    let meta = &doc.meta;
    let duplicate = duplicate_link(doc);
    let stories: Vec<String> = doc
        .links
        .iter()
        .filter(|l| l.kind == ClusterKind::Story)
        .map(|l| l.cluster.clone())
        .collect();
    let row = row
        .text(&doc.id)
        .text(&doc.source)
        .text(&doc.position)
        .opt(doc.url.as_deref())
        .opt(doc.site.as_deref())
        .opt(doc.title.as_deref())
        .opt(meta.byline.as_deref())
        .list(&meta.authors)
        .opt(meta.outlet.as_deref())
        .opt(doc.published.as_deref())
        .opt(meta.dateline.as_ref().map(|d| d.place.as_str()))
        .opt(meta.dateline.as_ref().and_then(|d| d.agency.as_deref()))
        .opt(meta.language.as_deref())
        .plain(word_count(&doc.text))
        .text(&doc.decoding.encoding)
        .plain(doc.decoding.replaced)
        .opt(duplicate_of(doc))
        .opt(duplicate.map(|l| l.cluster.as_str()))
        .plain(duplicate.map(|l| ratio(l.similarity)).unwrap_or_default())
        .list(&stories)
        .list(&meta.credits)
        .list(&meta.contributors)
        .list(&meta.related);
    let row = if options.text {
        row.text(&doc.text)
    } else {
        row
    };
    row.into_cells()
}

fn cluster_row<'a>(row: Row<'a>, id: &'a str, link: &'a ClusterLink) -> Cells<'a> {
    row.text(&link.cluster)
        .plain(link.kind.as_str())
        .text(id)
        .text(&link.representative)
        .plain(link.representative == id)
        .text(link.representative_run.as_deref().unwrap_or_default())
        .plain(ratio(link.similarity))
        .plain(ratio(link.containment))
        .plain(link.shared_shingles)
        .text(&link.passage)
        .into_cells()
}

/// The document's duplicate-cluster membership, if any (dedupe gives at most one).
pub fn duplicate_link(doc: &Document) -> Option<&ClusterLink> {
    doc.links.iter().find(|l| l.kind == ClusterKind::Duplicate)
}

/// The kept copy's id when this document is a non-representative duplicate.
pub fn duplicate_of(doc: &Document) -> Option<&str> {
    duplicate_link(doc)
        .map(|l| l.representative.as_str())
        .filter(|rep| *rep != doc.id)
}

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}
