//! The market contracts seen from the EVM: reads match the market's own
//! queries, operations act for `msg.sender` under the market's rules, and
//! a block mixing native and EVM transactions gives identical roots on
//! two sled stores.
#![cfg(feature = "evm")]

mod evm_support;
mod market_support;

use carbon_ledger::evm::calldata::{Arg, call as encode_call, word};
use carbon_ledger::evm::{self};
use carbon_ledger::market::{Asset, MarketTx, PeriodId, query};
use carbon_ledger::{Payload, TimestampMs, TxStatus, exec};
use evm_support::*;
use market_support::store::{commit_block, open_store};
use market_support::*;

const P: PeriodId = PeriodId(1);

fn market() -> Chain {
    let mut c = two_enterprises(1_000);
    c.mint(1, 100_000_000);
    c
}

fn order(kind: u8, side: u8, q: u64, price: u64) -> Vec<u8> {
    let args = [
        Arg::uint(kind.into()),
        Arg::uint(1),
        Arg::uint(side.into()),
        Arg::uint(q.into()),
        Arg::uint(price.into()),
    ];
    encode_call("placeOrder(uint8,uint32,uint8,uint64,uint64)", &args)
}

#[test]
fn market_reads_through_the_view_contract_match_the_markets_queries() {
    let mut c = market();
    let inst = [Arg::uint(1), Arg::uint(1)];
    let words = |c: &Chain, data: Vec<u8>| {
        let r = view(c, 1, VIEW, data);
        assert!(r.success, "{}", r.reason);
        (0..r.output.len() / 32)
            .map(|i| word(&r.output, i).unwrap().to::<u128>())
            .collect::<Vec<_>>()
    };
    let bal = encode_call(
        "balanceOf(bytes32,uint8,uint32)",
        &[Arg::bytes32(acct(2).0), Arg::uint(1), Arg::uint(1)],
    );
    assert_eq!(words(&c, bal), vec![1_000]);
    let period = words(&c, encode_call("currentPeriod()", &[]));
    assert_eq!(period[..2], [1, 1]);
    assert_eq!(period[2], u128::from(c.time));
    assert_eq!(
        words(
            &c,
            encode_call("creditScore(bytes32)", &[Arg::bytes32(acct(1).0)])
        ),
        vec![10_000]
    );
    assert_eq!(
        words(&c, encode_call("bestBid(uint8,uint32)", &inst)),
        vec![0, 0]
    );
    // An order placed through the operations contract, for the signer.
    let r = call_ok(&mut c, 1, OPS, order(1, 0, 10, 5_000), 0);
    assert!(r.events.iter().all(|e| e.source == exec::MARKET_SOURCE));
    let id = query::open_orders(&c.state, &acct(1)).unwrap()[0].id;
    assert_eq!(
        words(&c, encode_call("bestBid(uint8,uint32)", &inst)),
        vec![5_000, 10]
    );
    assert_eq!(
        words(
            &c,
            encode_call(
                "escrowOf(bytes32,uint8,uint32)",
                &[Arg::bytes32(acct(1).0), Arg::uint(0), Arg::uint(0)]
            )
        )[0],
        u128::from(query::escrow(&c.state, &acct(1), &Asset::Token).unwrap())
    );
    // The seller crosses it; the last price follows.
    call_ok(&mut c, 2, OPS, order(1, 1, 4, 5_000), 0);
    assert_eq!(
        words(&c, encode_call("lastPrice(uint8,uint32)", &inst)),
        vec![5_000]
    );
    assert_eq!(
        words(&c, encode_call("bestBid(uint8,uint32)", &inst)),
        vec![5_000, 6]
    );
    assert_eq!(c.bal(1, Asset::Allowance(P)), 4);
    // Cancel through the contract; someone else's cancel is refused.
    let cancel = encode_call("cancelOrder(uint64)", &[Arg::uint(id.0.into())]);
    let r = call(&mut c, 2, OPS, cancel.clone(), 0);
    assert!(failure(&r).1.starts_with("market:"), "{r:?}");
    call_ok(&mut c, 1, OPS, cancel, 0);
    assert_eq!(
        words(&c, encode_call("bestBid(uint8,uint32)", &inst)),
        vec![0, 0]
    );
    assert!(query::open_orders(&c.state, &acct(1)).unwrap().is_empty());
    c.check_invariants();
}

