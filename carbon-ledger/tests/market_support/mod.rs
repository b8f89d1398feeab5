//! A small chain in memory for the market tests: genesis with known keys,
//! signed blocks through `exec::execute_block`, and invariant checks.
#![allow(dead_code)]

pub mod ops;
pub mod store;

use std::collections::BTreeMap;

use carbon_ledger::exec::{self, BlockOutcome, MemState};
use carbon_ledger::market::{
    self, AccountStatus, Asset, Instrument, MarketTx, PeriodId, Role, Side, platform_account, query,
};
use carbon_ledger::{
    AccountId, ChainId, GenesisConfig, Hash32, Nonce, Payload, PublicKey, Receipt, TimestampMs,
    Transaction, TxBody, TxStatus, codec,
};
use ed25519_dalek::SigningKey;

/// Seed of the regulator's key.
pub const REG: u16 = 0;
/// Genesis time (2026-01-01T00:00Z).
pub const T0: u64 = 1_767_225_600_000;
/// One day in ms.
pub const DAY: u64 = 86_400_000;

pub fn key(seed: u16) -> SigningKey {
    let mut b = [7u8; 32];
    b[..2].copy_from_slice(&seed.to_le_bytes());
    SigningKey::from_bytes(&b)
}

pub fn acct(seed: u16) -> AccountId {
    PublicKey::from(&key(seed).verifying_key()).account()
}

pub fn chain() -> ChainId {
    ChainId::new("carbon-market-test").expect("valid chain id")
}

pub fn genesis_json(params: &str) -> String {
    let pk = |s: u16| hex::encode(key(s).verifying_key().to_bytes());
    format!(
        r#"{{"chain_id":"carbon-market-test","timestamp_ms":{T0},
        "validators":[{{"name":"v1","public_key":"{}","address":"127.0.0.1:7001"}}],
        "observers":[{{"name":"regulator","public_key":"{}","address":"127.0.0.1:7100"}}],
        "regulator":"regulator","parameters":{{{params}}}}}"#,
        pk(9000),
        pk(REG)
    )
}

pub struct Chain {
    pub state: MemState,
    pub time: u64,
    /// Every account seed that ever signed or received something.
    pub seeds: Vec<u16>,
    pub periods: Vec<PeriodId>,
    /// Running digest of every committed block's writes and receipts
    /// (compared with recorded vectors).
    pub trace: Hash32,
    /// Running [`Chain::meaning`] of every committed block: what the
    /// blocks did, independent of the state layout.
    pub semantic: Hash32,
}

impl Chain {
    pub fn new() -> Self {
        Self::with_params("")
    }

    pub fn with_params(params: &str) -> Self {
        let g = GenesisConfig::from_json(&genesis_json(params)).expect("valid genesis");
        let mut state = MemState::new();
        state.apply(&g.initial_state());
        Chain {
            state,
            time: T0,
            seeds: vec![REG],
            periods: Vec::new(),
            trace: Hash32::ZERO,
            semantic: Hash32::ZERO,
        }
    }

    pub fn sign(&self, seed: u16, nonce: u64, tx: MarketTx) -> Transaction {
        let body = TxBody {
            chain_id: chain(),
            sender: PublicKey::ZERO,
            nonce: Nonce(nonce),
            payload: Payload::Market(tx),
        };
        Transaction::sign(body, &key(seed))
    }

    /// Signs `txs` with consecutive nonces per sender.
    pub fn sign_all(&mut self, txs: Vec<(u16, MarketTx)>) -> Vec<Transaction> {
        let mut next: BTreeMap<u16, u64> = BTreeMap::new();
        let mut out = Vec::new();
        for (s, tx) in txs {
            if !self.seeds.contains(&s) {
                self.seeds.push(s);
            }
            let n = match next.get(&s) {
                Some(n) => *n,
                None => query::nonce(&self.state, &acct(s)).unwrap(),
            };
            next.insert(s, n + 1);
            out.push(self.sign(s, n, tx));
        }
        out
    }

    pub fn execute(&self, txs: &[Transaction]) -> BlockOutcome {
        exec::execute_block(&self.state, &chain(), TimestampMs(self.time), txs)
            .expect("block executes")
    }

    pub fn commit(&mut self, txs: &[Transaction]) -> Vec<Receipt> {
        let out = self.execute(txs);
        self.trace = block_digest(Some(&self.trace), &out);
        self.state.apply(&out.writes);
        self.semantic = self.meaning(&self.semantic, &out.receipts);
        out.receipts
    }

