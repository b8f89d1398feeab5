//! The market state machine on arbitrary transaction sequences: four
//! enterprises, a resource holder, a verifier and the regulator trade,
//! transfer, freeze, mint and burn, agree block trades, report and verify
//! emissions, register projects and certify their offsets, surrender, close
//! the period and open the next, in signed blocks of up to eight; after
//! every block `market::audit::check` must hold (every asset conserved,
//! escrow equal to open orders and agreements, no crossed book).

use carbon_ledger::exec::{self, MemState};
use carbon_ledger::market::{
    self, ActivityId, AgreementId, Asset, Emissions, Gas, Instrument, MarketTx, PeriodId,
    ProjectId, ProjectKind, Role, Side,
};
use carbon_ledger::{
    GenesisConfig, Hash32, Nonce, Payload, PublicKey, TimestampMs, Transaction, TxBody,
};
use ed25519_dalek::SigningKey;

const DAY: u64 = 86_400_000;
const REG: u8 = 100;
const HOLDER: u8 = 5;
const VERIFIER: u8 = 6;
const MEMBERS: [u8; 4] = [1, 2, 3, 4];

fn key(s: u8) -> SigningKey {
    SigningKey::from_bytes(&[s; 32])
}

fn acct(s: u8) -> carbon_ledger::AccountId {
    PublicKey::from(&key(s).verifying_key()).account()
}

fn hex_key(s: u8) -> String {
    let bytes = key(s).verifying_key().to_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Market {
    g: GenesisConfig,
    state: MemState,
    nonces: [u64; 256],
    now: u64,
}

impl Market {
    fn new() -> Market {
        let t0 = 1_767_225_600_000u64;
        let genesis = format!(
            r#"{{"chain_id":"fuzz","timestamp_ms":{t0},
            "validators":[{{"name":"v","public_key":"{}","address":"127.0.0.1:7001"}}],
            "observers":[{{"name":"reg","public_key":"{}","address":"127.0.0.1:7100"}}],
            "regulator":"reg","parameters":{{"market.fee_bps":5,"market.block_trade_min_t":1000}}}}"#,
            hex_key(99),
            hex_key(REG)
        );
        let g = GenesisConfig::from_json(&genesis).expect("the fuzz genesis is valid");
        let mut state = MemState::new();
        state.apply(&g.initial_state());
        Market {
            g,
            state,
            nonces: [0; 256],
            now: t0,
        }
    }

    fn block(&mut self, txs: Vec<(u8, MarketTx)>) {
        let signed: Vec<Transaction> = txs
            .into_iter()
            .map(|(s, tx)| {
                let body = TxBody {
                    chain_id: self.g.chain_id.clone(),
                    sender: PublicKey::ZERO,
                    nonce: Nonce(self.nonces[usize::from(s)]),
                    payload: Payload::Market(tx),
                };
                self.nonces[usize::from(s)] += 1;
                Transaction::sign(body, &key(s))
            })
            .collect();
        let out = exec::execute_block(
            &self.state,
            &self.g.chain_id,
            TimestampMs(self.now),
            &signed,
        )
        .expect("a block of well-signed transactions executes");
        self.state.apply(&out.writes);
    }

    fn open_period(&self, period: PeriodId) -> MarketTx {
        MarketTx::OpenPeriod {
            period,
            start: TimestampMs(self.now),
            end: TimestampMs(self.now + 30 * DAY),
            surrender_deadline: TimestampMs(self.now + 40 * DAY),
        }
    }

    fn setup(&mut self) {
        let mut txs = vec![(REG, self.open_period(PeriodId(1)))];
        for (s, role) in MEMBERS
            .iter()
            .map(|s| (*s, Role::Enterprise))
            .chain([(HOLDER, Role::ResourceHolder), (VERIFIER, Role::Verifier)])
        {
            txs.push((
                s,
                MarketTx::Register {
                    name: format!("a{s}"),
                },
            ));
            let account = acct(s);
            txs.push((REG, MarketTx::Approve { account, role }));
            let reference = "fuzz".to_string();
            let amount = 1_000_000_000;
            txs.push((
                REG,
                MarketTx::Mint {
                    to: account,
                    amount,
                    reference,
                },
            ));
        }
        let allocations = MEMBERS.iter().map(|s| (acct(*s), 100_000)).collect();
        txs.push((
            REG,
            MarketTx::Allocate {
                period: PeriodId(1),
                allocations,
            },
        ));
        self.block(txs);
    }
}

