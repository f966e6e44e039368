//! The `exec` stage: any program that reads JSON Lines on stdin and writes JSON Lines on stdout
//! becomes a newsmill stage.
//!
//! Protocol, one line each way per document:
//! - newsmill writes the document as one JSON object (the fields of `newsmill_core::Document`).
//! - The program answers with one JSON object: the document back, whole or only the fields it
//!   changed (`{"text": "..."}`), or `{"drop": "reason"}` to drop it. Keys that are not document
//!   fields are kept under `extra` and exported with the article. `id` and `seq` cannot change.
//!
//! Each worker thread gets its own long-lived child process (taken from a pool), so a program is
//! started a handful of times per run, not once per document. Its stderr lines go to the log under
//! the stage's name. A timeout, a crash or an answer that is not a JSON object is handled by
//! `on_error`; a crashed or confused child is replaced by a fresh one for the next document.
//! Commands are run directly, never through a shell, so document text never reaches one.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use newsmill_core::{
    BuildContext, Document, KeyDoc, OutputFile, RunInfo, Stage, StageDoc, StageError, Tally,
    Verdict,
};

/// What to do when the program fails on a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Stop the run (exit code 2): for programs whose result must never be bypassed.
    #[default]
    Fail,
    /// Drop the document: it is listed in `rejected` with the error.
    Skip,
    /// Keep the document as it was before this stage; the error is counted and logged.
    Keep,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExecConfig {
    /// The program and its arguments, run without a shell.
    pub command: Vec<String>,
    /// A name for the log and counters (defaults to the program's file name).
    pub name: String,
    pub on_error: OnError,
    /// Seconds a program may take to answer one document.
    pub timeout_seconds: f64,
    /// Extra environment variables for the program.
    pub env: std::collections::BTreeMap<String, String>,
    /// Working directory of the program, relative to the config file; empty = the config's
    /// directory.
    pub dir: String,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            command: Vec::new(),
            name: String::new(),
            on_error: OnError::Fail,
            timeout_seconds: 30.0,
            env: Default::default(),
            dir: String::new(),
        }
    }
}

pub const DOC: StageDoc = StageDoc {
    kind: "exec",
    summary: "Runs your own program as a stage: one JSON document per line in, the document (or {\"drop\": \"reason\"}) per line out.",
    keys: &[
        KeyDoc {
            name: "command",
            kind: "list of strings",
            default: "[]",
            choices: &[],
            doc: "The program and its arguments, e.g. [\"python3\", \"my_stage.py\"]; run directly, never through a shell.",
        },
        KeyDoc {
            name: "name",
            kind: "string",
            default: "\"\"",
            choices: &[],
            doc: "Name used in logs and counters; empty means the program's file name.",
        },
        KeyDoc {
            name: "on_error",
            kind: "string",
            default: "\"fail\"",
            choices: &["fail", "skip", "keep"],
            doc: "On a timeout, crash or malformed answer: stop the run, drop the document (listed in rejected), or keep it unchanged.",
        },
        KeyDoc {
            name: "timeout_seconds",
            kind: "float",
            default: "30.0",
            choices: &[],
            doc: "Seconds the program may take to answer one document.",
        },
        KeyDoc {
            name: "env",
            kind: "table of strings",
            default: "{}",
            choices: &[],
            doc: "Extra environment variables for the program.",
        },
        KeyDoc {
            name: "dir",
            kind: "string",
            default: "\"\"",
            choices: &[],
            doc: "Working directory of the program, relative to the config file; empty means the config's directory.",
        },
    ],
};

