//! Errors, layered by cause: the input could not be read ([`DecodeError`]),
//! a record breaks a rule of the model or the history ([`ValidationError`]),
//! the storage backend failed, or a queried item does not exist.

use crate::ids::{ActivityId, AgentId, DataId, IdError, RecordHash, Timestamp};

/// Every error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be read as a record or history.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// A record breaks a rule of the model or of the history it joins.
    #[error("invalid record: {0}")]
    Invalid(#[from] ValidationError),
    /// The storage backend failed.
    #[error("store: {0}")]
    Store(Box<dyn std::error::Error + Send + Sync>),
    /// A query named a data item, agent or record that is not in the store.
    #[error("not found: {0}")]
    NotFound(String),
    /// A store under [`crate::conformance::check_store`] answered a query
    /// differently from the reference [`crate::MemoryStore`].
    #[error("store differs from MemoryStore: {0}")]
    StoreMismatch(String),
    /// A value could not be serialised (not expected for this crate's types).
    #[error("encode: {0}")]
    Encode(String),
}

/// Why untrusted bytes could not be read. Nothing is changed by a decode
/// failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input is larger than the limit (checked before parsing).
    #[error("input is {size} bytes, the limit is {max}")]
    TooLarge {
        /// Input size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The input nests arrays/objects deeper than the limit (checked before
    /// parsing).
    #[error("input nests deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The input is not JSON of the expected shape.
    #[error("line {line} column {column}: {message}")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser reported.
        message: String,
    },
    /// A record that must be canonical (RFC 8785) is not byte-for-byte equal
    /// to its canonical form.
    #[error("record is not in canonical (RFC 8785) form")]
    NonCanonical,
    /// An identifier is malformed.
    #[error("bad identifier: {0}")]
    Id(#[from] IdError),
}

impl DecodeError {
    pub(crate) fn from_json(e: serde_json::Error) -> Self {
        DecodeError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}

/// A rule of the model or of the history that a record breaks. The record is
/// not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The body declares a format version this crate does not read.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u32),
    /// A digest, key or signature has the wrong number of bytes.
    #[error("{field} is {actual} bytes, expected {expected}")]
    WrongLength {
        /// The field.
        field: &'static str,
        /// Expected length in bytes.
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
    /// A free-text field is longer than the limit.
    #[error("{field} is {len} bytes, the limit is {max}")]
    TextTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A list or map has more entries than the limit.
    #[error("{field} has {len} entries, the limit is {max}")]
    TooManyItems {
        /// The field.
        field: &'static str,
        /// Its entry count.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An integer exceeds ±(2^53 - 1), beyond which JSON readers disagree.
    #[error("{field} = {value} is outside ±(2^53 - 1)")]
    IntegerOutOfRange {
        /// The field.
        field: &'static str,
        /// The value.
        value: i128,
    },
    /// A list that must be sorted without repeats is not.
    #[error("{field} must be sorted by id without repeats")]
    Unsorted {
        /// The field.
        field: &'static str,
    },
    /// The record neither uses nor generates any data.
    #[error("activity {activity} touches no data")]
    NoData {
        /// The activity.
        activity: ActivityId,
    },
    /// The signature does not verify under the executing agent's key.
    #[error("signature by agent {agent} on activity {activity} does not verify")]
    BadSignature {
        /// The agent.
        agent: AgentId,
        /// The activity.
        activity: ActivityId,
    },
    /// The agent's public key differs from the signing key, or from the key
    /// (or kind) the agent was first recorded with.
    #[error("agent {agent} does not match its key or its earlier description")]
    KeyMismatch {
        /// The agent.
        agent: AgentId,
    },
    /// The sealed attributes' digest is not the SHA-256 of the ciphertext.
    #[error("sealed attributes of agent {agent} do not match their digest")]
    AttributeDigestMismatch {
        /// The agent.
        agent: AgentId,
    },
    /// An agent claims to act on its own behalf.
    #[error("agent {agent} acts on behalf of itself")]
    SelfDelegation {
        /// The agent.
        agent: AgentId,
    },
    /// A data item is referenced but was never generated.
    #[error("unknown data {0}")]
    UnknownData(DataId),
    /// An activity is referenced but is not recorded.
    #[error("unknown activity {0}")]
    UnknownActivity(ActivityId),
    /// An agent is referenced but has executed no recorded activity.
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    /// The activity id is already recorded.
    #[error("activity {0} is already recorded")]
    DuplicateActivity(ActivityId),
    /// The activity ends before it starts.
    #[error("activity {activity} ends at {ended_at} before it starts at {started_at}")]
    EndBeforeStart {
        /// The activity.
        activity: ActivityId,
        /// Its start.
        started_at: Timestamp,
        /// Its end.
        ended_at: Timestamp,
    },
    /// The activity uses a data item before that item was generated.
    #[error("activity {activity} starts at {used_at} but uses {data}, generated at {generated_at}")]
    UseBeforeGeneration {
        /// The using activity.
        activity: ActivityId,
        /// The data item.
        data: DataId,
        /// When the use started.
        used_at: Timestamp,
        /// When the item's latest version was generated.
        generated_at: Timestamp,
    },
    /// The activity starts before the activity that started or informed it
    /// did (time running backwards along a trigger or communication).
    #[error("activity {activity} precedes {cause}, which started or informed it")]
    CauseAfterEffect {
        /// The activity.
        activity: ActivityId,
        /// The starter or informant.
        cause: ActivityId,
    },
    /// A data item is derived from a source the activity did not use.
    #[error("{data} is derived from {source_data}, which the activity does not use")]
    DerivationWithoutUse {
        /// The derived item.
        data: DataId,
        /// The source.
        source_data: DataId,
    },
    /// The derivation would make a data item its own ancestor.
    #[error("deriving {data} from {source_data} makes a derivation cycle")]
    DerivationCycle {
        /// The derived item.
        data: DataId,
        /// The source that already descends from it.
        source_data: DataId,
    },
    /// The data item was deleted by an earlier record.
    #[error("data {data} was deleted and cannot be used or regenerated")]
    DataDeleted {
        /// The data item.
        data: DataId,
    },
    /// The chain links do not name exactly the data the record touches.
    #[error("chain links must name exactly the data used or generated")]
    ChainLinksMismatch,
    /// A chain link does not name the latest record of its data item:
    /// history was dropped, reordered or forked.
    #[error("hash chain of {data} broken: expected previous {expected:?}, found {found:?}")]
    BrokenChain {
        /// The data item.
        data: DataId,
        /// The latest stored record for it.
        expected: Option<RecordHash>,
        /// What the record names.
        found: Option<RecordHash>,
    },
}
