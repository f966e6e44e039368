//! Sharded runs: the observers and decisions of both rounds, saved to directories and loaded
//! in other processes.
//!
//! Each directory holds one header file ([`OBSERVER_FILE`] or [`DECISION_FILE`], see
//! [`crate::persist`]) and the spilled files it names, moved there from the scratch directory:
//!
//! * round-0 observer: the document records and ids, and the band, sketch and story
//!   fingerprint partitions (`bands-NNN.bin`, `sketches-000.bin`, `story-NNN.bin`);
//! * round-1 observer: where each stored set lies, and the sets (`sets.bin`);
//! * round-0 decision: the records in keep order, exact-group leaders, the sets round 1
//!   wants, index candidate pairs, and the candidate pair partitions (`pairs-NNN.bin`,
//!   `story-candidates-NNN.bin`);
//! * round-1 decision: the records, the planned links, where every set lies (in the shards'
//!   `sets.bin`, named by paths relative to the decision directory), index links and pending
//!   index entries.
//!
//! Loaders only read: partitions and set files are attached read-only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use newsmill_core::ClusterKind;

use crate::Decision;
use crate::Pending;
use crate::cluster::{ABSENT, Evidence, Plan, PlannedLink};
use crate::observe::{DocRecord, RoundZeroSpill, SetObserver, SketchObserver, Sketcher, Stored};
use crate::persist::{self, PersistError, Reader, Writer};
use crate::spill::{ATTACHED_BASE, Partitions, SetFile, SetLoc};

pub const OBSERVER_FILE: &str = "dedupe-observer.bin";
pub const DECISION_FILE: &str = "dedupe-decision.bin";
const SETS_FILE: &str = "sets.bin";

const OBSERVER_KINDS: [(&[u8; 8], &str); 2] = [
    (b"OBSERVE0", "round-0 observer"),
    (b"OBSERVE1", "round-1 observer"),
];
const DECISION_KINDS: [(&[u8; 8], &str); 2] = [
    (b"DECIDE-0", "round-0 decision"),
    (b"DECIDE-1", "round-1 decision"),
];

/// The scratch partitions of round 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Bands,
    Sketches,
    Story,
}

impl Family {
    const ALL: [Family; 3] = [Family::Bands, Family::Sketches, Family::Story];

    pub fn of(self, spill: &RoundZeroSpill) -> &Partitions {
        match self {
            Family::Bands => &spill.bands,
            Family::Sketches => &spill.sketches,
            Family::Story => &spill.story,
        }
    }
}

/// A shard's round-1 sets, loaded: attached as a segment of the set file when decided.
pub struct LoadedSets {
    pub path: PathBuf,
    pub bytes: u64,
    /// Locations within `path`.
    pub stored: Vec<Stored>,
}

fn docs_out(w: &mut Writer, docs: &[DocRecord], ids: &str) -> Result<(), PersistError> {
    w.len(docs.len())?;
    for d in docs {
        w.u128(d.exact)?;
        w.u64(d.published)?;
        w.u32(d.seq)?;
        w.u32(d.chars)?;
        w.u32(d.id_len)?;
    }
    // The ids again in record order, so that the reader rebuilds a contiguous arena.
    let total: usize = docs.iter().map(|d| d.id(ids).len()).sum();
    w.len(total)?;
    for d in docs {
        w.bytes(d.id(ids).as_bytes())?;
    }
    Ok(())
}

fn docs_in(r: &mut Reader) -> Result<(Vec<DocRecord>, String), PersistError> {
    let n = r.len(36)?;
    let mut docs = Vec::with_capacity(n);
    let mut id_start = 0u64;
    for _ in 0..n {
        let d = DocRecord {
            exact: r.u128()?,
            published: r.u64()?,
            seq: r.u32()?,
            chars: r.u32()?,
            id_len: r.u32()?,
            id_start,
        };
        id_start += u64::from(d.id_len);
        docs.push(d);
    }
    let ids = r.string()?;
    if ids.len() as u64 != id_start {
        return Err(r.damaged("its ids do not add up to their lengths"));
    }
    Ok((docs, ids))
}

