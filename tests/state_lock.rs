//! One run at a time on a state directory: a second run stops at once with exit code 2, and a
//! run killed with SIGKILL leaves a lock the next run takes over, with its scratch removed.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{newsmill, root, stderr};

fn write_config(dir: &Path, name: &str, stages: &str) {
    let samples = root().join("samples");
    let config = format!(
        "[input]\npaths = [{samples:?}]\n\n[state]\ndir = \"state\"\n\n{stages}\n[[stage]]\ntype = \"dedupe\"\n\n[[stage]]\ntype = \"export\"\nformats = [\"csv\"]\ndir = \"out\"\n"
    );
    std::fs::write(dir.join(name), config).expect("write the config");
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn scratch_dirs(state: &Path) -> Vec<String> {
    std::fs::read_dir(state.join("work"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_second_run_is_refused_and_a_killed_runs_lock_is_taken_over() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let state = dir.path().join("state");
    // The first run hangs in a stage whose program never answers, holding the lock.
    write_config(
        dir.path(),
        "hanging.toml",
        "[[stage]]\ntype = \"exec\"\ncommand = [\"sleep\", \"30\"]\ntimeout_seconds = 60.0\n",
    );
    write_config(dir.path(), "pipeline.toml", "[[stage]]\ntype = \"clean\"\n");

    let mut first = Command::new(env!("CARGO_BIN_EXE_newsmill"))
        .args(["run", "--config", "hanging.toml"])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the first run starts");
    let lock = state.join("newsmill.lock");
    wait_for("the first run to take the lock", || {
        std::fs::read_to_string(&lock).is_ok_and(|t| !t.is_empty())
    });
    wait_for("the first run's scratch directory", || {
        !scratch_dirs(&state).is_empty()
    });

    let started = Instant::now();
    let second = newsmill(dir.path(), &["run", "--config", "pipeline.toml"]);
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    let message = stderr(&second);
    assert!(
        message.contains("is in use by another run")
            && message.contains(&format!("pid {}", first.id())),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the refused run waited"
    );
    assert!(
        !dir.path().join("out/articles.csv").exists(),
        "the refused run wrote outputs"
    );

    first.kill().expect("SIGKILL the first run");
    first.wait().expect("reap the first run");
    assert!(
        !scratch_dirs(&state).is_empty(),
        "the killed run left scratch"
    );

    let third = Command::new(env!("CARGO_BIN_EXE_newsmill"))
        .args(["run", "--config", "pipeline.toml"])
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .output()
        .expect("the third run runs");
    let log = stderr(&third);
    assert_eq!(third.status.code(), Some(0), "{log}");
    assert!(log.contains("Took over the state directory"), "{log}");
    assert!(
        log.contains("scratch directories left by runs that did not finish"),
        "{log}"
    );
    assert!(dir.path().join("out/articles.csv").is_file());
    assert!(
        scratch_dirs(&state).is_empty(),
        "{:?}",
        scratch_dirs(&state)
    );
    // A run that finished leaves the lock free and not stale.
    assert_eq!(std::fs::read_to_string(&lock).expect("the lock file"), "");
}
