//! The b-bit MinHash pre-filter: drops LSH candidate pairs that cannot verify, before they are
//! stored or their exact sets are read.
//!
//! Each document keeps the low [`BITS`] bits of every value of its one MinHash signature (the
//! signature its band keys come from), packed 16 to a `u64`, and the size of its exact
//! shingle set. For two documents with Jaccard `J`, a slot agrees with probability
//! `p(J) = J + (1 - J) / 2^BITS` (equal minima, or unequal ones whose low bits collide), so the
//! number of agreeing slots is binomial. The verification rule (Jaccard at least `threshold`,
//! or containment of the smaller set at least `containment_threshold`) translates, given the
//! two set sizes, into a least Jaccard `J*` any verifying pair has. A pair is dropped only when
//! its agreeing slots are fewer than a pair at `J*` shows with probability
//! [`MISS_PROBABILITY`]: a pair that would verify is dropped with at most that probability
//! (less the more similar it is), and every kept pair is still verified exactly.

use crate::cluster::Rule;

/// Bits kept of each signature value: 4 bits over all 150 default values (80 bytes) separate
/// better than 8 bits over the first 75, at the same memory.
pub const BITS: u32 = 4;
const PER_WORD: usize = 64 / BITS as usize;
const LOW_NIBBLES: u64 = 0x1111_1111_1111_1111;
/// Highest probability with which a pair that would verify is dropped.
pub const MISS_PROBABILITY: f64 = 1e-6;
/// Least-Jaccard values are looked up on this grid, rounded down (a lower `J*` drops less).
const GRID: usize = 1000;

/// Words of a packed sketch for a signature of `num_hashes` values.
pub fn words(num_hashes: usize) -> usize {
    num_hashes.div_ceil(PER_WORD)
}

/// Appends the packed sketch of `signature` to `out` (unused nibbles are 0).
pub fn sketch(signature: &[u64], out: &mut Vec<u64>) {
    for chunk in signature.chunks(PER_WORD) {
        let word = chunk.iter().enumerate().fold(0u64, |w, (k, &v)| {
            w | (v & ((1 << BITS) - 1)) << (k as u32 * BITS)
        });
        out.push(word);
    }
}

/// Slots (padding included) where two packed sketches agree.
fn agreeing(a: &[u64], b: &[u64]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            // A nibble of x ^ y is zero exactly where the slots agree.
            let d = x ^ y;
            let mut any = d | d >> 1;
            any |= any >> 2;
            PER_WORD as u32 - (any & LOW_NIBBLES).count_ones()
        })
        .sum()
}

/// The pre-filter for one config.
#[derive(Debug, Clone)]
pub struct Prefilter {
    rule: Rule,
    words: usize,
    /// Padding slots of the last word, which always agree.
    padding: u32,
    /// `cut[g]`: fewest agreeing slots a pair with least Jaccard `g / GRID` is kept with.
    cut: Vec<u32>,
}

impl Prefilter {
    pub fn new(num_hashes: usize, rule: Rule) -> Prefilter {
        let words = words(num_hashes);
        let k = num_hashes as u32;
        let collide = 1.0 / f64::from(1u32 << BITS);
        let cut = (0..=GRID)
            .map(|g| {
                let j = g as f64 / GRID as f64;
                least_count(k, j + (1.0 - j) * collide, MISS_PROBABILITY)
            })
            .collect();
        Prefilter {
            rule,
            words,
            padding: (words * PER_WORD) as u32 - k,
            cut,
        }
    }

    pub fn words(&self) -> usize {
        self.words
    }

    /// The least Jaccard of a pair with these set sizes that the rule accepts.
    fn least_jaccard(&self, a: u32, b: u32) -> f64 {
        let smaller = a.min(b) as usize;
        let mut least = self.rule.threshold;
        if smaller >= self.rule.min_shingles && smaller > 0 {
            // Containment c of the smaller set means c·smaller shared shingles, and Jaccard
            // grows with the shared count for fixed sizes.
            let shared = self.rule.containment_threshold * smaller as f64;
            let union = f64::from(a) + f64::from(b) - shared;
            if union > 0.0 {
                least = least.min(shared / union);
            }
        }
        least.clamp(0.0, 1.0)
    }

    /// Whether the pair cannot verify but with probability below [`MISS_PROBABILITY`].
    pub fn hopeless(&self, a: &[u64], a_size: u32, b: &[u64], b_size: u32) -> bool {
        if a.len() != self.words || b.len() != self.words {
            return false;
        }
        let g = (self.least_jaccard(a_size, b_size) * GRID as f64).floor() as usize;
        let need = self.cut.get(g.min(GRID)).copied().unwrap_or(0);
        agreeing(a, b).saturating_sub(self.padding) < need
    }
}

