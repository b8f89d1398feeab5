//! The market on the sled store: blocks executed with `exec::execute_block`
//! against the head state, sealed with `Store::next_header` and committed;
//! two stores fed the same blocks agree on every root, and the state
//! survives a reopen.

mod market_support;

use carbon_ledger::market::{Asset, Instrument, MarketTx, PeriodId, Role, Side, query};
use carbon_ledger::{Store, StoreConfig, TimestampMs, TxStatus};
use market_support::store::{commit_block, open_store};
use market_support::*;

#[test]
fn the_same_market_blocks_give_the_same_roots_on_two_stores_and_survive_reopen() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (open_store(da.path()), open_store(db.path()));
    // A model chain only to sign with the right nonces.
    let mut signer = Chain::new();
    let p = PeriodId(1);
    let blocks: Vec<Vec<(u16, MarketTx)>> = vec![
        vec![
            (1, MarketTx::Register { name: "a".into() }),
            (2, MarketTx::Register { name: "b".into() }),
        ],
        vec![
            (
                REG,
                MarketTx::Approve {
                    account: acct(1),
                    role: Role::Enterprise,
                },
            ),
            (
                REG,
                MarketTx::Approve {
                    account: acct(2),
                    role: Role::Enterprise,
                },
            ),
            (
                REG,
                MarketTx::Mint {
                    to: acct(2),
                    amount: 10_000_000,
                    reference: "d".into(),
                },
            ),
            (
                REG,
                MarketTx::OpenPeriod {
                    period: p,
                    start: TimestampMs(T0 + 1_000),
                    end: TimestampMs(T0 + 30 * DAY),
                    surrender_deadline: TimestampMs(T0 + 40 * DAY),
                },
            ),
        ],
        vec![(
            REG,
            MarketTx::Allocate {
                period: p,
                allocations: vec![(acct(1), 5_000)],
            },
        )],
        vec![
            (
                1,
                MarketTx::PlaceOrder {
                    instrument: Instrument::Allowance(p),
                    side: Side::Sell,
                    quantity: 300,
                    price: 5_100,
                },
            ),
            (
                2,
                MarketTx::PlaceOrder {
                    instrument: Instrument::Allowance(p),
                    side: Side::Buy,
                    quantity: 200,
                    price: 5_200,
                },
            ),
            // Fails (over the band): only its nonce is written.
            (
                2,
                MarketTx::PlaceOrder {
                    instrument: Instrument::Allowance(p),
                    side: Side::Buy,
                    quantity: 1,
                    price: 9_000,
                },
            ),
        ],
    ];
    for (i, txs) in blocks.into_iter().enumerate() {
        let signed = signer.sign_all(txs);
        let out = signer.execute(&signed);
        signer.state.apply(&out.writes);
        let time = T0 + 1_000 * (i as u64 + 1);
        let ba = commit_block(&a, time, &signed);
        let bb = commit_block(&b, time, &signed);
        assert_eq!(ba.hash(), bb.hash(), "block {i}");
        assert_eq!(a.head(), b.head());
    }
    let statuses: Vec<bool> = a
        .transaction(
            &a.block_by_height(carbon_ledger::Height(4))
                .unwrap()
                .unwrap()
                .transactions[2]
                .hash(),
        )
        .unwrap()
        .map(|r| r.receipt.status == TxStatus::Success)
        .into_iter()
        .collect();
    assert_eq!(statuses, vec![false]);
    assert_eq!(
        query::balance(&a, &acct(2), &Asset::Allowance(p)).unwrap(),
        200
    );
    let head = a.head();
    drop(a);
    let a = Store::open(StoreConfig::new(da.path()).cache_capacity(8 << 20)).unwrap();
    assert_eq!(a.head(), head);
    assert_eq!(
        query::balance(&a, &acct(2), &Asset::Allowance(p)).unwrap(),
        200
    );
    assert_eq!(
        query::depth(&a, &Instrument::Allowance(p), Side::Sell, 1).unwrap()[0].quantity,
        100
    );
    a.verify_integrity().expect("integrity");
}
