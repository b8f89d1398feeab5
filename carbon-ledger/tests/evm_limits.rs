//! The EVM's limits: EIP-170 code size, malformed and oversized
//! transactions refused with typed errors, gas limits, fees and deployer
//! lists as regulator parameters, value paid through the market.
#![cfg(feature = "evm")]

mod evm_support;
mod market_support;

use carbon_ledger::evm::calldata::{Arg, call as encode_call};
use carbon_ledger::evm::{self, EvmError, MAX_CALLDATA_BYTES, MAX_CODE_BYTES, MAX_INIT_CODE_BYTES};
use carbon_ledger::market::{Asset, MarketTx, platform_account};
use carbon_ledger::{ParamValue, Payload, StateView, Transaction, TxStatus};
use evm_support::*;
use market_support::*;

/// Enterprise 1 deploys a probe that is registered and holds 1,000 fen;
/// enterprise 2 holds 500 t of vintage 1 and 1,000 fen.
fn setup() -> (Chain, [u8; 20]) {
    let mut c = two_enterprises(500);
    c.mint(2, 1_000);
    let probe = registered_probe(&mut c, 1);
    mint_to(&mut c, contract_acct(probe), 1_000);
    (c, probe)
}

/// The keys a block wrote.
fn written(c: &Chain, tx: &Transaction) -> Vec<Vec<u8>> {
    c.execute(std::slice::from_ref(tx))
        .writes
        .iter()
        .map(|(k, _)| k.to_vec())
        .collect()
}

#[test]
fn code_over_the_eip170_limit_is_not_deployed() {
    let mut c = Chain::new();
    enterprise(&mut c, 1);
    // PUSH2 len PUSH1 0 RETURN: returns `len` zero bytes as the code.
    let init = |len: usize| vec![0x61, (len >> 8) as u8, len as u8, 0x60, 0x00, 0xf3];
    let (r, a) = deploy(&mut c, 1, init(MAX_CODE_BYTES + 1));
    assert_eq!(failure(&r).0, evm::CODE_HALTED);
    assert!(failure(&r).1.contains("CreateContractSizeLimit"), "{r:?}");
    assert!(a.is_none());
    let (r, a) = deploy(&mut c, 1, init(MAX_CODE_BYTES));
    assert_eq!(r.status, TxStatus::Success, "{r:?}");
    assert_eq!(
        evm::query::code(&c.state, a.unwrap())
            .unwrap()
            .unwrap()
            .len(),
        MAX_CODE_BYTES
    );
}