/// The largest `m` with `P(Binomial(k, p) < m) <= miss`: fewer than `m` successes are that
/// unlikely. Summed in log space so that no term underflows for any `k` and `p`.
fn least_count(k: u32, p: f64, miss: f64) -> u32 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let (ln_p, ln_q) = (p.ln(), (1.0 - p).ln());
    let mut ln_pmf = f64::from(k) * ln_q;
    let mut below = 0.0f64;
    for m in 0..k {
        // `below` is P(X < m); adding P(X = m) gives P(X < m + 1).
        below += ln_pmf.exp();
        if below > miss {
            return m;
        }
        ln_pmf += (f64::from(k - m) / f64::from(m + 1)).ln() + ln_p - ln_q;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::{MinHasher, Permutation};
    use crate::text::mix64;

    const RULE: Rule = Rule {
        threshold: 0.35,
        containment_threshold: 0.7,
        min_shingles: 30,
    };

    fn packed(hasher: &MinHasher, set: &[u64]) -> Vec<u64> {
        let mut signature = Vec::new();
        hasher.signature(set, &mut signature);
        let mut out = Vec::new();
        sketch(&signature, &mut out);
        out
    }

    #[test]
    fn agreeing_slots_are_counted_nibble_by_nibble() {
        let a: Vec<u64> = (0..150).map(|i| mix64(i) & 0xf).collect();
        let b: Vec<u64> = (0..150)
            .map(|i| if i % 3 == 0 { a[i] } else { a[i] ^ 8 })
            .collect();
        let (mut pa, mut pb) = (Vec::new(), Vec::new());
        sketch(&a, &mut pa);
        sketch(&b, &mut pb);
        assert_eq!(pa.len(), words(150));
        let filter = Prefilter::new(150, RULE);
        assert_eq!(agreeing(&pa, &pb) - filter.padding, 50);
        assert_eq!(agreeing(&pa, &pa) - filter.padding, 150);
    }

    #[test]
    fn the_binomial_cut_matches_a_direct_sum() {
        // k = 10, p = 0.5: P(X < 2) = 11/1024 ≈ 0.0107, P(X < 3) = 56/1024 ≈ 0.0547.
        assert_eq!(least_count(10, 0.5, 0.02), 2);
        assert_eq!(least_count(10, 0.5, 0.06), 3);
        assert_eq!(least_count(10, 0.5, 1e-4), 0);
        assert_eq!(least_count(1024, 1.0, 1e-6), 1024);
        assert_eq!(least_count(150, 0.0, 1e-6), 0);
    }

    #[test]
    fn containment_lowers_the_least_jaccard_and_small_sets_use_jaccard_only() {
        let filter = Prefilter::new(150, RULE);
        assert_eq!(filter.least_jaccard(500, 500), 0.35);
        // 100 shingles 70% inside 1000: Jaccard 70 / 1030.
        assert!((filter.least_jaccard(100, 1000) - 70.0 / 1030.0).abs() < 1e-12);
        assert_eq!(filter.least_jaccard(20, 1000), 0.35);
    }

    /// Pairs of sets with a chosen Jaccard, each with its own hashes.
    fn pairs_with_jaccard(shared: u64, own: u64, count: u64) -> Vec<(Vec<u64>, Vec<u64>)> {
        (0..count)
            .map(|p| {
                let base = p << 32;
                let common = (0..shared).map(|i| mix64(base | i));
                let a = common
                    .clone()
                    .chain((0..own).map(|i| mix64(base | 1 << 20 | i)))
                    .collect();
                let b = common
                    .chain((0..own).map(|i| mix64(base | 2 << 20 | i)))
                    .collect();
                (a, b)
            })
            .collect()
    }

    #[test]
    fn pairs_at_the_threshold_are_kept_and_distant_pairs_dropped() {
        let hasher = MinHasher::new(Permutation::Mix, 50, 3, 7);
        let filter = Prefilter::new(150, RULE);
        let dropped = |pairs: &[(Vec<u64>, Vec<u64>)]| {
            pairs
                .iter()
                .filter(|(a, b)| {
                    let n = a.len() as u32;
                    filter.hopeless(&packed(&hasher, a), n, &packed(&hasher, b), n)
                })
                .count()
        };
        // Jaccard 0.35: 140 shared, 130 own each (140 / 400).
        assert_eq!(dropped(&pairs_with_jaccard(140, 130, 2000)), 0);
        // Jaccard 0.25, well below: nearly all kept all the same (the margin is wide).
        assert!(dropped(&pairs_with_jaccard(100, 150, 500)) < 25);
        // Jaccard 0.05 (20 shared of 400): almost all dropped.
        assert!(dropped(&pairs_with_jaccard(20, 190, 500)) > 450);
    }
}
