//! The simulated host of each replica: it persists what the replica asks,
//! applies committed batches to a hash-chain "application", serves and
//! performs state transfers, and routes messages; plus the invariant checker.

use super::SimConfig;
use super::byzantine::{Behaviour, misbehave, recipients};
use super::checker::Checker;
use super::network::{Event, Network, Payload};
use crate::config::ValidatorSet;
use crate::epoch::PreviousEpoch;
use crate::error::Result;
use crate::ids::{ClientId, Digest, ReplicaId, RequestId, SeqNo, Time};
use crate::messages::{Message, Request};
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
    pub(super) id: ReplicaId,
    /// Network address: the id, except for a twin's second instance.
    pub(crate) addr: ReplicaId,
    pub(super) key: SigningKey,
    pub(super) validators: ValidatorSet,
    pub(super) persisted: Vec<Persist>,
    pub(super) app_seq: SeqNo,
    pub(super) app_chain: Digest,
    pub(super) chain_at: BTreeMap<SeqNo, Digest>,
    pub(super) snapshots: BTreeMap<SeqNo, StateSnapshot>,
    pub(super) next_wake: Option<Time>,
    pub(super) fetching: Option<SeqNo>,
    pub(super) history: Vec<Message>,
    /// The keys the application's membership change installs, if any.
    pub(crate) next_keys: Option<Vec<ed25519_dalek::VerifyingKey>>,
    /// For the replica that joins: the set of the epoch before its own; it
    /// starts once the change is committed.
    pub(crate) previous: Option<ValidatorSet>,
    /// For the replica that joined: the epoch before its own, which its
    /// host needs again to rebuild it after a crash.
    pub(super) joined: Option<PreviousEpoch>,
    /// [`super::Fault::Diverge`]: corrupt the application at the next
    /// checkpoint batch it applies.
    pub(super) corrupt_next: bool,
    /// Its application state is corrupted and not yet replaced by a
    /// fetched one.
    pub(super) corrupted: bool,
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
            corrupt_next: false,
            corrupted: false,
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

pub(super) fn drain(
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
                if h.corrupt_next {
                    // The damage shows in this checkpoint's digest and every
                    // later one, until a fetched state replaces it.
                    h.corrupt_next = false;
                    h.corrupted = true;
                    h.app_chain.0[0] ^= 0x80;
                }
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

pub(super) fn ask_for_state(to: ReplicaId, seq: SeqNo, hosts: &mut [Host], net: &mut Network) {
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