#[test]
fn market_rules_apply_to_contracts_and_bad_calldata_reverts() {
    let mut c = market();
    // The precompile's answer to bad input: a revert with a reason.
    let r = call(&mut c, 1, OPS, vec![1, 2, 3], 0);
    assert_eq!(failure(&r).1, "market: unknown function selector");
    let mut short = order(1, 0, 10, 5_000);
    short.pop();
    assert!(
        failure(&call(&mut c, 1, OPS, short, 0))
            .1
            .starts_with("market: calldata must be")
    );
    let r = call(&mut c, 1, OPS, order(1, 7, 10, 5_000), 0);
    assert_eq!(failure(&r).1, "market: argument 2 out of range");
    // Out of the price band (reference 5,000 ± 10%): the market's code 13.
    let r = call(&mut c, 1, OPS, order(1, 0, 10, 9_000), 0);
    assert!(failure(&r).1.ends_with("(code 13)"), "{r:?}");
    // A free (unapproved) account may not trade allowances: code 6.
    c.ok(
        3,
        MarketTx::Register {
            name: "free".into(),
        },
    );
    let r = call(&mut c, 3, OPS, order(1, 0, 10, 5_000), 0);
    assert!(failure(&r).1.ends_with("(code 6)"), "{r:?}");
}

#[test]
fn the_same_evm_blocks_give_identical_roots_on_two_stores() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (open_store(da.path()), open_store(db.path()));
    // A model chain signs with the right nonces and predicts the state.
    let mut model = Chain::new();
    let mut blocks = vec![model.sign_all(vec![(1, MarketTx::Register { name: "a".into() })])];
    model.commit(&blocks[0]);
    blocks.push(model.sign_all(vec![(
        REG,
        MarketTx::Approve {
            account: acct(1),
            role: carbon_ledger::market::Role::Enterprise,
        },
    )]));
    model.commit(&blocks[1]);
    let args = [Arg::string("T"), Arg::string("T"), Arg::uint(1_000)];
    let deploy = sign(
        &mut model,
        1,
        Payload::Deploy {
            init_code: init("Token", &args),
            gas_limit: GAS,
        },
    );
    blocks.push(vec![deploy]);
    let rs = model.commit(&blocks[2]);
    let token: [u8; 20] = rs[0].events[0].data.clone().try_into().unwrap();
    let mut txs = Vec::new();
    let n0 = query::nonce(&model.state, &acct(1)).unwrap();
    for i in 0..20u16 {
        let data = encode_call(
            "transfer(address,uint256)",
            &[Arg::address(addr(100 + i)), Arg::uint(i.into())],
        );
        txs.push(sign_nonce(
            1,
            n0 + u64::from(i),
            Payload::Call {
                to: token,
                input: data,
                gas_limit: 100_000,
                value: 0,
            },
        ));
    }
    blocks.push(txs);
    assert!(
        model
            .commit(&blocks[3])
            .iter()
            .all(|r| r.status == TxStatus::Success)
    );
    let mut time = T0;
    for txs in &blocks {
        time += 1_000;
        let ha = commit_block(&a, time, txs).header;
        let hb = commit_block(&b, time, txs).header;
        assert_eq!(ha, hb);
    }
    assert_eq!(a.head().unwrap(), b.head().unwrap());
    assert!(a.verify_integrity().is_ok());
    // The head state answers read-only calls and code lookups.
    let r = evm::call(
        &a,
        None,
        token,
        &encode_call("balanceOf(address)", &[Arg::address(addr(119))]),
        TimestampMs(time),
    )
    .unwrap();
    assert_eq!(word(&r.output, 0).unwrap().to::<u64>(), 19);
    assert_eq!(
        evm::query::code(&a, token).unwrap(),
        evm::query::code(&model.state, token).unwrap()
    );
    // The model (in memory) agrees with the stores' receipts.
    let stored = a
        .transaction(&blocks[3][19].hash())
        .unwrap()
        .expect("committed");
    assert_eq!(stored.receipt.status, TxStatus::Success);
}
