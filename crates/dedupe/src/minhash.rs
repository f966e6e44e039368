//! MinHash signatures and LSH band keys.
//!
//! Each of the `num_hashes` permutations maps a shingle hash to a pseudo-random 64-bit value;
//! the signature keeps the minimum per permutation. Two permutation families are provided and
//! the stage uses [`Permutation::Mix`]: it estimates Jaccard as well as the
//! classic universal family (both are checked against a known Jaccard in the tests) and avoids
//! its 128-bit modular arithmetic in the innermost loop.

use crate::text::mix64;

const MERSENNE_61: u64 = (1 << 61) - 1;

/// A family of hash permutations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permutation {
    /// `mix64(h ^ s_i)`: xor with a per-permutation seed, then a full-avalanche finaliser.
    Mix,
    /// `(a_i * h + b_i) mod (2^61 - 1)`, the textbook universal family.
    Universal,
}

/// Parameters of one signature scheme, derived once from the seed.
#[derive(Clone, Debug)]
pub struct MinHasher {
    permutation: Permutation,
    a: Vec<u64>,
    b: Vec<u64>,
    bands: usize,
    rows: usize,
    seed: u64,
}

impl MinHasher {
    pub fn new(permutation: Permutation, bands: usize, rows: usize, seed: u64) -> Self {
        let n = bands * rows;
        let mut state = seed;
        let mut next = || {
            // SplitMix64: a fixed, portable stream, so signatures never depend on the platform.
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix64(state)
        };
        let a = (0..n).map(|_| next() % (MERSENNE_61 - 1) + 1).collect();
        let b = (0..n).map(|_| next() % MERSENNE_61).collect();
        MinHasher {
            permutation,
            a,
            b,
            bands,
            rows,
            seed,
        }
    }

    /// Fills `signature` with the MinHash signature of `shingles` (all u64::MAX when empty).
    pub fn signature(&self, shingles: &[u64], signature: &mut Vec<u64>) {
        signature.clear();
        signature.resize(self.a.len(), u64::MAX);
        match self.permutation {
            Permutation::Mix => {
                for &h in shingles {
                    for (slot, &s) in signature.iter_mut().zip(&self.b) {
                        let v = mix64(h ^ s);
                        if v < *slot {
                            *slot = v;
                        }
                    }
                }
            }
            Permutation::Universal => {
                for &h in shingles {
                    let x = (h % MERSENNE_61) as u128;
                    for (slot, (&a, &b)) in signature.iter_mut().zip(self.a.iter().zip(&self.b)) {
                        let v = ((a as u128 * x + b as u128) % MERSENNE_61 as u128) as u64;
                        if v < *slot {
                            *slot = v;
                        }
                    }
                }
            }
        }
    }

    /// One key per band: a hash of the band's rows and the band's index.
    pub fn band_keys<'a>(&'a self, signature: &'a [u64]) -> impl Iterator<Item = u32> + 'a {
        signature
            .chunks(self.rows)
            .take(self.bands)
            .enumerate()
            .map(|(band, rows)| {
                let mut h = self.seed ^ (band as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                for &r in rows {
                    h = mix64(h ^ r);
                }
                (h >> 32) as u32
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jaccard_estimate(permutation: Permutation, a: &[u64], b: &[u64]) -> f64 {
        let m = MinHasher::new(permutation, 64, 4, 7);
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        m.signature(a, &mut sa);
        m.signature(b, &mut sb);
        sa.iter().zip(&sb).filter(|(x, y)| x == y).count() as f64 / sa.len() as f64
    }

    #[test]
    fn signatures_estimate_jaccard() {
        // Two sets of 300 with 200 in common: Jaccard 0.5.
        let a: Vec<u64> = (0..300).map(mix64).collect();
        let b: Vec<u64> = (100..400).map(mix64).collect();
        for p in [Permutation::Mix, Permutation::Universal] {
            let j = jaccard_estimate(p, &a, &b);
            assert!((0.35..0.65).contains(&j), "{p:?}: {j}");
        }
    }
}
