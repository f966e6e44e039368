//! Feature hashing: features are 64-bit hashes of (template, token atoms), so extraction never
//! allocates strings and the model stores no feature names.

/// Finaliser of splitmix64: spreads every input bit over the whole word.
#[inline]
pub fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a over bytes, finalised.
#[inline]
pub fn bytes(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// Combines a template id with one atom. Never 0 (0 marks an empty table slot).
#[inline]
pub fn feature(template: u64, atom: u64) -> u64 {
    mix(atom ^ template.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1
}

#[inline]
pub fn pair(a: u64, b: u64) -> u64 {
    mix(a.rotate_left(23) ^ b.wrapping_add(0x632b_e59b_d9b4_e019))
}

/// A hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
pub struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type BuildPassThrough = std::hash::BuildHasherDefault<PassThrough>;