    pub fn block(&mut self, txs: Vec<(u16, MarketTx)>) -> Vec<Receipt> {
        let signed = self.sign_all(txs);
        self.commit(&signed)
    }

    pub fn run(&mut self, seed: u16, tx: MarketTx) -> Receipt {
        self.block(vec![(seed, tx)]).remove(0)
    }

    #[track_caller]
    pub fn ok(&mut self, seed: u16, tx: MarketTx) -> Receipt {
        let r = self.run(seed, tx.clone());
        assert_eq!(r.status, TxStatus::Success, "{tx:?}");
        r
    }

    /// Runs a transaction that must fail; returns its code and checks it
    /// wrote nothing but the sender's nonce.
    #[track_caller]
    pub fn fails(&mut self, seed: u16, tx: MarketTx) -> u32 {
        let signed = self.sign_all(vec![(seed, tx.clone())]);
        let out = self.execute(&signed);
        let keys: Vec<Vec<u8>> = out.writes.iter().map(|(k, _)| k.to_vec()).collect();
        self.state.apply(&out.writes);
        match &out.receipts[0].status {
            TxStatus::Failed { code, .. } => {
                assert!(
                    keys.is_empty() || keys == vec![market::keys::nonce_key(&acct(seed))],
                    "a failed tx wrote more than its nonce: {tx:?}"
                );
                *code
            }
            TxStatus::Success => panic!("expected failure: {tx:?}"),
        }
    }

    pub fn bal(&self, seed: u16, asset: Asset) -> u64 {
        query::balance(&self.state, &acct(seed), &asset).unwrap()
    }

    pub fn esc(&self, seed: u16, asset: Asset) -> u64 {
        query::escrow(&self.state, &acct(seed), &asset).unwrap()
    }

    /// Registers and approves `seed` with `role`.
    pub fn member(&mut self, seed: u16, role: Role) {
        self.ok(
            seed,
            MarketTx::Register {
                name: format!("acct-{seed}"),
            },
        );
        self.ok(
            REG,
            MarketTx::Approve {
                account: acct(seed),
                role,
            },
        );
    }

    pub fn mint(&mut self, seed: u16, amount: u64) {
        self.ok(
            REG,
            MarketTx::Mint {
                to: acct(seed),
                amount,
                reference: "bank-ref".into(),
            },
        );
    }

    /// Opens period `p` starting now (one 30-day period, deadline 10 days later).
    pub fn open_period(&mut self, p: u32) {
        self.ok(
            REG,
            MarketTx::OpenPeriod {
                period: PeriodId(p),
                start: TimestampMs(self.time),
                end: TimestampMs(self.time + 30 * DAY),
                surrender_deadline: TimestampMs(self.time + 40 * DAY),
            },
        );
        self.periods.push(PeriodId(p));
    }

    /// Opens period 1 and admits enterprises `seeds`, minting `tokens` fen
    /// to each; returns allocation lines of `tonnes` each, for
    /// [`Chain::allocate`].
    pub fn enterprises(
        &mut self,
        seeds: std::ops::RangeInclusive<u16>,
        tokens: u64,
        tonnes: u64,
    ) -> Vec<(AccountId, u64)> {
        self.open_period(1);
        let mut lines = Vec::new();
        for s in seeds {
            self.member(s, Role::Enterprise);
            self.mint(s, tokens);
            lines.push((acct(s), tonnes));
        }
        lines
    }

    /// The regulator allocates period `p`.
    pub fn allocate(&mut self, p: u32, allocations: Vec<(AccountId, u64)>) -> Receipt {
        self.ok(
            REG,
            MarketTx::Allocate {
                period: PeriodId(p),
                allocations,
            },
        )
    }

    pub fn order(
        &mut self,
        seed: u16,
        inst: Instrument,
        side: Side,
        q: u64,
        price: u64,
    ) -> Receipt {
        self.run(
            seed,
            MarketTx::PlaceOrder {
                instrument: inst,
                side,
                quantity: q,
                price,
            },
        )
    }

    /// Every account the invariants look at.
    pub fn accounts(&self) -> Vec<AccountId> {
        let mut v: Vec<AccountId> = self.seeds.iter().map(|s| acct(*s)).collect();
        v.push(platform_account());
        v
    }

    pub fn assets(&self) -> Vec<Asset> {
        let mut v = vec![Asset::Token, Asset::Offset];
        v.extend(self.periods.iter().map(|p| Asset::Allowance(*p)));
        v
    }

