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

/// A state with an enterprise holding tokens and the `MarketProbe` example
/// contract deployed by it; the probe's address.
fn world() -> &'static (MemState, [u8; 20], AccountId) {
    static W: OnceLock<(MemState, [u8; 20], AccountId)> = OnceLock::new();
    W.get_or_init(|| {
        let key = |b: u8| {
            PublicKey::from(&ed25519_dalek::SigningKey::from_bytes(&[b; 32]).verifying_key())
        };
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
