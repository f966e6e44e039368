//! The one explicit list of stage types. `newsmill stages`, `newsmill validate`, the README's
//! config reference and the run itself all read it.

use std::any::Any;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::DeValue;

use newsmill_core::{BuildContext, Stage, StageDoc};

use crate::config::{Locator, check_section, report_semantic};
use crate::problem::Problem;

/// Semantic checks a config struct makes on itself, given the config file's directory (against
/// which relative paths resolve): (key, message, valid choices).
pub type ProblemsFn<C> = fn(&C, &Path) -> Vec<(String, String, Vec<String>)>;
/// Builds the running stage from its checked config.
pub type BuildFn<C> = fn(C, &BuildContext) -> Result<Box<dyn Stage>, String>;

/// Knows how to check and build one stage type.
pub trait StageFactory: Send + Sync {
    fn doc(&self) -> &'static StageDoc;
    /// Checks a `[[stage]]` table; returns its typed config (boxed) or adds problems.
    fn check(
        &self,
        at: &Locator,
        section: &str,
        table: &Spanned<DeValue<'_>>,
        problems: &mut Vec<Problem>,
    ) -> Option<Box<dyn Any + Send>>;
    fn build(
        &self,
        config: Box<dyn Any + Send>,
        ctx: &BuildContext,
    ) -> Result<Box<dyn Stage>, String>;
}

/// A stage type whose config is the struct `C`.
pub struct Typed<C> {
    pub doc: &'static StageDoc,
    pub problems: ProblemsFn<C>,
    pub build: BuildFn<C>,
}

impl<C: DeserializeOwned + Send + 'static> StageFactory for Typed<C> {
    fn doc(&self) -> &'static StageDoc {
        self.doc
    }

    fn check(
        &self,
        at: &Locator,
        section: &str,
        table: &Spanned<DeValue<'_>>,
        problems: &mut Vec<Problem>,
    ) -> Option<Box<dyn Any + Send>> {
        let config: C = check_section(at, section, table, self.doc.keys, &["type"], problems)?;
        let before = problems.len();
        report_semantic(
            at,
            section,
            table,
            (self.problems)(&config, at.dir),
            problems,
        );
        (problems.len() == before).then(|| Box::new(config) as Box<dyn Any + Send>)
    }

    fn build(
        &self,
        config: Box<dyn Any + Send>,
        ctx: &BuildContext,
    ) -> Result<Box<dyn Stage>, String> {
        let config = config.downcast::<C>().map_err(|_| {
            format!(
                "internal error: wrong config type for stage `{}`",
                self.doc.kind
            )
        })?;
        (self.build)(*config, ctx)
    }
}

/// The extract stage's `model` path, resolved against the config's directory.
fn with_model_path(
    mut config: newsmill_extract::ExtractConfig,
    dir: &Path,
) -> newsmill_extract::ExtractConfig {
    if !config.model.is_empty() {
        config.model = dir.join(&config.model).to_string_lossy().into_owned();
    }
    config
}

/// Boxes a freshly built stage, turning its library error into the message the user sees.
pub fn boxed<S: Stage + 'static, E: std::fmt::Display>(
    built: Result<S, E>,
) -> Result<Box<dyn Stage>, String> {
    built
        .map(|s| Box::new(s) as Box<dyn Stage>)
        .map_err(|e| e.to_string())
}

/// The stage types a run can use, in the order `newsmill stages` lists them.
pub struct Registry {
    factories: Vec<Box<dyn StageFactory>>,
}

impl Registry {
    /// The built-in stage types.
    pub fn builtin() -> Self {
        let factories: Vec<Box<dyn StageFactory>> = vec![
            Box::new(Typed {
                doc: &newsmill_clean::DOC,
                problems: |c: &newsmill_clean::CleanConfig, _| c.problems(),
                build: |c, _| boxed(newsmill_clean::CleanStage::new(c)),
            }),
            Box::new(Typed {
                doc: &newsmill_dedupe::DOC,
                problems: |c: &newsmill_dedupe::DedupeConfig, _| c.problems(),
                build: |c, ctx| boxed(newsmill_dedupe::DedupeStage::build(c, ctx)),
            }),
            Box::new(Typed {
                doc: &newsmill_extract::DOC,
                problems: |c: &newsmill_extract::ExtractConfig, dir| {
                    with_model_path(c.clone(), dir).problems()
                },
                build: |c, ctx| boxed(newsmill_extract::new(with_model_path(c, &ctx.config_dir))),
            }),
            Box::new(Typed {
                doc: &newsmill_export::DOC,
                problems: |c: &newsmill_export::ExportConfig, _| c.problems(),
                build: |c, ctx| boxed(newsmill_export::ExportStage::new(c, ctx)),
            }),
            Box::new(Typed {
                doc: &newsmill_exec::DOC,
                problems: |c: &newsmill_exec::ExecConfig, _| c.problems(),
                build: |c, ctx| boxed(newsmill_exec::ExecStage::new(c, ctx)),
            }),
        ];
        Registry { factories }
    }

    /// Adds a stage type (for binaries built on the driver library with their own stages).
    pub fn register(&mut self, factory: Box<dyn StageFactory>) {
        self.factories
            .retain(|f| f.doc().kind != factory.doc().kind);
        self.factories.push(factory);
    }

    pub fn get(&self, kind: &str) -> Option<&dyn StageFactory> {
        self.factories
            .iter()
            .find(|f| f.doc().kind == kind)
            .map(|f| f.as_ref())
    }

    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.factories.iter().map(|f| f.doc().kind)
    }

    pub fn docs(&self) -> impl Iterator<Item = &'static StageDoc> + '_ {
        self.factories.iter().map(|f| f.doc())
    }
}
