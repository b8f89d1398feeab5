//! Normal case (PBFT §4.2), authentication, checkpoints (§4.3), observers,
//! persist-before-send and recovery, through the public API.

mod common;

use carbon_pbft::error::{Ignored, PeerMisbehaved};
use carbon_pbft::messages::{OrderVote, Phase, PrePrepare, Signed};
use carbon_pbft::{Batch, Error, Message, Observer, Replica, ReplicaId, SeqNo, Time, View};
use common::{Cluster, key, request, set4};

#[test]
fn commits_a_request_at_every_replica_with_a_valid_certificate() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.advance(20); // batch delay cuts the partial batch
    for i in 0..4 {
        assert_eq!(c.executed(i), SeqNo(1), "r{i}");
        let done = &c.committed[i][0];
        assert_eq!(done.batch.requests[0], request(1, 1));
        assert_eq!(done.fresh, vec![true]);
        done.certificate.verify_batch(&done.batch, &c.vset).unwrap();
    }
    c.assert_agreement();
}

#[test]
fn primary_cuts_a_full_batch_without_waiting() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    assert_eq!(
        c.executed(0),
        SeqNo(0),
        "one request waits for the batch delay"
    );
    c.submit(request(2, 1));
    assert_eq!(c.executed(0), SeqNo(1), "two requests fill a batch of 2");
    assert_eq!(c.committed[1][0].batch.requests.len(), 2);
}

#[test]
fn several_sequence_numbers_in_flight_up_to_the_high_water_mark() {
    let mut c = Cluster::new(4);
    // Cut replica 3's link and one backup's so nothing commits: the primary
    // must stop proposing at H = h + L = 8.
    c.isolated.insert(2);
    c.isolated.insert(3);
    for k in 0..40 {
        c.submit(request(k, 1));
    }
    let proposed = c
        .sent
        .iter()
        .filter(|(from, m)| from.0 == 0 && matches!(m, Message::PrePrepare(_)))
        .count();
    assert_eq!(proposed, 8, "pre-prepares stop at the high water mark");
}

#[test]
fn drops_duplicate_and_stale_client_requests() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    assert_eq!(
        c.replicas[1].handle_request(c.now, request(1, 1)),
        Err(Error::Ignored(Ignored::Duplicate))
    );
    c.advance(20);
    assert_eq!(
        c.replicas[1].handle_request(c.now, request(1, 1)),
        Err(Error::Ignored(Ignored::StaleRequest))
    );
    assert_eq!(c.replicas[1].stats().dropped.get("stale_request"), Some(&1));
    assert_eq!(c.replicas[1].pending_requests(), 0);
}

#[test]
fn repeated_request_in_a_batch_is_delivered_as_not_fresh() {
    let mut c = Cluster::new(4);
    c.submit(request(1, 1));
    c.advance(20);
    // A faulty primary could re-propose an executed request: simulate by
    // handing the primary's pre-prepare path a batch repeating it.
    let batch = Batch::new(vec![request(1, 1), request(2, 1)]);
    let h = OrderVote {
        phase: Phase::PrePrepare,
        view: View(0),
        seq: SeqNo(2),
        digest: batch.digest(),
    };
    let pp = PrePrepare {
        header: Signed::sign(&set4(), &key(0), ReplicaId(0), h),
        batch,
    };
    for i in 1..4 {
        c.queue
            .push_back((ReplicaId(0), ReplicaId(i), Message::PrePrepare(pp.clone())));
    }
    c.run();
    let last = c.committed[1].last().unwrap();
    assert_eq!(last.seq, SeqNo(2));
    assert_eq!(last.fresh, vec![false, true]);
}

fn pre_prepare(signer: u32, view: u64, seq: u64, batch: Batch) -> Message {
    let h = OrderVote {
        phase: Phase::PrePrepare,
        view: View(view),
        seq: SeqNo(seq),
        digest: batch.digest(),
    };
    Message::PrePrepare(PrePrepare {
        header: Signed::sign(&set4(), &key(signer), ReplicaId(signer), h),
        batch,
    })
}

#[test]
fn rejects_pre_prepare_from_a_backup() {
    let mut c = Cluster::new(4);
    let m = pre_prepare(1, 0, 1, Batch::new(vec![request(1, 1)]));
    let e = c.replicas[2]
        .handle_message(Time(0), ReplicaId(1), m)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::PeerMisbehaved(PeerMisbehaved::NotPrimary { .. })
    ));
}

#[test]
fn rejects_wrong_view_and_outside_watermarks() {
    let mut c = Cluster::new(4);
    let e = c.replicas[1]
        .handle_message(Time(0), ReplicaId(1), pre_prepare(1, 1, 1, Batch::null()))
        .unwrap_err();
    assert_eq!(e, Error::Ignored(Ignored::WrongView));
    let e = c.replicas[1]
        .handle_message(Time(0), ReplicaId(0), pre_prepare(0, 0, 9, Batch::null()))
        .unwrap_err();
    assert_eq!(e, Error::Ignored(Ignored::OutsideWatermarks));
    assert_eq!(c.replicas[1].stats().dropped_total(), 2);
}

