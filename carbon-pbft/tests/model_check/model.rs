//! The checked system: four replicas (f = 1) and a client on stateright's
//! unordered, duplicating (and optionally lossy) network, the bounds, and
//! the properties.

use crate::actor::{NodeState, PbftActor, Role, Setup};
use crate::host::Host;
use carbon_pbft::sim::sim_key;
use carbon_pbft::{
    ClientId, Config, Digest, ReplicaId, Request, RequestId, SeqNo, ValidatorSet, View,
};
use stateright::actor::{ActorModel, ActorModelState, LossyNetwork, Network};
use stateright::{Checker, Expectation, Model};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Voting replicas: n = 3f + 1 with f = 1.
pub const REPLICAS: usize = 4;

/// The bounds of one check.
#[derive(Clone, Debug)]
pub struct Bounds {
    /// Client requests (each from its own client), 1 or 2.
    pub requests: u64,
    /// K; the water-mark window is 2K.
    pub checkpoint_interval: u64,
    /// Replica 0's behaviour.
    pub primary: Role,
    /// Whether the network may drop messages.
    pub lossy: bool,
    /// Whether the checker may crash replica 0 (the primary of view 0) at
    /// any point and restart it, once, from its persisted entries.
    pub restarts: bool,
    /// States where a replica is beyond this view are not explored.
    pub max_view: u64,
    /// With the equivocating primary: explore view changes only once
    /// correct backups accepted conflicting pre-prepares (depth-first
    /// search otherwise spends its budget on view changes that start before
    /// the primary's proposals arrive; the view-0 configuration covers the
    /// split without view changes).
    pub view_change_after_split: bool,
}

/// The protocol configuration: up to two requests per batch (the
/// equivocator's forged batch adds one); batch delay and
/// retransmission on a 500 ms grid, request timeout 1 s (the values only
/// order the deadlines; the checker fires them at any point).
pub fn protocol(b: &Bounds) -> Config {
    Config {
        checkpoint_interval: b.checkpoint_interval,
        watermark_window: 2 * b.checkpoint_interval,
        max_batch_requests: 2,
        max_batch_bytes: 1 << 10,
        batch_delay: Duration::from_millis(500),
        request_timeout: Duration::from_millis(1000),
        max_view_change_timeout: Duration::from_millis(4000),
        max_message_bytes: 1 << 20,
        max_pending_requests: 16,
        retransmit_interval: Duration::from_millis(500),
    }
}

pub type PbftModel = ActorModel<PbftActor, Bounds>;
type State = ActorModelState<PbftActor>;

fn hosts(s: &State) -> impl Iterator<Item = &Host> {
    s.actor_states.iter().filter_map(|a| NodeState::host(a))
}

fn correct(s: &State) -> impl Iterator<Item = &Host> {
    hosts(s).filter(|h| !h.byzantine)
}

/// No two correct replicas executed different batches at one sequence number.
fn agreement(_: &PbftModel, s: &State) -> bool {
    let mut seen: BTreeMap<SeqNo, Digest> = BTreeMap::new();
    for h in correct(s) {
        for (seq, d) in &h.app.committed {
            if *seen.entry(*seq).or_insert(*d) != *d {
                return false;
            }
        }
    }
    true
}

/// Every batch a correct replica delivered came in order with a
/// certificate that verifies against the validator set.
fn certified(_: &PbftModel, s: &State) -> bool {
    correct(s).all(|h| h.app.faults.is_empty())
}

fn request_commits(_: &PbftModel, s: &State) -> bool {
    correct(s).any(|h| h.app.requests_executed > 0)
}

fn checkpoint_stable(m: &PbftModel, s: &State) -> bool {
    correct(s).any(|h| h.replica.low_water_mark().0 >= m.cfg.checkpoint_interval)
}

fn view_change_completes(_: &PbftModel, s: &State) -> bool {
    correct(s).any(|h| h.replica.view().0 >= 1 && h.replica.is_view_active() && !h.crashed)
}

fn backups_split(_: &PbftModel, s: &State) -> bool {
    backups_split_in(s)
}

fn backups_split_in(s: &State) -> bool {
    let mut seen: BTreeMap<(View, SeqNo), Digest> = BTreeMap::new();
    correct(s)
        .flat_map(|h| &h.app.proposals)
        .any(|(v, q, d)| *seen.entry((*v, *q)).or_insert(*d) != *d)
}

fn restarted(_: &PbftModel, s: &State) -> bool {
    correct(s).any(|h| h.app.restarts > 0)
}

/// Views up to `max_view`; only the primary of view 0 crashes (stateright
/// may crash any actor; other crashes are pruned), and it restarts once.
fn within(b: &Bounds, s: &State) -> bool {
    let primary = usize::from(crate::wire::actor_of(ReplicaId(0), REPLICAS));
    let split_first = b.view_change_after_split && !backups_split_in(s);
    let max_view = if split_first { 0 } else { b.max_view };
    hosts(s).all(|h| h.replica.view().0 <= max_view && h.app.restarts <= 1)
        && s.crashed
            .iter()
            .enumerate()
            .all(|(a, c)| !c || a == primary)
}

