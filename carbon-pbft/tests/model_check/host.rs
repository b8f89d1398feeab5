//! The host around each replica, doing what `carbon_pbft::sim`'s host does:
//! persist before sending, apply committed batches to a hash-chain
//! "application" (checking order and certificates as it goes), give the
//! state digest at each checkpoint, and serve and perform state transfers.

use crate::wire::{Msg, Payload, actor_of};
use carbon_pbft::messages::Message;
use carbon_pbft::sim::{Node, other_batch, recipients};
use carbon_pbft::{
    ClientId, Committed, Digest, Persist, Replica, ReplicaId, RequestId, SeqNo, StateSnapshot,
    Time, ValidatorSet, View,
};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use stateright::actor::Id;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the host commands: messages to send, in order, and whether the
/// durable storage changed (saved before anything is sent).
#[derive(Default)]
pub struct Effects {
    pub sends: Vec<(Id, Msg)>,
    pub saved: bool,
}

/// The application state and the host's own checks: durable, it survives a
/// restart together with the replica's persisted entries.
#[derive(Clone, Debug, Serialize)]
pub struct App {
    /// The batch digest executed at each sequence number.
    pub committed: BTreeMap<SeqNo, Digest>,
    /// Requests executed as fresh.
    pub requests_executed: u64,
    /// Times the replica was restarted from its persisted entries.
    pub restarts: u32,
    /// Pre-prepares the replica accepted from the wire.
    pub proposals: BTreeSet<(View, SeqNo, Digest)>,
    /// Host-side checks that failed: delivery out of order, a commit whose
    /// certificate does not verify against the validator set.
    pub faults: Vec<String>,
    app_seq: SeqNo,
    app_chain: Digest,
    chain_at: BTreeMap<SeqNo, Digest>,
    snapshots: BTreeMap<SeqNo, StateSnapshot>,
}

impl Default for App {
    fn default() -> App {
        App {
            committed: BTreeMap::new(),
            requests_executed: 0,
            restarts: 0,
            proposals: BTreeSet::new(),
            faults: Vec::new(),
            app_seq: SeqNo(0),
            app_chain: Digest::default(),
            chain_at: BTreeMap::new(),
            snapshots: BTreeMap::new(),
        }
    }
}

/// What survives a restart: the replica's persisted entries and the app.
#[derive(Clone, Debug, Default)]
pub struct Storage {
    pub persisted: Arc<Vec<Persist>>,
    pub app: App,
    digest: [u8; 32],
}

impl Storage {
    fn refresh(&mut self) {
        let mut h = Sha256::new();
        h.update(bcs::to_bytes(&(&*self.persisted, &self.app)).expect("BCS encodes plain data"));
        self.digest = h.finalize().into();
    }
}

impl PartialEq for Storage {
    fn eq(&self, other: &Storage) -> bool {
        self.digest == other.digest
    }
}
impl std::hash::Hash for Storage {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.digest.hash(state);
    }
}

/// One replica and its host.
#[derive(Clone)]
pub struct Host {
    pub replica: Replica,
    /// The host's clock: advanced only when a timer fires.
    pub now: Time,
    pub app: App,
    /// A Byzantine replica: its commits are not checked.
    pub byzantine: bool,
    /// Crashed for good (the crashing primary): it takes no more input.
    pub crashed: bool,
    /// Keep a persisted log (only when the model restarts replicas).
    pub durable: Option<Storage>,
    /// The replica's key: an equivocating host signs its forgeries with it.
    key: SigningKey,
    fetching: Option<SeqNo>,
    fp: [u8; 32],
}

impl Host {
    pub fn new(
        replica: Replica,
        key: SigningKey,
        byzantine: bool,
        durable: Option<Storage>,
    ) -> Host {
        let app = durable.as_ref().map(|s| s.app.clone()).unwrap_or_default();
        let mut h = Host {
            replica,
            now: Time(0),
            app,
            byzantine,
            crashed: false,
            durable,
            key,
            fetching: None,
            fp: [0; 32],
        };
        h.refresh();
        h
    }

