//! A scheduled run killed with SIGKILL at random moments: the outputs are always whole (each
//! file either the previous run's or the new run's), and the next run leaves exactly what an
//! uninterrupted run would have, state included (the run after it matches too).
//!
//! NEWSMILL_KILL_RUNS sets how many runs are killed, NEWSMILL_KILL_SEED the random delays (the
//! seed used is printed, so a failure can be replayed).

mod common;
use common::*;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Killed runs leave their scratch files behind: `work_dir` keeps them inside the test's
/// directory.
fn config() -> String {
    default_pipeline(
        "[run]\nwork_dir = \"work\"\n\n[state]\ndir = \"state\"",
        &["csv", "jsonl"],
    )
}

/// Killed runs when NEWSMILL_KILL_RUNS is not set: about two minutes in a debug build on two
/// cores (a killed run, its rerun and the next run each take about a second or two).
const DEFAULT_KILLS: usize = 32;

/// Articles per batch: run 2 reads batch B alone (batch A is unchanged), which takes one to
/// three seconds in a debug build; batch C, read by run 3, is smaller to keep the test short.
const BATCH_A: usize = 40;
const BATCH_B: usize = 260;
const BATCH_C: usize = 30;

/// Log lines that some runs are killed at as soon as they appear.
const AIMED_AT: [&str; 4] = [
    "Wrote the export outputs",
    "Committed the dedupe index.",
    "Committing the run to the state directory.",
    "Committed the run to the state directory.",
];

/// SplitMix64: small, deterministic, and good enough to spread delays and shuffle paragraphs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A JSON Lines batch of `n` articles named `{prefix}{i}`: every tenth a re-scrape of a seed
/// (a share line and a comment number added), the others made of four to seven of the seeds'
/// paragraphs in a new order under one of them as headline, as a round-up would quote them. With
/// `broken`, one malformed line among them.
fn batch(prefix: &str, n: usize, broken: bool) -> String {
    let seeds = sample_articles();
    let pool: Vec<String> = seeds.iter().flat_map(|(_, t)| paragraphs(t, 12)).collect();
    let mut rng = Rng(prefix.bytes().fold(7, |h, b| h * 31 + u64::from(b)));
    let mut out = String::new();
    for i in 0..n {
        let text = if i % 10 == 3 {
            let (_, text) = &seeds[(i / 10) % seeds.len()];
            format!("{text}\n\nShare this article. Reader comment number {prefix}{i}.")
        } else {
            let headline: Vec<&str> = pool[rng.below(pool.len())]
                .split_whitespace()
                .take(9)
                .collect();
            let mut parts = vec![headline.join(" ")];
            let mut chosen = Vec::new();
            while chosen.len() < 4 + rng.below(4) {
                let p = rng.below(pool.len());
                if !chosen.contains(&p) {
                    chosen.push(p);
                }
            }
            parts.extend(chosen.iter().map(|&p| pool[p].clone()));
            parts.join("\n\n")
        };
        let record = serde_json::json!({"id": format!("{prefix}{i}"), "text": text});
        writeln!(out, "{record}").unwrap();
        if broken && i == n / 2 {
            writeln!(out, "{{\"id\": \"{prefix}-broken\", \"text\": ").unwrap();
        }
    }
    out
}

fn run_in(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_newsmill"))
        .arg("run")
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .output()
        .expect("the newsmill binary runs")
}

/// Runs to completion; batch B holds a malformed line, so a run that reads it exits 1, and a
/// rerun that finds nothing new may exit 0.
fn complete_run(dir: &Path, what: &str) -> Output {
    let out = run_in(dir);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{what} failed: {}",
        stderr(&out)
    );
    out
}

fn is_table(name: &str) -> bool {
    name.ends_with(".csv") || name.ends_with(".jsonl")
}

fn is_run_json(name: &str) -> bool {
    name == "run.json" || name.ends_with("/run.json")
}

/// What of a run.json must match an uninterrupted run's: the state report and the table counts
/// (times and durations differ between runs).
fn run_summary(bytes: &[u8]) -> Option<(serde_json::Value, serde_json::Value)> {
    let run: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    Some((run.get("state")?.clone(), run.get("tables")?.clone()))
}

fn run_started(out: &Path) -> String {
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json"))
            .expect("run.json is JSON");
    run["started"].as_str().expect("a start time").to_string()
}

/// The files of the export directory (out/ and out/new/) that are outputs: tables and run.json.
fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(out)
        .into_iter()
        .filter(|(name, _)| is_table(name) || is_run_json(name))
        .collect()
}

/// Anything else left in the export directory (temporary names of a killed run, say).
fn strays(out: &Path) -> Vec<String> {
    files_under(out)
        .into_keys()
        .filter(|name| !is_table(name) && !is_run_json(name) && !name.ends_with(".html"))
        .collect()
}

