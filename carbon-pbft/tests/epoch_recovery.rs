//! Validator-set changes across crashes, partitions, late reports and
//! joins: a replica always ends in the epoch the others are in, and a
//! restart replays the switch where it happened.

mod common;

use carbon_pbft::error::{ConfigError, Misuse};
use carbon_pbft::{Error, Message, PreviousEpoch, Replica, ReplicaId, SeqNo};
use common::{Cluster, agreed_boundary, genesis_set, key, keys, members, request};

#[test]
fn a_change_reported_late_takes_effect_when_the_digest_follows_and_survives_a_restart() {
    // Replica 3's host reports the change and its digest only after the
    // checkpoint became stable through the others' votes; the new epoch
    // (five members, replica 4 not started) needs replica 3 to commit.
    let mut c = Cluster::new(4);
    c.manual.insert(3);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..3);
    for k in 2..8 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    let r3 = &c.replicas[3];
    assert_eq!((r3.last_executed(), r3.low_water_mark()), (b, b));
    assert_eq!(r3.validators().epoch(), 0);
    let at = c.change_seq(3);
    let (now, chain) = (c.now, c.chain[3]);
    let r3 = &mut c.replicas[3];
    assert_eq!(
        r3.handle_validator_set(now, at, keys(&[0, 1, 2, 3, 4])),
        Ok(b)
    );
    r3.handle_state_digest(now, b, chain).unwrap();
    assert_eq!(
        r3.validators().epoch(),
        1,
        "switched once the digest matched"
    );
    c.run();
    assert!(c.fetch[3].is_none(), "its state agrees: nothing to fetch");
    // The switch happened in `handle_state_digest`; a restart replays it.
    assert_eq!(c.rebuild(3).validators().epoch(), 1);
    c.manual.clear();
    c.submit(request(20, 1));
    c.advance(50);
    assert!(c.executed(0) > b, "the new epoch commits with replica 3");
    c.assert_agreement();
}

#[test]
fn a_replica_partitioned_across_a_change_and_later_checkpoints_follows_into_the_new_epoch() {
    // Five replicas; replica 3 is cut off before the change removes 4. The
    // new epoch {0,1,2,3} goes on without it, past two more checkpoints.
    let mut c = Cluster::new(5);
    c.isolated.insert(3);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3]));
    let b = agreed_boundary(&c, 0..3);
    for k in 2..40 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert!(c.replicas[0].low_water_mark().0 >= b.0 + 8);
    assert_eq!(c.replicas[3].validators().epoch(), 0);
    // Healed, it gets the relayed proof of the old epoch's last checkpoint
    // (the only one it can check), fetches that state, enters the new epoch,
    // then catches up with the new epoch's checkpoints.
    c.isolated.clear();
    c.isolated.insert(4);
    for _ in 0..6 {
        c.advance(1_100);
        c.install_state(3, 0);
    }
    assert_eq!(c.replicas[3].validators().epoch(), 1);
    assert_eq!(c.executed(3), c.executed(0));
    // It votes again: with replica 2 cut off, 0, 1 and 3 are the quorum.
    c.isolated.insert(2);
    let before = c.executed(0);
    c.submit(request(40, 1));
    c.advance(50);
    assert!(c.executed(0) > before);
    assert_eq!(c.executed(3), c.executed(0));
    c.assert_agreement();
}

#[test]
fn a_view_change_citing_the_old_epochs_last_checkpoint_is_accepted_after_it_was_passed() {
    // Replica 3 never sees the new epoch's checkpoints become stable, so
    // its VIEW-CHANGE cites the old epoch's last one; replicas 1 and 2,
    // long past it, must still check it against the old set.
    let mut c = Cluster::new(5);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3]));
    let b = agreed_boundary(&c, 0..5);
    c.filter = Some(Box::new(move |_, to, m| {
        to.0 == 3 && matches!(m, Message::Checkpoint(v) if v.body.seq > b)
    }));
    for k in 2..24 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert!(c.replicas[1].low_water_mark() > b);
    assert_eq!(c.replicas[3].low_water_mark(), b);
    // The new epoch's primary (replica 0) fails: 1, 2 and 3 change view.
    c.isolated.insert(0);
    c.isolated.insert(4);
    c.submit(request(30, 1));
    c.advance(2_000);
    // The first view change succeeds: replica 3's VIEW-CHANGE counted.
    for i in 1..4 {
        assert_eq!(c.replicas[i].view(), carbon_pbft::View(1), "replica {i}");
        assert!(c.replicas[i].is_view_active(), "replica {i}");
    }
    assert!(
        c.committed[1]
            .iter()
            .any(|cm| cm.batch.requests.iter().any(|r| r.client.0 == 30))
    );
    c.assert_agreement();
}

