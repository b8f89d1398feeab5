//! A journaled cache of one kind of market record for one block: a value
//! is read and decoded from the base state once, on first touch, changed
//! in place by every operation after that, and encoded and written back
//! once when the block ends. An undo journal restores a failed
//! transaction's changes, and lists the keys the open transaction wrote
//! (receipts count them).
//!
//! Determinism: the cache is a hash map with a randomly seeded hasher
//! (foldhash, so that keys chosen to collide cannot slow a block down),
//! used for lookups only: nothing iterates it in map order into anything
//! hashed. The write-back sorts the written records by key first, and
//! the block's writes are a [`WriteSet`](crate::state::WriteSet), whose
//! content does not depend on the order it is filled in either.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;

use foldhash::fast::RandomState;

use super::error::MResult;
use super::types::{Asset, Instrument, OrderId, PeriodId, Side};
use super::wire::EncFn;
use crate::state::{StateView, WriteSet};
use crate::types::AccountId;

/// The caches' map: a fast hasher with a per-process random seed.
type FastMap<K, V> = HashMap<K, V, RandomState>;

/// One cached record.
#[derive(Clone)]
struct Slot<V> {
    /// Current value (`None`: absent or deleted).
    val: Option<V>,
    /// Written by an operation: goes into the block's writes (a `None`
    /// then is a delete, even of a key the base never had).
    written: bool,
    /// The transaction that last journaled it (0: none).
    tx: u32,
}

/// The cache of one record kind, keyed natively.
pub(crate) struct Table<K, V> {
    map: FastMap<K, Slot<V>>,
    /// The open transaction's first write of each key: the key and its
    /// slot before (`None`: it was not cached).
    undo: Vec<(K, Option<Slot<V>>)>,
    key: KeyFn<K>,
    enc: EncFn<V>,
    dec: fn(&[u8]) -> MResult<V>,
    /// Reused for the key and the bytes of every base read.
    buf: (Vec<u8>, Vec<u8>),
}

/// Appends a record's state key to a buffer.
pub(crate) type KeyFn<K> = fn(&K, &mut Vec<u8>);

/// A cheap first sort key of a cache key, consistent with its `Ord`
/// (`a.rank() < b.rank()` implies `a < b`; equal ranks fall back to
/// `Ord`): the write-back sorts thousands of keys, and a 32-byte account
/// compares far more slowly than its first 8 bytes.
pub(crate) trait Rank {
    /// The first sort key (default: none, `Ord` decides).
    fn rank(&self) -> u64 {
        0
    }
}

impl Rank for AccountId {
    fn rank(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        u64::from_be_bytes(b)
    }
}

impl Rank for (AccountId, Asset) {
    fn rank(&self) -> u64 {
        self.0.rank()
    }
}

impl Rank for u64 {
    fn rank(&self) -> u64 {
        *self
    }
}

impl Rank for OrderId {
    fn rank(&self) -> u64 {
        self.0
    }
}

impl Rank for PeriodId {
    fn rank(&self) -> u64 {
        u64::from(self.0)
    }
}

impl Rank for Vec<u8> {}
impl Rank for &'static str {}
impl Rank for Instrument {}
impl Rank for (Instrument, Side) {}
impl Rank for (Instrument, Side, u64) {}
impl Rank for (Instrument, u64) {}

impl<K: Ord + Hash + Clone + Rank, V: Clone> Table<K, V> {
    /// An empty cache: `key` builds a record's state key (its byte order
    /// must be the order of `K`), `enc`/`dec` are its value codec.
    pub(crate) fn new(key: KeyFn<K>, enc: EncFn<V>, dec: fn(&[u8]) -> MResult<V>) -> Self {
        Table {
            map: FastMap::default(),
            undo: Vec::new(),
            key,
            enc,
            dec,
            buf: (Vec::new(), Vec::new()),
        }
    }

