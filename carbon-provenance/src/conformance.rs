//! A conformance check for [`ProvenanceStore`] implementations: a backend
//! (such as `carbon-ledger`'s sled store) runs it from its own tests to show
//! it answers every index query exactly as [`MemoryStore`] does.
//!
//! A persistent backend can keep each record as its canonical bytes
//! ([`crate::Record::canonical_bytes`]) under its hash and read it back with
//! [`crate::decode_canonical_record`].

use crate::error::Error;
use crate::example::carbon_trading_history;
use crate::ids::{AgentId, Timestamp};
use crate::log::{ProvenanceLog, store_err};
use crate::store::{MemoryStore, ProvenanceStore};

fn differ(what: String) -> Error {
    Error::StoreMismatch(what)
}

/// Appends the sample carbon-trading history to `store` (which must be
/// empty) through a [`ProvenanceLog`] and compares every query with a
/// [`MemoryStore`] holding the same records. Returns the store.
pub fn check_store<S: ProvenanceStore>(store: S) -> Result<S, Error> {
    if !store.is_empty().map_err(store_err)? {
        return Err(differ("the store under test is not empty".into()));
    }
    let history = carbon_trading_history()?;
    let mut log = ProvenanceLog::new(store);
    let mut reference = ProvenanceLog::new(MemoryStore::new());
    for r in &history.records {
        let a = log.append(r.clone())?;
        let b = reference.append(r.clone())?;
        if a != b {
            return Err(differ(format!("append returned {a}, expected {b}")));
        }
    }
    let (s, m) = (log.store(), reference.store());
    if s.len().map_err(store_err)? != m.len().map_err(store_err)? {
        return Err(differ("len".into()));
    }
    for (hash, rec) in m.iter() {
        let got = s.get(hash).map_err(store_err)?;
        if got.as_deref() != Some(rec) {
            return Err(differ(format!("get({hash})")));
        }
        let act = &rec.body.activity.id;
        if s.by_activity(act).map_err(store_err)? != Some(*hash) {
            return Err(differ(format!("by_activity({act})")));
        }
        for d in rec.body.touched() {
            if s.by_data(&d).map_err(store_err)? != m.by_data(&d).map_err(store_err)? {
                return Err(differ(format!("by_data({d})")));
            }
            if s.head(&d).map_err(store_err)? != m.head(&d).map_err(store_err)? {
                return Err(differ(format!("head({d})")));
            }
        }
    }
    let agents = [
        "mee",
        "acme",
        "acme-cems-01",
        "acme-mrv",
        "cqc-verifier",
        "nobody",
    ];
    let ranges = [
        (0, u64::MAX, usize::MAX),
        (0, u64::MAX, 1),
        (
            crate::example::DAY_ONE,
            crate::example::DAY_ONE + 86_400_000,
            10,
        ),
        (5, 5, 10),
    ];
    for a in agents {
        let a = AgentId::new(a).map_err(crate::error::DecodeError::from)?;
        for (from, to, limit) in ranges {
            let (from, to) = (Timestamp(from), Timestamp(to));
            if s.by_agent(&a, from, to, limit).map_err(store_err)?
                != m.by_agent(&a, from, to, limit).map_err(store_err)?
            {
                return Err(differ(format!("by_agent({a}, {from}, {to}, {limit})")));
            }
        }
    }
    Ok(log.into_store())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use std::sync::Arc;

    #[test]
    fn memory_store_conforms() {
        check_store(MemoryStore::new()).expect("MemoryStore is the reference");
    }

    /// A store that loses the order of a data item's history.
    #[derive(Default)]
    struct Shuffled(MemoryStore);

    impl ProvenanceStore for Shuffled {
        type Error = crate::store::MemoryStoreError;
        fn append(&mut self, h: crate::RecordHash, r: Record) -> Result<(), Self::Error> {
            self.0.append(h, r)
        }
        fn get(&self, h: &crate::RecordHash) -> Result<Option<Arc<Record>>, Self::Error> {
            self.0.get(h)
        }
        fn by_data(&self, d: &crate::DataId) -> Result<Vec<crate::RecordHash>, Self::Error> {
            let mut v = self.0.by_data(d)?;
            v.reverse();
            Ok(v)
        }
        fn head(&self, d: &crate::DataId) -> Result<Option<crate::RecordHash>, Self::Error> {
            self.0.head(d)
        }
        fn by_agent(
            &self,
            a: &AgentId,
            f: Timestamp,
            t: Timestamp,
            l: usize,
        ) -> Result<Vec<crate::RecordHash>, Self::Error> {
            self.0.by_agent(a, f, t, l)
        }
        fn by_activity(
            &self,
            a: &crate::ActivityId,
        ) -> Result<Option<crate::RecordHash>, Self::Error> {
            self.0.by_activity(a)
        }
        fn len(&self) -> Result<u64, Self::Error> {
            self.0.len()
        }
    }

    #[test]
    fn catches_a_store_that_reorders_history() {
        let err = check_store(Shuffled::default())
            .err()
            .expect("must be caught");
        assert!(err.to_string().contains("by_data"), "{err}");
    }
}