#[test]
fn oversized_and_malformed_transactions_are_refused_with_typed_errors() {
    let mut c = Chain::new();
    enterprise(&mut c, 1);
    let big_call = Payload::Call {
        to: [1; 20],
        input: vec![0; MAX_CALLDATA_BYTES + 1],
        gas_limit: GAS,
        value: 0,
    };
    assert_eq!(
        evm::check_payload(&big_call),
        Err(EvmError::CalldataTooLarge {
            len: MAX_CALLDATA_BYTES + 1,
            max: MAX_CALLDATA_BYTES
        })
    );
    let big_init = Payload::Deploy {
        init_code: vec![0; MAX_INIT_CODE_BYTES + 1],
        gas_limit: GAS,
    };
    assert!(matches!(
        evm::check_payload(&big_init),
        Err(EvmError::InitCodeTooLarge { .. })
    ));
    let empty = Payload::Deploy {
        init_code: vec![],
        gas_limit: GAS,
    };
    assert_eq!(evm::check_payload(&empty), Err(EvmError::EmptyInitCode));
    let no_gas = Payload::Call {
        to: [1; 20],
        input: vec![],
        gas_limit: 0,
        value: 0,
    };
    assert!(matches!(
        evm::check_payload(&no_gas),
        Err(EvmError::GasLimit { got: 0, .. })
    ));
    for (p, code) in [(big_call, 33), (big_init, 33), (empty, 33), (no_gas, 34)] {
        let tx = sign(&mut c, 1, p);
        assert_eq!(
            written(&c, &tx),
            vec![carbon_ledger::market::keys::nonce_key(&acct(1))]
        );
        let r = c.commit(&[tx]).remove(0);
        assert_eq!(failure(&r).0, code);
    }
    // Calldata under the intrinsic gas: refused by the EVM, nonce consumed.
    let r = send(
        &mut c,
        1,
        Payload::Call {
            to: [1; 20],
            input: vec![1; 10_000],
            gas_limit: 21_000,
            value: 0,
        },
    );
    assert!(failure(&r).1.starts_with("refused by the EVM"), "{r:?}");
    // Truncated or trailing bytes of an EVM transaction do not decode.
    let tx = sign(
        &mut c,
        1,
        Payload::Call {
            to: [1; 20],
            input: vec![7; 40],
            gas_limit: GAS,
            value: 0,
        },
    );
    let bytes = tx.to_bytes();
    assert!(Transaction::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(Transaction::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_err());
    assert_eq!(Transaction::from_bytes(&bytes).unwrap(), tx);
}

#[test]
fn gas_limits_fees_and_deployer_lists_are_regulator_parameters() {
    let (mut c, probe) = setup();
    let set = |c: &mut Chain, name: &str, value: ParamValue| {
        c.ok(
            REG,
            MarketTx::SetParam {
                name: name.into(),
                value,
            },
        )
    };
    // Unknown or out-of-range EVM parameters are refused; only the regulator sets them.
    assert_eq!(
        c.fails(
            REG,
            MarketTx::SetParam {
                name: "evm.nope".into(),
                value: ParamValue::Int(1)
            }
        ),
        7
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::SetParam {
                name: "evm.tx_gas_limit".into(),
                value: ParamValue::Int(1)
            }
        ),
        3
    );
    set(&mut c, "evm.tx_gas_limit", ParamValue::Int(2_000_000));
    let r = call(&mut c, 1, probe, encode_call("poke()", &[]), 0);
    assert_eq!(failure(&r).0, 34, "GAS is above the per-transaction limit");
    set(&mut c, "evm.tx_gas_limit", ParamValue::Int(30_000_000));
    set(&mut c, "evm.block_gas_limit", ParamValue::Int(150_000));
    let poke = || Payload::Call {
        to: probe,
        input: encode_call("poke()", &[]),
        gas_limit: 100_000,
        value: 0,
    };
    let t1 = sign(&mut c, 1, poke());
    let t2 = sign(&mut c, 2, poke());
    let rs = c.commit(&[t1, t2]);
    assert_eq!(rs[0].status, TxStatus::Success);
    assert_eq!(failure(&rs[1]).0, 34);
    set(
        &mut c,
        "evm.block_gas_limit",
        ParamValue::Int(1_000_000_000),
    );
    // A fee of 1 fen per gas, charged on success and on failure.
    c.mint(2, 10_000_000);
    set(
        &mut c,
        "evm.gas_price_micro_fen",
        ParamValue::Int(1_000_000),
    );
    let before = (c.bal(2, Asset::Token), query_platform(&c));
    let r = call_ok(&mut c, 2, probe, encode_call("poke()", &[]), 0);
    let fee = r.cost.gas_used;
    assert_eq!(c.bal(2, Asset::Token), before.0 - fee);
    assert_eq!(query_platform(&c), before.1 + fee);
    let r = send(
        &mut c,
        2,
        Payload::Call {
            to: probe,
            input: encode_call("overflow()", &[]),
            gas_limit: 30_000,
            value: 0,
        },
    );
    assert_eq!(failure(&r).0, evm::CODE_REVERTED);
    assert_eq!(c.bal(2, Asset::Token), before.0 - fee - r.cost.gas_used);
    let r = send(
        &mut c,
        2,
        Payload::Call {
            to: probe,
            input: vec![],
            gas_limit: 20_000_000,
            value: 0,
        },
    );
    assert_eq!(failure(&r).0, 8, "cannot pay for the whole gas limit");
    set(&mut c, "evm.gas_price_micro_fen", ParamValue::Int(0));
    // Deployment: admitted accounts only, or the regulator's list.
    c.ok(
        3,
        MarketTx::Register {
            name: "free".into(),
        },
    );
    let (r, _) = deploy(&mut c, 3, bytecode("MarketProbe"));
    assert_eq!(failure(&r).0, 35);
    set(
        &mut c,
        "evm.deployers",
        ParamValue::Text(hex::encode(acct(2).0)),
    );
    assert_eq!(failure(&deploy(&mut c, 1, bytecode("MarketProbe")).0).0, 35);
    deployed(&mut c, 2, bytecode("MarketProbe"));
    // A factory (runtime: CREATE of empty code): contracts created inside a
    // call count as deployments by the signer.
    let factory_init = hex::decode("6008600c60003960086000f3600060006000f000").unwrap();
    let factory = deployed(&mut c, 2, factory_init);
    let r = call(&mut c, 1, factory, vec![], 0);
    assert_eq!(failure(&r).0, 35, "{r:?}");
    assert_eq!(evm::query::evm_nonce(&c.state, factory).unwrap(), 1);
    call_ok(&mut c, 2, factory, vec![], 0);
    assert_eq!(evm::query::evm_nonce(&c.state, factory).unwrap(), 2);
}

