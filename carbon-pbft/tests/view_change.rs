//! View change (PBFT §4.4) and state transfer (§5.3) through the public API.

mod common;

use carbon_pbft::error::{Misuse, PeerMisbehaved};
use carbon_pbft::messages::{NewView, OrderVote, Phase, Signed, ViewChange};
use carbon_pbft::{
    Batch, CheckpointProof, Error, Message, Persist, Replica, ReplicaId, SeqNo, Time, View,
};
use common::{Cluster, config, key, request, set4};

#[test]
fn silent_primary_is_replaced_and_the_new_primary_commits() {
    let mut c = Cluster::new(4);
    c.isolated.insert(0);
    c.submit(request(1, 1));
    c.advance(150);
    for i in 1..4 {
        assert_eq!(c.replicas[i].view(), View(1), "r{i}");
        assert!(c.replicas[i].is_view_active());
    }
    c.advance(20);
    for i in 1..4 {
        assert_eq!(c.executed(i), SeqNo(1), "r{i} committed in view 1");
    }
    c.assert_agreement();
}

#[test]
fn prepared_batch_keeps_its_sequence_number_across_the_view_change() {
    let mut c = Cluster::new(4);
    // Everyone prepares but no COMMIT gets through in view 0.
    c.filter = Some(Box::new(
        |_, _, m| matches!(m, Message::Commit(v) if v.body.view == View(0)),
    ));
    c.submit(request(1, 1));
    c.submit(request(2, 1));
    assert_eq!(c.executed(1), SeqNo(0));
    c.advance(150);
    for i in 0..4 {
        assert_eq!(c.executed(i), SeqNo(1), "r{i}");
        let b = &c.committed[i][0];
        assert_eq!(b.certificate.view, View(1));
        let ids: Vec<_> = b.batch.requests.iter().map(|r| r.client.0).collect();
        assert_eq!(
            ids,
            vec![1, 2],
            "the batch prepared in view 0 is re-proposed at s1"
        );
    }
}

#[test]
fn timeouts_double_on_consecutive_failed_view_changes() {
    // n = 10, f = 3: with 0, 1 and 2 cut off, views 1 and 2 have no primary.
    let mut c = Cluster::new(10);
    for i in 0..3 {
        c.isolated.insert(i);
    }
    c.submit(request(1, 1));
    c.advance(100); // T: the request timer fires, view change to 1
    assert_eq!(c.replicas[5].view(), View(1));
    c.advance(100); // T again: no NEW-VIEW for 1, move to 2 with 2T
    assert_eq!(c.replicas[5].view(), View(2));
    c.advance(150); // 2T has not passed yet
    assert_eq!(c.replicas[5].view(), View(2));
    c.advance(60); // now it has: view 3, whose primary (3) is up
    assert_eq!(c.replicas[5].view(), View(3));
    assert!(c.replicas[5].is_view_active());
    c.advance(20);
    assert_eq!(c.executed(5), SeqNo(1));
}

fn view_change_from(signer: u32, view: u64) -> Message {
    let vc = ViewChange {
        new_view: View(view),
        checkpoint: CheckpointProof::genesis(),
        prepared: vec![],
    };
    Message::ViewChange(Signed::sign(&set4(), &key(signer), ReplicaId(signer), vc))
}

#[test]
fn a_lone_peer_cannot_drag_the_view_forward() {
    let mut c = Cluster::new(4);
    c.replicas[1]
        .handle_message(Time(0), ReplicaId(3), view_change_from(3, 1_000_000))
        .unwrap();
    assert_eq!(c.replicas[1].view(), View(0));
    assert!(c.replicas[1].is_view_active());
    // f + 1 = 2 replicas asking for views above ours: join the smallest.
    c.replicas[1]
        .handle_message(Time(0), ReplicaId(2), view_change_from(2, 7))
        .unwrap();
    assert_eq!(c.replicas[1].view(), View(7));
    assert!(!c.replicas[1].is_view_active());
}

#[test]
fn huge_view_numbers_do_not_overflow() {
    let mut c = Cluster::new(4);
    for s in [2, 3] {
        c.replicas[1]
            .handle_message(Time(0), ReplicaId(s), view_change_from(s, u64::MAX))
            .unwrap();
    }
    assert_eq!(c.replicas[1].view(), View(u64::MAX));
    c.advance(10_000); // timers fire; view u64::MAX + 1 does not exist
    assert_eq!(c.replicas[1].view(), View(u64::MAX));
}

fn new_view_after_primary_failure() -> (Cluster, Signed<NewView>) {
    let mut c = Cluster::new(4);
    c.filter = Some(Box::new(
        |_, _, m| matches!(m, Message::Commit(v) if v.body.view == View(0)),
    ));
    c.submit(request(1, 1));
    c.submit(request(2, 1));
    c.isolated.insert(0);
    c.advance(150);
    let nv = c
        .sent
        .iter()
        .find_map(|(_, m)| {
            if let Message::NewView(nv) = m {
                Some(nv.clone())
            } else {
                None
            }
        })
        .expect("a NEW-VIEW was sent");
    (c, nv)
}

fn fresh_replica(i: u32) -> Replica {
    let c = Cluster::new(4);
    Replica::new(config(), c.vset.clone(), ReplicaId(i), key(i), Time(0)).unwrap()
}