/// `seq → keep index` of records in keep order.
fn seq_index(docs: &[DocRecord]) -> Vec<u32> {
    let max_seq = docs.iter().map(|d| d.seq as usize + 1).max().unwrap_or(0);
    let mut seq_to_idx = vec![ABSENT; max_seq];
    for (i, d) in docs.iter().enumerate() {
        seq_to_idx[d.seq as usize] = i as u32;
    }
    seq_to_idx
}

fn lengths_out(w: &mut Writer, lengths: &[u64]) -> Result<(), PersistError> {
    w.len(lengths.len())?;
    lengths.iter().try_for_each(|&l| w.u64(l))
}

fn lengths_in(r: &mut Reader) -> Result<Vec<u64>, PersistError> {
    let n = r.len(8)?;
    (0..n).map(|_| r.u64()).collect()
}

/// Attaches the partition files of `dir` that hold records, after checking their lengths.
fn attach_all(parts: &Partitions, dir: &Path, lengths: &[u64]) -> Result<(), PersistError> {
    for (part, &len) in lengths.iter().enumerate() {
        let path = dir.join(parts.file_name(part));
        persist::check_len(&path, len)?;
        if len > 0 {
            parts.attach(part, path);
        }
    }
    Ok(())
}

fn evidence_out(w: &mut Writer, e: &Evidence) -> Result<(), PersistError> {
    w.f64(e.similarity)?;
    w.f64(e.containment)?;
    w.u64(e.shared)
}

fn evidence_in(r: &mut Reader) -> Result<Evidence, PersistError> {
    Ok(Evidence {
        similarity: r.f64()?,
        containment: r.f64()?,
        shared: r.u64()?,
    })
}

fn links_out(w: &mut Writer, links: &[Option<PlannedLink>]) -> Result<(), PersistError> {
    w.len(links.len())?;
    for link in links {
        match link {
            None => w.u8(0)?,
            Some(l) => {
                w.u8(match l.kind {
                    ClusterKind::Duplicate => 1,
                    ClusterKind::Story => 2,
                })?;
                w.u32(l.rep)?;
                evidence_out(w, &l.evidence)?;
            }
        }
    }
    Ok(())
}

fn links_in(r: &mut Reader, n: usize) -> Result<Vec<Option<PlannedLink>>, PersistError> {
    let count = r.len(1)?;
    let mut links = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = match r.u8()? {
            0 => {
                links.push(None);
                continue;
            }
            1 => ClusterKind::Duplicate,
            2 => ClusterKind::Story,
            _ => return Err(r.damaged("a link has an unknown kind")),
        };
        let rep = r.u32()?;
        if rep as usize >= n {
            return Err(r.damaged("a link names a document it does not hold"));
        }
        links.push(Some(PlannedLink {
            kind,
            rep,
            evidence: evidence_in(r)?,
        }));
    }
    Ok(links)
}

/// Writes a round-0 observer: the spilled partitions move into `dir`.
pub fn save_sketches(mut obs: SketchObserver, dir: &Path) -> Result<(), PersistError> {
    obs.flush();
    let spill = obs.spill.clone();
    for (family, part, path) in std::mem::take(&mut obs.loaded) {
        family.of(&spill).attach(part, path);
    }
    let mut lengths = Vec::new();
    for family in Family::ALL {
        lengths.push(family.of(&spill).move_to(dir)?);
    }
    let (kind, _) = OBSERVER_KINDS[0];
    let mut w = Writer::create(dir.join(OBSERVER_FILE), kind, obs.sketcher.digest)?;
    w.u8(u8::from(obs.too_many))?;
    docs_out(&mut w, &obs.docs, &obs.ids)?;
    for l in &lengths {
        lengths_out(&mut w, l)?;
    }
    w.finish()
}

