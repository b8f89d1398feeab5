//! The structured PBFT target: one replica (id 1 of four) fed an arbitrary
//! sequence of steps decoded with `arbitrary` — protocol messages *signed
//! with the other three replicas' real keys* (so they pass authentication
//! and reach the protocol rules), forged and raw ones, client requests,
//! time, state digests, state transfers and crash-restarts — checking after
//! every step what the replica promises whatever its peers do:
//!
//! * it never panics and stays within its memory bounds ([`Footprint`]);
//! * it delivers sequence numbers in order, each once, each with a
//!   certificate that verifies against the validator set;
//! * it never signs two digests for one (view, sequence number, phase),
//!   across restarts too (it recovers from what it asked to persist).

use arbitrary::{Arbitrary, Unstructured};
use carbon_pbft::messages::{CheckpointVote, OrderVote, Phase, PrePrepare, Signed, ViewChange};
use carbon_pbft::{
    Batch, CheckpointProof, ClientId, Config, Digest, Message, Persist, Replica, ReplicaId,
    Request, RequestId, SeqNo, Time, ValidatorSet, View,
};
use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;

const N: u8 = 4;
const ME: ReplicaId = ReplicaId(1);

/// One input to the replica.
#[derive(Arbitrary, Debug)]
enum Step {
    /// A PRE-PREPARE signed by `from` for one of a few batches.
    PrePrepare {
        from: u8,
        view: u8,
        seq: u8,
        batch: u8,
    },
    /// A PREPARE or COMMIT (`commit`) for one of a few batches.
    Vote {
        from: u8,
        commit: bool,
        view: u8,
        seq: u8,
        batch: u8,
    },
    /// A CHECKPOINT with one of a few digests.
    Checkpoint { from: u8, seq: u8, digest: u8 },
    /// A VIEW-CHANGE citing the genesis checkpoint, or a checkpoint proof
    /// signed by three replicas.
    ViewChange {
        from: u8,
        view: u8,
        checkpoint: Option<(u8, u8)>,
    },
    /// A relayed stable-checkpoint proof.
    StableProof { seq: u8, digest: u8 },
    /// A message delivered as from a peer other than its signer.
    Forged {
        from: u8,
        signer: u8,
        view: u8,
        seq: u8,
    },
    /// Bytes as a peer sent them.
    Raw { from: u8, bytes: Vec<u8> },
    /// A client request.
    Request { client: u8, id: u8 },
    /// Time passes.
    Tick { ms: u16 },
    /// The host's state digest for a delivered checkpoint (right or not).
    StateDigest { right: bool },
    /// The host completes a pending state transfer with this replica's own
    /// last snapshot, or one of a wrong sequence number.
    Install { own: bool },
    /// Crash and restart from what was persisted.
    Restart,
}

struct Harness {
    keys: Vec<SigningKey>,
    set: ValidatorSet,
    cfg: Config,
    replica: Replica,
    now: u64,
    persisted: Vec<Persist>,
    executed: SeqNo,
    app: Digest,
    signed: BTreeMap<(View, SeqNo, Phase), Digest>,
}

/// Feed the steps decoded from `data` to a replica, checking its promises.
pub fn pbft_signed(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Some(mut h) = Harness::new() else {
        return;
    };
    for _ in 0..256 {
        let Ok(step) = Step::arbitrary(&mut u) else {
            break;
        };
        h.step(step);
        h.drain();
        h.check_bounds();
    }
}

fn batch(i: u8) -> Batch {
    match i % 4 {
        0 => Batch::new(Vec::new()),
        k => Batch::new(
            (0..k)
                .map(|j| Request {
                    client: ClientId(u64::from(j)),
                    id: RequestId(u64::from(i % 8) + 1),
                    payload: vec![i, j],
                })
                .collect(),
        ),
    }
}

