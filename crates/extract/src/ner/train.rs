//! Averaged structured perceptron training (Collins 2002) with Viterbi decoding over BILOU
//! tags: on every sentence the current weights decode; where the best path differs from the
//! gold one, gold features gain and predicted features lose. The averaged weights (computed
//! with the usual lazy accumulator trick) generalise much better than the last ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::conll::{self, ConllDoc};
use super::features::{self, DocFeatures, FEATURES_PER_TOKEN};
use super::hash::BuildPassThrough;
use super::model::{Model, NUM_TAGS, START, viterbi};
use super::{EvalReport, NerError, NerModel, evaluate_docs};

/// Settings of [`train`].
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Passes over the training data.
    pub epochs: usize,
    /// A development file scored after every epoch; the best epoch's weights are kept.
    pub dev: Option<PathBuf>,
    /// Averaged weights smaller than this (in absolute value) are dropped from the model.
    pub prune: f32,
    /// Seed of the sentence shuffling, for reproducible models.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 15,
            dev: None,
            prune: 0.2,
            seed: 7,
        }
    }
}

/// What [`train`] did.
#[derive(Clone, Debug)]
pub struct TrainReport {
    pub sentences: usize,
    pub tokens: usize,
    /// Overall F1 on the development file after each epoch (empty without one).
    pub dev_f1: Vec<f64>,
    /// The epoch (1-based) whose weights were saved.
    pub chosen_epoch: usize,
    pub features: usize,
    pub model_bytes: usize,
    pub seconds: f64,
    pub dev: Option<EvalReport>,
}

struct Weights {
    index: HashMap<u64, u32, BuildPassThrough>,
    w: Vec<[f32; NUM_TAGS]>,
    acc: Vec<[f64; NUM_TAGS]>,
    trans: Vec<f32>,
    trans_acc: Vec<f64>,
    step: f64,
}

const TRANSITIONS: usize = (NUM_TAGS + 2) * NUM_TAGS;

impl Weights {
    fn row(&mut self, key: u64) -> usize {
        let next = self.w.len() as u32;
        let r = *self.index.entry(key).or_insert(next);
        if r == next {
            self.w.push([0.0; NUM_TAGS]);
            self.acc.push([0.0; NUM_TAGS]);
        }
        r as usize
    }

    fn update(&mut self, key: u64, tag: usize, delta: f32) {
        let r = self.row(key);
        self.w[r][tag] += delta;
        self.acc[r][tag] += self.step * delta as f64;
    }

    fn update_transition(&mut self, i: usize, delta: f32) {
        self.trans[i] += delta;
        self.trans_acc[i] += self.step * delta as f64;
    }

    fn emissions(&self, feats: &[u64], n: usize) -> Vec<[f32; NUM_TAGS]> {
        let mut out = vec![[0f32; NUM_TAGS]; n];
        for (i, row) in out.iter_mut().enumerate() {
            for f in &feats[i * FEATURES_PER_TOKEN..(i + 1) * FEATURES_PER_TOKEN] {
                if let Some(&r) = self.index.get(f) {
                    for (s, x) in row.iter_mut().zip(self.w[r as usize].iter()) {
                        *s += x;
                    }
                }
            }
        }
        out
    }

    /// The averaged weights, pruned and quantised to 16 bits.
    fn averaged_model(&self, prune: f32) -> Model {
        let c = self.step.max(1.0);
        let avg = |w: f32, a: f64| (w as f64 - a / c) as f32;
        let mut max = 0f32;
        for (w, a) in self.w.iter().zip(&self.acc) {
            for t in 0..NUM_TAGS {
                max = max.max(avg(w[t], a[t]).abs());
            }
        }
        for (w, a) in self.trans.iter().zip(&self.trans_acc) {
            max = max.max(avg(*w, *a).abs());
        }
        let scale = if max > 0.0 { 32000.0 / max } else { 1.0 };
        let mut rows = Vec::new();
        let mut keys: Vec<(&u64, &u32)> = self.index.iter().collect();
        keys.sort();
        for (&key, &r) in keys {
            let (w, a) = (&self.w[r as usize], &self.acc[r as usize]);
            let pairs: Vec<(u8, i16)> = (0..NUM_TAGS)
                .filter_map(|t| {
                    let v = avg(w[t], a[t]);
                    let q = (v * scale).round();
                    (v.abs() >= prune && q != 0.0).then_some((t as u8, q as i16))
                })
                .collect();
            if !pairs.is_empty() {
                rows.push((key, pairs));
            }
        }
        let transitions = self
            .trans
            .iter()
            .zip(&self.trans_acc)
            .map(|(w, a)| (avg(*w, *a) * scale).round() as i32)
            .collect();
        Model::from_parts(rows, transitions)
    }
}

