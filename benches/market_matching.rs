//! carbon-ledger market benches, each beside a floor measured in the same run:
//!
//! - `matching`: 1,000 limit orders (half crossing the spread, half
//!   resting) placed through `market::apply` into a book of 10,000 resting
//!   orders held in an in-memory state, vs the floor of inserting 1,000
//!   `(price, seq) -> qty` entries into a plain `BTreeMap` of 10,000;
//! - `block`: a block of 1,000 mixed signed market transactions (orders,
//!   token transfers, allowance transfers, cancels from 1,000 senders)
//!   through `exec::execute_block` (batch signature verification split
//!   over the cores + execution + receipts), beside `verify_batch` (one
//!   thread) and `exec::verify_parallel` alone and `exec::execute_verified`
//!   (execution without signatures).
//!
//! Run: `cargo bench --bench market_matching -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use carbon_ledger::exec::{self, MemState};
use carbon_ledger::market::{self, Asset, Ctx, Instrument, MarketTx, PeriodId, Role, Side, query};
use carbon_ledger::{
    AccountId, ChainId, GenesisConfig, Nonce, Payload, PublicKey, StateView, TimestampMs,
    Transaction, TxBody, WriteSet, verify_batch,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use ed25519_dalek::SigningKey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const T0: u64 = 1_767_225_600_000;
const P: PeriodId = PeriodId(1);
const INST: Instrument = Instrument::Allowance(P);
const RESTING: usize = 10_000;
const BATCH: usize = 1_000;
const TRADERS: u16 = 1_000;

fn key(seed: u16) -> SigningKey {
    let mut b = [9u8; 32];
    b[..2].copy_from_slice(&seed.to_le_bytes());
    SigningKey::from_bytes(&b)
}

fn acct(seed: u16) -> AccountId {
    PublicKey::from(&key(seed).verifying_key()).account()
}

fn chain() -> ChainId {
    ChainId::new("carbon-bench").expect("valid chain id")
}

const REG: u16 = u16::MAX;

/// Applies one operation for `actor` directly (no signature), panicking on
/// failure: setup must succeed.
fn must(state: &mut MemState, actor: u16, tx: MarketTx) {
    let writes = {
        let mut cx = Ctx::new(state, TimestampMs(T0));
        if let Err(e) = market::apply(&mut cx, &acct(actor), &tx) {
            panic!("setup {tx:?}: {e:?}");
        }
        cx.finish().0
    };
    state.apply(&writes);
}

/// A state with `TRADERS` funded enterprises and period 1 allocated.
fn base_state() -> MemState {
    let pk = |s: u16| hex_key(&key(s));
    let json = format!(
        r#"{{"chain_id":"carbon-bench","timestamp_ms":{T0},
        "validators":[{{"name":"v","public_key":"{}","address":"127.0.0.1:1"}}],
        "observers":[{{"name":"reg","public_key":"{}","address":"127.0.0.1:2"}}],
        "regulator":"reg","parameters":{{}}}}"#,
        pk(REG - 1),
        pk(REG)
    );
    let g = GenesisConfig::from_json(&json).expect("valid genesis");
    let mut s = MemState::new();
    s.apply(&g.initial_state());
    must(
        &mut s,
        REG,
        MarketTx::OpenPeriod {
            period: P,
            start: TimestampMs(T0),
            end: TimestampMs(T0 + 30 * market::DAY_MS),
            surrender_deadline: TimestampMs(T0 + 40 * market::DAY_MS),
        },
    );
    let mut lines = Vec::new();
    for t in 0..TRADERS {
        must(
            &mut s,
            t,
            MarketTx::Register {
                name: format!("e{t}"),
            },
        );
        must(
            &mut s,
            REG,
            MarketTx::Approve {
                account: acct(t),
                role: Role::Enterprise,
            },
        );
        must(
            &mut s,
            REG,
            MarketTx::Mint {
                to: acct(t),
                amount: 1 << 50,
                reference: "dep".into(),
            },
        );
        lines.push((acct(t), 1_000_000));
    }
    must(
        &mut s,
        REG,
        MarketTx::Allocate {
            period: P,
            allocations: lines,
        },
    );
    s
}

