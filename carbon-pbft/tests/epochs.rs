//! Validator-set changes: committed by the application, in force after the
//! next checkpoint boundary, identically everywhere; votes of one epoch
//! never count in another; added replicas catch up, removed ones stop.

mod common;

use carbon_pbft::error::Misuse;
use carbon_pbft::{
    Error, Message, Observer, Persist, Replica, ReplicaId, Request, SeqNo, Time, ValidatorSet,
};
use common::{Cluster, genesis_set, key, request};

fn members(ids: &[u32]) -> Request {
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    Request {
        client: carbon_pbft::ClientId(99),
        id: carbon_pbft::RequestId(1),
        payload: format!("members:{}", list.join(",")).into_bytes(),
    }
}

fn keys(ids: &[u32]) -> Vec<ed25519_dalek::VerifyingKey> {
    ids.iter().map(|i| key(*i).verifying_key()).collect()
}

/// The (single) change every replica of `c` reported, and its boundary.
fn agreed_boundary(c: &Cluster, replicas: std::ops::Range<usize>) -> SeqNo {
    let mut seen = Vec::new();
    for i in replicas {
        assert_eq!(
            c.set_changes[i].len(),
            1,
            "replica {i}: {:?}",
            c.set_changes[i]
        );
        seen.push(c.set_changes[i][0].clone().expect("change accepted"));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    seen[0]
}

#[test]
fn an_added_validator_takes_effect_after_the_next_checkpoint_and_catches_up() {
    // K = 4, L = 8, batches of 2.
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..4);
    assert_eq!(b.0 % 4, 0);
    let next = genesis_set(4).successor(keys(&[0, 1, 2, 3, 4])).unwrap();
    c.add_replica(next.clone(), 4);
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

#[test]
fn an_observer_follows_a_scheduled_change() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..4);
    for k in 2..12 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    let next: ValidatorSet = c.replicas[0].validators().clone();
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
    obs.schedule_validator_set(b, next.clone());
    while let Some(cb) = obs.poll_committed() {
        delivered.push(cb.seq);
    }
    assert_eq!(delivered.last(), Some(&c.executed(0)));
    assert_eq!(obs.validators(), &next);
}
