//! Messages signed by the set of an epoch a replica does not know (a later
//! one it has not reached, or one before a joined replica's previous
//! epoch) are ignored, not held against the honest peer that sent or
//! relayed them; a bad proof within a known epoch is still an error.

mod common;

use carbon_pbft::error::Ignored;
use carbon_pbft::{Digest, Error, Message, PreviousEpoch, Replica, ReplicaId, SeqNo};
use common::{Cluster, agreed_boundary, genesis_set, key, keys, members, request};

#[test]
fn proofs_and_votes_of_an_epoch_not_reached_yet_are_ignored_not_held_against_the_sender() {
    // Reviewer's findings G and P3: replica 3 is cut off across the change
    // removing 4; the new epoch's proofs and checkpoint votes are honest
    // but signed by a set it does not know.
    let mut c = Cluster::new(5);
    c.isolated.insert(3);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3]));
    let b = agreed_boundary(&c, 0..3);
    for k in 2..24 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    let later = c.replicas[0].stable_checkpoint().clone();
    assert!(later.seq > b);
    let got = c.replicas[3].handle_message(c.now, ReplicaId(0), Message::StableCheckpoint(later));
    assert_eq!(got, Err(Error::Ignored(Ignored::OtherEpoch)));
    let vote = c
        .sent
        .iter()
        .rev()
        .find_map(|(from, m)| match m {
            Message::Checkpoint(v) if from.0 == 0 && v.body.seq > b => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    let got = c.replicas[3].handle_message(c.now, ReplicaId(0), vote);
    assert_eq!(got, Err(Error::Ignored(Ignored::OtherEpoch)));
    assert_eq!(c.replicas[3].stats().dropped.get("bad_signature"), None);
}

#[test]
fn a_bad_proof_of_a_checkpoint_in_the_current_epoch_is_an_error_of_the_proof() {
    let mut c = Cluster::new(4);
    c.auto_digest = false;
    for k in 1..=8 {
        c.submit(request(k, 1));
    }
    let cp = SeqNo(4);
    assert_eq!(
        (c.executed(0), c.replicas[0].low_water_mark()),
        (cp, SeqNo(0))
    );
    // Executed up to 4 with no change reported: 4 is in the current epoch.
    let forged = carbon_pbft::CheckpointProof {
        seq: cp,
        digest: Digest::hash(b"forged", &[]),
        votes: Vec::new(),
    };
    let got = c.replicas[0].handle_message(c.now, ReplicaId(1), Message::StableCheckpoint(forged));
    assert!(matches!(got, Err(Error::Certificate(_))), "{got:?}");
    assert_eq!(c.replicas[0].low_water_mark(), SeqNo(0));
}

#[test]
fn a_joined_replica_ignores_a_relayed_proof_of_an_epoch_before_its_previous_one() {
    // Reviewer's second probe P1: two changes (epochs 0 -> 1 -> 2); a
    // replica joining epoch 2 knows the sets of epochs 1 and 2 only.
    let mut c = Cluster::new(5);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3]));
    for k in 2..8 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    let mut second = members(&[0, 1, 2, 3, 4]);
    second.id = carbon_pbft::RequestId(2);
    c.submit(second);
    for k in 8..16 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    let set1 = genesis_set(5).successor(keys(&[0, 1, 2, 3])).unwrap();
    let set2 = set1.successor(keys(&[0, 1, 2, 3, 4])).unwrap();
    assert_eq!(c.replicas[0].validators(), &set2);
    c.sent.clear();
    c.advance(1_100);
    let relayed: Vec<_> = c
        .sent
        .iter()
        .filter(|(from, _)| from.0 == 0)
        .filter_map(|(_, m)| match m {
            Message::StableCheckpoint(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(relayed.len(), 2, "both transitions are relayed");
    let previous = PreviousEpoch {
        end: relayed[1].seq,
        set: set1,
    };
    let mut joiner =
        Replica::join(c.cfg.clone(), set2, ReplicaId(4), key(4), c.now, previous).unwrap();
    let got = joiner.handle_message(
        c.now,
        ReplicaId(0),
        Message::StableCheckpoint(relayed[0].clone()),
    );
    assert_eq!(got, Err(Error::Ignored(Ignored::OtherEpoch)));
    let got = joiner.handle_message(
        c.now,
        ReplicaId(0),
        Message::StableCheckpoint(relayed[1].clone()),
    );
    assert_eq!(got, Ok(()));
}

#[test]
fn an_altered_epoch_hint_does_not_make_a_genuine_proof_fail() {
    // Reviewer's F2: the hint is not signed; it only classifies failures.
    let mut c = Cluster::new(4);
    for k in 1..=12 {
        c.submit(request(k, 1));
    }
    let mut proof = c.replicas[0].stable_checkpoint().clone();
    assert!(proof.seq > SeqNo(0));
    proof.votes[1].epoch = 5;
    let mut fresh =
        Replica::new(c.cfg.clone(), c.vset.clone(), ReplicaId(3), key(3), c.now).unwrap();
    let seq = proof.seq;
    let got = fresh.handle_message(c.now, ReplicaId(0), Message::StableCheckpoint(proof));
    assert_eq!(got, Ok(()));
    assert_eq!(fresh.low_water_mark(), seq);
}

#[test]
fn a_forwarded_new_view_of_a_later_epoch_is_ignored_not_held_against_the_sender() {
    // Reviewer's F3: replica 3 is cut off across the change; epoch 1 then
    // changes view, and its NEW-VIEW reaches replica 3 (still in epoch 0).
    let mut c = Cluster::new(5);
    c.isolated.insert(3);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3]));
    for k in 2..24 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert_eq!(c.replicas[0].validators().epoch(), 1);
    c.filter = Some(Box::new(|from, _, m| {
        from.0 == 0 && matches!(m, Message::PrePrepare(_))
    }));
    for k in 30..34 {
        c.submit(request(k, 1));
    }
    c.advance(400);
    let (from, nv) = c
        .sent
        .iter()
        .rev()
        .find_map(|(from, m)| match m {
            Message::NewView(nv) if nv.epoch == 1 => Some((*from, m.clone())),
            _ => None,
        })
        .expect("a NEW-VIEW in epoch 1");
    let got = c.replicas[3].handle_message(c.now, from, nv);
    assert_eq!(got, Err(Error::Ignored(Ignored::OtherEpoch)));
    assert_eq!(c.replicas[3].stats().dropped.get("bad_signature"), None);
}
