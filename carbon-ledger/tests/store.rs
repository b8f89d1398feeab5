//! The sled store: atomic commits, reopening, refusals that change nothing,
//! corrupted records named in errors, bounded queries, blobs.

mod common;

use carbon_ledger::store::MAX_PAGE;
use carbon_ledger::{
    BlockError, BlockHash, Error, Hash32, Height, QueryError, StateView, Store, StoreConfig,
    StoreError, TxIndex, WriteSet,
};
use common::{anchor_tx, next_block, open_store};

fn writes(pairs: &[(&str, &str)]) -> WriteSet {
    let mut w = WriteSet::new();
    for (k, v) in pairs {
        w.put(k.as_bytes(), v.as_bytes());
    }
    w
}

/// A snapshot of everything a refused commit must leave unchanged.
fn snapshot(store: &Store) -> (carbon_ledger::ChainHead, carbon_ledger::store::StatePage) {
    (
        store.head().unwrap(),
        store.state_prefix(b"", None, MAX_PAGE).unwrap(),
    )
}

#[test]
fn committed_blocks_and_state_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (head, tx_hash) = {
        let store = open_store(dir.path());
        let tx = anchor_tx(1, 0, "report");
        let (block, receipts) = next_block(&store, vec![tx.clone()], &writes(&[("acct/1", "100")]));
        let head = store
            .commit(&block, &receipts, &writes(&[("acct/1", "100")]))
            .unwrap();
        (head, tx.hash())
    };
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(
        store.state_get(b"acct/1").unwrap().as_deref(),
        Some(&b"100"[..])
    );
    assert_eq!(store.get(b"acct/1").unwrap().as_deref(), Some(&b"100"[..]));
    let rec = store.transaction(&tx_hash).unwrap().unwrap();
    assert_eq!(rec.location.height, Height(1));
    assert_eq!(rec.location.index, TxIndex(0));
    let report = store.verify_integrity().unwrap();
    assert_eq!(report.blocks, 2);
}

#[test]
fn preview_root_equals_committed_root_and_state_root_is_history_independent() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let genesis_root = store.head().unwrap().state_root;
    let w = writes(&[("a", "1"), ("b", "2")]);
    let preview = store.preview_state_root(&w).unwrap();
    let (block, r) = next_block(&store, vec![], &w);
    assert_eq!(store.commit(&block, &r, &w).unwrap().state_root, preview);
    // Deleting what was added returns to the genesis root.
    let mut del = WriteSet::new();
    del.delete(b"a".to_vec());
    del.delete(b"b".to_vec());
    let (block, r) = next_block(&store, vec![], &del);
    assert_eq!(
        store.commit(&block, &r, &del).unwrap().state_root,
        genesis_root
    );
    // Writing the same value again changes nothing.
    let w = writes(&[("c", "3")]);
    let (block, r) = next_block(&store, vec![], &w);
    let root = store.commit(&block, &r, &w).unwrap().state_root;
    let (block, r) = next_block(&store, vec![], &w);
    assert_eq!(store.commit(&block, &r, &w).unwrap().state_root, root);
}