/// The safety properties (never violated) and the reachability ones (an
/// example must exist, so the check is not vacuous).
pub const ALWAYS: [&str; 2] = ["agreement", "commits carry valid certificates"];
pub const SOMETIMES: [&str; 5] = [
    "a request commits",
    "a checkpoint becomes stable",
    "a view change completes",
    "correct backups accept conflicting pre-prepares",
    "a replica restarts from its persisted entries",
];

/// Build the model.
pub fn model(b: &Bounds) -> PbftModel {
    let keys: Vec<_> = (0..REPLICAS as u32).map(|i| sim_key(0, i)).collect();
    let set = ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect())
        .expect("four distinct keys");
    let setup = Arc::new(Setup {
        cfg: protocol(b),
        set,
        keys,
        durable: b.restarts,
    });
    // Actor a is replica n - 1 - a (see `wire::actor_of`).
    let replicas = (0..REPLICAS).rev().map(|i| PbftActor::Replica {
        id: ReplicaId(i as u32),
        role: if i == 0 { b.primary } else { Role::Honest },
        setup: setup.clone(),
    });
    let requests = (1..=b.requests)
        .map(|c| Request {
            client: ClientId(c),
            id: RequestId(1),
            payload: vec![c as u8],
        })
        .collect();
    ActorModel::new(b.clone(), ())
        .actors(replicas)
        .actor(PbftActor::Client {
            requests,
            replicas: REPLICAS,
        })
        .init_network(Network::new_unordered_duplicating([]))
        .lossy_network(if b.lossy {
            LossyNetwork::Yes
        } else {
            LossyNetwork::No
        })
        .max_crashes(usize::from(b.restarts))
        .within_boundary(within)
        .property(Expectation::Always, ALWAYS[0], agreement)
        .property(Expectation::Always, ALWAYS[1], certified)
        .property(Expectation::Sometimes, SOMETIMES[0], request_commits)
        .property(Expectation::Sometimes, SOMETIMES[1], checkpoint_stable)
        .property(Expectation::Sometimes, SOMETIMES[2], view_change_completes)
        .property(Expectation::Sometimes, SOMETIMES[3], backups_split)
        .property(Expectation::Sometimes, SOMETIMES[4], restarted)
}

/// What one check found.
pub struct Outcome {
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub elapsed: Duration,
    /// Safety properties with a counterexample, and its trace.
    pub violations: Vec<(&'static str, String)>,
    /// Reachability properties with an example.
    pub reached: Vec<&'static str>,
    /// Whether the whole bounded space was explored (no state target hit).
    pub exhaustive: bool,
}

/// The state the visited set is keyed by: stateright's duplicating network
/// remembers the last envelope delivered (so that a delivery that changes
/// nothing still makes a new state); two states that differ only there are
/// the same system state, so it is left out.
fn representative(s: &State) -> State {
    let mut r = s.clone();
    if let Network::UnorderedDuplicating(_, last) = &mut r.network {
        *last = None;
    }
    r
}

/// Depth-first search with a visited set, stopping after `target` distinct
/// states (0: the whole bounded space); `progress` prints a line every
/// ten seconds.
pub fn check(b: &Bounds, target: usize, threads: usize, progress: bool) -> Outcome {
    check_depth(b, target, 0, threads, progress)
}

/// [`check`] with paths no longer than `depth` (0: unbounded).
pub fn check_depth(
    b: &Bounds,
    target: usize,
    depth: usize,
    threads: usize,
    progress: bool,
) -> Outcome {
    let start = Instant::now();
    let mut c = model(b)
        .checker()
        .threads(threads)
        .symmetry_fn(representative);
    if target > 0 {
        c = c.target_state_count(target);
    }
    if depth > 0 {
        c = c.target_max_depth(depth);
    }
    let checker = c.spawn_dfs();
    while progress && !checker.is_done() {
        std::thread::sleep(Duration::from_secs(10));
        eprintln!(
            "model_check {:?}: {} distinct states ({} generated), depth {}, {:.0?}",
            b.primary,
            checker.unique_state_count(),
            checker.state_count(),
            checker.max_depth(),
            start.elapsed()
        );
    }
    let checker = checker.join();
    let found = checker.discoveries();
    Outcome {
        unique_states: checker.unique_state_count(),
        total_states: checker.state_count(),
        max_depth: checker.max_depth(),
        elapsed: start.elapsed(),
        violations: ALWAYS
            .iter()
            .filter_map(|p| {
                found.get(p).map(|path| {
                    let last = &path.last_state().actor_states;
                    (*p, format!("{path}last state: {last:#?}"))
                })
            })
            .collect(),
        reached: SOMETIMES
            .into_iter()
            .filter(|p| found.contains_key(p))
            .collect(),
        exhaustive: target == 0 || checker.state_count() < target,
    }
}
