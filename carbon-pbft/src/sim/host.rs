//! The simulated host of each replica: it persists what the replica asks,
//! applies committed batches to a hash-chain "application", serves and
//! performs state transfers, and routes messages; plus the invariant checker.

use super::SimConfig;
use super::byzantine::{Behaviour, misbehave, recipients};
use super::checker::Checker;
use super::network::{Event, Network, Node, Payload};
use crate::config::ValidatorSet;
use crate::epoch::PreviousEpoch;
use crate::error::Result;
use crate::ids::{ClientId, Digest, ReplicaId, RequestId, SeqNo, Time};
use crate::messages::{Message, Request};
use crate::observer::Observer;
use crate::output::{Persist, StateSnapshot};
use crate::replica::Replica;
use ed25519_dalek::SigningKey;
use rand::Rng;
use std::collections::BTreeMap;

/// The payload of the request whose execution commits the validator-set
/// change of [`super::Fault::Reconfigure`].
pub(crate) const MEMBERS_PAYLOAD: &[u8] = b"carbon-sim/members/add";

/// A replica with its durable log and application.
pub(crate) struct Host {
    pub(crate) replica: Option<Replica>,
    pub(crate) behaviour: Option<Behaviour>,
    id: ReplicaId,
    /// Network address: the id, except for a twin's second instance.
    pub(crate) addr: ReplicaId,
    key: SigningKey,
    validators: ValidatorSet,
    persisted: Vec<Persist>,
    app_seq: SeqNo,
    app_chain: Digest,
    chain_at: BTreeMap<SeqNo, Digest>,
    snapshots: BTreeMap<SeqNo, StateSnapshot>,
    next_wake: Option<Time>,
    fetching: Option<SeqNo>,
    history: Vec<Message>,
    /// The keys the application's membership change installs, if any.
    pub(crate) next_keys: Option<Vec<ed25519_dalek::VerifyingKey>>,
    /// For the replica that joins: the set of the epoch before its own; it
    /// starts once the change is committed.
    pub(crate) previous: Option<ValidatorSet>,
    /// For the replica that joined: the epoch before its own, which its
    /// host needs again to rebuild it after a crash.
    joined: Option<PreviousEpoch>,
}

impl Host {
    pub(crate) fn new(
        cfg: &SimConfig,
        vset: &ValidatorSet,
        id: ReplicaId,
        key: SigningKey,
        behaviour: Option<Behaviour>,
    ) -> Result<Host> {
        // A replica of a later epoch is started by its host once the change
        // is committed (see `start_joiner`).
        let replica = if vset.epoch() == 0 {
            Some(Replica::new(
                cfg.protocol.clone(),
                vset.clone(),
                id,
                key.clone(),
                Time(0),
            )?)
        } else {
            None
        };
        Ok(Host {
            replica,
            behaviour,
            id,
            addr: id,
            key,
            validators: vset.clone(),
            persisted: Vec::new(),
            app_seq: SeqNo(0),
            app_chain: Digest::default(),
            chain_at: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            next_wake: None,
            fetching: None,
            history: Vec::new(),
            next_keys: None,
            previous: None,
            joined: None,
        })
    }
}

impl Host {
    /// False for a twin's second instance.
    pub(crate) fn is_primary_instance(&self) -> bool {
        self.addr == self.id
    }
}

pub(crate) fn send_request(net: &mut Network, to: ReplicaId, req: Request) {
    let l = if net.is_healed {
        net.healed
    } else {
        net.faulty
    };
    if l.loss_permille > 0 && net.rng.gen_range(0..1000) < l.loss_permille {
        return;
    }
    let at = Time(net.now.0 + net.delay());
    net.schedule(at, Event::ClientRequest { to, req });
}

