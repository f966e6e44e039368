//! Publishing outputs that sinks finished under temporary names.

use std::path::Path;

use crate::{StageError, Staged};

/// Renames each staged file over its target, in order, then syncs the directories so the
/// renames survive a power cut.
///
/// Repeating a publication is harmless: a file whose temporary name is gone and whose target
/// exists was published already (by a run killed halfway through, whose next run finishes the
/// job), so it is skipped.
pub fn publish<'a>(files: impl IntoIterator<Item = &'a Staged>) -> Result<(), StageError> {
    let mut dirs: Vec<&Path> = Vec::new();
    for file in files {
        match std::fs::rename(&file.temp, &file.target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && file.target.exists() => {}
            Err(source) => {
                return Err(StageError::Io {
                    action: "rename into place",
                    path: file.temp.clone(),
                    source,
                });
            }
        }
        if let Some(dir) = file.target.parent()
            && !dirs.contains(&dir)
        {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        // Not every platform can open a directory to sync it; the data itself is synced.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_renames_in_place_and_a_repeat_skips_what_is_done() {
        let dir = std::env::temp_dir().join(format!("newsmill-publish-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let staged: Vec<Staged> = ["a.csv", "run.json"]
            .iter()
            .map(|name| {
                let temp = dir.join(format!(".{name}.tmp"));
                std::fs::write(&temp, name.as_bytes()).unwrap();
                Staged {
                    temp,
                    target: dir.join(name),
                }
            })
            .collect();
        std::fs::write(dir.join("a.csv"), b"old").unwrap();
        publish(&staged).unwrap();
        assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"a.csv");
        assert_eq!(std::fs::read(dir.join("run.json")).unwrap(), b"run.json");
        assert!(!staged[0].temp.exists());
        // A run killed after publishing: its next run repeats the publication.
        publish(&staged).unwrap();
        // A temporary file that vanished before its target existed is an error.
        let lost = Staged {
            temp: dir.join(".lost.tmp"),
            target: dir.join("lost.csv"),
        };
        let error = publish([&lost]).unwrap_err().to_string();
        assert!(error.contains(".lost.tmp"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
