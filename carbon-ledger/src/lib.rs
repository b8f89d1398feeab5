#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block;
pub mod codec;
pub mod error;
#[cfg(feature = "evm")]
pub mod evm;
pub mod exec;
pub mod genesis;
pub mod hash;
pub mod market;
pub mod merkle;
pub mod receipt;
pub mod state;
pub mod store;
pub mod tx;
pub mod types;

pub use block::{Block, BlockHeader, CommitCertificate};
pub use error::{
    BlockError, DecodeError, Error, GenesisError, QueryError, Result, StoreError, TxError,
};
pub use genesis::{GenesisConfig, Member, NodeRole, ParamValue};
pub use hash::Hash32;
pub use merkle::{InclusionProof, MerkleTree, ProofError};
pub use receipt::{Cost, Event, Receipt, TxStatus};
pub use state::{LtHash, Overlay, StateView, WriteSet};
pub use store::{
    ChainHead, IntegrityReport, Page, Store, StoreConfig, TxInclusion, TxLocation, TxRecord,
};
pub use tx::{Payload, Transaction, TxBody, verify_batch};
pub use types::{
    AccountId, BlockHash, ChainId, Height, Nonce, PublicKey, Signature, TimestampMs, TxHash,
    TxIndex, View,
};
