//! Validator-set changes: committed by the application, in force after the
//! next checkpoint boundary, identically everywhere; votes of one epoch
//! never count in another; added replicas catch up, removed ones stop.

mod common;

use carbon_pbft::error::Misuse;
use carbon_pbft::{
    Error, Message, Observer, Persist, PreviousEpoch, Replica, ReplicaId, SeqNo, Time, ValidatorSet,
};
use common::{Cluster, agreed_boundary, genesis_set, key, keys, members, request};

#[test]
fn an_added_validator_takes_effect_after_the_next_checkpoint_and_catches_up() {
    // K = 4, L = 8, batches of 2.
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..4);
    assert_eq!(b.0 % 4, 0);
    let next = genesis_set(4).successor(keys(&[0, 1, 2, 3, 4])).unwrap();
    c.add_replica(
        next.clone(),
        4,
        PreviousEpoch {
            end: b,
            set: genesis_set(4),
        },
    );
    for k in 2..30 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    for i in 0..4 {
        assert_eq!(c.replicas[i].validators(), &next, "replica {i}");
        assert!(c.executed(i) > b);
    }
    // Certificates up to the boundary are the old epoch's, after it the
    // new one's; neither verifies under the other set.
    let old = genesis_set(4);
    for cm in &c.committed[0] {
        let (good, bad) = if cm.seq <= b {
            (&old, &next)
        } else {
            (&next, &old)
        };
        assert!(
            cm.certificate.verify_batch(&cm.batch, good).is_ok(),
            "{}",
            cm.seq
        );
        assert!(
            cm.certificate.verify_batch(&cm.batch, bad).is_err(),
            "{}",
            cm.seq
        );
    }
    // The new replica learns of a stable checkpoint of its epoch, fetches
    // it, and from then on votes: with replica 3 cut off, 0, 1, 2 and 4
    // are the quorum of five.
    assert!(c.install_state(4, 0), "replica 4 asked for state");
    assert!(c.executed(4) > b);
    c.isolated.insert(3);
    let before = c.executed(0);
    for k in 40..44 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert!(c.executed(0) > before, "the new quorum commits");
    assert_eq!(c.executed(4), c.executed(0));
    c.assert_agreement();
}

#[test]
fn a_removed_validator_stops_voting_and_the_others_go_on() {
    let mut c = Cluster::new(5);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3]));
    let b = agreed_boundary(&c, 0..5);
    for k in 2..10 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert!(!c.replicas[4].is_member());
    assert!(c.replicas[0].is_member());
    assert_eq!(c.replicas[0].validators().len(), 4);
    // Replica 4 signed nothing for the new epoch.
    let late_votes = c.sent.iter().filter(|(from, m)| {
        from.0 == 4 && matches!(m, Message::Prepare(v) | Message::Commit(v) if v.body.seq > b)
    });
    assert_eq!(late_votes.count(), 0);
    // Four replicas, quorum three: one more can fail.
    c.isolated.insert(4);
    c.isolated.insert(3);
    let before = c.executed(0);
    for k in 40..44 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert!(c.executed(0) > before);
    c.assert_agreement();
}

#[test]
fn nothing_beyond_the_boundary_is_ordered_before_the_switch() {
    let mut c = Cluster::new(4);
    c.auto_digest = false; // the hosts hold back their checkpoint digests
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..4);
    for k in 2..20 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    for i in 0..4 {
        assert!(c.executed(i) <= b, "replica {i} delivered past {b}");
        assert_eq!(c.replicas[i].validators().epoch(), 0);
        assert_eq!(c.replicas[i].pending_validators().map(|(s, _)| s), Some(b));
    }
    let beyond = c.sent.iter().any(|(_, m)| {
        matches!(m, Message::PrePrepare(p) if p.header.body.seq > b)
            || matches!(m, Message::Prepare(v) | Message::Commit(v) if v.body.seq > b)
    });
    assert!(!beyond, "a vote beyond the boundary left before the switch");
}

#[test]
fn refused_changes_are_named_and_change_nothing() {
    let mut c = Cluster::new(4);
    for k in 1..=3 {
        c.submit(request(k, 1));
    }
    let r = &mut c.replicas[1];
    let done = r.last_executed();
    let bad =
        |e: &Result<SeqNo, Error>| matches!(e, Err(Error::Misuse(Misuse::BadValidatorSet(_))));
    assert!(bad(&r.handle_validator_set(
        Time(0),
        SeqNo(done.0 + 1),
        keys(&[0, 1, 2])
    )));
    assert!(
        bad(&r.handle_validator_set(Time(0), done, keys(&[0, 1, 2, 3]))),
        "unchanged"
    );
    assert!(matches!(
        r.handle_validator_set(Time(0), done, vec![]),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        r.handle_validator_set(Time(0), done, keys(&[0, 1, 1])),
        Err(Error::Config(_))
    ));
    assert!(r.pending_validators().is_none());
    assert!(
        r.handle_validator_set(Time(0), done, keys(&[0, 1, 2]))
            .is_ok()
    );
    assert!(
        bad(&r.handle_validator_set(Time(0), done, keys(&[0, 1]))),
        "one at a time"
    );
    assert_eq!(r.pending_validators().map(|(_, s)| s.len()), Some(3));
}

