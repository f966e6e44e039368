//! Expanding `paths` into the deterministic list of input files.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use newsmill_core::Rejection;

use crate::config::{Format, InputConfig};
use crate::error::ReadError;

/// One file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Where the file is on disk (relative paths already resolved against the base directory).
    pub path: PathBuf,
    /// The path as the user named it, with forward slashes ("samples/000_d3f30cc8e01184eb.txt").
    pub display: String,
    /// The path relative to the input root it was found under ("000_d3f30cc8e01184eb.txt").
    pub relative: String,
    /// The format to read it as (never `Auto`).
    pub format: Format,
    pub bytes: u64,
}

impl InputFile {
    /// The first directory of `relative`: scrapes are commonly organised one directory per site.
    pub fn site_dir(&self) -> Option<&str> {
        self.relative
            .split_once('/')
            .map(|(dir, _)| dir)
            .filter(|d| !d.is_empty())
    }
}

pub(crate) fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Expands `cfg.paths` (relative ones against `base_dir`) into a de-duplicated list: entries
/// in the order the user listed them, the files of each sorted by the bytes of their path
/// relative to that entry's root. A file reached twice is kept at its first place.
pub fn list_inputs(cfg: &InputConfig, base_dir: &Path) -> (Vec<InputFile>, Vec<Rejection>) {
    let mut files = Vec::new();
    let mut rejections = Vec::new();
    let mut seen = HashSet::new();
    for entry in &cfg.paths {
        let mut found = Vec::new();
        let named = entry.trim().trim_end_matches(['/', '\\']);
        let named = if named.is_empty() && entry.trim().starts_with('/') {
            "/"
        } else {
            named
        };
        if is_glob(named) {
            expand_glob(named, base_dir, &mut found, &mut rejections);
        } else {
            let path = base_dir.join(named);
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => walk(&path, named, &mut found, &mut rejections),
                Ok(_) => {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    found.push(Found {
                        path,
                        display: slashes(named),
                        relative: name,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => rejections.push(
                    ReadError::NotFound {
                        path: slashes(named),
                        detail: "no such file or directory".into(),
                    }
                    .into(),
                ),
                Err(source) => rejections.push(
                    ReadError::Io {
                        path: slashes(named),
                        position: String::new(),
                        source,
                    }
                    .into(),
                ),
            }
        }
        found.sort_by(|a, b| a.relative.as_bytes().cmp(b.relative.as_bytes()));
        for f in found {
            let key = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
            if !seen.insert(key) {
                continue;
            }
            match std::fs::metadata(&f.path) {
                Ok(meta) if meta.is_file() => files.push(InputFile {
                    format: match cfg.format {
                        Format::Auto => Format::from_file_name(&f.relative),
                        other => other,
                    },
                    bytes: meta.len(),
                    path: f.path,
                    display: f.display,
                    relative: f.relative,
                }),
                Ok(_) => rejections.push(ReadError::NotAFile { path: f.display }.into()),
                Err(source) => rejections.push(
                    ReadError::Io {
                        path: f.display,
                        position: String::new(),
                        source,
                    }
                    .into(),
                ),
            }
        }
    }
    (files, rejections)
}

struct Found {
    path: PathBuf,
    display: String,
    relative: String,
}

fn slashes(path: &str) -> String {
    path.replace('\\', "/")
}

fn join_display(root: &str, relative: &str) -> String {
    match root {
        "" | "." => relative.to_string(),
        "/" => format!("/{relative}"),
        _ => format!("{}/{relative}", slashes(root)),
    }
}

/// Walks a directory tree: hidden entries skipped, symlinked directories followed once
/// (a loop ends at the first directory seen twice), special files left out.
fn walk(root: &Path, named: &str, found: &mut Vec<Found>, rejections: &mut Vec<Rejection>) {
    let mut visited = HashSet::new();
    if let Ok(canonical) = std::fs::canonicalize(root) {
        visited.insert(canonical);
    }
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(source) => {
                rejections.push(unreadable_dir(named, &prefix, source));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => {
                    rejections.push(unreadable_dir(named, &prefix, source));
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let relative = format!("{prefix}{name}");
            let path = entry.path();
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => {
                    let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                    if visited.insert(canonical) {
                        stack.push((path, format!("{relative}/")));
                    } else {
                        tracing::warn!(path = %join_display(named, &relative), "Skipped a directory already walked (a symlink loop or a second link).");
                    }
                }
                Ok(meta) if meta.is_file() => found.push(Found {
                    path,
                    display: join_display(named, &relative),
                    relative,
                }),
                Ok(_) => {
                    tracing::warn!(path = %join_display(named, &relative), "Skipped a special file that is neither a file nor a directory.")
                }
                Err(source) => rejections.push(
                    ReadError::Io {
                        path: join_display(named, &relative),
                        position: String::new(),
                        source,
                    }
                    .into(),
                ),
            }
        }
    }
}

/// Expands a glob; the root of its matches is the part of the pattern before the first
/// component with a wildcard, so ids stay short and stable ("data/*/x.jsonl" → "a/x.jsonl").
fn expand_glob(
    pattern: &str,
    base_dir: &Path,
    found: &mut Vec<Found>,
    rejections: &mut Vec<Rejection>,
) {
    let pattern_path = Path::new(pattern);
    let mut root = PathBuf::new();
    for component in pattern_path.components() {
        match component {
            Component::Normal(part) if is_glob(&part.to_string_lossy()) => break,
            other => root.push(other.as_os_str()),
        }
    }
    let root_named = slashes(&root.to_string_lossy());
    let root_abs = base_dir.join(&root);
    // The base directory is literal text even if its name holds wildcard characters.
    let full = if pattern_path.is_absolute() {
        pattern.to_string()
    } else {
        format!(
            "{}/{pattern}",
            glob::Pattern::escape(&base_dir.to_string_lossy())
        )
    };
    let matches = match glob::glob_with(
        &full,
        glob::MatchOptions {
            require_literal_leading_dot: true,
            ..Default::default()
        },
    ) {
        Ok(paths) => paths,
        Err(e) => {
            rejections.push(
                ReadError::BadGlob {
                    pattern: pattern.to_string(),
                    detail: e.to_string(),
                }
                .into(),
            );
            return;
        }
    };
    let before = found.len();
    for item in matches {
        match item {
            Ok(path) => {
                let relative = path
                    .strip_prefix(&root_abs)
                    .map(|p| slashes(&p.to_string_lossy()))
                    .unwrap_or_else(|_| slashes(&path.to_string_lossy()));
                let display = join_display(&root_named, &relative);
                if path.is_dir() {
                    let mut inner = Vec::new();
                    walk(&path, &display, &mut inner, rejections);
                    for mut f in inner {
                        f.relative = format!("{relative}/{}", f.relative);
                        found.push(f);
                    }
                } else {
                    found.push(Found {
                        path,
                        display,
                        relative,
                    });
                }
            }
            Err(e) => {
                let path = e
                    .path()
                    .strip_prefix(base_dir)
                    .unwrap_or(e.path())
                    .to_string_lossy()
                    .into_owned();
                rejections.push(
                    ReadError::Io {
                        path: slashes(&path),
                        position: String::new(),
                        source: e.into(),
                    }
                    .into(),
                );
            }
        }
    }
    if found.len() == before {
        rejections.push(
            ReadError::NotFound {
                path: pattern.to_string(),
                detail: "no file matches the pattern".into(),
            }
            .into(),
        );
    }
}

/// The rejection for a directory (or one of its entries) that cannot be listed.
fn unreadable_dir(named: &str, prefix: &str, source: std::io::Error) -> Rejection {
    ReadError::Io {
        path: join_display(named, prefix.trim_end_matches('/')),
        position: String::new(),
        source,
    }
    .into()
}
