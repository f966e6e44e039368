//! The most frequent keys of a stream in bounded memory (the Space-Saving algorithm of
//! Metwally, Agrawal and El Abbadi, 2005).
//!
//! At most `capacity` keys are tracked. A new key arriving when the table is full replaces
//! the least counted one and inherits its count as possible overcount (`error`). While no key
//! was ever replaced, every count is exact; after that, any key seen more often than the
//! smallest tracked count is guaranteed to be tracked, and counts are at most `error` high.
//! Ties are broken by key, so the result depends only on the stream.

use std::collections::{BTreeSet, HashMap};

pub struct TopK<E> {
    capacity: usize,
    entries: HashMap<String, Counted<E>>,
    by_count: BTreeSet<(u64, String)>,
    replaced: bool,
}

pub struct Counted<E> {
    pub count: u64,
    /// How much of `count` may belong to keys this one replaced.
    pub error: u64,
    pub extra: E,
}

impl<E> TopK<E> {
    pub fn new(capacity: usize) -> Self {
        TopK {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            by_count: BTreeSet::new(),
            replaced: false,
        }
    }

    /// Counts `n` more for `key`; `fresh` makes the extra data of a newly tracked key and
    /// `update` changes it on every arrival (the key's extra data when it replaces another).
    pub fn add(
        &mut self,
        key: &str,
        n: u64,
        fresh: impl FnOnce() -> E,
        update: impl FnOnce(&mut E),
    ) {
        if let Some(entry) = self.entries.get_mut(key) {
            self.by_count.remove(&(entry.count, key.to_string()));
            entry.count += n;
            update(&mut entry.extra);
            self.by_count.insert((entry.count, key.to_string()));
            return;
        }
        let mut base = 0;
        if self.entries.len() >= self.capacity
            && let Some((count, evicted)) = self.by_count.pop_first()
        {
            self.entries.remove(&evicted);
            base = count;
            self.replaced = true;
        }
        let mut extra = fresh();
        update(&mut extra);
        self.entries.insert(
            key.to_string(),
            Counted {
                count: base + n,
                error: base,
                extra,
            },
        );
        self.by_count.insert((base + n, key.to_string()));
    }

    /// Whether counts are exact (no key was ever replaced).
    pub fn exact(&self) -> bool {
        !self.replaced
    }

    /// The `k` most counted keys, most counted first, then by key.
    pub fn top(&self, k: usize) -> Vec<(&str, &Counted<E>)> {
        let mut all: Vec<(&str, &Counted<E>)> =
            self.entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
        all.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        all.truncate(k);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_while_the_keys_fit() {
        let mut top = TopK::<()>::new(10);
        for key in ["a", "b", "a", "c", "a", "b"] {
            top.add(key, 1, || (), |_| {});
        }
        let found: Vec<(&str, u64)> = top.top(2).iter().map(|(k, c)| (*k, c.count)).collect();
        assert_eq!(found, [("a", 3), ("b", 2)]);
        assert!(top.exact());
    }

    #[test]
    fn keeps_heavy_keys_when_full() {
        let mut top = TopK::<()>::new(3);
        for i in 0..1000 {
            top.add("heavy", 1, || (), |_| {});
            top.add(&format!("rare{i}"), 1, || (), |_| {});
        }
        assert!(!top.exact());
        let first = top.top(1);
        assert_eq!(first[0].0, "heavy");
        assert!(first[0].1.count >= 1000);
        assert!(first[0].1.count - first[0].1.error <= 1000);
    }
}
