//! The newsmill driver: command line, config loading, the stage registry and the executor.
//!
//! It is glue: stages live in their own crates and know nothing of each other; this crate
//! reads `pipeline.toml`, looks stage types up in [`Registry`], plans streaming passes and runs
//! them. Binaries with their own stages call [`run_with`].

pub mod config;
pub mod executor;
pub mod problem;
mod progress;
pub mod reference;
pub mod registry;
pub mod shard;
pub mod state;
pub mod store;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use newsmill_core::{BuildContext, RunInfo};

pub use config::Config;
pub use problem::Problem;
pub use registry::{Registry, StageFactory, Typed};

/// Exit code: every input became an article (kept or duplicate).
pub const EXIT_OK: u8 = 0;
/// Exit code: the run finished, but some inputs (or parts of them) were rejected.
pub const EXIT_REJECTED: u8 = 1;
/// Exit code: the run could not happen (bad config, unwritable output, ...).
pub const EXIT_CANNOT_RUN: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "newsmill",
    version,
    about = "Turns piles of scraped news articles into clean, de-duplicated, structured tables.",
    after_help = "Exit codes: 0 every input became an article; 1 some inputs were rejected (see the rejected table); 2 the run could not happen."
)]
struct Cli {
    /// Log format on stderr: text for people, json for schedulers and log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the pipeline described by the config.
    Run {
        /// The pipeline config.
        #[arg(long, short, default_value = "pipeline.toml")]
        config: PathBuf,
        /// Output directory; replaces the `dir` of every export stage.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: the config's `[run] threads`, else one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Run as shard INDEX of COUNT (counted from 0, as in 0/4) of a sharded run: do the
        /// next steps of this shard's slice of the inputs, in `[run] shard_dir`.
        #[arg(long, value_name = "INDEX/COUNT")]
        shard: Option<String>,
        /// The shard count of a sharded run whose index comes from the scheduler
        /// (SLURM_ARRAY_TASK_ID, or JOB_COMPLETION_INDEX in a Kubernetes Indexed Job).
        #[arg(long, value_name = "COUNT")]
        shards: Option<usize>,
        /// Input files, directories or globs; they replace `[input] paths` of the config.
        inputs: Vec<String>,
    },
    /// Do the next merge step of a sharded run: decide on what every shard observed, or, at
    /// the end, write the tables from every shard's documents.
    Merge {
        #[arg(long, short, default_value = "pipeline.toml")]
        config: PathBuf,
        /// Output directory; replaces the `dir` of every export stage.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: the config's `[run] threads`, else one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Check a config and report every problem at once.
    Validate {
        #[arg(long, short, default_value = "pipeline.toml")]
        config: PathBuf,
    },
    /// Show what the clean stage does to one article: every input line, kept or removed, with
    /// the rule that removed it and where its information went.
    Explain {
        /// The article's id (as in the `id` column of articles.csv).
        id: String,
        #[arg(long, short, default_value = "pipeline.toml")]
        config: PathBuf,
        /// Input files, directories or globs; they replace `[input] paths` of the config.
        inputs: Vec<String>,
    },
    /// Train the entity tagger on CoNLL-format data (`WORD POS CHUNK NER` per line).
    TrainNer {
        /// Training data.
        #[arg(long)]
        conll: PathBuf,
        /// Where to write the model; use it with the extract stage's `model` key.
        #[arg(long)]
        out: PathBuf,
        /// Development data: the epoch with the best F1 on it is kept.
        #[arg(long)]
        dev: Option<PathBuf>,
        /// Passes over the training data.
        #[arg(long, default_value_t = 15)]
        epochs: usize,
    },
    /// Score the entity tagger on CoNLL-format data: precision, recall and F1 per type (exact
    /// spans, conlleval convention) and tokens per second.
    EvalNer {
        #[arg(long)]
        conll: PathBuf,
        /// A model written by `train-ner`; the built-in model by default.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// List every stage type with its keys, defaults and meaning.
    Stages {
        /// Print the config reference as Markdown (as in the README).
        #[arg(long)]
        markdown: bool,
    },
}

/// The `newsmill` command with the built-in stages.
pub fn main() -> ExitCode {
    run_with(Vec::new())
}

/// The `newsmill` command with extra stage types registered next to the built-in ones.
pub fn run_with(extra_stages: Vec<Box<dyn StageFactory>>) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_CANNOT_RUN
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.log_format);
    let mut registry = Registry::builtin();
    for factory in extra_stages {
        registry.register(factory);
    }
    let code = match cli.command {
        Command::Run {
            config,
            out,
            threads,
            shard,
            shards,
            inputs,
        } => match shard::resolve_shard(shard.as_deref(), shards) {
            Ok(None) => cmd_run(&registry, &config, out, threads, inputs),
            Ok(Some((index, count))) => cmd_sharded(
                &registry,
                &config,
                out,
                threads,
                inputs,
                Some((index, count)),
            ),
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_CANNOT_RUN
            }
        },
        Command::Merge {
            config,
            out,
            threads,
        } => cmd_sharded(&registry, &config, out, threads, Vec::new(), None),
        Command::Validate { config } => cmd_validate(&registry, &config),
        Command::Explain { id, config, inputs } => cmd_explain(&registry, &config, &id, inputs),
        Command::TrainNer {
            conll,
            out,
            dev,
            epochs,
        } => cmd_train_ner(&conll, &out, dev, epochs),
        Command::EvalNer { conll, model } => cmd_eval_ner(&conll, model.as_deref()),
        Command::Stages { markdown } => {
            if markdown {
                print!("{}", reference::markdown(&registry));
            } else {
                print!("{}", reference::plain(&registry));
            }
            EXIT_OK
        }
    };
    ExitCode::from(code)
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| progress::LogWriter)
        .with_target(false);
    let result = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
    };
    // A second initialisation (a library user who set up their own subscriber) is fine.
    let _ = result;
}

