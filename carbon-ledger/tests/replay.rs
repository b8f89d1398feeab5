//! Determinism of the state commitment: the same blocks replayed into two
//! stores give the same roots at every height, and the root depends only on
//! the resulting state, not on the history that produced it.

mod common;

use std::collections::BTreeMap;

use carbon_ledger::{LtHash, WriteSet};
use common::{anchor_tx, next_block, open_store};
use proptest::prelude::*;

/// One block's writes: (key index, Some(value) or None for a delete).
type BlockOps = Vec<(u8, Option<Vec<u8>>)>;

fn ops() -> impl Strategy<Value = Vec<BlockOps>> {
    let op = (
        0u8..24,
        proptest::option::weighted(0.8, proptest::collection::vec(any::<u8>(), 0..12)),
    );
    proptest::collection::vec(proptest::collection::vec(op, 0..10), 1..8)
}

fn to_writes(ops: &BlockOps) -> WriteSet {
    let mut w = WriteSet::new();
    for (k, v) in ops {
        let key = format!("key/{k}").into_bytes();
        match v {
            Some(v) => w.put(key, v.clone()),
            None => w.delete(key),
        }
    }
    w
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn replaying_the_same_blocks_into_two_stores_gives_identical_roots(blocks in ops()) {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, b) = (open_store(da.path()), open_store(db.path()));
        prop_assert_eq!(a.head(), b.head());
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> =
            a.state_prefix(b"", None, 1000).unwrap().items.into_iter().collect();
        for (h, ops) in blocks.iter().enumerate() {
            let w = to_writes(ops);
            let txs = vec![anchor_tx(1, h as u64, "replay")];
            let (block, receipts) = next_block(&a, txs, &w);
            let ha = a.commit(&block, &receipts, &w).unwrap();
            let hb = b.commit(&block, &receipts, &w).unwrap();
            prop_assert_eq!(&ha, &hb);
            for (k, v) in w.iter() {
                match v {
                    Some(v) => model.insert(k.to_vec(), v.to_vec()),
                    None => model.remove(k),
                };
            }
            // The incremental root equals the root of the state built from scratch.
            let mut fresh = LtHash::new();
            for (k, v) in &model {
                fresh.insert(k, v);
            }
            prop_assert_eq!(fresh.root(), ha.state_root);
        }
        prop_assert_eq!(a.verify_integrity().unwrap(), b.verify_integrity().unwrap());
    }

    #[test]
    fn lthash_is_order_independent_and_removal_inverts_insertion(
        entries in proptest::collection::btree_map(proptest::collection::vec(any::<u8>(), 1..8), proptest::collection::vec(any::<u8>(), 0..8), 0..20)
    ) {
        let mut fwd = LtHash::new();
        for (k, v) in &entries { fwd.insert(k, v); }
        let mut rev = LtHash::new();
        for (k, v) in entries.iter().rev() { rev.insert(k, v); }
        prop_assert_eq!(fwd.root(), rev.root());
        for (k, v) in &entries { fwd.remove(k, v); }
        prop_assert_eq!(fwd.root(), LtHash::new().root());
    }
}

#[test]
fn key_value_boundary_is_part_of_the_entry() {
    let mut a = LtHash::new();
    a.insert(b"ab", b"c");
    let mut b = LtHash::new();
    b.insert(b"a", b"bc");
    assert_ne!(a.root(), b.root());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// An overlay's prefix scan equals a scan of the state it would commit.
    #[test]
    fn overlay_scan_equals_the_committed_state_scan(
        base in proptest::collection::vec((0u8..30, any::<u8>()), 0..30),
        ops in proptest::collection::vec((0u8..30, proptest::option::of(any::<u8>())), 0..30),
        limit in 1usize..12,
    ) {
        use carbon_ledger::{Overlay, StateView};
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(dir.path());
        let mut w = WriteSet::new();
        for (k, v) in &base {
            w.put(format!("p/{k:02}").into_bytes(), vec![*v]);
        }
        let (block, receipts) = next_block(&store, vec![], &w);
        store.commit(&block, &receipts, &w).unwrap();
        let mut overlay = Overlay::new(&store);
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = store.state_prefix(b"p/", None, 1000).unwrap().items.into_iter().collect();
        for (k, v) in &ops {
            let key = format!("p/{k:02}").into_bytes();
            match v {
                Some(v) => { overlay.put(key.clone(), vec![*v]); model.insert(key, vec![*v]); }
                None => { overlay.delete(key.clone()); model.remove(&key); }
            }
        }
        // Page through the overlay and compare with the model.
        let mut got = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = overlay.scan_prefix(b"p/", after.as_deref(), limit).unwrap();
            prop_assert!(page.len() <= limit);
            let full = page.len() == limit;
            after = page.last().map(|(k, _)| k.clone());
            got.extend(page);
            if !full { break; }
        }
        let want: Vec<(Vec<u8>, Vec<u8>)> = model.into_iter().collect();
        prop_assert_eq!(got, want);
    }

    /// `StateView::get_into` (the market's reads into a reused buffer)
    /// answers as `get` does, for every view: the store (the default
    /// method), an in-memory state and an overlay with puts and deletes
    /// (their own), whatever the buffer held before.
    #[test]
    fn reads_into_a_buffer_equal_plain_reads(
        base in proptest::collection::vec((0u8..20, any::<u8>()), 0..20),
        ops in proptest::collection::vec((0u8..20, proptest::option::of(any::<u8>())), 0..20),
    ) {
        use carbon_ledger::exec::MemState;
        use carbon_ledger::{Overlay, StateView};
        let key = |k: &u8| format!("p/{k:02}").into_bytes();
        let mut w = WriteSet::new();
        for (k, v) in &base {
            w.put(key(k), vec![*v; usize::from(*v % 4)]);
        }
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(dir.path());
        let (block, receipts) = next_block(&store, vec![], &w);
        store.commit(&block, &receipts, &w).unwrap();
        let mut mem = MemState::new();
        mem.apply(&w);
        let mut overlay = Overlay::new(&mem);
        for (k, v) in &ops {
            match v {
                Some(v) => overlay.put(key(k), vec![*v]),
                None => overlay.delete(key(k)),
            }
        }
        let views: [&dyn StateView; 3] = [&store, &mem, &overlay];
        let mut buf = b"left over".to_vec();
        for view in views {
            for k in 0u8..21 {
                let plain = view.get(&key(&k)).unwrap();
                let found = view.get_into(&key(&k), &mut buf).unwrap();
                prop_assert_eq!(found, plain.is_some());
                prop_assert_eq!(&buf, &plain.unwrap_or_default());
            }
        }
    }
}