/// One operation from four bytes: who acts, on what, how much.
fn operation(m: &mut Market, op: [u8; 4]) -> Option<(u8, MarketTx)> {
    let who = MEMBERS[usize::from(op[0] >> 4) % MEMBERS.len()];
    let other = MEMBERS[usize::from(op[1] >> 6) % MEMBERS.len()];
    let qty = u64::from(u16::from_le_bytes([op[2], op[3]]));
    let small = u64::from(op[2] % 16) + 1;
    let tick = i64::from(op[1] as i8);
    let period = PeriodId(u32::from(op[1] & 2) / 2 + 1);
    let instrument = if op[1] & 1 == 0 {
        Instrument::Allowance(period)
    } else {
        Instrument::Offset
    };
    let side = if op[0] & 8 == 0 {
        Side::Buy
    } else {
        Side::Sell
    };
    let price = (5_000 + tick * 10).unsigned_abs();
    let digest = Hash32([op[3]; 32]);
    let reference = "fuzz".to_string();
    let tx = match op[0] % 16 {
        0 | 1 => MarketTx::PlaceOrder {
            instrument,
            side,
            quantity: qty,
            price,
        },
        2 => {
            let open = market::query::open_orders(&m.state, &acct(who)).unwrap_or_default();
            let o = open.get(usize::from(op[2]) % open.len().max(1))?;
            MarketTx::CancelOrder { order: o.id }
        }
        3 => {
            let asset =
                [Asset::Token, Asset::Allowance(period), Asset::Offset][usize::from(op[1]) % 3];
            MarketTx::Transfer {
                to: acct(other),
                asset,
                amount: qty,
            }
        }
        4 => {
            let account = acct(if op[3] & 1 == 0 { other } else { HOLDER });
            return Some((
                REG,
                MarketTx::SetFrozen {
                    account,
                    frozen: op[2] & 1 == 1,
                },
            ));
        }
        5 => {
            return Some((
                REG,
                MarketTx::Mint {
                    to: acct(other),
                    amount: qty,
                    reference,
                },
            ));
        }
        6 => {
            return Some((
                REG,
                MarketTx::Burn {
                    from: acct(other),
                    amount: qty,
                    reference,
                },
            ));
        }
        7 => {
            m.now += if op[1] & 0x80 == 0 { DAY / 4 } else { 10 * DAY };
            return None;
        }
        8 => MarketTx::ProposeBlockTrade {
            counterparty: acct(other),
            instrument,
            side,
            quantity: qty.saturating_mul(4),
            price,
        },
        9 => MarketTx::AcceptBlockTrade {
            agreement: AgreementId(small),
        },
        10 => MarketTx::CancelBlockTrade {
            agreement: AgreementId(small),
        },
        11 => {
            let emissions = if op[1] & 4 == 0 {
                Emissions::Total(qty.saturating_mul(2))
            } else {
                Emissions::ByGas(vec![(Gas::Co2, qty), (Gas::Ch4, small)])
            };
            MarketTx::SubmitReport {
                period,
                emissions,
                digest,
                provenance_id: digest,
            }
        }
        12 => {
            let corrected = (op[1] & 4 != 0).then_some(qty);
            let by = if op[3] & 1 == 0 { VERIFIER } else { REG };
            return Some((
                by,
                MarketTx::VerifyReport {
                    enterprise: acct(other),
                    period,
                    corrected,
                },
            ));
        }
        13 => {
            let kind = [
                ProjectKind::Forest,
                ProjectKind::Solar,
                ProjectKind::Wind,
                ProjectKind::Methane,
            ][usize::from(op[1] & 3)];
            let location = format!("site {}", op[2]);
            return Some((
                HOLDER,
                MarketTx::RegisterProject {
                    kind,
                    capacity: qty,
                    location,
                },
            ));
        }
        14 => {
            if op[1] & 1 == 0 {
                let project = ProjectId(small % 4 + 1);
                return Some((
                    HOLDER,
                    MarketTx::ReportActivity {
                        project,
                        quantity: qty,
                        evidence: digest,
                    },
                ));
            }
            return Some((
                REG,
                MarketTx::CertifyActivity {
                    activity: ActivityId(small),
                },
            ));
        }
        _ => match op[1] % 5 {
            0 | 1 => MarketTx::Surrender {
                period,
                allowances: qty,
                offsets: small,
            },
            2 => return Some((REG, MarketTx::ClosePeriod { period })),
            3 => {
                // Open and allocate the next period (refused if open already).
                let mut txs = vec![(REG, m.open_period(PeriodId(2)))];
                let allocations = MEMBERS.iter().map(|s| (acct(*s), small * 1_000)).collect();
                txs.push((
                    REG,
                    MarketTx::Allocate {
                        period: PeriodId(2),
                        allocations,
                    },
                ));
                m.block(txs);
                return None;
            }
            _ => {
                let holder = if op[3] & 1 == 0 { who } else { HOLDER };
                return Some((holder, MarketTx::RetireOffsets { amount: small }));
            }
        },
    };
    Some((who, tx))
}

/// The market target's entry point (see the module documentation).
pub fn market_sequence(data: &[u8]) {
    let mut m = Market::new();
    m.setup();
    let mut accounts: Vec<_> = MEMBERS
        .iter()
        .chain(&[HOLDER, VERIFIER, REG])
        .map(|s| acct(*s))
        .collect();
    accounts.push(market::platform_account());
    let periods = [PeriodId(1), PeriodId(2)];
    let mut assets = vec![Asset::Token, Asset::Offset];
    let mut instruments = vec![Instrument::Offset];
    for p in periods {
        assets.push(Asset::Allowance(p));
        instruments.push(Instrument::Allowance(p));
    }
    for chunk in data.chunks(8 * 4).take(64) {
        let mut txs = Vec::new();
        for op in chunk.chunks_exact(4) {
            if let Some(tx) = operation(&mut m, [op[0], op[1], op[2], op[3]]) {
                txs.push(tx);
            }
        }
        m.block(txs);
        if let Err(e) = market::audit::check(&m.state, &accounts, &assets, &instruments) {
            panic!("{e}");
        }
    }
}