pub fn load_sketches(
    sketcher: Arc<Sketcher>,
    spill: Arc<RoundZeroSpill>,
    dir: &Path,
) -> Result<SketchObserver, PersistError> {
    let (kind, what) = OBSERVER_KINDS[0];
    let mut r = Reader::open(dir.join(OBSERVER_FILE), kind, what, sketcher.digest)?;
    let too_many = r.u8()? != 0;
    let (docs, ids) = docs_in(&mut r)?;
    let mut lengths = Vec::new();
    for family in Family::ALL {
        let l = lengths_in(&mut r)?;
        if l.len() != family.of(&spill).count() {
            return Err(r.damaged("its partitions do not match the config"));
        }
        lengths.push(l);
    }
    r.finish()?;
    let mut obs = SketchObserver::new(sketcher, spill);
    for (family, lengths) in Family::ALL.into_iter().zip(lengths) {
        let parts = family.of(&obs.spill);
        for (part, len) in lengths.into_iter().enumerate() {
            let path = dir.join(parts.file_name(part));
            persist::check_len(&path, len)?;
            if len > 0 {
                obs.loaded.push((family, part, path));
            }
        }
    }
    obs.docs = docs;
    obs.ids = ids;
    obs.too_many = too_many;
    Ok(obs)
}

fn stored_out(w: &mut Writer, stored: &[Stored]) -> Result<(), PersistError> {
    w.len(stored.len())?;
    for s in stored {
        w.u32(s.seq)?;
        w.u8(s.what)?;
        w.u64(s.loc.to_bits())?;
    }
    Ok(())
}

/// Writes a round-1 observer: the set file moves into `dir`.
pub fn save_sets(obs: SetObserver, dir: &Path) -> Result<(), PersistError> {
    let target = dir.join(SETS_FILE);
    obs.sets
        .seal()
        .map_err(persist::io_at("write", obs.sets.path()))?;
    let mut offset = obs.sets.move_to(&target)?;
    let mut stored = obs.stored;
    for loaded in obs.loaded {
        persist::append_file(&loaded.path, &target)?;
        for s in loaded.stored {
            let loc = s.loc.shifted(offset).ok_or_else(|| PersistError::Damaged {
                path: target.clone(),
                detail: "the sets exceed 1 TB".into(),
            })?;
            stored.push(Stored { loc, ..s });
        }
        offset += loaded.bytes;
    }
    let bytes = persist::sync_len(&target)?;
    let (kind, _) = OBSERVER_KINDS[1];
    let mut w = Writer::create(dir.join(OBSERVER_FILE), kind, obs.sketcher.digest)?;
    w.u64(bytes)?;
    stored_out(&mut w, &stored)?;
    w.finish()
}

pub fn load_sets(
    sketcher: Arc<Sketcher>,
    wanted: Arc<Vec<u8>>,
    sets: Arc<SetFile>,
    dir: &Path,
) -> Result<SetObserver, PersistError> {
    let (kind, what) = OBSERVER_KINDS[1];
    let mut r = Reader::open(dir.join(OBSERVER_FILE), kind, what, sketcher.digest)?;
    let bytes = r.u64()?;
    let n = r.len(13)?;
    let mut stored = Vec::with_capacity(n);
    for _ in 0..n {
        let s = Stored {
            seq: r.u32()?,
            what: r.u8()?,
            loc: SetLoc::from_bits(r.u64()?),
        };
        if s.loc.is_some() && s.loc.end() > bytes {
            return Err(r.damaged("a set lies beyond the end of its file"));
        }
        stored.push(s);
    }
    r.finish()?;
    let path = dir.join(SETS_FILE);
    persist::check_len(&path, bytes)?;
    let mut obs = SetObserver::new(sketcher, wanted, sets);
    obs.loaded.push(LoadedSets {
        path,
        bytes,
        stored,
    });
    Ok(obs)
}

