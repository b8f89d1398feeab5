//! A walk through the contract sublayer: an allowance forward written in
//! Solidity (`examples/contracts/AllowanceForward.sol`, compiled bytecode
//! committed in `examples/contracts/build/`) settles a trade through the
//! market contracts.
//!
//! Run: `cargo run -p carbon-ledger --example contracts_tour`

use carbon_ledger::evm::calldata::{Arg, call, encode};
use carbon_ledger::evm::{self, MARKET_OPS};
use carbon_ledger::exec::{self, MemState};
use carbon_ledger::market::{Asset, MarketTx, PeriodId, Role, query};
use carbon_ledger::{
    AccountId, GenesisConfig, Nonce, Payload, PublicKey, Receipt, TimestampMs, Transaction, TxBody,
    TxStatus,
};
use ed25519_dalek::SigningKey;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Chain {
    genesis: GenesisConfig,
    state: MemState,
    time: u64,
}

impl Chain {
    /// Signs `payload` from `key` with its next nonce and runs it in a block.
    fn run(&mut self, key: &SigningKey, payload: Payload) -> Res<Receipt> {
        let sender = PublicKey::from(&key.verifying_key());
        let nonce = query::nonce(&self.state, &sender.account())?;
        let body = TxBody {
            chain_id: self.genesis.chain_id.clone(),
            sender,
            nonce: Nonce(nonce),
            payload,
        };
        let tx = Transaction::sign(body, key);
        self.time += 1_000;
        let out = exec::execute_block(
            &self.state,
            &self.genesis.chain_id,
            TimestampMs(self.time),
            &[tx],
        )?;
        self.state.apply(&out.writes);
        Ok(out
            .receipts
            .into_iter()
            .next()
            .expect("one receipt per transaction"))
    }

    /// Runs and requires success.
    fn ok(&mut self, key: &SigningKey, payload: Payload) -> Res<Receipt> {
        let r = self.run(key, payload)?;
        match &r.status {
            TxStatus::Success => Ok(r),
            TxStatus::Failed { code, reason } => Err(format!("failed ({code}): {reason}").into()),
        }
    }
}

fn hex_key(k: &SigningKey) -> String {
    hex::encode(k.verifying_key().to_bytes())
}

/// The tour.
pub fn main() -> Res<()> {
    let (regulator, buyer, seller) = (
        SigningKey::from_bytes(&[1; 32]),
        SigningKey::from_bytes(&[2; 32]),
        SigningKey::from_bytes(&[3; 32]),
    );
    let genesis = GenesisConfig::from_json(&format!(
        r#"{{"chain_id":"contracts-demo","timestamp_ms":1767225600000,
        "validators":[{{"name":"v","public_key":"{}","address":"127.0.0.1:7001"}}],
        "observers":[{{"name":"reg","public_key":"{}","address":"127.0.0.1:7100"}}],
        "regulator":"reg","parameters":{{}}}}"#,
        hex_key(&SigningKey::from_bytes(&[9; 32])),
        hex_key(&regulator)
    ))?;
    let mut state = MemState::new();
    state.apply(&genesis.initial_state());
    let mut c = Chain {
        time: genesis.timestamp.0,
        genesis,
        state,
    };
    let acct = |k: &SigningKey| PublicKey::from(&k.verifying_key()).account();
    let market = |tx| Payload::Market(tx);

    // The market side: a period, two enterprises, allowances and tokens.
    let p = PeriodId(1);
    let (start, day) = (c.time, 86_400_000);
    c.ok(
        &regulator,
        market(MarketTx::OpenPeriod {
            period: p,
            start: TimestampMs(start),
            end: TimestampMs(start + 30 * day),
            surrender_deadline: TimestampMs(start + 40 * day),
        }),
    )?;
    for (k, name) in [(&buyer, "buyer"), (&seller, "seller")] {
        c.ok(k, market(MarketTx::Register { name: name.into() }))?;
        c.ok(
            &regulator,
            market(MarketTx::Approve {
                account: acct(k),
                role: Role::Enterprise,
            }),
        )?;
    }
    c.ok(
        &regulator,
        market(MarketTx::Allocate {
            period: p,
            allocations: vec![(acct(&seller), 1_000)],
        }),
    )?;
    c.ok(
        &regulator,
        market(MarketTx::Mint {
            to: acct(&buyer),
            amount: 1_000_000,
            reference: "bank".into(),
        }),
    )?;

    // The buyer deploys a forward: 100 t of vintage 1 for ¥5,000, within a day.
    let code = include_str!("../../examples/contracts/build/AllowanceForward.bin").trim();
    let mut init_code = hex::decode(code)?;
    let deadline = c.time / 1000 + 86_400;
    init_code.extend(encode(&[
        Arg::bytes32(acct(&seller).0),
        Arg::uint(1),
        Arg::uint(100),
        Arg::uint(500_000),
        Arg::uint(deadline.into()),
    ]));
    let r = c.ok(
        &buyer,
        Payload::Deploy {
            init_code,
            gas_limit: 3_000_000,
        },
    )?;
    let forward: [u8; 20] = r.events[0].data.as_slice().try_into()?;
    println!(
        "forward deployed at {} ({} gas)",
        evm::log_source(&forward),
        r.cost.gas_used
    );
    let forward_account: AccountId = evm::contract_account(&forward.into());
    // To hold allowances its account must be an enterprise: the regulator decides.
    c.ok(
        &regulator,
        market(MarketTx::Approve {
            account: forward_account,
            role: Role::Enterprise,
        }),
    )?;

    // The buyer locks the payment (the call's value, paid through the market).
    let fund = Payload::Call {
        to: forward,
        input: call("fund()", &[]),
        gas_limit: 200_000,
        value: 500_000,
    };
    c.ok(&buyer, fund)?;
    // The seller delivers through the market contract, acting for itself.
    let deliver = call(
        "transfer(bytes32,uint8,uint32,uint64)",
        &[
            Arg::bytes32(forward_account.0),
            Arg::uint(1),
            Arg::uint(1),
            Arg::uint(100),
        ],
    );
    c.ok(
        &seller,
        Payload::Call {
            to: MARKET_OPS.0.0,
            input: deliver,
            gas_limit: 200_000,
            value: 0,
        },
    )?;
    // Anyone settles; the contract moves both legs through the market.
    let r = c.ok(
        &seller,
        Payload::Call {
            to: forward,
            input: call("settle()", &[]),
            gas_limit: 300_000,
            value: 0,
        },
    )?;
    println!(
        "settled: {} receipt events, {} gas",
        r.events.len(),
        r.cost.gas_used
    );
    let bal = |c: &Chain, k: &SigningKey, a: Asset| query::balance(&c.state, &acct(k), &a);
    println!(
        "buyer: {} t, {} fen; seller: {} t, {} fen",
        bal(&c, &buyer, Asset::Allowance(p))?,
        bal(&c, &buyer, Asset::Token)?,
        bal(&c, &seller, Asset::Allowance(p))?,
        bal(&c, &seller, Asset::Token)?
    );
    assert_eq!(bal(&c, &buyer, Asset::Allowance(p))?, 100);
    assert_eq!(bal(&c, &seller, Asset::Token)?, 500_000);

    // A second settle reverts with the contract's reason; nothing changes.
    let r = c.run(
        &seller,
        Payload::Call {
            to: forward,
            input: call("settle()", &[]),
            gas_limit: 300_000,
            value: 0,
        },
    )?;
    if let TxStatus::Failed { code, reason } = &r.status {
        println!("second settle refused ({code}): {reason}");
    }
    Ok(())
}