#[test]
fn refused_blocks_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let w = writes(&[("k", "v")]);
    let (good, receipts) = next_block(&store, vec![anchor_tx(1, 0, "a")], &w);
    let before = snapshot(&store);

    let mut b = good.clone();
    b.header.parent = BlockHash([7; 32]);
    assert!(matches!(
        store.commit(&b, &receipts, &w),
        Err(Error::Block(BlockError::WrongParent { .. }))
    ));
    let mut b = good.clone();
    b.header.height = Height(5);
    assert!(matches!(
        store.commit(&b, &receipts, &w),
        Err(Error::Block(BlockError::WrongHeight { .. }))
    ));
    let mut b = good.clone();
    b.header.tx_root = Hash32::ZERO;
    assert!(matches!(
        store.commit(&b, &receipts, &w),
        Err(Error::Block(BlockError::TxRootMismatch))
    ));
    let mut b = good.clone();
    b.header.receipts_root = Hash32::ZERO;
    assert!(matches!(
        store.commit(&b, &receipts, &w),
        Err(Error::Block(BlockError::ReceiptsRootMismatch))
    ));
    let mut b = good.clone();
    b.header.tx_count = 2;
    assert!(matches!(
        store.commit(&b, &receipts, &w),
        Err(Error::Block(BlockError::TxCountMismatch { .. }))
    ));
    assert!(matches!(
        store.commit(&good, &[], &w),
        Err(Error::Block(BlockError::ReceiptMismatch))
    ));
    let other = writes(&[("k", "other")]);
    assert!(matches!(
        store.commit(&good, &receipts, &other),
        Err(Error::Block(BlockError::StateRootMismatch { .. }))
    ));
    let mut b = good.clone();
    b.header.chain_id = carbon_ledger::ChainId::new("elsewhere").unwrap();
    assert!(matches!(
        store.commit(&b, &receipts, &w),
        Err(Error::Block(BlockError::WrongChain { .. }))
    ));
    let mut huge = WriteSet::new();
    huge.put(vec![1u8; 2000], b"v".to_vec());
    assert!(matches!(
        store.commit(&good, &receipts, &huge),
        Err(Error::Block(BlockError::WriteTooLarge { .. }))
    ));

    assert_eq!(
        snapshot(&store),
        before,
        "a refused block changed the store"
    );
    assert!(
        store
            .transaction(&good.transactions[0].hash())
            .unwrap()
            .is_none()
    );
    store.commit(&good, &receipts, &w).unwrap();
    // The same block again: its height no longer follows the head.
    assert!(matches!(
        store.commit(&good, &receipts, &w),
        Err(Error::Block(BlockError::WrongHeight { .. }))
    ));
}

#[test]
fn rejects_transaction_already_on_chain_or_repeated_in_block() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let tx = anchor_tx(1, 0, "a");
    let (b, r) = next_block(&store, vec![tx.clone(), tx.clone()], &WriteSet::new());
    assert!(matches!(
        store.commit(&b, &r, &WriteSet::new()),
        Err(Error::Block(BlockError::DuplicateTransaction(_)))
    ));
    let (b, r) = next_block(&store, vec![tx.clone()], &WriteSet::new());
    store.commit(&b, &r, &WriteSet::new()).unwrap();
    let (b, r) = next_block(&store, vec![tx], &WriteSet::new());
    assert!(matches!(
        store.commit(&b, &r, &WriteSet::new()),
        Err(Error::Block(BlockError::DuplicateTransaction(_)))
    ));
}

#[test]
fn blocks_headers_and_proofs_are_queryable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let mut hashes = Vec::new();
    for h in 0..5u64 {
        let txs: Vec<_> = (0..7)
            .map(|i| anchor_tx(1 + i as u8, h, &format!("doc {h}/{i}")))
            .collect();
        hashes.extend(txs.iter().map(|t| t.hash()));
        let (b, r) = next_block(&store, txs, &WriteSet::new());
        store.commit(&b, &r, &WriteSet::new()).unwrap();
    }
    let b3 = store.block_by_height(Height(3)).unwrap().unwrap();
    assert_eq!(store.block_by_hash(&b3.hash()).unwrap().unwrap(), b3);
    assert_eq!(b3.transactions.len(), 7);
    assert!(store.block_by_height(Height(6)).unwrap().is_none());

    let p1 = store.headers(Height(0), 4).unwrap();
    assert_eq!(p1.items.len(), 4);
    assert_eq!(p1.next, Some(Height(4)));
    let p2 = store.headers(p1.next.unwrap(), 4).unwrap();
    assert_eq!(p2.items.len(), 2);
    assert_eq!(p2.next, None);
    assert!(matches!(
        store.headers(Height(0), 0),
        Err(Error::Query(QueryError::BadLimit { .. }))
    ));
    assert!(matches!(
        store.headers(Height(0), MAX_PAGE + 1),
        Err(Error::Query(QueryError::BadLimit { .. }))
    ));

    for h in &hashes {
        let inc = store.transaction_proof(h).unwrap().unwrap();
        let header = store.header(inc.record.location.height).unwrap().unwrap();
        inc.verify(&header).unwrap();
        // Against another block's header, or with a mutated receipt, it fails.
        let other = store
            .header(Height(if header.height.0 == 1 { 2 } else { 1 }))
            .unwrap()
            .unwrap();
        assert!(inc.verify(&other).is_err());
        let mut bad = inc.clone();
        bad.record.receipt.cost.keys_written = 99;
        assert!(bad.verify(&header).is_err());
        let mut bad = inc.clone();
        bad.record.location.index = TxIndex((inc.record.location.index.0 + 1) % 7);
        assert!(bad.verify(&header).is_err());
    }
    assert!(
        store
            .transaction_proof(&carbon_ledger::TxHash([1; 32]))
            .unwrap()
            .is_none()
    );
}

