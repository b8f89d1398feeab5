//! One simulation run: build the cluster, drive the event loop, check the
//! invariants, report.

use super::checker::Checker;
use super::events;
use super::host::{self, Host};
use super::{Behaviour, Event, Fault, LinkFaults, Network, RunReport, SimConfig, Twins, sim_key};
use crate::config::ValidatorSet;
use crate::ids::{ClientId, ReplicaId, RequestId, SeqNo, Time};
use crate::messages::Request;
use crate::observer::Observer;
use ed25519_dalek::SigningKey;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Run one simulation with `seed`.
pub fn run(cfg: &SimConfig, seed: u64) -> RunReport {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = cfg.replicas;
    let keys: Vec<SigningKey> = (0..n as u32).map(|i| sim_key(seed, i)).collect();
    let vset = match ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect()) {
        Ok(v) => v,
        Err(e) => {
            return RunReport {
                seed,
                safety_violations: vec![format!("bad config: {e}")],
                ..Default::default()
            };
        }
    };
    let has = |f: Fault| cfg.faults.contains(&f);
    let mut link = LinkFaults::calm();
    if has(Fault::Delay) {
        link.max_delay_ms = 60;
    }
    if has(Fault::Loss) {
        link.loss_permille = 100;
    }
    if has(Fault::Duplicate) {
        link.duplicate_permille = 100;
    }
    // Byzantine replicas: an equivocator is made the view-0 primary.
    let behaviours: Vec<Behaviour> = cfg.faults.iter().filter_map(|f| f.behaviour()).collect();
    let mut ids: Vec<u32> = (0..n as u32).collect();
    ids.shuffle(&mut rng);
    let count = cfg.byzantine.min(n);
    let mut chosen: Vec<Behaviour> = (0..count)
        .map(|_| {
            if behaviours.is_empty() {
                Behaviour::Silent
            } else {
                behaviours[rng.gen_range(0..behaviours.len())]
            }
        })
        .collect();
    // An equivocator, or a twin, is made the view-0 primary: both then
    // propose conflicting batches from the start.
    chosen.sort_by_key(|b| (!matches!(b, Behaviour::Equivocate | Behaviour::Twin), *b));
    if matches!(
        chosen.first(),
        Some(Behaviour::Equivocate | Behaviour::Twin)
    ) {
        ids.retain(|i| *i != 0);
        ids.insert(0, 0);
    }
    let byzantine: Vec<(ReplicaId, Behaviour)> = ids
        .iter()
        .zip(chosen)
        .map(|(id, b)| (ReplicaId(*id), b))
        .collect();
    let correct: Vec<ReplicaId> = (0..n as u32)
        .map(ReplicaId)
        .filter(|r| !byzantine.iter().any(|(b, _)| b == r))
        .collect();

    let mut net = Network::new(
        ChaCha8Rng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15),
        link,
    );
    if has(Fault::Partition) {
        net.partition = Some((0..n).map(|_| rng.gen_range(0..2u8)).collect());
    } else if has(Fault::Lagging) {
        let lag = correct[rng.gen_range(0..correct.len())];
        net.partition = Some((0..n as u32).map(|i| u8::from(i == lag.0)).collect());
    }
    net.schedule(cfg.heal_at, Event::Heal);
    if has(Fault::Crash) {
        for _ in 0..2 {
            let r = correct[rng.gen_range(0..correct.len())];
            let at = rng.gen_range(50..cfg.heal_at.0.saturating_sub(400).max(51));
            net.schedule(Time(at), Event::Crash(r));
            net.schedule(Time(at + rng.gen_range(50..300)), Event::Restart(r));
        }
    }

    // The corrupted replica is one more fault: inject it only where the
    // Byzantine ones leave room for it within f.
    if has(Fault::Diverge) && count < (n - 1) / 3 {
        let r = correct[rng.gen_range(0..correct.len())];
        // Early, while requests still flow, so that a later checkpoint
        // shows the damage.
        let at = rng.gen_range(1..cfg.heal_at.0.clamp(2, 40));
        net.schedule(Time(at), Event::Corrupt(r));
    }

    // Reconfiguration: replica n joins in the next epoch.
    let reconfigure = has(Fault::Reconfigure);
    let joiner = sim_key(seed, n as u32);
    let next_keys: Vec<_> = keys
        .iter()
        .chain(std::iter::once(&joiner))
        .map(|k| k.verifying_key())
        .collect();
    let mut hosts: Vec<Host> = Vec::with_capacity(n + 1);
    let next_set = vset.successor(next_keys.clone());
    let mut starts: Vec<(ValidatorSet, SigningKey)> =
        keys.iter().map(|k| (vset.clone(), k.clone())).collect();
    if reconfigure && let Ok(next) = &next_set {
        starts.push((next.clone(), joiner));
    }
    let joiner_index = n;
    for (i, (set, key)) in starts.into_iter().enumerate() {
        let id = ReplicaId(i as u32);
        let b = byzantine.iter().find(|(r, _)| *r == id).map(|(_, b)| *b);
        match Host::new(cfg, &set, id, key, b) {
            Ok(mut h) => {
                if reconfigure {
                    h.next_keys = Some(next_keys.clone());
                }
                if i == joiner_index {
                    // Its host starts it once the change is committed.
                    h.replica = None;
                    h.previous = Some(vset.clone());
                }
                hosts.push(h);
            }
            Err(e) => {
                return RunReport {
                    seed,
                    safety_violations: vec![format!("bad config: {e}")],
                    ..Default::default()
                };
            }
        }
    }
    // Twins: a second instance of each twin replica, at the next address.
    for (id, b) in &byzantine {
        if *b != Behaviour::Twin {
            continue;
        }
        let addr = hosts.len() as u32;
        let logical = hosts.iter().filter(|h| h.is_primary_instance()).count();
        let side = (0..logical).map(|_| rng.gen_range(0..2u8)).collect();
        match Host::new(cfg, &vset, *id, keys[id.0 as usize].clone(), Some(*b)) {
            Ok(mut h) => {
                h.addr = ReplicaId(addr);
                hosts.push(h);
                net.twins = Some(Twins {
                    target: id.0,
                    addr,
                    side,
                });
            }
            Err(e) => {
                return RunReport {
                    seed,
                    safety_violations: vec![format!("bad config: {e}")],
                    ..Default::default()
                };
            }
        }
        break; // one pair of twins per run
    }
    let window = cfg.protocol.watermark_window * 4;
    let mut observers: Vec<Observer> = (0..cfg.observers)
        .map(|_| Observer::new(vset.clone(), SeqNo(0), window))
        .collect();
    let mut checker = Checker::new(vset.clone(), hosts.len());

    // Clients: request k of client c goes out once request k - 1 committed.
    // With reconfiguration, one more client sends the membership change.
    let clients = cfg.clients + u64::from(reconfigure);
    let requests_of = |c: u64| {
        if c == cfg.clients {
            1
        } else {
            cfg.requests_per_client
        }
    };
    let total = cfg.clients * cfg.requests_per_client + u64::from(reconfigure);
    let mut next_req: Vec<u64> = vec![1; clients as usize];
    let mut filler = 0u64;
    let mut sent_at: BTreeMap<(ClientId, RequestId), Time> = BTreeMap::new();
    let start: Vec<Time> = (0..clients)
        .map(|_| Time(rng.gen_range(0..cfg.heal_at.0 / 3 + 1)))
        .collect();
    for t in &start {
        net.schedule(*t, Event::ClientTick(false));
    }
    net.schedule(Time(150), Event::ClientTick(true));
    let deadline = cfg.heal_at.saturating_add(cfg.liveness_bound);
    let mut report = RunReport {
        seed,
        submitted_requests: total,
        byzantine: byzantine.clone(),
        ..Default::default()
    };
    let quorum_exec = vset.weak_quorum();
    let payload = |c: u64, k: u64| {
        if c == cfg.clients {
            return host::MEMBERS_PAYLOAD.to_vec();
        }
        let mut p = vec![0u8; cfg.payload_bytes];
        for (i, b) in p.iter_mut().enumerate() {
            *b = (c as u8)
                .wrapping_mul(31)
                .wrapping_add(k as u8)
                .wrapping_add(i as u8);
        }
        p
    };

    while let Some((now, ev)) = net.pop() {
        if now > deadline {
            break;
        }
        match ev {
            Event::Heal => {
                net.is_healed = true;
                // The twin's second instance leaves with the faults.
                if let Some(t) = &net.twins
                    && let Some(h) = hosts.get_mut(t.addr as usize)
                {
                    h.replica = None;
                }
            }
            Event::ClientTick(periodic) => {
                // (Re)send each client's outstanding request to every replica.
                for c in 0..clients {
                    let k = next_req[c as usize];
                    if k > requests_of(c) || start[c as usize] > now {
                        continue;
                    }
                    let (cid, rid) = (ClientId(c), RequestId(k));
                    sent_at.entry((cid, rid)).or_insert(now);
                    let req = Request {
                        client: cid,
                        id: rid,
                        payload: payload(c, k),
                    };
                    for r in 0..hosts.len() as u32 {
                        host::send_request(&mut net, ReplicaId(r), req.clone());
                    }
                }
                if periodic {
                    net.schedule(Time(now.0 + 150), Event::ClientTick(true));
                    // A live system has load: while a corrupted replica is
                    // still recovering, a filler client keeps batches (and
                    // so checkpoints and, if need be, view changes) coming.
                    if has(Fault::Diverge)
                        && report.committed_requests == total
                        && !unrecovered(&hosts).is_empty()
                    {
                        filler += 1;
                        let req = Request {
                            client: ClientId(cfg.clients + 1),
                            id: RequestId(filler),
                            payload: payload(cfg.clients + 1, filler),
                        };
                        for r in 0..hosts.len() as u32 {
                            host::send_request(&mut net, ReplicaId(r), req.clone());
                        }
                    }
                }
            }
            other => events::handle_event(
                other,
                now,
                &mut hosts,
                &mut observers,
                &mut net,
                &mut checker,
                cfg,
            ),
        }
        // Clients learn of execution at f + 1 correct replicas.
        for c in 0..clients {
            let k = next_req[c as usize];
            if k <= requests_of(c) && checker.executed_by(ClientId(c), RequestId(k)) >= quorum_exec
            {
                let t0 = sent_at
                    .get(&(ClientId(c), RequestId(k)))
                    .copied()
                    .unwrap_or(now);
                report.latencies_ms.push(now.millis_since(t0));
                report.committed_requests += 1;
                next_req[c as usize] += 1;
                if next_req[c as usize] <= requests_of(c) {
                    net.schedule(Time(now.0 + 1), Event::ClientTick(false));
                }
            }
        }
        // Done once every request committed and no correct replica is
        // still recovering from a corrupted application state.
        if report.committed_requests == total && unrecovered(&hosts).is_empty() {
            break;
        }
    }
    report.end_time = net.now;
    report.liveness_ok = report.committed_requests == total && unrecovered(&hosts).is_empty();
    report.messages_sent = net.sent;
    report.safety_violations = checker.violations;
    for h in &hosts {
        report.final_states.push(h.replica.as_ref().map(|r| {
            (
                r.view(),
                r.is_view_active(),
                r.last_executed(),
                r.low_water_mark(),
            )
        }));
        if h.behaviour.is_none()
            && let Some(r) = &h.replica
        {
            let s = r.stats();
            report.view_changes += s.view_changes;
            report.state_transfers += s.state_transfers;
            report.divergences += s.divergences;
            for (k, v) in &s.dropped {
                *report.dropped.entry(k).or_default() += v;
            }
        }
    }
    report
}

/// Correct replicas whose application state is still corrupted
/// ([`Fault::Diverge`]) or that still know their state disagrees with a
/// stable checkpoint.
fn unrecovered(hosts: &[Host]) -> Vec<ReplicaId> {
    hosts
        .iter()
        .filter(|h| h.behaviour.is_none())
        .filter(|h| h.corrupted || h.replica.as_ref().is_some_and(|r| r.diverged().is_some()))
        .map(|h| h.id)
        .collect()
}
