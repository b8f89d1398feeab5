//! One compliance period of the carbon market, end to end, on the sample
//! genesis: admission, allocation, an offset project, continuous trading
//! with public market data, emission reports, surrender, close, fines and
//! credit scores.
//!
//! Run: `cargo run -p carbon-ledger --example market_tour`
//!
//! Every step is a block of signed transactions executed by
//! `exec::execute_block` over an in-memory state (a node runs the same
//! executor over its sled `Store`; see the `ledger_tour` example), and every
//! number printed is read back through the public `market::query` API.

use std::collections::BTreeMap;

use carbon_ledger::exec::{self, MemState};
use carbon_ledger::market::{
    ActivityId, Asset, Emissions, Instrument, MarketTx, PeriodId, ProjectId, ProjectKind, Role,
    Side, TradeId, query,
};
use carbon_ledger::{
    AccountId, ChainId, GenesisConfig, Nonce, Payload, PublicKey, TimestampMs, Transaction, TxBody,
    TxStatus,
};
use ed25519_dalek::SigningKey;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const DAY: u64 = 86_400_000;
const PERIOD: PeriodId = PeriodId(1);

/// The parties. The sample genesis names the first four as validators
/// (keys from seeds 1..=4) and the regulator as its observer (seed 100);
/// the verifier is an ordinary account that registers itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Party {
    AcmeSteel,
    JiangsuPower,
    GreenForest,
    EastCement,
    Regulator,
    Verifier,
}

impl Party {
    fn key(self) -> SigningKey {
        let seed = match self {
            Party::AcmeSteel => 1,
            Party::JiangsuPower => 2,
            Party::GreenForest => 3,
            Party::EastCement => 4,
            Party::Regulator => 100,
            Party::Verifier => 50,
        };
        SigningKey::from_bytes(&[seed; 32])
    }

    fn account(self) -> AccountId {
        PublicKey::from(&self.key().verifying_key()).account()
    }
}

/// The chain as one party sees it: the state, the block time, the next
/// nonce of each signer.
struct Market {
    chain: ChainId,
    state: MemState,
    now: u64,
    nonces: BTreeMap<Party, u64>,
}

impl Market {
    /// Executes one block of `txs`, each signed by its party; fails with the
    /// receipt's reason if any transaction fails.
    fn block(&mut self, txs: Vec<(Party, MarketTx)>) -> Result<()> {
        let signed: Vec<Transaction> = txs
            .iter()
            .map(|(party, tx)| {
                let nonce = self.nonces.entry(*party).or_insert(0);
                let body = TxBody {
                    chain_id: self.chain.clone(),
                    sender: PublicKey::ZERO, // filled in by `sign`
                    nonce: Nonce(*nonce),
                    payload: Payload::Market(tx.clone()),
                };
                *nonce += 1;
                Transaction::sign(body, &party.key())
            })
            .collect();
        let out = exec::execute_block(&self.state, &self.chain, TimestampMs(self.now), &signed)?;
        for ((party, tx), receipt) in txs.iter().zip(&out.receipts) {
            if let TxStatus::Failed { code, reason } = &receipt.status {
                return Err(format!("{party:?} {tx:?} failed ({code}): {reason}").into());
            }
        }
        self.state.apply(&out.writes);
        Ok(())
    }

    fn balance(&self, p: Party, asset: Asset) -> Result<u64> {
        Ok(query::balance(&self.state, &p.account(), &asset)?)
    }
}

fn yuan(fen: u64) -> String {
    format!("¥{}.{:02}", fen / 100, fen % 100)
}

