//! A replica whose application state disagrees with a stable checkpoint
//! (a bug, a corrupted disk, a wrong validator set) never goes on from it:
//! it delivers nothing more, fetches an agreed state at or above what it
//! executed, and remembers all this across a restart.

mod common;

use carbon_pbft::error::Misuse;
use carbon_pbft::{Digest, Error, SeqNo};
use common::{Cluster, agreed_boundary, keys, members, request};

fn wrong() -> Digest {
    Digest::hash(b"diverged", &[])
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
fn a_replica_that_diverged_and_executed_past_the_checkpoint_stays_paused_until_the_next_one() {
    // Reviewer's probe A. No host gives digests by itself here.
    let mut c = Cluster::new(4);
    c.auto_digest = false;
    for k in 1..=16 {
        c.submit(request(k, 1));
    }
    let (now, cp, next) = (c.now, SeqNo(4), SeqNo(8));
    // Replica 3 gives a wrong digest at 4 and executes on to 8; the others'
    // digests then make 4 stable.
    c.replicas[3].handle_state_digest(now, cp, wrong()).unwrap();
    c.run();
    for i in 0..3 {
        let chain = c.chain[i];
        c.replicas[i].handle_state_digest(now, cp, chain).unwrap();
    }
    c.run();
    assert_eq!(c.replicas[3].low_water_mark(), cp);
    assert_eq!(c.executed(3), next);
    // The state at 4 is older than what it executed: no use fetching it.
    assert!(c.fetch[3].is_none());
    // It gives its (wrong) digest at 8 and, unlike the others, delivers
    // nothing beyond it although batches up to 12 commit.
    c.replicas[3]
        .handle_state_digest(now, next, wrong())
        .unwrap();
    for k in 17..=24 {
        c.submit(request(k, 1));
    }
    c.advance(20);
    assert_eq!(c.executed(3), next, "paused on top of a diverged state");
    // A stale state offered now changes nothing.
    let stale = c.snapshot(0, cp).unwrap();
    let got = c.replicas[3].handle_state_installed(c.now, stale);
    assert_eq!(got, Err(Error::Misuse(Misuse::NoTransferPending)));
    assert_eq!(c.executed(3), next);
    // The checkpoint at 8 becomes stable: replica 3 fetches it and resumes.
    for i in 0..3 {
        let chain = c.chain[i];
        c.replicas[i]
            .handle_state_digest(c.now, next, chain)
            .unwrap();
    }
    c.run();
    assert_eq!(c.fetch[3].as_ref().map(|f| f.proof.seq), Some(next));
    assert!(c.install_state(3, 0));
    c.auto_digest = true;
    for i in 0..4 {
        if let Some(s) = c.replicas[i].awaiting_state_digest() {
            let chain = c.chain[i];
            c.replicas[i].handle_state_digest(c.now, s, chain).unwrap();
        }
    }
    c.submit(request(30, 1));
    c.advance(50);
    assert!(c.executed(3) > next);
    assert_eq!(c.executed(3), c.executed(0));
    c.assert_agreement();
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
