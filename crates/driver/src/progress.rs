//! Progress: a bar on a terminal, a periodic log line otherwise (cron, schedulers).

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar currently drawn, so log lines can be printed above it instead of through it.
static ACTIVE_BAR: OnceLock<Mutex<Option<ProgressBar>>> = OnceLock::new();

fn active() -> &'static Mutex<Option<ProgressBar>> {
    ACTIVE_BAR.get_or_init(|| Mutex::new(None))
}

pub struct Progress {
    bar: Option<ProgressBar>,
    log_every: Duration,
    label: String,
    done: u64,
    total: Option<u64>,
    pass_started: Instant,
    last_log: Instant,
}

impl Progress {
    pub fn new(show_bar: bool, log_every: Duration) -> Self {
        let bar = show_bar.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            if let Ok(mut slot) = active().lock() {
                *slot = Some(bar.clone());
            }
            bar
        });
        Progress {
            bar,
            log_every,
            label: String::new(),
            done: 0,
            total: None,
            pass_started: Instant::now(),
            last_log: Instant::now(),
        }
    }

    pub fn start_pass(&mut self, label: &str, total: Option<u64>) {
        self.label = label.to_string();
        self.done = 0;
        self.total = total;
        self.pass_started = Instant::now();
        self.last_log = Instant::now();
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_length(total.unwrap_or(0));
            let template = if total.is_some() {
                "{msg:>12} [{bar:40}] {pos}/{len} documents ({per_sec}, {eta} left)"
            } else {
                "{msg:>12} {spinner} {pos} documents ({per_sec})"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_string());
        }
    }

    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        } else if self.last_log.elapsed() >= self.log_every {
            self.last_log = Instant::now();
            let rate = self.done as f64 / self.pass_started.elapsed().as_secs_f64().max(1e-9);
            match self.total {
                Some(total) => tracing::info!(
                    step = %self.label,
                    done = self.done,
                    total,
                    docs_per_second = format!("{rate:.0}"),
                    "Still working through the documents."
                ),
                None => tracing::info!(
                    step = %self.label,
                    done = self.done,
                    docs_per_second = format!("{rate:.0}"),
                    "Still working through the documents."
                ),
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            if let Ok(mut slot) = active().lock() {
                *slot = None;
            }
        }
    }
}

/// A stderr writer for the log that keeps the progress bar intact.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = active().lock().ok().and_then(|slot| slot.clone());
        match bar {
            Some(bar) => {
                let mut result = Ok(buf.len());
                bar.suspend(|| {
                    if let Err(e) = std::io::stderr().write_all(buf) {
                        result = Err(e);
                    }
                });
                result
            }
            None => std::io::stderr().write_all(buf).map(|_| buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
