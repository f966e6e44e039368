//! Users retrain the entity tagger on their own labelled data and point the extract stage at it.

mod common;
use common::*;

/// Sentences from the sample articles, labelled in CoNLL-2003 format (IOB1).
const CONLL: &str = "-DOCSTART- -X- -X- O

Sergei NNP B-NP I-PER
Ryabkov NNP I-NP I-PER
told VBD B-VP O
CNN NNP B-NP I-ORG
on IN B-PP O
Friday NNP B-NP O
. . O O

Benjamin NNP B-NP I-PER
Netanyahu NNP I-NP I-PER
met VBD B-VP O
Vladimir NNP B-NP I-PER
Putin NNP I-NP I-PER
in IN B-PP O
Moscow NNP B-NP I-LOC
. . O O

The DT B-NP O
Russian JJ I-NP I-MISC
delegation NN I-NP O
came VBD B-VP O
to TO B-PP O
Jerusalem NNP B-NP I-LOC
. . O O

Iran NNP B-NP I-LOC
fired VBD B-VP O
a DT B-NP O
missile NN I-NP O
at IN B-PP O
the DT B-NP O
Golan NNP I-NP I-LOC
Heights NNP I-NP I-LOC
. . O O
";

#[test]
fn train_ner_writes_a_model_that_eval_ner_and_the_extract_stage_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.conll"), CONLL).unwrap();
    let out = newsmill(
        dir.path(),
        &[
            "train-ner",
            "--conll",
            "mine.conll",
            "--out",
            "mine.model",
            "--epochs",
            "8",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Trained on 4 sentences"));
    assert!(dir.path().join("mine.model").is_file());

    let eval = newsmill(
        dir.path(),
        &["eval-ner", "--conll", "mine.conll", "--model", "mine.model"],
    );
    assert_eq!(eval.status.code(), Some(0), "{}", stderr(&eval));
    let report = String::from_utf8_lossy(&eval.stdout).into_owned();
    let overall: Vec<&str> = report
        .lines()
        .find(|l| l.starts_with("all"))
        .unwrap()
        .split_whitespace()
        .collect();
    let f1: f64 = overall[3].parse().unwrap();
    assert!(
        f1 > 90.0,
        "a model scores well on its own training data: {report}"
    );

    let samples = root().join("samples");
    std::fs::write(
        dir.path().join("pipeline.toml"),
        format!("[input]\npaths = [{samples:?}]\n\n[[stage]]\ntype = \"extract\"\nmodel = \"mine.model\"\n\n[[stage]]\ntype = \"export\"\ndir = \"out\"\n"),
    )
    .unwrap();
    let run = newsmill(dir.path(), &["run"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(!table(&dir.path().join("out"), "entities").is_empty());
}

#[test]
fn a_missing_model_file_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pipeline.toml"),
        "[[stage]]\ntype = \"extract\"\nmodel = \"nope.model\"\n",
    )
    .unwrap();
    let out = newsmill(dir.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pipeline.toml:3:9:"),
        "{}",
        stderr(&out)
    );
}
