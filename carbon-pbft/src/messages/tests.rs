//! Unit tests of `messages`.
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
