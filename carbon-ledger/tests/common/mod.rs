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

use carbon_ledger::{
    AccountId, Block, CommitCertificate, Receipt, Store, StoreConfig, TimestampMs, View, WriteSet,
};

pub const GENESIS: &str = include_str!("../../../examples/data/genesis.json");

/// The sample genesis with the test chain id.
pub fn test_genesis() -> carbon_ledger::GenesisConfig {
    carbon_ledger::GenesisConfig::from_json(&GENESIS.replace("carbon-demo-1", "carbon-test"))
        .expect("genesis")
}

/// A fresh store initialised with the sample genesis, in `dir`.
pub fn open_store(dir: &std::path::Path) -> Store {
    let store = Store::open(StoreConfig::new(dir).cache_capacity(8 << 20)).expect("open store");
    store.init_genesis(&test_genesis()).expect("init genesis");
    store
}

/// The next block over the store's head with `txs` (successful receipts)
/// and `writes`.
pub fn next_block(
    store: &Store,
    txs: Vec<Transaction>,
    writes: &WriteSet,
) -> (Block, Vec<Receipt>) {
    let receipts: Vec<Receipt> = txs.iter().map(|t| Receipt::success(t.hash())).collect();
    let height = store.head().expect("initialised").height.0 + 1;
    let header = store
        .next_header(
            TimestampMs(1_767_225_600_000 + height * 1000),
            AccountId([1; 32]),
            View(0),
            &txs,
            &receipts,
            writes,
        )
        .expect("header");
    (
        Block {
            header,
            transactions: txs,
            certificate: CommitCertificate(vec![0xce; 8]),
        },
        receipts,
    )
}
