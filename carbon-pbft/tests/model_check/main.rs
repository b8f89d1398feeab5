//! Model checking of the real `carbon_pbft::Replica` with stateright: each
//! replica, driven by a host that does what the simulator's host does, is a
//! stateright actor on an unordered, duplicating, lossy network. See the
//! crate README, "Model checking", for the bounds and commands.

mod actor;
mod host;
mod model;
mod wire;

use actor::Role;
use model::{Bounds, Outcome, check, check_depth};

/// `requests` requests with K = `requests` (so they reach a checkpoint).
fn bounds(primary: Role, requests: u64, lossy: bool, max_view: u64) -> Bounds {
    Bounds {
        requests,
        checkpoint_interval: requests,
        primary,
        lossy,
        restarts: false,
        max_view,
        view_change_after_split: false,
    }
}

fn assert_safe(o: &Outcome, reach: &[&str]) {
    eprintln!(
        "{} distinct states ({} generated), depth {}, {:.1?}, whole space: {}, reached {:?}",
        o.unique_states, o.total_states, o.max_depth, o.elapsed, o.exhaustive, o.reached
    );
    if let Some((p, trace)) = o.violations.first() {
        panic!("property \"{p}\" violated:\n{trace}");
    }
    for r in reach {
        assert!(o.reached.contains(r), "never reached: {r}");
    }
}

#[test]
fn honest_primary_two_requests_reach_a_stable_checkpoint_safely() {
    let o = check(&bounds(Role::Honest, 2, true, 0), 100_000, 1, false);
    assert_safe(&o, &["a request commits", "a checkpoint becomes stable"]);
}

#[test]
fn crashed_primary_forces_a_view_change_safely() {
    let o = check(&bounds(Role::Crashes, 1, true, 1), 100_000, 1, false);
    assert_safe(&o, &["a request commits", "a view change completes"]);
}

const DEPTH: usize = 40;

#[test]
fn equivocating_primary_never_splits_correct_replicas() {
    let o = check_depth(
        &bounds(Role::Equivocates, 1, false, 0),
        20_000,
        DEPTH,
        1,
        false,
    );
    let split = "correct backups accept conflicting pre-prepares";
    assert_safe(&o, &["a request commits", split]);
}

#[test]
fn restarting_primary_never_breaks_agreement() {
    let b = Bounds {
        restarts: true,
        ..bounds(Role::Honest, 1, false, 0)
    };
    let o = check(&b, 20_000, 1, false);
    let restarts = "a replica restarts from its persisted entries";
    assert_safe(&o, &["a request commits", restarts]);
}

/// The full run: each configuration until `MC_STATES` states were
/// generated (default 5,000,000, counting repeats; 0 for the whole bounded
/// space), on `MC_THREADS` threads (default 2), with a progress line every
/// ten seconds; `MC_CONFIGS=0,2` runs only those configurations.
/// Path length bound of the full run: the checker keeps each pending
/// path, so memory grows with the square of the depth (unbounded, the
/// lossy configurations dive past depth 10,000 and exhaust memory).
const FULL_DEPTH: usize = 60;

#[test]
#[ignore = "long: see the README, Model checking"]
fn full_run() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (target, threads) = (env("MC_STATES", 5_000_000), env("MC_THREADS", 2));
    let commits = "a request commits";
    let split = "correct backups accept conflicting pre-prepares";
    let configs = [
        (
            bounds(Role::Honest, 2, true, 0),
            FULL_DEPTH,
            vec![commits, "a checkpoint becomes stable"],
        ),
        (
            bounds(Role::Crashes, 2, true, 1),
            FULL_DEPTH,
            vec![commits, "a view change completes"],
        ),
        (
            bounds(Role::Equivocates, 1, true, 0),
            DEPTH,
            vec![commits, split],
        ),
        (
            Bounds {
                view_change_after_split: true,
                ..bounds(Role::Equivocates, 1, false, 1)
            },
            DEPTH,
            vec![commits, split],
        ),
        (
            Bounds {
                restarts: true,
                ..bounds(Role::Honest, 2, false, 0)
            },
            DEPTH,
            vec![commits, "a replica restarts from its persisted entries"],
        ),
    ];
    let only: Vec<usize> = std::env::var("MC_CONFIGS")
        .map(|v| v.split(',').filter_map(|i| i.trim().parse().ok()).collect())
        .unwrap_or_default();
    let mut total = 0;
    for (i, (b, depth, reach)) in configs.into_iter().enumerate() {
        if !only.is_empty() && !only.contains(&i) {
            continue;
        }
        eprintln!("model_check: {b:?}, depth bound {depth}");
        // Restarts copy the persisted log at every step: a fifth of the budget.
        let t = if b.restarts { target / 5 } else { target };
        let o = check_depth(&b, t, depth, threads, true);
        assert_safe(&o, &reach);
        total += o.unique_states;
    }
    eprintln!("model_check: {total} distinct states in all, no property violated");
}
