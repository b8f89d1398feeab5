#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod msp;
pub mod policy;

pub use error::{AuthorityError, DecodeError, Error, PolicyError, Result};
pub use msp::SpanProgram;
pub use policy::{Attribute, Policy};
pub mod encoding;
pub mod hash;
pub mod ids;
pub mod keys;
pub mod scheme;

pub use encoding::Artefact;
pub use ids::{Epoch, EpochTable, KeyVersion, ObjectId, ObjectVersion, PolicyVersion, UserId};
pub use keys::{Component, Header, KeyRandomness, MasterKey, PublicKey, SharedSecret, UserKey};
pub use scheme::{AbeKem, Fame};
pub mod envelope;
pub use envelope::{DataKey, Envelope};
pub mod authority;
mod persist;
pub mod revocation;
pub mod update;
pub use authority::{Authority, KeyRequest, ObjectRecord};
pub use revocation::{ComponentUpdate, Revocation};
pub use update::{PolicyUpdate, update_policy};
