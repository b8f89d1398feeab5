//! Block headers and blocks.

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::error::DecodeError;
use crate::hash::{Hash32, tags};
use crate::merkle;
use crate::receipt::Receipt;
use crate::tx::Transaction;
use crate::types::{AccountId, BlockHash, ChainId, Height, TimestampMs, View};

/// Most transactions a block may hold.
pub const MAX_BLOCK_TXS: usize = 10_000;
/// Largest commit certificate accepted (256 KiB).
pub const MAX_CERT_BYTES: usize = 256 * 1024;
/// Largest encoded block accepted from outside (64 MiB).
pub const MAX_BLOCK_BYTES: usize = 64 << 20;

/// A block header: what consensus agrees on and light clients hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// The network.
    pub chain_id: ChainId,
    /// Height; genesis is 0.
    pub height: Height,
    /// The previous block's hash. For genesis: the genesis configuration
    /// digest, so the genesis hash identifies the whole configuration.
    pub parent: BlockHash,
    /// Agreed block time.
    pub timestamp: TimestampMs,
    /// The account of the proposing replica.
    pub proposer: AccountId,
    /// The consensus view in which the block was committed.
    pub view: View,
    /// Number of transactions in the body.
    pub tx_count: u32,
    /// RFC 6962 Merkle root over the transaction ids.
    pub tx_root: Hash32,
    /// RFC 6962 Merkle root over the receipt hashes.
    pub receipts_root: Hash32,
    /// Commitment to the whole world state after this block.
    pub state_root: Hash32,
}

impl BlockHeader {
    /// The block's id.
    pub fn hash(&self) -> BlockHash {
        BlockHash(Hash32::tagged(tags::BLOCK, &[&codec::encode(self)]).0)
    }
}

/// The consensus layer's commit certificate for a block, kept as opaque
/// bytes that the consensus layer verified before handing the block over.
/// Not covered by the block hash (it signs the hash).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitCertificate(pub Vec<u8>);

/// A block: header, transactions, and the certificate that committed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, in execution order.
    pub transactions: Vec<Transaction>,
    /// The commit certificate (opaque).
    pub certificate: CommitCertificate,
}

impl Block {
    /// The block's id (its header's hash).
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Decodes untrusted bytes (bounded, no trailing bytes). Roots are not
    /// checked here; the store checks them on commit.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode(bytes, MAX_BLOCK_BYTES, "block")
    }
}

/// The transactions root of a list of transactions.
pub fn tx_root(txs: &[Transaction]) -> Hash32 {
    let leaves: Vec<Hash32> = txs.iter().map(|t| Hash32(t.hash().0)).collect();
    merkle::root(&leaves)
}

/// The receipts root of a list of receipts.
pub fn receipts_root(receipts: &[Receipt]) -> Hash32 {
    let leaves: Vec<Hash32> = receipts.iter().map(Receipt::hash).collect();
    merkle::root(&leaves)
}