    /// Checks conservation, escrow = open orders + agreements, and a sane
    /// uncrossed book (`market::audit`). Panics with a description on
    /// violation.
    pub fn check_invariants(&self) {
        let mut instruments = vec![Instrument::Offset];
        instruments.extend(self.periods.iter().map(|p| Instrument::Allowance(*p)));
        if let Err(e) =
            market::audit::check(&self.state, &self.accounts(), &self.assets(), &instruments)
        {
            panic!("{e}");
        }
    }

    /// Digest, chained after `prev`, of what a block meant, whatever the
    /// state layout: its receipts without their write costs (keys and
    /// bytes written depend on the layout), and the answers of the
    /// account and market queries on the state after it (accounts,
    /// nonces, balances, escrow, open orders, credit, supply, depth,
    /// instrument statistics, the trade list). Recorded beside the raw
    /// vectors, so that a change of layout can show it changed nothing
    /// else.
    pub fn meaning(&self, prev: &Hash32, receipts: &[Receipt]) -> Hash32 {
        let s = &self.state;
        let mut b = prev.0.to_vec();
        let costless: Vec<Receipt> = receipts
            .iter()
            .map(|r| Receipt {
                cost: Default::default(),
                ..r.clone()
            })
            .collect();
        b.extend(codec::encode(&costless));
        let assets = self.assets();
        for a in self.accounts() {
            b.extend(codec::encode(&query::account(s, &a).unwrap()));
            b.extend(codec::encode(&query::nonce(s, &a).unwrap()));
            for asset in &assets {
                b.extend(codec::encode(&query::balance(s, &a, asset).unwrap()));
                b.extend(codec::encode(&query::escrow(s, &a, asset).unwrap()));
            }
            b.extend(codec::encode(&query::open_orders(s, &a).unwrap()));
            b.extend(codec::encode(&query::credit(s, &a).unwrap()));
        }
        for asset in &assets {
            b.extend(codec::encode(&query::supply(s, asset).unwrap()));
        }
        let mut instruments = vec![Instrument::Offset];
        instruments.extend(self.periods.iter().map(|p| Instrument::Allowance(*p)));
        for i in &instruments {
            for side in [Side::Buy, Side::Sell] {
                b.extend(codec::encode(
                    &query::depth(s, i, side, query::MAX_DEPTH).unwrap(),
                ));
            }
            b.extend(codec::encode(&query::instrument(s, i).unwrap()));
        }
        let mut from = 1;
        loop {
            let page = query::trades(s, market::TradeId(from), query::MAX_TRADES).unwrap();
            b.extend(codec::encode(&page));
            if page.len() < query::MAX_TRADES {
                break;
            }
            from += page.len() as u64;
        }
        Hash32::digest(&b)
    }

    pub fn role(&self, seed: u16) -> Option<Role> {
        match query::account(&self.state, &acct(seed)).unwrap()?.status {
            AccountStatus::Approved(r) => Some(r),
            AccountStatus::Free => None,
        }
    }
}

/// The last id handed out by a market sequence.
pub fn market_seq(s: &MemState, name: &str) -> u64 {
    use carbon_ledger::StateView;
    let mut k = b"mk/seq/".to_vec();
    k.extend_from_slice(name.as_bytes());
    s.get(&k)
        .unwrap()
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .unwrap_or(0)
}

/// Digest of a block's writes (deletes included) and receipts, chained
/// after `prev` if given.
pub fn block_digest(prev: Option<&Hash32>, out: &BlockOutcome) -> Hash32 {
    let writes: Vec<(Vec<u8>, Option<Vec<u8>>)> = out
        .writes
        .iter()
        .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
        .collect();
    let mut bytes = prev.map_or_else(Vec::new, |p| p.0.to_vec());
    bytes.extend(codec::encode(&writes));
    bytes.extend(codec::encode(&out.receipts));
    Hash32::digest(&bytes)
}

/// Compares `got` with the recorded vector file `tests/vectors/<name>`
/// line by line, or records it when `CARBON_WRITE_VECTORS` is set (only
/// for an intended change of behaviour).
#[track_caller]
pub fn check_vector(name: &str, got: &[String]) {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("CARBON_WRITE_VECTORS").is_some() {
        std::fs::write(&path, got.join("\n") + "\n").expect("write vectors");
        return;
    }
    let want = std::fs::read_to_string(&path).expect("recorded vectors");
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(want.len(), got.len(), "number of lines in {name}");
    for (w, g) in want.iter().zip(got) {
        assert_eq!(*w, g.as_str(), "first divergence from {name}");
    }
}

pub fn code_of(r: &Receipt) -> Option<u32> {
    match &r.status {
        TxStatus::Failed { code, .. } => Some(*code),
        TxStatus::Success => None,
    }
}
