//! The persistent dedupe index: what earlier runs kept, so that a scheduled run matches new
//! articles against everything indexed before.
//!
//! One file, `<state>/dedupe/index.bin`, rewritten whole at the end of each successful run
//! (written under a temporary name, synced, renamed into place, directory synced), so a run
//! killed at any moment leaves the previous index intact. Layout:
//!
//! ```text
//! NEWSMILL-DEDUPE-INDEX\n
//! {"format":1,"settings":{..},"runs":[..],"entries":N}\n   header, one JSON line
//! N entries                                             binary, see `Entry`
//! xxh3-64 of everything above                           8 bytes, little-endian
//! ```
//!
//! An entry is: id (varint length + UTF-8), run number (varint), exact key (16 bytes), the
//! LSH band keys (4 bytes each), and the near-duplicate shingle set as a sorted list of
//! compact hashes stored as varint gaps (count, byte length, bytes).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::config::DedupeConfig;

const MAGIC: &[u8] = b"NEWSMILL-DEDUPE-INDEX\n";
const FORMAT: u32 = 1;
/// Version of the text normalisation and shingle hashing (`text.rs`): bump it whenever a
/// change there would give the same text other hashes.
pub const NORMALISATION: u32 = 1;
const FILE_NAME: &str = "index.bin";

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot {action} the dedupe index {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the dedupe index {path} is damaged ({detail}); remove it to start a new index")]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the dedupe index {path} was built with other hashing settings ({differences}); \
         use those settings again, or remove the index (or name another [state] dir) to start a new one"
    )]
    Mismatch { path: PathBuf, differences: String },
}

/// Everything that decides which hashes a text gets: an index is only usable with the same.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub shingle_size: usize,
    pub num_hashes: usize,
    pub bands: usize,
    pub rows: usize,
    pub seed: u64,
    pub normalisation: u32,
}

impl Settings {
    pub fn of(cfg: &DedupeConfig) -> Self {
        Settings {
            shingle_size: cfg.shingle_size,
            num_hashes: cfg.num_hashes,
            bands: cfg.bands,
            rows: cfg.rows,
            seed: cfg.seed,
            normalisation: NORMALISATION,
        }
    }

    /// "shingle_size: index 3, config 2; ..." for every setting that differs.
    fn differences(&self, config: &Settings) -> String {
        let ours = serde_json::to_value(self).unwrap_or_default();
        let theirs = serde_json::to_value(config).unwrap_or_default();
        let (Some(ours), Some(theirs)) = (ours.as_object(), theirs.as_object()) else {
            return String::new();
        };
        ours.iter()
            .filter(|(k, v)| theirs.get(*k) != Some(v))
            .map(|(k, v)| {
                let now = theirs.get(k).map_or_else(String::new, |v| v.to_string());
                format!("{k}: index {v}, config {now}")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One run that added entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// 1, 2, 3... in the order runs were committed.
    pub run: u32,
    /// When the run started (RFC 3339, as in run.json).
    pub started: String,
    /// Seconds since the Unix epoch when the run was committed (for pruning by age).
    pub committed: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    settings: Settings,
    runs: Vec<RunRecord>,
    entries: usize,
}

/// An indexed article.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: String,
    pub run: u32,
    pub exact: u128,
    pub bands: Box<[u32]>,
    /// The encoded shingle set within the index's arena.
    set: Range<usize>,
    set_len: usize,
}

/// An article this run adds.
pub struct NewEntry {
    pub id: String,
    pub exact: u128,
    pub bands: Box<[u32]>,
    pub set: Vec<u32>,
}

/// Pruning bounds from config (0 = no bound).
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub max_age_days: u64,
    pub max_entries: usize,
}

/// A loaded index.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    settings: Settings,
    pub runs: Vec<RunRecord>,
    pub entries: Vec<Entry>,
    arena: Vec<u8>,
}

