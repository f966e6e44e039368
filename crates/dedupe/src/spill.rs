//! Scratch files of one run, so that the stage's memory holds a few dozen bytes per document
//! and never the band keys, fingerprints or shingle sets of the whole corpus.
//!
//! * [`Partitions`]: append-only files of `u64` records, one per partition. Observers on many
//!   threads append buffered records; a decision reads one partition at a time and sorts it.
//! * [`SetFile`]: one append-only file of `u32` sets, read back by position ([`SetLoc`]).
//!
//! Both live in a temporary directory that is removed when the stage is dropped. In sharded
//! runs their files are moved into the directories of saved observers and decisions, and
//! other processes attach them read-only: a partition reads its attached files after its own,
//! and a set file reads attached files as segments above [`ATTACHED_BASE`].

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::persist::{self, PersistError};

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
    /// Per partition, read-only files of other processes (a shard's observer, a saved
    /// decision) whose records belong to it; read after the partition's own file, never
    /// changed.
    attached: Mutex<Vec<Vec<PathBuf>>>,
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
            attached: Mutex::new(vec![Vec::new(); count]),
        })
    }

    pub fn count(&self) -> usize {
        self.files.len()
    }

    /// The file name of partition `part` (the same in every process).
    pub fn file_name(&self, part: usize) -> String {
        self.paths
            .get(part)
            .and_then(|p| p.file_name())
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// Adds the read-only file `path` to partition `part`: it is read, after the partition's
    /// own records, by the next `take`.
    pub fn attach(&self, part: usize, path: PathBuf) {
        if let Some(files) = lock(&self.attached).get_mut(part) {
            files.push(path);
        }
    }

    fn take_attached(&self, part: usize) -> Vec<PathBuf> {
        lock(&self.attached)
            .get_mut(part)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Moves every partition's records (its own file, then the attached ones) into `dir`
    /// under the partition's file name, leaving the partitions empty; returns the byte
    /// length of each moved file, by partition.
    pub fn move_to(&self, dir: &Path) -> Result<Vec<u64>, PersistError> {
        if let Some(e) = self.error.get() {
            return Err(PersistError::Io {
                action: "write",
                path: dir.to_path_buf(),
                source: io::Error::other(e),
            });
        }
        let mut lengths = Vec::with_capacity(self.count());
        for (part, (file, path)) in self.files.iter().zip(&self.paths).enumerate() {
            let target = dir.join(self.file_name(part));
            let mut writer = lock(file);
            writer.flush().map_err(persist::io_at("write", path))?;
            persist::move_file(path, &target)?;
            let fresh = File::create(path).map_err(persist::io_at("create", path))?;
            *writer = BufWriter::with_capacity(1 << 13, fresh);
            for extra in self.take_attached(part) {
                persist::append_file(&extra, &target)?;
            }
            lengths.push(persist::sync_len(&target)?);
        }
        Ok(lengths)
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
        let mut records = read_records(path)?;
        for extra in self.take_attached(part) {
            records.extend(read_records(&extra)?);
        }
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
        let mut bytes = vec![0u8; chunk.max(1) * 8];
        let mut records = Vec::with_capacity(chunk.max(1));
        // Each file holds whole records, so chunks never straddle two files.
        for source in std::iter::once(path.clone()).chain(self.take_attached(part)) {
            let mut reader = File::open(&source)?;
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
                    bytes[..filled / 8 * 8].chunks_exact(8).map(|c| {
                        u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                    }),
                );
                if !records.is_empty() {
                    each(&records);
                }
                if filled < bytes.len() {
                    break;
                }
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
    const OFFSET_END: u64 = 1 << (64 - Self::LEN_BITS);

    fn new(offset: u64, len: usize) -> Option<SetLoc> {
        (offset < Self::OFFSET_END)
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

    pub fn offset(self) -> u64 {
        self.0 >> Self::LEN_BITS
    }

    /// Bytes from the offset to the end of the set.
    pub fn end(self) -> u64 {
        self.offset() + self.len() as u64 * 4
    }

    /// The same set `by` bytes further on (a file appended after another, or attached as a
    /// segment); `NONE` stays `NONE`.
    pub fn shifted(self, by: u64) -> Option<SetLoc> {
        if !self.is_some() {
            return Some(self);
        }
        SetLoc::new(self.offset().checked_add(by)?, self.len())
    }

    /// The packed form, for files.
    pub fn to_bits(self) -> u64 {
        self.0
    }

    pub fn from_bits(bits: u64) -> SetLoc {
        SetLoc(bits)
    }
}

/// Offsets from here on name sets in attached segments; the run's own set file holds those
/// below (512 GB).
pub const ATTACHED_BASE: u64 = 1 << 39;

/// A read-only set file of another process (a shard's observer, a saved decision), read as
/// if it lay at `base`.
#[derive(Clone, Debug)]
pub struct Segment {
    pub base: u64,
    pub bytes: u64,
    pub path: PathBuf,
    file: Arc<File>,
}

/// An append-only file of `u32` sets, read back by position from any thread.
pub struct SetFile {
    path: PathBuf,
    writer: Mutex<(BufWriter<File>, u64)>,
    /// Opened at the first read; reset when the file is moved away.
    reader: RwLock<Option<Arc<File>>>,
    /// Sorted by base, not overlapping.
    segments: RwLock<Vec<Segment>>,
    error: FirstError,
}

fn read_lock<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write_lock<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SetFile {
    pub fn create(path: PathBuf) -> io::Result<SetFile> {
        let file = File::create(&path)?;
        Ok(SetFile {
            path,
            writer: Mutex::new((BufWriter::with_capacity(1 << 16, file), 0)),
            reader: RwLock::new(None),
            segments: RwLock::new(Vec::new()),
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
        if *len + bytes.len() as u64 > ATTACHED_BASE {
            self.error.record(
                &self.path,
                &io::Error::other("the set file is full (512 GB)"),
            );
            return None;
        }
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

    fn own_reader(&self) -> io::Result<Arc<File>> {
        if let Some(file) = &*read_lock(&self.reader) {
            return Ok(file.clone());
        }
        let mut slot = write_lock(&self.reader);
        if let Some(file) = &*slot {
            return Ok(file.clone());
        }
        let file = Arc::new(File::open(&self.path)?);
        *slot = Some(file.clone());
        Ok(file)
    }

    /// Reads the set at `loc` into `out` (empty for [`SetLoc::NONE`]).
    pub fn read(&self, loc: SetLoc, out: &mut Vec<u32>) -> io::Result<()> {
        out.clear();
        if !loc.is_some() || loc.len() == 0 {
            return Ok(());
        }
        let (file, offset) = if loc.offset() < ATTACHED_BASE {
            (self.own_reader()?, loc.offset())
        } else {
            let segments = read_lock(&self.segments);
            let at = segments.partition_point(|s| s.base <= loc.offset());
            match at.checked_sub(1).and_then(|k| segments.get(k)) {
                Some(s) if loc.end() <= s.base + s.bytes => (s.file.clone(), loc.offset() - s.base),
                _ => {
                    return Err(io::Error::other(format!(
                        "no attached set file holds offset {}",
                        loc.offset()
                    )));
                }
            }
        };
        // One byte buffer per thread: verification reads millions of sets.
        thread_local! {
            static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BYTES.with_borrow_mut(|bytes| {
            bytes.resize(loc.len() * 4, 0);
            read_exact_at(&file, bytes, offset)?;
            out.extend(
                bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            Ok(())
        })
    }

    /// Bytes of sets: the own file's and every attached segment's.
    pub fn bytes(&self) -> u64 {
        lock(&self.writer).1
            + read_lock(&self.segments)
                .iter()
                .map(|s| s.bytes)
                .sum::<u64>()
    }

    /// Bytes in the own file.
    pub fn own_bytes(&self) -> u64 {
        lock(&self.writer).1
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Attaches the read-only set file `path` of `bytes` bytes after the last segment;
    /// returns its base, the shift of the offsets it recorded.
    pub fn attach(&self, path: PathBuf, bytes: u64) -> Result<u64, PersistError> {
        let mut segments = write_lock(&self.segments);
        let base = segments.last().map_or(ATTACHED_BASE, |s| s.base + s.bytes);
        let segment = open_segment(base, bytes, path)?;
        segments.push(segment);
        Ok(base)
    }

    /// Replaces the attached segments with `(base, bytes, path)` (those of a saved decision).
    pub fn set_segments(&self, list: Vec<(u64, u64, PathBuf)>) -> Result<(), PersistError> {
        let mut opened = Vec::with_capacity(list.len());
        let mut end = ATTACHED_BASE;
        for (base, bytes, path) in list {
            if base < end {
                return Err(PersistError::Damaged {
                    path,
                    detail: "its segment overlaps another".into(),
                });
            }
            end = base + bytes;
            opened.push(open_segment(base, bytes, path)?);
        }
        *write_lock(&self.segments) = opened;
        Ok(())
    }

    pub fn segments(&self) -> Vec<Segment> {
        read_lock(&self.segments).clone()
    }

    /// Whether `loc` lies in the own file or an attached segment.
    pub fn holds(&self, loc: SetLoc) -> bool {
        if !loc.is_some() {
            return true;
        }
        if loc.offset() < ATTACHED_BASE {
            return loc.end() <= self.own_bytes();
        }
        let segments = read_lock(&self.segments);
        let at = segments.partition_point(|s| s.base <= loc.offset());
        at.checked_sub(1)
            .and_then(|k| segments.get(k))
            .is_some_and(|s| loc.end() <= s.base + s.bytes)
    }

    /// Moves the own file to `target`, leaving it empty; returns its length.
    pub fn move_to(&self, target: &Path) -> Result<u64, PersistError> {
        if let Some(e) = self.error.get() {
            return Err(PersistError::Io {
                action: "write",
                path: self.path.clone(),
                source: io::Error::other(e),
            });
        }
        let mut guard = lock(&self.writer);
        guard
            .0
            .flush()
            .map_err(persist::io_at("write", &self.path))?;
        persist::move_file(&self.path, target)?;
        let fresh = File::create(&self.path).map_err(persist::io_at("create", &self.path))?;
        *guard = (BufWriter::with_capacity(1 << 16, fresh), 0);
        *write_lock(&self.reader) = None;
        persist::sync_len(target)
    }
}

fn open_segment(base: u64, bytes: u64, path: PathBuf) -> Result<Segment, PersistError> {
    if base
        .checked_add(bytes)
        .is_none_or(|end| end > SetLoc::OFFSET_END)
    {
        return Err(PersistError::Damaged {
            path,
            detail: "the attached set files exceed 512 GB".into(),
        });
    }
    persist::check_len(&path, bytes)?;
    let file = File::open(&path).map_err(persist::io_at("open", &path))?;
    Ok(Segment {
        base,
        bytes,
        path,
        file: Arc::new(file),
    })
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

    #[test]
    fn moved_files_read_back_as_attached_partitions_and_segments() {
        let dir = tempfile::tempdir().unwrap();
        let saved = dir.path().join("saved");
        std::fs::create_dir(&saved).unwrap();
        let parts = Partitions::create(dir.path(), "p", 2).unwrap();
        parts.append(1, &[3, 4]);
        assert_eq!(parts.move_to(&saved).unwrap(), [0, 16]);
        // The partition is empty again and reads the moved file once attached.
        parts.append(1, &[5]);
        parts.attach(1, saved.join(parts.file_name(1)));
        assert_eq!(parts.take(1).unwrap(), [5, 3, 4]);
        assert!(parts.take(1).unwrap().is_empty());
        assert_eq!(
            std::fs::metadata(saved.join("p-001.bin")).unwrap().len(),
            16
        );

        let sets = SetFile::create(dir.path().join("s")).unwrap();
        let a = sets.append(&[1, 2]).unwrap();
        assert_eq!(sets.move_to(&saved.join("s1")).unwrap(), 8);
        let b = sets.append(&[7]).unwrap();
        sets.seal().unwrap();
        let base = sets.attach(saved.join("s1"), 8).unwrap();
        assert_eq!(base, ATTACHED_BASE);
        let a = a.shifted(base).unwrap();
        let mut out = Vec::new();
        sets.read(a, &mut out).unwrap();
        assert_eq!(out, [1, 2]);
        sets.read(b, &mut out).unwrap();
        assert_eq!(out, [7]);
        assert!(sets.holds(a) && sets.holds(b) && sets.bytes() == 12);
        let beyond = SetLoc::new(base + 4, 2).unwrap();
        assert!(!sets.holds(beyond) && sets.read(beyond, &mut out).is_err());
        let e = sets.attach(saved.join("s1"), 9).unwrap_err().to_string();
        assert!(e.contains("s1") && e.contains("8 bytes where 9"), "{e}");
    }
}
