//! Property test: the market's conservation invariants (`market::audit`:
//! every asset conserved, escrow equal to open orders, an uncrossed book)
//! hold after every block when contract transactions — market operations
//! through the precompile, a contract moving its own holdings, reverting
//! frames, value paid to a contract — are mixed at random with native
//! market transactions and freezes; and a failed transaction of any kind
//! writes only its sender's nonce.
#![cfg(feature = "evm")]

mod evm_support;
mod market_support;

use carbon_ledger::evm::calldata::{Arg, call as encode_call};
use carbon_ledger::market::{Asset, Instrument, MarketTx, PeriodId, Role, Side};
use carbon_ledger::{Payload, Transaction, TxStatus};
use evm_support::*;
use market_support::*;
use proptest::prelude::*;

const P: PeriodId = PeriodId(1);

#[derive(Clone, Debug)]
enum Op {
    Native {
        who: u16,
        to: u16,
        asset: u8,
        amount: u64,
    },
    NativeOrder {
        who: u16,
        buy: bool,
        qty: u64,
        tick: i64,
    },
    OpsTransfer {
        who: u16,
        to: u16,
        asset: u8,
        amount: u64,
    },
    OpsOrder {
        who: u16,
        buy: bool,
        qty: u64,
        tick: i64,
    },
    ProbeSend {
        who: u16,
        to: u16,
        asset: u8,
        amount: u64,
        how: u8,
    },
    Pay {
        who: u16,
        amount: u64,
    },
    Freeze {
        who: u16,
        frozen: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 1..=5u16;
    let amount = prop_oneof![1u64..3_000, Just(u64::MAX)];
    prop_oneof![
        2 => (who.clone(), 1..=6u16, 0u8..2, amount.clone()).prop_map(|(who, to, asset, amount)| Op::Native { who, to, asset, amount }),
        2 => (who.clone(), any::<bool>(), 1u64..500, -300i64..300).prop_map(|(who, buy, qty, tick)| Op::NativeOrder { who, buy, qty, tick }),
        3 => (who.clone(), 1..=6u16, 0u8..2, amount.clone()).prop_map(|(who, to, asset, amount)| Op::OpsTransfer { who, to, asset, amount }),
        3 => (who.clone(), any::<bool>(), 1u64..500, -300i64..300).prop_map(|(who, buy, qty, tick)| Op::OpsOrder { who, buy, qty, tick }),
        3 => (who.clone(), 1..=6u16, 0u8..2, amount, 0u8..3).prop_map(|(who, to, asset, amount, how)| Op::ProbeSend { who, to, asset, amount, how }),
        1 => (who.clone(), 0u64..5_000).prop_map(|(who, amount)| Op::Pay { who, amount }),
        1 => (who, any::<bool>()).prop_map(|(who, frozen)| Op::Freeze { who, frozen }),
    ]
}

/// Enterprises 1..=4, a free account 5, and the probe contract (an
/// approved enterprise holding tokens and allowances). Seed 6 stands for
/// the probe as a recipient.
fn setup() -> (Chain, [u8; 20]) {
    let mut c = Chain::new();
    c.open_period(1);
    let mut lines = Vec::new();
    for s in 1..=4 {
        enterprise(&mut c, s);
        c.mint(s, 100_000_000);
        lines.push((acct(s), 10_000));
    }
    c.ok(
        5,
        MarketTx::Register {
            name: "free".into(),
        },
    );
    let probe = registered_probe(&mut c, 1);
    c.ok(
        REG,
        MarketTx::Approve {
            account: contract_acct(probe),
            role: Role::Enterprise,
        },
    );
    mint_to(&mut c, contract_acct(probe), 1_000_000);
    lines.push((contract_acct(probe), 10_000));
    c.ok(
        REG,
        MarketTx::Allocate {
            period: P,
            allocations: lines,
        },
    );
    (c, probe)
}

fn account_of(to: u16, probe: [u8; 20]) -> [u8; 32] {
    if to == 6 {
        contract_acct(probe).0
    } else {
        acct(to).0
    }
}

fn asset_args(asset: u8) -> [Arg; 2] {
    [Arg::uint(if asset == 0 { 0 } else { 1 }), Arg::uint(1)]
}

fn price(tick: i64) -> u64 {
    (5_000 + tick) as u64
}

fn payload(op: &Op, probe: [u8; 20]) -> (u16, Payload) {
    let transfer = |to: u16, asset: u8, amount: u64| {
        let [k, v] = asset_args(asset);
        vec![
            Arg::bytes32(account_of(to, probe)),
            k,
            v,
            Arg::uint(amount.into()),
        ]
    };
    let call = |to, input| Payload::Call {
        to,
        input,
        gas_limit: GAS,
        value: 0,
    };
    match op.clone() {
        Op::Native {
            who,
            to,
            asset,
            amount,
        } => {
            let asset = if asset == 0 {
                Asset::Token
            } else {
                Asset::Allowance(P)
            };
            let to = carbon_ledger::AccountId(account_of(to, probe));
            (
                who,
                Payload::Market(MarketTx::Transfer { to, asset, amount }),
            )
        }
        Op::NativeOrder {
            who,
            buy,
            qty,
            tick,
        } => {
            let side = if buy { Side::Buy } else { Side::Sell };
            let tx = MarketTx::PlaceOrder {
                instrument: Instrument::Allowance(P),
                side,
                quantity: qty,
                price: price(tick),
            };
            (who, Payload::Market(tx))
        }
        Op::OpsTransfer {
            who,
            to,
            asset,
            amount,
        } => (
            who,
            call(
                OPS,
                encode_call(
                    "transfer(bytes32,uint8,uint32,uint64)",
                    &transfer(to, asset, amount),
                ),
            ),
        ),
        Op::OpsOrder {
            who,
            buy,
            qty,
            tick,
        } => {
            let args = [
                Arg::uint(1),
                Arg::uint(1),
                Arg::uint(u128::from(!buy)),
                Arg::uint(qty.into()),
                Arg::uint(price(tick).into()),
            ];
            (
                who,
                call(
                    OPS,
                    encode_call("placeOrder(uint8,uint32,uint8,uint64,uint64)", &args),
                ),
            )
        }
        Op::ProbeSend {
            who,
            to,
            asset,
            amount,
            how,
        } => {
            let f = ["send", "sendThenRevert", "innerRevert"][usize::from(how)];
            let sig = format!("{f}(bytes32,uint8,uint32,uint64)");
            (
                who,
                call(probe, encode_call(&sig, &transfer(to, asset, amount))),
            )
        }
        Op::Pay { who, amount } => (
            who,
            Payload::Call {
                to: probe,
                input: encode_call("pay()", &[]),
                gas_limit: GAS,
                value: amount,
            },
        ),
        Op::Freeze { who, frozen } => {
            let account = carbon_ledger::AccountId(account_of(who + 1, probe));
            (
                REG,
                Payload::Market(MarketTx::SetFrozen { account, frozen }),
            )
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conservation_holds_with_contract_transactions_in_the_mix(blocks in prop::collection::vec(prop::collection::vec(op(), 1..8), 1..6)) {
        let (mut c, probe) = setup();
        for ops in blocks {
            let mut txs: Vec<Transaction> = Vec::new();
            let mut next = std::collections::BTreeMap::new();
            for op in &ops {
                let (who, p) = payload(op, probe);
                let n = *next.entry(who).or_insert_with(|| carbon_ledger::market::query::nonce(&c.state, &acct(who)).unwrap());
                next.insert(who, n + 1);
                if !c.seeds.contains(&who) {
                    c.seeds.push(who);
                }
                txs.push(sign_nonce(who, n, p));
            }
            // Each failed transaction, run alone on the state before it,
            // writes only its nonce.
            let out = c.execute(&txs);
            for (tx, r) in txs.iter().zip(&out.receipts) {
                if r.status != TxStatus::Success {
                    prop_assert!(r.cost.keys_written <= 1, "{tx:?} {r:?}");
                }
            }
            c.state.apply(&out.writes);
            audit_with(&c, &[probe]);
        }
    }
}
