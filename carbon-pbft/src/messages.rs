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
mod tests {
    use super::*;

    fn key(i: u8) -> SigningKey {
        SigningKey::from_bytes(&[i + 1; 32])
    }

    fn vset() -> ValidatorSet {
        ValidatorSet::new((0..4).map(|i| key(i).verifying_key()).collect()).unwrap()
    }

    fn vote() -> OrderVote {
        OrderVote {
            phase: Phase::Prepare,
            view: View(1),
            seq: SeqNo(2),
            digest: Digest([7; 32]),
        }
    }

    #[test]
    fn signed_vote_verifies_and_round_trips() {
        let s = Signed::sign(&vset(), &key(1), ReplicaId(1), vote());
        assert_eq!(s.verify(&vset()), Ok(()));
        let m = Message::Prepare(s);
        assert_eq!(Message::decode(&m.encode(), 1 << 20).unwrap(), m);
    }

    #[test]
    fn rejects_signature_under_another_identity() {
        let mut s = Signed::sign(&vset(), &key(1), ReplicaId(1), vote());
        s.from = ReplicaId(2);
        assert_eq!(
            s.verify(&vset()),
            Err(PeerMisbehaved::BadSignature(ReplicaId(2)))
        );
    }

    #[test]
    fn rejects_altered_body() {
        let mut s = Signed::sign(&vset(), &key(1), ReplicaId(1), vote());
        s.body.phase = Phase::Commit;
        assert!(s.verify(&vset()).is_err());
    }

    #[test]
    fn rejects_a_vote_signed_in_another_epoch() {
        let next = vset().successor(vset().keys().to_vec()).unwrap();
        let s = Signed::sign(&vset(), &key(1), ReplicaId(1), vote());
        assert_eq!(
            s.verify(&next),
            Err(PeerMisbehaved::BadSignature(ReplicaId(1)))
        );
        assert_eq!(
            Signed::sign(&next, &key(1), ReplicaId(1), vote()).verify(&next),
            Ok(())
        );
    }

    #[test]
    fn rejects_signer_outside_the_set() {
        let s = Signed::sign(&vset(), &key(9), ReplicaId(9), vote());
        assert_eq!(
            s.verify(&vset()),
            Err(PeerMisbehaved::NotAMember(ReplicaId(9)))
        );
    }

    #[test]
    fn signing_bytes_carry_the_domain_and_kind() {
        let set = vset().digest();
        let b = signing_bytes(&set, ReplicaId(0), &vote());
        let c = signing_bytes(
            &set,
            ReplicaId(0),
            &CheckpointVote {
                seq: SeqNo(2),
                digest: Digest([7; 32]),
            },
        );
        assert!(
            b.windows(SIGNING_DOMAIN.len())
                .any(|w| w == SIGNING_DOMAIN.as_bytes())
        );
        assert_ne!(b, c);
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut bytes = Message::Request(Request {
            client: ClientId(1),
            id: RequestId(1),
            payload: vec![1],
        })
        .encode();
        bytes.push(0);
        assert!(matches!(
            Message::decode(&bytes, 1 << 20),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn rejects_oversized_input_before_parsing() {
        let bytes = vec![0u8; 2048];
        assert_eq!(
            Message::decode(&bytes, 1024),
            Err(DecodeError::TooLarge {
                len: 2048,
                max: 1024
            })
        );
    }

    #[test]
    fn rejects_truncated_and_garbage_input() {
        let bytes = Message::Prepare(Signed::sign(&vset(), &key(1), ReplicaId(1), vote())).encode();
        for cut in [0, 1, 10, bytes.len() - 1] {
            assert!(
                Message::decode(&bytes[..cut], 1 << 20).is_err(),
                "cut at {cut}"
            );
        }
        assert!(Message::decode(&[0xff; 40], 1 << 20).is_err());
        // A length prefix claiming a huge vector must not allocate it.
        assert!(
            Message::decode(
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f],
                1 << 20
            )
            .is_err()
        );
    }

    #[test]
    fn batch_digest_depends_on_order_and_content() {
        let r = |c, i| Request {
            client: ClientId(c),
            id: RequestId(i),
            payload: vec![c as u8],
        };
        let a = Batch::new(vec![r(1, 1), r(2, 1)]);
        let b = Batch::new(vec![r(2, 1), r(1, 1)]);
        assert_ne!(a.digest(), b.digest());
        assert_ne!(Batch::null().digest(), a.digest());
        assert_eq!(a.digest(), a.clone().digest());
    }
}
