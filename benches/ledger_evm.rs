//! carbon-ledger EVM bench: blocks of 1,000 signed transactions through the
//! whole path — batch signature verification (`exec::verify_parallel`),
//! execution, header (transactions, receipts and LtHash state roots) and
//! a durable sled commit (`Store::commit`, one batch + flush) — for three
//! kinds of token transfer side by side in the same run:
//!
//! - `erc20_transfer`: `Token.transfer(address,uint256)` of the example
//!   ERC-20 (`examples/contracts/build/Token.bin`), 1,000 senders;
//! - `market_precompile_transfer`: the market operations contract's
//!   `transfer(bytes32,uint8,uint32,uint64)` of platform tokens, called
//!   directly by the same kind of signed `Call`;
//! - `native_market_transfer`: the native `MarketTx::Transfer` of platform
//!   tokens (the peer: no EVM).
//!
//! `*_execute_only` rows time `exec::execute_verified` alone (no
//! signatures, no header, no commit) to split the cost.
//!
//! Run: `cargo bench --bench ledger_evm -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use carbon_ledger::evm::calldata::{Arg, call, encode};
use carbon_ledger::evm::{self, MARKET_OPS};
use carbon_ledger::exec;
use carbon_ledger::market::{self, Asset, Ctx, MarketTx, Role};
use carbon_ledger::{
    AccountId, Block, ChainId, CommitCertificate, GenesisConfig, Nonce, Overlay, Payload,
    PublicKey, Store, StoreConfig, TimestampMs, Transaction, TxBody, TxStatus, View,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;

const T0: u64 = 1_767_225_600_000;
const SENDERS: u16 = 1_000;
const REG: u16 = u16::MAX;
const DEPLOYER: u16 = u16::MAX - 2;

fn key(seed: u16) -> SigningKey {
    let mut b = [11u8; 32];
    b[..2].copy_from_slice(&seed.to_le_bytes());
    SigningKey::from_bytes(&b)
}

fn acct(seed: u16) -> AccountId {
    PublicKey::from(&key(seed).verifying_key()).account()
}

fn chain() -> ChainId {
    ChainId::new("carbon-bench").expect("valid chain id")
}

fn hex_key(k: &SigningKey) -> String {
    k.verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sign(seed: u16, nonce: u64, payload: Payload) -> Transaction {
    let body = TxBody {
        chain_id: chain(),
        sender: PublicKey::ZERO,
        nonce: Nonce(nonce),
        payload,
    };
    Transaction::sign(body, &key(seed))
}

/// A chain on sled with `SENDERS` registered enterprises holding tokens,
/// and the next nonce of each sender.
struct Bench {
    _dir: tempfile::TempDir,
    store: Store,
    time: u64,
    nonces: Vec<u64>,
}

impl Bench {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(StoreConfig::new(dir.path())).expect("open");
        let json = format!(
            r#"{{"chain_id":"carbon-bench","timestamp_ms":{T0},
            "validators":[{{"name":"v","public_key":"{}","address":"127.0.0.1:1"}}],
            "observers":[{{"name":"reg","public_key":"{}","address":"127.0.0.1:2"}}],
            "regulator":"reg","parameters":{{}}}}"#,
            hex_key(&key(REG - 1)),
            hex_key(&key(REG))
        );
        store
            .init_genesis(&GenesisConfig::from_json(&json).expect("genesis"))
            .expect("init");
        // Accounts set up directly through the market (no signatures), then
        // committed as one block of writes.
        let writes = {
            let mut ov = Overlay::new(&store);
            for s in (0..SENDERS).chain([DEPLOYER]) {
                for (actor, tx) in [
                    (
                        s,
                        MarketTx::Register {
                            name: format!("e{s}"),
                        },
                    ),
                    (
                        REG,
                        MarketTx::Approve {
                            account: acct(s),
                            role: Role::Enterprise,
                        },
                    ),
                    (
                        REG,
                        MarketTx::Mint {
                            to: acct(s),
                            amount: 1 << 50,
                            reference: "dep".into(),
                        },
                    ),
                ] {
                    let w = {
                        let mut cx = Ctx::new(&ov, TimestampMs(T0));
                        market::apply(&mut cx, &acct(actor), &tx).expect("setup");
                        cx.finish().0
                    };
                    ov.absorb(w);
                }
            }
            ov.into_writes()
        };
        let mut b = Bench {
            _dir: dir,
            store,
            time: T0,
            nonces: vec![0; SENDERS as usize],
        };
        b.commit(&[], Some(writes));
        b
    }

    /// Executes and commits `txs` (or commits `writes` with no transaction).
    fn commit(&mut self, txs: &[Transaction], writes: Option<carbon_ledger::WriteSet>) {
        self.time += 1_000;
        let t = TimestampMs(self.time);
        let out = match writes {
            Some(w) => exec::BlockOutcome {
                receipts: vec![],
                writes: w,
            },
            None => exec::execute_block(&self.store, &chain(), t, txs).expect("block executes"),
        };
        let header = self
            .store
            .next_header(t, AccountId::ZERO, View(0), txs, &out.receipts, &out.writes)
            .expect("header");
        let block = Block {
            header,
            transactions: txs.to_vec(),
            certificate: CommitCertificate::default(),
        };
        self.store
            .commit(&block, &out.receipts, &out.writes)
            .expect("commit");
        assert!(
            out.receipts.iter().all(|r| r.status == TxStatus::Success),
            "{:?}",
            out.receipts.iter().find(|r| r.status != TxStatus::Success)
        );
    }

    /// One block: sender `i` sends `payload(i)`.
    fn block(&mut self, payload: &dyn Fn(u16) -> Payload) -> Vec<Transaction> {
        (0..SENDERS)
            .map(|i| {
                let n = self.nonces[i as usize];
                self.nonces[i as usize] += 1;
                sign(i, n, payload(i))
            })
            .collect()
    }

    /// Deploys the example token and gives every sender 10^9 units.
    fn token(&mut self) -> [u8; 20] {
        let mut init = hex_decode(include_str!("../examples/contracts/build/Token.bin"));
        init.extend(encode(&[
            Arg::string("Bench"),
            Arg::string("B"),
            Arg::uint(1 << 100),
        ]));
        let deploy = sign(
            DEPLOYER,
            0,
            Payload::Deploy {
                init_code: init,
                gas_limit: 3_000_000,
            },
        );
        let token = evm::address::create_address(&evm::evm_address(&acct(DEPLOYER)), 0)
            .0
            .0;
        self.commit(&[deploy], None);
        let fund: Vec<Transaction> = (0..SENDERS)
            .map(|i| {
                let data = call(
                    "transfer(address,uint256)",
                    &[
                        Arg::address(evm::evm_address(&acct(i)).0.0),
                        Arg::uint(1_000_000_000),
                    ],
                );
                sign(
                    DEPLOYER,
                    1 + u64::from(i),
                    Payload::Call {
                        to: token,
                        input: data,
                        gas_limit: 100_000,
                        value: 0,
                    },
                )
            })
            .collect();
        self.commit(&fund, None);
        token
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    let s = s.trim();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn next(i: u16) -> u16 {
    (i + 1) % SENDERS
}

fn erc20(token: [u8; 20]) -> impl Fn(u16) -> Payload {
    move |i| {
        let to = evm::evm_address(&acct(next(i))).0.0;
        let data = call(
            "transfer(address,uint256)",
            &[Arg::address(to), Arg::uint(1)],
        );
        Payload::Call {
            to: token,
            input: data,
            gas_limit: 100_000,
            value: 0,
        }
    }
}

fn precompile(i: u16) -> Payload {
    let args = [
        Arg::bytes32(acct(next(i)).0),
        Arg::uint(0),
        Arg::uint(0),
        Arg::uint(1),
    ];
    let data = call("transfer(bytes32,uint8,uint32,uint64)", &args);
    Payload::Call {
        to: MARKET_OPS.0.0,
        input: data,
        gas_limit: 100_000,
        value: 0,
    }
}

fn native(i: u16) -> Payload {
    Payload::Market(MarketTx::Transfer {
        to: acct(next(i)),
        asset: Asset::Token,
        amount: 1,
    })
}

/// Times whole-path blocks (signing untimed).
fn whole_path(b: &mut Bench, iters: u64, payload: &dyn Fn(u16) -> Payload) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let txs = b.block(payload);
        let start = Instant::now();
        b.commit(&txs, None);
        total += start.elapsed();
    }
    total
}

