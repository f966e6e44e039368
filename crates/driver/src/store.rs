//! The state database of scheduled runs: `<state>/state.sqlite`.
//!
//! It records the inputs each run read (path, size, modification time, content digest), the
//! documents those inputs became (as they left the pipeline, zstd-compressed JSON), the
//! input-level rejections, and the runs. A run reads only inputs that are new or whose content
//! changed, and its sinks repeat the stored documents of the others, so the outputs stay
//! cumulative while no input is processed twice.
//!
//! Crash safety rests on one write transaction per run: it is opened before the run writes any
//! document, holds the replaced and the new rows, and commits only after every stage has
//! finished (outputs complete under temporary names, the dedupe index written), together with
//! the list of renames that publish the outputs. A run killed before the commit leaves the
//! database as the previous run left it (SQLite rolls the transaction back); one killed after
//! it has its publication finished by the next run, which starts by repeating the pending
//! renames.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, params};

use newsmill_core::{Document, Rejection, RunInfo, Staged};
use newsmill_ingest::InputFile;

/// The database's file name in the state directory.
pub const STATE_DB: &str = "state.sqlite";
/// Bumped when the schema changes in a way older newsmill cannot read.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    committed TEXT NOT NULL,
    version TEXT NOT NULL,
    config_digest TEXT NOT NULL,
    documents INTEGER NOT NULL,
    articles INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    -- JSON list of the files the run published, to tell whether its outputs are still there.
    outputs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inputs (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    run INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    input TEXT NOT NULL,
    id TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (run, seq)
);
CREATE INDEX IF NOT EXISTS documents_by_input ON documents (input);
CREATE TABLE IF NOT EXISTS rejections (
    input TEXT NOT NULL,
    run INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    rejection TEXT NOT NULL,
    PRIMARY KEY (input, ordinal)
);
CREATE TABLE IF NOT EXISTS publish (
    ordinal INTEGER PRIMARY KEY,
    temp BLOB NOT NULL,
    target BLOB NOT NULL
);
";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the state database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the state database {path} has schema version {found}, newer than this newsmill reads ({SCHEMA_VERSION}); use the newsmill that wrote it"
    )]
    NewerSchema { path: PathBuf, found: i64 },
    #[error("the state database {path} holds a damaged {what}: {detail}")]
    Damaged {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("cannot read the input {path} to digest it: {source}")]
    Input {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot finish publishing the outputs of an earlier run: {0}")]
    Publish(String),
}

/// What identifies an input's content without reading it (size, modification time), and what
/// identifies it when those changed (the digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    pub mtime_ns: i64,
    pub digest: String,
}

/// An input as it was recorded (if it was) and as it is now.
type Looked = (InputFile, Option<Fingerprint>, Fingerprint);

/// The last committed run.
#[derive(Clone, Debug)]
pub struct LastRun {
    pub run: u64,
    pub config_digest: String,
    pub outputs: Vec<PathBuf>,
}

/// The inputs of this run, sorted into those to read and those to skip.
#[derive(Debug, Default)]
pub struct Classified {
    /// Inputs to read, in listing order, with their fingerprints.
    pub to_read: Vec<(InputFile, Fingerprint)>,
    pub new_inputs: u64,
    pub changed_inputs: u64,
    pub unchanged_inputs: u64,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    in_transaction: bool,
}

