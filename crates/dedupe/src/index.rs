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
//!
//! Opening streams the file once (checking the checksum) and keeps in memory only what
//! candidate lookup needs: per entry its id, run, exact key, band keys and where its shingle
//! set lies in the file (about 280 bytes). A set is read from the file, by position, when a
//! candidate needs verifying; a commit copies the kept entries' sets from the old file.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

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

/// An indexed article. Its band keys are in [`Index::bands`]; its shingle set stays in the
/// file.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: Box<str>,
    pub run: u32,
    pub exact: u128,
    /// Byte offset of the encoded shingle set in the file, its byte length and element count.
    set_at: u64,
    set_bytes: u32,
    set_len: u32,
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
    /// Band keys of every entry, `settings.bands` per entry.
    bands: Vec<u32>,
    /// The file the entries were read from, for their shingle sets.
    file: Option<fs::File>,
    /// The number the next commit gives its run, when the caller numbers runs (a state
    /// database does); otherwise one more than the highest recorded.
    numbered: Option<u32>,
}

/// Reads a stream while hashing it and counting its position.
struct HashingReader<R> {
    inner: R,
    hasher: Xxh3,
    at: u64,
}

impl<R: Read> HashingReader<R> {
    fn exact(&mut self, buf: &mut [u8]) -> Option<()> {
        self.inner.read_exact(buf).ok()?;
        self.hasher.update(buf);
        self.at += buf.len() as u64;
        Some(())
    }

    fn byte(&mut self) -> Option<u8> {
        let mut b = [0u8];
        self.exact(&mut b)?;
        Some(b[0])
    }

    fn varint(&mut self) -> Option<u64> {
        decode_varint(|| self.byte())
    }

    /// Reads and hashes `n` bytes without keeping them.
    fn skip(&mut self, mut n: u64, scratch: &mut [u8]) -> Option<()> {
        while n > 0 {
            let take = n.min(scratch.len() as u64) as usize;
            self.exact(&mut scratch[..take])?;
            n -= take as u64;
        }
        Some(())
    }

    fn entry(&mut self, bands: usize, keys: &mut Vec<u32>, scratch: &mut [u8]) -> Option<Entry> {
        let id_len = usize::try_from(self.varint()?).ok()?;
        let mut id = vec![0u8; id_len.min(1 << 20)];
        if id.len() != id_len {
            return None;
        }
        self.exact(&mut id)?;
        let id = String::from_utf8(id).ok()?.into_boxed_str();
        let run = u32::try_from(self.varint()?).ok()?;
        let mut exact = [0u8; 16];
        self.exact(&mut exact)?;
        for _ in 0..bands {
            let mut key = [0u8; 4];
            self.exact(&mut key)?;
            keys.push(u32::from_le_bytes(key));
        }
        let set_len = u32::try_from(self.varint()?).ok()?;
        let set_bytes = u32::try_from(self.varint()?).ok()?;
        let set_at = self.at;
        self.skip(u64::from(set_bytes), scratch)?;
        Some(Entry {
            id,
            run,
            exact: u128::from_le_bytes(exact),
            set_at,
            set_bytes,
            set_len,
        })
    }
}

