//! The binary files of sharded runs: a header (magic, what the file holds, format version,
//! digest of the config), little-endian fields, and a trailing xxh3-64 of everything before
//! it, so that a damaged, truncated or foreign file is refused with its path.
//!
//! Large spilled files (partitions, set files) travel next to these files as they are; the
//! header file records their lengths, which are checked when they are attached.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use newsmill_core::StageError;
use xxhash_rust::xxh3::Xxh3;

use crate::config::DedupeConfig;
use crate::index::NORMALISATION;

const MAGIC: &[u8; 8] = b"NMDEDUPE";
/// Version of the sharded-run files; bump it whenever their layout changes.
pub const FORMAT: u32 = 1;
const HEADER_BYTES: u64 = 8 + 8 + 4 + 8;
const BUFFER: usize = 1 << 16;

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a dedupe {expected} file")]
    Foreign {
        path: PathBuf,
        expected: &'static str,
    },
    #[error("{path} has dedupe sharded-run format {found}; this version reads format {FORMAT}")]
    Version { path: PathBuf, found: u32 },
    #[error(
        "{path} was written with another dedupe config; every step of a sharded run must use the same config"
    )]
    Config { path: PathBuf },
    #[error("{path} is damaged: {detail}")]
    Damaged { path: PathBuf, detail: String },
}

impl From<PersistError> for StageError {
    fn from(e: PersistError) -> StageError {
        match e {
            PersistError::Io {
                action,
                path,
                source,
            } => StageError::Io {
                action,
                path,
                source,
            },
            other => StageError::Other(other.to_string()),
        }
    }
}

pub fn io_at<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> PersistError + 'a {
    move |source| PersistError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Everything in the config that shapes what is saved: one digest, since every step of a
/// sharded run builds the stage from the same config.
pub fn config_digest(cfg: &DedupeConfig) -> u64 {
    let json = serde_json::to_vec(cfg).unwrap_or_default();
    let mut h = Xxh3::new();
    h.update(&json);
    h.update(&NORMALISATION.to_le_bytes());
    h.update(&FORMAT.to_le_bytes());
    h.digest()
}

/// A checksummed file written front to back.
pub struct Writer {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    hash: Xxh3,
}

impl Writer {
    /// Creates `path` holding a `kind` (8 bytes naming what it holds) for `digest`.
    pub fn create(path: PathBuf, kind: &[u8; 8], digest: u64) -> Result<Writer, PersistError> {
        let file = File::create(&path).map_err(io_at("create", &path))?;
        let mut w = Writer {
            file,
            path,
            buf: Vec::with_capacity(BUFFER),
            hash: Xxh3::new(),
        };
        w.bytes(MAGIC)?;
        w.bytes(kind)?;
        w.u32(FORMAT)?;
        w.u64(digest)?;
        Ok(w)
    }

    pub fn bytes(&mut self, b: &[u8]) -> Result<(), PersistError> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= BUFFER {
            self.drain()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<(), PersistError> {
        self.hash.update(&self.buf);
        self.file
            .write_all(&self.buf)
            .map_err(io_at("write", &self.path))?;
        self.buf.clear();
        Ok(())
    }

    pub fn u8(&mut self, v: u8) -> Result<(), PersistError> {
        self.bytes(&[v])
    }
    pub fn u32(&mut self, v: u32) -> Result<(), PersistError> {
        self.bytes(&v.to_le_bytes())
    }
    pub fn u64(&mut self, v: u64) -> Result<(), PersistError> {
        self.bytes(&v.to_le_bytes())
    }
    pub fn u128(&mut self, v: u128) -> Result<(), PersistError> {
        self.bytes(&v.to_le_bytes())
    }
    pub fn f64(&mut self, v: f64) -> Result<(), PersistError> {
        self.u64(v.to_bits())
    }
    pub fn len(&mut self, n: usize) -> Result<(), PersistError> {
        self.u64(n as u64)
    }
    pub fn str(&mut self, s: &str) -> Result<(), PersistError> {
        self.len(s.len())?;
        self.bytes(s.as_bytes())
    }

    /// Appends the checksum and syncs the file.
    pub fn finish(mut self) -> Result<(), PersistError> {
        self.drain()?;
        let sum = self.hash.digest();
        let path = self.path;
        self.file
            .write_all(&sum.to_le_bytes())
            .and_then(|()| self.file.sync_all())
            .map_err(io_at("write", &path))
    }
}

/// A file written by [`Writer`], read front to back; [`Reader::finish`] checks the checksum.
pub struct Reader {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    pos: usize,
    /// Bytes of the body (before the checksum) not yet read into `buf`.
    unread: u64,
    hash: Xxh3,
}

impl Reader {
    /// Opens `path`, checking that it holds a `kind` of this format for `digest`;
    /// `expected` names the kind in errors.
    pub fn open(
        path: PathBuf,
        kind: &[u8; 8],
        expected: &'static str,
        digest: u64,
    ) -> Result<Reader, PersistError> {
        let file = File::open(&path).map_err(io_at("open", &path))?;
        let len = file.metadata().map_err(io_at("read", &path))?.len();
        if len < HEADER_BYTES + 8 {
            return Err(PersistError::Foreign { path, expected });
        }
        let mut r = Reader {
            file,
            path,
            buf: Vec::new(),
            pos: 0,
            unread: len - 8,
            hash: Xxh3::new(),
        };
        let (magic, found) = (r.array::<8>()?, r.array::<8>()?);
        if &magic != MAGIC || &found != kind {
            return Err(PersistError::Foreign {
                path: r.path,
                expected,
            });
        }
        let format = r.u32()?;
        if format != FORMAT {
            return Err(PersistError::Version {
                path: r.path,
                found: format,
            });
        }
        if r.u64()? != digest {
            return Err(PersistError::Config { path: r.path });
        }
        Ok(r)
    }

