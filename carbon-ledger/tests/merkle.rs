//! RFC 6962 Merkle trees: roots against the recursive definition, and
//! inclusion proofs that fail under every mutation.

use carbon_ledger::Hash32;
use carbon_ledger::merkle::{self, InclusionProof, MerkleTree, ProofError};
use proptest::prelude::*;

fn leaves(n: usize) -> Vec<Hash32> {
    (0..n as u64)
        .map(|i| Hash32::digest(&i.to_le_bytes()))
        .collect()
}

/// RFC 6962 §2.1 MTH, written out recursively as the reference.
fn mth(d: &[Hash32]) -> Hash32 {
    match d.len() {
        0 => Hash32::digest(&[]),
        1 => merkle::leaf_hash(&d[0]),
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            merkle::node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

#[test]
fn empty_tree_root_is_sha256_of_nothing() {
    assert_eq!(
        merkle::root(&[]).to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn root_matches_the_rfc_6962_recursive_definition() {
    for n in 0..=70 {
        let l = leaves(n);
        assert_eq!(merkle::root(&l), mth(&l), "n = {n}");
        assert_eq!(MerkleTree::new(&l).root(), mth(&l), "n = {n}");
    }
}

#[test]
fn every_proof_verifies_for_every_size_up_to_70() {
    for n in 1..=70 {
        let l = leaves(n);
        let tree = MerkleTree::new(&l);
        for (i, leaf) in l.iter().enumerate() {
            let p = tree.proof(i).unwrap();
            assert_eq!(p.verify(leaf, &tree.root()), Ok(()), "n = {n}, i = {i}");
        }
        assert!(tree.proof(n).is_none());
    }
}

#[test]
fn leaf_and_node_hashes_are_domain_separated() {
    let a = Hash32::digest(b"a");
    let b = Hash32::digest(b"b");
    // A two-leaf root is a node hash, never equal to a leaf hash of anything
    // built from the same bytes.
    assert_ne!(merkle::root(&[a, b]), merkle::leaf_hash(&a));
    assert_ne!(merkle::leaf_hash(&a), Hash32::digest(&a.0));
}

fn check_mutations(n: usize, i: usize) {
    let l = leaves(n);
    let tree = MerkleTree::new(&l);
    let root = tree.root();
    let good = tree.proof(i).unwrap();
    assert_eq!(good.verify(&l[i], &root), Ok(()));
    // Wrong leaf, wrong root.
    assert!(good.verify(&Hash32::digest(b"other"), &root).is_err());
    assert!(good.verify(&l[i], &Hash32::digest(b"other root")).is_err());
    // Each path element with one bit flipped.
    for j in 0..good.path.len() {
        let mut p = good.clone();
        p.path[j].0[0] ^= 1;
        assert_eq!(
            p.verify(&l[i], &root),
            Err(ProofError::RootMismatch),
            "n={n} i={i} j={j}"
        );
    }
    // Another index, another size, a path one too short or too long.
    for idx in [i.wrapping_sub(1), i + 1] {
        if idx < n {
            let p = InclusionProof {
                index: idx as u64,
                ..good.clone()
            };
            assert!(
                p.verify(&l[i], &root).is_err(),
                "index {idx} accepted for leaf {i}"
            );
        }
    }
    // (The tree size is not bound by the path alone: a verifier must take it
    // from the trusted header, as `TxInclusion::verify` does.)
    let p = InclusionProof {
        index: n as u64,
        ..good.clone()
    };
    assert!(matches!(
        p.verify(&l[i], &root),
        Err(ProofError::IndexOutOfRange { .. })
    ));
    if !good.path.is_empty() {
        let mut p = good.clone();
        p.path.pop();
        assert!(p.verify(&l[i], &root).is_err());
    }
    let mut p = good.clone();
    p.path.push(Hash32::ZERO);
    assert!(p.verify(&l[i], &root).is_err());
    // Swapping two path elements.
    if good.path.len() >= 2 && good.path[0] != good.path[1] {
        let mut p = good;
        p.path.swap(0, 1);
        assert!(p.verify(&l[i], &root).is_err());
    }
}

#[test]
fn mutated_proofs_are_rejected() {
    for n in [1, 2, 3, 5, 8, 13, 64, 100, 1000] {
        for i in [0, n / 2, n - 1] {
            check_mutations(n, i);
        }
    }
}

proptest! {
    #[test]
    fn random_trees_prove_and_reject(n in 1usize..300, pick in any::<prop::sample::Index>()) {
        let i = pick.index(n);
        check_mutations(n, i);
    }
}
