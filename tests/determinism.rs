//! The same inputs and config give byte-identical tables whatever the thread count.

mod common;
use common::*;

#[test]
fn one_and_four_threads_write_identical_tables() {
    let (one, a) = run_samples(&["--threads", "1"]);
    let (four, b) = run_samples(&["--threads", "4"]);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    let mut compared = 0;
    for entry in std::fs::read_dir(one.path()).unwrap() {
        let name = entry.unwrap().file_name();
        // run.json and report.html record timings and the thread count; everything else must match.
        if name == "run.json" || name == "report.html" {
            continue;
        }
        let x = std::fs::read(one.path().join(&name)).unwrap();
        let y = std::fs::read(four.path().join(&name)).unwrap();
        assert!(x == y, "{name:?} differs between 1 and 4 threads");
        compared += 1;
    }
    assert!(compared >= 10, "compared {compared} files");
}

/// Many small batches, near-duplicate copies and several passes: the parallel parts of the run
/// (apply, observe, merge, spill) all see work split differently across threads.
#[test]
fn small_batches_and_near_duplicates_are_deterministic_too() {
    let work = tempfile::tempdir().unwrap();
    let inputs = work.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("samples")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let paragraphs: Vec<&str> = text.split("\n").filter(|l| !l.trim().is_empty()).collect();
        // The article, copies with a paragraph dropped, and copies cut short.
        for variant in 0..8 {
            let kept: Vec<&str> = match variant {
                0 => paragraphs.clone(),
                1..=4 => paragraphs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != variant + 1)
                    .map(|(_, p)| *p)
                    .collect(),
                _ => paragraphs[..paragraphs.len() * (variant + 2) / 10].to_vec(),
            };
            std::fs::write(inputs.join(format!("doc{n:03}.txt")), kept.join("\n\n")).unwrap();
            n += 1;
        }
    }
    let config = std::fs::read_to_string(root().join("pipeline.toml"))
        .unwrap()
        .replace("paths = [\"samples\"]", "paths = [\"inputs\"]")
        + "\n[run]\nbatch_size = 3\n";
    std::fs::write(work.path().join("pipeline.toml"), config).unwrap();
    let mut dirs = Vec::new();
    for threads in ["1", "4"] {
        let out = work.path().join(format!("out{threads}"));
        let o = newsmill(
            work.path(),
            &["run", "--threads", threads, "--out", &out.to_string_lossy()],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        dirs.push(out);
    }
    let clusters = table(&dirs[0], "clusters");
    assert!(
        clusters
            .iter()
            .any(|r| r["kind"] == "duplicate" && r["is_representative"] == "false"),
        "copies found"
    );
    for name in [
        "articles.csv",
        "clusters.csv",
        "removed.csv",
        "quotes.csv",
        "entities.csv",
        "articles.jsonl",
    ] {
        let x = std::fs::read(dirs[0].join(name)).unwrap();
        let y = std::fs::read(dirs[1].join(name)).unwrap();
        assert!(x == y, "{name} differs between 1 and 4 threads");
    }
}
