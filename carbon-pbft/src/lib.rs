#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod certificate;
pub mod checkpoint;
pub mod config;
mod delivery;
mod epoch;
pub mod error;
mod fingerprint;
pub mod ids;
mod input;
mod inspect;
pub mod messages;
mod normal;
mod observer;
pub mod output;
mod recovery;
mod replica;
pub mod sim;
mod state_transfer;
pub mod view_change;

pub use certificate::{CheckpointProof, CommitCertificate, PreparedProof};
pub use config::{Config, ValidatorSet};
pub use epoch::{PreviousEpoch, RELAYED_EPOCH_PROOFS};
pub use error::{Error, Result};
pub use ids::{ClientId, Digest, ReplicaId, RequestId, SeqNo, Time, View};
pub use inspect::Footprint;
pub use messages::{Batch, Message, Request};
pub use observer::Observer;
pub use output::{
    Committed, Destination, FetchState, Outgoing, Persist, Ready, StateSnapshot, Stats,
};
pub use replica::Replica;
