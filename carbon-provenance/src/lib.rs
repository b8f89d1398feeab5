#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical;
pub mod conformance;
mod error;
pub mod example;
pub mod export;
pub mod history;
mod ids;
pub mod lineage;
mod log;
pub mod model;
pub mod record;
pub mod relations;
pub mod store;
mod validate;

pub use canonical::{Limits, decode_canonical_record, to_canonical_json};
pub use error::{DecodeError, Error, ValidationError};
pub use history::{History, HistoryError};
pub use ids::{
    ActivityId, AgentId, DataId, HexBytes, IdError, MAX_ID_LEN, MAX_SAFE_INTEGER, RecordHash,
    Timestamp, sha256,
};
pub use lineage::{Bounds, Lineage};
pub use log::ProvenanceLog;
pub use model::{Activity, ActivityKind, Agent, AgentKind, Data, Param, SealedAttributes, Trigger};
pub use record::{ChainLink, Record, RecordBody};
pub use store::{MemoryStore, ProvenanceStore};
pub use validate::check_record;

/// The ed25519 types records are signed with (re-exported so callers need
/// not depend on `ed25519-dalek` themselves).
pub use ed25519_dalek::{SigningKey, VerifyingKey};
