//! Site repetition in sharded runs: the observer's line counts and the decision's line hashes
//! as files, so that shards observe in separate processes and one merge step decides.
//!
//! Both files are fixed-size little-endian records between a header and a checksum, written
//! in hash order so that the same observations always give the same bytes:
//!
//! ```text
//! site-lines.bin   "NMCLSOBS" version:u32 quotes:u8 sites:u64 lines:u64
//!                  sites × (site hash:u64, documents:u32, short lines:u64, prose lines:u64)
//!                  lines × (line hash:u64, documents:u32)                  12 bytes each
//!                  FNV-1a 64 of every byte before it:u64
//! site-repeats.bin "NMCLSDEC" version:u32 sites:u64 lines:u64
//!                  lines × (line hash:u64)
//!                  FNV-1a 64:u64
//! ```
//!
//! The lines come grouped by site in the order of the site table, short lines then lines that
//! read as prose, so a line record needs neither its site nor its kind: most of the file is
//! line records, one per distinct (site, line) pair a shard saw.
//!
//! The header's counts must account for the file's exact length and the checksum must match,
//! so a truncated, damaged or foreign file is refused with its path instead of deciding from
//! garbage. Files are read as a stream: a loaded observer costs what the observer costs, not
//! that plus the file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use newsmill_core::StageError;

use crate::config::QuoteStyle;
use crate::site::{LineCount, SiteObserver, SiteRepeats};

/// The observer's file in a shard's observer directory.
pub const OBSERVER_FILE: &str = "site-lines.bin";
/// The decision's file in the decision directory.
pub const DECISION_FILE: &str = "site-repeats.bin";

const OBSERVER_MAGIC: &[u8; 8] = b"NMCLSOBS";
const DECISION_MAGIC: &[u8; 8] = b"NMCLSDEC";
const VERSION: u32 = 1;

const OBSERVER_HEADER: u64 = 8 + 4 + 1 + 8 + 8;
const DECISION_HEADER: u64 = 8 + 4 + 8 + 8;
const SITE_RECORD: u64 = 8 + 4 + 8 + 8;
const LINE_RECORD: u64 = 8 + 4;
const HASH_RECORD: u64 = 8;
const CHECKSUM: u64 = 8;

/// Why a state file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("clean: cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("clean: {path} is not a usable site-repetition file: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

impl From<StateFileError> for StageError {
    fn from(e: StateFileError) -> StageError {
        match e {
            StateFileError::Io {
                action,
                path,
                source,
            } => StageError::Io {
                action,
                path,
                source,
            },
            invalid @ StateFileError::Invalid { .. } => StageError::Other(invalid.to_string()),
        }
    }
}

