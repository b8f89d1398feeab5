//! Contracts on the ledger: deploy and call round trips, an ERC-20 token
//! and its events, and the example allowance forward and block-trade
//! escrow acting on the market through the precompiled market contracts.
//! Bytecode is the committed `examples/contracts/build/` output.
#![cfg(feature = "evm")]

mod evm_support;
mod market_support;

use carbon_ledger::Hash32;
use carbon_ledger::evm::calldata::{Arg, call as encode_call};
use carbon_ledger::evm::{self, query};
use carbon_ledger::market::{Asset, MarketTx, PeriodId, Role};
use evm_support::*;
use market_support::*;

const P: PeriodId = PeriodId(1);
const AL: Asset = Asset::Allowance(P);

fn keccak(s: &str) -> Hash32 {
    Hash32(evm_support::keccak(s.as_bytes()))
}

fn word_of(a: [u8; 20]) -> Hash32 {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(&a);
    Hash32(w)
}

#[test]
fn a_deployed_contract_answers_calls_and_its_code_can_be_looked_up() {
    let mut c = Chain::new();
    enterprise(&mut c, 1);
    let probe = deployed(&mut c, 1, bytecode("MarketProbe"));
    // CREATE address from the deployer's address and the deploying
    // transaction's nonce (1: it registered first).
    let expected = evm::address::create_address(&addr(1).into(), 1);
    assert_eq!(probe, expected.0.0);
    assert_eq!(
        query::evm_nonce(&c.state, addr(1)).unwrap(),
        0,
        "nothing stored for a key's account"
    );
    let code = query::code(&c.state, probe).unwrap().expect("code stored");
    assert!(!code.is_empty() && code.len() < bytecode("MarketProbe").len());
    assert_eq!(query::code(&c.state, addr(1)).unwrap(), None);
    // A transaction changes storage and emits a log; a read-only call sees it.
    let r = call_ok(&mut c, 1, probe, encode_call("poke()", &[]), 0);
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].source, evm::log_source(&probe));
    assert_eq!(r.events[0].topics, vec![keccak("Poked(uint256)")]);
    assert!(r.cost.gas_used > 21_000);
    assert_eq!(view_u(&c, probe, encode_call("counter()", &[])), 1);
    // The read-only call wrote nothing: state unchanged after it.
    let before = c.state.clone();
    let v = view(&c, 2, probe, encode_call("poke()", &[]));
    assert!(v.success);
    assert_eq!(c.state, before);
    assert_eq!(view_u(&c, probe, encode_call("counter()", &[])), 1);
}

#[test]
fn erc20_transfers_move_balances_and_emit_transfer_events() {
    let mut c = Chain::new();
    enterprise(&mut c, 1);
    let args = [
        Arg::string("Carbon Coin"),
        Arg::string("CCC"),
        Arg::uint(1_000_000),
    ];
    let (r, token) = deploy(&mut c, 1, init("Token", &args));
    let token = token.expect("deployed");
    // The constructor's mint event follows the creation event.
    assert_eq!(
        r.events[1].topics[0],
        keccak("Transfer(address,address,uint256)")
    );
    let bal = |c: &Chain, who: [u8; 20]| {
        view_u(
            c,
            token,
            encode_call("balanceOf(address)", &[Arg::address(who)]),
        )
    };
    assert_eq!(bal(&c, addr(1)), 1_000_000);
    let t = call_ok(
        &mut c,
        1,
        token,
        encode_call(
            "transfer(address,uint256)",
            &[Arg::address(addr(2)), Arg::uint(250)],
        ),
        0,
    );
    assert_eq!(t.events.len(), 1);
    let e = &t.events[0];
    assert_eq!(
        e.topics,
        vec![
            keccak("Transfer(address,address,uint256)"),
            word_of(addr(1)),
            word_of(addr(2))
        ]
    );
    assert_eq!(e.data, Arg::uint(250).word().to_vec());
    assert_eq!((bal(&c, addr(1)), bal(&c, addr(2))), (999_750, 250));
    // approve + transferFrom by a third account.
    call_ok(
        &mut c,
        2,
        token,
        encode_call(
            "approve(address,uint256)",
            &[Arg::address(addr(3)), Arg::uint(100)],
        ),
        0,
    );
    call_ok(
        &mut c,
        3,
        token,
        encode_call(
            "transferFrom(address,address,uint256)",
            &[Arg::address(addr(2)), Arg::address(addr(3)), Arg::uint(60)],
        ),
        0,
    );
    assert_eq!((bal(&c, addr(2)), bal(&c, addr(3))), (190, 60));
    // Overdrawing reverts with the contract's reason; balances stay.
    let r = call(
        &mut c,
        3,
        token,
        encode_call(
            "transfer(address,uint256)",
            &[Arg::address(addr(1)), Arg::uint(61)],
        ),
        0,
    );
    assert_eq!(
        failure(&r),
        (evm::CODE_REVERTED, "ERC20: insufficient balance".into())
    );
    assert_eq!(bal(&c, addr(3)), 60);
    assert_eq!(
        view_u(&c, token, encode_call("totalSupply()", &[])),
        1_000_000
    );
}

/// Buyer 1 and seller 2, enterprises; the seller holds 1,000 t of vintage
/// 1 and the buyer ¥10,000 (1,000,000 fen).
fn forward_market() -> Chain {
    let mut c = two_enterprises(1_000);
    c.mint(1, 1_000_000);
    c
}

