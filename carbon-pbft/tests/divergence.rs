//! A replica whose application state disagrees with a stable checkpoint
//! (a bug, a corrupted disk, a wrong validator set) never goes on from it:
//! it delivers nothing more, fetches an agreed state at or above what it
//! executed, and remembers all this across a restart.

mod common;

use carbon_pbft::error::Misuse;
use carbon_pbft::{Digest, Error, Message, SeqNo, Time};
use common::{Cluster, agreed_boundary, keys, members, request};

fn wrong() -> Digest {
    Digest::hash(b"diverged", &[])
}

/// Every replica not in `skip` gives the digest it owes, from its chain.
fn give_digests(c: &mut Cluster, skip: &[usize]) {
    for i in (0..c.n()).filter(|i| !skip.contains(i)) {
        if let Some(s) = c.replicas[i].awaiting_state_digest() {
            let (now, chain) = (c.now, c.chain[i]);
            c.replicas[i].handle_state_digest(now, s, chain).unwrap();
        }
    }
    c.run();
}

/// Four replicas, no host giving digests by itself; 16 requests. Replica 3
/// gives a wrong digest at 4 and executes on to 8 (the others have given
/// no digest yet).
fn wrong_digest_at_4() -> Cluster {
    let mut c = Cluster::new(4);
    c.auto_digest = false;
    for k in 1..=16 {
        c.submit(request(k, 1));
    }
    let now = c.now;
    c.replicas[3]
        .handle_state_digest(now, SeqNo(4), wrong())
        .unwrap();
    c.run();
    assert_eq!(c.executed(3), SeqNo(8));
    c
}

#[test]
fn a_digest_that_disagrees_with_a_checkpoint_already_stable_fetches_the_state() {
    let mut c = Cluster::new(4);
    c.manual.insert(3);
    for k in 1..=8 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    let r3 = &c.replicas[3];
    let cp = SeqNo(4);
    assert_eq!(
        (r3.low_water_mark(), r3.awaiting_state_digest()),
        (cp, Some(cp))
    );
    let now = c.now;
    c.replicas[3]
        .handle_state_digest(now, cp, Digest::hash(b"diverged", &[]))
        .unwrap();
    c.run();
    assert_eq!(c.fetch[3].as_ref().map(|f| f.proof.seq), Some(cp));
    // It delivers nothing more on top of the state it doubts.
    assert_eq!(c.executed(3), cp);
    assert!(c.install_state(3, 0));
    c.manual.clear();
    c.submit(request(20, 1));
    c.advance(50);
    assert!(c.executed(3) > cp, "resumed from the fetched state");
    c.assert_agreement();
}

#[test]
fn a_replica_that_diverged_after_executing_past_the_checkpoint_rolls_back_to_it() {
    // Reviewer's probe A. No host gives digests by itself here.
    let mut c = wrong_digest_at_4();
    let (now, cp, next) = (c.now, SeqNo(4), SeqNo(8));
    // The others' digests then make 4 stable.
    c.replicas[3]
        .handle_state_digest(now, next, wrong())
        .unwrap();
    give_digests(&mut c, &[3]);
    assert_eq!(c.replicas[3].low_water_mark(), cp);
    assert_eq!(c.replicas[3].diverged(), Some(cp));
    assert_eq!(c.fetch[3].as_ref().map(|f| f.proof.seq), Some(cp));
    // Diverged, it delivers nothing beyond 8 although batches up to 12
    // commit.
    for k in 17..=24 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    assert_eq!(c.executed(3), next, "paused on top of a diverged state");
    // It installs the state at 4, rolls back to it and delivers 5..=8
    // again from its log, on top of the agreed state.
    let before = c.committed[3].len();
    assert!(c.install_state(3, 0));
    assert_eq!(c.replicas[3].diverged(), None);
    assert_eq!(c.executed(3), next);
    let again: Vec<u64> = c.committed[3][before..].iter().map(|cm| cm.seq.0).collect();
    assert_eq!(again, vec![5, 6, 7, 8]);
    assert_eq!(c.replicas[3].awaiting_state_digest(), Some(next));
    c.auto_digest = true;
    give_digests(&mut c, &[]);
    // It voted at 8 before rolling back: it never signs a second digest
    // there (reviewer's F1), whatever its state digest is now.
    let signed_at_8: std::collections::BTreeSet<_> =
        checkpoint_digests_signed(&c, 3, next).into_iter().collect();
    assert_eq!(signed_at_8.len(), 1);
    c.submit(request(30, 1));
    c.advance(50);
    assert!(c.executed(3) > next);
    assert_eq!(c.executed(3), c.executed(0));
    assert_eq!(
        c.chain[3], c.chain[0],
        "its application state is the agreed one"
    );
    c.assert_agreement();
}

