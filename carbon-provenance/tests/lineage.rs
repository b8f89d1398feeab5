//! Store indexes and lineage queries.

use std::collections::{BTreeMap, BTreeSet};

use carbon_provenance::example::{self, DAY_ONE, activity, agent};
use carbon_provenance::lineage::{agent_activity, ancestors, descendants, history};
use carbon_provenance::{
    ActivityKind, AgentId, AgentKind, Bounds, DataId, Error, MemoryStore, ProvenanceLog, Timestamp,
};
use proptest::prelude::*;

fn log() -> ProvenanceLog<MemoryStore> {
    example::carbon_trading_history()
        .expect("sample builds")
        .replay()
        .expect("sample replays")
}

fn id(s: &str) -> DataId {
    DataId::new(s).expect("valid id")
}

fn names(l: &carbon_provenance::Lineage) -> Vec<(String, u32)> {
    l.nodes
        .iter()
        .map(|n| (n.data.to_string(), n.depth))
        .collect()
}

#[test]
fn ancestors_of_a_surrender_reach_the_sensor_reading() {
    let l = log();
    let up = ancestors(l.store(), &id("surrender-2025"), Bounds::default()).expect("known");
    assert_eq!(
        names(&up),
        vec![
            ("allocation-acme-2025".into(), 1),
            ("verification-2025".into(), 1),
            ("emission-report-2025".into(), 2),
            ("reading-2025-q1".into(), 3),
        ]
    );
    assert!(!up.truncated);
    assert_eq!(up.edges.len(), 4);
}

#[test]
fn descendants_of_a_reading_reach_the_surrender() {
    let l = log();
    let down = descendants(l.store(), &id("reading-2025-q1"), Bounds::default()).expect("known");
    assert_eq!(
        names(&down),
        vec![
            ("emission-report-2025".into(), 1),
            ("verification-2025".into(), 2),
            ("surrender-2025".into(), 3),
        ]
    );
}

#[test]
fn depth_and_node_bounds_truncate_the_walk() {
    let l = log();
    let shallow = Bounds {
        max_depth: 1,
        max_nodes: 100,
    };
    let up = ancestors(l.store(), &id("surrender-2025"), shallow).expect("known");
    assert_eq!(up.nodes.len(), 2);
    assert!(up.truncated);
    let narrow = Bounds {
        max_depth: 64,
        max_nodes: 1,
    };
    let up = ancestors(l.store(), &id("surrender-2025"), narrow).expect("known");
    assert_eq!(up.nodes.len(), 1);
    assert!(up.truncated);
}

#[test]
fn lineage_of_unknown_data_is_not_found() {
    let l = log();
    assert!(matches!(
        ancestors(l.store(), &id("nope"), Bounds::default()),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        history(l.store(), &id("nope")),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn history_lists_every_record_of_an_item_in_order() {
    let l = log();
    let h = history(l.store(), &id("emission-report-2025")).expect("known");
    let acts: Vec<_> = h
        .iter()
        .map(|(_, r)| r.body.activity.id.to_string())
        .collect();
    assert_eq!(
        acts,
        [
            "report-2025-q1",
            "report-2025-q1-fix",
            "report-2025-share",
            "verify-2025"
        ]
    );
}

#[test]
fn agent_activity_is_filtered_by_time_range_and_limit() {
    let l = log();
    let acme = AgentId::new("acme").expect("valid");
    let all =
        agent_activity(l.store(), &acme, Timestamp(0), Timestamp(u64::MAX), 100).expect("memory");
    let acts: Vec<_> = all
        .iter()
        .map(|(_, r)| r.body.activity.id.to_string())
        .collect();
    assert_eq!(acts, ["plan-2025", "report-2025-share", "surrender-2025"]);
    let first_day = agent_activity(
        l.store(),
        &acme,
        Timestamp(DAY_ONE),
        Timestamp(DAY_ONE + 86_400_000),
        100,
    )
    .expect("memory");
    assert_eq!(first_day.len(), 1);
    let limited =
        agent_activity(l.store(), &acme, Timestamp(0), Timestamp(u64::MAX), 2).expect("memory");
    assert_eq!(limited.len(), 2);
    let empty = agent_activity(l.store(), &acme, Timestamp(5), Timestamp(5), 100).expect("memory");
    assert!(empty.is_empty());
}

/// Builds a validated random DAG: item `i` derives from the items `parents[i]`
/// (all with smaller index). Returns the log.
fn random_dag(parents: &[Vec<usize>]) -> ProvenanceLog<MemoryStore> {
    let mut log = ProvenanceLog::new(MemoryStore::new());
    let bot = agent("bot", AgentKind::Software, None).expect("valid");
    for (i, ps) in parents.iter().enumerate() {
        let used: Vec<String> = ps.iter().map(|p| format!("d{p}")).collect();
        let used: Vec<&str> = used.iter().map(String::as_str).collect();
        let kind = if used.is_empty() {
            ActivityKind::Create
        } else {
            ActivityKind::Derive
        };
        let act = activity(&format!("a{i}"), kind, DAY_ONE + i as u64 * 10, 5).expect("valid");
        let d = example::data(&format!("d{i}"), "node", 1, &used).expect("valid");
        example::append(&mut log, act, bot.clone(), &used, vec![d]).expect("valid DAG");
    }
    log
}

fn closure(parents: &[Vec<usize>], start: usize) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    let mut stack = parents[start].clone();
    while let Some(p) = stack.pop() {
        if out.insert(p) {
            stack.extend(parents[p].iter().copied());
        }
    }
    out
}

fn dag_strategy() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (2usize..25).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                if i == 0 {
                    Just(Vec::new()).boxed()
                } else {
                    proptest::collection::btree_set(0..i, 0..3)
                        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
                        .boxed()
                }
            })
            .collect::<Vec<_>>()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Unbounded ancestors equal the transitive closure of the parent
    /// relation, at breadth-first depths; descendants are its inverse.
    #[test]
    fn ancestors_equal_the_transitive_closure(parents in dag_strategy()) {
        let log = random_dag(&parents);
        let mut inverse: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for i in 0..parents.len() {
            let up = ancestors(log.store(), &id(&format!("d{i}")), Bounds::default()).expect("known");
            let got: BTreeSet<usize> = up.nodes.iter()
                .map(|n| n.data.as_str()[1..].parse().expect("d<index>"))
                .collect();
            prop_assert_eq!(&got, &closure(&parents, i));
            prop_assert!(!up.truncated);
            for a in got {
                inverse.entry(a).or_default().insert(i);
            }
        }
        for i in 0..parents.len() {
            let down = descendants(log.store(), &id(&format!("d{i}")), Bounds::default()).expect("known");
            let got: BTreeSet<usize> = down.nodes.iter()
                .map(|n| n.data.as_str()[1..].parse().expect("d<index>"))
                .collect();
            prop_assert_eq!(got, inverse.remove(&i).unwrap_or_default());
        }
    }
}