impl ExecConfig {
    pub fn problems(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out = Vec::new();
        if self.command.is_empty() || self.command[0].trim().is_empty() {
            out.push((
                "command".into(),
                "must name a program, e.g. [\"python3\", \"my_stage.py\"]".into(),
                vec![],
            ));
        }
        if !(self.timeout_seconds.is_finite() && self.timeout_seconds > 0.0) {
            out.push((
                "timeout_seconds".into(),
                "must be a positive number".into(),
                vec![],
            ));
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot start `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
}

/// One running copy of the program.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<std::io::Result<String>>,
}

impl Worker {
    fn stop(mut self) {
        // Closing stdin asks the program to finish; a program that ignores it is killed.
        drop(self.stdin);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct ExecStage {
    config: ExecConfig,
    name: String,
    dir: PathBuf,
    timeout: Duration,
    idle: Mutex<Vec<Worker>>,
}

impl ExecStage {
    pub fn new(config: ExecConfig, ctx: &BuildContext) -> Result<ExecStage, ExecError> {
        if let Some((key, message, _)) = config.problems().into_iter().next() {
            return Err(ExecError::Invalid(format!("{key}: {message}")));
        }
        let name = if config.name.is_empty() {
            std::path::Path::new(config.command.last().map(String::as_str).unwrap_or("exec"))
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "exec".into())
        } else {
            config.name.clone()
        };
        let dir = if config.dir.is_empty() {
            ctx.config_dir.clone()
        } else {
            ctx.config_dir.join(&config.dir)
        };
        let stage = ExecStage {
            timeout: Duration::from_secs_f64(config.timeout_seconds),
            config,
            name,
            dir,
            idle: Mutex::new(Vec::new()),
        };
        // Start one copy now so that a missing program is a clear error before any work.
        let first = stage.spawn()?;
        if let Ok(mut idle) = stage.idle.lock() {
            idle.push(first);
        }
        Ok(stage)
    }

    fn spawn(&self) -> Result<Worker, ExecError> {
        let command_line = self.config.command.join(" ");
        let mut command = Command::new(&self.config.command[0]);
        command
            .args(&self.config.command[1..])
            .envs(&self.config.env)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| ExecError::Spawn {
            command: command_line.clone(),
            source,
        })?;
        let pid = child.id();
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err(ExecError::Spawn {
                command: command_line,
                source: std::io::Error::other("the program's standard streams are not available"),
            });
        };
        let (sender, answers) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let failed = line.is_err();
                if sender.send(line).is_err() || failed {
                    break;
                }
            }
        });
        let name = self.name.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                tracing::info!(stage = %name, pid, "{line}");
            }
        });
        tracing::debug!(stage = %self.name, pid, command = %command_line, "Started a stage program.");
        Ok(Worker {
            child,
            stdin,
            answers,
        })
    }

    fn take_worker(&self) -> Result<Worker, StageError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(worker) => Ok(worker),
            None => self.spawn().map_err(|e| StageError::Fatal(e.to_string())),
        }
    }

    fn give_back(&self, worker: Worker) {
        match self.idle.lock() {
            Ok(mut idle) => idle.push(worker),
            Err(_) => worker.kill(),
        }
    }

    /// Sends one document and waits for the answer. On failure the worker is gone.
    fn ask(&self, worker: &mut Worker, doc: &Document) -> Result<Value, String> {
        let mut line =
            serde_json::to_vec(doc).map_err(|e| format!("cannot encode the document: {e}"))?;
        line.push(b'\n');
        if let Err(e) = worker
            .stdin
            .write_all(&line)
            .and_then(|_| worker.stdin.flush())
        {
            return Err(format!("the program stopped reading its input ({e})"));
        }
        match worker.answers.recv_timeout(self.timeout) {
            Ok(Ok(answer)) => {
                let value: Value = serde_json::from_str(&answer).map_err(|e| {
                    format!("malformed answer (not JSON: {e}): {}", preview(&answer))
                })?;
                if value.is_object() {
                    Ok(value)
                } else {
                    Err(format!(
                        "malformed answer (not a JSON object): {}",
                        preview(&answer)
                    ))
                }
            }
            Ok(Err(e)) => Err(format!("cannot read the program's answer: {e}")),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "no answer within {:.1} s",
                self.timeout.as_secs_f64()
            )),
            Err(RecvTimeoutError::Disconnected) => {
                // Output closes a moment before the exit status can be collected.
                let deadline = Instant::now() + Duration::from_millis(500);
                let mut status = worker.child.try_wait().ok().flatten();
                while status.is_none() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                    status = worker.child.try_wait().ok().flatten();
                }
                Err(match status {
                    Some(status) => format!("the program exited ({status})"),
                    None => "the program closed its output".to_string(),
                })
            }
        }
    }

    fn on_failure(
        &self,
        doc: &Document,
        error: String,
        tally: &mut Tally,
    ) -> Result<Verdict, StageError> {
        tally.add("errors", 1);
        tracing::warn!(stage = %self.name, id = %doc.id, error = %error, on_error = ?self.config.on_error, "A stage program failed on a document.");
        let message = format!("{}: {error}", self.name);
        match self.config.on_error {
            OnError::Fail => Err(StageError::Fatal(message)),
            OnError::Skip => Err(StageError::Document(message)),
            OnError::Keep => Ok(Verdict::Keep),
        }
    }
}

/// Applies the program's answer to the document.
fn merge_answer(doc: &mut Document, answer: Value) -> Result<Verdict, String> {
    let Value::Object(mut fields) = answer else {
        return Err("malformed answer (not a JSON object)".into());
    };
    if let Some(reason) = fields.remove("drop") {
        let reason = match reason {
            Value::String(s) if !s.is_empty() => s,
            Value::Null | Value::Bool(true) => "dropped".into(),
            other => other.to_string(),
        };
        return Ok(Verdict::Drop(reason));
    }
    let mut current = serde_json::to_value(&*doc).map_err(|e| e.to_string())?;
    let Value::Object(current_fields) = &mut current else {
        return Err("internal error: a document is not a JSON object".into());
    };
    let mut extra = doc.extra.clone();
    for (key, value) in fields {
        match key.as_str() {
            // Identity and pipeline bookkeeping stay the driver's.
            "id" | "seq" | "status" => {}
            "extra" => {
                if let Value::Object(map) = value {
                    extra.extend(map);
                }
            }
            _ if current_fields.contains_key(&key) => {
                current_fields.insert(key, value);
            }
            _ => {
                extra.insert(key, value);
            }
        }
    }
    let mut updated: Document = serde_json::from_value(current)
        .map_err(|e| format!("the answer does not fit the document's fields: {e}"))?;
    updated.extra = extra;
    *doc = updated;
    Ok(Verdict::Keep)
}

fn preview(s: &str) -> String {
    let cut: String = s.chars().take(120).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

impl Stage for ExecStage {
    fn kind(&self) -> &'static str {
        "exec"
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError> {
        let mut worker = self.take_worker()?;
        match self.ask(&mut worker, doc) {
            Ok(answer) => {
                self.give_back(worker);
                match merge_answer(doc, answer) {
                    Ok(verdict) => {
                        tally.add("answered", 1);
                        Ok(verdict)
                    }
                    Err(error) => self.on_failure(doc, error, tally),
                }
            }
            Err(error) => {
                // A worker that timed out, crashed or answered out of step is replaced.
                worker.kill();
                tally.add("restarts", 1);
                self.on_failure(doc, error, tally)
            }
        }
    }

    fn finish(&mut self, _run: &RunInfo) -> Result<Vec<OutputFile>, StageError> {
        let workers = match self.idle.lock() {
            Ok(mut idle) => std::mem::take(&mut *idle),
            Err(_) => Vec::new(),
        };
        for worker in workers {
            worker.stop();
        }
        Ok(Vec::new())
    }
}

impl Drop for ExecStage {
    fn drop(&mut self) {
        if let Ok(mut idle) = self.idle.lock() {
            for worker in idle.drain(..) {
                worker.kill();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        Document {
            id: "a".into(),
            seq: 3,
            text: "Officials met in Jerusalem on Monday.".into(),
            ..Document::default()
        }
    }

    #[test]
    fn a_partial_answer_changes_only_its_fields_and_keeps_unknown_keys_as_extra() {
        let mut d = doc();
        let verdict = merge_answer(
            &mut d,
            serde_json::json!({"id": "changed", "seq": 99, "title": "Talks", "sentiment": 0.25}),
        )
        .unwrap();
        assert_eq!(verdict, Verdict::Keep);
        assert_eq!((d.id.as_str(), d.seq), ("a", 3));
        assert_eq!(d.title.as_deref(), Some("Talks"));
        assert_eq!(d.text, "Officials met in Jerusalem on Monday.");
        assert_eq!(d.extra["sentiment"], serde_json::json!(0.25));
    }

    #[test]
    fn a_drop_answer_drops_with_its_reason() {
        let mut d = doc();
        assert_eq!(
            merge_answer(&mut d, serde_json::json!({"drop": "too short"})).unwrap(),
            Verdict::Drop("too short".into())
        );
    }

    #[test]
    fn a_wrongly_typed_field_is_an_error() {
        let mut d = doc();
        assert!(merge_answer(&mut d, serde_json::json!({"text": 5})).is_err());
        assert_eq!(d.text, "Officials met in Jerusalem on Monday.");
    }

    #[test]
    fn the_keys_are_documented() {
        let value = serde_json::to_value(ExecConfig::default()).unwrap();
        let fields: Vec<&String> = value.as_object().unwrap().keys().collect();
        let documented: Vec<&str> = DOC.keys.iter().map(|k| k.name).collect();
        assert_eq!(fields.len(), documented.len());
        for f in fields {
            assert!(documented.contains(&f.as_str()), "{f} undocumented");
        }
    }
}
