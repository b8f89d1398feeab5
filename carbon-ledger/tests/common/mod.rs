//! Helpers shared by the integration tests.
#![allow(dead_code)]

use carbon_ledger::{ChainId, Hash32, Nonce, Payload, PublicKey, Transaction, TxBody};
use ed25519_dalek::SigningKey;

/// A deterministic signing key from a small seed.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn chain() -> ChainId {
    ChainId::new("carbon-test").expect("valid chain id")
}

/// A signed anchor transaction.
pub fn anchor_tx(seed: u8, nonce: u64, label: &str) -> Transaction {
    let body = TxBody {
        chain_id: chain(),
        sender: PublicKey::ZERO,
        nonce: Nonce(nonce),
        payload: Payload::Anchor {
            digest: Hash32::digest(label.as_bytes()),
            label: label.to_string(),
        },
    };
    Transaction::sign(body, &key(seed))
}