/// Writes round 0's decision. Its candidate partitions move into `dir` and are attached back,
/// so that this process can still decide round 1.
pub fn save_plan(plan: &Plan, dir: &Path, digest: u64) -> Result<(), PersistError> {
    let pairs = plan.pairs.move_to(dir)?;
    attach_all(&plan.pairs, dir, &pairs)?;
    let story = plan.story_pairs.move_to(dir)?;
    attach_all(&plan.story_pairs, dir, &story)?;
    let (kind, _) = DECISION_KINDS[0];
    let mut w = Writer::create(dir.join(DECISION_FILE), kind, digest)?;
    docs_out(&mut w, &plan.docs, &plan.ids)?;
    w.len(plan.leader.len())?;
    plan.leader.iter().try_for_each(|&l| w.u32(l))?;
    w.len(plan.wanted.len())?;
    w.bytes(&plan.wanted)?;
    w.len(plan.index_pairs.len())?;
    for &(e, j) in &plan.index_pairs {
        w.u32(e)?;
        w.u32(j)?;
    }
    lengths_out(&mut w, &pairs)?;
    lengths_out(&mut w, &story)?;
    w.finish()
}

pub fn load_plan(dir: &Path, digest: u64, scratch: &Path) -> Result<Plan, PersistError> {
    let (kind, what) = DECISION_KINDS[0];
    let mut r = Reader::open(dir.join(DECISION_FILE), kind, what, digest)?;
    let (docs, ids) = docs_in(&mut r)?;
    let n = docs.len();
    let count = r.len(4)?;
    let leader: Vec<u32> = (0..count).map(|_| r.u32()).collect::<Result<_, _>>()?;
    if leader.len() != n || leader.iter().any(|&l| l as usize >= n) {
        return Err(r.damaged("its exact-duplicate leaders do not match its documents"));
    }
    let mut wanted = vec![0u8; r.len(1)?];
    r.bytes(&mut wanted)?;
    let count = r.len(8)?;
    let mut index_pairs = Vec::with_capacity(count);
    for _ in 0..count {
        index_pairs.push((r.u32()?, r.u32()?));
    }
    let pair_lengths = lengths_in(&mut r)?;
    let story_lengths = lengths_in(&mut r)?;
    r.finish()?;
    let seq_to_idx = seq_index(&docs);
    if wanted.len() != seq_to_idx.len() {
        return Err(PersistError::Damaged {
            path: dir.join(DECISION_FILE),
            detail: "its wanted sets do not match its documents".into(),
        });
    }
    let io = persist::io_at("create a partition in", scratch);
    let pairs = Partitions::create(scratch, "pairs", pair_lengths.len()).map_err(io)?;
    attach_all(&pairs, dir, &pair_lengths)?;
    let io = persist::io_at("create a partition in", scratch);
    let story_pairs =
        Partitions::create(scratch, "story-candidates", story_lengths.len()).map_err(io)?;
    attach_all(&story_pairs, dir, &story_lengths)?;
    Ok(Plan {
        docs,
        ids,
        seq_to_idx,
        leader,
        pairs,
        index_pairs,
        story_pairs,
        wanted,
    })
}

