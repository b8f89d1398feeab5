//! EVM helpers over the market tests' in-memory chain: committed contract
//! bytecode from `examples/contracts/build/`, deploy and call
//! transactions, read-only calls.
#![allow(dead_code)]

use carbon_ledger::evm::calldata::{self, Arg};
use carbon_ledger::evm::{self, CallResult};
use carbon_ledger::market::{MarketTx, PeriodId, Role, query};
use carbon_ledger::{
    AccountId, Nonce, Payload, PublicKey, Receipt, TimestampMs, Transaction, TxBody, TxStatus,
};

use crate::market_support::*;

/// The market operations contract.
pub const OPS: [u8; 20] = evm::MARKET_OPS.0.0;
/// The market view contract.
pub const VIEW: [u8; 20] = evm::MARKET_VIEW.0.0;
/// Gas for test transactions.
pub const GAS: u64 = 3_000_000;

/// Init code of an example contract (hex from `build/<name>.bin`).
pub fn bytecode(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../examples/contracts/build/{name}.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    hex::decode(text.trim()).expect("hex bytecode")
}

/// Init code followed by ABI-encoded constructor arguments.
pub fn init(name: &str, args: &[Arg]) -> Vec<u8> {
    let mut code = bytecode(name);
    code.extend(calldata::encode(args));
    code
}

/// The EVM address of a test key's account.
pub fn addr(seed: u16) -> [u8; 20] {
    evm::evm_address(&acct(seed)).0.0
}

/// A contract's market account id.
pub fn contract_acct(a: [u8; 20]) -> AccountId {
    evm::contract_account(&a.into())
}

/// The enterprise `seed`, registered and approved.
/// A chain with period 1 open, enterprises 1 and 2, and `allocated` tonnes
/// of vintage 1 allocated to enterprise 2.
pub fn two_enterprises(allocated: u64) -> Chain {
    let mut c = Chain::new();
    c.open_period(1);
    enterprise(&mut c, 1);
    enterprise(&mut c, 2);
    c.ok(
        REG,
        MarketTx::Allocate {
            period: PeriodId(1),
            allocations: vec![(acct(2), allocated)],
        },
    );
    c
}

/// Enterprise `seed` deploys the `MarketProbe` example contract and has it
/// register with the market (as "probe"); its address.
pub fn registered_probe(c: &mut Chain, seed: u16) -> [u8; 20] {
    let probe = deployed(c, seed, bytecode("MarketProbe"));
    let name = Arg::bytes32(*b"probe\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    call_ok(
        c,
        seed,
        probe,
        calldata::call("register(bytes32)", &[name]),
        0,
    );
    probe
}

pub fn enterprise(c: &mut Chain, seed: u16) {
    c.member(seed, Role::Enterprise);
}

/// Signs `payload` from `seed` with its next nonce.
pub fn sign(c: &mut Chain, seed: u16, payload: Payload) -> Transaction {
    if !c.seeds.contains(&seed) {
        c.seeds.push(seed);
    }
    let nonce = query::nonce(&c.state, &acct(seed)).unwrap();
    let body = TxBody {
        chain_id: chain(),
        sender: PublicKey::ZERO,
        nonce: Nonce(nonce),
        payload,
    };
    Transaction::sign(body, &key(seed))
}

/// Signs `payload` from `seed` with an explicit nonce.
pub fn sign_nonce(seed: u16, nonce: u64, payload: Payload) -> Transaction {
    let body = TxBody {
        chain_id: chain(),
        sender: PublicKey::ZERO,
        nonce: Nonce(nonce),
        payload,
    };
    Transaction::sign(body, &key(seed))
}

/// Runs one payload from `seed` in its own block.
pub fn send(c: &mut Chain, seed: u16, payload: Payload) -> Receipt {
    let tx = sign(c, seed, payload);
    c.commit(&[tx]).remove(0)
}

/// Deploys `init_code` from `seed`; returns the receipt and, on success,
/// the new contract's address (from the receipt's `contract_created`).
pub fn deploy(c: &mut Chain, seed: u16, init_code: Vec<u8>) -> (Receipt, Option<[u8; 20]>) {
    let r = send(
        c,
        seed,
        Payload::Deploy {
            init_code,
            gas_limit: GAS * 3,
        },
    );
    let created = r
        .events
        .iter()
        .find(|e| e.source == evm::EVM_SOURCE)
        .map(|e| <[u8; 20]>::try_from(e.data.as_slice()).expect("20-byte address"));
    (r, created)
}

/// Deploys and requires success.
#[track_caller]
pub fn deployed(c: &mut Chain, seed: u16, init_code: Vec<u8>) -> [u8; 20] {
    let (r, a) = deploy(c, seed, init_code);
    assert_eq!(r.status, TxStatus::Success, "deploy: {r:?}");
    a.expect("created address")
}

/// Calls `to` from `seed` with calldata and value.
pub fn call(c: &mut Chain, seed: u16, to: [u8; 20], input: Vec<u8>, value: u64) -> Receipt {
    send(
        c,
        seed,
        Payload::Call {
            to,
            input,
            gas_limit: GAS,
            value,
        },
    )
}

/// Calls and requires success.
#[track_caller]
pub fn call_ok(c: &mut Chain, seed: u16, to: [u8; 20], input: Vec<u8>, value: u64) -> Receipt {
    let r = call(c, seed, to, input, value);
    assert_eq!(r.status, TxStatus::Success, "call: {r:?}");
    r
}

/// A read-only call against the chain's state as `seed`.
pub fn view(c: &Chain, seed: u16, to: [u8; 20], input: Vec<u8>) -> CallResult {
    evm::call(&c.state, Some(acct(seed)), to, &input, TimestampMs(c.time)).expect("call runs")
}

/// A read-only call returning one word as u128.
#[track_caller]
pub fn view_u(c: &Chain, to: [u8; 20], input: Vec<u8>) -> u128 {
    let r = view(c, REG, to, input);
    assert!(r.success, "view: {}", r.reason);
    calldata::word(&r.output, 0).expect("a word").to::<u128>()
}

/// The failure code and reason of a receipt.
#[track_caller]
pub fn failure(r: &Receipt) -> (u32, String) {
    match &r.status {
        TxStatus::Failed { code, reason } => (*code, reason.clone()),
        TxStatus::Success => panic!("expected a failure: {r:?}"),
    }
}

/// Keccak-256.
pub fn keccak(b: &[u8]) -> [u8; 32] {
    carbon_ledger::evm::calldata::keccak(b)
}

/// Mints tokens to any account (a contract's too).
pub fn mint_to(c: &mut Chain, to: AccountId, amount: u64) {
    c.ok(
        REG,
        MarketTx::Mint {
            to,
            amount,
            reference: "bank".into(),
        },
    );
}

/// The market's invariants (`market::audit`) over the chain's accounts and
/// these contracts' accounts, for vintage 1.
#[track_caller]
pub fn audit_with(c: &Chain, contracts: &[[u8; 20]]) {
    let mut accounts = c.accounts();
    accounts.extend(contracts.iter().map(|a| contract_acct(*a)));
    let instruments = vec![carbon_ledger::market::Instrument::Allowance(
        carbon_ledger::market::PeriodId(1),
    )];
    if let Err(e) =
        carbon_ledger::market::audit::check(&c.state, &accounts, &c.assets(), &instruments)
    {
        panic!("{e}");
    }
}