/// Compares outputs with an uninterrupted run's: tables byte for byte,
/// run.json files by their state report and table counts.
fn assert_same_outputs(
    got: &BTreeMap<String, Vec<u8>>,
    want: &BTreeMap<String, Vec<u8>>,
    context: &str,
) {
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(got),
        names(want),
        "{context}: the output files differ"
    );
    for (name, bytes) in got {
        if is_run_json(name) {
            assert_eq!(
                run_summary(bytes),
                run_summary(&want[name]),
                "{context}: {name} differs in its state report or table counts"
            );
        } else {
            assert!(
                bytes == &want[name],
                "{context}: {name} differs from the uninterrupted run's\n{}",
                first_difference(bytes, &want[name])
            );
        }
    }
}

fn first_difference(got: &[u8], want: &[u8]) -> String {
    let (got, want) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    for (n, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!("line {}:\n  got:  {g}\n  want: {w}", n + 1);
        }
    }
    format!(
        "{} lines, the uninterrupted run's {}",
        got.lines().count(),
        want.lines().count()
    )
}

/// Replaces the start times of runs 1 and 2 (which later runs quote as `representative_run`)
/// by their run numbers, so that run 3's outputs compare whatever second run 2 started in.
fn without_start_times(
    files: BTreeMap<String, Vec<u8>>,
    starts: &[(String, &str)],
) -> BTreeMap<String, Vec<u8>> {
    let replace = |bytes: Vec<u8>| {
        let mut text = String::from_utf8(bytes).expect("UTF-8 outputs");
        for (start, label) in starts {
            text = text.replace(start.as_str(), label);
        }
        text.into_bytes()
    };
    files
        .into_iter()
        .map(|(name, bytes)| (name, replace(bytes)))
        .collect()
}

/// Where a killed run was, by the last phase its log reached.
fn phase(log: &str) -> String {
    let mut phase = "starting".to_string();
    let mut pass = String::new();
    for line in log.lines() {
        if line.contains("Starting a pass over the documents.") {
            pass = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("pass="))
                .unwrap_or("?")
                .to_string();
            phase = format!("pass {pass}");
        } else if line.contains("A stage decided on what it observed.") {
            phase = format!("decided after pass {pass}");
        } else if let Some(p) = [
            ("Wrote the export outputs", "wrote the outputs"),
            ("Committed the dedupe index.", "committed the index"),
            ("Committing the run to the state directory.", "committing"),
            ("Committed the run to the state directory.", "committed"),
            ("Published the outputs.", "published"),
        ]
        .iter()
        .find(|(message, _)| line.contains(message))
        {
            phase = p.1.to_string();
        }
    }
    phase
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