/// Loads the config (reporting its problems) and applies inputs named on the command line,
/// which replace `[input] paths` and are relative to where the user is, not to the config.
/// Returns the config and the directory its input paths resolve against.
fn load_for_inputs(
    registry: &Registry,
    config_path: &std::path::Path,
    inputs: Vec<String>,
) -> Option<(Config, PathBuf)> {
    let mut config = match config::load(config_path, registry) {
        Ok(c) => c,
        Err(problems) => {
            report_problems(&problems);
            return None;
        }
    };
    let input_base = if inputs.is_empty() {
        config.dir.clone()
    } else {
        config.input.paths = inputs;
        PathBuf::from(".")
    };
    Some((config, input_base))
}

fn cmd_explain(
    registry: &Registry,
    config_path: &std::path::Path,
    id: &str,
    inputs: Vec<String>,
) -> u8 {
    use newsmill_core::Stage;
    let Some((config, input_base)) = load_for_inputs(registry, config_path, inputs) else {
        return EXIT_CANNOT_RUN;
    };
    let Some(clean_config) = config
        .stages
        .iter()
        .find_map(|s| s.config.downcast_ref::<newsmill_clean::CleanConfig>())
    else {
        eprintln!("error: {} has no clean stage to explain.", config.path);
        return EXIT_CANNOT_RUN;
    };
    let mut stage = match newsmill_clean::CleanStage::new(clean_config.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: the clean stage cannot start: {e}");
            return EXIT_CANNOT_RUN;
        }
    };
    let (files, _) = newsmill_ingest::list_inputs(&config.input, &input_base);
    let read_all = || {
        files
            .iter()
            .flat_map(|f| newsmill_ingest::read_input(f, &config.input))
            .filter_map(|r| match r {
                newsmill_ingest::Record::Document(d) => Some(d),
                newsmill_ingest::Record::Rejected(_) => None,
            })
    };
    // Site repetition judges a line by the whole corpus, so the corpus is observed first.
    for round in 0..stage.observation_rounds() {
        let mut observer = stage.new_observer(round);
        for doc in read_all() {
            observer.observe(&doc);
        }
        if let Err(e) = stage.decide(round, observer) {
            eprintln!("error: the clean stage could not decide: {e}");
            return EXIT_CANNOT_RUN;
        }
    }
    match read_all().find(|d| d.id == id) {
        Some(doc) => {
            print!("{}", stage.explain_document(&doc));
            EXIT_OK
        }
        None => {
            eprintln!("error: no article with id `{id}` in the inputs.");
            EXIT_REJECTED
        }
    }
}