fn query_platform(c: &Chain) -> u64 {
    carbon_ledger::market::query::balance(&c.state, &platform_account(), &Asset::Token).unwrap()
}

#[test]
fn value_is_paid_in_tokens_through_the_market_and_cannot_move_on_in_the_evm() {
    let (mut c, probe) = setup();
    // The probe is registered, so it may receive tokens with a call.
    call_ok(&mut c, 2, probe, encode_call("pay()", &[]), 300);
    assert_eq!(c.bal(2, Asset::Token), 700);
    let probe_tokens = |c: &Chain| {
        view_u(
            c,
            probe,
            encode_call(
                "balance(bytes32,uint8,uint32)",
                &[
                    Arg::bytes32(contract_acct(probe).0),
                    Arg::uint(0),
                    Arg::uint(0),
                ],
            ),
        )
    };
    assert_eq!(probe_tokens(&c), 1_300);
    // More than the balance: the market refuses, nothing runs.
    let r = call(&mut c, 2, probe, encode_call("pay()", &[]), 5_000);
    assert_eq!(failure(&r).0, 8);
    // Passing the value on in the EVM: refused, everything undone.
    let r = call(
        &mut c,
        2,
        probe,
        encode_call("payOn(address)", &[Arg::address(addr(1))]),
        50,
    );
    assert_eq!(failure(&r).0, 36, "{r:?}");
    assert_eq!(probe_tokens(&c), 1_300);
    // To an unregistered target: refused by the market's transfer rule.
    let r = call(&mut c, 2, [9; 20], vec![], 1);
    assert_eq!(failure(&r).0, 4);
    assert_eq!(c.bal(2, Asset::Token), 700);
    assert!(
        c.state
            .get(&evm::keys::account(&[9; 20].into()))
            .unwrap()
            .is_none()
    );
}

#[test]
fn evm_payloads_are_hex_in_json_and_round_trip_through_json_and_bcs() {
    let call = Payload::Call {
        to: [0xab; 20],
        input: vec![1, 2],
        gas_limit: 50_000,
        value: 3,
    };
    let json = serde_json::to_string(&call).unwrap();
    assert_eq!(
        json,
        format!(
            r#"{{"call":{{"to":"{}","input":"0102","gas_limit":50000,"value":3}}}}"#,
            "ab".repeat(20)
        )
    );
    assert_eq!(serde_json::from_str::<Payload>(&json).unwrap(), call);
    let deploy = Payload::Deploy {
        init_code: vec![0x60, 0x00],
        gas_limit: 60_000,
    };
    let json = serde_json::to_string(&deploy).unwrap();
    assert!(json.contains(r#""init_code":"6000""#), "{json}");
    assert_eq!(serde_json::from_str::<Payload>(&json).unwrap(), deploy);
    let short = r#"{"call":{"to":"abab","input":"","gas_limit":1,"value":0}}"#;
    assert!(serde_json::from_str::<Payload>(short).is_err());
    let bcs = carbon_ledger::codec::encode(&call);
    assert_eq!(
        carbon_ledger::codec::decode::<Payload>(&bcs, 1 << 20, "payload").unwrap(),
        call
    );
    // BCS: variant 3, the 20 address bytes, then length-prefixed input.
    assert_eq!(&bcs[..21], &[[3u8].as_slice(), &[0xab; 20]].concat()[..]);
    assert_eq!(&bcs[21..24], &[2, 1, 2]);
}
