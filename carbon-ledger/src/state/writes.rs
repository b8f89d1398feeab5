//! A block's state writes, sorted by key, their bytes in one buffer.
//!
//! A block writes thousands of small records. Held as a map of owned
//! keys and values, each write is two allocations that all live until the
//! block is committed and are then freed together, which is where a
//! general-purpose allocator is slowest. Here every key and value is
//! appended to one byte buffer, and a sorted list of entries points into
//! it: writes that arrive in key order (the market's write-back, a merge
//! of two write sets) are appended in O(1); others are placed by binary
//! search and shift the entries after them, so a large set written in
//! random order costs O(n²) entry moves (an [`Overlay`](super::Overlay)
//! keeps small writes in an ordered map for that reason). A replaced
//! value leaves its old bytes in the buffer until the set is merged into
//! another; a write set lives for one block.

use std::fmt;
use std::iter::Peekable;
use std::ops::{Bound, Range};

use super::view::{MAX_KEY_BYTES, MAX_VALUE_BYTES};
use crate::error::BlockError;

/// Where one write's key and value are in the buffer.
#[derive(Clone, Copy)]
struct Ent {
    /// Start of the key.
    at: usize,
    key_len: usize,
    /// Length of the value, which follows the key (`None`: a delete).
    val_len: Option<usize>,
}

impl Ent {
    fn key(self) -> Range<usize> {
        self.at..self.at + self.key_len
    }

    fn val(self) -> Option<Range<usize>> {
        let start = self.at + self.key_len;
        self.val_len.map(|n| start..start + n)
    }
}

/// A block's state writes: key -> new value, or `None` for a delete.
/// Kept sorted by key, so iterating it is deterministic.
#[derive(Clone, Default)]
pub struct WriteSet {
    bytes: Vec<u8>,
    /// Sorted by key, one per key.
    entries: Vec<Ent>,
}

impl WriteSet {
    /// An empty write set.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty write set with room for `writes` writes of `bytes` bytes
    /// of keys and values in all.
    pub fn with_capacity(writes: usize, bytes: usize) -> Self {
        WriteSet {
            bytes: Vec::with_capacity(bytes),
            entries: Vec::with_capacity(writes),
        }
    }

    /// Makes room for `writes` more writes of `bytes` bytes in all.
    pub fn reserve(&mut self, writes: usize, bytes: usize) {
        self.entries.reserve(writes);
        self.bytes.reserve(bytes);
    }

    /// Sets `key` to `value` (a later write to the same key wins).
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.write(&key.into(), Some(&value.into()));
    }

    /// Deletes `key`.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.write(&key.into(), None);
    }

    /// Sets `key` to `value` (`None` deletes), without taking ownership:
    /// a later write to the same key wins. Constant time when `key` sorts
    /// after every key already written.
    pub fn write(&mut self, key: &[u8], value: Option<&[u8]>) {
        let e = Ent {
            at: self.bytes.len(),
            key_len: key.len(),
            val_len: value.map(<[u8]>::len),
        };
        self.bytes.extend_from_slice(key);
        if let Some(v) = value {
            self.bytes.extend_from_slice(v);
        }
        let after_last = self
            .entries
            .last()
            .is_none_or(|last| &self.bytes[last.key()] < key);
        if after_last {
            self.entries.push(e);
            return;
        }
        match self.find(key) {
            Ok(i) => self.entries[i] = e,
            Err(i) => self.entries.insert(i, e),
        }
    }

    fn find(&self, key: &[u8]) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| self.bytes[e.key()].cmp(key))
    }

    fn pair(&self, e: Ent) -> (&[u8], Option<&[u8]>) {
        (&self.bytes[e.key()], e.val().map(|r| &self.bytes[r]))
    }

    /// The pending write for `key`: `Some(None)` is a pending delete.
    pub fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        let i = self.find(key).ok()?;
        Some(self.pair(self.entries[i]).1)
    }

    /// Writes in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.entries.iter().map(|e| self.pair(*e))
    }

    /// Writes in key order from `start` on.
    pub fn range_from(&self, start: Bound<&[u8]>) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        let from = match start {
            Bound::Included(k) => self.entries.partition_point(|e| &self.bytes[e.key()] < k),
            Bound::Excluded(k) => self.entries.partition_point(|e| &self.bytes[e.key()] <= k),
            Bound::Unbounded => 0,
        };
        self.entries[from..].iter().map(|e| self.pair(*e))
    }

    /// Number of keys written.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is written.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Applies `other` on top of `self` (its writes win): one merge of
    /// the two sorted lists, O(both), so merging many small sets into a
    /// large one is quadratic (see [`Overlay::absorb`](super::Overlay::absorb)).
    pub fn extend(&mut self, other: WriteSet) {
        if self.is_empty() {
            *self = other;
            return;
        }
        if other.is_empty() {
            return;
        }
        let mut out = WriteSet::with_capacity(
            self.len() + other.len(),
            self.bytes.len() + other.bytes.len(),
        );
        let old = std::mem::take(self);
        for (k, v) in merge(other.iter(), old.iter()) {
            out.write(k, v);
        }
        *self = out;
    }

    /// Checks every key and value against [`MAX_KEY_BYTES`] and
    /// [`MAX_VALUE_BYTES`] (and that no key is empty).
    pub fn check_limits(&self) -> Result<(), BlockError> {
        for (k, v) in self.iter() {
            let vlen = v.map_or(0, <[u8]>::len);
            if k.is_empty() || k.len() > MAX_KEY_BYTES || vlen > MAX_VALUE_BYTES {
                return Err(BlockError::WriteTooLarge {
                    key_len: k.len(),
                    value_len: vlen,
                });
            }
        }
        Ok(())
    }
}

