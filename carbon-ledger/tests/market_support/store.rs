//! The market tests' chain on a real sled store: open one at the test
//! genesis, and execute and commit a block on it.

use carbon_ledger::exec;
use carbon_ledger::{
    AccountId, Block, CommitCertificate, GenesisConfig, Store, StoreConfig, TimestampMs,
    Transaction, View,
};

use super::{chain, genesis_json};

/// A store in `dir` (8 MB cache) initialised with the test genesis.
pub fn open_store(dir: &std::path::Path) -> Store {
    let store = Store::open(StoreConfig::new(dir).cache_capacity(8 << 20)).expect("open");
    let g = GenesisConfig::from_json(&genesis_json("")).expect("genesis");
    store.init_genesis(&g).expect("init");
    store
}

/// Executes and commits one block on `store`; returns the block.
pub fn commit_block(store: &Store, time: u64, txs: &[Transaction]) -> Block {
    let out = exec::execute_block(store, &chain(), TimestampMs(time), txs).expect("executes");
    let header = store
        .next_header(
            TimestampMs(time),
            AccountId::ZERO,
            View(0),
            txs,
            &out.receipts,
            &out.writes,
        )
        .expect("header");
    let block = Block {
        header,
        transactions: txs.to_vec(),
        certificate: CommitCertificate::default(),
    };
    store
        .commit(&block, &out.receipts, &out.writes)
        .expect("commit");
    block
}
