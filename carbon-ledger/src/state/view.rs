//! Reading state and collecting a block's writes.

use std::collections::VecDeque;
use std::ops::Bound;

use super::buffer::Buffer;
use super::writes::WriteSet;
use crate::error::Result;

/// Longest state key (bytes).
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest state value (bytes); an EVM contract's code (24 KiB) fits.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// One entry of a prefix scan.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Read access to a world state (the store's head, or an overlay on it).
pub trait StateView {
    /// The value at `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The value at `key` copied into `out` (replacing its content), and
    /// whether there is one: a read that reuses the caller's buffer
    /// instead of allocating. The default goes through [`StateView::get`];
    /// in-memory views copy straight from their own bytes.
    fn get_into(&self, key: &[u8], out: &mut Vec<u8>) -> Result<bool> {
        match self.get(key)? {
            Some(v) => {
                *out = v;
                Ok(true)
            }
            None => {
                out.clear();
                Ok(false)
            }
        }
    }

    /// Up to `limit` entries whose key starts with `prefix` and sorts after
    /// `start_after` (if given), in key order.
    fn scan_prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>>;
}

/// Copies `v` (if any) into `out`, replacing its content; whether there
/// was a value. For [`StateView::get_into`] of views holding their bytes.
pub fn copy_into(v: Option<&[u8]>, out: &mut Vec<u8>) -> bool {
    out.clear();
    match v {
        Some(v) => {
            out.extend_from_slice(v);
            true
        }
        None => false,
    }
}

/// Where a scan of `prefix` after `start_after` starts: just after
/// `start_after` if that is inside or beyond the prefix's range, else at
/// the prefix itself (a `start_after` sorting before the prefix must not
/// stop the scan before it reaches the prefix's keys).
pub(crate) fn scan_start<'k>(prefix: &'k [u8], start_after: Option<&'k [u8]>) -> Bound<&'k [u8]> {
    match start_after {
        Some(a) if a >= prefix => Bound::Excluded(a),
        _ => Bound::Included(prefix),
    }
}

/// Buffered writes over a base view: reads see the buffer first. Nest one
/// overlay per transaction over the block's overlay to undo a failed
/// transaction by dropping it, or keep it with [`Overlay::absorb`].
pub struct Overlay<'a, V: StateView + ?Sized> {
    base: &'a V,
    writes: Buffer,
}

impl<'a, V: StateView + ?Sized> Overlay<'a, V> {
    /// An empty overlay on `base`.
    pub fn new(base: &'a V) -> Self {
        Overlay {
            base,
            writes: Buffer::default(),
        }
    }

    /// Buffers a write.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.writes.write(key.into(), Some(value.into()));
    }

    /// Buffers a delete.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.writes.write(key.into(), None);
    }

    /// Takes the writes of a nested overlay (e.g. a successful
    /// transaction): linear in the block overall, whether it takes a few
    /// writes at a time or large sets.
    pub fn absorb(&mut self, writes: WriteSet) {
        self.writes.absorb(writes);
    }

    /// A copy of the buffered writes so far.
    pub fn writes(&self) -> WriteSet {
        self.writes.to_writes()
    }

    /// Ends the overlay, returning its writes.
    pub fn into_writes(self) -> WriteSet {
        self.writes.into_writes()
    }
}

impl<V: StateView + ?Sized> StateView for Overlay<'_, V> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.writes.get(key) {
            Some(v) => Ok(v.map(<[u8]>::to_vec)),
            None => self.base.get(key),
        }
    }

    fn get_into(&self, key: &[u8], out: &mut Vec<u8>) -> Result<bool> {
        match self.writes.get(key) {
            Some(v) => Ok(copy_into(v, out)),
            None => self.base.get_into(key, out),
        }
    }

    /// Merges the base's entries with the buffered writes: a buffered value
    /// replaces the base's, a buffered delete hides it.
    fn scan_prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        let mut ours = self
            .writes
            .range_from(scan_start(prefix, start_after))
            .take_while(|(k, _)| k.starts_with(prefix))
            .peekable();
        let page = limit.max(16);
        let mut base: VecDeque<Entry> = VecDeque::new();
        let mut base_after = start_after.map(<[u8]>::to_vec);
        let mut base_done = false;
        let mut out = Vec::new();
        while out.len() < limit {
            if base.is_empty() && !base_done {
                let more = self.base.scan_prefix(prefix, base_after.as_deref(), page)?;
                base_done = more.len() < page;
                base_after = more.last().map(|(k, _)| k.clone());
                base.extend(more);
            }
            let take_ours = match (base.front(), ours.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((bk, _)), Some((ok, _))) => *ok <= bk.as_slice(),
            };
            if take_ours {
                let (k, v) = ours.next().expect("invariant: peeked above");
                if base.front().is_some_and(|(bk, _)| bk.as_slice() == k) {
                    base.pop_front(); // shadowed by our write
                }
                if let Some(v) = v {
                    out.push((k.to_vec(), v.to_vec()));
                }
            } else {
                out.push(base.pop_front().expect("invariant: front checked above"));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemState;

    #[test]
    fn an_overlay_scan_starting_before_the_prefix_still_sees_buffered_writes() {
        let mut base = MemState::new();
        base.apply(&std::iter::once((b"p/b".to_vec(), Some(b"base".to_vec()))).collect());
        let mut o = Overlay::new(&base);
        o.put(b"p/a".to_vec(), b"ours".to_vec());
        // A buffered key between `start_after` and the prefix.
        o.put(b"m/x".to_vec(), b"other".to_vec());
        let got = o.scan_prefix(b"p/", Some(b"a"), 10).unwrap();
        assert_eq!(
            got,
            vec![
                (b"p/a".to_vec(), b"ours".to_vec()),
                (b"p/b".to_vec(), b"base".to_vec())
            ]
        );
        let after = o.scan_prefix(b"p/", Some(b"p/a"), 10).unwrap();
        assert_eq!(after, vec![(b"p/b".to_vec(), b"base".to_vec())]);
    }
}
