//! The EVM's rules: failures undo every effect but the nonce, an inner
//! frame's market operation is undone with it, contracts act only for
//! themselves in the market, frozen accounts and contracts can do nothing
//! through a contract (limits and parameters: `evm_limits.rs`).
#![cfg(feature = "evm")]

mod evm_support;
mod market_support;

use carbon_ledger::evm;
use carbon_ledger::evm::calldata::{Arg, call as encode_call};
use carbon_ledger::market::{Asset, MarketTx, PeriodId};
use carbon_ledger::{Payload, Transaction};
use evm_support::*;
use market_support::*;

const P: PeriodId = PeriodId(1);
const AL: Asset = Asset::Allowance(P);

/// Enterprise 1 deploys a probe that is registered and holds 1,000 fen;
/// enterprise 2 holds 500 t of vintage 1 and 1,000 fen.
fn setup() -> (Chain, [u8; 20]) {
    let mut c = two_enterprises(500);
    c.mint(2, 1_000);
    let probe = registered_probe(&mut c, 1);
    mint_to(&mut c, contract_acct(probe), 1_000);
    (c, probe)
}

fn send_args(to: u16, kind: u8, amount: u64) -> Vec<Arg> {
    vec![
        Arg::bytes32(acct(to).0),
        Arg::uint(kind.into()),
        Arg::uint(1),
        Arg::uint(amount.into()),
    ]
}

/// The keys a block wrote.
fn written(c: &Chain, tx: &Transaction) -> Vec<Vec<u8>> {
    c.execute(std::slice::from_ref(tx))
        .writes
        .iter()
        .map(|(k, _)| k.to_vec())
        .collect()
}

/// A failed transaction writes its sender's nonce only (the ledger nonce
/// is the EVM nonce too).
fn nonce_keys(seed: u16) -> Vec<Vec<u8>> {
    vec![carbon_ledger::market::keys::nonce_key(&acct(seed))]
}

#[test]
fn a_revert_leaves_state_as_it_was_apart_from_the_nonces() {
    let (mut c, probe) = setup();
    let data = encode_call(
        "sendThenRevert(bytes32,uint8,uint32,uint64)",
        &send_args(2, 0, 10),
    );
    let tx = sign(
        &mut c,
        1,
        Payload::Call {
            to: probe,
            input: data,
            gas_limit: GAS,
            value: 0,
        },
    );
    assert_eq!(written(&c, &tx), nonce_keys(1));
    let r = c.commit(&[tx]).remove(0);
    assert_eq!(
        failure(&r),
        (evm::CODE_REVERTED, "probe: changed my mind".into())
    );
    assert!(r.events.is_empty() && r.cost.gas_used > 21_000);
    assert_eq!(c.bal(2, Asset::Token), 1_000);
    assert_eq!(view_u(&c, probe, encode_call("counter()", &[])), 0);
}

#[test]
fn an_inner_revert_undoes_its_market_transfer_while_the_outer_call_stands() {
    let (mut c, probe) = setup();
    let data = encode_call(
        "innerRevert(bytes32,uint8,uint32,uint64)",
        &send_args(2, 0, 10),
    );
    let r = call_ok(&mut c, 1, probe, data, 0);
    assert_eq!(
        c.bal(2, Asset::Token),
        1_010,
        "only the outer transfer happened"
    );
    assert_eq!(view_u(&c, probe, encode_call("counter()", &[])), 10);
    let sources: Vec<&str> = r.events.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(
        sources,
        vec![carbon_ledger::exec::MARKET_SOURCE, &evm::log_source(&probe)]
    );
    audit_with(&c, &[probe]);
}