#[test]
fn new_view_is_accepted_after_recomputing_its_proposals() {
    let (_, nv) = new_view_after_primary_failure();
    assert_eq!(nv.body.proposals.len(), 1);
    let mut r = fresh_replica(3);
    r.handle_message(Time(0), ReplicaId(1), Message::NewView(nv))
        .unwrap();
    assert_eq!(r.view(), View(1));
    assert!(r.is_view_active());
}

#[test]
fn new_view_with_altered_proposals_is_rejected() {
    let (_, nv) = new_view_after_primary_failure();
    // The new primary drops the prepared batch and proposes a null batch.
    let mut body = nv.body.clone();
    let null = OrderVote {
        phase: Phase::PrePrepare,
        view: View(1),
        seq: SeqNo(1),
        digest: Batch::null().digest(),
    };
    body.proposals = vec![Signed::sign(&set4(), &key(1), ReplicaId(1), null)];
    let forged = Signed::sign(&set4(), &key(1), ReplicaId(1), body);
    let mut r = fresh_replica(3);
    let e = r
        .handle_message(Time(0), ReplicaId(1), Message::NewView(forged))
        .unwrap_err();
    assert_eq!(e, Error::PeerMisbehaved(PeerMisbehaved::NewViewMismatch));
    assert_eq!(r.view(), View(0), "a rejected NEW-VIEW changes nothing");
}

#[test]
fn new_view_without_a_quorum_of_view_changes_is_rejected() {
    let (_, nv) = new_view_after_primary_failure();
    let mut body = nv.body.clone();
    body.view_changes.pop();
    let forged = Signed::sign(&set4(), &key(1), ReplicaId(1), body);
    let mut r = fresh_replica(3);
    let e = r
        .handle_message(Time(0), ReplicaId(1), Message::NewView(forged))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::PeerMisbehaved(PeerMisbehaved::InvalidViewChange(_))
    ));
}

#[test]
fn new_view_from_a_non_primary_is_rejected() {
    let (_, nv) = new_view_after_primary_failure();
    let forged = Signed::sign(&set4(), &key(2), ReplicaId(2), nv.body.clone());
    let mut r = fresh_replica(3);
    let e = r
        .handle_message(Time(0), ReplicaId(2), Message::NewView(forged))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::PeerMisbehaved(PeerMisbehaved::NotPrimary { .. })
    ));
}

#[test]
fn restarted_replica_rejoins_the_current_view() {
    let (mut c, _) = new_view_after_primary_failure();
    c.filter = None;
    let persisted = c.persisted[2].clone();
    c.replicas[2] = Replica::recover(
        config(),
        c.vset.clone(),
        ReplicaId(2),
        key(2),
        c.now,
        persisted,
    )
    .unwrap();
    assert_eq!(c.replicas[2].view(), View(1));
    assert!(c.replicas[2].is_view_active());
    c.submit(request(3, 1));
    c.submit(request(4, 1));
    assert_eq!(c.executed(2), SeqNo(2));
}

#[test]
fn lagging_replica_fetches_state_and_votes_again() {
    let mut c = Cluster::new(4);
    c.isolated.insert(3);
    for k in 0..16 {
        c.submit(request(k, 1));
    }
    assert_eq!(c.executed(0), SeqNo(8));
    assert_eq!(c.executed(3), SeqNo(0));
    c.isolated.clear();
    c.advance(1000); // retransmitted checkpoint votes reach replica 3
    let fetch = c.fetch[3].take().expect("replica 3 asks for state");
    assert_eq!(fetch.proof.seq, SeqNo(8));
    fetch.proof.verify(&c.vset).unwrap();
    // A snapshot that does not match the proof is refused.
    let snap = c.persisted[0]
        .iter()
        .find_map(|p| match p {
            Persist::Checkpoint { snapshot, .. } if snapshot.seq == SeqNo(8) => {
                Some(snapshot.clone())
            }
            _ => None,
        })
        .unwrap();
    let mut wrong = snap.clone();
    wrong.app_digest.0[0] ^= 1;
    assert_eq!(
        c.replicas[3].handle_state_installed(c.now, wrong),
        Err(Error::Misuse(Misuse::StateMismatch))
    );
    c.replicas[3].handle_state_installed(c.now, snap).unwrap();
    c.chain[3] = c.chain[0];
    assert_eq!(c.executed(3), SeqNo(8));
    // It takes part again: with replica 0 cut off, 1, 2 and 3 form the quorum.
    c.isolated.insert(0);
    c.advance(300);
    for k in 100..102 {
        c.submit(request(k, 1));
    }
    c.advance(300);
    assert!(c.executed(3) > SeqNo(8), "replica 3 executes new batches");
    c.assert_agreement();
}

#[test]
fn state_installed_without_a_pending_transfer_is_misuse() {
    let mut r = fresh_replica(1);
    let snap = carbon_pbft::StateSnapshot {
        seq: SeqNo(4),
        app_digest: Default::default(),
        clients: vec![],
        validators: set4(),
    };
    assert_eq!(
        r.handle_state_installed(Time(0), snap),
        Err(Error::Misuse(Misuse::NoTransferPending))
    );
}
