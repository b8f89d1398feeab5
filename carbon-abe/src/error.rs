//! The crate's one error type, layered by cause (in the manner of rustls's
//! `Error`): a bad policy, undecodable bytes, a failed integrity check, a key
//! that does not satisfy a policy, a rejected authority request, or I/O.

use thiserror::Error as ThisError;

/// Every error this crate returns.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The policy text or structure is invalid.
    #[error("policy: {0}")]
    Policy(#[from] PolicyError),
    /// Bytes or JSON could not be decoded into an artefact.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// An authenticated part of a ciphertext did not verify: the header,
    /// policy, wrapped key, payload or associated data was changed, or the
    /// key material is inconsistent. No plaintext is ever returned in this
    /// case.
    #[error("integrity check failed: the ciphertext or its associated data was modified")]
    Integrity,
    /// The key's attributes (at their current epochs) do not satisfy the
    /// ciphertext's policy.
    #[error("the key's attributes do not satisfy the policy")]
    PolicyNotSatisfied,
    /// The authority refused a request.
    #[error("authority: {0}")]
    Authority(#[from] AuthorityError),
    /// Reading or writing the authority's state failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Why a policy was rejected. Positions are byte offsets into the policy text.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text does not follow the grammar.
    #[error("syntax error at byte {position}: {message}")]
    Syntax {
        /// Byte offset of the offending token.
        position: usize,
        /// What was expected or found.
        message: String,
    },
    /// The policy text is empty (or only whitespace).
    #[error("empty policy")]
    Empty,
    /// One attribute is named more than once.
    #[error("attribute {attribute:?} repeated at byte {position}")]
    DuplicateAttribute {
        /// The repeated attribute.
        attribute: String,
        /// Byte offset of the second occurrence.
        position: usize,
    },
    /// A threshold gate `k of (...)` with k outside 1..=n.
    #[error("threshold {k} of {n} at byte {position}: k must be in 1..={n}")]
    ThresholdOutOfRange {
        /// The threshold.
        k: u64,
        /// The number of children.
        n: usize,
        /// Byte offset of the threshold.
        position: usize,
    },
    /// The policy exceeds a documented size limit (see [`crate::policy::limits`]).
    #[error("policy too large: {what} exceeds the limit of {limit}")]
    TooLarge {
        /// Which quantity is too large.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// An attribute name is not acceptable (empty, too long, control chars).
    #[error("invalid attribute {0:?}")]
    InvalidAttribute(String),
}

/// Why bytes or JSON could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the artefact did.
    #[error("truncated input")]
    Truncated,
    /// Bytes remained after the artefact.
    #[error("trailing bytes after the artefact")]
    TrailingBytes,
    /// The magic tag does not name the expected artefact.
    #[error("wrong artefact kind (expected {expected})")]
    WrongKind {
        /// The expected artefact.
        expected: &'static str,
    },
    /// The format version is not one this crate reads.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u8),
    /// The input exceeds a size bound.
    #[error("{what} too large (limit {limit})")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The bound.
        limit: usize,
    },
    /// A group element is not a valid compressed point in the right subgroup.
    #[error("invalid group element")]
    InvalidPoint,
    /// A structural field is malformed.
    #[error("malformed: {0}")]
    Malformed(String),
    /// JSON text could not be parsed.
    #[error("json: {0}")]
    Json(String),
}

/// Why the authority refused a request.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The user is not registered.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// The user is already registered.
    #[error("user {0} already registered")]
    UserExists(String),
    /// The user does not hold the attribute.
    #[error("user {user} does not hold attribute {attribute}")]
    AttributeNotHeld {
        /// The user.
        user: String,
        /// The attribute.
        attribute: String,
    },
    /// An ed25519 signature did not verify.
    #[error("bad signature")]
    BadSignature,
    /// A signed request reuses a sequence number (replay).
    #[error("stale request: sequence {got} but {last} already seen")]
    StaleRequest {
        /// The request's sequence number.
        got: u64,
        /// The last accepted sequence number.
        last: u64,
    },
    /// A policy update names a version not newer than the known one.
    #[error("stale version {got}: version {known} is already known")]
    StaleVersion {
        /// The update's version.
        got: u64,
        /// The known version.
        known: u64,
    },
    /// A policy update's old-policy digest does not match the known policy.
    #[error("old policy digest does not match the current policy")]
    PolicyMismatch,
    /// The signer is not the object's owner.
    #[error("signer {0} is not the owner of the object")]
    NotOwner(String),
    /// The key version is revoked.
    #[error("key version {0} is revoked")]
    KeyRevoked(u64),
    /// A counter would overflow.
    #[error("counter overflow")]
    Overflow,
    /// The user's attribute set would become empty or is otherwise invalid.
    #[error("invalid attribute set: {0}")]
    InvalidAttributes(String),
}

impl Error {
    /// Shorthand for a syntax error at `position`.
    pub(crate) fn syntax(position: usize, message: impl Into<String>) -> Self {
        Error::Policy(PolicyError::Syntax {
            position,
            message: message.into(),
        })
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