    /// Records cached (read or written): at least as many as the
    /// write-back writes.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Makes room for `n` more records without growing the map.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
    }

    fn slot<'t>(
        map: &'t mut FastMap<K, Slot<V>>,
        buf: &mut (Vec<u8>, Vec<u8>),
        k: &K,
        base: &dyn StateView,
        key: KeyFn<K>,
        dec: fn(&[u8]) -> MResult<V>,
    ) -> MResult<&'t mut Slot<V>> {
        match map.entry(k.clone()) {
            Entry::Occupied(o) => Ok(o.into_mut()),
            Entry::Vacant(v) => {
                let (kb, vb) = buf;
                kb.clear();
                key(k, kb);
                let val = match base.get_into(kb, vb)? {
                    true => Some(dec(vb)?),
                    false => None,
                };
                Ok(v.insert(Slot {
                    val,
                    written: false,
                    tx: 0,
                }))
            }
        }
    }

    /// The value of `k` (read from `base` on first touch).
    pub(crate) fn get(&mut self, base: &dyn StateView, k: &K) -> MResult<Option<&V>> {
        Ok(
            Self::slot(&mut self.map, &mut self.buf, k, base, self.key, self.dec)?
                .val
                .as_ref(),
        )
    }

    /// The value of `k` if cached, without reading the base.
    pub(crate) fn cached<Q>(&self, k: &Q) -> Option<Option<&V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(k).map(|s| s.val.as_ref())
    }

    /// The value of `k` to change in place: marks it written by
    /// transaction `tx` (0: no journal; the caller then drops the whole
    /// cache on failure).
    pub(crate) fn write(
        &mut self,
        base: &dyn StateView,
        k: &K,
        tx: u32,
    ) -> MResult<&mut Option<V>> {
        let slot = Self::slot(&mut self.map, &mut self.buf, k, base, self.key, self.dec)?;
        if tx != 0 && slot.tx != tx {
            self.undo.push((k.clone(), Some(slot.clone())));
            slot.tx = tx;
        }
        slot.written = true;
        Ok(&mut slot.val)
    }

    /// Sets `k` to `v` without reading it first.
    pub(crate) fn put(&mut self, k: K, v: Option<V>, tx: u32) {
        match self.map.entry(k) {
            Entry::Occupied(mut o) => {
                let slot = o.get_mut();
                if tx != 0 && slot.tx != tx {
                    let old = slot.clone();
                    slot.tx = tx;
                    self.undo.push((o.key().clone(), Some(old)));
                }
                let slot = o.get_mut();
                slot.val = v;
                slot.written = true;
            }
            Entry::Vacant(e) => {
                if tx != 0 {
                    self.undo.push((e.key().clone(), None));
                }
                e.insert(Slot {
                    val: v,
                    written: true,
                    tx,
                });
            }
        }
    }

    /// Undoes the open transaction's writes.
    pub(crate) fn rollback(&mut self) {
        while let Some((k, old)) = self.undo.pop() {
            match old {
                Some(s) => self.map.insert(k, s),
                None => self.map.remove(&k),
            };
        }
    }

    /// Keeps the open transaction's writes.
    pub(crate) fn commit(&mut self) {
        self.undo.clear();
    }

    /// Adds the keys the open transaction wrote and their bytes (key plus
    /// encoded value; 0 for a delete) to `keys` and `bytes`.
    pub(crate) fn tx_cost(&self, keys: &mut u64, bytes: &mut u64) {
        let mut b = Vec::new();
        for (k, _) in &self.undo {
            b.clear();
            (self.key)(k, &mut b);
            if let Some(v) = self.map.get(k).and_then(|s| s.val.as_ref()) {
                (self.enc)(v, &mut b);
            }
            let n = b.len();
            *keys = keys.saturating_add(1);
            *bytes = bytes.saturating_add(n as u64);
        }
    }

    /// Writes every written record, encoded, to `out`, in key order.
    pub(crate) fn write_back(self, out: &mut WriteSet) {
        let mut map = self.map;
        let mut written: Vec<(u64, &K, &mut Slot<V>)> = Vec::with_capacity(map.len());
        written.extend(
            map.iter_mut()
                .filter(|(_, s)| s.written)
                .map(|(k, s)| (k.rank(), k, s)),
        );
        written.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let (mut kb, mut vb) = self.buf;
        for (_, k, s) in written {
            kb.clear();
            (self.key)(k, &mut kb);
            let val = s.val.as_ref().map(|v| {
                vb.clear();
                (self.enc)(v, &mut vb);
                vb.as_slice()
            });
            out.write(&kb, val);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The write-back's first sort key never contradicts the order of
        /// the keys (and so of their state keys).
        #[test]
        fn rank_never_contradicts_key_order(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), p in any::<u32>()) {
            let (a, b) = (AccountId(a), AccountId(b));
            if a.rank() < b.rank() {
                prop_assert!(a < b);
            }
            let (x, y) = ((a, Asset::Allowance(PeriodId(p))), (b, Asset::Token));
            if x.rank() < y.rank() {
                prop_assert!(x < y);
            }
        }
    }
}
