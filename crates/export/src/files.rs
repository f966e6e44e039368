//! Output files written under a temporary name, hashed while they stream, and renamed into
//! place only when the run is published, so readers never see a half-written table.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use newsmill_core::StageError;
use sha2::{Digest, Sha256};

/// The temporary name of output `name`: hidden, in the same directory so the final rename is
/// atomic (same filesystem).
pub fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.tmp"))
}

/// A file being written: counts and hashes exactly the bytes that reach it.
pub struct HashingFile {
    file: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
    path: PathBuf,
}

/// What a finished file amounted to.
pub struct Written {
    pub bytes: u64,
    pub sha256: String,
}

impl HashingFile {
    pub fn create(path: PathBuf) -> Result<Self, StageError> {
        let file = File::create(&path).map_err(|e| io_error("create", &path, e))?;
        Ok(HashingFile {
            file: BufWriter::new(file),
            hasher: Sha256::new(),
            bytes: 0,
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes and syncs to disk, so the rename that publishes it publishes complete data.
    pub fn finish(self) -> Result<Written, StageError> {
        let path = self.path;
        let file = self
            .file
            .into_inner()
            .map_err(|e| io_error("flush", &path, e.into_error()))?;
        file.sync_all().map_err(|e| io_error("sync", &path, e))?;
        Ok(Written {
            bytes: self.bytes,
            sha256: hex(&self.hasher.finalize()),
        })
    }
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Syncs a file another library wrote and digests it, as [`HashingFile::finish`] does for
/// the files newsmill streams itself.
pub fn hash_file(path: &Path) -> Result<Written, StageError> {
    let mut file = File::open(path).map_err(|e| io_error("read", path, e))?;
    file.sync_all().map_err(|e| io_error("sync", path, e))?;
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut file, &mut hasher).map_err(|e| io_error("read", path, e))?;
    Ok(Written {
        bytes,
        sha256: hex(&hasher.finalize()),
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn io_error(action: &'static str, path: &Path, source: io::Error) -> StageError {
    StageError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// csv errors on writing are I/O errors; keep the path on them.
pub fn csv_error(path: &Path, error: csv::Error) -> StageError {
    match error.into_kind() {
        csv::ErrorKind::Io(e) => io_error("write", path, e),
        other => StageError::Other(format!("cannot write {}: {other:?}", path.display())),
    }
}