    /// The digest the model state is hashed and compared by.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fp
    }

    /// After a (re)start: count a restart durably, and give the state
    /// digest of a checkpoint batch applied just before the crash (as the
    /// simulator's host does).
    pub fn resume(&mut self, restarted: bool, set: &ValidatorSet, n: usize) -> Effects {
        let mut fx = Effects::default();
        if restarted && let Some(d) = self.durable.as_mut() {
            self.app.restarts += 1;
            d.app = self.app.clone();
            d.refresh();
            fx.saved = true;
        }
        if self.replica.awaiting_state_digest() == Some(self.app.app_seq) {
            let (s, c) = (self.app.app_seq, self.app.app_chain);
            let _ = self.replica.handle_state_digest(self.now, s, c);
        }
        let (at, applied) = (self.replica.last_executed(), self.app.app_seq);
        if at != applied && !self.byzantine {
            let fault = format!("recovered at {at} but applied {applied}");
            self.app.faults.push(fault);
        }
        self.drain(set, n, &mut fx);
        fx
    }

    pub fn refresh(&mut self) {
        let mut h = Sha256::new();
        h.update(self.replica.fingerprint());
        let extra = (&self.app, self.byzantine, self.crashed, self.fetching);
        h.update(bcs::to_bytes(&extra).expect("BCS encodes plain data"));
        if let Some(d) = &self.durable {
            h.update(d.digest);
        }
        self.fp = h.finalize().into();
    }

    /// Handle the replica's outputs until it has none, as `sim/host.rs`'s
    /// `drain` does: 1. persist (and apply committed batches in the same
    /// write), 2. send, 3. give checkpoint digests and start state transfers.
    pub fn drain(&mut self, set: &ValidatorSet, n: usize, fx: &mut Effects) {
        let me = self.replica.id();
        while self.replica.has_ready() {
            let ready = self.replica.ready();
            for p in &ready.persist {
                if let Persist::Checkpoint { snapshot, .. } = p {
                    self.app.snapshots.insert(snapshot.seq, snapshot.clone());
                }
            }
            let wrote = !ready.persist.is_empty() || !ready.committed.is_empty();
            if let Some(d) = self.durable.as_mut() {
                Arc::make_mut(&mut d.persisted).extend(ready.persist);
            }
            let mut digests = Vec::new();
            for c in ready.committed {
                if let Some(d) = self.apply(c, set) {
                    digests.push(d);
                }
            }
            if wrote && let Some(d) = self.durable.as_mut() {
                d.app = self.app.clone();
                d.refresh();
                fx.saved = true;
            }
            for o in ready.messages {
                // An equivocating primary sends every other backup a
                // conflicting pre-prepare, as the simulator's does.
                for (i, node) in recipients(&o, me, n, 0).into_iter().enumerate() {
                    let Node::Replica(r) = node else { continue };
                    let m = match (&o.message, self.byzantine && i % 2 == 1) {
                        (Message::PrePrepare(pp), true) => {
                            Message::PrePrepare(other_batch(pp, me, set, &self.key))
                        }
                        _ => o.message.clone(),
                    };
                    fx.sends
                        .push((actor_of(r, n), Msg::new(Payload::Protocol(m))));
                }
            }
            for (seq, d) in digests {
                let _ = self.replica.handle_state_digest(self.now, seq, d);
            }
            if let Some(f) = ready.fetch_state {
                self.fetching = Some(f.proof.seq);
                self.ask_for_state(f.proof.seq, n, fx);
            }
        }
        self.refresh();
    }

    /// Apply one committed batch; returns the checkpoint digest to give.
    fn apply(&mut self, c: Committed, set: &ValidatorSet) -> Option<(SeqNo, Digest)> {
        let digest = c.batch.digest();
        if !self.byzantine {
            let app = &mut self.app;
            if Some(c.seq) != app.app_seq.next() {
                app.faults
                    .push(format!("delivered {} after {}", c.seq, app.app_seq));
            }
            let cert = &c.certificate;
            if cert.seq != c.seq || cert.verify_batch(&c.batch, set).is_err() {
                app.faults.push(format!("invalid certificate at {}", c.seq));
            }
            app.committed.insert(c.seq, digest);
            app.requests_executed += c.fresh.iter().filter(|f| **f).count() as u64;
        }
        let app = &mut self.app;
        app.app_chain = Digest::hash(
            b"sim-app",
            &[&app.app_chain.0, &c.seq.0.to_le_bytes(), &digest.0],
        );
        app.app_seq = c.seq;
        c.needs_state_digest.then(|| {
            app.chain_at.insert(c.seq, app.app_chain);
            (c.seq, app.app_chain)
        })
    }

    /// Ask every peer (the model's choice of which answers first).
    fn ask_for_state(&self, seq: SeqNo, n: usize, fx: &mut Effects) {
        let me = self.replica.id();
        for r in (0..n as u32).map(ReplicaId).filter(|r| *r != me) {
            let m = Msg::new(Payload::StateRequest(seq));
            fx.sends.push((actor_of(r, n), m));
        }
    }

    /// A peer asks for the state at `seq`: answer if we have it (a
    /// Byzantine host answers with a corrupted one, as in the simulator).
    pub fn serve_state(&self, to: Id, seq: SeqNo, fx: &mut Effects) {
        let (Some(s), Some(c)) = (self.app.snapshots.get(&seq), self.app.chain_at.get(&seq)) else {
            return;
        };
        let (mut s, mut c) = (s.clone(), *c);
        if self.byzantine {
            s.clients.push((ClientId(u64::MAX), RequestId(1)));
            c.0[0] ^= 1;
            s.app_digest = c;
        }
        fx.sends.push((to, Msg::new(Payload::StateReply(s, c))));
    }

    /// A peer's state arrived: the host checks the application part, the
    /// replica the rest; on failure it asks again while still fetching.
    pub fn install_state(
        &mut self,
        snap: &StateSnapshot,
        chain: Digest,
        set: &ValidatorSet,
        n: usize,
    ) -> Effects {
        let mut fx = Effects::default();
        let Some(want) = self.fetching else {
            return fx;
        };
        let now = self.now;
        if snap.app_digest == chain
            && self
                .replica
                .handle_state_installed(now, snap.clone())
                .is_ok()
        {
            self.app.app_seq = snap.seq;
            self.app.app_chain = chain;
            self.app.chain_at.insert(snap.seq, chain);
            self.app.snapshots.insert(snap.seq, snap.clone());
            self.fetching = None;
        } else if self.replica.fetching_state() == Some(want) {
            self.ask_for_state(want, n, &mut fx);
        } else {
            self.fetching = None;
        }
        self.drain(set, n, &mut fx);
        fx
    }
}