/// Five replicas; replica 3's application misses the change (removing 4)
/// committed at 1, boundary 4, and gives no digest by itself. A burst of
/// requests has every replica commit up to 8 before anyone executes 1.
fn missed_change() -> Cluster {
    let mut c = Cluster::new(5);
    c.manual.insert(3);
    c.auto_digest = false;
    let mut reqs = vec![request(1, 1), members(&[0, 1, 2, 3])];
    reqs.extend((2..16).map(|k| request(k, 1)));
    for r in &reqs {
        for i in 0..5 {
            let _ = c.replicas[i].handle_request(c.now, r.clone());
        }
    }
    c.run();
    c
}

#[test]
fn a_replica_that_diverged_past_an_epoch_boundary_rolls_back_into_the_new_epoch() {
    // Reviewer's second probe P2: replica 3's application misses the
    // change at 1 (boundary 4) and delivers the old epoch's commits above
    // 4; the others enter the new epoch, whose checkpoints replica 3 can
    // only verify once it has the state at 4, which names the new set.
    let mut c = missed_change();
    let b = SeqNo(4);
    let (now, chain) = (c.now, c.chain[3]);
    c.replicas[3].handle_state_digest(now, b, chain).unwrap();
    c.run();
    assert!(c.executed(3) > b, "it went on past the boundary");
    give_digests(&mut c, &[3]);
    give_digests(&mut c, &[]);
    assert_eq!(c.replicas[0].validators().epoch(), 1);
    assert_eq!(c.replicas[3].diverged(), Some(b));
    c.auto_digest = true;
    c.manual.clear();
    for k in 20..60 {
        c.submit(request(k, 1));
        give_digests(&mut c, &[]);
    }
    for _ in 0..10 {
        c.advance(1_100);
        give_digests(&mut c, &[]);
        c.install_state(3, 0);
    }
    assert!(c.executed(0) > SeqNo(20));
    assert_eq!(c.replicas[3].validators(), c.replicas[0].validators());
    assert_eq!(c.executed(3), c.executed(0));
}

#[test]
fn what_a_replica_signed_in_the_old_epoch_before_rolling_back_does_not_keep_it_from_voting_in_the_new_one()
 {
    // Third review, F1-a: replica 3 signs a checkpoint vote at 8 in epoch 0,
    // rolls back to 4 and enters epoch 1, where checkpoint 8 needs its vote
    // (replica 2 only exchanges checkpoint votes).
    let mut c = missed_change();
    let (now, chain) = (c.now, c.chain[3]);
    c.replicas[3]
        .handle_state_digest(now, SeqNo(4), chain)
        .unwrap();
    c.run();
    give_digests(&mut c, &[0, 1, 2, 4]);
    c.filter = Some(Box::new(|from, to, m| {
        (from.0 == 2 || to.0 == 2) && !matches!(m, Message::Checkpoint(_))
    }));
    give_digests(&mut c, &[3]);
    give_digests(&mut c, &[]);
    c.auto_digest = true;
    c.manual.clear();
    assert!(c.install_state(3, 0));
    for _ in 0..5 {
        c.advance(1_100);
        give_digests(&mut c, &[]);
    }
    let votes: std::collections::BTreeSet<(u64, u64)> = c
        .sent
        .iter()
        .filter_map(|(from, m)| match m {
            Message::Checkpoint(v) if from.0 == 3 => Some((v.epoch, v.body.seq.0)),
            _ => None,
        })
        .collect();
    assert!(votes.contains(&(0, 8)), "{votes:?}");
    assert!(votes.contains(&(1, 8)), "{votes:?}");
    assert!(c.replicas[0].low_water_mark() >= SeqNo(8));
}

#[test]
fn a_restart_between_a_stable_checkpoint_and_its_digest_still_checks_the_digest() {
    // Reviewer's probe B: the checkpoint at 4 became stable through the
    // others while replica 3's host had not given its digest yet.
    let mut c = Cluster::new(4);
    c.manual.insert(3);
    for k in 1..=8 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    let cp = SeqNo(4);
    assert_eq!(c.replicas[3].low_water_mark(), cp);
    let mut back = c.rebuild(3);
    assert_eq!(back.awaiting_state_digest(), Some(cp));
    back.handle_state_digest(c.now, cp, wrong()).unwrap();
    assert_eq!(back.fetching_state(), Some(cp));
    assert_eq!(back.ready().fetch_state.map(|f| f.proof.seq), Some(cp));
}