#[test]
fn state_prefix_pages_through_every_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let mut w = WriteSet::new();
    for i in 0..25u32 {
        w.put(
            format!("acct/{i:03}").into_bytes(),
            i.to_le_bytes().to_vec(),
        );
    }
    w.put(b"acct0".to_vec(), b"not in the prefix".to_vec());
    let (b, r) = next_block(&store, vec![], &w);
    store.commit(&b, &r, &w).unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        let page = store.state_prefix(b"acct/", cursor.as_deref(), 10).unwrap();
        seen.extend(page.items.into_iter().map(|(k, _)| k));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn blobs_are_addressed_by_sha256_and_checked_on_read() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_store(dir.path());
        let d = store.put_blob(b"ciphertext bytes").unwrap();
        assert_eq!(d, Hash32::digest(b"ciphertext bytes"));
        assert_eq!(store.blob(&d).unwrap().unwrap(), b"ciphertext bytes");
        assert!(store.delete_blob(&d).unwrap());
        assert!(store.blob(&d).unwrap().is_none());
        store.put_blob(b"kept").unwrap();
        let small =
            Store::open(StoreConfig::new(dir.path().join("small")).max_blob_bytes(4)).unwrap();
        assert!(matches!(
            small.put_blob(b"12345"),
            Err(Error::Store(StoreError::BlobTooLarge { .. }))
        ));
    }
    // Corrupt the blob on disk: reading it names the blob.
    let d = Hash32::digest(b"kept");
    {
        let db = raw_sled(dir.path());
        db.insert([&b"b/"[..], &d.0].concat(), &b"tampered"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    let err = store.blob(&d).unwrap_err().to_string();
    assert!(err.contains("blob") && err.contains(&d.to_hex()), "{err}");
}

/// Opens the store's sled database directly, to tamper with it. sled lets go
/// of its file lock a moment after the last handle is dropped (its background
/// threads hold the files), so wait for it as `Store::open` does.
fn raw_sled(dir: &std::path::Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() < deadline => {
                assert!(e.to_string().contains("could not acquire lock"), "{e}");
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("sled did not release its lock: {e}"),
        }
    }
}

fn corrupt(dir: &std::path::Path, key: Vec<u8>, value: &[u8]) {
    let db = raw_sled(dir);
    db.insert(key, value).unwrap();
    db.flush().unwrap();
}

#[test]
fn corrupted_head_record_is_named_on_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_store(dir.path()));
    corrupt(dir.path(), b"m/head".to_vec(), b"\x01garbage");
    match Store::open(StoreConfig::new(dir.path())) {
        Err(Error::Store(StoreError::Corrupt { record, .. })) => {
            assert!(record.contains("chain head"), "{record}")
        }
        other => panic!("expected a corrupt-record error, got {:?}", other.err()),
    }
}