/// Writes the observer's counts into `dir`.
pub fn save_observer(observer: &SiteObserver, dir: &Path) -> Result<(), StateFileError> {
    let mut sites: BTreeMap<u64, SiteLines> = observer
        .docs
        .iter()
        .map(|(site, docs)| (*site, SiteLines::new(*docs)))
        .collect();
    for (hash, count) in &observer.lines {
        // Every counted line's site counts documents; a default keeps the file whole if not.
        let site = sites.entry(count.site).or_insert_with(|| SiteLines::new(0));
        let kind = if count.prose {
            &mut site.prose
        } else {
            &mut site.short
        };
        kind.push((*hash, count.docs));
    }
    write_atomically(&dir.join(OBSERVER_FILE), |out| {
        out.write_all(OBSERVER_MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        out.write_all(&[quote_code(observer.quotes)])?;
        out.write_all(&(sites.len() as u64).to_le_bytes())?;
        out.write_all(&(observer.lines.len() as u64).to_le_bytes())?;
        for (hash, site) in &mut sites {
            site.short.sort_unstable();
            site.prose.sort_unstable();
            out.write_all(&hash.to_le_bytes())?;
            out.write_all(&site.docs.to_le_bytes())?;
            out.write_all(&(site.short.len() as u64).to_le_bytes())?;
            out.write_all(&(site.prose.len() as u64).to_le_bytes())?;
        }
        for site in sites.values() {
            for (hash, docs) in site.short.iter().chain(&site.prose) {
                out.write_all(&hash.to_le_bytes())?;
                out.write_all(&docs.to_le_bytes())?;
            }
        }
        Ok(())
    })
}

/// One site's entry in the observer file.
struct SiteLines {
    docs: u32,
    short: Vec<(u64, u32)>,
    prose: Vec<(u64, u32)>,
}

impl SiteLines {
    fn new(docs: u32) -> SiteLines {
        SiteLines {
            docs,
            short: Vec::new(),
            prose: Vec::new(),
        }
    }
}

/// Reads an observer written by [`save_observer`] from `dir`. `quotes` is the loading stage's
/// setting: lines split under another quote style would count different keys.
pub fn load_observer(dir: &Path, quotes: QuoteStyle) -> Result<SiteObserver, StateFileError> {
    let path = dir.join(OBSERVER_FILE);
    let mut input = StateReader::open(&path, OBSERVER_MAGIC)?;
    let quote_byte = input.u8()?;
    if quote_byte != quote_code(quotes) {
        return Err(input.invalid(format!(
            "it counts lines split with quote style {}, but this stage is configured with {}",
            quote_name(quote_byte),
            quote_name(quote_code(quotes))
        )));
    }
    let site_count = input.u64()?;
    let line_count = input.u64()?;
    input.expect_length(
        OBSERVER_HEADER,
        &[(site_count, SITE_RECORD), (line_count, LINE_RECORD)],
    )?;
    // The length check bounds both counts by the file's size.
    let mut docs = HashMap::with_capacity(site_count as usize);
    let mut runs = Vec::with_capacity(site_count as usize);
    let mut lines_announced: u64 = 0;
    for _ in 0..site_count {
        let site = input.u64()?;
        let site_docs = input.u32()?;
        let short = input.u64()?;
        let prose = input.u64()?;
        // Sites are only ever counted from a first document; zero comes from the default above.
        if site_docs > 0 {
            docs.insert(site, site_docs);
        }
        lines_announced = lines_announced.saturating_add(short).saturating_add(prose);
        runs.push((site, short, false));
        runs.push((site, prose, true));
    }
    if lines_announced != line_count {
        return Err(input.invalid(format!(
            "its sites list {lines_announced} lines but its header {line_count}: damaged"
        )));
    }
    let mut lines = HashMap::with_capacity(line_count as usize);
    for (site, n, prose) in runs {
        for _ in 0..n {
            let hash = input.u64()?;
            let count = LineCount {
                site,
                docs: input.u32()?,
                prose,
            };
            lines.insert(hash, count);
        }
    }
    input.finish()?;
    Ok(SiteObserver {
        quotes,
        lines,
        docs,
    })
}

/// Writes the decision (the repeated lines' hashes) into `dir`.
pub fn save_decision(repeats: &SiteRepeats, dir: &Path) -> Result<(), StateFileError> {
    let mut hashes: Vec<u64> = repeats.lines.iter().copied().collect();
    hashes.sort_unstable();
    write_atomically(&dir.join(DECISION_FILE), |out| {
        out.write_all(DECISION_MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        out.write_all(&(repeats.sites as u64).to_le_bytes())?;
        out.write_all(&(hashes.len() as u64).to_le_bytes())?;
        for hash in &hashes {
            out.write_all(&hash.to_le_bytes())?;
        }
        Ok(())
    })
}

/// Reads a decision written by [`save_decision`] from `dir`.
pub fn load_decision(dir: &Path) -> Result<SiteRepeats, StateFileError> {
    let path = dir.join(DECISION_FILE);
    let mut input = StateReader::open(&path, DECISION_MAGIC)?;
    let sites = input.u64()?;
    let count = input.u64()?;
    input.expect_length(DECISION_HEADER, &[(count, HASH_RECORD)])?;
    let mut lines = HashSet::with_capacity(count as usize);
    for _ in 0..count {
        lines.insert(input.u64()?);
    }
    input.finish()?;
    Ok(SiteRepeats {
        lines,
        sites: usize::try_from(sites).unwrap_or(usize::MAX),
    })
}

fn quote_code(quotes: QuoteStyle) -> u8 {
    match quotes {
        QuoteStyle::Keep => 0,
        QuoteStyle::Tidy => 1,
        QuoteStyle::Curly => 2,
        QuoteStyle::Straight => 3,
    }
}

fn quote_name(code: u8) -> String {
    QuoteStyle::CHOICES
        .get(usize::from(code))
        .map_or_else(|| format!("#{code}"), |name| format!("{name:?}"))
}

/// Writes `path` under a temporary name, syncs it and renames it into place, so a reader on
/// another machine never sees half a file under the final name.
fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut ChecksumWriter<BufWriter<File>>) -> std::io::Result<()>,
) -> Result<(), StateFileError> {
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(".part");
    let temp = PathBuf::from(temp_name);
    let io = |action, source| StateFileError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(&temp).map_err(|e| io("create", e))?;
    let mut out = ChecksumWriter {
        inner: BufWriter::new(file),
        hash: FNV_OFFSET,
    };
    body(&mut out).map_err(|e| io("write", e))?;
    let checksum = out.hash;
    let mut inner = out.inner;
    inner
        .write_all(&checksum.to_le_bytes())
        .map_err(|e| io("write", e))?;
    let file = inner
        .into_inner()
        .map_err(|e| io("write", e.into_error()))?;
    file.sync_all().map_err(|e| io("sync", e))?;
    std::fs::rename(&temp, path).map_err(|e| io("rename into place", e))?;
    Ok(())
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

struct ChecksumWriter<W> {
    inner: W,
    hash: u64,
}

impl<W: Write> Write for ChecksumWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash = fnv1a(self.hash, &buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads a state file field by field, checksumming what it reads.
struct StateReader {
    path: PathBuf,
    input: BufReader<File>,
    length: u64,
    hash: u64,
}

impl StateReader {
    /// Opens `path` and checks its magic bytes and format version.
    fn open(path: &Path, magic: &[u8; 8]) -> Result<StateReader, StateFileError> {
        let io = |action, source| StateFileError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(|e| io("open", e))?;
        let length = file.metadata().map_err(|e| io("read", e))?.len();
        let mut reader = StateReader {
            path: path.to_path_buf(),
            input: BufReader::new(file),
            length,
            hash: FNV_OFFSET,
        };
        let mut found = [0u8; 8];
        reader.read(&mut found)?;
        if &found != magic {
            return Err(reader.invalid(format!(
                "it does not start with {:?} (another stage's file, or not newsmill's)",
                String::from_utf8_lossy(magic)
            )));
        }
        let version = reader.u32()?;
        if version != VERSION {
            return Err(reader.invalid(format!(
                "format version {version}; this newsmill reads version {VERSION}"
            )));
        }
        Ok(reader)
    }

    fn invalid(&self, problem: String) -> StateFileError {
        StateFileError::Invalid {
            path: self.path.clone(),
            problem,
        }
    }

    /// The file must be exactly the header, the records its counts announce and the checksum.
    fn expect_length(&self, header: u64, records: &[(u64, u64)]) -> Result<(), StateFileError> {
        let expected = records
            .iter()
            .try_fold(header + CHECKSUM, |sum, (n, size)| {
                n.checked_mul(*size).and_then(|b| b.checked_add(sum))
            });
        if expected != Some(self.length) {
            return Err(self.invalid(format!(
                "it is {} bytes long but its header announces {}: truncated or damaged",
                self.length,
                expected.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string())
            )));
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), StateFileError> {
        if let Err(e) = self.input.read_exact(buf) {
            return Err(if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.invalid("it ends too early: truncated".to_string())
            } else {
                StateFileError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source: e,
                }
            });
        }
        self.hash = fnv1a(self.hash, buf);
        Ok(())
    }

    fn u8(&mut self) -> Result<u8, StateFileError> {
        let mut b = [0u8; 1];
        self.read(&mut b)?;
        Ok(b[0])
    }

    fn u32(&mut self) -> Result<u32, StateFileError> {
        let mut b = [0u8; 4];
        self.read(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> Result<u64, StateFileError> {
        let mut b = [0u8; 8];
        self.read(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads the trailing checksum and compares it with the bytes read.
    fn finish(mut self) -> Result<(), StateFileError> {
        let computed = self.hash;
        let stored = self.u64()?;
        if stored != computed {
            return Err(self.invalid(format!(
                "its checksum is {stored:016x} but its content gives {computed:016x}: damaged"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::pair_hash;
    use newsmill_core::{Document, Observer};

    fn page(site: &str, text: &str) -> Document {
        Document {
            site: Some(site.to_string()),
            text: text.to_string(),
            ..Document::default()
        }
    }

    #[test]
    fn an_observer_loads_back_equal_to_the_one_saved() {
        let prose = "The minister said on Tuesday that the talks would resume in the spring after the election.";
        let mut observer = SiteObserver::new(QuoteStyle::Curly);
        for doc in [
            page("a", &format!("Home\nWorld\n{prose}")),
            page("a", &format!("Home\n{prose}\nAbout “us”")),
            page("b", "Home\nSport"),
        ] {
            observer.observe(&doc);
        }
        // A line counted for a site without documents cannot arise from observing, but must
        // not break the file.
        observer.lines.insert(
            pair_hash("c", "orphan"),
            LineCount {
                site: 7,
                docs: 2,
                prose: false,
            },
        );
        assert!(observer.lines.values().any(|c| c.prose));
        let dir = tempfile::tempdir().unwrap();
        save_observer(&observer, dir.path()).unwrap();
        let loaded = load_observer(dir.path(), QuoteStyle::Curly).unwrap();
        assert_eq!(loaded.lines, observer.lines);
        assert_eq!(loaded.docs, observer.docs);
        assert_eq!(loaded.quotes, QuoteStyle::Curly);
        let size = std::fs::metadata(dir.path().join(OBSERVER_FILE))
            .unwrap()
            .len();
        let sites = 3;
        assert_eq!(
            size,
            OBSERVER_HEADER
                + sites * SITE_RECORD
                + observer.lines.len() as u64 * LINE_RECORD
                + CHECKSUM
        );
        // The empty observer and the empty decision round-trip too.
        let empty = tempfile::tempdir().unwrap();
        save_observer(&SiteObserver::new(QuoteStyle::Tidy), empty.path()).unwrap();
        let loaded = load_observer(empty.path(), QuoteStyle::Tidy).unwrap();
        assert!(loaded.lines.is_empty() && loaded.docs.is_empty());
        save_decision(&SiteRepeats::default(), empty.path()).unwrap();
        assert_eq!(load_decision(empty.path()).unwrap(), SiteRepeats::default());
    }
}
