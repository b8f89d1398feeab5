//! The checked entry point: a [`ProvenanceLog`] validates each record
//! against the history already stored before appending it.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use crate::canonical::{Limits, decode_canonical_record};
use crate::error::{Error, ValidationError};
use crate::ids::{DataId, HexBytes, RecordHash, Timestamp};
use crate::model::ActivityKind;
use crate::record::{ChainLink, Record, RecordBody};
use crate::store::ProvenanceStore;
use crate::validate::check_record;

pub(crate) fn store_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> Error {
    Error::Store(Box::new(e))
}

/// A store behind validation: every appended record is checked on its own
/// ([`check_record`]) and against the stored history, and only then stored.
/// A rejected record changes nothing.
///
/// History rules checked here: the activity id is new; an agent seen before
/// has the same public key and kind (the first record of an agent binds its
/// key: trust on first use, see the README); `on_behalf_of` names a known
/// agent; used data exists, is not deleted, and was generated no later than
/// the activity starts; trigger starters and informants are recorded and
/// started no later than this activity; generated data is not deleted and
/// gains no derivation cycle; and each chain link names the current head of
/// its data item.
#[derive(Debug, Default)]
pub struct ProvenanceLog<S> {
    store: S,
    limits: Limits,
}

impl<S: ProvenanceStore> ProvenanceLog<S> {
    /// A log over a store, with [`Limits::RECORD`].
    pub fn new(store: S) -> Self {
        Self::with_limits(store, Limits::RECORD)
    }

    /// A log over a store, with the given per-record limits.
    pub fn with_limits(store: S, limits: Limits) -> Self {
        ProvenanceLog { store, limits }
    }

    /// The underlying store (for queries).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Fills `body.chain` with one link per data item the body touches,
    /// each naming the item's current head in the store: what the executing
    /// agent does before signing.
    pub fn link(&self, body: &mut RecordBody) -> Result<(), Error> {
        let mut chain = Vec::new();
        for data in body.touched() {
            let prev = self.store.head(&data).map_err(store_err)?;
            chain.push(ChainLink {
                data,
                prev: prev.map(HexBytes::from),
            });
        }
        body.chain = chain;
        Ok(())
    }

    /// Decodes a canonical record from untrusted bytes and appends it.
    pub fn append_json(&mut self, bytes: &[u8]) -> Result<RecordHash, Error> {
        let record = decode_canonical_record(bytes, &self.limits)?;
        self.append(record)
    }

    /// Validates a record and appends it; returns its hash.
    pub fn append(&mut self, record: Record) -> Result<RecordHash, Error> {
        let hash = check_record(&record, &self.limits)?;
        self.check_history(&record)?;
        self.store.append(hash, record).map_err(store_err)?;
        Ok(hash)
    }

    fn get(&self, hash: &RecordHash) -> Result<Arc<Record>, Error> {
        self.store
            .get(hash)
            .map_err(store_err)?
            .ok_or_else(|| Error::NotFound(format!("record {hash}")))
    }