impl Index {
    /// Opens `<state_dir>/dedupe/index.bin`, or starts an empty index when there is none yet.
    /// An index built with other settings is refused.
    pub fn open(state_dir: &Path, settings: Settings) -> Result<Index, IndexError> {
        let path = state_dir.join("dedupe").join(FILE_NAME);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Index {
                    path,
                    settings,
                    runs: Vec::new(),
                    entries: Vec::new(),
                    arena: Vec::new(),
                });
            }
            Err(source) => {
                return Err(IndexError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        let damaged = |detail: &str| IndexError::Damaged {
            path: path.clone(),
            detail: detail.to_string(),
        };
        let body = bytes
            .len()
            .checked_sub(8)
            .and_then(|n| bytes.get(..n))
            .filter(|b| b.starts_with(MAGIC))
            .ok_or_else(|| damaged("not a newsmill dedupe index"))?;
        let stored = bytes
            .get(body.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes);
        if stored != Some(xxh3_64(body)) {
            return Err(damaged("checksum mismatch"));
        }
        let rest = &body[MAGIC.len()..];
        let line_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| damaged("no header line"))?;
        let header: Header = serde_json::from_slice(&rest[..line_end])
            .map_err(|e| damaged(&format!("header: {e}")))?;
        if header.format != FORMAT {
            return Err(damaged(&format!(
                "format {} (this newsmill reads format {FORMAT})",
                header.format
            )));
        }
        if header.settings != settings {
            return Err(IndexError::Mismatch {
                differences: header.settings.differences(&settings),
                path,
            });
        }
        let arena = rest[line_end + 1..].to_vec();
        let mut reader = Reader {
            bytes: &arena,
            at: 0,
        };
        let mut entries = Vec::with_capacity(header.entries.min(1 << 24));
        for _ in 0..header.entries {
            entries.push(
                reader
                    .entry(settings.bands)
                    .ok_or_else(|| damaged("truncated entry"))?,
            );
        }
        Ok(Index {
            path,
            settings,
            runs: header.runs,
            entries,
            arena,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When `run` started (RFC 3339), or "run N" for a run recorded without a start time.
    pub fn run_started(&self, run: u32) -> String {
        match self.runs.iter().find(|r| r.run == run) {
            Some(r) if !r.started.is_empty() => r.started.clone(),
            _ => format!("run {run}"),
        }
    }

    /// The decoded shingle set of an entry.
    pub fn set(&self, entry: &Entry) -> Vec<u32> {
        let mut out = Vec::with_capacity(entry.set_len);
        let mut reader = Reader {
            bytes: self.arena.get(entry.set.clone()).unwrap_or_default(),
            at: 0,
        };
        let mut value = 0u32;
        for _ in 0..entry.set_len {
            let Some(gap) = reader.varint() else { break };
            value = value.wrapping_add(gap as u32);
            out.push(value);
        }
        out
    }

    /// Bytes the entries take in the file.
    pub fn entry_bytes(&self) -> usize {
        self.arena.len()
    }

    /// Writes the index with `new` entries added as run `started`, pruned to `bounds`, and
    /// replaces the file atomically. Returns the number of entries written.
    pub fn commit(
        &self,
        new: &[NewEntry],
        started: &str,
        now: u64,
        bounds: Bounds,
    ) -> Result<usize, IndexError> {
        let run = self.runs.iter().map(|r| r.run).max().unwrap_or(0) + 1;
        let mut runs = self.runs.clone();
        runs.push(RunRecord {
            run,
            started: started.to_string(),
            committed: now,
        });
        let committed: BTreeMap<u32, u64> = runs.iter().map(|r| (r.run, r.committed)).collect();
        let too_old = |r: u32| {
            bounds.max_age_days > 0
                && committed.get(&r).is_some_and(|&t| {
                    now.saturating_sub(t) > bounds.max_age_days.saturating_mul(86_400)
                })
        };
        // Oldest first: old entries in file order, then this run's.
        let old: Vec<&Entry> = self.entries.iter().filter(|e| !too_old(e.run)).collect();
        let total = old.len() + new.len();
        let skip = if bounds.max_entries > 0 {
            total.saturating_sub(bounds.max_entries)
        } else {
            0
        };
        let mut body = Vec::new();
        let mut kept_runs: BTreeMap<u32, ()> = BTreeMap::new();
        let mut written = 0usize;
        for e in old.iter().skip(skip) {
            write_entry(
                &mut body,
                &e.id,
                e.run,
                e.exact,
                &e.bands,
                e.set_len,
                self.arena.get(e.set.clone()).unwrap_or_default(),
            );
            kept_runs.insert(e.run, ());
            written += 1;
        }
        let mut encoded = Vec::new();
        for e in new.iter().skip(skip.saturating_sub(old.len())) {
            encoded.clear();
            let mut previous = 0u32;
            for &v in &e.set {
                put_varint(&mut encoded, u64::from(v.wrapping_sub(previous)));
                previous = v;
            }
            write_entry(
                &mut body,
                &e.id,
                run,
                e.exact,
                &e.bands,
                e.set.len(),
                &encoded,
            );
            kept_runs.insert(run, ());
            written += 1;
        }
        runs.retain(|r| kept_runs.contains_key(&r.run));
        let header = Header {
            format: FORMAT,
            settings: self.settings.clone(),
            runs,
            entries: written,
        };
        let mut bytes = MAGIC.to_vec();
        bytes.extend(serde_json::to_vec(&header).unwrap_or_default());
        bytes.push(b'\n');
        bytes.extend(body);
        let checksum = xxh3_64(&bytes);
        bytes.extend(checksum.to_le_bytes());
        replace_atomically(&self.path, &bytes)?;
        Ok(written)
    }
}

fn write_entry(
    out: &mut Vec<u8>,
    id: &str,
    run: u32,
    exact: u128,
    bands: &[u32],
    set_len: usize,
    set: &[u8],
) {
    put_varint(out, id.len() as u64);
    out.extend(id.as_bytes());
    put_varint(out, u64::from(run));
    out.extend(exact.to_le_bytes());
    for b in bands {
        out.extend(b.to_le_bytes());
    }
    put_varint(out, set_len as u64);
    put_varint(out, set.len() as u64);
    out.extend(set);
}

/// Temporary file, fsync, rename over the old file, fsync the directory: after a crash the
/// path holds either the old index or the new one, never a mix.
fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| IndexError::Io {
            action,
            path,
            source,
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io("create the directory of", path))?;
    // A run killed while writing leaves its temporary file behind; it was never the index.
    if let Ok(listing) = fs::read_dir(dir) {
        let prefix = format!(".{FILE_NAME}.tmp-");
        for entry in listing.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    let tmp = dir.join(format!(".{FILE_NAME}.tmp-{}", std::process::id()));
    let mut file = fs::File::create(&tmp).map_err(io("create", &tmp))?;
    file.write_all(bytes).map_err(io("write", &tmp))?;
    file.sync_all().map_err(io("sync", &tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io("rename into place", path))?;
    // Makes the rename itself durable; not every platform can open a directory.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn entry(&mut self, bands: usize) -> Option<Entry> {
        let id_len = usize::try_from(self.varint()?).ok()?;
        let id = String::from_utf8(self.take(id_len)?.to_vec()).ok()?;
        let run = u32::try_from(self.varint()?).ok()?;
        let exact = u128::from_le_bytes(self.take(16)?.try_into().ok()?);
        let bands = (0..bands)
            .map(|_| Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?)))
            .collect::<Option<Box<[u32]>>>()?;
        let set_len = usize::try_from(self.varint()?).ok()?;
        let byte_len = usize::try_from(self.varint()?).ok()?;
        let start = self.at;
        self.take(byte_len)?;
        Some(Entry {
            id,
            run,
            exact,
            bands,
            set: start..self.at,
            set_len,
        })
    }
}
