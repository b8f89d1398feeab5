//! carbon-ledger store benches, each beside a floor measured in the same run:
//!
//! - `append`: commit + flush of blocks of 1,000 realistic transactions
//!   (~210-byte signed transactions, a receipt with one event, two state
//!   writes each), vs raw sled `apply_batch` + `flush` of the same records;
//! - `point_read`: a transaction with its receipt by hash in a populated
//!   store, vs a raw sled `get` in a tree of the same size;
//! - `state_read`: a state value by key, vs a raw sled `get`;
//! - `merkle`: proof generation and verification over 1,000 leaves, vs the
//!   raw SHA-256 compressions a verification needs;
//! - `lthash`: one state-entry update, vs SHA-256 over 2 KiB.
//!
//! `CARBON_BENCH_TXS` sets how many transactions the read benches populate
//! (default 200,000; 0 skips them); `CARBON_BENCH_CACHE_MB` the sled cache of the store
//! and of the raw sled floors (default 64, the store's default).
//!
//! Run: `cargo bench --bench ledger_store -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use carbon_ledger::merkle::{self, MerkleTree};
use carbon_ledger::{
    AccountId, Block, ChainId, CommitCertificate, Cost, Event, GenesisConfig, Hash32, LtHash,
    Nonce, Payload, Receipt, Store, StoreConfig, TimestampMs, Transaction, TxBody, TxHash, View,
    WriteSet,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const GENESIS: &str = include_str!("../examples/data/genesis.json");
const BLOCK_TXS: usize = 1000;

struct Chain {
    store: Store,
    keys: Vec<SigningKey>,
    next_nonce: u64,
    _dir: tempfile::TempDir,
}

impl Chain {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            Store::open(StoreConfig::new(dir.path()).cache_capacity(cache_bytes())).expect("open");
        store
            .init_genesis(&GenesisConfig::from_json(GENESIS).expect("genesis"))
            .expect("init");
        let keys = (0..64u8)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
            .collect();
        Chain {
            store,
            keys,
            next_nonce: 0,
            _dir: dir,
        }
    }

    /// A block of realistic transactions, its receipts and writes (not timed).
    fn next(&mut self) -> (Block, Vec<Receipt>, WriteSet) {
        let chain = ChainId::new("carbon-demo-1").expect("chain id");
        let mut txs = Vec::with_capacity(BLOCK_TXS);
        let mut writes = WriteSet::new();
        for i in 0..BLOCK_TXS {
            let n = self.next_nonce;
            self.next_nonce += 1;
            let key = &self.keys[i % self.keys.len()];
            let body = TxBody {
                chain_id: chain.clone(),
                sender: carbon_ledger::PublicKey(key.verifying_key().to_bytes()),
                nonce: Nonce(n),
                payload: Payload::Anchor {
                    digest: Hash32::digest(&n.to_le_bytes()),
                    label: format!("emission-report/2026/enterprise-{:04}/q{}", i % 500, n % 4),
                },
            };
            let tx = Transaction::sign(body, key);
            writes.put(
                format!("acct/{}/nonce", i % 64).into_bytes(),
                n.to_le_bytes().to_vec(),
            );
            writes.put(format!("anchor/{n:012}").into_bytes(), tx.hash().0.to_vec());
            txs.push(tx);
        }
        let receipts: Vec<Receipt> = txs
            .iter()
            .map(|t| Receipt {
                tx: t.hash(),
                status: carbon_ledger::TxStatus::Success,
                events: vec![Event {
                    source: "anchor".into(),
                    topics: vec![Hash32(t.hash().0)],
                    data: vec![0; 32],
                }],
                cost: Cost {
                    keys_written: 2,
                    bytes_written: 80,
                    gas_used: 0,
                },
            })
            .collect();
        let header = self
            .store
            .next_header(
                TimestampMs(1_767_225_600_000),
                AccountId([1; 32]),
                View(0),
                &txs,
                &receipts,
                &writes,
            )
            .expect("header");
        (
            Block {
                header,
                transactions: txs,
                certificate: CommitCertificate(vec![0; 200]),
            },
            receipts,
            writes,
        )
    }
}

