//! The state directory of scheduled runs: one run at a time, and scratch space that a killed
//! run cannot leak.
//!
//! The lock is an advisory lock on `<state>/newsmill.lock` held for the whole run. The
//! operating system releases it when the process ends, however it ends, so a run killed with
//! SIGKILL never blocks the next one; the holder's description left in the file tells the next
//! run that it took over from a run that did not finish. Advisory locks need a local file
//! system (or an NFS server with working locks).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const LOCK_FILE: &str = "newsmill.lock";
/// Scratch files of runs with a state directory and no `[run] work_dir` go here.
pub const WORK_SUBDIR: &str = "work";
/// Prefixes of the scratch directories newsmill creates (executor work files, dedupe scratch).
const SCRATCH_PREFIXES: &[&str] = &[".newsmill-work-", "newsmill-work-", "newsmill-dedupe-"];

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the directory {} is in use by another run ({holder}); this run stops without touching it",
        dir.display()
    )]
    Busy { dir: PathBuf, holder: String },
    #[error("cannot take the lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Holds the state directory for this process until dropped.
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
}

/// A lock just taken, and the description of a run that held it before and ended without
/// releasing it, if any.
pub struct Acquired {
    pub lock: StateLock,
    pub stale_holder: Option<String>,
}

impl StateLock {
    /// Takes the state directory's lock without waiting, creating the directory if needed.
    pub fn acquire(dir: &Path) -> Result<Acquired, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                return Err(LockError::Busy {
                    dir: dir.to_path_buf(),
                    holder: holder.unwrap_or_else(|| "a run that is just starting".to_string()),
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        // A clean exit empties the file; text left in it comes from a run that was killed.
        let stale_holder = read_holder(&mut file);
        let me = format!(
            "pid {}, started {}",
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
            .and_then(|()| file.write_all(me.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(io)?;
        Ok(Acquired {
            lock: StateLock { file, path },
            stale_holder,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Best effort: if this fails, the next run only reports a stale lock it takes over.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn read_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    // The description is one short line; a damaged file must not make the run read much.
    file.take(512).read_to_string(&mut text).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Where the decision of stage `index` (0-based), `kind`, round `round` made by run `run` is
/// kept for the runs after it (see `Stage::carries_decision`).
pub fn decision_dir(state: &Path, index: usize, kind: &str, round: usize, run: u64) -> PathBuf {
    state
        .join("decisions")
        .join(format!("stage-{}-{kind}-round-{}", index + 1, round + 1))
        .join(format!("run-{run}"))
}

/// After run `run` committed, the decisions of other runs are not needed: earlier ones are
/// folded into it, later ones are from runs that never committed.
pub fn sweep_decisions(state: &Path, run: u64) {
    let keep = format!("run-{run}");
    let Ok(stages) = std::fs::read_dir(state.join("decisions")) else {
        return;
    };
    for stage in stages.flatten() {
        let Ok(runs) = std::fs::read_dir(stage.path()) else {
            continue;
        };
        for entry in runs.flatten() {
            if entry.file_name().to_string_lossy() != keep
                && let Err(error) = std::fs::remove_dir_all(entry.path())
            {
                tracing::warn!(path = %entry.path().display(), %error, "Could not remove a decision no run needs any more.");
            }
        }
    }
}

/// Removes scratch directories that runs killed before their cleanup left in `work_dir`.
/// Only call this while holding the lock of the state directory that owns `work_dir`: every
/// scratch directory in it then belongs to a run that is no longer running. Returns how many
/// were removed and how many bytes they held.
pub fn sweep_stale_scratch(work_dir: &Path) -> (usize, u64) {
    let Ok(entries) = std::fs::read_dir(work_dir) else {
        return (0, 0);
    };
    let mut removed = 0;
    let mut bytes = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !SCRATCH_PREFIXES.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let size = dir_size(&entry.path());
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => {
                removed += 1;
                bytes += size;
            }
            Err(e) => tracing::warn!(
                path = %entry.path().display(),
                error = %e,
                "Could not remove the scratch directory of an earlier run that did not finish."
            ),
        }
    }
    (removed, bytes)
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_and_a_released_one_is_not_stale() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path()).unwrap();
        assert!(first.stale_holder.is_none());
        match StateLock::acquire(dir.path()) {
            Err(LockError::Busy { holder, .. }) => {
                assert!(
                    holder.contains(&format!("pid {}", std::process::id())),
                    "{holder}"
                )
            }
            other => panic!("expected Busy, got {:?}", other.map(|a| a.lock)),
        }
        drop(first);
        let again = StateLock::acquire(dir.path()).unwrap();
        assert!(again.stale_holder.is_none());
    }

    #[test]
    fn text_left_in_the_lock_file_is_reported_as_a_stale_holder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LOCK_FILE),
            "pid 4242, started 2026-01-01T00:00:00Z",
        )
        .unwrap();
        let taken = StateLock::acquire(dir.path()).unwrap();
        assert_eq!(
            taken.stale_holder.as_deref(),
            Some("pid 4242, started 2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn only_newsmill_scratch_directories_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".newsmill-work-abc");
        std::fs::create_dir_all(stale.join("inner")).unwrap();
        std::fs::write(stale.join("inner/pass-1.jsonl.zst"), vec![0u8; 1000]).unwrap();
        std::fs::create_dir(dir.path().join("newsmill-dedupe-xyz")).unwrap();
        std::fs::create_dir(dir.path().join("keep-me")).unwrap();
        assert_eq!(sweep_stale_scratch(dir.path()), (2, 1000));
        assert!(dir.path().join("keep-me").is_dir());
        assert!(!stale.exists());
    }
}
