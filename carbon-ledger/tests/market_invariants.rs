//! Property tests over random transaction sequences from many accounts:
//! conservation of allowances, offsets and tokens; escrow equal to open
//! orders and agreements; an uncrossed book; determinism (the same block
//! on two copies of a state gives byte-identical writes and receipts); a
//! failed transaction writes only its nonce; no trading operation fails
//! on an overflow; nothing a frozen account does changes state. Over a
//! trading day, and over random lifecycles of a period (reports,
//! issuance, surrender, close, the next allocation).

mod market_support;

use carbon_ledger::TxStatus;
use carbon_ledger::codec;
use carbon_ledger::market::query;
use market_support::ops::*;
use market_support::*;
use proptest::prelude::*;

fn frozen(c: &Chain, seed: u16) -> bool {
    query::account(&c.state, &acct(seed))
        .unwrap()
        .is_some_and(|a| a.frozen)
}

/// Executes `op` as a one-transaction block and checks every invariant:
/// determinism on a copy of the state, a frozen sender writes nothing, a
/// failed transaction writes only its nonce, no trading operation fails on
/// an overflow, and the audit after the block.
fn step(c: &mut Chain, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::NextDay => c.time += DAY,
        Op::Jump { days } => c.time += days * DAY,
        _ => {}
    }
    if matches!(op, Op::NextDay | Op::Jump { .. }) {
        return Ok(());
    }
    let (seed, tx) = to_tx(c, op);
    let signed = c.sign_all(vec![(seed, tx)]);
    let twin = c.state.clone();
    let out = c.execute(&signed);
    // Determinism: the same block on a copy of the state.
    let again = carbon_ledger::exec::execute_block(
        &twin,
        &chain(),
        carbon_ledger::TimestampMs(c.time),
        &signed,
    )
    .unwrap();
    let bytes = |o: &carbon_ledger::exec::BlockOutcome| {
        let w: Vec<(Vec<u8>, Option<Vec<u8>>)> = o
            .writes
            .iter()
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect();
        (codec::encode(&w), codec::encode(&o.receipts))
    };
    prop_assert_eq!(bytes(&out), bytes(&again));
    let nonce_only = vec![carbon_ledger::market::keys::nonce_key(&acct(seed))];
    let written: Vec<Vec<u8>> = out.writes.iter().map(|(k, _)| k.to_vec()).collect();
    if frozen(c, seed) {
        prop_assert!(
            out.writes.is_empty(),
            "frozen account {} wrote {:?}",
            seed,
            written
        );
    }
    match out.receipts[0].status {
        TxStatus::Failed { code, .. } => {
            prop_assert!(
                written.is_empty() || written == nonce_only,
                "failed tx wrote {:?}",
                written
            );
            // Only an amount out of range by itself overflows: never an
            // order, a block trade or a cancel (a fee rise once made
            // crossing a bid locked at the old fee overflow).
            prop_assert!(
                code != 9
                    || !matches!(
                        op,
                        Op::Place { .. }
                            | Op::Propose { .. }
                            | Op::Accept { .. }
                            | Op::Cancel { .. }
                            | Op::CancelAgreement { .. }
                    ),
                "{:?} overflowed",
                op
            );
        }
        TxStatus::Success => {
            if let Op::NextPeriod = op {
                c.periods.push(P2);
            }
        }
    }
    c.state.apply(&out.writes);
    c.check_invariants();
    if std::env::var("MARKET_STATS").is_ok() {
        eprintln!("{:?} -> {:?}", op, out.receipts[0].status);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_transactions_keep_every_invariant(ops in proptest::collection::vec(op(), 1..120)) {
        let mut c = setup();
        c.check_invariants();
        for op in &ops {
            step(&mut c, op)?;
        }
        if std::env::var("MARKET_STATS").is_ok() {
            eprintln!("trades {}", market_seq(&c.state, "trade"));
        }
    }

    /// Reports, verification, issuance, surrender of allowances and
    /// offsets, the close (fines, debt) and the next period's allocation
    /// (minus the debt), between trading: conservation holds through all
    /// of them.
    #[test]
    fn random_period_lifecycles_keep_every_invariant(ops in lifecycle()) {
        let mut c = setup();
        for op in &ops {
            step(&mut c, op)?;
        }
    }
}