#[test]
fn rejects_bad_signature_and_non_members() {
    let mut c = Cluster::new(4);
    let batch = Batch::new(vec![request(1, 1)]);
    let h = OrderVote {
        phase: Phase::PrePrepare,
        view: View(0),
        seq: SeqNo(1),
        digest: batch.digest(),
    };
    let forged = Message::PrePrepare(PrePrepare {
        header: Signed::sign(&set4(), &key(3), ReplicaId(0), h),
        batch,
    });
    let e = c.replicas[1]
        .handle_message(Time(0), ReplicaId(0), forged)
        .unwrap_err();
    assert_eq!(
        e,
        Error::PeerMisbehaved(PeerMisbehaved::BadSignature(ReplicaId(0)))
    );
    let e = c.replicas[1]
        .handle_message(Time(0), ReplicaId(9), pre_prepare(0, 0, 1, Batch::null()))
        .unwrap_err();
    assert_eq!(
        e,
        Error::PeerMisbehaved(PeerMisbehaved::NotAMember(ReplicaId(9)))
    );
    assert_eq!(c.replicas[1].stats().dropped.get("bad_signature"), Some(&1));
    assert_eq!(c.replicas[1].stats().dropped.get("not_a_member"), Some(&1));
}

#[test]
fn rejects_garbage_bytes_and_counts_them() {
    let mut c = Cluster::new(4);
    let e = c.replicas[1]
        .handle_bytes(Time(0), ReplicaId(0), &[0xde, 0xad, 0xbe, 0xef])
        .unwrap_err();
    assert!(matches!(e, Error::Decode(_)));
    assert_eq!(c.replicas[1].stats().dropped.get("decode"), Some(&1));
}

#[test]
fn equivocating_pre_prepare_is_refused_and_counted() {
    let mut c = Cluster::new(4);
    let a = pre_prepare(0, 0, 1, Batch::new(vec![request(1, 1)]));
    let b = pre_prepare(0, 0, 1, Batch::new(vec![request(2, 1)]));
    c.replicas[1]
        .handle_message(Time(0), ReplicaId(0), a)
        .unwrap();
    let e = c.replicas[1]
        .handle_message(Time(0), ReplicaId(0), b)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::PeerMisbehaved(PeerMisbehaved::Equivocation { .. })
    ));
    let prepares = c.replicas[1]
        .ready()
        .messages
        .iter()
        .filter(|o| matches!(o.message, Message::Prepare(_)))
        .count();
    assert_eq!(prepares, 1, "one PREPARE, for the first digest only");
}

#[test]
fn checkpoint_becomes_stable_and_log_is_collected() {
    let mut c = Cluster::new(4);
    for k in 0..8 {
        c.submit(request(k, 1));
    }
    for i in 0..4 {
        assert_eq!(c.executed(i), SeqNo(4));
        assert_eq!(
            c.replicas[i].low_water_mark(),
            SeqNo(4),
            "r{i}: stable checkpoint at K = 4"
        );
        c.replicas[i].stable_checkpoint().verify(&c.vset).unwrap();
    }
    // The window moved: sequence numbers up to 12 are now acceptable.
    for k in 8..24 {
        c.submit(request(k, 1));
    }
    assert_eq!(c.executed(0), SeqNo(12));
    assert_eq!(c.replicas[0].low_water_mark(), SeqNo(12));
}

#[test]
fn state_digest_for_an_undelivered_checkpoint_is_refused() {
    let mut c = Cluster::new(4);
    let e = c.replicas[0]
        .handle_state_digest(Time(0), SeqNo(4), Default::default())
        .unwrap_err();
    assert!(matches!(e, Error::Misuse(_)));
}

#[test]
fn observer_verifies_and_delivers_in_order_without_voting() {
    let mut c = Cluster::new(4);
    for k in 0..6 {
        c.submit(request(k, 1));
    }
    let mut obs = Observer::new(c.vset.clone(), SeqNo(0), 16);
    let mut msgs = c.to_observers.clone();
    msgs.reverse(); // out of order
    for m in msgs {
        let _ = obs.handle_message(ReplicaId(1), m);
    }
    let got: Vec<SeqNo> = std::iter::from_fn(|| obs.poll_committed())
        .map(|c| c.seq)
        .collect();
    assert_eq!(got, vec![SeqNo(1), SeqNo(2), SeqNo(3)]);
    // A certificate with a forged signature is rejected.
    let Some(Message::Committed(mut forged)) = c.to_observers.first().cloned() else {
        panic!("no committed")
    };
    forged.seq = SeqNo(4);
    forged.certificate.seq = SeqNo(4);
    let mut obs = Observer::new(c.vset.clone(), SeqNo(3), 16);
    assert!(matches!(
        obs.handle_message(ReplicaId(1), Message::Committed(forged)),
        Err(Error::Certificate(_))
    ));
    // Observers accept nothing else and have no key to vote with.
    assert!(
        obs.handle_message(ReplicaId(1), pre_prepare(0, 0, 1, Batch::null()))
            .is_err()
    );
}

#[test]
fn restarted_replica_never_signs_a_second_digest() {
    let mut c = Cluster::new(4);
    let a = pre_prepare(0, 0, 1, Batch::new(vec![request(1, 1)]));
    c.replicas[1]
        .handle_message(Time(0), ReplicaId(0), a)
        .unwrap();
    c.drain();
    // Restart replica 1 from what it persisted.
    let persisted = c.persisted[1].clone();
    let mut r = Replica::recover(
        c.cfg.clone(),
        c.vset.clone(),
        ReplicaId(1),
        key(1),
        Time(5),
        persisted,
    )
    .unwrap();
    let b = pre_prepare(0, 0, 1, Batch::new(vec![request(2, 1)]));
    r.handle_message(Time(5), ReplicaId(0), b).unwrap();
    let ready = r.ready();
    assert!(
        !ready
            .messages
            .iter()
            .any(|o| matches!(o.message, Message::Prepare(_))),
        "no PREPARE for a second digest at (v0, s1) after restart"
    );
}
