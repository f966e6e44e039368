//! Loading `pipeline.toml`: every problem reported at once, each with file, line, column, the
//! key and the valid choices.

use std::any::Any;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use newsmill_core::KeyDoc;
use newsmill_ingest::InputConfig;

use crate::problem::{LineIndex, Problem};
use crate::registry::Registry;

/// Run-wide settings: `[run]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Documents handed to the workers at a time.
    pub batch_size: usize,
    /// Where work files between passes go; empty means the system's temporary directory.
    pub work_dir: String,
    /// Seconds between progress lines in logs when stderr is not a terminal.
    pub log_every_seconds: u64,
    /// Where the steps of a sharded run meet (a directory every shard and the merge can reach).
    pub shard_dir: String,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            threads: 0,
            batch_size: 512,
            work_dir: String::new(),
            log_every_seconds: 10,
            shard_dir: "shards".to_string(),
        }
    }
}

pub const RUN_KEYS: &[KeyDoc] = &[
    KeyDoc {
        name: "threads",
        kind: "integer",
        default: "0",
        choices: &[],
        doc: "Worker threads; 0 means one per core. `--threads` overrides it.",
    },
    KeyDoc {
        name: "batch_size",
        kind: "integer",
        default: "512",
        choices: &[],
        doc: "Documents handed to the workers at a time (memory grows with it).",
    },
    KeyDoc {
        name: "work_dir",
        kind: "string",
        default: "\"\"",
        choices: &[],
        doc: "Directory for the compressed work files between passes and the dedupe stage's scratch files (a few GB at a million documents); empty means `work/` in the `[state] dir` when one is set (scratch left there by a killed run is removed by the next run), else the system's temporary directory.",
    },
    KeyDoc {
        name: "log_every_seconds",
        kind: "integer",
        default: "10",
        choices: &[],
        doc: "Seconds between progress lines when stderr is not a terminal.",
    },
    KeyDoc {
        name: "shard_dir",
        kind: "string",
        default: "\"shards\"",
        choices: &[],
        doc: "Sharded runs (`newsmill run --shard i/N`, then `newsmill merge`): the directory, relative to the config file, where shards leave their documents, states and completion markers and the merge its decisions. Every shard and the merge must reach the same directory (a shared file system).",
    },
];

impl RunConfig {
    fn problems(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out = Vec::new();
        if self.batch_size == 0 {
            out.push(("batch_size".into(), "must be at least 1".into(), vec![]));
        }
        if self.shard_dir.is_empty() {
            out.push(("shard_dir".into(), "must name a directory".into(), vec![]));
        }
        out
    }
}

/// State kept between scheduled runs: `[state]`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// Directory for state kept between runs; empty means none is kept.
    pub dir: String,
}

pub const STATE_KEYS: &[KeyDoc] = &[KeyDoc {
    name: "dir",
    kind: "string",
    default: "\"\"",
    choices: &[],
    doc: "Directory where stages keep what must survive between scheduled runs (such as the dedupe index), relative to the config file; empty keeps nothing.",
}];

/// One `[[stage]]` table, checked and deserialised into its stage's config struct.
pub struct StageSpec {
    /// 1-based position in the pipeline.
    pub index: usize,
    pub kind: String,
    pub config: Box<dyn Any + Send>,
}

/// A checked pipeline configuration, ready to build stages from.
pub struct Config {
    /// The config file as named by the user, or "<built-in>".
    pub path: String,
    /// Relative paths in the config resolve against this directory.
    pub dir: PathBuf,
    /// SHA-256 of the config bytes, hex.
    pub digest: String,
    pub input: InputConfig,
    pub run: RunConfig,
    pub state: StateConfig,
    pub stages: Vec<StageSpec>,
}

impl Config {
    /// `[state] dir` resolved against the config's directory.
    pub fn state_dir(&self) -> Option<PathBuf> {
        (!self.state.dir.is_empty()).then(|| self.dir.join(&self.state.dir))
    }

    /// `[run] shard_dir` resolved against the config's directory.
    pub fn shard_dir(&self) -> PathBuf {
        self.dir.join(&self.run.shard_dir)
    }

    /// Where scratch files go: `[run] work_dir` resolved against the config's directory, else
    /// `work/` in the state directory (so that a killed run's leftovers are found and removed
    /// by the next run), else `None` for the system's temporary directory.
    pub fn work_dir(&self) -> Option<PathBuf> {
        if !self.run.work_dir.is_empty() {
            return Some(self.dir.join(&self.run.work_dir));
        }
        self.state_dir()
            .map(|state| state.join(crate::state::WORK_SUBDIR))
    }
}