/// Runs the period and prints what each party and the public see.
pub fn main() -> Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/genesis.json");
    let genesis = GenesisConfig::load(path)?;
    let mut state = MemState::new();
    state.apply(&genesis.initial_state());
    let mut m = Market {
        chain: genesis.chain_id.clone(),
        state,
        now: genesis.timestamp.0,
        nonces: BTreeMap::new(),
    };
    use Party::*;
    let enterprises = [AcmeSteel, JiangsuPower, EastCement];

    // 1. Admission: every party registers; the regulator approves each with
    //    a role and credits its deposit in platform tokens (1 token = 1 fen).
    let everyone = [AcmeSteel, JiangsuPower, GreenForest, EastCement, Verifier];
    let register = everyone.map(|p| {
        let name = format!("{p:?}");
        (p, MarketTx::Register { name })
    });
    m.block(register.to_vec())?;
    let mut approvals = Vec::new();
    for p in everyone {
        let role = match p {
            GreenForest => Role::ResourceHolder,
            Verifier => Role::Verifier,
            _ => Role::Enterprise,
        };
        let account = p.account();
        approvals.push((Regulator, MarketTx::Approve { account, role }));
        let reference = format!("deposit {p:?}");
        let amount = 10_000_000_000; // fen: ¥100 million
        approvals.push((
            Regulator,
            MarketTx::Mint {
                to: account,
                amount,
                reference,
            },
        ));
    }
    m.block(approvals)?;
    println!("[admission] 3 enterprises, 1 resource holder and 1 verifier approved");

    // 2. The regulator opens the 2026 period and allocates allowances.
    let start = m.now;
    m.block(vec![(
        Regulator,
        MarketTx::OpenPeriod {
            period: PERIOD,
            start: TimestampMs(start),
            end: TimestampMs(start + 30 * DAY),
            surrender_deadline: TimestampMs(start + 40 * DAY),
        },
    )])?;
    let allocations = vec![
        (AcmeSteel.account(), 120_000),
        (JiangsuPower.account(), 200_000),
        (EastCement.account(), 80_000),
    ];
    m.block(vec![(
        Regulator,
        MarketTx::Allocate {
            period: PERIOD,
            allocations,
        },
    )])?;
    println!("[allocation] period 1 open for 30 days, surrender by day 40; 400,000 t allocated");

    // 3. Green Forest's project earns offsets: registered, activity
    //    reported with its evidence digest, certified by the regulator.
    m.block(vec![(
        GreenForest,
        MarketTx::RegisterProject {
            kind: ProjectKind::Forest,
            capacity: 50_000,
            location: "Fujian, Sanming".into(),
        },
    )])?;
    let evidence = carbon_ledger::Hash32::digest(b"2026 forest inventory, sealed with CP-ABE");
    let report = MarketTx::ReportActivity {
        project: ProjectId(1),
        quantity: 8_000,
        evidence,
    };
    m.block(vec![(GreenForest, report)])?;
    m.block(vec![(
        Regulator,
        MarketTx::CertifyActivity {
            activity: ActivityId(1),
        },
    )])?;
    println!(
        "[offsets] forest project certified: Green Forest holds {} t of offsets",
        m.balance(GreenForest, Asset::Offset)?
    );

    // 4. Continuous trading: limit orders with escrow, price-time matching.
    let inst = Instrument::Allowance(PERIOD);
    let order = |side, quantity, price| MarketTx::PlaceOrder {
        instrument: inst,
        side,
        quantity,
        price,
    };
    m.block(vec![
        (JiangsuPower, order(Side::Sell, 20_000, 5_250)),
        (JiangsuPower, order(Side::Sell, 15_000, 5_300)),
        (AcmeSteel, order(Side::Buy, 10_000, 5_100)), // rests: nobody sells that low
    ])?;
    m.now += 3_600_000;
    m.block(vec![
        (EastCement, order(Side::Buy, 12_000, 5_300)), // takes 12,000 of the ask at 52.50
        (AcmeSteel, order(Side::Buy, 8_000, 5_280)),   // takes the other 8,000 at 52.50
    ])?;
    let offer = MarketTx::PlaceOrder {
        instrument: Instrument::Offset,
        side: Side::Sell,
        quantity: 6_000,
        price: 4_600,
    };
    m.block(vec![(GreenForest, offer)])?;
    let bid = MarketTx::PlaceOrder {
        instrument: Instrument::Offset,
        side: Side::Buy,
        quantity: 4_000,
        price: 4_600,
    };
    m.block(vec![(EastCement, bid)])?;
    println!("[trading] public trades:");
    for t in query::trades(&m.state, TradeId(1), 100)? {
        println!(
            "    #{} {:?}: {} t at {} /t (taker {:?})",
            t.id.0,
            t.instrument,
            t.quantity,
            yuan(t.price),
            t.taker_side
        );
    }
    let day = query::day(&m.state, &inst, start / DAY)?.ok_or("no trades on day 1")?;
    println!(
        "[market data] day 1 allowances: open {} high {} low {} close {}, {} t in {} trades, VWAP {}",
        yuan(day.open),
        yuan(day.high),
        yuan(day.low),
        yuan(day.close),
        day.volume,
        day.trades,
        yuan(day.vwap())
    );
    for side in [Side::Sell, Side::Buy] {
        for level in query::depth(&m.state, &inst, side, 5)? {
            println!(
                "    book {side:?}: {} t at {} ({} orders)",
                level.quantity,
                yuan(level.price),
                level.orders
            );
        }
    }

    // Before the period ends, open orders come off the book; cancelling
    // returns their escrow.
    let mut cancels = Vec::new();
    for p in enterprises {
        for o in query::open_orders(&m.state, &p.account())? {
            cancels.push((p, MarketTx::CancelOrder { order: o.id }));
        }
    }
    m.block(cancels)?;
    for p in enterprises {
        println!(
            "[holdings] {p:?}: {} t of allowances, {} t of offsets, {}",
            m.balance(p, Asset::Allowance(PERIOD))?,
            m.balance(p, Asset::Offset)?,
            yuan(m.balance(p, Asset::Token)?)
        );
    }

    // 5. After the period: reports (with the digest of the sealed report
    //    and its provenance record), verification, surrender.
    m.now = start + 30 * DAY;
    let emissions = [
        (AcmeSteel, 125_000),
        (JiangsuPower, 170_000),
        (EastCement, 97_000),
    ];
    let reports = emissions
        .iter()
        .map(|(p, t)| {
            let sealed = format!("{p:?} 2026 emissions report, CP-ABE envelope");
            let tx = MarketTx::SubmitReport {
                period: PERIOD,
                emissions: Emissions::Total(*t),
                digest: carbon_ledger::Hash32::digest(sealed.as_bytes()),
                provenance_id: carbon_ledger::Hash32::digest(format!("prov {p:?}").as_bytes()),
            };
            (*p, tx)
        })
        .collect();
    m.block(reports)?;
    let verify = enterprises
        .map(|p| {
            let enterprise = p.account();
            (
                Verifier,
                MarketTx::VerifyReport {
                    enterprise,
                    period: PERIOD,
                    corrected: None,
                },
            )
        })
        .to_vec();
    m.block(verify)?;
    let mut surrenders = Vec::new();
    for (p, required) in emissions {
        let allowances = m.balance(p, Asset::Allowance(PERIOD))?.min(required);
        // Offsets may cover at most `offset.cap_bps` (5%) of the requirement.
        let offsets = m
            .balance(p, Asset::Offset)?
            .min(required * 500 / 10_000)
            .min(required - allowances);
        surrenders.push((
            p,
            MarketTx::Surrender {
                period: PERIOD,
                allowances,
                offsets,
            },
        ));
    }
    m.block(surrenders)?;

    // 6. Close after the deadline: shortfalls become debt and fines, and
    //    every enterprise's credit score is updated from its fulfilment.
    m.now = start + 40 * DAY + 1;
    m.block(vec![(Regulator, MarketTx::ClosePeriod { period: PERIOD })])?;
    println!("[close] period 1:");
    for (p, required) in emissions {
        let c = query::compliance(&m.state, PERIOD, &p.account())?.ok_or("not a member")?;
        let credit = query::credit(&m.state, &p.account())?;
        println!(
            "    {p:?}: required {required} t, surrendered {} t ({} offsets), {:?}, \
             shortfall {} t, fine {}, credit score {}%",
            c.surrendered(),
            c.surrendered_offsets,
            c.status,
            c.shortfall,
            yuan(c.fine),
            credit.score_bps / 100
        );
    }
    for asset in [Asset::Allowance(PERIOD), Asset::Offset] {
        let s = query::supply(&m.state, &asset)?;
        println!(
            "[supply] {asset:?}: created {}, surrendered {}, retired {}, burned {}",
            s.created, s.surrendered, s.retired, s.burned
        );
    }
    Ok(())
}