impl Harness {
    fn new() -> Option<Harness> {
        let keys: Vec<SigningKey> = (0..N)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
            .collect();
        let set = ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect()).ok()?;
        let cfg = Config {
            checkpoint_interval: 2,
            watermark_window: 4,
            max_pending_requests: 8,
            max_message_bytes: 1 << 16,
            ..Config::default()
        };
        let replica = Replica::new(cfg.clone(), set.clone(), ME, keys[1].clone(), Time(0)).ok()?;
        Some(Harness {
            keys,
            set,
            cfg,
            replica,
            now: 0,
            persisted: Vec::new(),
            executed: SeqNo(0),
            app: Digest::default(),
            signed: BTreeMap::new(),
        })
    }

    fn peer(&self, i: u8) -> (ReplicaId, &SigningKey) {
        // Any replica but the one under test.
        let i: u8 = [0, 2, 3][usize::from(i % 3)];
        (ReplicaId(u32::from(i)), &self.keys[usize::from(i)])
    }

    fn signed<T: carbon_pbft::messages::Signable>(
        &self,
        from: u8,
        body: T,
    ) -> (ReplicaId, Signed<T>) {
        let (id, key) = self.peer(from);
        (id, Signed::sign(&self.set, key, id, body))
    }

    fn vote(phase: Phase, view: u8, seq: u8, batch_no: u8) -> OrderVote {
        OrderVote {
            phase,
            view: View(u64::from(view % 4)),
            seq: SeqNo(u64::from(seq % 12)),
            digest: batch(batch_no).digest(),
        }
    }

    fn checkpoint_proof(&self, seq: u8, digest: u8) -> CheckpointProof {
        let seq = SeqNo(u64::from(seq % 6) * self.cfg.checkpoint_interval);
        let digest = Digest([digest % 3; 32]);
        let votes = (0..3)
            .map(|i| self.signed(i, CheckpointVote { seq, digest }).1)
            .collect();
        CheckpointProof { seq, digest, votes }
    }

    fn send(&mut self, from: ReplicaId, m: Message) {
        let _ = self.replica.handle_message(Time(self.now), from, m);
    }

    fn step(&mut self, step: Step) {
        let now = Time(self.now);
        match step {
            Step::PrePrepare {
                from,
                view,
                seq,
                batch: b,
            } => {
                let (id, header) = self.signed(from, Self::vote(Phase::PrePrepare, view, seq, b));
                let pp = PrePrepare {
                    header,
                    batch: batch(b),
                };
                self.send(id, Message::PrePrepare(pp));
            }
            Step::Vote {
                from,
                commit,
                view,
                seq,
                batch: b,
            } => {
                let phase = if commit {
                    Phase::Commit
                } else {
                    Phase::Prepare
                };
                let (id, v) = self.signed(from, Self::vote(phase, view, seq, b));
                let m = if commit {
                    Message::Commit(v)
                } else {
                    Message::Prepare(v)
                };
                self.send(id, m);
            }
            Step::Checkpoint { from, seq, digest } => {
                let seq = SeqNo(u64::from(seq % 8) * self.cfg.checkpoint_interval);
                let body = CheckpointVote {
                    seq,
                    digest: Digest([digest % 3; 32]),
                };
                let (id, c) = self.signed(from, body);
                self.send(id, Message::Checkpoint(c));
            }
            Step::ViewChange {
                from,
                view,
                checkpoint,
            } => {
                let checkpoint = match checkpoint {
                    Some((s, d)) => self.checkpoint_proof(s, d),
                    None => CheckpointProof::genesis(),
                };
                let body = ViewChange {
                    new_view: View(u64::from(view % 4) + 1),
                    checkpoint,
                    prepared: Vec::new(),
                };
                let (id, vc) = self.signed(from, body);
                self.send(id, Message::ViewChange(vc));
            }
            Step::StableProof { seq, digest } => {
                let p = self.checkpoint_proof(seq, digest);
                self.send(ReplicaId(0), Message::StableCheckpoint(p));
            }
            Step::Forged {
                from,
                signer,
                view,
                seq,
            } => {
                let (_, v) = self.signed(signer, Self::vote(Phase::Prepare, view, seq, 1));
                let (id, _) = self.peer(from);
                self.send(id, Message::Prepare(v));
            }
            Step::Raw { from, bytes } => {
                let (id, _) = self.peer(from);
                let _ = self.replica.handle_bytes(now, id, &bytes);
            }
            Step::Request { client, id } => {
                let r = Request {
                    client: ClientId(u64::from(client % 4)),
                    id: RequestId(u64::from(id)),
                    payload: vec![client, id],
                };
                let _ = self.replica.handle_request(now, r);
            }
            Step::Tick { ms } => {
                self.now = self.now.saturating_add(u64::from(ms));
                self.replica.handle_timeout(Time(self.now));
            }
            Step::StateDigest { right } => {
                if let Some(seq) = self.replica.awaiting_state_digest() {
                    let d = if right { self.app } else { Digest([9; 32]) };
                    let _ = self.replica.handle_state_digest(now, seq, d);
                }
            }
            Step::Install { own } => self.install(own),
            Step::Restart => {
                let entries = self.persisted.clone();
                let Ok(r) = Replica::recover(
                    self.cfg.clone(),
                    self.set.clone(),
                    ME,
                    self.keys[1].clone(),
                    now,
                    entries,
                ) else {
                    panic!("a replica recovers from what it asked to persist");
                };
                assert_eq!(r.last_executed(), self.executed, "recovery loses nothing");
                self.replica = r;
            }
        }
    }

    /// A state transfer answered with the replica's own last checkpoint
    /// snapshot (it verifies only if that is what the proof names).
    fn install(&mut self, own: bool) {
        if self.replica.fetching_state().is_none() {
            return;
        }
        let snap = self.persisted.iter().rev().find_map(|p| match p {
            Persist::Checkpoint { snapshot, .. } => Some(snapshot.clone()),
            _ => None,
        });
        if let Some(mut snap) = snap {
            if !own {
                snap.seq = SeqNo(snap.seq.0.saturating_add(2));
            }
            let seq = snap.seq;
            let app = snap.app_digest;
            if self
                .replica
                .handle_state_installed(Time(self.now), snap)
                .is_ok()
            {
                self.executed = seq;
                self.app = app;
            }
        }
    }

    /// Handle every output as a host would, checking what was delivered
    /// and what was signed.
    fn drain(&mut self) {
        loop {
            let ready = self.replica.ready();
            if ready.is_empty() {
                return;
            }
            self.persisted.extend(ready.persist.iter().cloned());
            for o in &ready.messages {
                let vote = match &o.message {
                    Message::PrePrepare(pp) => Some(&pp.header),
                    Message::Prepare(v) | Message::Commit(v) => Some(v),
                    _ => None,
                };
                if let Some(v) = vote.filter(|v| v.from == ME) {
                    let b = v.body;
                    let first = *self
                        .signed
                        .entry((b.view, b.seq, b.phase))
                        .or_insert(b.digest);
                    assert_eq!(
                        first,
                        b.digest,
                        "signed two digests for {:?}",
                        (b.view, b.seq)
                    );
                }
            }
            for c in ready.committed {
                assert_eq!(Some(c.seq), self.executed.next(), "delivered out of order");
                assert!(
                    c.certificate.verify_batch(&c.batch, &self.set).is_ok(),
                    "delivered {} without a valid certificate",
                    c.seq
                );
                self.executed = c.seq;
                self.app = Digest::hash(b"fuzz-app", &[&self.app.0, &c.batch.digest().0]);
            }
        }
    }

    fn check_bounds(&self) {
        let f = self.replica.footprint();
        let window = self.cfg.watermark_window as usize;
        let n = usize::from(N);
        let per_window = window / self.cfg.checkpoint_interval as usize + 1;
        assert!(f.log_slots <= window, "{f:?}");
        assert!(f.undelivered <= window, "{f:?}");
        assert!(f.checkpoint_votes <= n * (per_window + 1), "{f:?}");
        assert!(f.view_changes <= n, "{f:?}");
        assert!(f.queued_requests <= self.cfg.max_pending_requests, "{f:?}");
    }
}
