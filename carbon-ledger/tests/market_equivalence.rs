//! Block execution against recorded vectors: fixed-seed random blocks of
//! market transactions (orders that cross and rest, cancels, transfers,
//! block trades, freezes, mints, burns, surrenders, retirements, fee
//! changes mid-block, day changes, and failures mid-block) whose writes,
//! receipts (with events and costs) and final state roots were recorded
//! from the reference implementation — the one that read and wrote every
//! record through the state overlay — before the per-block in-memory book
//! replaced it. Every block must reproduce the recorded digest byte for
//! byte, and the audit invariants must hold after each block.
//!
//! Beside them, the `*_meaning.txt` vectors record what the blocks did
//! whatever the state layout ([`Chain::meaning`]: receipts without their
//! write costs, and the answers of the account and market queries after
//! each block). A change of the key/value layout re-records the raw
//! vectors only: the meaning vectors must pass unchanged before it does.
//!
//! Re-record (only for an intended change of behaviour, and say so in the
//! CHANGELOG): `CARBON_WRITE_VECTORS=1 cargo test -p carbon-ledger --test
//! market_equivalence --test market_scenario`.

mod market_support;

use carbon_ledger::LtHash;
use market_support::ops::*;
use market_support::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Seeds recorded.
const RUNS: u64 = 32;
/// Blocks per seed.
const BLOCKS: u64 = 30;
/// Most transactions in one block.
const MAX_TXS: usize = 30;

/// One line per block (`seed block digest-of-writes-and-receipts`) and one
/// per seed with the final state root; and, apart, one line per block
/// with the chained [`Chain::meaning`] (what the blocks did, whatever the
/// state layout).
fn run(seed: u64) -> (Vec<String>, Vec<String>) {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let ops = proptest::collection::vec(op(), 1..=MAX_TXS);
    let mut c = setup();
    let mut lines = Vec::new();
    let mut meaning = Vec::new();
    for block in 0..BLOCKS {
        let batch = ops.new_tree(&mut runner).expect("strategy").current();
        let mut txs = Vec::new();
        for op in &batch {
            match op {
                Op::NextDay => c.time += DAY,
                _ => txs.push(to_tx(&c, op)),
            }
        }
        let signed = c.sign_all(txs);
        let out = c.execute(&signed);
        let digest = block_digest(None, &out);
        c.state.apply(&out.writes);
        c.check_invariants();
        lines.push(format!("{seed} {block} {}", &digest.to_string()[..16]));
        c.semantic = c.meaning(&c.semantic, &out.receipts);
        meaning.push(format!("{seed} {block} {}", &c.semantic.to_string()[..16]));
    }
    let mut root = LtHash::new();
    for (k, v) in c.state.iter() {
        root.insert(k, v);
    }
    lines.push(format!("{seed} root {}", root.root()));
    if std::env::var_os("MARKET_STATS").is_some() {
        eprintln!(
            "seed {seed}: {} trades, {} orders",
            market_seq(&c.state, "trade"),
            market_seq(&c.state, "order")
        );
    }
    (lines, meaning)
}

#[test]
fn block_execution_reproduces_the_recorded_writes_receipts_and_roots() {
    let (got, meaning): (Vec<_>, Vec<_>) = (0..RUNS).map(run).unzip();
    check_vector("market_exec_meaning.txt", &meaning.concat());
    check_vector("market_exec.txt", &got.concat());
}

/// The bench's way of calling the market: one [`Ctx`] for many
/// operations (no transactions, no receipts), its writes and events at the
/// end.
#[test]
fn one_context_for_many_orders_reproduces_the_recorded_writes_and_events() {
    use carbon_ledger::market::{self, Ctx, Instrument, MarketTx, Side};
    use carbon_ledger::{Hash32, TimestampMs, codec};
    use rand::{Rng, SeedableRng};

    let c = setup();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let mut cx = Ctx::new(&c.state, TimestampMs(c.time));
    for _ in 0..600 {
        let who = rng.gen_range(1..=6u16);
        let offset = rng.gen_bool(0.3);
        let tx = MarketTx::PlaceOrder {
            instrument: if offset {
                Instrument::Offset
            } else {
                Instrument::Allowance(P)
            },
            side: if rng.gen_bool(0.5) {
                Side::Buy
            } else {
                Side::Sell
            },
            quantity: rng.gen_range(1..if offset { 40 } else { 2_000 }),
            price: rng.gen_range(4_700..5_300),
        };
        market::apply(&mut cx, &acct(who), &tx).expect("valid order");
    }
    let (writes, events) = cx.finish();
    let meaning = Hash32::digest(&codec::encode(&events));
    check_vector("market_one_context_meaning.txt", &[meaning.to_string()]);
    let writes: Vec<(Vec<u8>, Option<Vec<u8>>)> = writes
        .iter()
        .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
        .collect();
    let digest = Hash32::digest(&[codec::encode(&writes), codec::encode(&events)].concat());
    check_vector("market_one_context.txt", &[digest.to_string()]);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 24, ..Default::default() })]

    /// The per-block context (records cached across transactions, a failed
    /// transaction undone inside it) against one block per transaction
    /// (a fresh context each): the same receipts and the same final state.
    #[test]
    fn one_block_of_many_transactions_equals_one_block_per_transaction(
        ops in proptest::collection::vec(op(), 1..60)
    ) {
        let mut whole = setup();
        let mut single = setup();
        let mut txs = Vec::new();
        for op in &ops {
            if !matches!(op, Op::NextDay) {
                txs.push(to_tx(&whole, op));
            }
        }
        let signed = whole.sign_all(txs);
        let receipts = whole.commit(&signed);
        let mut one_by_one = Vec::new();
        for tx in &signed {
            one_by_one.extend(single.commit(std::slice::from_ref(tx)));
        }
        proptest::prop_assert_eq!(&receipts, &one_by_one);
        proptest::prop_assert!(whole.state == single.state, "final states differ");
        whole.check_invariants();
    }
}