pub(crate) fn handle_event(
    ev: Event,
    now: Time,
    hosts: &mut [Host],
    observers: &mut [Observer],
    net: &mut Network,
    checker: &mut Checker,
    cfg: &SimConfig,
) {
    let n = hosts.len();
    match ev {
        Event::Deliver {
            to: Node::Observer(o),
            from,
            payload: Payload::Msg(m),
        } => {
            let Some(obs) = observers.get_mut(o as usize) else {
                return;
            };
            let from = net.twins.as_ref().map_or(from, |t| t.logical(from));
            let _ = obs.handle_message(from, m);
            {
                while let Some(c) = obs.poll_committed() {
                    // The observer's application: the membership request
                    // schedules the change before the next batch is polled.
                    if c.batch
                        .requests
                        .iter()
                        .any(|r| r.payload == MEMBERS_PAYLOAD)
                        && obs.validators().epoch() == 0
                        && let Some(keys) = hosts.first().and_then(|h| h.next_keys.clone())
                        && let Ok(next) = obs.validators().successor(keys)
                    {
                        let k = cfg.protocol.checkpoint_interval;
                        let effective = SeqNo(c.seq.0.div_ceil(k) * k);
                        if let Err(e) = obs.schedule_validator_set(effective, next) {
                            checker
                                .violations
                                .push(format!("observer {o} refused the change: {e}"));
                        }
                    }
                    if !checker.certificate_ok(&c.certificate, &c.batch) {
                        checker
                            .violations
                            .push(format!("observer {o} delivered an invalid certificate"));
                    }
                    checker.agree(&format!("observer {o}"), c.seq, c.batch.digest());
                }
            }
        }
        Event::Deliver {
            to: Node::Observer(_),
            ..
        } => {}
        Event::Deliver {
            to: Node::Replica(r),
            from,
            payload,
        } => {
            let from = net.twins.as_ref().map_or(from, |t| t.logical(from));
            let h = &mut hosts[r.0 as usize];
            let Some(rep) = h.replica.as_mut() else {
                return;
            };
            if h.behaviour == Some(Behaviour::Replay)
                && let Payload::Msg(m) = &payload
                && h.history.len() < 4096
            {
                h.history.push(m.clone());
            }
            let _ = match payload {
                Payload::Msg(m) => rep.handle_message(now, from, m),
                Payload::Bytes(b) => rep.handle_bytes(now, from, &b),
            };
        }
        Event::ClientRequest { to, req } => {
            if let Some(rep) = hosts[to.0 as usize].replica.as_mut() {
                let _ = rep.handle_request(now, req);
            }
        }
        Event::Wake(r) => {
            let h = &mut hosts[r.0 as usize];
            if h.next_wake.is_none_or(|w| w > now) {
                return;
            }
            h.next_wake = None;
            if let Some(rep) = h.replica.as_mut() {
                rep.handle_timeout(now);
            }
        }
        Event::Crash(r) => {
            hosts[r.0 as usize].replica = None;
            hosts[r.0 as usize].next_wake = None;
            hosts[r.0 as usize].fetching = None;
        }
        Event::Restart(r) => {
            let h = &mut hosts[r.0 as usize];
            if h.previous.is_some() {
                return; // a joiner its host has not started yet
            }
            let fresh = match h.joined.clone() {
                Some(previous) => Replica::join(
                    cfg.protocol.clone(),
                    h.validators.clone(),
                    h.id,
                    h.key.clone(),
                    now,
                    previous,
                ),
                None => Replica::new(
                    cfg.protocol.clone(),
                    h.validators.clone(),
                    h.id,
                    h.key.clone(),
                    now,
                ),
            };
            let rep = fresh.and_then(|r| r.restore(h.persisted.iter().cloned()));
            match rep {
                Ok(mut rep) => {
                    if rep.awaiting_state_digest() == Some(h.app_seq) {
                        let _ = rep.handle_state_digest(now, h.app_seq, h.app_chain);
                    }
                    if rep.last_executed() != h.app_seq {
                        checker.violations.push(format!(
                            "{r} recovered at {} but applied {}",
                            rep.last_executed(),
                            h.app_seq
                        ));
                    }
                    h.replica = Some(rep);
                }
                Err(e) => checker
                    .violations
                    .push(format!("{r} failed to recover: {e}")),
            }
        }
        Event::StateReply { to, state } => {
            let h = &mut hosts[to.0 as usize];
            let Some(rep) = h.replica.as_mut() else {
                return;
            };
            let Some(want) = h.fetching else { return };
            let ok = match state {
                // The host checks the application part; the replica the rest.
                Some((snap, chain))
                    if snap.app_digest == chain
                        && rep.handle_state_installed(now, snap.clone()).is_ok() =>
                {
                    h.app_seq = snap.seq;
                    h.app_chain = chain;
                    h.chain_at.insert(snap.seq, chain);
                    h.snapshots.insert(snap.seq, snap);
                    h.fetching = None;
                    true
                }
                _ => false,
            };
            if !ok && rep.fetching_state() == Some(want) {
                ask_for_state(to, want, hosts, net);
            } else if !ok {
                hosts[to.0 as usize].fetching = None;
            }
        }
        Event::Heal | Event::ClientTick(_) => {}
    }
    // Drain every replica's outputs (only the one touched has any, but this
    // keeps the loop simple and the order deterministic).
    for i in 0..n {
        drain(i, now, hosts, net, checker, cfg);
    }
    start_joiner(now, hosts, net, checker, cfg);
}

/// Once the membership change is known, the joining replica's host starts
/// it with the new epoch's set and the previous epoch's end.
fn start_joiner(
    now: Time,
    hosts: &mut [Host],
    net: &mut Network,
    checker: &mut Checker,
    cfg: &SimConfig,
) {
    let Some((end, _)) = &checker.change else {
        return;
    };
    let end = *end;
    let Some(i) = hosts.iter().position(|h| h.previous.is_some()) else {
        return;
    };
    let h = &mut hosts[i];
    let Some(previous) = h.previous.take() else {
        return;
    };
    let previous = PreviousEpoch { end, set: previous };
    let rep = Replica::join(
        cfg.protocol.clone(),
        h.validators.clone(),
        h.id,
        h.key.clone(),
        now,
        previous.clone(),
    );
    match rep {
        Ok(r) => {
            h.replica = Some(r);
            h.joined = Some(previous);
        }
        Err(e) => checker
            .violations
            .push(format!("the joining replica could not start: {e}")),
    }
    drain(i, now, hosts, net, checker, cfg);
}