/// Writes round 1's decision. Sets in this process's own set file (none in a merge step,
/// which observes nothing) are copied into `dir` and renumbered as a segment.
pub fn save_decision(
    decision: &Decision,
    sets: &SetFile,
    dir: &Path,
    digest: u64,
) -> Result<(), PersistError> {
    let decision_file = dir.join(DECISION_FILE);
    sets.seal().map_err(persist::io_at("write", sets.path()))?;
    let mut segments: Vec<(u64, u64, PathBuf)> = sets
        .segments()
        .into_iter()
        .map(|s| (s.base, s.bytes, persist::relative_path(&s.path, dir)))
        .collect();
    let own_base = segments
        .last()
        .map_or(ATTACHED_BASE, |&(base, bytes, _)| base + bytes);
    let own = sets.own_bytes();
    if own > 0 {
        let copy = dir.join(SETS_FILE);
        std::fs::copy(sets.path(), &copy).map_err(persist::io_at("copy into place", &copy))?;
        segments.push((own_base, own, PathBuf::from(SETS_FILE)));
    }
    let remap = |loc: SetLoc| -> Result<u64, PersistError> {
        let loc = if loc.is_some() && loc.offset() < ATTACHED_BASE {
            loc.shifted(own_base).ok_or_else(|| PersistError::Damaged {
                path: decision_file.clone(),
                detail: "the sets exceed 1 TB".into(),
            })?
        } else {
            loc
        };
        Ok(loc.to_bits())
    };
    let (kind, _) = DECISION_KINDS[1];
    let mut w = Writer::create(decision_file.clone(), kind, digest)?;
    docs_out(&mut w, &decision.docs, &decision.ids)?;
    links_out(&mut w, &decision.dups)?;
    links_out(&mut w, &decision.stories)?;
    for locs in [&decision.dup_sets, &decision.story_sets] {
        w.len(locs.len())?;
        for &loc in locs {
            w.u64(remap(loc)?)?;
        }
    }
    let mut index_links: Vec<_> = decision.index_links.iter().collect();
    index_links.sort_unstable_by_key(|(doc, _)| **doc);
    w.len(index_links.len())?;
    for (&doc, (entry, evidence)) in index_links {
        w.u32(doc)?;
        w.u32(*entry)?;
        evidence_out(&mut w, evidence)?;
    }
    w.len(decision.pending.len())?;
    for p in &decision.pending {
        w.u32(p.doc)?;
        w.u64(remap(p.set)?)?;
        w.u64(remap(p.bands)?)?;
    }
    w.len(segments.len())?;
    for (base, bytes, path) in &segments {
        w.u64(*base)?;
        w.u64(*bytes)?;
        let text = path.to_str().ok_or_else(|| PersistError::Damaged {
            path: path.clone(),
            detail: "its path is not UTF-8 and cannot be recorded".into(),
        })?;
        w.str(text)?;
    }
    w.finish()
}

pub fn load_decision(dir: &Path, digest: u64, sets: &SetFile) -> Result<Decision, PersistError> {
    let (kind, what) = DECISION_KINDS[1];
    let mut r = Reader::open(dir.join(DECISION_FILE), kind, what, digest)?;
    let (docs, ids) = docs_in(&mut r)?;
    let n = docs.len();
    let dups = links_in(&mut r, n)?;
    let stories = links_in(&mut r, n)?;
    let mut locs = [Vec::new(), Vec::new()];
    for list in &mut locs {
        let count = r.len(8)?;
        *list = (0..count)
            .map(|_| r.u64().map(SetLoc::from_bits))
            .collect::<Result<_, _>>()?;
    }
    let [dup_sets, story_sets] = locs;
    let count = r.len(32)?;
    let mut index_links = std::collections::HashMap::with_capacity(count);
    for _ in 0..count {
        let doc = r.u32()?;
        let entry = r.u32()?;
        index_links.insert(doc, (entry, evidence_in(&mut r)?));
    }
    let count = r.len(20)?;
    let mut pending = Vec::with_capacity(count);
    for _ in 0..count {
        pending.push(Pending {
            doc: r.u32()?,
            set: SetLoc::from_bits(r.u64()?),
            bands: SetLoc::from_bits(r.u64()?),
        });
    }
    let count = r.len(17)?;
    let mut segments = Vec::with_capacity(count);
    for _ in 0..count {
        let (base, bytes) = (r.u64()?, r.u64()?);
        segments.push((base, bytes, dir.join(r.string()?)));
    }
    let shapes_match = dups.len() == n
        && dup_sets.len() == n
        && stories.len() == story_sets.len()
        && (stories.is_empty() || stories.len() == n);
    if !shapes_match {
        return Err(r.damaged("its tables do not match its documents"));
    }
    r.finish()?;
    sets.set_segments(segments)?;
    // Offsets in the own file would read this process's scratch: a saved decision has none.
    let held = dup_sets
        .iter()
        .chain(&story_sets)
        .chain(pending.iter().flat_map(|p| [&p.set, &p.bands]))
        .all(|&loc| !loc.is_some() || (loc.offset() >= ATTACHED_BASE && sets.holds(loc)));
    if !held {
        return Err(PersistError::Damaged {
            path: dir.join(DECISION_FILE),
            detail: "it names sets outside the set files it lists".into(),
        });
    }
    Ok(Decision {
        seq_to_idx: seq_index(&docs),
        docs,
        ids,
        dups,
        stories,
        dup_sets,
        story_sets,
        index_links,
        pending,
    })
}
