//! Helpers shared by the dev harnesses in this folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every `.txt` file under `dir`, sorted. A corpus directory that cannot be read ends the
/// harness with a clear message (exit code 2): a harness never measures an empty corpus.
pub fn txt_files(dir: &Path) -> Vec<PathBuf> {
    if let Err(e) = std::fs::read_dir(dir) {
        eprintln!("Cannot read directory {}: {e}.", dir.display());
        std::process::exit(2);
    }
    let mut out = Vec::new();
    collect(dir, &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("Cannot read directory {}.", dir.display());
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "txt") {
            out.push(p);
        }
    }
}

/// CPU time of this thread in nanoseconds (Linux `/proc/thread-self/schedstat`), which a busy
/// shared machine does not inflate the way it inflates wall-clock time.
pub fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}