/// Times execution alone of one block (never committed, so repeatable).
fn execute_only(b: &mut Bench, iters: u64, payload: &dyn Fn(u16) -> Payload) -> Duration {
    let txs = b.block(payload);
    for i in 0..SENDERS {
        b.nonces[i as usize] -= 1;
    }
    let start = Instant::now();
    for _ in 0..iters {
        let out =
            exec::execute_verified(&b.store, TimestampMs(b.time + 1_000), &txs).expect("executes");
        assert_eq!(out.receipts.len(), txs.len());
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ledger_evm");
    g.sample_size(10);
    g.throughput(Throughput::Elements(u64::from(SENDERS)));
    let mut b = Bench::new();
    let token = b.token();
    let transfer = erc20(token);
    g.bench_function("erc20_transfer_block_1000", |bn| {
        bn.iter_custom(|n| whole_path(&mut b, n, &transfer))
    });
    g.bench_function("market_precompile_transfer_block_1000", |bn| {
        bn.iter_custom(|n| whole_path(&mut b, n, &precompile))
    });
    g.bench_function("native_market_transfer_block_1000", |bn| {
        bn.iter_custom(|n| whole_path(&mut b, n, &native))
    });
    g.bench_function("erc20_transfer_execute_only_1000", |bn| {
        bn.iter_custom(|n| execute_only(&mut b, n, &transfer))
    });
    g.bench_function("native_market_transfer_execute_only_1000", |bn| {
        bn.iter_custom(|n| execute_only(&mut b, n, &native))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
