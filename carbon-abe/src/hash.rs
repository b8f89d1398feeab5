//! Hashing to G1 (RFC 9380, `BLS12381G1_XMD:SHA-256_SSWU_RO_`) for the two
//! families the scheme needs, with one domain-separation tag and an
//! unambiguous, length-prefixed encoding of each tuple:
//!
//! - attribute hashes `H(attr, name, epoch, ℓ, t)`: family byte 1, the name
//!   as u32-length-prefixed UTF-8, the epoch as u64, then ℓ and t;
//! - column hashes `H(col, j, ℓ, t)`: family byte 2, j as u64, then ℓ, t.
//!
//! Both families are public, fixed functions, so their values are cached
//! (bounded) per process: encryption cost is then dominated by scalar
//! multiplications, not by hashing.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ark_bls12_381::{G1Affine, G1Projective, g1};
use ark_ec::hashing::HashToCurve;
use ark_ec::hashing::curve_maps::wb::WBMap;
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ff::field_hashers::DefaultFieldHasher;
use sha2::Sha256;

use crate::ids::Epoch;
use crate::policy::Attribute;

/// The domain-separation tag of every hash in this crate.
pub const DST: &[u8] = b"CARBON-ABE-V01-FAME-CPABE_BLS12381G1_XMD:SHA-256_SSWU_RO_";

type Hasher =
    MapToCurveBasedHasher<G1Projective, DefaultFieldHasher<Sha256, 128>, WBMap<g1::Config>>;

/// The six hashes of one attribute or column, indexed `[ℓ−1][t−1]`.
pub type Hashes = [[G1Affine; 2]; 3];

const CACHE_LIMIT: usize = 16 * 1024;

fn hasher() -> &'static Hasher {
    static HASHER: OnceLock<Hasher> = OnceLock::new();
    // `new` only builds the field hasher from the DST; it cannot fail for
    // a DST shorter than 255 bytes.
    HASHER.get_or_init(|| Hasher::new(DST).expect("valid DST"))
}

fn hash(message: &[u8]) -> G1Affine {
    // The WB map is total for BLS12-381 G1 (its isogenous curve has a
    // non-zero A and B), so hashing never fails.
    hasher()
        .hash(message)
        .expect("hash-to-curve is total on BLS12-381 G1")
}

/// The message for an attribute hash (exposed for test vectors).
pub fn attribute_message(attr: &Attribute, epoch: Epoch, l: u8, t: u8) -> Vec<u8> {
    let name = attr.as_str().as_bytes();
    let mut m = Vec::with_capacity(1 + 4 + name.len() + 8 + 2);
    m.push(1);
    // Attribute names are at most 256 bytes (policy::limits).
    m.extend_from_slice(&(name.len() as u32).to_be_bytes());
    m.extend_from_slice(name);
    m.extend_from_slice(&epoch.0.to_be_bytes());
    m.extend_from_slice(&[l, t]);
    m
}

/// The message for a column hash (exposed for test vectors).
pub fn column_message(j: usize, l: u8, t: u8) -> Vec<u8> {
    let mut m = Vec::with_capacity(1 + 8 + 2);
    m.push(2);
    m.extend_from_slice(&(j as u64).to_be_bytes());
    m.extend_from_slice(&[l, t]);
    m
}

fn compute(message: impl Fn(u8, u8) -> Vec<u8>) -> Hashes {
    let mut out = [[G1Affine::default(); 2]; 3];
    for (l, row) in out.iter_mut().enumerate() {
        for (t, cell) in row.iter_mut().enumerate() {
            // l, t < 3: the casts are exact.
            *cell = hash(&message(l as u8 + 1, t as u8 + 1));
        }
    }
    out
}

fn cached<K: std::hash::Hash + Eq>(
    cache: &'static OnceLock<Mutex<HashMap<K, Hashes>>>,
    key: K,
    make: impl FnOnce() -> Hashes,
) -> Hashes {
    let cache = cache.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(h) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return *h;
    }
    let value = make();
    let mut guard = cache.lock().unwrap_or_else(|e| e.into_inner());
    if guard.len() >= CACHE_LIMIT {
        guard.clear();
    }
    guard.insert(key, value);
    value
}

/// The six hashes of `attr` at `epoch`.
pub fn attribute_hashes(attr: &Attribute, epoch: Epoch) -> Hashes {
    static CACHE: OnceLock<Mutex<HashMap<(Attribute, Epoch), Hashes>>> = OnceLock::new();
    cached(&CACHE, (attr.clone(), epoch), || {
        compute(|l, t| attribute_message(attr, epoch, l, t))
    })
}

/// The six hashes of span-program column `j` (0-based).
pub fn column_hashes(j: usize) -> Hashes {
    static CACHE: OnceLock<Mutex<HashMap<usize, Hashes>>> = OnceLock::new();
    cached(&CACHE, j, || compute(|l, t| column_message(j, l, t)))
}