#[test]
fn out_of_gas_and_panics_fail_with_their_reason_and_undo_everything() {
    let (mut c, probe) = setup();
    let tx = sign(
        &mut c,
        1,
        Payload::Call {
            to: probe,
            input: encode_call("burn()", &[]),
            gas_limit: 100_000,
            value: 0,
        },
    );
    assert_eq!(written(&c, &tx), nonce_keys(1));
    let r = c.commit(&[tx]).remove(0);
    let (code, reason) = failure(&r);
    assert_eq!(code, evm::CODE_HALTED);
    assert!(reason.contains("OutOfGas"), "{reason}");
    assert_eq!(r.cost.gas_used, 100_000);
    let r = call(&mut c, 1, probe, encode_call("overflow()", &[]), 0);
    assert_eq!(
        failure(&r),
        (
            evm::CODE_REVERTED,
            "panic 0x11: arithmetic overflow or underflow".into()
        )
    );
}

#[test]
fn a_contract_cannot_move_an_accounts_allowances_without_its_own_transaction() {
    let (mut c, probe) = setup();
    // The probe acts for itself: it holds no allowances, so this fails.
    let r = call(
        &mut c,
        2,
        probe,
        encode_call("send(bytes32,uint8,uint32,uint64)", &send_args(1, 1, 10)),
        0,
    );
    let (code, reason) = failure(&r);
    assert_eq!(code, evm::CODE_REVERTED);
    assert!(
        reason.starts_with("market: insufficient") && reason.ends_with("(code 8)"),
        "{reason}"
    );
    // Delegatecall would act for the caller's caller: refused.
    let r = call(
        &mut c,
        2,
        probe,
        encode_call(
            "delegateSend(bytes32,uint8,uint32,uint64)",
            &send_args(1, 1, 10),
        ),
        0,
    );
    assert_eq!(failure(&r).1, "delegatecall refused");
    assert_eq!((c.bal(2, AL), c.bal(1, AL)), (500, 0));
    // The holder's own transaction to the market contract moves them.
    let own = encode_call(
        "transfer(bytes32,uint8,uint32,uint64)",
        &send_args(1, 1, 10),
    );
    let r = call_ok(&mut c, 2, OPS, own.clone(), 0);
    assert_eq!(r.events[0].source, carbon_ledger::exec::MARKET_SOURCE);
    assert_eq!((c.bal(2, AL), c.bal(1, AL)), (490, 10));
    // Writes through the view contract are refused.
    let r = call(&mut c, 2, VIEW, own, 0);
    assert_eq!(failure(&r).1, "market: function not at this address");
    audit_with(&c, &[probe]);
}

#[test]
fn a_frozen_account_or_contract_can_do_nothing_through_a_contract() {
    let (mut c, probe) = setup();
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: acct(2),
            frozen: true,
        },
    );
    // A frozen sender's EVM transaction fails before running, writing nothing.
    let tx = sign(
        &mut c,
        2,
        Payload::Call {
            to: probe,
            input: encode_call("poke()", &[]),
            gas_limit: GAS,
            value: 0,
        },
    );
    assert!(written(&c, &tx).is_empty());
    let r = c.commit(&[tx]).remove(0);
    assert_eq!(failure(&r).0, 2);
    // A frozen contract can neither be called nor act in the market.
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: acct(2),
            frozen: false,
        },
    );
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: contract_acct(probe),
            frozen: true,
        },
    );
    let r = call(&mut c, 1, probe, encode_call("poke()", &[]), 0);
    assert_eq!(failure(&r).0, 2);
    let other = deployed(&mut c, 1, bytecode("MarketProbe"));
    let r = call(
        &mut c,
        1,
        other,
        encode_call("send(bytes32,uint8,uint32,uint64)", &send_args(2, 0, 1)),
        0,
    );
    assert_eq!(
        failure(&r).0,
        evm::CODE_REVERTED,
        "the unregistered probe cannot send"
    );
    let data = encode_call(
        "transfer(bytes32,uint8,uint32,uint64)",
        &[
            Arg::bytes32(contract_acct(probe).0),
            Arg::uint(0),
            Arg::uint(0),
            Arg::uint(5),
        ],
    );
    let r = call(&mut c, 2, OPS, data, 0);
    assert!(failure(&r).1.contains("frozen"), "{r:?}");
    assert_eq!(c.bal(2, Asset::Token), 1_000);
}