impl Index {
    /// Opens `<state_dir>/dedupe/index.bin`, or starts an empty index when there is none yet.
    /// An index built with other settings is refused.
    pub fn open(state_dir: &Path, settings: Settings) -> Result<Index, IndexError> {
        let path = state_dir.join("dedupe").join(FILE_NAME);
        let empty = |path: PathBuf, settings: Settings| Index {
            path,
            settings,
            runs: Vec::new(),
            entries: Vec::new(),
            bands: Vec::new(),
            file: None,
            numbered: None,
        };
        let file = match fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(empty(path, settings));
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
        let len = file.metadata().map_err(io("read", &path))?.len();
        let body_len = len
            .checked_sub(8)
            .filter(|&n| n >= MAGIC.len() as u64)
            .ok_or_else(|| damaged("not a newsmill dedupe index"))?;
        let mut reader = HashingReader {
            inner: BufReader::with_capacity(1 << 16, (&file).take(body_len)),
            hasher: Xxh3::new(),
            at: 0,
        };
        let mut magic = vec![0u8; MAGIC.len()];
        reader
            .exact(&mut magic)
            .filter(|()| magic == MAGIC)
            .ok_or_else(|| damaged("not a newsmill dedupe index"))?;
        let mut line = Vec::new();
        loop {
            match reader.byte() {
                Some(b'\n') => break,
                Some(b) if line.len() < 1 << 24 => line.push(b),
                _ => return Err(damaged("no header line")),
            }
        }
        let header: Header =
            serde_json::from_slice(&line).map_err(|e| damaged(&format!("header: {e}")))?;
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
        let mut entries = Vec::with_capacity(header.entries.min(1 << 24));
        let mut bands = Vec::with_capacity(header.entries.min(1 << 24) * settings.bands);
        let mut scratch = vec![0u8; 1 << 16];
        for _ in 0..header.entries {
            let entry = reader
                .entry(settings.bands, &mut bands, &mut scratch)
                .ok_or_else(|| damaged("truncated entry"))?;
            entries.push(entry);
        }
        if reader.at != body_len {
            return Err(damaged("trailing bytes after the entries"));
        }
        let mut stored = [0u8; 8];
        let mut tail = reader.inner.into_inner().into_inner();
        tail.read_exact(&mut stored)
            .map_err(|_| damaged("checksum missing"))?;
        if u64::from_le_bytes(stored) != reader.hasher.digest() {
            return Err(damaged("checksum mismatch"));
        }
        entries.shrink_to_fit();
        bands.shrink_to_fit();
        Ok(Index {
            path,
            settings,
            runs: header.runs,
            entries,
            bands,
            file: Some(file),
            numbered: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Forgets the entries with these ids (documents a state database is replacing, because
    /// the input they came from changed). Returns the entries forgotten.
    pub fn forget_ids(&mut self, ids: &std::collections::HashSet<String>) -> usize {
        if ids.is_empty() {
            return 0;
        }
        self.retain_entries(|entry| !ids.contains(&*entry.id))
    }

    /// Numbers the run the next commit records (runs at or above it are forgotten first).
    pub fn number_next_run(&mut self, run: u32) -> usize {
        self.numbered = Some(run);
        self.forget_runs_from(run)
    }

    /// Forgets the entries and run records of runs numbered `run` or higher: with a state
    /// database, those were written by runs killed after committing the index but before the
    /// driver committed the run, so the state says they never happened. Their sets stay in the
    /// file and are simply not copied by the next commit. Returns the entries forgotten.
    pub fn forget_runs_from(&mut self, run: u32) -> usize {
        self.runs.retain(|r| r.run < run);
        self.retain_entries(|entry| entry.run < run)
    }

    /// Keeps the entries `keep` accepts, with their band keys; returns how many went.
    fn retain_entries(&mut self, keep: impl Fn(&Entry) -> bool) -> usize {
        let bands = self.settings.bands;
        let before = self.entries.len();
        let mut kept_bands = Vec::with_capacity(self.bands.len());
        let mut k = 0;
        self.entries.retain(|entry| {
            let kept = keep(entry);
            if kept {
                kept_bands.extend_from_slice(
                    self.bands
                        .get(k * bands..(k + 1) * bands)
                        .unwrap_or_default(),
                );
            }
            k += 1;
            kept
        });
        kept_bands.shrink_to_fit();
        self.bands = kept_bands;
        before - self.entries.len()
    }

    /// When `run` started (RFC 3339), or "run N" for a run recorded without a start time.
    pub fn run_started(&self, run: u32) -> String {
        match self.runs.iter().find(|r| r.run == run) {
            Some(r) if !r.started.is_empty() => r.started.clone(),
            _ => format!("run {run}"),
        }
    }

    /// The LSH band keys of entry `e`.
    pub fn bands(&self, e: usize) -> &[u32] {
        let n = self.settings.bands;
        self.bands.get(e * n..(e + 1) * n).unwrap_or_default()
    }

    /// Bytes the in-memory index takes per entry (structs, ids and band keys; the shingle
    /// sets stay in the file).
    pub fn memory_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.entries.iter().map(|e| e.id.len()).sum::<usize>()
            + self.bands.capacity() * 4
    }

    fn set_bytes(&self, entry: &Entry) -> Result<Vec<u8>, IndexError> {
        let mut bytes = vec![0u8; entry.set_bytes as usize];
        if bytes.is_empty() {
            return Ok(bytes);
        }
        let file = self.file.as_ref().ok_or_else(|| IndexError::Damaged {
            path: self.path.clone(),
            detail: "an entry without its file".to_string(),
        })?;
        crate::spill::read_exact_at(file, &mut bytes, entry.set_at).map_err(|source| {
            IndexError::Io {
                action: "read",
                path: self.path.clone(),
                source,
            }
        })?;
        Ok(bytes)
    }

    /// The decoded shingle set of an entry, read from the file.
    pub fn set(&self, entry: &Entry) -> Result<Vec<u32>, IndexError> {
        let bytes = self.set_bytes(entry)?;
        let mut out = Vec::with_capacity(entry.set_len as usize);
        let mut reader = Reader {
            bytes: &bytes,
            at: 0,
        };
        let mut value = 0u32;
        for _ in 0..entry.set_len {
            let Some(gap) = reader.varint() else { break };
            value = value.wrapping_add(gap as u32);
            out.push(value);
        }
        Ok(out)
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
        let entry = |k: usize| {
            new.get(k)
                .map(|e| NewEntry {
                    id: e.id.clone(),
                    exact: e.exact,
                    bands: e.bands.clone(),
                    set: e.set.clone(),
                })
                .ok_or_else(|| std::io::Error::other("no such new entry"))
        };
        self.commit_with(new.len(), entry, started, now, bounds)
    }

    /// [`Index::commit`] with the `count` new entries produced one at a time by `entry(k)`,
    /// so that a run's new sets are never all in memory.
    pub fn commit_with(
        &self,
        count: usize,
        mut entry: impl FnMut(usize) -> std::io::Result<NewEntry>,
        started: &str,
        now: u64,
        bounds: Bounds,
    ) -> Result<usize, IndexError> {
        let run = self
            .numbered
            .unwrap_or_else(|| self.runs.iter().map(|r| r.run).max().unwrap_or(0) + 1);
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
        let old: Vec<usize> = (0..self.entries.len())
            .filter(|&e| !too_old(self.entries[e].run))
            .collect();
        let total = old.len() + count;
        let skip = if bounds.max_entries > 0 {
            total.saturating_sub(bounds.max_entries)
        } else {
            0
        };
        let new = skip.saturating_sub(old.len()).min(count)..count;
        let old = &old[skip.min(old.len())..];
        let mut kept_runs: BTreeMap<u32, ()> =
            old.iter().map(|&e| (self.entries[e].run, ())).collect();
        if !new.is_empty() {
            kept_runs.insert(run, ());
        }
        runs.retain(|r| kept_runs.contains_key(&r.run));
        let written = old.len() + new.len();
        let header = Header {
            format: FORMAT,
            settings: self.settings.clone(),
            runs,
            entries: written,
        };
        write_atomically(&self.path, |out| {
            out.write_all(MAGIC)?;
            out.write_all(&serde_json::to_vec(&header).unwrap_or_default())?;
            out.write_all(b"\n")?;
            let mut entry_bytes = Vec::new();
            for &e in old {
                let entry = &self.entries[e];
                let set = self.set_bytes(entry).map_err(std::io::Error::other)?;
                entry_bytes.clear();
                write_entry(
                    &mut entry_bytes,
                    &entry.id,
                    entry.run,
                    entry.exact,
                    self.bands(e),
                    entry.set_len as usize,
                    &set,
                );
                out.write_all(&entry_bytes)?;
            }
            let mut encoded = Vec::new();
            for k in new.clone() {
                let e = entry(k)?;
                encoded.clear();
                let mut previous = 0u32;
                for &v in &e.set {
                    put_varint(&mut encoded, u64::from(v.wrapping_sub(previous)));
                    previous = v;
                }
                entry_bytes.clear();
                write_entry(
                    &mut entry_bytes,
                    &e.id,
                    run,
                    e.exact,
                    &e.bands,
                    e.set.len(),
                    &encoded,
                );
                out.write_all(&entry_bytes)?;
            }
            Ok(())
        })?;
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

/// Writes through to a file while hashing what was written.
struct HashingWriter<W> {
    inner: W,
    hasher: Xxh3,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `map_err` adapter: an I/O failure while doing `action` on `path`.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> IndexError {
    let path = path.to_path_buf();
    move |source| IndexError::Io {
        action,
        path,
        source,
    }
}

/// Temporary file, fsync, rename over the old file, fsync the directory: after a crash the
/// path holds either the old index or the new one, never a mix. `body` writes everything
/// before the checksum, which is appended here.
fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), IndexError> {
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
    let file = fs::File::create(&tmp).map_err(io("create", &tmp))?;
    let mut out = HashingWriter {
        inner: BufWriter::with_capacity(1 << 16, file),
        hasher: Xxh3::new(),
    };
    body(&mut out).map_err(io("write", &tmp))?;
    let checksum = out.hasher.digest();
    let mut file = out.inner;
    file.write_all(&checksum.to_le_bytes())
        .map_err(io("write", &tmp))?;
    let file = file
        .into_inner()
        .map_err(|e| io("write", &tmp)(e.into_error()))?;
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

/// The LEB128 varint whose bytes `next_byte` yields; `None` when they run out or overflow.
fn decode_varint(mut next_byte: impl FnMut() -> Option<u8>) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = next_byte()?;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Option<u64> {
        decode_varint(|| {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            Some(b)
        })
    }
}
