//! Protocol messages, their canonical BCS encoding, bounded decoding, and
//! signing with a domain tag.
//!
//! Every vote is a [`Signed`] body: the signer's id, the body and an ed25519
//! signature over `bcs(("carbon-pbft/v2", kind, set digest, signer, body))`.
//! The domain tag and the per-type `kind` keep a signature from ever being
//! valid for a different message type or another protocol using the same
//! key; the digest of the validator set (its epoch and keys) keeps a vote
//! made in one epoch from ever counting in another.

use crate::certificate::{CheckpointProof, CommitCertificate, PreparedProof};
use crate::config::ValidatorSet;
use crate::error::{DecodeError, PeerMisbehaved};
use crate::ids::{ClientId, Digest, ReplicaId, RequestId, SeqNo, View};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::sync::Arc;

/// Domain tag prefixed to everything this crate signs.
pub const SIGNING_DOMAIN: &str = "carbon-pbft/v2";

/// A client request: opaque payload, numbered per client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Who sent it.
    pub client: ClientId,
    /// The client's request number (strictly increasing per client).
    pub id: RequestId,
    /// Opaque to this crate; the application interprets it.
    pub payload: Vec<u8>,
}

/// An ordered group of requests that the primary proposes under one
/// sequence number. Cheap to clone (the requests are shared).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Batch {
    /// The requests in execution order. Empty for a null batch.
    pub requests: Arc<[Request]>,
}

impl Batch {
    /// A batch of `requests`.
    pub fn new(requests: Vec<Request>) -> Batch {
        Batch {
            requests: requests.into(),
        }
    }

    /// The null batch a NEW-VIEW uses to fill a gap.
    pub fn null() -> Batch {
        Batch::default()
    }

    /// The batch digest: SHA-256 over a domain tag, the request count and each
    /// request's client, id and length-prefixed payload.
    pub fn digest(&self) -> Digest {
        let mut h = Sha256::new();
        h.update(b"carbon-pbft/batch/v1");
        h.update((self.requests.len() as u64).to_le_bytes());
        for r in self.requests.iter() {
            h.update(r.client.0.to_le_bytes());
            h.update(r.id.0.to_le_bytes());
            h.update((r.payload.len() as u64).to_le_bytes());
            h.update(&r.payload);
        }
        Digest(h.finalize().into())
    }

    /// Total payload bytes.
    pub fn payload_bytes(&self) -> usize {
        self.requests.iter().map(|r| r.payload.len()).sum()
    }
}

/// The three normal-case phases, all signed over the same header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// The primary's proposal.
    PrePrepare,
    /// A backup's agreement with the proposal.
    Prepare,
    /// A replica's vote to commit after it prepared.
    Commit,
}

/// The signed header of a PRE-PREPARE, PREPARE or COMMIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderVote {
    /// Which phase.
    pub phase: Phase,
    /// The view.
    pub view: View,
    /// The sequence number.
    pub seq: SeqNo,
    /// The batch digest.
    pub digest: Digest,
}

/// CHECKPOINT(s, d): the state digest after executing sequence number s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointVote {
    /// The checkpoint's sequence number (a multiple of K).
    pub seq: SeqNo,
    /// The checkpoint digest (see [`crate::checkpoint::checkpoint_digest`]).
    pub digest: Digest,
}

/// VIEW-CHANGE(v + 1, s, C, P).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewChange {
    /// The view the sender wants to move to.
    pub new_view: View,
    /// Its last stable checkpoint with the 2f + 1 votes proving it.
    pub checkpoint: CheckpointProof,
    /// For each sequence number above the checkpoint that the sender
    /// prepared, the certificate from the highest view it prepared in.
    pub prepared: Vec<PreparedProof>,
}

/// NEW-VIEW(v + 1, V, O).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewView {
    /// The view being started.
    pub view: View,
    /// V: a quorum of VIEW-CHANGE messages for `view`.
    pub view_changes: Vec<Signed<ViewChange>>,
    /// O: the new primary's signed PRE-PREPARE headers, one per sequence
    /// number in (min-s, max-s], the null batch's digest filling gaps.
    /// Receivers recompute them from `view_changes` and compare.
    pub proposals: Vec<Signed<OrderVote>>,
}

/// A message body that can be signed: each type has its own kind string.
pub trait Signable: Serialize {
    /// Distinguishes the types in the signing bytes.
    const KIND: &'static str;
}

impl Signable for OrderVote {
    const KIND: &'static str = "order";
}
impl Signable for CheckpointVote {
    const KIND: &'static str = "checkpoint";
}
impl Signable for ViewChange {
    const KIND: &'static str = "view-change";
}
impl Signable for NewView {
    const KIND: &'static str = "new-view";
}