#[test]
fn a_change_reported_after_its_checkpoint_digest_is_refused() {
    let mut c = Cluster::new(4);
    for k in 1..=10 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    assert!(c.executed(0) >= SeqNo(4), "executed {}", c.executed(0));
    // The checkpoint at 4 has its digest: a change committed at 3 would
    // have had to take effect there.
    let r = &mut c.replicas[0];
    assert!(matches!(
        r.handle_validator_set(Time(0), SeqNo(3), keys(&[0, 1, 2])),
        Err(Error::Misuse(Misuse::BadValidatorSet(_)))
    ));
}

#[test]
fn a_restarted_replica_recovers_its_epoch_and_its_pending_change() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    for k in 2..10 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    let recovered = Replica::recover(
        c.cfg.clone(),
        genesis_set(4),
        ReplicaId(2),
        key(2),
        c.now,
        c.persisted[2].clone(),
    )
    .unwrap();
    assert_eq!(recovered.validators(), c.replicas[2].validators());
    assert_eq!(recovered.validators().epoch(), 1);
    // Pending only: the change was persisted but its boundary not reached.
    let mut c = Cluster::new(4);
    c.auto_digest = false;
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2]));
    let persisted: Vec<Persist> = c.persisted[1].clone();
    let r = Replica::recover(
        c.cfg.clone(),
        genesis_set(4),
        ReplicaId(1),
        key(1),
        c.now,
        persisted,
    )
    .unwrap();
    assert_eq!(r.pending_validators().map(|(_, s)| s.len()), Some(3));
    assert_eq!(r.validators().epoch(), 0);
}

/// A cluster that added replica 4 and went on past the change (its
/// boundary, and the new set), for an observer to follow.
fn changed_under_an_observer() -> (Cluster, SeqNo, ValidatorSet) {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..4);
    for k in 2..12 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    let next = c.replicas[0].validators().clone();
    (c, b, next)
}

#[test]
fn an_observer_follows_a_scheduled_change() {
    let (c, b, next) = changed_under_an_observer();
    let mut obs = Observer::new(genesis_set(4), SeqNo(0), 64);
    // Everything arrives before the observer's application reached the
    // change: batches above the boundary fail against the old set, are
    // kept, and are delivered once the change is scheduled.
    for m in c.to_observers.clone() {
        let _ = obs.handle_message(ReplicaId(0), m);
    }
    let mut delivered = Vec::new();
    while let Some(cb) = obs.poll_committed() {
        delivered.push(cb.seq);
    }
    assert_eq!(delivered.last(), Some(&b));
    obs.schedule_validator_set(b, next.clone()).unwrap();
    while let Some(cb) = obs.poll_committed() {
        delivered.push(cb.seq);
    }
    assert_eq!(delivered.last(), Some(&c.executed(0)));
    assert_eq!(obs.validators(), &next);
}

#[test]
fn an_observer_keeps_one_unverified_batch_per_sender_and_one_change_at_a_time() {
    let (c, b, next) = changed_under_an_observer();
    let mut obs = Observer::new(genesis_set(4), SeqNo(0), 64);
    let beyond = b.next().unwrap();
    let mut genuine = None;
    for m in c.to_observers.clone() {
        match &m {
            Message::Committed(cb) if cb.seq == beyond => genuine = Some(m.clone()),
            _ => {
                let _ = obs.handle_message(ReplicaId(2), m);
            }
        }
    }
    // A faulty member floods the first batch above the boundary with
    // variants that cannot verify yet; the genuine one still gets kept.
    let Some(Message::Committed(real)) = genuine.clone() else {
        panic!("no batch above the boundary reached the observers");
    };
    for k in 0..16u8 {
        let mut fake = real.clone();
        let mut requests = real.batch.requests.to_vec();
        requests[0].payload.push(k);
        fake.batch = carbon_pbft::Batch::new(requests);
        let _ = obs.handle_message(ReplicaId(1), Message::Committed(fake));
    }
    assert!(obs.handle_message(ReplicaId(2), genuine.unwrap()).is_err());
    while obs.poll_committed().is_some() {}
    assert_eq!(obs.next_seq(), beyond);
    obs.schedule_validator_set(b, next.clone()).unwrap();
    assert!(
        obs.schedule_validator_set(b, next.clone()).is_err(),
        "a second change while one is pending"
    );
    let first = obs.poll_committed().expect("the genuine batch verifies");
    assert_eq!(first, real);
    assert_eq!(obs.validators(), &next);
}
