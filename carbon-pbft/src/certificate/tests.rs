//! Unit tests of `certificate`.
use super::*;
use crate::ids::{ClientId, RequestId};
use crate::messages::Request;
use ed25519_dalek::SigningKey;

fn keys() -> Vec<SigningKey> {
    (0..4u8)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect()
}

fn vset(keys: &[SigningKey]) -> ValidatorSet {
    ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect()).unwrap()
}

fn cert(keys: &[SigningKey], signers: &[u32]) -> CommitCertificate {
    let vote = OrderVote {
        phase: Phase::Commit,
        view: View(0),
        seq: SeqNo(1),
        digest: Digest([3; 32]),
    };
    let signatures = signers
        .iter()
        .map(|&i| {
            let s = Signed::sign(&vset(keys), &keys[i as usize], ReplicaId(i), vote);
            (s.from, s.signature)
        })
        .collect();
    CommitCertificate {
        view: View(0),
        seq: SeqNo(1),
        digest: Digest([3; 32]),
        signatures,
    }
}

#[test]
fn accepts_commit_certificate_of_a_quorum() {
    let k = keys();
    assert_eq!(cert(&k, &[0, 2, 3]).verify(&vset(&k)), Ok(()));
    assert_eq!(cert(&k, &[0, 1, 2, 3]).verify(&vset(&k)), Ok(()));
}

#[test]
fn rejects_certificate_below_quorum() {
    let k = keys();
    assert_eq!(
        cert(&k, &[0, 1]).verify(&vset(&k)),
        Err(CertificateError::TooFewSignatures { got: 2, need: 3 })
    );
}

#[test]
fn rejects_certificate_with_repeated_signer() {
    let k = keys();
    let mut c = cert(&k, &[0, 1, 2]);
    c.signatures[2] = c.signatures[1];
    assert_eq!(
        c.verify(&vset(&k)),
        Err(CertificateError::DuplicateSigner(ReplicaId(1)))
    );
}

#[test]
fn rejects_certificate_with_one_forged_signature() {
    let k = keys();
    let mut c = cert(&k, &[0, 1, 2]);
    c.signatures[1].1 = c.signatures[0].1;
    assert_eq!(c.verify(&vset(&k)), Err(CertificateError::BadSignature));
    let mut c = cert(&k, &[0, 1, 2]);
    c.digest = Digest([4; 32]);
    assert_eq!(c.verify(&vset(&k)), Err(CertificateError::BadSignature));
}

#[test]
fn rejects_certificate_for_another_batch() {
    let k = keys();
    let b = Batch::new(vec![Request {
        client: ClientId(1),
        id: RequestId(1),
        payload: vec![],
    }]);
    assert_eq!(
        cert(&k, &[0, 1, 2]).verify_batch(&b, &vset(&k)),
        Err(CertificateError::Inconsistent)
    );
}

#[test]
fn prepared_proof_needs_primary_and_two_f_prepares() {
    let k = keys();
    let vs = vset(&k);
    let batch = Batch::new(vec![Request {
        client: ClientId(1),
        id: RequestId(1),
        payload: vec![9],
    }]);
    let h = OrderVote {
        phase: Phase::PrePrepare,
        view: View(1),
        seq: SeqNo(3),
        digest: batch.digest(),
    };
    let p = OrderVote {
        phase: Phase::Prepare,
        ..h
    };
    let proof = PreparedProof {
        pre_prepare: Signed::sign(&vset(&k), &k[1], ReplicaId(1), h),
        batch: batch.clone(),
        prepares: vec![
            Signed::sign(&vset(&k), &k[0], ReplicaId(0), p),
            Signed::sign(&vset(&k), &k[2], ReplicaId(2), p),
        ],
    };
    assert_eq!(proof.verify(&vs), Ok(()));
    let mut short = proof.clone();
    short.prepares.pop();
    assert!(short.verify(&vs).is_err());
    let mut wrong_primary = proof.clone();
    wrong_primary.pre_prepare = Signed::sign(&vset(&k), &k[2], ReplicaId(2), h);
    assert_eq!(
        wrong_primary.verify(&vs),
        Err(CertificateError::Inconsistent)
    );
    let mut primary_prepares = proof.clone();
    primary_prepares.prepares[0] = Signed::sign(&vset(&k), &k[1], ReplicaId(1), p);
    assert!(primary_prepares.verify(&vs).is_err());
    let mut other_batch = proof;
    other_batch.batch = Batch::null();
    assert_eq!(other_batch.verify(&vs), Err(CertificateError::Inconsistent));
}

#[test]
fn checkpoint_proof_needs_matching_quorum() {
    let k = keys();
    let vs = vset(&k);
    let v = CheckpointVote {
        seq: SeqNo(4),
        digest: Digest([1; 32]),
    };
    let votes: Vec<_> = (0..3)
        .map(|i| Signed::sign(&vset(&k), &k[i], ReplicaId(i as u32), v))
        .collect();
    let proof = CheckpointProof {
        seq: SeqNo(4),
        digest: Digest([1; 32]),
        votes,
    };
    assert_eq!(proof.verify(&vs), Ok(()));
    let mut bad = proof.clone();
    bad.votes[0] = Signed::sign(
        &vset(&k),
        &k[0],
        ReplicaId(0),
        CheckpointVote {
            digest: Digest([2; 32]),
            ..v
        },
    );
    assert_eq!(bad.verify(&vs), Err(CertificateError::Inconsistent));
    assert_eq!(CheckpointProof::genesis().verify(&vs), Ok(()));
}