fn cache_bytes() -> u64 {
    let mb: u64 = std::env::var("CARBON_BENCH_CACHE_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    mb << 20
}

/// Raw sled with the ledger store's settings (same cache, HighThroughput).
fn raw_sled(dir: &std::path::Path) -> sled::Db {
    sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes())
        .mode(sled::Mode::HighThroughput)
        .open()
        .expect("sled")
}

fn bench_append(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(BLOCK_TXS as u64));
    g.sample_size(10);
    let mut chain = Chain::new();
    g.bench_function("ledger_commit_1000tx_block", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (block, receipts, writes) = chain.next();
                let t = Instant::now();
                chain
                    .store
                    .commit(&block, &receipts, &writes)
                    .expect("commit");
                total += t.elapsed();
            }
            total
        })
    });
    // Floor: the same number of records and bytes, written by raw sled.
    let (block, receipts, writes) = chain.next();
    let mut records: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (tx, r) in block.transactions.iter().zip(&receipts) {
        let h = tx.hash();
        records.push((
            h.0.to_vec(),
            [&[0u8; 12][..], &tx.to_bytes(), &r.to_bytes()].concat(),
        ));
    }
    // Per block: header + certificate, hash index, Merkle leaves, head record.
    records.push((b"h".to_vec(), vec![0u8; 600]));
    records.push((b"n".to_vec(), vec![0u8; 8]));
    records.push((b"l".to_vec(), vec![0u8; 64 * BLOCK_TXS + 4]));
    records.push((b"m".to_vec(), vec![0u8; 2048 + 48]));
    for (k, v) in writes.iter() {
        records.push((k.to_vec(), v.unwrap_or_default().to_vec()));
    }
    let total_bytes: usize = records.iter().map(|(k, v)| k.len() + v.len()).sum();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = raw_sled(dir.path());
    let mut round = 0u64;
    g.bench_function("floor_sled_batch_flush_same_records", |b| {
        b.iter_batched(
            || {
                round += 1;
                let mut batch = sled::Batch::default();
                for (k, v) in &records {
                    batch.insert([&round.to_be_bytes()[..], k].concat(), v.clone());
                }
                batch
            },
            |batch| {
                db.apply_batch(batch).expect("batch");
                db.flush().expect("flush");
            },
            BatchSize::PerIteration,
        )
    });
    // Second floor: the same bytes as one record (what sled costs per byte
    // rather than per record).
    g.bench_function("floor_sled_flush_same_bytes_one_record", |b| {
        b.iter(|| {
            round += 1;
            db.insert(round.to_be_bytes(), vec![0u8; total_bytes])
                .expect("insert");
            db.flush().expect("flush");
        })
    });
    g.finish();
}

struct Populated {
    chain: Chain,
    hashes: Vec<TxHash>,
    raw: sled::Db,
    raw_keys: Vec<Vec<u8>>,
    _raw_dir: tempfile::TempDir,
}

