//! The crate's one error type, layered by cause in the manner of rustls:
//! bytes that do not decode, a peer that broke the protocol (fault evidence),
//! a message that is merely late or redundant, a certificate that does not
//! verify, a bad configuration, and misuse of the API by the host.

use crate::ids::{ReplicaId, SeqNo, View};

/// Everything that can go wrong in `carbon-pbft`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed message.
    #[error("undecodable message: {0}")]
    Decode(#[from] DecodeError),
    /// The sender broke the protocol; worth counting as fault evidence.
    #[error("peer misbehaved: {0}")]
    PeerMisbehaved(#[from] PeerMisbehaved),
    /// A well-formed, honest-looking message that is of no use now (late,
    /// duplicated, from another view). Normal in an asynchronous network.
    #[error("message ignored: {0}")]
    Ignored(#[from] Ignored),
    /// A certificate or proof does not verify against the validator set.
    #[error("invalid certificate: {0}")]
    Certificate(#[from] CertificateError),
    /// The configuration is inconsistent.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The host called the API in a way its contract forbids.
    #[error("API misuse: {0}")]
    Misuse(#[from] Misuse),
}

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Longer than the configured maximum message size.
    #[error("message of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Length of the input.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Not a canonical BCS encoding of a message (includes trailing bytes).
    #[error("malformed encoding: {0}")]
    Malformed(String),
}

/// Protocol violations by a peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// The claimed sender is not in the validator set.
    #[error("{0} is not a member of the validator set")]
    NotAMember(ReplicaId),
    /// The link-level sender differs from the signer.
    #[error("message signed by {signer} but delivered as from {from}")]
    SenderMismatch {
        /// The signer named in the message.
        signer: ReplicaId,
        /// The peer the transport says sent it.
        from: ReplicaId,
    },
    /// The ed25519 signature does not verify.
    #[error("bad signature from {0}")]
    BadSignature(ReplicaId),
    /// A pre-prepare or new-view from a replica that is not the primary.
    #[error("{from} is not the primary of {view}")]
    NotPrimary {
        /// The sender.
        from: ReplicaId,
        /// The view concerned.
        view: View,
    },
    /// Two different digests signed for the same view and sequence number.
    #[error("{from} signed two digests for {view}/{seq}")]
    Equivocation {
        /// The equivocating replica.
        from: ReplicaId,
        /// The view.
        view: View,
        /// The sequence number.
        seq: SeqNo,
    },
    /// A pre-prepare whose batch does not hash to the signed digest.
    #[error("batch does not match its digest")]
    DigestMismatch,
    /// A batch over the configured size bounds.
    #[error("batch exceeds the configured bounds")]
    OversizedBatch,
    /// A view-change or new-view whose content does not check out.
    #[error("invalid view change: {0}")]
    InvalidViewChange(&'static str),
    /// A new-view whose re-proposals differ from those recomputed from its
    /// view-change messages.
    #[error("new-view proposals differ from the ones its view changes imply")]
    NewViewMismatch,
    /// A message only replicas may send arrived from an observer, or similar.
    #[error("message type not allowed here: {0}")]
    Unexpected(&'static str),
}

/// Benign reasons to drop a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
#[non_exhaustive]
pub enum Ignored {
    /// For a view other than the one the replica is in.
    #[error("wrong view")]
    WrongView,
    /// Sequence number outside the water marks (h, H].
    #[error("outside the water marks")]
    OutsideWatermarks,
    /// Already have this exact vote.
    #[error("duplicate")]
    Duplicate,
    /// A client request at or below the client's last request id.
    #[error("stale client request")]
    StaleRequest,
    /// A normal-case message while a view change is under way.
    #[error("view change in progress")]
    ViewChanging,
    /// The replica is an observer and does not take part in ordering.
    #[error("observers do not order requests")]
    Observer,
    /// The request queue is full.
    #[error("request queue full")]
    QueueFull,
    /// Waiting for state transfer to finish.
    #[error("state transfer in progress")]
    Transferring,
    /// Signed in another epoch than the one this replica checks it in: one
    /// it has left, not reached yet, or (having joined later) never knew.
    /// Normal across a validator-set change; no evidence against the
    /// sender.
    #[error("signed in another epoch")]
    OtherEpoch,
}

/// A certificate or proof that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Fewer distinct valid signers than a quorum.
    #[error("{got} signatures, quorum is {need}")]
    TooFewSignatures {
        /// Distinct signers present.
        got: usize,
        /// Quorum size.
        need: usize,
    },
    /// The same signer appears twice.
    #[error("{0} signs twice")]
    DuplicateSigner(ReplicaId),
    /// A signer outside the validator set.
    #[error("{0} is not a validator")]
    UnknownSigner(ReplicaId),
    /// At least one signature does not verify.
    #[error("a signature does not verify")]
    BadSignature,
    /// Parts of the certificate disagree (view, sequence or digest).
    #[error("certificate parts disagree")]
    Inconsistent,
}

/// A configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// PBFT needs at least 4 replicas to tolerate one fault; fewer than 1
    /// cannot run at all.
    #[error("validator set is empty")]
    EmptyValidatorSet,
    /// A parameter is zero or out of range.
    #[error("bad parameter: {0}")]
    BadParameter(&'static str),
    /// The replica's key is not the one the validator set lists for it.
    #[error("signing key does not match the validator set entry of {0}")]
    KeyMismatch(ReplicaId),
    /// `Replica::new` takes the genesis set; a replica joining a later
    /// epoch is built with `Replica::join`, which also needs the previous
    /// epoch.
    #[error("validator set of epoch {0} given to Replica::new: use Replica::join")]
    LaterEpoch(u64),
}

/// API misuse by the host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misuse {
    /// A state digest for a sequence number that was not delivered, or twice.
    #[error("no delivered checkpoint awaits a digest at {0}")]
    UnexpectedStateDigest(SeqNo),
    /// A state snapshot that does not match the proof it was fetched for.
    #[error("installed state does not match the stable checkpoint")]
    StateMismatch,
    /// No state transfer is pending.
    #[error("no state transfer is pending")]
    NoTransferPending,
    /// A fetched state older than what the replica already executed: it
    /// caught up by itself meanwhile, or its state diverged after it had
    /// executed past that checkpoint (it then stays paused and asks for the
    /// next stable checkpoint). The host must not install it.
    #[error("fetched state at {snapshot} is older than the executed {executed}")]
    StaleState {
        /// The snapshot's sequence number.
        snapshot: SeqNo,
        /// What the replica has executed.
        executed: SeqNo,
    },
    /// Recovery data is inconsistent.
    #[error("inconsistent recovery data: {0}")]
    BadRecovery(&'static str),
    /// A validator-set change the replica cannot take: why.
    #[error("validator-set change refused: {0}")]
    BadValidatorSet(&'static str),
}

impl Error {
    /// A short stable label for counting drops by cause.
    pub fn label(&self) -> &'static str {
        match self {
            Error::Decode(_) => "decode",
            Error::PeerMisbehaved(PeerMisbehaved::BadSignature(_)) => "bad_signature",
            Error::PeerMisbehaved(PeerMisbehaved::NotAMember(_)) => "not_a_member",
            Error::PeerMisbehaved(PeerMisbehaved::Equivocation { .. }) => "equivocation",
            Error::PeerMisbehaved(_) => "misbehaved",
            Error::Ignored(Ignored::WrongView) => "wrong_view",
            Error::Ignored(Ignored::OutsideWatermarks) => "outside_watermarks",
            Error::Ignored(Ignored::Duplicate) => "duplicate",
            Error::Ignored(Ignored::StaleRequest) => "stale_request",
            Error::Ignored(_) => "ignored",
            Error::Certificate(_) => "certificate",
            Error::Config(_) => "config",
            Error::Misuse(_) => "misuse",
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