fn hex_key(k: &SigningKey) -> String {
    k.verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The base state plus 10,000 resting orders: bids 4,500..4,999, asks
/// 5,001..5,500.
fn book_state() -> MemState {
    let mut s = base_state();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for i in 0..RESTING {
        let t = (i % TRADERS as usize) as u16;
        let (side, price) = if i % 2 == 0 {
            (Side::Buy, rng.gen_range(4_500..5_000))
        } else {
            (Side::Sell, rng.gen_range(5_001..=5_500))
        };
        must(
            &mut s,
            t,
            MarketTx::PlaceOrder {
                instrument: INST,
                side,
                quantity: rng.gen_range(1..500),
                price,
            },
        );
    }
    s
}

/// 1,000 orders: even ones cross (buy at 5,500 / sell at 4,500, each
/// filling against the best resting orders), odd ones rest inside the book.
fn incoming() -> Vec<(u16, MarketTx)> {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    (0..BATCH)
        .map(|i| {
            let t = rng.gen_range(0..TRADERS);
            let buy = rng.gen_bool(0.5);
            let price = match (i % 2 == 0, buy) {
                (true, true) => 5_500,
                (true, false) => 4_500,
                (false, true) => rng.gen_range(4_500..5_000),
                (false, false) => rng.gen_range(5_001..=5_500),
            };
            let side = if buy { Side::Buy } else { Side::Sell };
            (
                t,
                MarketTx::PlaceOrder {
                    instrument: INST,
                    side,
                    quantity: rng.gen_range(1..200),
                    price,
                },
            )
        })
        .collect()
}

/// The timed batch: the orders through `market::apply` on one context
/// sized for them (the writes accumulate in memory, as within a block's
/// run of market transactions in `exec::execute_verified`), then
/// `Ctx::finish` (the write-back); the number of records written. Not
/// inlined, so that a profiler can count it alone (see `main`).
#[inline(never)]
fn place_batch(state: &MemState, orders: &[(AccountId, MarketTx)]) -> usize {
    let mut cx = Ctx::with_capacity(state, TimestampMs(T0 + 1), orders.len());
    for (t, tx) in orders {
        market::apply(&mut cx, t, tx).expect("bench orders are valid");
    }
    cx.finish().0.len()
}

fn matching_input() -> (MemState, Vec<(AccountId, MarketTx)>) {
    let orders = incoming()
        .into_iter()
        .map(|(t, tx)| (acct(t), tx))
        .collect();
    (book_state(), orders)
}

fn bench_matching(c: &mut Criterion) {
    let (state, orders) = matching_input();
    let mut g = c.benchmark_group("market_matching");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("place_1000_into_10000_book", |b| {
        b.iter(|| black_box(place_batch(&state, &orders)))
    });
    let floor: BTreeMap<(u64, u64), u64> = (0..RESTING as u64)
        .map(|i| ((4_500 + i % 1_000, i), i))
        .collect();
    g.bench_function("floor_btreemap_insert_1000_into_10000", |b| {
        b.iter_batched(
            || floor.clone(),
            |mut m| {
                for (i, (_, tx)) in orders.iter().enumerate() {
                    if let MarketTx::PlaceOrder {
                        price, quantity, ..
                    } = tx
                    {
                        m.insert((*price, RESTING as u64 + i as u64), *quantity);
                    }
                }
                black_box(m.len())
            },
            BatchSize::LargeInput,
        )
    });
    let touched: Vec<Vec<u8>> = {
        let mut cx = Ctx::new(&state, TimestampMs(T0 + 1));
        for (t, tx) in &orders {
            market::apply(&mut cx, t, tx).expect("bench orders are valid");
        }
        cx.finish().0.iter().map(|(k, _)| k.to_vec()).collect()
    };
    g.bench_function("floor_read_and_write_back_touched_records", |b| {
        b.iter(|| {
            let w: WriteSet = touched
                .iter()
                .map(|k| (k.clone(), state.get(k).expect("in-memory state")))
                .collect();
            black_box(w.len())
        })
    });
    g.finish();
}

/// 1,000 signed transactions from 1,000 senders: 50% crossing/resting
/// orders, 25% token transfers, 15% allowance transfers, 10% cancels of
/// the sender's own resting order.
fn mixed_block(state: &MemState) -> Vec<Transaction> {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let orders = incoming();
    (0..BATCH)
        .map(|i| {
            let t = i as u16;
            let to = acct((t + 1) % TRADERS);
            let payload = match i % 20 {
                0..=9 => orders[i].1.clone(),
                10..=14 => MarketTx::Transfer {
                    to,
                    asset: Asset::Token,
                    amount: rng.gen_range(1..10_000),
                },
                15..=17 => MarketTx::Transfer {
                    to,
                    asset: Asset::Allowance(P),
                    amount: rng.gen_range(1..100),
                },
                _ => {
                    let open = query::open_orders(state, &acct(t)).expect("state readable");
                    MarketTx::CancelOrder { order: open[0].id }
                }
            };
            let nonce = query::nonce(state, &acct(t)).expect("state readable");
            let body = TxBody {
                chain_id: chain(),
                sender: PublicKey::ZERO,
                nonce: Nonce(nonce),
                payload: Payload::Market(payload),
            };
            Transaction::sign(body, &key(t))
        })
        .collect()
}

fn bench_block(c: &mut Criterion) {
    let state = book_state();
    let txs = mixed_block(&state);
    let out =
        exec::execute_block(&state, &chain(), TimestampMs(T0 + 1), &txs).expect("valid block");
    let failed = out
        .receipts
        .iter()
        .filter(|r| r.status != carbon_ledger::TxStatus::Success)
        .count();
    assert_eq!(failed, 0, "every bench transaction succeeds");
    let mut g = c.benchmark_group("market_block");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("execute_block_1000_signed", |b| {
        b.iter(|| {
            black_box(
                exec::execute_block(&state, &chain(), TimestampMs(T0 + 1), &txs).expect("valid"),
            )
        })
    });
    g.bench_function("verify_batch_1000", |b| {
        b.iter(|| black_box(verify_batch(&txs, &chain()).is_ok()))
    });
    g.bench_function("verify_parallel_1000", |b| {
        b.iter(|| black_box(exec::verify_parallel(&txs, &chain()).is_ok()))
    });
    g.bench_function("execute_verified_1000", |b| {
        b.iter(|| {
            black_box(exec::execute_verified(&state, TimestampMs(T0 + 1), &txs).expect("valid"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_matching, bench_block);

/// `criterion_main!`, except that with `CARBON_PROFILE_BATCHES=n` it runs
/// the matching batch `n` times and exits, for an instruction count
/// that does not depend on the machine's load:
/// `CARBON_PROFILE_BATCHES=5 valgrind --tool=callgrind
/// --toggle-collect='market_matching::place_batch' <bench binary>`.
fn main() {
    if let Some(n) = std::env::var("CARBON_PROFILE_BATCHES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        let (state, orders) = matching_input();
        for _ in 0..n {
            black_box(place_batch(&state, &orders));
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