fn ask_for_state(to: ReplicaId, seq: SeqNo, hosts: &mut [Host], net: &mut Network) {
    let n = hosts.len() as u32;
    let mut peer = ReplicaId(net.rng.gen_range(0..n));
    if peer == to {
        peer = ReplicaId((peer.0 + 1) % n);
    }
    let p = &hosts[peer.0 as usize];
    let mut state = p
        .snapshots
        .get(&seq)
        .and_then(|s| p.chain_at.get(&seq).map(|c| (s.clone(), *c)));
    if p.behaviour.is_some()
        && let Some((s, c)) = state.as_mut()
    {
        s.clients.push((ClientId(u64::MAX), RequestId(1)));
        c.0[0] ^= 1;
        s.app_digest = *c;
    }
    let at = Time(net.now.0 + 2 * net.delay() + 5);
    net.schedule(at, Event::StateReply { to, state });
}

fn drain(
    i: usize,
    now: Time,
    hosts: &mut [Host],
    net: &mut Network,
    checker: &mut Checker,
    cfg: &SimConfig,
) {
    // Logical replicas: every host but a twin's second instance.
    let n = hosts.iter().filter(|h| h.is_primary_instance()).count();
    loop {
        let h = &mut hosts[i];
        let Some(rep) = h.replica.as_mut() else {
            return;
        };
        if !rep.has_ready() {
            break;
        }
        let ready = rep.ready();
        // 1. Persist (and apply committed batches in the same "write").
        for p in &ready.persist {
            if let Persist::Checkpoint { snapshot, .. } = p {
                h.snapshots.insert(snapshot.seq, snapshot.clone());
            }
        }
        h.persisted.extend(ready.persist);
        let mut digests = Vec::new();
        for c in ready.committed {
            if h.behaviour.is_some() {
                // A Byzantine host's application still has to answer checkpoints.
            } else {
                let who = format!("{}", h.id);
                if c.seq != SeqNo(h.app_seq.0 + 1) {
                    checker
                        .violations
                        .push(format!("{who} delivered {} after {}", c.seq, h.app_seq));
                }
                if !checker.certificate_ok(&c.certificate, &c.batch) || c.certificate.seq != c.seq {
                    checker.violations.push(format!(
                        "{who} committed {} with an invalid certificate",
                        c.seq
                    ));
                }
                checker.agree(&who, c.seq, c.batch.digest());
                for (r, fresh) in c.batch.requests.iter().zip(&c.fresh) {
                    if *fresh {
                        let e = checker
                            .executed
                            .entry((r.client, r.id))
                            .or_insert_with(|| vec![false; checker.n]);
                        e[i] = true;
                    }
                }
            }
            h.app_chain = Digest::hash(
                b"sim-app",
                &[&h.app_chain.0, &c.seq.0.to_le_bytes(), &c.batch.digest().0],
            );
            h.app_seq = c.seq;
            let members = c.batch.requests.iter().zip(&c.fresh);
            if members
                .into_iter()
                .any(|(r, f)| *f && r.payload == MEMBERS_PAYLOAD)
                && let Some(keys) = h.next_keys.clone()
            {
                let who = format!("{}", h.id);
                match rep.handle_validator_set(now, c.seq, keys) {
                    Ok(b) => {
                        if let Some((_, set)) = rep.pending_validators() {
                            let set = set.clone();
                            if h.behaviour.is_none() {
                                checker.change_reported(&who, b, &set);
                            }
                        }
                    }
                    Err(e) => checker
                        .violations
                        .push(format!("{who} refused the membership change: {e}")),
                }
            }
            if c.needs_state_digest {
                h.chain_at.insert(c.seq, h.app_chain);
                digests.push((c.seq, h.app_chain));
            }
        }
        // 2. Send.
        match h.behaviour {
            Some(b) => misbehave(
                b,
                h.addr,
                (&h.validators, &h.key),
                ready.messages,
                &mut h.history,
                net,
                n,
                cfg.observers,
            ),
            None => {
                for o in ready.messages {
                    for node in recipients(&o, h.id, n, cfg.observers) {
                        net.transmit(h.addr, node, Payload::Msg(o.message.clone()));
                    }
                }
            }
        }
        // 3. Checkpoint digests and state transfer.
        for (seq, d) in digests {
            let _ = rep.handle_state_digest(now, seq, d);
        }
        if let Some(f) = ready.fetch_state {
            h.fetching = Some(f.proof.seq);
            let seq = f.proof.seq;
            ask_for_state(ReplicaId(i as u32), seq, hosts, net);
        }
    }
    let h = &mut hosts[i];
    if let Some(t) = h.replica.as_ref().and_then(|r| r.poll_timeout())
        && h.next_wake != Some(t)
    {
        h.next_wake = Some(t);
        net.schedule(t, Event::Wake(h.addr));
    }
}