/// A body signed by a replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed<T> {
    /// The signer.
    pub from: ReplicaId,
    /// The epoch of the validator set it was signed in: a hint that lets a
    /// receiver in another epoch set the message aside instead of blaming
    /// the sender (the signature itself binds the set's digest, which
    /// covers the epoch).
    pub epoch: u64,
    /// What was signed.
    pub body: T,
    /// ed25519 signature over [`signing_bytes`].
    pub signature: Signature,
}

/// The exact bytes signed for `body` by `from` in the epoch of the set
/// whose digest is `set`.
pub fn signing_bytes<T: Signable>(set: &Digest, from: ReplicaId, body: &T) -> Vec<u8> {
    // Invariant: BCS serialisation of our own plain data types cannot fail
    // (no maps with non-canonical keys, no unsupported types, depth is small).
    bcs::to_bytes(&(SIGNING_DOMAIN, T::KIND, set, from, body)).expect("BCS encodes plain data")
}

impl<T: Signable> Signed<T> {
    /// Sign `body` as replica `from` of `set`.
    pub fn sign(set: &ValidatorSet, key: &SigningKey, from: ReplicaId, body: T) -> Signed<T> {
        let signature = key.sign(&signing_bytes(&set.digest(), from, &body));
        Signed {
            from,
            epoch: set.epoch(),
            body,
            signature,
        }
    }

    /// Check the signer is a member and the signature verifies.
    pub fn verify(&self, validators: &ValidatorSet) -> Result<(), PeerMisbehaved> {
        let key = validators
            .key(self.from)
            .ok_or(PeerMisbehaved::NotAMember(self.from))?;
        key.verify(
            &signing_bytes(&validators.digest(), self.from, &self.body),
            &self.signature,
        )
        .map_err(|_| PeerMisbehaved::BadSignature(self.from))
    }
}

/// A PRE-PREPARE: the primary's signed header plus the batch it orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrePrepare {
    /// Signed header with `phase == PrePrepare`.
    pub header: Signed<OrderVote>,
    /// The batch; must hash to `header.body.digest`.
    pub batch: Batch,
}

/// A committed batch as replicas send it to observers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedBatch {
    /// The sequence number.
    pub seq: SeqNo,
    /// The batch.
    pub batch: Batch,
    /// 2f + 1 signed commits proving it.
    pub certificate: CommitCertificate,
}

/// Everything that travels between replicas, clients and observers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// A client request (forwarded or broadcast).
    Request(Request),
    /// The primary's proposal.
    PrePrepare(PrePrepare),
    /// A backup's PREPARE.
    Prepare(Signed<OrderVote>),
    /// A COMMIT.
    Commit(Signed<OrderVote>),
    /// A CHECKPOINT vote.
    Checkpoint(Signed<CheckpointVote>),
    /// A VIEW-CHANGE.
    ViewChange(Signed<ViewChange>),
    /// A NEW-VIEW.
    NewView(Signed<NewView>),
    /// A committed batch with its certificate, for observers.
    Committed(CommittedBatch),
    /// A stable checkpoint's proof, relayed after an epoch change to the
    /// replicas still finishing the old epoch (appended: BCS numbers
    /// variants by position).
    StableCheckpoint(CheckpointProof),
}

impl Message {
    /// The canonical BCS encoding.
    pub fn encode(&self) -> Vec<u8> {
        // Invariant: see `signing_bytes`; plain data always encodes.
        bcs::to_bytes(self).expect("BCS encodes plain data")
    }

    /// Decode untrusted bytes: at most `max_len` bytes, canonical BCS, no
    /// trailing bytes, bounded nesting.
    pub fn decode(bytes: &[u8], max_len: usize) -> Result<Message, DecodeError> {
        if bytes.len() > max_len {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: max_len,
            });
        }
        bcs::from_bytes_with_limit(bytes, 16).map_err(|e| DecodeError::Malformed(e.to_string()))
    }

    /// A short name for logs and statistics.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Request(_) => "request",
            Message::PrePrepare(_) => "pre-prepare",
            Message::Prepare(_) => "prepare",
            Message::Commit(_) => "commit",
            Message::Checkpoint(_) => "checkpoint",
            Message::ViewChange(_) => "view-change",
            Message::NewView(_) => "new-view",
            Message::Committed(_) => "committed",
            Message::StableCheckpoint(_) => "stable-checkpoint",
        }
    }
}

#[cfg(test)]
mod tests;