const TOP_LEVEL_KEYS: &[&str] = &["input", "run", "state", "stage"];

/// Reads and checks a config file. `Err` holds every problem found.
pub fn load(path: &Path, registry: &Registry) -> Result<Config, Vec<Problem>> {
    let display = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Problem {
            file: display.clone(),
            line: 0,
            column: 0,
            key: "config".into(),
            message: format!("cannot read the config file: {e}"),
            choices: vec![],
        }]
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![Problem {
            file: display.clone(),
            line: 0,
            column: 0,
            key: "config".into(),
            message: format!(
                "the config file is not UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ),
            choices: vec![],
        }]
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parse(&text, &display, dir, registry)
}

/// Checks config text. `file` names it in messages; `dir` resolves its relative paths.
pub fn parse(
    text: &str,
    file: &str,
    dir: PathBuf,
    registry: &Registry,
) -> Result<Config, Vec<Problem>> {
    let index = LineIndex::new(text);
    let at = Locator {
        file,
        dir: &dir,
        index: &index,
    };
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    let mut problems: Vec<Problem> = syntax_errors
        .iter()
        .map(|e| at.problem(e.span().map(|s| s.start), "syntax", e.message(), vec![]))
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut input = None;
    let mut run = None;
    let mut state = None;
    let mut stages = Vec::new();
    for (key, value) in root.get_ref().iter() {
        let name: &str = key.get_ref();
        match name {
            "input" => input = Some(value),
            "run" => run = Some(value),
            "state" => state = Some(value),
            "stage" => match value.get_ref() {
                DeValue::Array(items) => stages.extend(items.iter()),
                _ => problems.push(at.problem(
                    Some(key.span().start),
                    "stage",
                    "stages are an array of tables: write each one as [[stage]]",
                    vec![],
                )),
            },
            other => problems.push(at.problem(
                Some(key.span().start),
                other,
                "unknown top-level key",
                TOP_LEVEL_KEYS.iter().map(|s| s.to_string()).collect(),
            )),
        }
    }

    let input_config = match input {
        None => Some(InputConfig::default()),
        Some(value) => check_section::<InputConfig>(
            &at,
            "input",
            value,
            newsmill_ingest::INPUT_KEYS,
            &[],
            &mut problems,
        )
        .inspect(|c| {
            report_semantic(&at, "input", value, c.problems(), &mut problems);
        }),
    };
    let run_config = match run {
        None => Some(RunConfig::default()),
        Some(value) => check_section::<RunConfig>(&at, "run", value, RUN_KEYS, &[], &mut problems)
            .inspect(|c| {
                report_semantic(&at, "run", value, c.problems(), &mut problems);
            }),
    };

    let state_config = match state {
        None => Some(StateConfig::default()),
        Some(value) => {
            check_section::<StateConfig>(&at, "state", value, STATE_KEYS, &[], &mut problems)
        }
    };

    let mut specs = Vec::new();
    for (i, value) in stages.into_iter().enumerate() {
        let number = i + 1;
        let DeValue::Table(table) = value.get_ref() else {
            problems.push(at.problem(
                Some(value.span().start),
                &format!("stage {number}"),
                "a stage must be a table with a `type` key",
                vec![],
            ));
            continue;
        };
        let kinds: Vec<String> = registry.kinds().map(str::to_string).collect();
        let Some(type_value) = table.get("type") else {
            problems.push(at.problem(
                Some(value.span().start),
                &format!("stage {number}"),
                "missing key `type`",
                kinds,
            ));
            continue;
        };
        let Some(kind) = type_value.get_ref().as_str() else {
            problems.push(at.problem(
                Some(type_value.span().start),
                &format!("stage {number}.type"),
                "`type` must be a string",
                kinds,
            ));
            continue;
        };
        let Some(factory) = registry.get(kind) else {
            problems.push(at.problem(
                Some(type_value.span().start),
                &format!("stage {number}.type"),
                &format!("unknown stage type `{kind}`"),
                kinds,
            ));
            continue;
        };
        let section = format!("stage {number} ({kind})");
        if let Some(config) = factory.check(&at, &section, value, &mut problems) {
            specs.push(StageSpec {
                index: number,
                kind: kind.to_string(),
                config,
            });
        }
    }

    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.line, p.column));
        return Err(problems);
    }
    let (Some(input), Some(run), Some(state)) = (input_config, run_config, state_config) else {
        return Err(problems);
    };
    Ok(Config {
        path: file.to_string(),
        dir,
        digest: hex_sha256(text.as_bytes()),
        input,
        run,
        state,
        stages: specs,
    })
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Turns byte offsets into located problems.
pub struct Locator<'a> {
    pub file: &'a str,
    /// The config file's directory, against which relative paths resolve.
    pub dir: &'a Path,
    pub index: &'a LineIndex<'a>,
}

