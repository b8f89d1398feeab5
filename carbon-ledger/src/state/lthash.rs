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

use sha2::{Digest, Sha256};

use crate::hash::{Hash32, tags};

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
        let v = expand(key, value);
        for (a, b) in self.lanes.iter_mut().zip(v.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    /// Removes the entry `(key, value)` (which must have been added).
    pub fn remove(&mut self, key: &[u8], value: &[u8]) {
        let v = expand(key, value);
        for (a, b) in self.lanes.iter_mut().zip(v.iter()) {
            *a = a.wrapping_sub(*b);
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

/// Expands one entry to its lane vector. The seed length-prefixes the key,
/// so `(k, v)` and `(k', v')` with `k || v == k' || v'` differ.
fn expand(key: &[u8], value: &[u8]) -> Box<[u16; LANES]> {
    let klen = (key.len() as u64).to_le_bytes();
    let seed = Hash32::tagged(tags::STATE_ENTRY, &[&klen, key, value]);
    let mut out = Box::new([0u16; LANES]);
    // Each SHA-256 output gives 16 lanes; 64 blocks fill 1024 lanes.
    for (ctr, chunk) in out.chunks_exact_mut(16).enumerate() {
        let mut h = Sha256::new();
        h.update(seed.0);
        h.update((ctr as u32).to_le_bytes());
        let block: [u8; 32] = h.finalize().into();
        for (lane, pair) in chunk.iter_mut().zip(block.chunks_exact(2)) {
            *lane = u16::from_le_bytes([pair[0], pair[1]]);
        }
    }
    out
}