#[test]
fn replicas_are_built_from_the_genesis_set_or_joined_with_the_previous_epoch() {
    let next = genesis_set(4).successor(keys(&[0, 1, 2, 3, 4])).unwrap();
    let cfg = common::config();
    let t = carbon_pbft::Time(0);
    let got = Replica::new(cfg.clone(), next.clone(), ReplicaId(4), key(4), t);
    assert!(matches!(
        got,
        Err(Error::Config(ConfigError::LaterEpoch(1)))
    ));
    let got = Replica::recover(cfg.clone(), next.clone(), ReplicaId(4), key(4), t, vec![]);
    assert!(matches!(
        got,
        Err(Error::Config(ConfigError::LaterEpoch(1)))
    ));
    let wrong_epoch = PreviousEpoch {
        end: SeqNo(4),
        set: next.clone(),
    };
    let got = Replica::join(
        cfg.clone(),
        next.clone(),
        ReplicaId(4),
        key(4),
        t,
        wrong_epoch,
    );
    assert!(matches!(
        got,
        Err(Error::Misuse(Misuse::BadValidatorSet(_)))
    ));
    let off_boundary = PreviousEpoch {
        end: SeqNo(3),
        set: genesis_set(4),
    };
    let got = Replica::join(cfg, next, ReplicaId(4), key(4), t, off_boundary);
    assert!(matches!(
        got,
        Err(Error::Misuse(Misuse::BadValidatorSet(_)))
    ));
}

#[test]
fn a_joined_replica_restarts_from_its_join_and_what_it_persisted() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..4);
    let next = genesis_set(4).successor(keys(&[0, 1, 2, 3, 4])).unwrap();
    let previous = PreviousEpoch {
        end: b,
        set: genesis_set(4),
    };
    c.add_replica(next.clone(), 4, previous.clone());
    for k in 2..20 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert!(c.install_state(4, 0));
    let live = &c.replicas[4];
    let back = Replica::join(c.cfg.clone(), next, ReplicaId(4), key(4), c.now, previous)
        .unwrap()
        .restore(c.persisted[4].clone())
        .unwrap();
    assert_eq!(back.last_executed(), live.last_executed());
    assert_eq!(back.validators(), live.validators());
    assert_eq!(back.low_water_mark(), live.low_water_mark());
}

#[test]
fn a_restart_replays_an_old_epoch_view_change_before_the_switch_as_it_happened() {
    // Reviewer's probe E: replica 3 learns of the change late, sends a
    // VIEW-CHANGE in the old epoch, and only then gives the digest that
    // completes the switch. Replay must switch at the same point.
    let mut c = Cluster::new(4);
    c.manual.insert(3);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..3);
    for k in 2..8 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    let at = c.change_seq(3);
    let now = c.now;
    c.replicas[3]
        .handle_validator_set(now, at, keys(&[0, 1, 2, 3, 4]))
        .unwrap();
    // Cut off, its request times out: a VIEW-CHANGE in epoch 0.
    c.isolated.insert(3);
    let later = carbon_pbft::Time(now.0 + 500);
    let _ = c.replicas[3].handle_request(now, request(50, 1));
    c.replicas[3].handle_timeout(later);
    c.run();
    assert!(!c.replicas[3].is_view_active());
    assert_eq!(c.replicas[3].validators().epoch(), 0);
    let chain = c.chain[3];
    c.replicas[3].handle_state_digest(later, b, chain).unwrap();
    c.run();
    let live = &c.replicas[3];
    assert_eq!(live.validators().epoch(), 1);
    let back = c.rebuild(3);
    assert_eq!(back.validators(), live.validators());
    assert_eq!(
        (back.view(), back.is_view_active()),
        (live.view(), live.is_view_active())
    );
}

#[test]
fn a_joined_replica_relays_the_proof_of_the_epoch_change_it_joined_at() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.submit(members(&[0, 1, 2, 3, 4]));
    let b = agreed_boundary(&c, 0..4);
    let next = genesis_set(4).successor(keys(&[0, 1, 2, 3, 4])).unwrap();
    let previous = PreviousEpoch {
        end: b,
        set: genesis_set(4),
    };
    c.add_replica(next, 4, previous);
    for k in 2..20 {
        c.submit(request(k, 1));
    }
    c.advance(50);
    assert!(c.install_state(4, 0));
    c.sent.clear();
    c.advance(1_100);
    assert!(
        c.sent.iter().any(|(from, m)| from.0 == 4
            && matches!(m, Message::StableCheckpoint(p) if p.seq == b)),
        "replica 4 relays the proof of the change it joined at"
    );
}