#[test]
fn runs_killed_at_random_moments_leave_whole_outputs_and_the_next_run_finishes_the_job() {
    let kills = env_number("NEWSMILL_KILL_RUNS").map_or(DEFAULT_KILLS, |n| n as usize);
    let seed = env_number("NEWSMILL_KILL_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    });
    eprintln!("NEWSMILL_KILL_SEED={seed} NEWSMILL_KILL_RUNS={kills}");
    let mut rng = Rng(seed);

    let temp = tempfile::tempdir().expect("a temp dir");
    // Every run happens in the same directory (the state records where inputs and outputs
    // are); `base` keeps the directory as run 1 left it.
    let dir = temp.path().join("pipeline");
    let base = temp.path().join("base");
    let (batch_b, batch_c) = (batch("b", BATCH_B, true), batch("c", BATCH_C, false));
    std::fs::create_dir_all(dir.join("input")).unwrap();
    std::fs::write(dir.join("pipeline.toml"), config()).unwrap();
    for (name, text) in sample_articles() {
        std::fs::write(dir.join("input").join(name), text).unwrap();
    }
    std::fs::write(dir.join("input/a.jsonl"), batch("a", BATCH_A, false)).unwrap();
    let first = run_in(&dir);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    copy_tree(&dir, &base);
    let base_outputs = outputs(&base.join("out"));
    let run1_started = run_started(&base.join("out"));
    // Run 2 starts in another second than run 1, so that their start times tell them apart.
    std::thread::sleep(Duration::from_millis(1100));

    // The reference: runs 2 and 3 uninterrupted.
    std::fs::write(dir.join("input/b.jsonl"), &batch_b).unwrap();
    let started = Instant::now();
    let reference_run = complete_run(&dir, "the reference run 2");
    let full = started.elapsed();
    eprintln!("The phases of run 2 uninterrupted:");
    for line in stderr(&reference_run).lines() {
        let point = phase(line);
        if point != "starting" {
            eprintln!("  {} {point}", line.split_whitespace().next().unwrap_or(""));
        }
    }
    let reference_2 = outputs(&dir.join("out"));
    let reference_starts = [
        (run1_started.clone(), "<run 1 start>"),
        (run_started(&dir.join("out")), "<run 2 start>"),
    ];
    std::fs::write(dir.join("input/c.jsonl"), &batch_c).unwrap();
    complete_run(&dir, "the reference run 3");
    let reference_3 = without_start_times(outputs(&dir.join("out")), &reference_starts);
    let articles = table(&dir.join("out"), "articles").len();
    let quoting: Vec<&String> = reference_3
        .iter()
        .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains("<run 2 start>"))
        .map(|(name, _)| name)
        .collect();
    eprintln!("Run 3's outputs that quote run 2's start time: {quoting:?}");
    eprintln!(
        "Run 2 takes {:.2} s uninterrupted; run 3 ends with {articles} articles.",
        full.as_secs_f64()
    );

    let mut phases: BTreeMap<String, usize> = BTreeMap::new();
    let mut finished_first = 0;
    let mut stray_files = Vec::new();
    for k in 0..kills {
        std::fs::remove_dir_all(&dir).unwrap();
        copy_tree(&base, &dir);
        std::fs::write(dir.join("input/b.jsonl"), &batch_b).unwrap();
        let delay = full.mul_f64(1.1 * rng.unit());
        // The last phases take milliseconds, which random delays seldom hit: every fourth run
        // is killed as soon as its log reaches one of them instead.
        let aim = (k % 4 == 3).then(|| AIMED_AT[(k / 4) % AIMED_AT.len()]);
        let log_path = temp.path().join(format!("killed-{k}.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_newsmill"))
            .arg("run")
            .current_dir(&dir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("the binary starts");
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            let reached = match aim {
                Some(message) => std::fs::read_to_string(&log_path)
                    .unwrap()
                    .contains(message),
                None => start.elapsed() >= delay,
            };
            if reached {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let point = if child.try_wait().unwrap().is_some() {
            finished_first += 1;
            "finished before the kill".to_string()
        } else {
            child.kill().expect("SIGKILL");
            child.wait().unwrap();
            phase(&std::fs::read_to_string(&log_path).unwrap())
        };
        let context = match aim {
            Some(message) => format!("kill {k} at {message:?} ({point})"),
            None => format!("kill {k} after {:.3} s ({point})", delay.as_secs_f64()),
        };
        eprintln!("{context}");
        *phases.entry(point.clone()).or_default() += 1;

        // (a) Every output there is whole: run 1's or the uninterrupted run 2's.
        for (name, bytes) in outputs(&dir.join("out")) {
            let previous = base_outputs.get(&name) == Some(&bytes);
            let next = if is_run_json(&name) {
                run_summary(&bytes).is_some()
                    && run_summary(&bytes) == reference_2.get(&name).and_then(|b| run_summary(b))
            } else {
                reference_2.get(&name) == Some(&bytes)
            };
            assert!(
                previous || next,
                "{context}: out/{name} is neither run 1's nor run 2's"
            );
        }

        // (b) Run 2 again, to the end: what the uninterrupted run 2 left.
        let rerun = complete_run(&dir, &format!("{context}: the rerun"));
        let out = dir.join("out");
        assert_same_outputs(
            &outputs(&out),
            &reference_2,
            &format!("{context}: the rerun\n{}", stderr(&rerun)),
        );
        // Killed once the state recorded run 2, the rerun only finishes its publication.
        if point == "committed" {
            assert!(
                stderr(&rerun).contains("Nothing new since run 2"),
                "{context}: the rerun did work again\n{}",
                stderr(&rerun)
            );
        }
        stray_files.extend(strays(&out).into_iter().map(|s| format!("kill {k}: {s}")));

        // (c) Run 3: the state run 2 left (the dedupe index included) is an uninterrupted one's.
        let starts = [
            (run1_started.clone(), "<run 1 start>"),
            (run_started(&out), "<run 2 start>"),
        ];
        std::fs::write(dir.join("input/c.jsonl"), &batch_c).unwrap();
        complete_run(&dir, &format!("{context}: run 3"));
        assert_same_outputs(
            &without_start_times(outputs(&out), &starts),
            &reference_3,
            &format!("{context}: run 3"),
        );
    }

    let killed = kills - finished_first;
    eprintln!("Killed {killed} of {kills} runs; {finished_first} finished before the kill.");
    for (point, count) in &phases {
        eprintln!("  {count:3}  {point}");
    }
    if !stray_files.is_empty() {
        eprintln!("Files left in out/ besides the outputs: {stray_files:?}");
    }
    let before_commit: usize = phases
        .iter()
        .filter(|(p, _)| {
            !matches!(
                p.as_str(),
                "committed" | "published" | "finished before the kill"
            )
        })
        .map(|(_, n)| n)
        .sum();
    assert!(
        before_commit > 0,
        "no kill landed before the state commit: {phases:?}"
    );
    assert!(phases.values().sum::<usize>() >= kills);
}
