//! Receipts: what executing a transaction did.

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::error::DecodeError;
use crate::hash::{Hash32, tags};
use crate::types::TxHash;

/// Largest encoded receipt accepted from outside (256 KiB).
pub const MAX_RECEIPT_BYTES: usize = 256 * 1024;

/// Outcome of a transaction. A failed transaction is still in its block
/// (it consumed its nonce) but its effects, apart from bookkeeping the
/// executor documents, were undone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxStatus {
    /// Executed; its writes are in the block's write set.
    Success,
    /// Rejected by the executor.
    Failed {
        /// Machine-readable error code (defined by the executor).
        code: u32,
        /// Human-readable reason.
        reason: String,
    },
}

/// Something a transaction emitted, for indexers and light clients
/// (covered by the receipts root). EVM logs map onto it: `topics` and `data`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Who emitted it (a module name such as `market`, or a contract address
    /// in hex).
    pub source: String,
    /// Indexed topics.
    pub topics: Vec<Hash32>,
    /// Payload (canonical bytes of a typed event, or ABI data for the EVM).
    pub data: Vec<u8>,
}

/// Gas-free cost counters: what the transaction consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// State keys written or deleted.
    pub keys_written: u32,
    /// Bytes of keys and values written.
    pub bytes_written: u64,
    /// EVM gas used (0 for native payloads).
    pub gas_used: u64,
}

/// The receipt of one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The transaction this receipt is for.
    pub tx: TxHash,
    /// Outcome.
    pub status: TxStatus,
    /// Events, in emission order.
    pub events: Vec<Event>,
    /// Counters.
    pub cost: Cost,
}

impl Receipt {
    /// A successful receipt with no events.
    pub fn success(tx: TxHash) -> Self {
        Receipt {
            tx,
            status: TxStatus::Success,
            events: Vec::new(),
            cost: Cost::default(),
        }
    }

    /// The receipt's leaf hash in the receipts tree.
    pub fn hash(&self) -> Hash32 {
        Hash32::tagged(tags::RECEIPT, &[&codec::encode(self)])
    }

    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Decodes untrusted bytes (bounded, no trailing bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode(bytes, MAX_RECEIPT_BYTES, "receipt")
    }
}
