//! Entry points of the fuzz targets in `fuzz/`, shared with the stable test
//! that replays their corpora and every input a campaign found
//! (`tests/fuzz_regressions.rs`), so `cargo test` keeps each finding fixed
//! without a nightly toolchain.
//!
//! Each function takes arbitrary bytes, feeds them to a decoder of
//! untrusted input, and panics only if a property the crates promise is
//! broken: a decoder must return an error rather than panic, and whatever
//! decodes must re-encode to bytes that decode to the same value
//! (canonical encodings re-encode to the very same bytes).

use carbon_abe::{Artefact, Envelope, Header, KeyRequest, Policy, PublicKey, UserKey};
use carbon_ledger::{Block, GenesisConfig, Receipt, Transaction};
use carbon_pbft::{Config, Message, Replica, ReplicaId, Time, ValidatorSet};
use carbon_provenance::{History, Limits, decode_canonical_record};

mod evm;
mod market;
mod pbft_signed;

pub use evm::{evm_bytecode, evm_call};
pub use market::market_sequence;
pub use pbft_signed::pbft_signed;

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/<name>.rs` calls them.
pub const TARGETS: &[(&str, Target)] = &[
    ("abe_policy", abe_policy),
    ("abe_artefacts", abe_artefacts),
    ("pbft_message", pbft_message),
    ("pbft_replica", pbft_replica),
    ("pbft_signed", pbft_signed),
    ("ledger_codec", ledger_codec),
    ("ledger_genesis", ledger_genesis),
    ("prov_history", prov_history),
    ("market_sequence", market_sequence),
    ("merkle_proof", merkle_proof),
    ("evm_call", evm_call),
    ("evm_bytecode", evm_bytecode),
];

/// The policy parser: text in, a policy or a positioned error out; a parsed
/// policy prints to text that parses to the same policy.
pub fn abe_policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::parse(text) {
        let again = Policy::parse(&p.to_string()).expect("a printed policy parses");
        assert_eq!(again.to_string(), p.to_string(), "printing is stable");
    }
}

fn artefact_round_trip<T: Artefact>(data: &[u8]) {
    if let Ok(v) = T::from_bytes(data) {
        let bytes = v.to_bytes();
        assert_eq!(bytes, data, "a decoded artefact re-encodes to its bytes");
        let json = v.to_json();
        let back = T::from_json(&json).expect("its JSON decodes");
        assert_eq!(back.to_bytes(), bytes, "JSON and binary agree");
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(v) = T::from_json(text)
    {
        let back = T::from_bytes(&v.to_bytes()).expect("its binary form decodes");
        assert_eq!(back.to_bytes(), v.to_bytes());
    }
}

/// Every CP-ABE artefact decoder (binary and JSON), chosen by the first byte.
pub fn abe_artefacts(data: &[u8]) {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    match which % 6 {
        0 => artefact_round_trip::<PublicKey>(rest),
        1 => artefact_round_trip::<UserKey>(rest),
        2 => artefact_round_trip::<Header>(rest),
        3 => artefact_round_trip::<Envelope>(rest),
        4 => artefact_round_trip::<KeyRequest>(rest),
        _ => {
            artefact_round_trip::<carbon_abe::ComponentUpdate>(rest);
            artefact_round_trip::<carbon_abe::PolicyUpdate>(rest);
        }
    }
}

/// PBFT message decoding: bounded, canonical (re-encodes to the same bytes).
pub fn pbft_message(data: &[u8]) {
    if let Ok(m) = Message::decode(data, 1 << 20) {
        assert_eq!(m.encode(), data, "BCS decoding is canonical");
    }
}

/// One replica fed an arbitrary sequence of peer bytes, client requests and
/// time steps: it must never panic, whatever arrives.
pub fn pbft_replica(data: &[u8]) {
    let keys: Vec<ed25519_dalek::SigningKey> = (0..4u8)
        .map(|i| ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32]))
        .collect();
    let Ok(set) = ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect()) else {
        return;
    };
    let cfg = Config {
        checkpoint_interval: 2,
        watermark_window: 4,
        max_message_bytes: 1 << 16,
        ..Config::default()
    };
    let Ok(mut r) = Replica::new(cfg, set, ReplicaId(1), keys[1].clone(), Time(0)) else {
        return;
    };
    let mut now = 0u64;
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0));
        let body = tail.get(1..(1 + len).min(tail.len())).unwrap_or(&[]);
        rest = tail.get(1 + body.len()..).unwrap_or(&[]);
        match op % 4 {
            0 => {
                let _ = r.handle_bytes(Time(now), ReplicaId(u32::from(op >> 2) % 5), body);
            }
            1 => {
                let req = carbon_pbft::Request {
                    client: carbon_pbft::ClientId(u64::from(op >> 4)),
                    id: carbon_pbft::RequestId(u64::from(body.first().copied().unwrap_or(0))),
                    payload: body.to_vec(),
                };
                let _ = r.handle_request(Time(now), req);
            }
            2 => {
                now = now.saturating_add(u64::from(op) * 16);
                r.handle_timeout(Time(now));
            }
            _ => {
                let seq = carbon_pbft::SeqNo(u64::from(op >> 2));
                let _ = r.handle_state_digest(Time(now), seq, carbon_pbft::Digest([op; 32]));
            }
        }
        let _ = r.ready();
    }
}

/// The ledger's transaction, block and receipt codec, chosen by the first
/// byte: what decodes re-encodes to the same bytes.
pub fn ledger_codec(data: &[u8]) {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(t) = Transaction::from_bytes(rest) {
                assert_eq!(t.to_bytes(), rest, "transactions are canonical");
            }
        }
        1 => {
            if let Ok(b) = Block::from_bytes(rest) {
                assert_eq!(b.to_bytes(), rest, "blocks are canonical");
            }
        }
        _ => {
            if let Ok(r) = Receipt::from_bytes(rest) {
                assert_eq!(r.to_bytes(), rest, "receipts are canonical");
            }
        }
    }
}

/// Genesis JSON: an error or a configuration, never a panic.
pub fn ledger_genesis(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(g) = GenesisConfig::from_json(text)
    {
        let _ = g.hash();
        let _ = g.initial_state();
    }
}

/// Provenance: a history file parsed and replayed (validated), and the bytes
/// as one canonical record.
pub fn prov_history(data: &[u8]) {
    if let Ok(h) = History::from_json(data, &Limits::HISTORY) {
        let _ = h.replay();
    }
    if let Ok(rec) = decode_canonical_record(data, &Limits::RECORD) {
        assert_eq!(rec.canonical_bytes().expect("decoded records encode"), data);
        let _ = rec.verify_signature();
    }
}

/// The Merkle inclusion-proof verifier (RFC 9162): an honest proof from a
/// tree of 1-256 leaves verifies, the same proof with its index, size or a
/// path element changed does not, and an arbitrary proof decoded from the
/// bytes is refused or accepted without a panic.
pub fn merkle_proof(data: &[u8]) {
    use carbon_ledger::Hash32;
    use carbon_ledger::merkle::{InclusionProof, MerkleTree};
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n) + 1;
    let leaves: Vec<Hash32> = (0..n)
        .map(|i| Hash32::digest(&[&(i as u64).to_le_bytes()[..], rest].concat()))
        .collect();
    let tree = MerkleTree::new(&leaves);
    let root = tree.root();
    let i = usize::from(rest.first().copied().unwrap_or(0)) % n;
    let proof = tree.proof(i).expect("a leaf of the tree has a proof");
    proof
        .verify(&leaves[i], &root)
        .expect("an honest proof verifies");
    let tweak = u64::from(rest.get(1).copied().unwrap_or(1)) % 7 + 1;
    let moved = InclusionProof {
        index: (proof.index + tweak) % n as u64,
        ..proof.clone()
    };
    if moved.index != proof.index && leaves[moved.index as usize] != leaves[i] {
        assert!(
            moved.verify(&leaves[i], &root).is_err(),
            "a proof at another index"
        );
    }
    let resized = InclusionProof {
        tree_size: proof.tree_size + tweak,
        ..proof.clone()
    };
    let _ = resized.verify(&leaves[i], &root);
    if let Some(first) = proof.path.first() {
        let mut bent = proof.clone();
        bent.path[0] = Hash32::digest(&first.0);
        assert!(
            bent.verify(&leaves[i], &root).is_err(),
            "a proof with a changed path"
        );
    }
    if let Ok(p) = carbon_ledger::codec::decode::<InclusionProof>(rest, 1 << 16, "inclusion proof")
    {
        let _ = p.verify(&leaves[i], &root);
    }
}