/// Equal when they write the same values to the same keys (whatever
/// replaced bytes each buffer still holds).
impl PartialEq for WriteSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for WriteSet {}

/// The writes in key order, as a map.
impl fmt::Debug for WriteSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Collects writes (`None` deletes); a later write of the same key wins.
/// Fastest when the keys come in order.
impl FromIterator<(Vec<u8>, Option<Vec<u8>>)> for WriteSet {
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>>(iter: I) -> Self {
        let mut w = WriteSet::new();
        for (k, v) in iter {
            w.write(&k, v.as_deref());
        }
        w
    }
}

/// Two streams of writes sorted by key as one sorted stream; on equal
/// keys the write from `newer` wins.
pub(crate) fn merge<'s, A, B>(newer: A, older: B) -> Merge<'s, A, B>
where
    A: Iterator<Item = (&'s [u8], Option<&'s [u8]>)>,
    B: Iterator<Item = (&'s [u8], Option<&'s [u8]>)>,
{
    Merge {
        newer: newer.peekable(),
        older: older.peekable(),
    }
}

/// Two sorted streams of writes as one; on equal keys the newer wins.
pub(crate) struct Merge<'s, A, B>
where
    A: Iterator<Item = (&'s [u8], Option<&'s [u8]>)>,
    B: Iterator<Item = (&'s [u8], Option<&'s [u8]>)>,
{
    newer: Peekable<A>,
    older: Peekable<B>,
}

impl<'s, A, B> Iterator for Merge<'s, A, B>
where
    A: Iterator<Item = (&'s [u8], Option<&'s [u8]>)>,
    B: Iterator<Item = (&'s [u8], Option<&'s [u8]>)>,
{
    type Item = (&'s [u8], Option<&'s [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        let order = match (self.newer.peek(), self.older.peek()) {
            (Some((a, _)), Some((b, _))) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, _) => return self.older.next(),
        };
        match order {
            std::cmp::Ordering::Less => self.newer.next(),
            std::cmp::Ordering::Greater => self.older.next(),
            std::cmp::Ordering::Equal => {
                self.older.next();
                self.newer.next()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    type Op = (Vec<u8>, Option<Vec<u8>>);

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let key = proptest::collection::vec(0u8..4, 0..4);
        let val = proptest::option::of(proptest::collection::vec(any::<u8>(), 0..4));
        proptest::collection::vec((key, val), 0..40)
    }

    fn model(ops: &[Op]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        ops.iter().cloned().collect()
    }

    fn as_vec(w: &WriteSet) -> Vec<Op> {
        w.iter()
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect()
    }

    proptest! {
        /// Whatever the order of the writes, the set reads and iterates
        /// as an ordered map where the last write of a key wins.
        #[test]
        fn behaves_as_an_ordered_map_of_last_writes(ops in ops()) {
            let m = model(&ops);
            let w: WriteSet = ops.iter().cloned().collect();
            prop_assert_eq!(as_vec(&w), m.clone().into_iter().collect::<Vec<_>>());
            prop_assert_eq!(w.len(), m.len());
            for (k, v) in &m {
                prop_assert_eq!(w.get(k), Some(v.as_deref()));
            }
            prop_assert_eq!(w.get(b"absent key"), None);
        }

        /// `extend` is the map of `self`'s writes overwritten by `other`'s.
        #[test]
        fn extend_lets_the_later_set_win(a in ops(), b in ops()) {
            let mut m = model(&a);
            m.extend(model(&b));
            let mut w: WriteSet = a.iter().cloned().collect();
            w.extend(b.iter().cloned().collect());
            prop_assert_eq!(as_vec(&w), m.into_iter().collect::<Vec<_>>());
        }

        /// A range starts at the first key at (or after) its bound.
        #[test]
        fn range_from_starts_at_its_bound(ops in ops(), start in proptest::collection::vec(0u8..4, 0..4)) {
            let m = model(&ops);
            let w: WriteSet = ops.iter().cloned().collect();
            let got: Vec<&[u8]> = w.range_from(Bound::Excluded(&start)).map(|(k, _)| k).collect();
            let want: Vec<&[u8]> = m.range::<[u8], _>((Bound::Excluded(&start[..]), Bound::Unbounded)).map(|(k, _)| k.as_slice()).collect();
            prop_assert_eq!(got, want);
            let got: Vec<&[u8]> = w.range_from(Bound::Included(&start)).map(|(k, _)| k).collect();
            let want: Vec<&[u8]> = m.range::<[u8], _>((Bound::Included(&start[..]), Bound::Unbounded)).map(|(k, _)| k.as_slice()).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn sets_with_the_same_writes_are_equal_whatever_their_history() {
        let mut a = WriteSet::new();
        a.put(b"k".to_vec(), b"old".to_vec());
        a.put(b"k".to_vec(), b"new".to_vec());
        let mut b = WriteSet::new();
        b.put(b"k".to_vec(), b"new".to_vec());
        assert_eq!(a, b);
        b.delete(b"k".to_vec());
        assert_ne!(a, b);
    }

    #[test]
    fn limits_refuse_empty_and_oversized_keys_and_values() {
        let mut w = WriteSet::new();
        w.put(b"ok".to_vec(), vec![0u8; MAX_VALUE_BYTES]);
        assert!(w.check_limits().is_ok());
        for (k, v) in [
            (vec![], Some(vec![1])),
            (vec![1; MAX_KEY_BYTES + 1], None),
            (b"big".to_vec(), Some(vec![0; MAX_VALUE_BYTES + 1])),
        ] {
            let w: WriteSet = std::iter::once((k, v)).collect();
            assert!(matches!(
                w.check_limits(),
                Err(BlockError::WriteTooLarge { .. })
            ));
        }
    }
}
