//! The adapter: each `carbon_pbft::Replica` (with its host) as a stateright
//! actor, plus a client actor that sends the requests.
//!
//! Time: every host starts at `Time(0)` and its clock moves only when the
//! checker fires its `Wake` timer, jumping to the replica's next deadline
//! (`poll_timeout`). The checker fires timers at any point between message
//! deliveries, so any interleaving of timeouts and messages is explored;
//! the replica's fingerprint holds deadlines relative to its clock, so
//! states that differ only by a shift in time are one state.

use crate::host::{Effects, Host, Storage};
use crate::wire::{Msg, Payload, actor_of, replica_of};
use carbon_pbft::messages::Message;
use carbon_pbft::{Config, Replica, ReplicaId, Request, Time, ValidatorSet};
use ed25519_dalek::SigningKey;
use stateright::actor::{Actor, Id, Out, model_timeout};
use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// How replica 0 (the primary of view 0) behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Follows the protocol.
    Honest,
    /// Follows the protocol until it crashes for good, at a point the
    /// checker chooses (possibly before sending anything).
    Crashes,
    /// Sends every other backup (replica 2) a conflicting, validly signed
    /// pre-prepare for each sequence number, replicas 1 and 3 its own, as
    /// the simulator's equivocator does (`carbon_pbft::sim::other_batch`).
    Equivocates,
}

/// What every replica actor shares.
pub struct Setup {
    pub cfg: Config,
    pub set: ValidatorSet,
    pub keys: Vec<SigningKey>,
    /// Keep a persisted log so that the checker may crash and restart
    /// replicas (`Replica::recover`).
    pub durable: bool,
}

/// An actor of the model.
pub enum PbftActor {
    Replica {
        id: ReplicaId,
        role: Role,
        setup: Arc<Setup>,
    },
    /// Sends each request to every replica once (the network may drop,
    /// duplicate and reorder them).
    Client {
        requests: Vec<Request>,
        replicas: usize,
    },
}

/// The timers the adapter arms.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// The replica's next deadline (it always has one: retransmission).
    Wake,
    /// The crashing primary crashes.
    Crash,
}

/// An actor's state.
#[derive(Clone)]
pub enum NodeState {
    Replica(Box<Host>),
    Client,
}

impl NodeState {
    /// The host, for a replica.
    pub fn host(&self) -> Option<&Host> {
        match self {
            NodeState::Replica(h) => Some(h),
            NodeState::Client => None,
        }
    }
}

impl PartialEq for NodeState {
    fn eq(&self, other: &NodeState) -> bool {
        match (self, other) {
            (NodeState::Replica(a), NodeState::Replica(b)) => a.fingerprint() == b.fingerprint(),
            (NodeState::Client, NodeState::Client) => true,
            _ => false,
        }
    }
}

impl Hash for NodeState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            NodeState::Replica(h) => h.fingerprint().hash(state),
            NodeState::Client => 0u8.hash(state),
        }
    }
}

impl fmt::Debug for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(h) = self.host() else {
            return write!(f, "client");
        };
        let r = &h.replica;
        let committed: Vec<String> = (h.app.committed.iter())
            .map(|(s, d)| format!("{s}:{}", crate::wire::short(d)))
            .collect();
        write!(
            f,
            "{} {}{} executed {} stable {} committed [{}]{}{}",
            r.id(),
            r.view(),
            if r.is_view_active() {
                ""
            } else {
                " (changing)"
            },
            r.last_executed(),
            r.low_water_mark(),
            committed.join(" "),
            if h.crashed { " CRASHED" } else { "" },
            if h.app.faults.is_empty() {
                String::new()
            } else {
                format!(" faults {:?}", h.app.faults)
            },
        )
    }
}

fn emit(host: &Host, fx: Effects, o: &mut Out<PbftActor>) {
    if fx.saved
        && let Some(s) = &host.durable
    {
        o.save(s.clone());
    }
    for (to, m) in fx.sends {
        o.send(to, m);
    }
}

