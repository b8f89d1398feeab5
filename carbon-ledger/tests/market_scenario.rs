//! One whole compliance period with 50 enterprises, 5 resource holders, a
//! verifier and the regulator: admission, allocation, a day of random
//! trading, emission reports, offsets, surrender and close — checking
//! every invariant after every block and the expected outcomes.

mod market_support;

use carbon_ledger::Hash32;
use carbon_ledger::TxStatus;
use carbon_ledger::market::{
    ActivityId, Asset, ComplianceStatus, Emissions, Instrument, MarketTx, PeriodId, ProjectId,
    ProjectKind, Role, Side, TradeId, query,
};
use market_support::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const P: PeriodId = PeriodId(1);
const ALLOC: u64 = 10_000;

fn enterprises() -> Vec<u16> {
    (100..150).collect()
}
fn holders() -> Vec<u16> {
    (200..205).collect()
}
const VERIFIER: u16 = 300;

#[track_caller]
fn all_ok(c: &mut Chain, txs: Vec<(u16, MarketTx)>) {
    for (i, r) in c.block(txs).iter().enumerate() {
        assert_eq!(r.status, TxStatus::Success, "tx {i}");
    }
    c.check_invariants();
}

#[test]
fn a_whole_compliance_period_with_fifty_enterprises() {
    let mut c = Chain::new();
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    // Admission.
    let mut everyone = enterprises();
    everyone.extend(holders());
    everyone.push(VERIFIER);
    all_ok(
        &mut c,
        everyone
            .iter()
            .map(|s| {
                (
                    *s,
                    MarketTx::Register {
                        name: format!("org-{s}"),
                    },
                )
            })
            .collect(),
    );
    let mut approvals: Vec<(u16, MarketTx)> = Vec::new();
    for s in &everyone {
        let role = match s {
            100..=149 => Role::Enterprise,
            200..=204 => Role::ResourceHolder,
            _ => Role::Verifier,
        };
        approvals.push((
            REG,
            MarketTx::Approve {
                account: acct(*s),
                role,
            },
        ));
        approvals.push((
            REG,
            MarketTx::Mint {
                to: acct(*s),
                amount: 500_000_000,
                reference: format!("dep-{s}"),
            },
        ));
    }
    all_ok(&mut c, approvals);
    // Period and allocation on its first day.
    c.open_period(1);
    let lines = enterprises().iter().map(|s| (acct(*s), ALLOC)).collect();
    all_ok(
        &mut c,
        vec![(
            REG,
            MarketTx::Allocate {
                period: P,
                allocations: lines,
            },
        )],
    );
    // Offsets: each holder a hydro project, 20,000 MWh certified (11,406 t).
    let mut txs = Vec::new();
    for h in holders() {
        txs.push((
            h,
            MarketTx::RegisterProject {
                kind: ProjectKind::Hydro,
                capacity: 10_000,
                location: "Yunnan".into(),
            },
        ));
    }
    all_ok(&mut c, txs);
    let mut txs = Vec::new();
    for (i, h) in holders().into_iter().enumerate() {
        txs.push((
            h,
            MarketTx::ReportActivity {
                project: ProjectId(i as u64 + 1),
                quantity: 20_000,
                evidence: Hash32::digest(&[i as u8]),
            },
        ));
    }
    all_ok(&mut c, txs);
    let certs = (1..=5)
        .map(|i| {
            (
                REG,
                MarketTx::CertifyActivity {
                    activity: ActivityId(i),
                },
            )
        })
        .collect();
    all_ok(&mut c, certs);
    assert_eq!(c.bal(200, Asset::Offset), 11_406);
    // A day of random trading in 10 blocks of 100 orders.
    let inst = Instrument::Allowance(P);
    for _ in 0..10 {
        let mut txs = Vec::new();
        for _ in 0..100 {
            let s = enterprises()[rng.gen_range(0..50)];
            let side = if rng.gen_bool(0.5) {
                Side::Buy
            } else {
                Side::Sell
            };
            let price = (5_000 + rng.gen_range(-200i64..=200)) as u64;
            txs.push((
                s,
                MarketTx::PlaceOrder {
                    instrument: inst,
                    side,
                    quantity: rng.gen_range(1..=300),
                    price,
                },
            ));
        }
        all_ok(&mut c, txs);
        c.time += 3_600_000;
    }
    let trades = market_seq(&c.state, "trade");
    assert!(trades > 50, "only {trades} trades");
    let day = query::day(&c.state, &inst, T0 / DAY).unwrap().unwrap();
    assert!(day.low >= 4_800 && day.high <= 5_200 && day.volume > 0);
    assert_eq!(
        query::trades(&c.state, TradeId(1), 100).unwrap().len(),
        100.min(trades as usize)
    );
    // Holders offer offsets; the enterprises buy some.
    let offs = holders()
        .into_iter()
        .map(|h| {
            (
                h,
                MarketTx::PlaceOrder {
                    instrument: Instrument::Offset,
                    side: Side::Sell,
                    quantity: 10_000,
                    price: 4_600,
                },
            )
        })
        .collect();
    all_ok(&mut c, offs);
    let buys = enterprises()
        .into_iter()
        .map(|s| {
            (
                s,
                MarketTx::PlaceOrder {
                    instrument: Instrument::Offset,
                    side: Side::Buy,
                    quantity: 600,
                    price: 4_600,
                },
            )
        })
        .collect();
    all_ok(&mut c, buys);
    // Open orders come off the book at the end of the day.
    let mut cancels = Vec::new();
    for s in enterprises().into_iter().chain(holders()) {
        for o in query::open_orders(&c.state, &acct(s)).unwrap() {
            cancels.push((s, MarketTx::CancelOrder { order: o.id }));
        }
    }
    all_ok(&mut c, cancels);
    // Reports after the period's end: emissions 8,500..=11,500 t.
    c.time = T0 + 30 * DAY;
    let mut required = Vec::new();
    let mut txs = Vec::new();
    for s in enterprises() {
        let e = rng.gen_range(8_500..=11_500u64);
        required.push(e);
        txs.push((
            s,
            MarketTx::SubmitReport {
                period: P,
                emissions: Emissions::Total(e),
                digest: Hash32::digest(&s.to_le_bytes()),
                provenance_id: Hash32::digest(b"prov"),
            },
        ));
    }
    all_ok(&mut c, txs);
    let verifies = enterprises()
        .into_iter()
        .map(|s| {
            (
                VERIFIER,
                MarketTx::VerifyReport {
                    enterprise: acct(s),
                    period: P,
                    corrected: None,
                },
            )
        })
        .collect();
    all_ok(&mut c, verifies);
    // Surrender: most on time; every tenth never, every tenth late.
    let mut expected = Vec::new();
    let mut on_time = Vec::new();
    let mut late = Vec::new();
    for (i, s) in enterprises().into_iter().enumerate() {
        let r = required[i];
        let allow = c.bal(s, Asset::Allowance(P)).min(r);
        let offsets = c.bal(s, Asset::Offset).min(r * 500 / 10_000).min(r - allow);
        let tx = (
            s,
            MarketTx::Surrender {
                period: P,
                allowances: allow,
                offsets,
            },
        );
        let enough = allow + offsets >= r;
        let status = match i % 10 {
            9 => ComplianceStatus::Default,
            8 => {
                late.push(tx);
                if enough {
                    ComplianceStatus::Late
                } else {
                    ComplianceStatus::Default
                }
            }
            _ => {
                on_time.push(tx);
                if enough {
                    ComplianceStatus::OnTime
                } else {
                    ComplianceStatus::Default
                }
            }
        };
        expected.push(status);
    }
    all_ok(&mut c, on_time);
    c.time = T0 + 40 * DAY + 1;
    all_ok(&mut c, late);
    all_ok(&mut c, vec![(REG, MarketTx::ClosePeriod { period: P })]);
    let got: Vec<ComplianceStatus> = enterprises()
        .into_iter()
        .map(|s| {
            query::compliance(&c.state, P, &acct(s))
                .unwrap()
                .unwrap()
                .status
        })
        .collect();
    assert_eq!(got, expected);
    let defaults = got
        .iter()
        .filter(|s| **s == ComplianceStatus::Default)
        .count();
    assert!(defaults >= 5, "every tenth enterprise defaults");
    for (i, s) in enterprises().into_iter().enumerate() {
        let comp = query::compliance(&c.state, P, &acct(s)).unwrap().unwrap();
        let debt = query::debt(&c.state, &acct(s)).unwrap();
        assert_eq!(debt, comp.shortfall, "enterprise {i}");
        if got[i] == ComplianceStatus::Default {
            assert_eq!(comp.shortfall, required[i] - comp.surrendered());
            assert!(comp.fine > 0);
            assert!(query::credit(&c.state, &acct(s)).unwrap().score_bps < 10_000);
        } else {
            assert_eq!(comp.shortfall, 0);
        }
    }
    // The whole run leaves nothing unaccounted.
    c.check_invariants();
    // Byte for byte what the reference implementation (every record
    // through the state overlay) wrote and receipted for this scenario.
    check_vector("market_scenario_meaning.txt", &[c.semantic.to_string()]);
    check_vector("market_scenario.txt", &[c.trace.to_string()]);
}