/// Deploys a forward (100 t for 500,000 fen, deadline in a day), approves
/// its account as an enterprise and funds it.
fn funded_forward(c: &mut Chain) -> [u8; 20] {
    let deadline = c.time / 1000 + 86_400;
    let args = [
        Arg::bytes32(acct(2).0),
        Arg::uint(1),
        Arg::uint(100),
        Arg::uint(500_000),
        Arg::uint(deadline.into()),
    ];
    let fwd = deployed(c, 1, init("AllowanceForward", &args));
    c.ok(
        REG,
        MarketTx::Approve {
            account: contract_acct(fwd),
            role: Role::Enterprise,
        },
    );
    // The buyer's account, resolved by the market contract at deployment.
    assert_eq!(
        view(c, 3, fwd, encode_call("buyer()", &[])).output,
        acct(1).0.to_vec()
    );
    let r = call(c, 1, fwd, encode_call("fund()", &[]), 499_999);
    assert_eq!(failure(&r).1, "forward: wrong payment");
    call_ok(c, 1, fwd, encode_call("fund()", &[]), 500_000);
    assert_eq!(c.bal(1, Asset::Token), 500_000);
    fwd
}

fn deliver(c: &mut Chain, fwd: [u8; 20], qty: u64) {
    let data = encode_call(
        "transfer(bytes32,uint8,uint32,uint64)",
        &[
            Arg::bytes32(contract_acct(fwd).0),
            Arg::uint(1),
            Arg::uint(1),
            Arg::uint(qty.into()),
        ],
    );
    call_ok(c, 2, OPS, data, 0);
}

#[test]
fn the_allowance_forward_settles_when_the_seller_delivers_in_time() {
    let mut c = forward_market();
    let fwd = funded_forward(&mut c);
    let r = call(&mut c, 3, fwd, encode_call("settle()", &[]), 0);
    assert_eq!(failure(&r).1, "forward: allowances not delivered");
    deliver(&mut c, fwd, 100);
    let r = call_ok(&mut c, 3, fwd, encode_call("settle()", &[]), 0);
    // Two market transfers (as market events) and the contract's own log.
    let market_events = r
        .events
        .iter()
        .filter(|e| e.source == carbon_ledger::exec::MARKET_SOURCE)
        .count();
    assert_eq!(market_events, 2);
    assert_eq!(c.bal(1, AL), 100);
    assert_eq!(c.bal(2, AL), 900);
    assert_eq!(c.bal(2, Asset::Token), 500_000);
    assert_eq!(c.bal(1, Asset::Token), 500_000);
    let r = call(&mut c, 3, fwd, encode_call("settle()", &[]), 0);
    assert_eq!(failure(&r).1, "forward: not funded");
    c.check_invariants();
}

#[test]
fn the_allowance_forward_refunds_after_the_deadline_without_delivery() {
    let mut c = forward_market();
    let fwd = funded_forward(&mut c);
    deliver(&mut c, fwd, 40);
    let r = call(&mut c, 3, fwd, encode_call("refund()", &[]), 0);
    assert_eq!(failure(&r).1, "forward: before the deadline");
    c.time += 2 * DAY;
    let r = call(&mut c, 3, fwd, encode_call("settle()", &[]), 0);
    assert_eq!(failure(&r).1, "forward: past the deadline");
    call_ok(&mut c, 3, fwd, encode_call("refund()", &[]), 0);
    assert_eq!(c.bal(1, Asset::Token), 1_000_000);
    assert_eq!(c.bal(2, AL), 1_000);
    assert_eq!(c.bal(1, AL), 0);
    c.check_invariants();
}

#[test]
fn the_block_trade_escrow_settles_and_cancels() {
    let mut c = forward_market();
    let deploy_escrow = |c: &mut Chain| {
        let args = [
            Arg::address(addr(2)),
            Arg::bytes32(acct(2).0),
            Arg::uint(1),
            Arg::uint(100),
            Arg::uint(5_000),
        ];
        let e = deployed(c, 1, init("BlockTradeEscrow", &args));
        c.ok(
            REG,
            MarketTx::Approve {
                account: contract_acct(e),
                role: Role::Enterprise,
            },
        );
        e
    };
    let esc = deploy_escrow(&mut c);
    let r = call(&mut c, 3, esc, encode_call("settle()", &[]), 0);
    assert_eq!(failure(&r).1, "escrow: not a party");
    call_ok(&mut c, 1, esc, encode_call("deposit()", &[]), 500_000);
    deliver(&mut c, esc, 100);
    call_ok(&mut c, 2, esc, encode_call("settle()", &[]), 0);
    assert_eq!((c.bal(1, AL), c.bal(2, Asset::Token)), (100, 500_000));
    // A second escrow, cancelled by the seller after both deposits.
    let esc = deploy_escrow(&mut c);
    call_ok(&mut c, 1, esc, encode_call("deposit()", &[]), 500_000);
    deliver(&mut c, esc, 100);
    call_ok(&mut c, 2, esc, encode_call("cancel()", &[]), 0);
    assert_eq!((c.bal(1, Asset::Token), c.bal(2, AL)), (500_000, 900));
    let r = call(&mut c, 1, esc, encode_call("deposit()", &[]), 500_000);
    assert_eq!(failure(&r).1, "escrow: closed or paid");
    assert_eq!(c.bal(1, Asset::Token), 500_000);
    c.check_invariants();
}