fn transition_index(from: usize, to: usize) -> usize {
    from * NUM_TAGS + to
}

fn end_index(from: usize) -> usize {
    (NUM_TAGS + 1) * NUM_TAGS + from
}

struct Prepared {
    features: DocFeatures,
    tags: Vec<usize>,
    sentences: Vec<(usize, usize)>,
}

fn prepare(docs: &[ConllDoc]) -> Vec<Prepared> {
    docs.iter()
        .map(|d| {
            let words: Vec<&str> = d.words.iter().map(String::as_str).collect();
            Prepared {
                features: features::extract(&words, &d.sentences),
                tags: d.tags(),
                sentences: d.sentences.clone(),
            }
        })
        .collect()
}

/// Trains a tagger on a CoNLL-2003 file and writes the model to `out`.
pub fn train(conll: &Path, out: &Path, opts: &TrainOptions) -> Result<TrainReport, NerError> {
    let started = Instant::now();
    let docs = conll::read(conll)?;
    let dev_docs = match &opts.dev {
        Some(p) => Some(conll::read(p)?),
        None => None,
    };
    let prepared = prepare(&docs);
    let mut order: Vec<(usize, usize, usize)> = prepared
        .iter()
        .enumerate()
        .flat_map(|(d, p)| p.sentences.iter().map(move |&(s, e)| (d, s, e)))
        .collect();
    let tokens: usize = docs.iter().map(|d| d.words.len()).sum();
    tracing::info!(
        path = %conll.display(),
        documents = docs.len(),
        sentences = order.len(),
        tokens,
        "Read the training data."
    );
    let mut w = Weights {
        index: HashMap::default(),
        w: Vec::new(),
        acc: Vec::new(),
        trans: vec![0.0; TRANSITIONS],
        trans_acc: vec![0.0; TRANSITIONS],
        step: 1.0,
    };
    let mut rng = opts.seed.max(1);
    let mut pred = Vec::new();
    let mut dev_f1 = Vec::new();
    let mut best: Option<(f64, usize, Model, EvalReport)> = None;
    for epoch in 1..=opts.epochs.max(1) {
        // Fisher–Yates with xorshift: reproducible for a seed.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        let mut mistakes = 0usize;
        for &(d, s, e) in &order {
            let p = &prepared[d];
            let n = e - s;
            let feats = &p.features.hashes[s * FEATURES_PER_TOKEN..e * FEATURES_PER_TOKEN];
            let gold = &p.tags[s..e];
            let em = w.emissions(feats, n);
            viterbi(
                n,
                |i, t| em[i][t],
                |a, b| w.trans[transition_index(a, b)],
                |a| w.trans[end_index(a)],
                &mut pred,
            );
            if pred != gold {
                mistakes += 1;
                for i in 0..n {
                    let gp = if i == 0 { START } else { gold[i - 1] };
                    let pp = if i == 0 { START } else { pred[i - 1] };
                    if gold[i] != pred[i] {
                        for &f in &feats[i * FEATURES_PER_TOKEN..(i + 1) * FEATURES_PER_TOKEN] {
                            w.update(f, gold[i], 1.0);
                            w.update(f, pred[i], -1.0);
                        }
                    }
                    if gold[i] != pred[i] || gp != pp {
                        w.update_transition(transition_index(gp, gold[i]), 1.0);
                        w.update_transition(transition_index(pp, pred[i]), -1.0);
                    }
                }
                if gold[n - 1] != pred[n - 1] {
                    w.update_transition(end_index(gold[n - 1]), 1.0);
                    w.update_transition(end_index(pred[n - 1]), -1.0);
                }
            }
            w.step += 1.0;
        }
        tracing::info!(
            epoch,
            mistakes,
            features = w.w.len(),
            "Finished a training epoch."
        );
        if let Some(dev) = &dev_docs {
            let model = NerModel {
                model: w.averaged_model(opts.prune),
            };
            let report = evaluate_docs(&model, dev);
            let f1 = report.overall.f1();
            tracing::info!(epoch, f1, "Scored the development data.");
            dev_f1.push(f1);
            if best.as_ref().is_none_or(|b| f1 > b.0) {
                best = Some((f1, epoch, model.model, report));
            }
        }
    }
    let (model, chosen_epoch, dev) = match best {
        Some((_, e, m, r)) => (m, e, Some(r)),
        None => (w.averaged_model(opts.prune), opts.epochs.max(1), None),
    };
    let bytes = super::compress(&model.to_bytes());
    std::fs::write(out, &bytes).map_err(|source| NerError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(TrainReport {
        sentences: order.len(),
        tokens,
        dev_f1,
        chosen_epoch,
        features: model.feature_count(),
        model_bytes: bytes.len(),
        seconds: started.elapsed().as_secs_f64(),
        dev,
    })
}