impl Store {
    /// Opens (creating when absent) the state database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(STATE_DB);
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(sql)?;
        // A rollback journal with full syncs: a commit is on disk when COMMIT returns, and an
        // interrupted transaction is rolled back by the next connection.
        conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;")
            .map_err(sql)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path,
                found: version,
            });
        }
        conn.execute_batch(SCHEMA).map_err(sql)?;
        conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(sql)?;
        Ok(Store {
            conn,
            path,
            in_transaction: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Finishes the publication of a run killed after its commit: repeats its renames (those
    /// done already are skipped) and clears the list. Returns how many files it covered.
    pub fn roll_forward(&mut self) -> Result<usize, StoreError> {
        let pending: Vec<Staged> = {
            let mut stmt = self
                .conn
                .prepare("SELECT temp, target FROM publish ORDER BY ordinal")
                .map_err(self.sql())?;
            stmt.query_map([], |r| {
                Ok(Staged {
                    temp: path_from_bytes(r.get::<_, Vec<u8>>(0)?),
                    target: path_from_bytes(r.get::<_, Vec<u8>>(1)?),
                })
            })
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?
        };
        if pending.is_empty() {
            return Ok(0);
        }
        // A file whose temporary name and target are both gone (an output directory removed
        // by hand since) cannot be published; the outputs are then incomplete, which the
        // nothing-new check notices, so this run writes them again.
        let (present, lost): (Vec<Staged>, Vec<Staged>) = pending
            .into_iter()
            .partition(|s| s.temp.exists() || s.target.exists());
        for s in &lost {
            tracing::warn!(path = %s.target.display(), "An output of the previous run was lost before it could be put in place; this run writes the outputs again.");
        }
        newsmill_core::publish(&present).map_err(|e| StoreError::Publish(e.to_string()))?;
        let pending = present;
        self.conn
            .execute("DELETE FROM publish", [])
            .map_err(self.sql())?;
        Ok(pending.len())
    }

    pub fn last_run(&self) -> Result<Option<LastRun>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT run, config_digest, outputs FROM runs ORDER BY run DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(self.sql())?;
        let Some((run, config_digest, outputs)) = row else {
            return Ok(None);
        };
        let outputs: Vec<String> =
            serde_json::from_str(&outputs).map_err(|e| StoreError::Damaged {
                path: self.path.clone(),
                what: "run record",
                detail: e.to_string(),
            })?;
        Ok(Some(LastRun {
            run: u64::try_from(run).unwrap_or(0),
            config_digest,
            outputs: outputs.into_iter().map(PathBuf::from).collect(),
        }))
    }

    /// Sorts `files` into new, changed and unchanged inputs. Size and modification time
    /// decide when both match what was recorded; otherwise the content digest does (a file
    /// copied back or touched keeps its digest, and its new time is recorded).
    pub fn classify(&mut self, files: Vec<InputFile>) -> Result<Classified, StoreError> {
        let known: HashMap<String, Fingerprint> = {
            let mut stmt = self
                .conn
                .prepare("SELECT path, size, mtime_ns, digest FROM inputs")
                .map_err(self.sql())?;
            stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Fingerprint {
                        size: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(u64::MAX),
                        mtime_ns: r.get(2)?,
                        digest: r.get(3)?,
                    },
                ))
            })
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?
        };
        // Digests read the files; do that on all cores.
        let looked: Vec<Looked> = files
            .into_par_iter()
            .map(|file| {
                let (size, mtime_ns) = stat(&file);
                let before = known.get(&file.display).cloned();
                if let Some(b) = &before
                    && b.size == size
                    && b.mtime_ns == mtime_ns
                {
                    let now = b.clone();
                    return (file, before, now);
                }
                // An input that cannot be read is read (and rejected, with the reason) by the
                // run, and not recorded, so every run tries it again.
                let digest = digest_file(&file).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "An input could not be read to digest it; the run reads it and lists the error in the rejected table.");
                    String::new()
                });
                let now = Fingerprint {
                    size,
                    mtime_ns,
                    digest,
                };
                (file, before, now)
            })
            .collect();
        let mut out = Classified::default();
        let mut touched = Vec::new();
        for (file, before, now) in looked {
            match before {
                Some(_) if now.digest.is_empty() => {
                    out.changed_inputs += 1;
                    out.to_read.push((file, now));
                }
                None => {
                    out.new_inputs += 1;
                    out.to_read.push((file, now));
                }
                Some(b) if b.digest != now.digest => {
                    out.changed_inputs += 1;
                    out.to_read.push((file, now));
                }
                Some(b) => {
                    out.unchanged_inputs += 1;
                    if b != now {
                        touched.push((file.display, now));
                    }
                }
            }
        }
        if !touched.is_empty() {
            let tx = self
                .conn
                .transaction()
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
            for (path, fp) in &touched {
                tx.execute(
                    "UPDATE inputs SET size = ?1, mtime_ns = ?2 WHERE path = ?3",
                    params![fp.size as i64, fp.mtime_ns, path],
                )
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
            }
            tx.commit().map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
            tracing::info!(
                inputs = touched.len(),
                "Recorded new modification times of inputs whose content did not change."
            );
        }
        Ok(out)
    }

    /// Ids of the documents stored for these inputs (those of inputs read again).
    pub fn ids_of_inputs(&self, inputs: &[&str]) -> Result<HashSet<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM documents WHERE input = ?1")
            .map_err(self.sql())?;
        let mut out = HashSet::new();
        for input in inputs {
            let ids = stmt
                .query_map([input], |r| r.get::<_, String>(0))
                .map_err(self.sql())?;
            for id in ids {
                out.insert(id.map_err(self.sql())?);
            }
        }
        Ok(out)
    }

    /// Opens the run's transaction and removes what earlier runs stored for the inputs this
    /// run reads again.
    pub fn begin(&mut self, rereading: &[&str]) -> Result<(), StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.sql())?;
        self.in_transaction = true;
        for path in rereading {
            for table in ["documents", "rejections"] {
                self.conn
                    .execute(&format!("DELETE FROM {table} WHERE input = ?1"), [path])
                    .map_err(self.sql())?;
            }
        }
        Ok(())
    }

    /// Abandons the run's transaction (the run failed).
    pub fn rollback(&mut self) {
        if self.in_transaction {
            self.in_transaction = false;
            if let Err(error) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(%error, "Could not roll back the state database's transaction; the next run's connection will.");
            }
        }
    }

    /// Hashes of the ids of the stored documents, so this run's new ids can be kept apart.
    pub fn earlier_id_hashes(
        &self,
        hash: impl Fn(&str) -> u64,
    ) -> Result<HashSet<u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM documents")
            .map_err(self.sql())?;
        let mut rows = stmt.query([]).map_err(self.sql())?;
        let mut out = HashSet::new();
        while let Some(row) = rows.next().map_err(self.sql())? {
            let id: String = row.get(0).map_err(self.sql())?;
            out.insert(hash(&id));
        }
        Ok(out)
    }

    /// The stored input-level rejections, in the order they were produced.
    pub fn earlier_rejections(&self) -> Result<Vec<Rejection>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT rejection FROM rejections ORDER BY run, input, ordinal")
            .map_err(self.sql())?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        rows.iter()
            .map(|json| {
                serde_json::from_str(json).map_err(|e| StoreError::Damaged {
                    path: self.path.clone(),
                    what: "rejection",
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    /// Streams the stored documents in the order their runs produced them, `batch` at a time,
    /// decoded on all cores. Returns how many there were.
    pub fn earlier_documents<E: From<StoreError>>(
        &self,
        batch: usize,
        mut each: impl FnMut(Vec<Document>) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut stmt = self
            .conn
            .prepare("SELECT run, seq, doc FROM documents ORDER BY run, seq")
            .map_err(self.sql())?;
        let mut rows = stmt.query([]).map_err(self.sql())?;
        let mut blobs: Vec<(i64, i64, Vec<u8>)> = Vec::with_capacity(batch);
        let mut count = 0u64;
        loop {
            let row = rows.next().map_err(self.sql())?;
            let end = row.is_none();
            if let Some(row) = row {
                blobs.push((
                    row.get(0).map_err(self.sql())?,
                    row.get(1).map_err(self.sql())?,
                    row.get(2).map_err(self.sql())?,
                ));
            }
            if blobs.len() >= batch.max(1) || (end && !blobs.is_empty()) {
                let path = &self.path;
                let docs = std::mem::take(&mut blobs)
                    .into_par_iter()
                    .map(|(run, seq, blob)| {
                        decode_document(&blob).map_err(|detail| StoreError::Damaged {
                            path: path.clone(),
                            what: "document",
                            detail: format!("run {run}, document {seq}: {detail}"),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                count += docs.len() as u64;
                each(docs)?;
            }
            if end {
                return Ok(count);
            }
        }
    }

    /// Stores a batch of this run's documents as they left the pipeline.
    pub fn save_documents(&mut self, run: u64, docs: &[Document]) -> Result<(), StoreError> {
        let encoded: Vec<Vec<u8>> = docs
            .par_iter()
            .map(encode_document)
            .collect::<Result<_, _>>()
            .map_err(|detail| StoreError::Damaged {
                path: self.path.clone(),
                what: "document to store",
                detail,
            })?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO documents (run, seq, input, id, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(self.sql())?;
        for (doc, blob) in docs.iter().zip(&encoded) {
            stmt.execute(params![
                run as i64,
                doc.seq as i64,
                doc.source,
                doc.id,
                blob
            ])
            .map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Records the run and the renames that will publish its outputs, and commits everything
    /// the run stored. From here on the run counts, whatever happens to the process.
    pub fn commit(
        &mut self,
        run: u64,
        info: &RunInfo,
        read: &[(InputFile, Fingerprint)],
        staged: &[Staged],
    ) -> Result<(), StoreError> {
        let sql = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let per_input: HashMap<&str, (u64, u64)> = info
            .inputs
            .iter()
            .map(|i| (i.path.as_str(), (i.documents, i.rejected)))
            .collect();
        for (file, fp) in read {
            if fp.digest.is_empty() {
                // Unreadable when this run started: not recorded, so the next run tries again.
                continue;
            }
            let (documents, rejected) = per_input
                .get(file.display.as_str())
                .copied()
                .unwrap_or((0, 0));
            self.conn
                .execute(
                    "INSERT OR REPLACE INTO inputs (path, size, mtime_ns, digest, run, documents, rejected) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        file.display,
                        fp.size as i64,
                        fp.mtime_ns,
                        fp.digest,
                        run as i64,
                        documents as i64,
                        rejected as i64
                    ],
                )
                .map_err(sql)?;
        }
        let read_paths: HashSet<&str> = read
            .iter()
            .filter(|(_, fp)| !fp.digest.is_empty())
            .map(|(f, _)| f.display.as_str())
            .collect();
        let mut ordinals: HashMap<&str, i64> = HashMap::new();
        for rejection in &info.rejections {
            // Inputs that could not even be listed (a missing path) are not stored: the next
            // run looks for them again and reports them again.
            if !read_paths.contains(rejection.source.as_str()) {
                continue;
            }
            let ordinal = ordinals.entry(rejection.source.as_str()).or_insert(0);
            *ordinal += 1;
            let json = serde_json::to_string(rejection).map_err(|e| StoreError::Damaged {
                path: self.path.clone(),
                what: "rejection to store",
                detail: e.to_string(),
            })?;
            self.conn
                .execute(
                    "INSERT OR REPLACE INTO rejections (input, run, ordinal, rejection) VALUES (?1, ?2, ?3, ?4)",
                    params![rejection.source, run as i64, *ordinal, json],
                )
                .map_err(sql)?;
        }
        let outputs: Vec<String> = staged
            .iter()
            .map(|s| absolute(&s.target).display().to_string())
            .collect();
        let committed = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.conn
            .execute(
                "INSERT INTO runs (run, started, committed, version, config_digest, documents, articles, rejected, outputs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run as i64,
                    info.started,
                    committed,
                    info.version,
                    info.config_digest,
                    info.documents as i64,
                    info.articles as i64,
                    info.rejected as i64,
                    serde_json::to_string(&outputs).unwrap_or_else(|_| "[]".into())
                ],
            )
            .map_err(sql)?;
        self.conn.execute("DELETE FROM publish", []).map_err(sql)?;
        for (k, s) in staged.iter().enumerate() {
            self.conn
                .execute(
                    "INSERT INTO publish (ordinal, temp, target) VALUES (?1, ?2, ?3)",
                    params![
                        k as i64,
                        path_bytes(&absolute(&s.temp)),
                        path_bytes(&absolute(&s.target))
                    ],
                )
                .map_err(sql)?;
        }
        self.conn.execute_batch("COMMIT").map_err(sql)?;
        self.in_transaction = false;
        Ok(())
    }

    /// Clears the publication list once every rename is done.
    pub fn published(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM publish", [])
            .map_err(self.sql())?;
        Ok(())
    }
}

/// Paths are recorded absolute: the next run may start from another directory.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn stat(file: &InputFile) -> (u64, i64) {
    match std::fs::metadata(&file.path) {
        Ok(meta) => {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            (meta.len(), mtime)
        }
        Err(_) => (file.bytes, 0),
    }
}

/// xxh3-128 of the file's bytes: fast enough to digest a corpus on every run that touches it.
fn digest_file(file: &InputFile) -> Result<String, StoreError> {
    let error = |source| StoreError::Input {
        path: file.display.clone(),
        source,
    };
    let mut handle = std::fs::File::open(&file.path).map_err(error)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = handle.read(&mut buf).map_err(error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("xxh3-128:{:032x}", hasher.digest128()))
}

fn encode_document(doc: &Document) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec(doc).map_err(|e| e.to_string())?;
    zstd::bulk::compress(&json, 3).map_err(|e| e.to_string())
}

fn decode_document(blob: &[u8]) -> Result<Document, String> {
    let json = zstd::stream::decode_all(blob).map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsmill_ingest::Format;

    fn input(dir: &Path, name: &str, text: &str) -> InputFile {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        InputFile {
            path,
            display: format!("input/{name}"),
            relative: name.to_string(),
            format: Format::Text,
            bytes: text.len() as u64,
        }
    }

    fn doc(file: &InputFile, seq: u64, text: &str) -> Document {
        Document {
            id: format!("{}#{seq}", file.relative),
            seq,
            source: file.display.clone(),
            text: text.to_string(),
            ..Document::default()
        }
    }

    /// One committed run that read `files`, each becoming one document.
    fn commit_run(store: &mut Store, run: u64, files: Vec<InputFile>) {
        let classified = store.classify(files).unwrap();
        let rereading: Vec<String> = classified
            .to_read
            .iter()
            .map(|(f, _)| f.display.clone())
            .collect();
        let rereading: Vec<&str> = rereading.iter().map(String::as_str).collect();
        store.begin(&rereading).unwrap();
        let docs: Vec<Document> = classified
            .to_read
            .iter()
            .enumerate()
            .map(|(k, (f, _))| {
                doc(
                    f,
                    k as u64,
                    &std::fs::read_to_string(&f.path).unwrap_or_default(),
                )
            })
            .collect();
        store.save_documents(run, &docs).unwrap();
        let info = RunInfo {
            started: format!("run {run}"),
            ..RunInfo::default()
        };
        store.commit(run, &info, &classified.to_read, &[]).unwrap();
        store.published().unwrap();
    }

    fn stored_texts(store: &Store) -> Vec<String> {
        let mut texts = Vec::new();
        store
            .earlier_documents(2, |docs| {
                texts.extend(docs.into_iter().map(|d| d.text));
                Ok::<(), StoreError>(())
            })
            .unwrap();
        texts
    }

    #[test]
    fn inputs_are_new_changed_or_unchanged_and_documents_come_back_in_run_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let a = input(dir.path(), "a.txt", "alpha");
        let b = input(dir.path(), "b.txt", "bravo");
        commit_run(&mut store, 1, vec![a.clone(), b.clone()]);
        assert_eq!(store.last_run().unwrap().map(|r| r.run), Some(1));

        // Unchanged: skipped. Touched with the same bytes: skipped, its new time recorded.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&b.path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let c = input(dir.path(), "c.txt", "charlie");
        let classified = store
            .classify(vec![a.clone(), b.clone(), c.clone()])
            .unwrap();
        assert_eq!(
            (
                classified.new_inputs,
                classified.changed_inputs,
                classified.unchanged_inputs
            ),
            (1, 0, 2)
        );
        assert_eq!(classified.to_read[0].0, c);
        let again = store.classify(vec![b.clone()]).unwrap();
        assert_eq!(
            again.unchanged_inputs, 1,
            "the touched file's time was recorded"
        );

        // Changed bytes: read again, its earlier document replaced.
        let a2 = input(dir.path(), "a.txt", "alpha, corrected");
        let classified = store.classify(vec![a2.clone(), b.clone()]).unwrap();
        assert_eq!(classified.changed_inputs, 1);
        assert_eq!(
            store.ids_of_inputs(&["input/a.txt"]).unwrap(),
            HashSet::from(["a.txt#0".to_string()])
        );
        commit_run(&mut store, 2, vec![a2, b]);
        assert_eq!(stored_texts(&store), vec!["bravo", "alpha, corrected"]);
    }

    #[test]
    fn an_input_that_cannot_be_read_is_read_by_every_run_and_never_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let a = input(dir.path(), "a.txt", "alpha");
        // Listed, then gone before it could be digested (or unreadable for lack of rights).
        let gone = input(dir.path(), "gone.txt", "golf");
        std::fs::remove_file(&gone.path).unwrap();
        let classified = store.classify(vec![a.clone(), gone.clone()]).unwrap();
        assert_eq!(
            classified.to_read.len(),
            2,
            "the run reads it and rejects it"
        );
        commit_run(&mut store, 1, vec![a.clone(), gone.clone()]);
        let again = store.classify(vec![a, gone.clone()]).unwrap();
        assert_eq!(again.unchanged_inputs, 1);
        assert_eq!(again.to_read.len(), 1);
        assert_eq!(again.to_read[0].0, gone);
    }

    #[test]
    fn a_run_that_never_commits_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let a = input(dir.path(), "a.txt", "alpha");
        commit_run(&mut store, 1, vec![a.clone()]);
        let b = input(dir.path(), "b.txt", "bravo");
        store.begin(&["input/a.txt"]).unwrap();
        store.save_documents(2, &[doc(&b, 0, "bravo")]).unwrap();
        // Killed here: the connection goes away without a commit.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(stored_texts(&store), vec!["alpha"]);
        assert_eq!(store.last_run().unwrap().map(|r| r.run), Some(1));
    }

    #[test]
    fn a_committed_publication_is_finished_by_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let staged: Vec<Staged> = ["articles.csv", "lost.csv", "run.json"]
            .iter()
            .map(|name| Staged {
                temp: out.join(format!(".{name}.tmp")),
                target: out.join(name),
            })
            .collect();
        std::fs::write(&staged[0].temp, "new table").unwrap();
        std::fs::write(&staged[2].temp, "{}").unwrap();
        store.begin(&[]).unwrap();
        store.commit(1, &RunInfo::default(), &[], &staged).unwrap();
        // Killed before renaming: the next run's open finishes the job, skipping what is lost.
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.roll_forward().unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(out.join("articles.csv")).unwrap(),
            "new table"
        );
        assert!(out.join("run.json").exists());
        assert!(!staged[0].temp.exists());
        assert_eq!(store.roll_forward().unwrap(), 0, "the list is cleared");
    }
}
