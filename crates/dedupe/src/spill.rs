//! Scratch files of one run, so that the stage's memory holds a few dozen bytes per document
//! and never the band keys, fingerprints or shingle sets of the whole corpus.
//!
//! * [`Partitions`]: append-only files of `u64` records, one per partition. Observers on many
//!   threads append buffered records; a decision reads one partition at a time and sorts it.
//! * [`SetFile`]: one append-only file of `u32` sets, read back by position ([`SetLoc`]).
//!
//! Both live in a temporary directory that is removed when the stage is dropped.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The first I/O error of a scratch file, kept so that `decide` can report it: observers
/// cannot return errors.
#[derive(Default)]
struct FirstError(Mutex<Option<String>>);

impl FirstError {
    fn record(&self, path: &Path, e: &io::Error) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert_with(|| format!("{}: {e}", path.display()));
        }
    }

    fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a file that may be short; reads then fail or
    // return fewer records, never undefined data.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Append-only record files, one per partition.
pub struct Partitions {
    paths: Vec<PathBuf>,
    files: Vec<Mutex<BufWriter<File>>>,
    error: FirstError,
}

impl Partitions {
    pub fn create(dir: &Path, name: &str, count: usize) -> io::Result<Partitions> {
        let mut paths = Vec::with_capacity(count);
        let mut files = Vec::with_capacity(count);
        for part in 0..count {
            let path = dir.join(format!("{name}-{part:03}.bin"));
            // Callers append in batches of thousands of records, and a run may hold several
            // hundred partitions open: a small buffer keeps their memory to a few megabytes.
            files.push(Mutex::new(BufWriter::with_capacity(
                1 << 13,
                File::create(&path)?,
            )));
            paths.push(path);
        }
        Ok(Partitions {
            paths,
            files,
            error: FirstError::default(),
        })
    }

    pub fn count(&self) -> usize {
        self.files.len()
    }

    /// Appends `records` to partition `part` (little-endian `u64`s).
    pub fn append(&self, part: usize, records: &[u64]) {
        let (Some(file), Some(path)) = (self.files.get(part), self.paths.get(part)) else {
            return;
        };
        let mut bytes = Vec::with_capacity(records.len() * 8);
        for r in records {
            bytes.extend_from_slice(&r.to_le_bytes());
        }
        if let Err(e) = lock(file).write_all(&bytes) {
            self.error.record(path, &e);
        }
    }

    /// Every record of partition `part`, in no particular order; the file is emptied, since
    /// each partition is read once.
    pub fn take(&self, part: usize) -> io::Result<Vec<u64>> {
        if let Some(e) = self.error.get() {
            return Err(io::Error::other(e));
        }
        let (Some(file), Some(path)) = (self.files.get(part), self.paths.get(part)) else {
            return Ok(Vec::new());
        };
        let mut writer = lock(file);
        writer.flush()?;
        let records = read_records(path)?;
        writer.get_mut().set_len(0)?;
        writer.get_mut().seek(SeekFrom::Start(0))?;
        Ok(records)
    }
}