    fn check_history(&self, record: &Record) -> Result<(), Error> {
        let body = &record.body;
        let act = &body.activity;
        let agent = &body.agent;

        if self
            .store
            .by_activity(&act.id)
            .map_err(store_err)?
            .is_some()
        {
            return Err(ValidationError::DuplicateActivity(act.id.clone()).into());
        }
        let first = self
            .store
            .by_agent(&agent.id, Timestamp(0), Timestamp(u64::MAX), 1)
            .map_err(store_err)?;
        if let Some(h) = first.first() {
            let known = &self.get(h)?.body.agent;
            if known.public_key != agent.public_key || known.kind != agent.kind {
                return Err(ValidationError::KeyMismatch {
                    agent: agent.id.clone(),
                }
                .into());
            }
        }
        if let Some(principal) = &agent.on_behalf_of {
            let known = self
                .store
                .by_agent(principal, Timestamp(0), Timestamp(u64::MAX), 1)
                .map_err(store_err)?;
            if known.is_empty() {
                return Err(ValidationError::UnknownAgent(principal.clone()).into());
            }
        }

        // Causes: the starter and the informants.
        let mut causes: Vec<_> = act.informed_by.iter().collect();
        if let Some(t) = &act.trigger {
            causes.push(&t.starter);
            if let Some(d) = &t.data
                && self.store.head(d).map_err(store_err)?.is_none()
            {
                return Err(ValidationError::UnknownData(d.clone()).into());
            }
        }
        for cause in causes {
            let h = self
                .store
                .by_activity(cause)
                .map_err(store_err)?
                .ok_or_else(|| ValidationError::UnknownActivity(cause.clone()))?;
            if self.get(&h)?.body.activity.started_at > act.started_at {
                return Err(ValidationError::CauseAfterEffect {
                    activity: act.id.clone(),
                    cause: cause.clone(),
                }
                .into());
            }
        }

        // Chain links, deletion and generation time of every touched item.
        for link in &body.chain {
            let head = self.store.head(&link.data).map_err(store_err)?;
            let found = link
                .prev
                .as_ref()
                .and_then(|p| p.as_array().map(RecordHash));
            if head.is_none() && body.used.binary_search(&link.data).is_ok() {
                return Err(ValidationError::UnknownData(link.data.clone()).into());
            }
            if head != found {
                return Err(ValidationError::BrokenChain {
                    data: link.data.clone(),
                    expected: head,
                    found,
                }
                .into());
            }
            let Some(head) = head else { continue };
            let head_rec = self.get(&head)?;
            if head_rec.body.activity.kind == ActivityKind::Delete
                && head_rec.body.used.binary_search(&link.data).is_ok()
            {
                return Err(ValidationError::DataDeleted {
                    data: link.data.clone(),
                }
                .into());
            }
            if body.used.binary_search(&link.data).is_ok() {
                let generated_at = self.generated_at(&link.data, head)?;
                if generated_at > act.started_at {
                    return Err(ValidationError::UseBeforeGeneration {
                        activity: act.id.clone(),
                        data: link.data.clone(),
                        used_at: act.started_at,
                        generated_at,
                    }
                    .into());
                }
            }
        }

        // Cycles: only an item that already exists can have descendants.
        for d in &body.generated {
            if d.derived_from.is_empty() || self.store.head(&d.id).map_err(store_err)?.is_none() {
                continue;
            }
            if let Some(src) = self.reaches(&d.derived_from, &d.id)? {
                return Err(ValidationError::DerivationCycle {
                    data: d.id.clone(),
                    source_data: src,
                }
                .into());
            }
        }
        Ok(())
    }

    /// End time of the latest activity that generated `data`, walking its
    /// chain back from `head`.
    fn generated_at(&self, data: &DataId, head: RecordHash) -> Result<Timestamp, Error> {
        let mut at = head;
        loop {
            let rec = self.get(&at)?;
            if rec.body.generated.iter().any(|g| g.id == *data) {
                return Ok(rec.body.activity.ended_at);
            }
            let prev = rec
                .body
                .chain
                .iter()
                .find(|l| l.data == *data)
                .and_then(|l| l.prev.as_ref())
                .and_then(|p| p.as_array().map(RecordHash));
            match prev {
                Some(p) => at = p,
                // A stored chain always starts with a generation, since using
                // an item without history is refused; an empty start means
                // "no generation time constraint".
                None => return Ok(Timestamp(0)),
            }
        }
    }

    /// Whether `target` is an ancestor of (or equal to) any of `sources`;
    /// returns the source through which it is reached.
    fn reaches(&self, sources: &[DataId], target: &DataId) -> Result<Option<DataId>, Error> {
        for src in sources {
            let mut seen: HashSet<DataId> = HashSet::new();
            let mut queue = VecDeque::from([src.clone()]);
            while let Some(d) = queue.pop_front() {
                if d == *target {
                    return Ok(Some(src.clone()));
                }
                if !seen.insert(d.clone()) {
                    continue;
                }
                for parent in crate::lineage::direct_sources(&self.store, &d)? {
                    queue.push_back(parent);
                }
            }
        }
        Ok(None)
    }
}
