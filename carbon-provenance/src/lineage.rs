//! Lineage queries over any [`ProvenanceStore`]: what a data item was
//! derived from and what was derived from it (transitively, bounded by depth
//! and by node count), what an agent did in a time range, and the full
//! history of one item.
//!
//! Lineage is tracked per data id: the sources of an item are the union of
//! the `derived_from` lists of every record that generated a version of it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::Serialize;

use crate::error::Error;
use crate::ids::{AgentId, DataId, RecordHash, Timestamp};
use crate::log::store_err;
use crate::record::Record;
use crate::store::ProvenanceStore;

/// Bounds of a transitive query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Deepest level visited (1 = direct sources or derivatives only).
    pub max_depth: u32,
    /// Most items returned (the root excluded).
    pub max_nodes: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_depth: 64,
            max_nodes: 10_000,
        }
    }
}

/// One item reached by a lineage query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineageNode {
    /// The item.
    pub data: DataId,
    /// Its distance from the root (1 = direct).
    pub depth: u32,
}

/// One derivation edge: `derived` was derived from `source`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DerivationEdge {
    /// The derived item.
    pub derived: DataId,
    /// The item it was derived from.
    pub source: DataId,
}

/// The result of [`ancestors`] or [`descendants`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// The item queried.
    pub root: DataId,
    /// Items reached, breadth first (nearest first), each once.
    pub nodes: Vec<LineageNode>,
    /// Derivation edges between the root and the items reached.
    pub edges: Vec<DerivationEdge>,
    /// Whether a bound stopped the walk before it was complete.
    pub truncated: bool,
}

fn records<S: ProvenanceStore>(
    store: &S,
    data: &DataId,
) -> Result<impl Iterator<Item = Result<Arc<Record>, Error>>, Error> {
    let hashes = store.by_data(data).map_err(store_err)?;
    Ok(hashes.into_iter().map(move |h| {
        store
            .get(&h)
            .map_err(store_err)?
            .ok_or_else(|| Error::NotFound(format!("record {h}")))
    }))
}

/// The items `data` was directly derived from, sorted.
pub fn direct_sources<S: ProvenanceStore>(store: &S, data: &DataId) -> Result<Vec<DataId>, Error> {
    let mut out = Vec::new();
    for rec in records(store, data)? {
        let rec = rec?;
        if let Some(g) = rec.body.generated.iter().find(|g| g.id == *data) {
            out.extend(g.derived_from.iter().cloned());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The items directly derived from `data`, sorted.
pub fn direct_derivatives<S: ProvenanceStore>(
    store: &S,
    data: &DataId,
) -> Result<Vec<DataId>, Error> {
    let mut out = Vec::new();
    for rec in records(store, data)? {
        let rec = rec?;
        for g in &rec.body.generated {
            if g.derived_from.binary_search(data).is_ok() {
                out.push(g.id.clone());
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk<S: ProvenanceStore>(
    store: &S,
    root: &DataId,
    bounds: Bounds,
    up: bool,
) -> Result<Lineage, Error> {
    if store.head(root).map_err(store_err)?.is_none() {
        return Err(Error::NotFound(format!("data {root}")));
    }
    let mut depth_of: HashMap<DataId, u32> = HashMap::from([(root.clone(), 0)]);
    let mut queue = VecDeque::from([root.clone()]);
    let mut lineage = Lineage {
        root: root.clone(),
        nodes: Vec::new(),
        edges: Vec::new(),
        truncated: false,
    };
    while let Some(d) = queue.pop_front() {
        let depth = depth_of[&d];
        let next = if up {
            direct_sources(store, &d)?
        } else {
            direct_derivatives(store, &d)?
        };
        if depth >= bounds.max_depth {
            lineage.truncated |= !next.is_empty();
            continue;
        }
        for n in next {
            let (derived, source) = if up {
                (d.clone(), n.clone())
            } else {
                (n.clone(), d.clone())
            };
            if depth_of.contains_key(&n) {
                lineage.edges.push(DerivationEdge { derived, source });
                continue;
            }
            if lineage.nodes.len() >= bounds.max_nodes {
                lineage.truncated = true;
                return Ok(lineage);
            }
            lineage.edges.push(DerivationEdge { derived, source });
            depth_of.insert(n.clone(), depth + 1);
            lineage.nodes.push(LineageNode {
                data: n.clone(),
                depth: depth + 1,
            });
            queue.push_back(n);
        }
    }
    Ok(lineage)
}

/// Everything `data` was derived from, transitively, within `bounds`.
pub fn ancestors<S: ProvenanceStore>(
    store: &S,
    data: &DataId,
    bounds: Bounds,
) -> Result<Lineage, Error> {
    walk(store, data, bounds, true)
}

/// Everything derived from `data`, transitively, within `bounds`.
pub fn descendants<S: ProvenanceStore>(
    store: &S,
    data: &DataId,
    bounds: Bounds,
) -> Result<Lineage, Error> {
    walk(store, data, bounds, false)
}

/// At most `limit` records executed by `agent` whose activity started in
/// `[from, to)`, by start time.
pub fn agent_activity<S: ProvenanceStore>(
    store: &S,
    agent: &AgentId,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> Result<Vec<(RecordHash, Arc<Record>)>, Error> {
    let hashes = store.by_agent(agent, from, to, limit).map_err(store_err)?;
    hashes
        .into_iter()
        .map(|h| {
            let r = store
                .get(&h)
                .map_err(store_err)?
                .ok_or_else(|| Error::NotFound(format!("record {h}")))?;
            Ok((h, r))
        })
        .collect()
}

/// Every record that used or generated `data`, oldest first (its hash
/// chain in order).
pub fn history<S: ProvenanceStore>(
    store: &S,
    data: &DataId,
) -> Result<Vec<(RecordHash, Arc<Record>)>, Error> {
    let hashes = store.by_data(data).map_err(store_err)?;
    if hashes.is_empty() {
        return Err(Error::NotFound(format!("data {data}")));
    }
    hashes
        .into_iter()
        .map(|h| {
            let r = store
                .get(&h)
                .map_err(store_err)?
                .ok_or_else(|| Error::NotFound(format!("record {h}")))?;
            Ok((h, r))
        })
        .collect()
}