impl Partitions {
    /// Calls `each` with the records of partition `part` in order, `chunk` records at a time
    /// (the last call may have fewer), so that memory never holds the whole partition; the
    /// file is emptied.
    pub fn take_chunks(
        &self,
        part: usize,
        chunk: usize,
        mut each: impl FnMut(&[u64]),
    ) -> io::Result<()> {
        if let Some(e) = self.error.get() {
            return Err(io::Error::other(e));
        }
        let (Some(file), Some(path)) = (self.files.get(part), self.paths.get(part)) else {
            return Ok(());
        };
        let mut writer = lock(file);
        writer.flush()?;
        let mut reader = File::open(path)?;
        let mut bytes = vec![0u8; chunk.max(1) * 8];
        let mut records = Vec::with_capacity(chunk.max(1));
        loop {
            let mut filled = 0;
            while filled < bytes.len() {
                match reader.read(&mut bytes[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            records.clear();
            records.extend(
                bytes[..filled / 8 * 8]
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
            );
            if !records.is_empty() {
                each(&records);
            }
            if filled < bytes.len() {
                break;
            }
        }
        writer.get_mut().set_len(0)?;
        writer.get_mut().seek(SeekFrom::Start(0))?;
        Ok(())
    }
}

/// The little-endian `u64`s of a file, read in chunks so that memory holds them only once.
fn read_records(path: &Path) -> io::Result<Vec<u64>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut records = Vec::with_capacity(usize::try_from(len / 8).unwrap_or(0));
    let mut chunk = vec![0u8; 1 << 16];
    let mut filled = 0usize;
    loop {
        let n = file.read(&mut chunk[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
        let whole = filled / 8 * 8;
        records.extend(
            chunk[..whole]
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
        );
        chunk.copy_within(whole..filled, 0);
        filled -= whole;
    }
    Ok(records)
}

/// Where a set lies in a [`SetFile`]: byte offset (40 bits) and element count (24 bits),
/// packed so that a per-document table costs 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLoc(u64);

impl SetLoc {
    pub const NONE: SetLoc = SetLoc(u64::MAX);
    const LEN_BITS: u32 = 24;
    /// Longer sets are cut to this many elements (sorted, so the smallest hashes stay): far
    /// beyond any article (a 16-million-word text).
    pub const MAX_LEN: usize = (1 << Self::LEN_BITS) - 2;

    fn new(offset: u64, len: usize) -> Option<SetLoc> {
        (offset < 1 << (64 - Self::LEN_BITS))
            .then(|| SetLoc(offset << Self::LEN_BITS | len.min(Self::MAX_LEN) as u64))
    }

    pub fn is_some(self) -> bool {
        self != SetLoc::NONE
    }

    /// Elements in the set (0 when none was stored).
    pub fn len(self) -> usize {
        if self.is_some() {
            (self.0 & ((1 << Self::LEN_BITS) - 1)) as usize
        } else {
            0
        }
    }

    fn offset(self) -> u64 {
        self.0 >> Self::LEN_BITS
    }
}

/// An append-only file of `u32` sets, read back by position from any thread.
pub struct SetFile {
    path: PathBuf,
    writer: Mutex<(BufWriter<File>, u64)>,
    reader: OnceLock<io::Result<File>>,
    error: FirstError,
}

impl SetFile {
    pub fn create(path: PathBuf) -> io::Result<SetFile> {
        let file = File::create(&path)?;
        Ok(SetFile {
            path,
            writer: Mutex::new((BufWriter::with_capacity(1 << 16, file), 0)),
            reader: OnceLock::new(),
            error: FirstError::default(),
        })
    }

    /// Appends `values`; `None` after a write error (reported by [`SetFile::seal`]).
    pub fn append(&self, values: &[u32]) -> Option<SetLoc> {
        let values = values.get(..SetLoc::MAX_LEN).unwrap_or(values);
        let mut bytes = Vec::with_capacity(values.len() * 4);
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let mut guard = lock(&self.writer);
        let (writer, len) = &mut *guard;
        let loc = SetLoc::new(*len, values.len())?;
        match writer.write_all(&bytes) {
            Ok(()) => {
                *len += bytes.len() as u64;
                Some(loc)
            }
            Err(e) => {
                self.error.record(&self.path, &e);
                None
            }
        }
    }

    /// Flushes what was appended so that it can be read; reports the first write error.
    pub fn seal(&self) -> io::Result<()> {
        if let Some(e) = self.error.get() {
            return Err(io::Error::other(e));
        }
        lock(&self.writer).0.flush()
    }

    /// Reads the set at `loc` into `out` (empty for [`SetLoc::NONE`]).
    pub fn read(&self, loc: SetLoc, out: &mut Vec<u32>) -> io::Result<()> {
        out.clear();
        if !loc.is_some() || loc.len() == 0 {
            return Ok(());
        }
        let file = match self.reader.get_or_init(|| File::open(&self.path)) {
            Ok(file) => file,
            Err(e) => return Err(io::Error::new(e.kind(), e.to_string())),
        };
        // One byte buffer per thread: verification reads millions of sets.
        thread_local! {
            static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BYTES.with_borrow_mut(|bytes| {
            bytes.resize(loc.len() * 4, 0);
            read_exact_at(file, bytes, loc.offset())?;
            out.extend(
                bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            Ok(())
        })
    }

    pub fn bytes(&self) -> u64 {
        lock(&self.writer).1
    }
}

/// Reads exactly `buf.len()` bytes at `offset` without moving a shared cursor, so threads can
/// read one file at once.
#[cfg(unix)]
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
pub(crate) fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_sets_read_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let parts = Partitions::create(dir.path(), "p", 3).unwrap();
        parts.append(1, &[5, u64::MAX]);
        parts.append(1, &[7]);
        assert_eq!(parts.take(1).unwrap(), [5, u64::MAX, 7]);
        assert!(parts.take(1).unwrap().is_empty());
        assert!(parts.take(0).unwrap().is_empty());
        parts.append(2, &(0..10).collect::<Vec<u64>>());
        let mut chunks = Vec::new();
        parts
            .take_chunks(2, 4, |c| chunks.push(c.to_vec()))
            .unwrap();
        assert_eq!(chunks, [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
        assert!(parts.take(2).unwrap().is_empty());

        let sets = SetFile::create(dir.path().join("s")).unwrap();
        let a = sets.append(&[1, 2, u32::MAX]).unwrap();
        let b = sets.append(&[]).unwrap();
        let c = sets.append(&[9]).unwrap();
        sets.seal().unwrap();
        let mut out = Vec::new();
        sets.read(c, &mut out).unwrap();
        assert_eq!(out, [9]);
        sets.read(a, &mut out).unwrap();
        assert_eq!(out, [1, 2, u32::MAX]);
        sets.read(b, &mut out).unwrap();
        assert!(out.is_empty() && b.len() == 0 && a.len() == 3);
        sets.read(SetLoc::NONE, &mut out).unwrap();
        assert!(out.is_empty());
    }
}
