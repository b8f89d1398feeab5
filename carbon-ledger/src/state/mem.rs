//! A world state held in memory, for tests, benches, simulations and dry
//! runs: what the store holds, without the disk.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::Bound;

use foldhash::fast::RandomState;

use super::view::{Entry, StateView, copy_into, scan_start};
use super::writes::WriteSet;
use crate::error::Result;

/// A world state held in memory.
///
/// Point reads, which execution does thousands of times per block, are
/// one hash lookup (foldhash, randomly seeded: keys ground to collide
/// cannot slow it down); the keys are also kept ordered, for prefix scans
/// and [`MemState::iter`], so nothing observable depends on the hash
/// map's order.
#[derive(Clone, Default)]
pub struct MemState {
    /// The value of each key.
    values: HashMap<Vec<u8>, Vec<u8>, RandomState>,
    /// The same keys, in order.
    keys: BTreeSet<Vec<u8>>,
}

impl MemState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a block's writes.
    pub fn apply(&mut self, w: &WriteSet) {
        for (k, v) in w.iter() {
            match v {
                Some(v) => {
                    if let Some(old) = self.values.get_mut(k) {
                        old.clear();
                        old.extend_from_slice(v);
                    } else {
                        self.values.insert(k.to_vec(), v.to_vec());
                        self.keys.insert(k.to_vec());
                    }
                }
                None => {
                    if self.values.remove(k).is_some() {
                        self.keys.remove(k);
                    }
                }
            }
        }
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.keys.iter().map(|k| (k.as_slice(), self.value(k)))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the state is empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn value(&self, k: &[u8]) -> &[u8] {
        self.values
            .get(k)
            .map(Vec::as_slice)
            .expect("invariant: every ordered key has a value")
    }
}

impl PartialEq for MemState {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl Eq for MemState {}

/// Entries in key order, as a map.
impl fmt::Debug for MemState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl StateView for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.values.get(key).cloned())
    }

    fn get_into(&self, key: &[u8], out: &mut Vec<u8>) -> Result<bool> {
        Ok(copy_into(self.values.get(key).map(Vec::as_slice), out))
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        Ok(self
            .keys
            .range::<[u8], _>((scan_start(prefix, start_after), Bound::Unbounded))
            .take_while(|k| k.starts_with(prefix))
            .take(limit)
            .map(|k| (k.clone(), self.value(k).to_vec()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(entries: &[(&str, Option<&str>)]) -> MemState {
        let mut w = WriteSet::new();
        for (k, v) in entries {
            match v {
                Some(v) => w.put(k.as_bytes(), v.as_bytes()),
                None => w.delete(k.as_bytes()),
            }
        }
        let mut s = MemState::new();
        s.apply(&w);
        s
    }

    #[test]
    fn reads_see_the_last_applied_write_and_deletes_remove_keys() {
        let mut s = state(&[("a", Some("1")), ("b", Some("2"))]);
        s.apply(&{
            let mut w = WriteSet::new();
            w.put(b"a".to_vec(), b"10".to_vec());
            w.delete(b"b".to_vec());
            w.delete(b"never".to_vec());
            w
        });
        assert_eq!(s.get(b"a").unwrap(), Some(b"10".to_vec()));
        assert_eq!(s.get(b"b").unwrap(), None);
        let mut buf = b"stale".to_vec();
        assert!(!s.get_into(b"b", &mut buf).unwrap());
        assert!(buf.is_empty());
        assert_eq!(s.len(), 1);
        assert_eq!(s.iter().count(), 1);
    }

    #[test]
    fn iteration_and_scans_are_in_key_order_whatever_the_insert_order() {
        let s = state(&[
            ("p/c", Some("3")),
            ("p/a", Some("1")),
            ("q", Some("x")),
            ("p/b", Some("2")),
        ]);
        let keys: Vec<&[u8]> = s.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [&b"p/a"[..], b"p/b", b"p/c", b"q"]);
        let page = s.scan_prefix(b"p/", Some(b"p/a"), 1).unwrap();
        assert_eq!(page, vec![(b"p/b".to_vec(), b"2".to_vec())]);
        let all = s.scan_prefix(b"p/", None, 10).unwrap();
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn equal_contents_compare_equal_whatever_the_history() {
        let a = state(&[("x", Some("1")), ("y", Some("2"))]);
        let mut b = state(&[("y", Some("2")), ("z", Some("3")), ("x", Some("0"))]);
        b.apply(&{
            let mut w = WriteSet::new();
            w.delete(b"z".to_vec());
            w.put(b"x".to_vec(), b"1".to_vec());
            w
        });
        assert_eq!(a, b);
    }
}