/// Keep the new host state unless it is the same as before and nothing is
/// sent (then the step is a no-op the checker prunes).
fn commit(state: &mut Cow<NodeState>, host: Host, fx: Effects, o: &mut Out<PbftActor>) {
    let same = state
        .host()
        .is_some_and(|h| h.fingerprint() == host.fingerprint());
    emit(&host, fx, o);
    if !same {
        *state = Cow::Owned(NodeState::Replica(Box::new(host)));
    }
}

impl Actor for PbftActor {
    type Msg = Msg;
    type State = NodeState;
    type Timer = Timer;
    type Random = ();
    type Storage = Storage;

    fn on_start(&self, id: Id, storage: &Option<Storage>, o: &mut Out<Self>) -> NodeState {
        let (rid, role, setup) = match self {
            PbftActor::Client { requests, replicas } => {
                for r in requests {
                    for to in 0..*replicas {
                        o.send(Id::from(to), Msg::new(Payload::Request(r.clone())));
                    }
                }
                return NodeState::Client;
            }
            PbftActor::Replica { id, role, setup } => (*id, *role, setup),
        };
        debug_assert_eq!(id, actor_of(rid, setup.set.len()));
        let key = setup.keys[rid.0 as usize].clone();
        let (cfg, set) = (setup.cfg.clone(), setup.set.clone());
        let replica = match storage {
            Some(s) => Replica::recover(
                cfg,
                set,
                rid,
                key.clone(),
                Time(0),
                s.persisted.iter().cloned(),
            ),
            None => Replica::new(cfg, set, rid, key.clone(), Time(0)),
        }
        .expect("the model's configuration and persisted log are valid");
        let durable = setup.durable.then(|| storage.clone().unwrap_or_default());
        let mut host = Host::new(replica, key, role == Role::Equivocates, durable);
        let fx = host.resume(storage.is_some(), &setup.set, setup.set.len());
        emit(&host, fx, o);
        o.set_timer(Timer::Wake, model_timeout());
        if role == Role::Crashes && storage.is_none() {
            o.set_timer(Timer::Crash, model_timeout());
        }
        NodeState::Replica(Box::new(host))
    }

    fn on_msg(&self, _: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        let (PbftActor::Replica { setup, .. }, Some(h)) = (self, state.host()) else {
            return;
        };
        if h.crashed {
            return;
        }
        let (set, n) = (&setup.set, setup.set.len());
        let mut h = h.clone();
        let mut fx = Effects::default();
        match &*msg.payload {
            Payload::Protocol(m) => {
                let from = replica_of(src, n);
                let accepted = h.replica.handle_message(h.now, from, m.clone()).is_ok();
                if let (true, Message::PrePrepare(pp)) = (accepted, m) {
                    let b = pp.header.body;
                    h.app.proposals.insert((b.view, b.seq, b.digest));
                }
                h.drain(set, n, &mut fx);
            }
            Payload::Request(r) => {
                let _ = h.replica.handle_request(h.now, r.clone());
                h.drain(set, n, &mut fx);
            }
            Payload::StateRequest(seq) => h.serve_state(src, *seq, &mut fx),
            Payload::StateReply(snap, chain) => fx = h.install_state(snap, *chain, set, n),
        }
        commit(state, h, fx, o);
    }

    fn on_timeout(&self, _: Id, state: &mut Cow<NodeState>, timer: &Timer, o: &mut Out<Self>) {
        let (PbftActor::Replica { setup, .. }, Some(h)) = (self, state.host()) else {
            return;
        };
        let mut h = h.clone();
        let mut fx = Effects::default();
        match timer {
            Timer::Wake => {
                if let Some(t) = h.replica.poll_timeout() {
                    h.now = h.now.max(t);
                }
                h.replica.handle_timeout(h.now);
                h.drain(&setup.set, setup.set.len(), &mut fx);
                o.set_timer(Timer::Wake, model_timeout());
            }
            Timer::Crash => {
                h.crashed = true;
                h.refresh();
                o.cancel_timer(Timer::Wake);
            }
        }
        commit(state, h, fx, o);
    }
}
