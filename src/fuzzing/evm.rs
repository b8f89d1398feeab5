//! The EVM fuzz target (`carbon::fuzzing::evm_call`): arbitrary
//! calldata against the market contracts and a deployed contract.

use std::sync::OnceLock;

use carbon_ledger::exec::{self, MemState};
use carbon_ledger::market::{self, Ctx, MarketTx, Role};
use carbon_ledger::{
    AccountId, GenesisConfig, Nonce, Payload, PublicKey, Signature, TimestampMs, Transaction,
    TxBody, TxStatus, evm,
};

const T0: u64 = 1_767_225_600_000;

fn key(b: u8) -> PublicKey {
    PublicKey::from(&ed25519_dalek::SigningKey::from_bytes(&[b; 32]).verifying_key())
}

/// A state with an enterprise holding tokens and the `MarketProbe` example
/// contract deployed by it; the probe's address.
fn world() -> &'static (MemState, [u8; 20], AccountId) {
    static W: OnceLock<(MemState, [u8; 20], AccountId)> = OnceLock::new();
    W.get_or_init(|| {
        let hex32 = |b: u8| {
            key(b)
                .0
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
        };
        let json = format!(
            r#"{{"chain_id":"fuzz","timestamp_ms":{T0},
            "validators":[{{"name":"v","public_key":"{}","address":"127.0.0.1:1"}}],
            "observers":[{{"name":"reg","public_key":"{}","address":"127.0.0.1:2"}}],
            "regulator":"reg","parameters":{{}}}}"#,
            hex32(0xd7),
            hex32(0x58)
        );
        let g = GenesisConfig::from_json(&json).expect("the fuzz genesis is valid");
        let reg = key(0x58).account();
        let mut state = MemState::new();
        state.apply(&g.initial_state());
        let firm = key(0x66);
        let me = firm.account();
        for (actor, tx) in [
            (
                me,
                MarketTx::Register {
                    name: "firm".into(),
                },
            ),
            (
                reg,
                MarketTx::Approve {
                    account: me,
                    role: Role::Enterprise,
                },
            ),
            (
                reg,
                MarketTx::Mint {
                    to: me,
                    amount: 1 << 40,
                    reference: "fuzz".into(),
                },
            ),
        ] {
            let w = {
                let mut cx = Ctx::new(&state, TimestampMs(T0));
                market::apply(&mut cx, &actor, &tx).expect("fuzz setup");
                cx.finish().0
            };
            state.apply(&w);
        }
        let code = include_str!("../../examples/contracts/build/MarketProbe.bin");
        let init_code = (0..code.trim().len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&code[i..i + 2], 16).expect("hex bytecode"))
            .collect();
        // Signatures are not checked by `execute_verified`.
        let body = TxBody {
            chain_id: g.chain_id.clone(),
            sender: firm,
            nonce: Nonce(0),
            payload: Payload::Deploy {
                init_code,
                gas_limit: 3_000_000,
            },
        };
        let tx = Transaction {
            body,
            signature: Signature([0; 64]),
        };
        let out = exec::execute_verified(&state, TimestampMs(T0), &[tx]).expect("deploys");
        assert_eq!(out.receipts[0].status, TxStatus::Success);
        state.apply(&out.writes);
        let probe = evm::address::create_address(&evm::evm_address(&me), 0).0.0;
        (state, probe, me)
    })
}

/// The first byte picks the callee (market view, market operations, the
/// probe, or an empty address) and the caller; the rest is calldata. A
/// read-only call over a sound state must return a result (never an
/// error, never a panic) and its revert data must decode to a bounded
/// reason.
pub fn evm_call(data: &[u8]) {
    let (state, probe, firm) = world();
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let to = match pick % 4 {
        0 => evm::MARKET_VIEW.0.0,
        1 => evm::MARKET_OPS.0.0,
        2 => *probe,
        _ => [0x42; 20],
    };
    let from = if pick & 4 == 0 { Some(*firm) } else { None };
    let r = evm::call(state, from, to, input, TimestampMs(T0))
        .expect("a read-only call over a sound state returns a result");
    assert!(r.reason.len() <= 2 * evm::MAX_REASON_BYTES + 64);
    let _ = evm::decode_revert(input);
}

/// Arbitrary bytecode under the gas limit: the first two bytes give the
/// length of an init code deployed by the enterprise (gas limit 2,000,000),
/// the rest is calldata for a call to whatever it created (1,000,000 gas),
/// both executed as a block over the world of [`evm_call`]. The block must
/// execute (a contract's failure is a receipt, never an error), every
/// receipt's gas stays within its limit, executing the block twice gives
/// identical writes and receipts, and the market's audit holds afterwards
/// (a contract reaches the market only as itself, holding nothing).
pub fn evm_bytecode(data: &[u8]) {
    let (world, _, firm) = world();
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (init_code, input) = rest.split_at(len);
    let (deploy_gas, call_gas) = (2_000_000, 1_000_000);
    let created = evm::address::create_address(&evm::evm_address(firm), 1);
    let tx = |nonce: u64, payload: Payload| Transaction {
        body: TxBody {
            chain_id: carbon_ledger::ChainId::new("fuzz").expect("a valid chain id"),
            sender: key(0x66),
            nonce: Nonce(nonce),
            payload,
        },
        signature: Signature([0; 64]),
    };
    let block = [
        tx(
            1,
            Payload::Deploy {
                init_code: init_code.to_vec(),
                gas_limit: deploy_gas,
            },
        ),
        tx(
            2,
            Payload::Call {
                to: created.0.0,
                input: input.to_vec(),
                gas_limit: call_gas,
                value: 0,
            },
        ),
    ];
    let run = || {
        exec::execute_verified(world, TimestampMs(T0), &block)
            .expect("contract failures are receipts, not errors")
    };
    let out = run();
    assert_eq!(out, run(), "contract execution is deterministic");
    assert_eq!(out.receipts.len(), block.len());
    for (r, limit) in out.receipts.iter().zip([deploy_gas, call_gas]) {
        assert!(
            r.cost.gas_used <= limit,
            "gas {} over {limit}",
            r.cost.gas_used
        );
    }
    let mut state = world.clone();
    state.apply(&out.writes);
    let accounts = [
        *firm,
        market::platform_account(),
        evm::contract_account(&evm::address::create_address(&evm::evm_address(firm), 0)),
        evm::contract_account(&created),
        key(0x58).account(),
    ];
    market::audit::check(&state, &accounts, &[market::Asset::Token], &[])
        .unwrap_or_else(|e| panic!("{e}"));
}
