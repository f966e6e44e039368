//! Opens the HTML report in headless Chromium (Debian's `chromium` package, installed by
//! scripts/install-test-deps.sh): the page must render, run its script without an exception
//! and log nothing to the console, and a screenshot is taken.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium() -> PathBuf {
    let path = PathBuf::from(CHROMIUM);
    assert!(
        path.exists(),
        "{CHROMIUM} is missing: the report's browser test needs Debian's chromium package; \
         install it with scripts/install-test-deps.sh"
    );
    path
}

/// Runs headless Chromium on `page` with the extra `args`, killed after a minute.
fn run_chromium(page: &Path, profile: &Path, args: &[String]) -> Output {
    let mut command = Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("chromium starts");
    let started = Instant::now();
    while child.try_wait().expect("chromium runs").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("chromium output")
}

/// Console lines Chromium logged for the page: errors, exceptions, CSP refusals.
fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

#[test]
fn report_renders_in_chromium_without_console_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let page = common::write_report(tmp.path());

    let dom = run_chromium(
        &page,
        &tmp.path().join("profile-dom"),
        &["--dump-dom".into()],
    );
    let html = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert_eq!(
        console_lines(&dom.stderr),
        Vec::<String>::new(),
        "the page logged to the console"
    );
    // The script appends this marker as its last step, so it is there only if it ran through.
    assert!(
        html.contains("id=\"report-ready\""),
        "the page's script did not finish:\n{html}"
    );
    assert!(html.contains("Most-quoted speakers"));

    let png = tmp.path().join("report.png");
    let shot = run_chromium(
        &page,
        &tmp.path().join("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".into(),
        ],
    );
    assert!(
        shot.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    assert_eq!(console_lines(&shot.stderr), Vec::<String>::new());
    let bytes = std::fs::read(&png).expect("a screenshot was saved");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 10_000,
        "the screenshot is nearly empty ({} bytes)",
        bytes.len()
    );
}

#[test]
fn console_errors_are_detected() {
    // The check above must be able to fail: a page with a script error is caught.
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let out = run_chromium(&page, &tmp.path().join("profile"), &["--dump-dom".into()]);
    let lines = console_lines(&out.stderr);
    assert!(
        lines.iter().any(|l| l.contains("Uncaught ReferenceError")),
        "{lines:?}"
    );
}
