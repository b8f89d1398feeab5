//! The crate's error type, layered by cause (encoding, transaction, block,
//! storage, genesis, query), in the manner of rustls's `Error`.

use crate::hash::Hash32;
use crate::types::{BlockHash, Height, TxHash};

/// Every fallible operation of this crate returns this error.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bytes from outside (a peer, a file, the disk) did not decode.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// A transaction is malformed or its signature does not verify.
    #[error("transaction: {0}")]
    Tx(#[from] TxError),
    /// A block was refused by the store; nothing was written.
    #[error("block rejected: {0}")]
    Block(#[from] BlockError),
    /// The store failed or holds something it should not.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A genesis file is invalid.
    #[error("genesis: {0}")]
    Genesis(#[from] GenesisError),
    /// A query was malformed (e.g. a page limit out of range).
    #[error("query: {0}")]
    Query(#[from] QueryError),
    /// An EVM transaction or call is malformed or not allowed.
    #[cfg(feature = "evm")]
    #[error("evm: {0}")]
    Evm(#[from] crate::evm::EvmError),
}

/// Why bytes did not decode into a value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is larger than the limit for this kind of value.
    #[error("{what}: {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The kind of value being decoded.
        what: &'static str,
        /// Input length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The input ended before the value did (includes a declared length
    /// longer than the remaining input).
    #[error("{what}: truncated input")]
    Truncated {
        /// The kind of value being decoded.
        what: &'static str,
    },
    /// Bytes remain after a complete value.
    #[error("{what}: trailing bytes after the value")]
    TrailingBytes {
        /// The kind of value being decoded.
        what: &'static str,
    },
    /// A length or variant index was not encoded in its one canonical form.
    #[error("{what}: non-canonical encoding")]
    NonCanonical {
        /// The kind of value being decoded.
        what: &'static str,
    },
    /// Any other structural problem (bad tag, bad UTF-8, invalid field).
    #[error("{what}: {reason}")]
    Malformed {
        /// The kind of value being decoded.
        what: &'static str,
        /// The decoder's explanation.
        reason: String,
    },
}

/// Why a transaction is invalid.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The sender's public key is not a valid ed25519 point.
    #[error("invalid sender public key")]
    BadPublicKey,
    /// The signature does not verify (for a batch: the first bad index).
    #[error("bad signature on transaction {index}")]
    BadSignature {
        /// Position of the offending transaction in the checked slice.
        index: usize,
    },
    /// The transaction is for another network.
    #[error("chain id {got:?} does not match this chain {expected:?}")]
    WrongChain {
        /// This chain's id.
        expected: String,
        /// The transaction's chain id.
        got: String,
    },
    /// A chain id string is empty, too long or uses disallowed characters.
    #[error("invalid chain id {0:?}: 1-64 characters of [a-z0-9._-]")]
    BadChainId(String),
}

/// Why the store refused a block. A refused block changes nothing.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The block's height is not head + 1.
    #[error("height {got} does not follow the head (expected {expected})")]
    WrongHeight {
        /// head + 1.
        expected: Height,
        /// The block's height.
        got: Height,
    },
    /// The block's parent is not the head.
    #[error("parent {got} is not the head {expected}")]
    WrongParent {
        /// The head's hash.
        expected: BlockHash,
        /// The block's parent field.
        got: BlockHash,
    },
    /// The block's chain id is not the store's.
    #[error("block is for chain {got:?}, store holds {expected:?}")]
    WrongChain {
        /// The store's chain id.
        expected: String,
        /// The block's chain id.
        got: String,
    },
    /// A transaction in the block is for another chain.
    #[error("transaction {index} is for another chain")]
    TxWrongChain {
        /// Index in the block.
        index: u32,
    },
    /// The header's transaction count or root does not match the body.
    #[error("transactions root does not match the body")]
    TxRootMismatch,
    /// The header's transaction count does not match the body.
    #[error("header says {header} transactions, body has {body}")]
    TxCountMismatch {
        /// Count in the header.
        header: u32,
        /// Count in the body.
        body: usize,
    },
    /// One receipt per transaction, in order, naming it.
    #[error("receipts do not match the transactions")]
    ReceiptMismatch,
    /// The header's receipts root does not match the receipts.
    #[error("receipts root does not match the receipts")]
    ReceiptsRootMismatch,
    /// The header's state root is not the root after the block's writes.
    #[error("state root {header} does not match the computed root {computed}")]
    StateRootMismatch {
        /// Root in the header.
        header: Hash32,
        /// Root computed from the head state and the block's writes.
        computed: Hash32,
    },
    /// A transaction is already on the chain or appears twice in the block.
    #[error("transaction {0} is already on the chain or repeated in the block")]
    DuplicateTransaction(TxHash),
    /// More transactions than a block may hold.
    #[error("{got} transactions exceeds the block limit of {max}")]
    TooManyTransactions {
        /// Transactions in the block.
        got: usize,
        /// Limit.
        max: usize,
    },
    /// A state key or value exceeds its size limit (or a key is empty).
    #[error("state write of key length {key_len}, value length {value_len} exceeds the limits")]
    WriteTooLarge {
        /// Key length.
        key_len: usize,
        /// Value length (0 for a delete).
        value_len: usize,
    },
}

/// Storage-level failures.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The storage backend (sled) failed.
    #[error("backend: {0}")]
    Backend(String),
    /// A record on disk is missing or does not decode; names the record.
    #[error("corrupt record {record}: {reason}")]
    Corrupt {
        /// Which record (e.g. `header at height 7`).
        record: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another handle (in this or another process) holds the database's
    /// lock and did not release it within the configured wait.
    #[error("database {path} is locked by another handle (waited {waited_ms} ms)")]
    Locked {
        /// Directory of the database.
        path: String,
        /// How long `open` waited for the lock, in milliseconds.
        waited_ms: u64,
    },
    /// The store has no genesis yet.
    #[error("the store has no genesis block")]
    NotInitialised,
    /// The store was initialised with another genesis.
    #[error("the store holds genesis {stored}, not {given}")]
    GenesisMismatch {
        /// Genesis already in the store.
        stored: BlockHash,
        /// Genesis offered.
        given: BlockHash,
    },
    /// A blob exceeds the configured size limit.
    #[error("blob of {len} bytes exceeds the limit of {max}")]
    BlobTooLarge {
        /// Blob length.
        len: usize,
        /// Limit.
        max: usize,
    },
}

/// Invalid genesis configuration.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// The JSON is malformed or has unknown fields.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A field value is invalid; names the field.
    #[error("{field}: {reason}")]
    Invalid {
        /// The offending field (e.g. `validators[2].address`).
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// A malformed query.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Page limit of zero or above the maximum.
    #[error("page limit {got} outside 1..={max}")]
    BadLimit {
        /// Requested limit.
        got: usize,
        /// Maximum.
        max: usize,
    },
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Store(StoreError::Backend(e.to_string()))
    }
}

/// Shorthand result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
