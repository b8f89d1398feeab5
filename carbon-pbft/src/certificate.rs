//! Certificates anyone holding the validator set can check without trusting
//! whoever handed them over: the commit certificate of a batch, the prepared
//! certificate a VIEW-CHANGE carries, and the stable-checkpoint proof.
//!
//! Signatures in a certificate are checked with ed25519 batch verification
//! (one multiscalar multiplication for all of them), falling back to nothing
//! weaker: a batch that fails is rejected as a whole.

use crate::config::ValidatorSet;
use crate::error::CertificateError;
use crate::ids::{Digest, ReplicaId, SeqNo, View};
use crate::messages::{Batch, CheckpointVote, OrderVote, Phase, Signable, Signed, signing_bytes};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// 2f + 1 signed COMMITs for one (view, sequence number, digest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitCertificate {
    /// The view the batch committed in.
    pub view: View,
    /// Its sequence number.
    pub seq: SeqNo,
    /// The batch digest.
    pub digest: Digest,
    /// (signer, signature over the COMMIT header), signers distinct.
    pub signatures: Vec<(ReplicaId, Signature)>,
}

impl CommitCertificate {
    /// The COMMIT header every signature covers.
    pub fn vote(&self) -> OrderVote {
        OrderVote {
            phase: Phase::Commit,
            view: self.view,
            seq: self.seq,
            digest: self.digest,
        }
    }

    /// Check a quorum of distinct validators signed the COMMIT header.
    pub fn verify(&self, validators: &ValidatorSet) -> Result<(), CertificateError> {
        let vote = self.vote();
        let signed: Vec<(ReplicaId, Vec<u8>, Signature)> = self
            .signatures
            .iter()
            .map(|(id, sig)| (*id, signing_bytes(&validators.digest(), *id, &vote), *sig))
            .collect();
        verify_quorum(validators, &signed, validators.quorum())
    }

    /// Check the certificate and that it certifies `batch`.
    pub fn verify_batch(
        &self,
        batch: &Batch,
        validators: &ValidatorSet,
    ) -> Result<(), CertificateError> {
        if batch.digest() != self.digest {
            return Err(CertificateError::Inconsistent);
        }
        self.verify(validators)
    }
}

/// A prepared certificate: the PRE-PREPARE (with its batch) and 2f matching
/// PREPAREs from distinct backups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedProof {
    /// The primary's signed header.
    pub pre_prepare: Signed<OrderVote>,
    /// The batch it orders.
    pub batch: Batch,
    /// 2f PREPAREs matching the header, from backups.
    pub prepares: Vec<Signed<OrderVote>>,
}

impl PreparedProof {
    /// The (view, sequence number, digest) this proves prepared.
    pub fn vote(&self) -> OrderVote {
        self.pre_prepare.body
    }

    /// Verify every part against the validator set.
    pub fn verify(&self, validators: &ValidatorSet) -> Result<(), CertificateError> {
        let h = self.pre_prepare.body;
        if h.phase != Phase::PrePrepare || self.pre_prepare.from != validators.primary(h.view) {
            return Err(CertificateError::Inconsistent);
        }
        if self.batch.digest() != h.digest {
            return Err(CertificateError::Inconsistent);
        }
        for p in &self.prepares {
            let b = p.body;
            if b.phase != Phase::Prepare
                || b.view != h.view
                || b.seq != h.seq
                || b.digest != h.digest
            {
                return Err(CertificateError::Inconsistent);
            }
            if p.from == self.pre_prepare.from {
                return Err(CertificateError::Inconsistent);
            }
        }
        let mut all = collect(validators, &self.prepares);
        verify_quorum(validators, &all, validators.quorum() - 1)?;
        all.clear();
        all.extend(collect(validators, std::slice::from_ref(&self.pre_prepare)));
        verify_quorum(validators, &all, 1)
    }
}

/// 2f + 1 matching CHECKPOINT votes: proof that a checkpoint is stable. The
/// genesis checkpoint (sequence number 0) needs no votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointProof {
    /// The checkpoint's sequence number.
    pub seq: SeqNo,
    /// The checkpoint digest.
    pub digest: Digest,
    /// The votes.
    pub votes: Vec<Signed<CheckpointVote>>,
}

impl CheckpointProof {
    /// The proof of the initial state.
    pub fn genesis() -> CheckpointProof {
        CheckpointProof {
            seq: SeqNo(0),
            digest: Digest::default(),
            votes: Vec::new(),
        }
    }

    /// Verify the votes match and a quorum signed them.
    pub fn verify(&self, validators: &ValidatorSet) -> Result<(), CertificateError> {
        if self.seq == SeqNo(0) {
            return if self.votes.is_empty() {
                Ok(())
            } else {
                Err(CertificateError::Inconsistent)
            };
        }
        if self
            .votes
            .iter()
            .any(|v| v.body.seq != self.seq || v.body.digest != self.digest)
        {
            return Err(CertificateError::Inconsistent);
        }
        verify_quorum(
            validators,
            &collect(validators, &self.votes),
            validators.quorum(),
        )
    }
}

fn collect<T: Signable>(
    set: &ValidatorSet,
    items: &[Signed<T>],
) -> Vec<(ReplicaId, Vec<u8>, Signature)> {
    let digest = set.digest();
    items
        .iter()
        .map(|s| (s.from, signing_bytes(&digest, s.from, &s.body), s.signature))
        .collect()
}

/// Check at least `need` distinct members signed, and every signature present
/// verifies (one batch verification).
fn verify_quorum(
    validators: &ValidatorSet,
    signed: &[(ReplicaId, Vec<u8>, Signature)],
    need: usize,
) -> Result<(), CertificateError> {
    let mut seen = BTreeSet::new();
    let mut keys: Vec<VerifyingKey> = Vec::with_capacity(signed.len());
    for (id, _, _) in signed {
        if !seen.insert(*id) {
            return Err(CertificateError::DuplicateSigner(*id));
        }
        keys.push(
            *validators
                .key(*id)
                .ok_or(CertificateError::UnknownSigner(*id))?,
        );
    }
    if seen.len() < need {
        return Err(CertificateError::TooFewSignatures {
            got: seen.len(),
            need,
        });
    }
    match signed {
        [] => Ok(()),
        [(_, msg, sig)] => keys[0]
            .verify(msg, sig)
            .map_err(|_| CertificateError::BadSignature),
        _ => {
            let msgs: Vec<&[u8]> = signed.iter().map(|(_, m, _)| m.as_slice()).collect();
            let sigs: Vec<Signature> = signed.iter().map(|(_, _, s)| *s).collect();
            ed25519_dalek::verify_batch(&msgs, &sigs, &keys)
                .map_err(|_| CertificateError::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests;