fn cmd_train_ner(
    conll: &std::path::Path,
    out: &std::path::Path,
    dev: Option<PathBuf>,
    epochs: usize,
) -> u8 {
    let options = newsmill_extract::TrainOptions {
        epochs,
        dev,
        ..newsmill_extract::TrainOptions::default()
    };
    match newsmill_extract::train(conll, out, &options) {
        Ok(report) => {
            println!(
                "Trained on {} sentences ({} tokens) in {:.1} s: kept epoch {} of {}, {} features, {} bytes, written to {}.",
                report.sentences,
                report.tokens,
                report.seconds,
                report.chosen_epoch,
                epochs,
                report.features,
                report.model_bytes,
                out.display()
            );
            if let Some(dev) = report.dev {
                println!("On the development data:\n{dev}");
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_CANNOT_RUN
        }
    }
}

fn cmd_eval_ner(conll: &std::path::Path, model: Option<&std::path::Path>) -> u8 {
    let loaded;
    let model = match model {
        None => newsmill_extract::NerModel::builtin(),
        Some(path) => match newsmill_extract::NerModel::load(path) {
            Ok(m) => {
                loaded = m;
                &loaded
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_CANNOT_RUN;
            }
        },
    };
    match newsmill_extract::evaluate(model, conll) {
        Ok(report) => {
            println!("{report}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_CANNOT_RUN
        }
    }
}

fn report_problems(problems: &[Problem]) {
    for p in problems {
        eprintln!("error: {p}");
    }
    eprintln!(
        "{} problem{} found in the config.",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
}

fn cmd_validate(registry: &Registry, path: &std::path::Path) -> u8 {
    match config::load(path, registry) {
        Ok(config) => {
            println!(
                "{} is valid: {} stage{} ({}).",
                config.path,
                config.stages.len(),
                if config.stages.len() == 1 { "" } else { "s" },
                config
                    .stages
                    .iter()
                    .map(|s| s.kind.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            );
            EXIT_OK
        }
        Err(problems) => {
            report_problems(&problems);
            EXIT_CANNOT_RUN
        }
    }
}

/// Two export stages writing into one directory would overwrite each other's tables.
fn colliding_exports(config: &Config, ctx: &BuildContext) -> Option<String> {
    let mut seen: Vec<(usize, PathBuf)> = Vec::new();
    for spec in &config.stages {
        let Some(export) = spec.config.downcast_ref::<newsmill_export::ExportConfig>() else {
            continue;
        };
        let dir = ctx
            .out_override
            .clone()
            .unwrap_or_else(|| ctx.config_dir.join(&export.dir));
        if let Some((first, _)) = seen.iter().find(|(_, d)| *d == dir) {
            return Some(format!(
                "stages {first} and {} (export) both write to {}; give each export stage its own `dir` (`--out` redirects every export stage, so it works with one only)",
                spec.index,
                dir.display()
            ));
        }
        seen.push((spec.index, dir));
    }
    None
}

/// Locks the state directory and, when its `work/` holds this run's scratch files, removes what
/// runs that were killed left there.
fn take_state(
    dir: &std::path::Path,
    scratch_in_state: bool,
) -> Result<state::StateLock, state::LockError> {
    let taken = state::StateLock::acquire(dir)?;
    if let Some(holder) = &taken.stale_holder {
        tracing::warn!(
            lock = %taken.lock.path().display(),
            previous = %holder,
            "Took over the state directory from a run that ended without finishing ({holder}); the state it last committed is used."
        );
    }
    if scratch_in_state {
        let (removed, bytes) = state::sweep_stale_scratch(&dir.join(state::WORK_SUBDIR));
        if removed > 0 {
            tracing::info!(
                directories = removed,
                bytes,
                "Removed {removed} scratch directories left by runs that did not finish."
            );
        }
    }
    Ok(taken.lock)
}

/// A shard's steps (`shard` is its index and the count) or the merge's (`None`).
fn cmd_sharded(
    registry: &Registry,
    config_path: &std::path::Path,
    out: Option<PathBuf>,
    threads: Option<usize>,
    inputs: Vec<String>,
    shard: Option<(usize, usize)>,
) -> u8 {
    let Some((config, input_base)) = load_for_inputs(registry, config_path, inputs) else {
        return EXIT_CANNOT_RUN;
    };
    if config.state_dir().is_some() {
        tracing::warn!("Sharded runs are whole runs: the [state] dir is neither read nor written.");
    }
    let Some(pool) = worker_pool(threads.filter(|&n| n > 0).unwrap_or(config.run.threads)) else {
        return EXIT_CANNOT_RUN;
    };
    let setup = shard::Setup {
        registry,
        config: &config,
        config_path: config_path.to_path_buf(),
        input_base,
        out,
        pool: &pool,
    };
    let done = match shard {
        Some((index, count)) => shard::run_shard(&setup, index, count),
        None => shard::run_merge(&setup),
    };
    match done {
        Ok(shard::Done::Waiting { message }) => {
            tracing::info!("{message}");
            EXIT_OK
        }
        Ok(shard::Done::Complete { info }) => finished(&info, 0, " It was a sharded run."),
        Err(e) => {
            tracing::error!(error = %e, "The sharded run cannot go on.");
            eprintln!("error: {e}");
            EXIT_CANNOT_RUN
        }
    }
}

/// The rayon pool the run's workers use (0 threads: one per core).
fn worker_pool(threads: usize) -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("newsmill-worker-{i}"))
        .build()
        .map_err(|e| tracing::error!(error = %e, "Could not start the worker threads."))
        .ok()
}

/// Opens the state database and finishes the publication of a run killed after its commit.
fn open_store(dir: &std::path::Path) -> Result<store::Store, store::StoreError> {
    let mut store = store::Store::open(dir)?;
    let finished = store.roll_forward()?;
    if finished > 0 {
        tracing::warn!(
            files = finished,
            "The previous run was killed after committing its state, while putting its outputs in place; its {finished} outputs are now published."
        );
    }
    Ok(store)
}

fn cmd_run(
    registry: &Registry,
    config_path: &std::path::Path,
    out: Option<PathBuf>,
    threads: Option<usize>,
    inputs: Vec<String>,
) -> u8 {
    let Some((mut config, input_base)) = load_for_inputs(registry, config_path, inputs) else {
        return EXIT_CANNOT_RUN;
    };
    let Some(pool) = worker_pool(threads.filter(|&n| n > 0).unwrap_or(config.run.threads)) else {
        return EXIT_CANNOT_RUN;
    };
    let cannot_run = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "The run cannot start.");
        eprintln!("error: {e}");
        EXIT_CANNOT_RUN
    };

    // Held until the run returns: a second run on the same state stops here, before any stage
    // opens what the state directory holds.
    let _state_lock = match config.state_dir() {
        Some(dir) => match take_state(&dir, config.run.work_dir.is_empty()) {
            Ok(lock) => Some(lock),
            Err(e) => return cannot_run(&e),
        },
        None => None,
    };
    let mut store = match config.state_dir().map(|dir| open_store(&dir)) {
        Some(Ok(store)) => Some(store),
        Some(Err(e)) => return cannot_run(&e),
        None => None,
    };

    let (files, listing_rejections) = newsmill_ingest::list_inputs(&config.input, &input_base);
    // With a state, only new and changed inputs are read; the rest are repeated from it.
    let mut replaced_ids = std::collections::HashSet::new();
    let (files, state_report, read) = match store.as_mut() {
        None => (files, None, Vec::new()),
        Some(store) => {
            let listed = files.len();
            let (last, classified) = match pool.install(|| {
                let last = store.last_run()?;
                store.classify(files).map(|c| (last, c))
            }) {
                Ok(found) => found,
                Err(e) => return cannot_run(&e),
            };
            let run = last.as_ref().map_or(1, |l| l.run + 1);
            if let Some(last) = &last
                && classified.to_read.is_empty()
                && last.config_digest == config.digest
                && last.outputs.iter().all(|p| p.exists())
            {
                for r in &listing_rejections {
                    tracing::warn!(path = %r.source, detail = %r.detail, "An input named in the config was not found.");
                }
                tracing::info!(
                    run = last.run,
                    inputs = listed,
                    "Nothing new since run {}: all {listed} inputs are unchanged, the config is the same and its outputs are in place, so this run does no work.",
                    last.run
                );
                return EXIT_OK;
            }
            let report = newsmill_core::StateReport {
                run,
                new_inputs: classified.new_inputs,
                changed_inputs: classified.changed_inputs,
                unchanged_inputs: classified.unchanged_inputs,
                earlier_documents: 0,
            };
            tracing::info!(
                run,
                new = report.new_inputs,
                changed = report.changed_inputs,
                unchanged = report.unchanged_inputs,
                "This is run {run} of the state directory: {} new and {} changed inputs are read, {} unchanged ones are skipped.",
                report.new_inputs,
                report.changed_inputs,
                report.unchanged_inputs
            );
            let rereading: Vec<&str> = classified
                .to_read
                .iter()
                .map(|(f, _)| f.display.as_str())
                .collect();
            replaced_ids = match store.ids_of_inputs(&rereading) {
                Ok(ids) => ids,
                Err(e) => return cannot_run(&e),
            };
            let files = classified.to_read.iter().map(|(f, _)| f.clone()).collect();
            (files, Some(report), classified.to_read)
        }
    };

    let ctx = BuildContext {
        config_dir: config.dir.clone(),
        out_override: out,
        state_dir: config.state_dir(),
        work_dir: config.work_dir(),
        state_run: state_report.as_ref().map(|r| r.run),
        replaced_ids: std::sync::Arc::new(replaced_ids),
    };
    if let Some(message) = colliding_exports(&config, &ctx) {
        eprintln!("error: {message}");
        return EXIT_CANNOT_RUN;
    }
    let mut stages = Vec::with_capacity(config.stages.len());
    for spec in std::mem::take(&mut config.stages) {
        let Some(factory) = registry.get(&spec.kind) else {
            eprintln!(
                "error: stage {} has an unknown type `{}`.",
                spec.index, spec.kind
            );
            return EXIT_CANNOT_RUN;
        };
        match factory.build(spec.config, &ctx) {
            Ok(stage) => stages.push(stage),
            Err(message) => {
                eprintln!(
                    "error: stage {} ({}) cannot start: {message}",
                    spec.index, spec.kind
                );
                return EXIT_CANNOT_RUN;
            }
        }
    }
    if !stages.iter().any(|s| s.is_sink()) {
        tracing::warn!("The pipeline has no export stage, so this run writes no tables.");
    }

    let total_bytes: u64 = files.iter().map(|f| f.bytes).sum();
    tracing::info!(
        inputs = files.len(),
        bytes = total_bytes,
        missing = listing_rejections.len(),
        threads = pool.current_num_threads(),
        "Starting the run."
    );
    let mut info = RunInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_digest: config.digest.clone(),
        config_path: config.path.clone(),
        started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        threads: pool.current_num_threads(),
        state: state_report.clone(),
        ..RunInfo::default()
    };
    let state_plan = match (store.as_mut(), &state_report) {
        (Some(store), Some(report)) => {
            let rereading: Vec<&str> = read.iter().map(|(f, _)| f.display.as_str()).collect();
            let prepared = store.begin(&rereading).and_then(|()| {
                let ids = store.earlier_id_hashes(executor::UniqueIds::hash)?;
                let rejections = store.earlier_rejections()?;
                Ok((ids, rejections))
            });
            match prepared {
                Ok((earlier_ids, rejections)) => {
                    info.earlier_rejections = rejections;
                    Some(executor::StatePlan {
                        store,
                        run: report.run,
                        earlier_ids,
                        dir: config.state_dir().unwrap_or_default(),
                    })
                }
                Err(e) => return cannot_run(&e),
            }
        }
        _ => None,
    };
    let plan = executor::Plan {
        input: &config.input,
        files,
        listing_rejections,
        batch_size: config.run.batch_size,
        work_dir: config.work_dir(),
        log_every: Duration::from_secs(config.run.log_every_seconds.max(1)),
        show_progress: std::io::stderr().is_terminal(),
        state: state_plan,
        sharding: executor::Sharding::default(),
    };
    let outcome = pool.install(|| executor::execute(plan, stages, info));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            if let Some(store) = store.as_mut() {
                store.rollback();
            }
            tracing::error!(error = %e, "The run stopped.");
            eprintln!("error: {e}");
            return EXIT_CANNOT_RUN;
        }
    };
    let info = &outcome.info;
    let staged: Vec<newsmill_core::Staged> = outcome
        .outputs
        .iter()
        .filter_map(|o| o.staged.clone())
        .collect();
    if let (Some(store), Some(report)) = (store.as_mut(), &state_report) {
        tracing::info!(run = report.run, path = %store.path().display(), "Committing the run to the state directory.");
        if let Err(e) = store.commit(report.run, info, &read, &staged) {
            store.rollback();
            executor::discard_staged(&outcome.outputs);
            tracing::error!(error = %e, "The run stopped.");
            eprintln!("error: {e}");
            return EXIT_CANNOT_RUN;
        }
        tracing::info!(
            run = report.run,
            "Committed the run to the state directory."
        );
        if let Some(dir) = config.state_dir() {
            state::sweep_decisions(&dir, report.run);
        }
    }
    if let Err(e) = newsmill_core::publish(&staged) {
        // With a state, the next run finishes the publication; without one, what was renamed
        // stays and the rest is lost with this run.
        tracing::error!(error = %e, "The outputs could not all be put in place.");
        eprintln!("error: {e}");
        return EXIT_CANNOT_RUN;
    }
    if let Some(store) = store.as_mut()
        && let Err(e) = store.published()
    {
        tracing::warn!(error = %e, "Could not clear the finished publication from the state database; the next run repeats it harmlessly.");
    }
    tracing::info!(files = staged.len(), "Published the outputs.");
    let state_note = info.state.as_ref().map_or_else(String::new, |s| {
        format!(
            " Run {} of the state directory: {} new, {} changed and {} unchanged inputs; the cumulative tables repeat {} earlier documents.",
            s.run, s.new_inputs, s.changed_inputs, s.unchanged_inputs, s.earlier_documents
        )
    });
    finished(info, total_bytes, &state_note)
}

/// The one-line summary that ends every run, and the exit code it implies.
fn finished(info: &RunInfo, input_bytes: u64, note: &str) -> u8 {
    let mb = input_bytes as f64 / 1e6;
    tracing::info!(
        documents = info.documents,
        articles = info.articles,
        duplicates = info.duplicates,
        rejected = info.rejected,
        seconds = format!("{:.2}", info.seconds),
        docs_per_second = format!("{:.0}", info.documents as f64 / info.seconds.max(1e-9)),
        mb_per_second = format!("{:.1}", mb / info.seconds.max(1e-9)),
        "Run finished: {} articles ({} duplicates), {} rejected, from {} inputs.{note}",
        info.articles,
        info.duplicates,
        info.rejected,
        info.inputs.len()
    );
    if info.rejected > 0 {
        EXIT_REJECTED
    } else {
        EXIT_OK
    }
}
