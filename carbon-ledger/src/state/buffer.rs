//! An [`Overlay`](super::Overlay)'s buffered writes: large write sets
//! merged into one sorted [`WriteSet`], small ones kept in an ordered map
//! beside it until they add up to a share of it.
//!
//! A block overlay takes both kinds: one large write set per run of market
//! transactions, and a few writes per contract transaction. Merging every
//! small one into the large set would copy the whole set each time
//! (quadratic in the block); inserting every large one entry by entry
//! would cost an allocation per write. Folding the small writes in once
//! they reach a quarter of the merged set keeps both linear overall.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::writes::{WriteSet, merge};

/// Fewest small writes worth folding into the merged set.
const MIN_FOLD: usize = 64;

/// Buffered writes: `recent` wins over `merged`.
#[derive(Default)]
pub(crate) struct Buffer {
    merged: WriteSet,
    recent: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Buffer {
    /// Buffers one write (`None` deletes).
    pub(crate) fn write(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.recent.insert(key, value);
        self.fold_if_due();
    }

    /// Takes a whole write set (its writes win).
    pub(crate) fn absorb(&mut self, writes: WriteSet) {
        if writes.len() >= MIN_FOLD.max(self.merged.len() / 4) {
            self.fold();
            self.merged.extend(writes);
        } else {
            for (k, v) in writes.iter() {
                self.recent.insert(k.to_vec(), v.map(<[u8]>::to_vec));
            }
            self.fold_if_due();
        }
    }

    fn fold_if_due(&mut self) {
        if self.recent.len() >= MIN_FOLD.max(self.merged.len() / 4) {
            self.fold();
        }
    }

    fn fold(&mut self) {
        if !self.recent.is_empty() {
            let recent = std::mem::take(&mut self.recent);
            self.merged.extend(recent.into_iter().collect());
        }
    }

    /// The pending write for `key`: `Some(None)` is a pending delete.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        match self.recent.get(key) {
            Some(v) => Some(v.as_deref()),
            None => self.merged.get(key),
        }
    }

    /// Buffered writes in key order from `start` on.
    pub(crate) fn range_from<'s>(
        &'s self,
        start: Bound<&'s [u8]>,
    ) -> impl Iterator<Item = (&'s [u8], Option<&'s [u8]>)> + 's {
        let recent = self
            .recent
            .range::<[u8], _>((start, Bound::Unbounded))
            .map(|(k, v)| (k.as_slice(), v.as_deref()));
        merge(recent, self.merged.range_from(start))
    }

    /// All the buffered writes, as one set.
    pub(crate) fn into_writes(mut self) -> WriteSet {
        self.fold();
        self.merged
    }

    /// A copy of all the buffered writes, as one set.
    pub(crate) fn to_writes(&self) -> WriteSet {
        let mut w = self.merged.clone();
        w.extend(self.recent.clone().into_iter().collect());
        w
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    type Op = (Vec<u8>, Option<Vec<u8>>);

    fn batches() -> impl Strategy<Value = Vec<Vec<Op>>> {
        let key = proptest::collection::vec(0u8..6, 0..3);
        let val = proptest::option::of(proptest::collection::vec(any::<u8>(), 0..3));
        // Sizes on both sides of the fold thresholds.
        let batch = prop_oneof![
            proptest::collection::vec((key.clone(), val.clone()), 0..4),
            proptest::collection::vec((key, val), 60..200),
        ];
        proptest::collection::vec(batch, 0..12)
    }

    proptest! {
        /// Whatever mix of single writes and whole sets it takes, the
        /// buffer reads, scans and ends as one ordered map where the last
        /// write of a key wins.
        #[test]
        fn behaves_as_one_ordered_map_of_last_writes(batches in batches(), singles in any::<Vec<bool>>()) {
            let mut model: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
            let mut b = Buffer::default();
            for (i, batch) in batches.into_iter().enumerate() {
                model.extend(batch.iter().cloned());
                if singles.get(i).copied().unwrap_or(false) {
                    for (k, v) in batch {
                        b.write(k, v);
                    }
                } else {
                    b.absorb(batch.into_iter().collect());
                }
                for (k, v) in &model {
                    prop_assert_eq!(b.get(k), Some(v.as_deref()));
                }
                let start = [2u8];
                let got: Vec<_> = b.range_from(Bound::Excluded(&start)).collect();
                let want: Vec<_> = model
                    .range::<[u8], _>((Bound::Excluded(&start[..]), Bound::Unbounded))
                    .map(|(k, v)| (k.as_slice(), v.as_deref()))
                    .collect();
                prop_assert_eq!(got, want);
            }
            let want: WriteSet = model.into_iter().collect();
            prop_assert_eq!(&b.to_writes(), &want);
            prop_assert_eq!(b.into_writes(), want);
        }
    }
}