#[test]
fn a_divergence_found_before_a_restart_is_found_again_after_it() {
    // Reviewer's probe C.
    let mut c = Cluster::new(4);
    c.manual.insert(3);
    for k in 1..=8 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    let cp = SeqNo(4);
    let now = c.now;
    c.replicas[3].handle_state_digest(now, cp, wrong()).unwrap();
    c.run();
    assert_eq!(c.replicas[3].fetching_state(), Some(cp));
    let mut back = c.rebuild(3);
    assert_eq!(back.fetching_state(), Some(cp));
    assert_eq!(back.awaiting_state_digest(), None);
    assert_eq!(back.ready().fetch_state.map(|f| f.proof.seq), Some(cp));
    // Once the state is installed there is nothing left to find.
    assert!(c.install_state(3, 0));
    assert_eq!(c.rebuild(3).fetching_state(), None);
}

#[test]
fn a_replica_whose_application_committed_a_wrong_set_takes_the_agreed_one_from_the_state() {
    // Reviewer's probe D: replica 3's application commits {0,1,2,3,5}
    // where the others commit {0,1,2,3,4}.
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
    let (now, chain) = (c.now, c.chain[3]);
    let r3 = &mut c.replicas[3];
    assert_eq!(
        r3.handle_validator_set(now, at, keys(&[0, 1, 2, 3, 5])),
        Ok(b)
    );
    r3.handle_state_digest(now, b, chain).unwrap();
    assert_eq!(
        r3.validators().epoch(),
        0,
        "no switch to a set its state got wrong"
    );
    c.run();
    assert_eq!(c.fetch[3].as_ref().map(|f| f.proof.seq), Some(b));
    assert!(c.install_state(3, 0));
    assert_eq!(c.replicas[3].validators(), c.replicas[0].validators());
    assert_eq!(c.rebuild(3).validators(), c.replicas[0].validators());
}

/// Replica 3 gives a wrong digest at 4, executes on and gives the right
/// one at 8; the others make 4 and then 8 stable (replica 3 misses the
/// commits above 10). The matching checkpoint at 8 ends its divergence.
fn divergence_ended_by_a_later_checkpoint() -> Cluster {
    let mut cfg = common::config();
    cfg.watermark_window = 12;
    let mut c = Cluster::with_config(4, cfg);
    c.auto_digest = false;
    c.filter = Some(Box::new(|_, to, m| {
        to.0 == 3 && matches!(m, Message::Commit(v) if v.body.seq.0 > 10)
    }));
    for k in 1..=24 {
        for i in 0..4 {
            let _ = c.replicas[i].handle_request(c.now, request(k, 1));
        }
    }
    c.run();
    let now = c.now;
    c.replicas[3]
        .handle_state_digest(now, SeqNo(4), wrong())
        .unwrap();
    c.run();
    let chain8 = chain_at(&c, 3, 8);
    c.replicas[3]
        .handle_state_digest(now, SeqNo(8), chain8)
        .unwrap();
    c.run();
    for s in [4, 8] {
        for i in 0..3 {
            let d = chain_at(&c, i, s);
            c.replicas[i]
                .handle_state_digest(now, SeqNo(s as u64), d)
                .unwrap();
        }
        c.run();
    }
    let live = &c.replicas[3];
    assert_eq!(
        (live.low_water_mark(), live.last_executed()),
        (SeqNo(8), SeqNo(10))
    );
    assert_eq!(live.diverged(), None, "its state matched at 8");
    c
}

#[test]
fn a_restored_replica_agrees_with_the_live_one_on_a_divergence_a_later_checkpoint_ended() {
    // Reviewer's second probe P4.
    let c = divergence_ended_by_a_later_checkpoint();
    let back = c.rebuild(3);
    let live = &c.replicas[3];
    assert_eq!(back.diverged(), live.diverged());
    assert_eq!(back.last_executed(), live.last_executed());
}

#[test]
fn a_divergence_ended_by_a_matching_later_checkpoint_ends_the_transfer_it_started() {
    // Fourth review, finding 1: the fetch of 4 outlived the divergence. Its
    // host might never get the state at 4 (peers keep only their latest
    // stable checkpoint and the epoch boundaries), and while it was
    // "fetching" its request timer suspected no primary.
    let mut c = divergence_ended_by_a_later_checkpoint();
    assert_eq!(c.rebuild(3).fetching_state(), None);
    assert_eq!(
        c.replicas[3].fetching_state(),
        None,
        "a transfer it no longer needs"
    );
    // A host still holding the snapshot at 4 is told no transfer is pending.
    let snap = c
        .snapshot(0, SeqNo(4))
        .expect("replica 0 keeps the state at 4");
    let now = c.now;
    assert_eq!(
        c.replicas[3].handle_state_installed(now, snap),
        Err(Error::Misuse(Misuse::NoTransferPending))
    );
    // Its request timer suspects a primary again, as replica 2's does.
    c.filter = None;
    c.isolated.insert(0);
    let _ = c.replicas[3].handle_request(c.now, request(90, 1));
    let _ = c.replicas[2].handle_request(c.now, request(91, 1));
    let t = Time(c.now.0 + 150);
    c.replicas[2].handle_timeout(t);
    c.replicas[3].handle_timeout(t);
    assert_eq!(c.replicas[2].stats().view_changes, 1);
    assert_eq!(c.replicas[3].stats().view_changes, 1);
}

