//! A newsmill binary with one extra stage, `keywords`: it keeps only articles that mention one
//! of the configured words and records which ones under `extra.keywords`.
//!
//! ```toml
//! [[stage]]
//! type = "keywords"
//! words = ["Ryabkov", "Lavrov"]
//! ```

use newsmill::core::{Document, KeyDoc, Stage, StageDoc, StageError, Tally, Verdict};
use newsmill::{Typed, boxed};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct KeywordsConfig {
    /// Case-sensitive words; an article must mention at least one.
    words: Vec<String>,
}

impl KeywordsConfig {
    fn problems(&self) -> Vec<(String, String, Vec<String>)> {
        if self.words.is_empty() {
            vec![("words".into(), "name at least one word".into(), vec![])]
        } else {
            vec![]
        }
    }
}

const DOC: StageDoc = StageDoc {
    kind: "keywords",
    summary: "Keeps only articles that mention one of the given words.",
    keys: &[KeyDoc {
        name: "words",
        kind: "list of strings",
        default: "[]",
        choices: &[],
        doc: "Words an article must mention (at least one).",
    }],
};

struct KeywordsStage {
    words: Vec<String>,
}

impl Stage for KeywordsStage {
    fn kind(&self) -> &'static str {
        "keywords"
    }

    fn apply(&self, doc: &mut Document, tally: &mut Tally) -> Result<Verdict, StageError> {
        let found: Vec<&String> = self
            .words
            .iter()
            .filter(|w| doc.text.contains(w.as_str()))
            .collect();
        if found.is_empty() {
            tally.add("no-keyword", 1);
            return Ok(Verdict::Drop("no keyword".into()));
        }
        doc.extra.insert(
            "keywords".into(),
            found.into_iter().cloned().collect::<Vec<_>>().into(),
        );
        Ok(Verdict::Keep)
    }
}

fn main() -> std::process::ExitCode {
    newsmill::run_with(vec![Box::new(Typed {
        doc: &DOC,
        problems: |config: &KeywordsConfig, _| config.problems(),
        build: |config: KeywordsConfig, _| {
            boxed(Ok::<_, std::convert::Infallible>(KeywordsStage {
                words: config.words,
            }))
        },
    })])
}