#[test]
fn corrupted_header_and_transaction_records_are_named_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let tx = anchor_tx(1, 0, "a");
    {
        let store = open_store(dir.path());
        let (b, r) = next_block(&store, vec![tx.clone()], &WriteSet::new());
        store.commit(&b, &r, &WriteSet::new()).unwrap();
        let (b, r) = next_block(&store, vec![], &WriteSet::new());
        store.commit(&b, &r, &WriteSet::new()).unwrap();
    }
    corrupt(
        dir.path(),
        [&b"h/"[..], &1u64.to_be_bytes()].concat(),
        &[0xff; 10],
    );
    corrupt(
        dir.path(),
        [&b"t/"[..], &tx.hash().0].concat(),
        &[0x01, 0x02],
    );
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    let e = store.block_by_height(Height(1)).unwrap_err().to_string();
    assert!(e.contains("header at height 1"), "{e}");
    let e = store.transaction(&tx.hash()).unwrap_err().to_string();
    assert!(e.contains(&format!("transaction {}", tx.hash())), "{e}");
    let e = store.verify_integrity().unwrap_err().to_string();
    assert!(e.contains("corrupt record"), "{e}");
    // Unaffected records still read.
    assert!(store.block_by_height(Height(2)).unwrap().is_some());
}

#[test]
fn corrupted_state_value_is_caught_by_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_store(dir.path());
        let w = writes(&[("x", "1")]);
        let (b, r) = next_block(&store, vec![], &w);
        store.commit(&b, &r, &w).unwrap();
    }
    corrupt(dir.path(), b"s/x".to_vec(), b"2");
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    let e = store.verify_integrity().unwrap_err().to_string();
    assert!(e.contains("world state"), "{e}");
}

#[test]
fn uninitialised_store_refuses_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    assert!(store.head().is_none());
    assert!(store.headers(Height(0), 10).unwrap().items.is_empty());
    assert!(store.block_by_height(Height(0)).unwrap().is_none());
    let other = open_store(&dir.path().join("other"));
    let (b, r) = next_block(&other, vec![], &WriteSet::new());
    assert!(matches!(
        store.commit(&b, &r, &WriteSet::new()),
        Err(Error::Store(StoreError::NotInitialised))
    ));
}

#[test]
fn torn_sled_snapshot_left_by_a_crash_does_not_prevent_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let head = {
        let store = open_store(dir.path());
        let w = writes(&[("k", "v")]);
        let (b, r) = next_block(&store, vec![], &w);
        store.commit(&b, &r, &w).unwrap()
    };
    // What a kill during sled's snapshot writing leaves behind: a partial
    // file that sorts after every committed snapshot.
    std::fs::write(
        dir.path().join("snap.FFFFFFFFFFFFFFFF.generating"),
        b"partial",
    )
    .unwrap();
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(store.state_get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
    store.verify_integrity().unwrap();
}

#[test]
fn store_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(open_store(dir.path()));
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            for _ in 0..50 {
                let head = store.head().unwrap();
                // Every header up to a head seen is readable.
                assert!(store.header(head.height).unwrap().is_some());
            }
        })
    };
    for i in 0..10u8 {
        let w = writes(&[("k", &i.to_string())]);
        let (b, r) = next_block(&store, vec![], &w);
        store.commit(&b, &r, &w).unwrap();
    }
    reader.join().unwrap();
    assert!(format!("{store:?}").contains("Store"));
}

#[test]
fn a_second_open_of_a_held_store_fails_with_a_lock_error_after_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let _held = open_store(dir.path());
    let t0 = std::time::Instant::now();
    let wait = std::time::Duration::from_millis(100);
    match Store::open(StoreConfig::new(dir.path()).lock_wait(wait)) {
        Err(Error::Store(StoreError::Locked { path, waited_ms })) => {
            assert_eq!(waited_ms, 100);
            assert!(path.contains(&*dir.path().to_string_lossy()), "{path}");
        }
        other => panic!("expected a lock error, got {:?}", other.err()),
    }
    assert!(
        t0.elapsed() >= wait,
        "open gave up before the configured wait"
    );
}

#[test]
fn reopening_right_after_drop_waits_for_the_lock_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..20 {
        let store = open_store(dir.path());
        let w = writes(&[("k", "v")]);
        let (b, r) = next_block(&store, vec![], &w);
        store.commit(&b, &r, &w).unwrap();
        drop(store);
    }
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    assert_eq!(store.head().unwrap().height, Height(20));
}
