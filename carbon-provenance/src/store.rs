//! Where records live: a small storage trait and its in-memory implementation.
//!
//! [`ProvenanceStore`] is what a backend must provide: append a record, get
//! it by hash, and the four indexes that validation and lineage queries read
//! (history of a data item and its chain head, records of an agent by time,
//! the record of an activity). A store does not validate: records reach it
//! through [`crate::ProvenanceLog`], which does. `carbon-ledger` implements
//! the trait over sled; [`MemoryStore`] is the in-memory implementation.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::ids::{ActivityId, AgentId, DataId, RecordHash, Timestamp};
use crate::record::Record;

/// Storage of validated records, ordered by append, with the indexes that
/// validation and queries need.
pub trait ProvenanceStore {
    /// The backend's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Appends a record that [`crate::ProvenanceLog`] has validated, under
    /// its hash. Appending is all-or-nothing.
    fn append(&mut self, hash: RecordHash, record: Record) -> Result<(), Self::Error>;

    /// The record with this hash.
    fn get(&self, hash: &RecordHash) -> Result<Option<Arc<Record>>, Self::Error>;

    /// Hashes of every record that used or generated the data item, oldest
    /// first (the item's hash chain in order).
    fn by_data(&self, data: &DataId) -> Result<Vec<RecordHash>, Self::Error>;

    /// The latest record that used or generated the data item: the head of
    /// its hash chain.
    fn head(&self, data: &DataId) -> Result<Option<RecordHash>, Self::Error>;

    /// Hashes of at most `limit` records executed by the agent whose
    /// activity started in `[from, to)`, by start time then append order.
    fn by_agent(
        &self,
        agent: &AgentId,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<RecordHash>, Self::Error>;

    /// The record of the activity.
    fn by_activity(&self, activity: &ActivityId) -> Result<Option<RecordHash>, Self::Error>;

    /// Number of records stored.
    fn len(&self) -> Result<u64, Self::Error>;

    /// Whether the store holds no record.
    fn is_empty(&self) -> Result<bool, Self::Error> {
        Ok(self.len()? == 0)
    }
}

/// In-memory store: records in append order plus hash maps and an ordered
/// agent/time index. Nothing it hashes or exports depends on hash-map order.
#[derive(Default, Debug)]
pub struct MemoryStore {
    records: Vec<(RecordHash, Arc<Record>)>,
    by_hash: HashMap<RecordHash, u32>,
    by_data: HashMap<DataId, Vec<u32>>,
    by_agent: BTreeSet<(AgentId, Timestamp, u32)>,
    by_activity: HashMap<ActivityId, u32>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// All records in append order, with their hashes.
    pub fn iter(&self) -> impl Iterator<Item = (&RecordHash, &Record)> {
        self.records.iter().map(|(h, r)| (h, r.as_ref()))
    }

    fn hash_at(&self, i: u32) -> RecordHash {
        // Invariant: every index stored in a map was the length of `records`
        // when that record was pushed, so it is in bounds.
        self.records[i as usize].0
    }
}

/// Errors of [`MemoryStore`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryStoreError {
    /// The store already holds 2^32 - 1 records.
    #[error("memory store is full")]
    Full,
    /// A record with this hash is already stored.
    #[error("record {0} is already stored")]
    Duplicate(RecordHash),
}

impl ProvenanceStore for MemoryStore {
    type Error = MemoryStoreError;

    fn append(&mut self, hash: RecordHash, record: Record) -> Result<(), Self::Error> {
        let idx = u32::try_from(self.records.len()).map_err(|_| MemoryStoreError::Full)?;
        if idx == u32::MAX {
            return Err(MemoryStoreError::Full);
        }
        if self.by_hash.contains_key(&hash) {
            return Err(MemoryStoreError::Duplicate(hash));
        }
        self.by_hash.insert(hash, idx);
        for id in record.body.touched() {
            self.by_data.entry(id).or_default().push(idx);
        }
        let body = &record.body;
        self.by_agent
            .insert((body.agent.id.clone(), body.activity.started_at, idx));
        self.by_activity.insert(body.activity.id.clone(), idx);
        self.records.push((hash, Arc::new(record)));
        Ok(())
    }

    fn get(&self, hash: &RecordHash) -> Result<Option<Arc<Record>>, Self::Error> {
        Ok(self
            .by_hash
            .get(hash)
            .map(|&i| Arc::clone(&self.records[i as usize].1)))
    }

    fn by_data(&self, data: &DataId) -> Result<Vec<RecordHash>, Self::Error> {
        Ok(self
            .by_data
            .get(data)
            .map(|v| v.iter().map(|&i| self.hash_at(i)).collect())
            .unwrap_or_default())
    }

    fn head(&self, data: &DataId) -> Result<Option<RecordHash>, Self::Error> {
        Ok(self
            .by_data
            .get(data)
            .and_then(|v| v.last())
            .map(|&i| self.hash_at(i)))
    }

    fn by_agent(
        &self,
        agent: &AgentId,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<RecordHash>, Self::Error> {
        if from >= to {
            return Ok(Vec::new());
        }
        let lo = (agent.clone(), from, 0u32);
        let hi = (agent.clone(), to, 0u32);
        Ok(self
            .by_agent
            .range(lo..hi)
            .take(limit)
            .map(|(_, _, i)| self.hash_at(*i))
            .collect())
    }

    fn by_activity(&self, activity: &ActivityId) -> Result<Option<RecordHash>, Self::Error> {
        Ok(self.by_activity.get(activity).map(|&i| self.hash_at(i)))
    }

    fn len(&self) -> Result<u64, Self::Error> {
        Ok(self.records.len() as u64)
    }
}
