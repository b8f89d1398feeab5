//! LtHash: a homomorphic multiset hash over the world state.
//!
//! Each entry `(key, value)` expands to 1024 lanes of 16 bits (2 KiB) with
//! SHA-256 in counter mode over a tagged seed; the accumulator is the
//! lane-wise sum modulo 2^16 over all entries. Adding an entry adds its
//! vector, removing subtracts it, so a block's writes update the
//! accumulator in time proportional to the writes, whatever the state size,
//! and the result is independent of the order writes happen in. This is the
//! LtHash16 construction (Bellare–Micciancio; Lewi et al., "Securing Update
//! Propagation with Homomorphic Hashing", 2019), whose collision resistance
//! reduces to the short-integer-solution lattice problem at these
//! parameters (~200-bit classical security estimated by the authors).

use sha2::compress256;
use sha2::digest::generic_array::GenericArray;

use crate::hash::{Hash32, tags};

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Lanes in the accumulator.
pub const LANES: usize = 1024;
/// Encoded size of the accumulator in bytes.
pub const LTHASH_BYTES: usize = LANES * 2;

/// The state accumulator.
#[derive(Clone, PartialEq, Eq)]
pub struct LtHash {
    lanes: Box<[u16; LANES]>,
}

impl std::fmt::Debug for LtHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LtHash(root {})", self.root())
    }
}

impl Default for LtHash {
    fn default() -> Self {
        LtHash {
            lanes: Box::new([0u16; LANES]),
        }
    }
}

impl LtHash {
    /// The accumulator of the empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the entry `(key, value)`.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) {
        self.mix(key, value, u16::wrapping_add);
    }

    /// Removes the entry `(key, value)` (which must have been added).
    pub fn remove(&mut self, key: &[u8], value: &[u8]) {
        self.mix(key, value, u16::wrapping_sub);
    }

    /// Expands `(key, value)` and combines it lane by lane with `op`.
    ///
    /// Lanes `16c..16c+16` are the little-endian pairs of
    /// `SHA-256(seed || c as u32 LE)` for `c` in `0..64`, where `seed` is the
    /// tagged hash of the length-prefixed key and the value (so `(k, v)` and
    /// `(k', v')` with `k || v == k' || v'` differ). Each 36-byte message is
    /// one padded block, hashed with the compression function directly.
    fn mix(&mut self, key: &[u8], value: &[u8], op: fn(u16, u16) -> u16) {
        let klen = (key.len() as u64).to_le_bytes();
        let seed = Hash32::tagged(tags::STATE_ENTRY, &[&klen, key, value]);
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&seed.0);
        block[36] = 0x80; // padding after the 36-byte message
        block[56..].copy_from_slice(&(36u64 * 8).to_be_bytes()); // bit length
        for (ctr, lanes) in self.lanes.chunks_exact_mut(16).enumerate() {
            block[32..36].copy_from_slice(&(ctr as u32).to_le_bytes());
            let mut state = SHA256_IV;
            compress256(&mut state, &[GenericArray::clone_from_slice(&block)]);
            for (pair, word) in lanes.chunks_exact_mut(2).zip(state) {
                let b = word.to_be_bytes();
                pair[0] = op(pair[0], u16::from_le_bytes([b[0], b[1]]));
                pair[1] = op(pair[1], u16::from_le_bytes([b[2], b[3]]));
            }
        }
    }

    /// Applies many changes `(key, old value, new value)` at once: removes
    /// each old entry and adds each new one. Large batches are split over
    /// the available cores (the result is the same: addition commutes).
    pub fn apply(&mut self, changes: &[Change<'_>]) {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads < 2 || changes.len() < PARALLEL_THRESHOLD {
            apply_serial(self, changes);
            return;
        }
        let chunk = changes.len().div_ceil(threads);
        let partials: Vec<LtHash> = std::thread::scope(|s| {
            let handles: Vec<_> = changes
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        let mut acc = LtHash::new();
                        apply_serial(&mut acc, part);
                        acc
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("invariant: hashing threads do not panic"))
                .collect()
        });
        for p in &partials {
            for (a, b) in self.lanes.iter_mut().zip(p.lanes.iter()) {
                *a = a.wrapping_add(*b);
            }
        }
    }

    /// The 32-byte state root: a tagged hash of the lanes.
    pub fn root(&self) -> Hash32 {
        Hash32::tagged(tags::STATE_ROOT, &[&self.to_bytes()])
    }

    /// Lanes as little-endian bytes ([`LTHASH_BYTES`] long).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.lanes.iter().flat_map(|l| l.to_le_bytes()).collect()
    }

    /// Parses [`LtHash::to_bytes`]; `None` if the length is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != LTHASH_BYTES {
            return None;
        }
        let mut out = LtHash::new();
        for (lane, pair) in out.lanes.iter_mut().zip(bytes.chunks_exact(2)) {
            *lane = u16::from_le_bytes([pair[0], pair[1]]);
        }
        Some(out)
    }
}

/// One state change: key, old value (if any), new value (if any).
pub type Change<'a> = (&'a [u8], Option<&'a [u8]>, Option<&'a [u8]>);

/// Below this many changes, spawning threads costs more than it saves.
const PARALLEL_THRESHOLD: usize = 128;

fn apply_serial(acc: &mut LtHash, changes: &[Change<'_>]) {
    for (k, old, new) in changes {
        if let Some(old) = old {
            acc.remove(k, old);
        }
        if let Some(new) = new {
            acc.insert(k, new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// The definition, with the ordinary SHA-256 API.
    fn reference_lanes(key: &[u8], value: &[u8]) -> Vec<u16> {
        let klen = (key.len() as u64).to_le_bytes();
        let seed = Hash32::tagged(tags::STATE_ENTRY, &[&klen, key, value]);
        let mut out = Vec::with_capacity(LANES);
        for ctr in 0u32..64 {
            let d = Sha256::new()
                .chain_update(seed.0)
                .chain_update(ctr.to_le_bytes())
                .finalize();
            out.extend(d.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])));
        }
        out
    }

    #[test]
    fn expansion_equals_sha256_counter_mode() {
        for (k, v) in [
            (&b"a"[..], &b""[..]),
            (b"acct/42/nonce", b"12345678"),
            (&[0u8; 300][..], &[7u8; 1000][..]),
        ] {
            let mut acc = LtHash::new();
            acc.insert(k, v);
            let lanes: Vec<u16> = acc.lanes.to_vec();
            assert_eq!(lanes, reference_lanes(k, v));
        }
    }

    #[test]
    fn parallel_apply_equals_serial() {
        let keys: Vec<Vec<u8>> = (0..500u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let changes: Vec<Change<'_>> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    k.as_slice(),
                    (i % 3 == 0).then_some(&b"old"[..]),
                    Some(&b"new"[..]),
                )
            })
            .collect();
        let mut par = LtHash::new();
        par.apply(&changes);
        let mut ser = LtHash::new();
        apply_serial(&mut ser, &changes);
        assert_eq!(par, ser);
    }
}