fn populate_count() -> usize {
    std::env::var("CARBON_BENCH_TXS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000)
}

fn populate() -> Populated {
    let n = populate_count();
    let mut chain = Chain::new();
    let mut hashes = Vec::with_capacity(n);
    let t = Instant::now();
    for _ in 0..n.div_ceil(BLOCK_TXS) {
        let (block, receipts, writes) = chain.next();
        hashes.extend(block.transactions.iter().map(Transaction::hash));
        chain
            .store
            .commit(&block, &receipts, &writes)
            .expect("commit");
    }
    eprintln!(
        "populated {} transactions in {:.1?}; {} MiB on disk",
        hashes.len(),
        t.elapsed(),
        chain.store.size_on_disk().unwrap_or(0) >> 20
    );
    let raw_dir = tempfile::tempdir().expect("tempdir");
    let raw = raw_sled(raw_dir.path());
    let mut raw_keys = Vec::with_capacity(hashes.len());
    for chunk in hashes.chunks(10_000) {
        let mut batch = sled::Batch::default();
        for h in chunk {
            let k = [&b"t/"[..], &h.0].concat();
            batch.insert(k.clone(), vec![0u8; 420]);
            raw_keys.push(k);
        }
        raw.apply_batch(batch).expect("batch");
    }
    raw.flush().expect("flush");
    Populated {
        chain,
        hashes,
        raw,
        raw_keys,
        _raw_dir: raw_dir,
    }
}

fn bench_reads(c: &mut Criterion) {
    if populate_count() == 0 {
        return;
    }
    let p = populate();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut g = c.benchmark_group("point_read");
    g.bench_function(format!("ledger_tx_by_hash_{}", p.hashes.len()), |b| {
        b.iter(|| {
            let h = &p.hashes[rng.gen_range(0..p.hashes.len())];
            black_box(
                p.chain
                    .store
                    .transaction(h)
                    .expect("read")
                    .expect("present"),
            )
        })
    });
    g.bench_function(format!("floor_sled_get_{}", p.raw_keys.len()), |b| {
        b.iter(|| {
            black_box(
                p.raw
                    .get(&p.raw_keys[rng.gen_range(0..p.raw_keys.len())])
                    .expect("get"),
            )
        })
    });
    g.bench_function("ledger_tx_proof_by_hash", |b| {
        b.iter(|| {
            let h = &p.hashes[rng.gen_range(0..p.hashes.len())];
            black_box(
                p.chain
                    .store
                    .transaction_proof(h)
                    .expect("read")
                    .expect("present"),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("state_read");
    let n = p.hashes.len() as u64;
    g.bench_function(format!("ledger_state_get_of_{n}"), |b| {
        b.iter(|| {
            let k = format!("anchor/{:012}", rng.gen_range(0..n));
            black_box(
                p.chain
                    .store
                    .state_get(k.as_bytes())
                    .expect("read")
                    .expect("present"),
            )
        })
    });
    g.bench_function("floor_sled_get", |b| {
        b.iter(|| {
            black_box(
                p.raw
                    .get(&p.raw_keys[rng.gen_range(0..p.raw_keys.len())])
                    .expect("get"),
            )
        })
    });
    g.finish();
}

fn bench_merkle(c: &mut Criterion) {
    let leaves: Vec<Hash32> = (0..BLOCK_TXS as u64)
        .map(|i| Hash32::digest(&i.to_le_bytes()))
        .collect();
    let tree = MerkleTree::new(&leaves);
    let root = tree.root();
    let proof = tree.proof(517).expect("in range");
    let mut g = c.benchmark_group("merkle");
    g.bench_function("root_1000_leaves", |b| {
        b.iter(|| black_box(merkle::root(black_box(&leaves))))
    });
    g.bench_function("proof_generate_tree_and_path_1000", |b| {
        b.iter(|| black_box(MerkleTree::new(black_box(&leaves)).proof(517)))
    });
    g.bench_function("proof_path_from_built_tree", |b| {
        b.iter(|| black_box(tree.proof(black_box(517))))
    });
    g.bench_function("proof_verify_1000", |b| {
        b.iter(|| black_box(proof.verify(&leaves[517], &root)).expect("valid"))
    });
    let steps = proof.path.len() + 1;
    g.bench_function(format!("floor_sha256_65B_x{steps}"), |b| {
        let data = [7u8; 65];
        b.iter(|| {
            for _ in 0..steps {
                black_box(Sha256::digest(black_box(&data)));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("lthash");
    let mut acc = LtHash::new();
    g.bench_function("insert_one_entry", |b| {
        b.iter(|| acc.insert(black_box(b"acct/42/nonce"), black_box(b"12345678")))
    });
    let block = [1u8; 2048];
    g.bench_function("floor_sha256_2KiB", |b| {
        b.iter(|| black_box(Sha256::digest(black_box(&block))))
    });
    g.finish();
}

criterion_group!(benches, bench_merkle, bench_append, bench_reads);
criterion_main!(benches);
