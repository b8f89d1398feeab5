//! What the simulated hosts do with each event: deliver a message to a
//! replica or an observer (the observers' application follows the
//! membership change), a client request, a timer, a crash and a restart
//! from the persisted log (a joined replica rebuilt from its join), a state
//! reply; and the joining replica's start once the change is committed.

use super::SimConfig;
use super::byzantine::Behaviour;
use super::checker::Checker;
use super::host::{Host, MEMBERS_PAYLOAD, ask_for_state, drain};
use super::network::{Event, Network, Node, Payload};
use crate::epoch::PreviousEpoch;
use crate::ids::{SeqNo, Time};
use crate::observer::Observer;
use crate::replica::Replica;

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
                    h.corrupted = false;
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
        Event::Corrupt(r) => hosts[r.0 as usize].corrupt_next = true,
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