    pub fn damaged(&self, detail: impl Into<String>) -> PersistError {
        PersistError::Damaged {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }

    fn left(&self) -> u64 {
        (self.buf.len() - self.pos) as u64 + self.unread
    }

    fn fill(&mut self) -> Result<(), PersistError> {
        self.buf.drain(..self.pos);
        self.pos = 0;
        let want = (BUFFER as u64).min(self.unread) as usize;
        let start = self.buf.len();
        self.buf.resize(start + want, 0);
        self.file
            .read_exact(&mut self.buf[start..])
            .map_err(io_at("read", &self.path))?;
        self.hash.update(&self.buf[start..]);
        self.unread -= want as u64;
        Ok(())
    }

    pub fn bytes(&mut self, out: &mut [u8]) -> Result<(), PersistError> {
        if (out.len() as u64) > self.left() {
            return Err(self.damaged("it ends too early"));
        }
        let mut done = 0;
        while done < out.len() {
            if self.pos == self.buf.len() {
                self.fill()?;
            }
            let n = (out.len() - done).min(self.buf.len() - self.pos);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], PersistError> {
        let mut a = [0u8; N];
        self.bytes(&mut a)?;
        Ok(a)
    }
    pub fn u8(&mut self) -> Result<u8, PersistError> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u32(&mut self) -> Result<u32, PersistError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, PersistError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn u128(&mut self) -> Result<u128, PersistError> {
        Ok(u128::from_le_bytes(self.array()?))
    }
    pub fn f64(&mut self) -> Result<f64, PersistError> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A count of items of at least `item_bytes` each, refused when the file is too short
    /// to hold them (so a damaged count cannot ask for a huge allocation).
    pub fn len(&mut self, item_bytes: u64) -> Result<usize, PersistError> {
        let n = self.u64()?;
        if n.saturating_mul(item_bytes.max(1)) > self.left() {
            return Err(self.damaged(format!("it counts {n} items it cannot hold")));
        }
        usize::try_from(n).map_err(|_| self.damaged("a count is too large"))
    }

    pub fn string(&mut self) -> Result<String, PersistError> {
        let n = self.len(1)?;
        let mut bytes = vec![0u8; n];
        self.bytes(&mut bytes)?;
        String::from_utf8(bytes).map_err(|_| self.damaged("a text is not UTF-8"))
    }

    /// Checks that everything was read and the checksum matches.
    pub fn finish(mut self) -> Result<(), PersistError> {
        if self.left() != 0 {
            return Err(self.damaged("it has bytes after its last field"));
        }
        let mut sum = [0u8; 8];
        self.file
            .read_exact(&mut sum)
            .map_err(io_at("read", &self.path))?;
        if u64::from_le_bytes(sum) != self.hash.digest() {
            return Err(self.damaged("its checksum does not match"));
        }
        Ok(())
    }
}

/// Moves `from` to `to`: a rename, or a copy (then removal) when they are on different file
/// systems (a shared directory of a sharded run is often a network mount).
pub fn move_file(from: &Path, to: &Path) -> Result<(), PersistError> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map_err(io_at("copy into place", to))?;
    std::fs::remove_file(from).map_err(io_at("remove", from))
}

/// Appends the contents of `from` to `to`; returns the bytes appended.
pub fn append_file(from: &Path, to: &Path) -> Result<u64, PersistError> {
    let mut src = File::open(from).map_err(io_at("open", from))?;
    let mut dst = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(to)
        .map_err(io_at("open", to))?;
    io::copy(&mut src, &mut dst).map_err(io_at("append to", to))
}

/// Syncs a raw file written next to a header file, and returns its length.
pub fn sync_len(path: &Path) -> Result<u64, PersistError> {
    let file = File::open(path).map_err(io_at("open", path))?;
    file.sync_all().map_err(io_at("sync", path))?;
    Ok(file.metadata().map_err(io_at("read", path))?.len())
}

/// Checks that a raw file next to a header file has the length the header recorded.
pub fn check_len(path: &Path, expected: u64) -> Result<(), PersistError> {
    let len = std::fs::metadata(path).map_err(io_at("open", path))?.len();
    if len != expected {
        return Err(PersistError::Damaged {
            path: path.to_path_buf(),
            detail: format!("it has {len} bytes where {expected} were written"),
        });
    }
    Ok(())
}

/// `path` relative to the directory `from` when both resolve (so that other machines,
/// which may mount the shared directory elsewhere, find it), else absolute.
pub fn relative_path(path: &Path, from: &Path) -> PathBuf {
    let (Ok(p), Ok(d)) = (std::fs::canonicalize(path), std::fs::canonicalize(from)) else {
        return std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    };
    let common = p
        .components()
        .zip(d.components())
        .take_while(|(a, b)| a == b)
        .count();
    // Only the root in common: the absolute path says more than a chain of "..".
    if common <= 1 {
        return p;
    }
    let mut rel = PathBuf::new();
    for _ in d.components().skip(common) {
        rel.push("..");
    }
    for c in p.components().skip(common) {
        rel.push(c);
    }
    rel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_back_and_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let mut w = Writer::create(path.clone(), b"TESTFILE", 42).unwrap();
        w.u8(7).unwrap();
        w.u128(u128::MAX - 3).unwrap();
        w.f64(0.35).unwrap();
        w.str("idé").unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        w.bytes(&big).unwrap();
        w.finish().unwrap();

        let mut r = Reader::open(path.clone(), b"TESTFILE", "test", 42).unwrap();
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u128().unwrap(), u128::MAX - 3);
        assert_eq!(r.f64().unwrap(), 0.35);
        assert_eq!(r.string().unwrap(), "idé");
        let mut back = vec![0u8; big.len()];
        r.bytes(&mut back).unwrap();
        assert_eq!(back, big);
        r.finish().unwrap();