#[test]
fn a_replica_that_knows_its_state_diverged_signs_no_checkpoint_vote_on_top_of_it() {
    // Fourth review, finding 2: a digest given after the replica learned it
    // diverged comes from the corrupted state; signing it would use up its
    // one vote at that checkpoint (never a second digest after a rollback).
    let mut c = wrong_digest_at_4();
    let (now, cp, next) = (c.now, SeqNo(4), SeqNo(8));
    give_digests(&mut c, &[3]);
    assert_eq!(c.replicas[3].diverged(), Some(cp));
    let still_wrong = Digest::hash(b"diverged at 8", &[]);
    c.replicas[3]
        .handle_state_digest(now, next, still_wrong)
        .unwrap();
    c.run();
    // After the rollback it redoes 5..=8 and votes the agreed digest at 8.
    assert!(c.install_state(3, 0));
    c.auto_digest = true;
    give_digests(&mut c, &[]);
    let agreed = c
        .snapshot(0, next)
        .map(|s| carbon_pbft::checkpoint::checkpoint_digest(&s))
        .expect("replica 0 holds the stable state at 8");
    let signed = checkpoint_digests_signed(&c, 3, next);
    assert!(
        signed.iter().all(|d| *d == agreed),
        "replica 3 signed its diverged digest at 8"
    );
    assert!(signed.contains(&agreed));
}

/// The digests replica `from` signed CHECKPOINT votes for at `seq`, in
/// the order it sent them.
fn checkpoint_digests_signed(c: &Cluster, from: u32, seq: SeqNo) -> Vec<Digest> {
    c.sent
        .iter()
        .filter_map(|(f, m)| match m {
            Message::Checkpoint(v) if f.0 == from && v.body.seq == seq => Some(v.body.digest),
            _ => None,
        })
        .collect()
}

/// Replica `i`'s application digest after its first `n` delivered batches.
fn chain_at(c: &Cluster, i: usize, n: usize) -> Digest {
    c.committed[i]
        .iter()
        .take(n)
        .fold(Digest::default(), |d, cm| {
            Digest::hash(b"test-app", &[&d.0, &cm.batch.digest().0])
        })
}

#[test]
fn a_state_older_than_what_was_executed_is_refused_and_changes_nothing() {
    // Replica 3 misses the commits of 7: it executes up to 6, then learns
    // of the stable checkpoint at 8 and fetches it.
    let mut c = Cluster::new(4);
    c.filter = Some(Box::new(|_, to, m| {
        to.0 == 3 && matches!(m, Message::Commit(v) if v.body.seq.0 == 7)
    }));
    for k in 1..=16 {
        c.submit(request(k, 1));
    }
    let executed = c.executed(3);
    assert_eq!(executed, SeqNo(6));
    assert_eq!(c.fetch[3].as_ref().map(|f| f.proof.seq), Some(SeqNo(8)));
    // Its host installs the state at 4 by mistake.
    let old = c.snapshot(0, SeqNo(4)).unwrap();
    let got = c.replicas[3].handle_state_installed(c.now, old);
    assert_eq!(
        got,
        Err(Error::Misuse(Misuse::StaleState {
            snapshot: SeqNo(4),
            executed
        }))
    );
    assert_eq!(c.executed(3), executed, "nothing changed");
    assert_eq!(c.replicas[3].fetching_state(), Some(SeqNo(8)));
    assert!(c.install_state(3, 0));
    assert_eq!(c.executed(3), c.executed(0));
}

#[test]
fn a_diverged_replica_waiting_for_its_state_does_not_start_a_view_change() {
    // Reviewer's F5: the host takes longer than the request timeout.
    let mut c = Cluster::new(4);
    c.auto_digest = false;
    for k in 1..=16 {
        c.submit(request(k, 1));
    }
    let (now, cp) = (c.now, SeqNo(4));
    c.replicas[3].handle_state_digest(now, cp, wrong()).unwrap();
    c.run();
    give_digests(&mut c, &[3]);
    assert_eq!(c.replicas[3].diverged(), Some(cp));
    c.auto_digest = true;
    give_digests(&mut c, &[3]);
    for k in 17..=24 {
        c.submit(request(k, 1));
    }
    c.advance(1_000);
    let r3 = &c.replicas[3];
    assert_eq!(
        (r3.view(), r3.is_view_active()),
        (c.replicas[0].view(), true)
    );
    assert_eq!(r3.stats().view_changes, 0);
}
