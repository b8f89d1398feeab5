//! The key layout of the store and the records kept under it.
//!
//! One sled tree, keys prefixed by record kind; heights and indexes are
//! big-endian so that range scans run in chain order.
//!
//! | key | value |
//! |---|---|
//! | `m/head` | [`HeadRecord`] |
//! | `m/genesis` | genesis [`BlockHash`] |
//! | `m/chain` | [`ChainId`] |
//! | `h/` height | [`StoredHeader`] (header + certificate) |
//! | `n/` block hash | height (8 bytes BE) |
//! | `t/` tx hash | [`TxEntry`] (location, transaction, receipt) |
//! | `l/` height | [`BlockLeaves`] (leaf hashes: body order and proofs) |
//!
//! A transaction is one record, found by its hash in one read; a block's
//! body is its `l/` list of transaction hashes, each read from `t/`. sled's
//! flush cost grows with the number of records, so fewer records per
//! transaction is most of the append throughput.
//! | `s/` state key | state value |
//! | `b/` SHA-256 | blob bytes (off-chain, not in the state root) |

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::block::{BlockHeader, CommitCertificate, MAX_BLOCK_BYTES};
use crate::codec;
use crate::error::StoreError;
use crate::hash::Hash32;
use crate::receipt::Receipt;
use crate::tx::Transaction;
use crate::types::{BlockHash, ChainId, Height, TxHash, TxIndex};

pub(crate) const META_HEAD: &[u8] = b"m/head";
pub(crate) const META_GENESIS: &[u8] = b"m/genesis";
pub(crate) const META_CHAIN: &[u8] = b"m/chain";
pub(crate) const HEADER: &[u8] = b"h/";
pub(crate) const STATE: &[u8] = b"s/";

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

pub(crate) fn header(h: Height) -> Vec<u8> {
    key(HEADER, &[&h.0.to_be_bytes()])
}
pub(crate) fn block_hash(hash: &BlockHash) -> Vec<u8> {
    key(b"n/", &[&hash.0])
}
pub(crate) fn tx(hash: &TxHash) -> Vec<u8> {
    key(b"t/", &[&hash.0])
}
pub(crate) fn leaves(h: Height) -> Vec<u8> {
    key(b"l/", &[&h.0.to_be_bytes()])
}
pub(crate) fn state(k: &[u8]) -> Vec<u8> {
    key(STATE, &[k])
}
pub(crate) fn blob(d: &Hash32) -> Vec<u8> {
    key(b"b/", &[&d.0])
}

/// The chain head as persisted: the last committed block and the state
/// accumulator after it.
#[derive(Serialize, Deserialize)]
pub(crate) struct HeadRecord {
    pub(crate) height: Height,
    pub(crate) hash: BlockHash,
    pub(crate) lthash: Vec<u8>,
}

/// A header with the certificate that committed it.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredHeader {
    pub(crate) header: BlockHeader,
    pub(crate) certificate: CommitCertificate,
}

/// A transaction, its receipt and location, stored together.
#[derive(Serialize, Deserialize)]
pub(crate) struct TxEntry {
    pub(crate) location: TxLocation,
    pub(crate) tx: Transaction,
    pub(crate) receipt: Receipt,
}

/// The borrowed twin of [`TxEntry`], to encode without cloning.
#[derive(Serialize)]
pub(crate) struct TxEntryRef<'a> {
    pub(crate) location: TxLocation,
    pub(crate) tx: &'a Transaction,
    pub(crate) receipt: &'a Receipt,
}

/// Where a transaction is on the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLocation {
    /// Block height.
    pub height: Height,
    /// Position in the block.
    pub index: TxIndex,
}

/// The Merkle leaves of a block, kept so proofs need no re-hashing.
#[derive(Serialize, Deserialize)]
pub(crate) struct BlockLeaves {
    pub(crate) txs: Vec<Hash32>,
    pub(crate) receipts: Vec<Hash32>,
}

/// Decodes a record read from disk, naming it in the error if it is bad.
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    record: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    codec::decode(bytes, MAX_BLOCK_BYTES, "record").map_err(|e| StoreError::Corrupt {
        record: record(),
        reason: e.to_string(),
    })
}

/// Decodes a big-endian height stored under `n/`.
pub(crate) fn decode_height(
    bytes: &[u8],
    record: impl FnOnce() -> String,
) -> Result<Height, StoreError> {
    let arr: [u8; 8] = bytes.try_into().map_err(|_| StoreError::Corrupt {
        record: record(),
        reason: format!("expected 8 bytes, found {}", bytes.len()),
    })?;
    Ok(Height(u64::from_be_bytes(arr)))
}

pub(crate) fn decode_chain(bytes: &[u8]) -> Result<ChainId, StoreError> {
    decode(bytes, || "chain id (m/chain)".into())
}