impl Locator<'_> {
    pub fn problem(
        &self,
        byte: Option<usize>,
        key: &str,
        message: &str,
        choices: Vec<String>,
    ) -> Problem {
        let (line, column) = byte.map(|b| self.index.locate(b)).unwrap_or((0, 0));
        Problem {
            file: self.file.to_string(),
            line,
            column,
            key: key.to_string(),
            message: message.to_string(),
            choices,
        }
    }
}

/// Checks one table against a config struct: each unknown key and each badly typed value is its
/// own problem (serde alone would stop at the first), then the whole table is deserialised.
pub fn check_section<C: DeserializeOwned>(
    at: &Locator,
    section: &str,
    value: &Spanned<DeValue<'_>>,
    keys: &[KeyDoc],
    skip: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<C> {
    let DeValue::Table(table) = value.get_ref() else {
        problems.push(at.problem(Some(value.span().start), section, "must be a table", vec![]));
        return None;
    };
    // Nested tables are documented key by key ("fields.id"); at this level they are one key.
    let mut valid: Vec<String> = Vec::new();
    for k in keys {
        let head = k.name.split('.').next().unwrap_or(k.name).to_string();
        if !valid.contains(&head) {
            valid.push(head);
        }
    }
    let before = problems.len();
    let mut rest = DeTable::default();
    for (key, item) in table.iter() {
        let name: &str = key.get_ref();
        if skip.contains(&name) {
            continue;
        }
        let doc = keys
            .iter()
            .find(|k| k.name == name || k.name.split('.').next() == Some(name));
        let Some(doc) = doc else {
            problems.push(at.problem(
                Some(key.span().start),
                &format!("{section}.{name}"),
                &format!("unknown key `{name}`"),
                valid.clone(),
            ));
            continue;
        };
        let mut single = DeTable::default();
        single.insert(key.clone(), item.clone());
        let de = ValueDeserializer::from(Spanned::new(value.span(), DeValue::Table(single)));
        if let Err(e) = C::deserialize(de) {
            let start = e.span().map(|s| s.start).unwrap_or(item.span().start);
            let nested = doc.name != name;
            let choices = if nested {
                vec![]
            } else {
                doc.choices.iter().map(|s| s.to_string()).collect()
            };
            let message = first_line(e.message());
            let message = if nested || message.contains("expected one of") {
                message.to_string()
            } else {
                format!("{message} (expected {})", doc.kind)
            };
            problems.push(at.problem(Some(start), &format!("{section}.{name}"), &message, choices));
            continue;
        }
        rest.insert(key.clone(), item.clone());
    }
    if problems.len() > before {
        return None;
    }
    let de = ValueDeserializer::from(Spanned::new(value.span(), DeValue::Table(rest)));
    match C::deserialize(de) {
        Ok(c) => Some(c),
        Err(e) => {
            let start = e.span().map(|s| s.start).unwrap_or(value.span().start);
            problems.push(at.problem(Some(start), section, first_line(e.message()), vec![]));
            None
        }
    }
}

/// Places semantic problems (found by a config's own `problems()`) at their key.
pub fn report_semantic(
    at: &Locator,
    section: &str,
    value: &Spanned<DeValue<'_>>,
    found: Vec<(String, String, Vec<String>)>,
    problems: &mut Vec<Problem>,
) {
    for (key, message, choices) in found {
        let head = key.split('.').next().unwrap_or(&key);
        let byte = match value.get_ref() {
            DeValue::Table(t) => t
                .get(head)
                .map(|v| v.span().start)
                .unwrap_or(value.span().start),
            _ => value.span().start,
        };
        problems.push(at.problem(Some(byte), &format!("{section}.{key}"), &message, choices));
    }
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim()
}
