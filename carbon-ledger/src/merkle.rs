//! RFC 6962 Merkle trees over 32-byte leaves, with inclusion proofs.
//!
//! Leaf hash `SHA-256(0x00 || leaf)`, node hash `SHA-256(0x01 || left ||
//! right)`, the empty tree's root `SHA-256("")`. The prefixes keep a leaf
//! from ever being passed off as an inner node (the second-preimage attack on
//! plain Merkle trees). A tree of n leaves splits at the largest power of two
//! below n, which equals building level by level and carrying an odd last
//! node up unchanged; [`MerkleTree`] does the latter. Proof verification is
//! RFC 9162 §2.1.3.2.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::hash::Hash32;

/// Longest audit path accepted (a tree of up to 2^64 leaves).
pub const MAX_PROOF_LEN: usize = 64;

/// `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf.0);
    Hash32(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash32(h.finalize().into())
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash32 {
    Hash32::digest(&[])
}

/// The Merkle root of `leaves` without keeping the tree.
pub fn root(leaves: &[Hash32]) -> Hash32 {
    if leaves.is_empty() {
        return empty_root();
    }
    let mut level: Vec<Hash32> = leaves.iter().map(leaf_hash).collect();
    while level.len() > 1 {
        level = next_level(&level);
    }
    level[0]
}

fn next_level(level: &[Hash32]) -> Vec<Hash32> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [l, r] => node_hash(l, r),
            [single] => *single,
            _ => unreachable!("chunks(2) yields one or two items"),
        })
        .collect()
}

/// A whole tree kept in memory, to produce many proofs.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash32>>,
}

impl MerkleTree {
    /// Builds the tree over `leaves`.
    pub fn new(leaves: &[Hash32]) -> Self {
        let mut levels = vec![leaves.iter().map(leaf_hash).collect::<Vec<_>>()];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let next = next_level(levels.last().expect("invariant: levels is non-empty"));
            levels.push(next);
        }
        MerkleTree { levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The root.
    pub fn root(&self) -> Hash32 {
        match self.levels.last() {
            Some(top) if top.len() == 1 => top[0],
            _ => empty_root(),
        }
    }

    /// The inclusion proof of leaf `index`, or `None` if out of range.
    pub fn proof(&self, index: usize) -> Option<InclusionProof> {
        if index >= self.len() {
            return None;
        }
        let mut path = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                path.push(level[sibling]);
            }
            i >>= 1;
        }
        Some(InclusionProof {
            index: index as u64,
            tree_size: self.len() as u64,
            path,
        })
    }
}

/// Why a proof did not verify.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index is not below the tree size.
    #[error("leaf index {index} is outside a tree of {size}")]
    IndexOutOfRange {
        /// Leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The path has the wrong length for this index and size.
    #[error("audit path has the wrong length")]
    WrongPathLength,
    /// The recomputed root differs from the trusted one.
    #[error("recomputed root does not match")]
    RootMismatch,
}

/// An audit path proving that a leaf is at `index` in a tree of `tree_size`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The leaf's position.
    pub index: u64,
    /// Leaves in the tree.
    pub tree_size: u64,
    /// Sibling hashes from the leaf up.
    pub path: Vec<Hash32>,
}

impl InclusionProof {
    /// Checks that `leaf` is at `self.index` in the tree whose root is `root`
    /// (RFC 9162 §2.1.3.2).
    pub fn verify(&self, leaf: &Hash32, root: &Hash32) -> Result<(), ProofError> {
        if self.index >= self.tree_size {
            return Err(ProofError::IndexOutOfRange {
                index: self.index,
                size: self.tree_size,
            });
        }
        if self.path.len() > MAX_PROOF_LEN {
            return Err(ProofError::WrongPathLength);
        }
        let (mut fnode, mut snode) = (self.index, self.tree_size - 1);
        let mut r = leaf_hash(leaf);
        for p in &self.path {
            if snode == 0 {
                return Err(ProofError::WrongPathLength);
            }
            if fnode & 1 == 1 || fnode == snode {
                r = node_hash(p, &r);
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            fnode >>= 1;
            snode >>= 1;
        }
        if snode != 0 {
            return Err(ProofError::WrongPathLength);
        }
        if &r != root {
            return Err(ProofError::RootMismatch);
        }
        Ok(())
    }
}