        let err = |r: Result<Reader, PersistError>| r.err().map(|e| e.to_string()).unwrap();
        assert!(
            err(Reader::open(path.clone(), b"OTHERONE", "other", 42))
                .contains("not a dedupe other file")
        );
        assert!(
            err(Reader::open(path.clone(), b"TESTFILE", "test", 43))
                .contains("another dedupe config")
        );

        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let mut r = Reader::open(path.clone(), b"TESTFILE", "test", 42).unwrap();
        r.u8().unwrap();
        r.u128().unwrap();
        r.f64().unwrap();
        r.string().unwrap();
        r.bytes(&mut back).unwrap();
        let e = r.finish().unwrap_err().to_string();
        assert!(e.contains("checksum") && e.contains("f.bin"), "{e}");

        std::fs::write(&path, &bytes[..1000]).unwrap();
        let mut r = Reader::open(path.clone(), b"TESTFILE", "test", 42).unwrap();
        r.u8().unwrap();
        r.u128().unwrap();
        r.f64().unwrap();
        r.string().unwrap();
        let e = r.bytes(&mut back).unwrap_err().to_string();
        assert!(e.contains("ends too early"), "{e}");
    }

    #[test]
    fn relative_paths_resolve_from_their_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::create_dir_all(dir.path().join("c")).unwrap();
        std::fs::write(dir.path().join("c/sets.bin"), b"x").unwrap();
        let rel = relative_path(&dir.path().join("c/sets.bin"), &dir.path().join("a/b"));
        assert_eq!(rel, Path::new("../../c/sets.bin"));
        assert_eq!(
            std::fs::read(dir.path().join("a/b").join(rel)).unwrap(),
            b"x"
        );
    }
}
