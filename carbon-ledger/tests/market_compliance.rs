//! Compliance periods, allocation with vintages, emission reports (GWP),
//! offsets (issuance and rounding), surrender with the offset cap, period
//! close with on-time / late / default, fines, deduction from the next
//! allocation, and credit scores.

mod market_support;

use carbon_ledger::Hash32;
use carbon_ledger::market::{
    Asset, ComplianceStatus, Emissions, Gas, MarketEvent, MarketTx, PeriodId, ProjectId,
    ProjectKind, Role, platform_account, query,
};
use carbon_ledger::{TimestampMs, TxStatus};
use market_support::*;

const P1: PeriodId = PeriodId(1);
const P2: PeriodId = PeriodId(2);

fn report(total: u64) -> MarketTx {
    MarketTx::SubmitReport {
        period: P1,
        emissions: Emissions::Total(total),
        digest: Hash32::digest(b"abe ciphertext"),
        provenance_id: Hash32::digest(b"prov record"),
    }
}

/// Enterprises 1..=3, verifier 10, resource holder 20; period 1 open with
/// 1,000 t each.
fn setup() -> Chain {
    setup_with("")
}

/// [`setup`] on a genesis with these parameters (JSON members).
fn setup_with(params: &str) -> Chain {
    let mut c = Chain::with_params(params);
    for s in 1..=3 {
        c.member(s, Role::Enterprise);
        c.mint(s, 100_000_000);
    }
    c.member(10, Role::Verifier);
    c.member(20, Role::ResourceHolder);
    c.open_period(1);
    let lines = (1..=3).map(|s| (acct(s), 1_000)).collect();
    c.ok(
        REG,
        MarketTx::Allocate {
            period: P1,
            allocations: lines,
        },
    );
    c
}

#[test]
fn allocation_is_only_on_the_first_day_and_only_to_enterprises() {
    let mut c = setup();
    assert_eq!(c.bal(1, Asset::Allowance(P1)), 1_000);
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Allocate {
                period: P1,
                allocations: vec![(acct(10), 5)]
            }
        ),
        6
    );
    c.time += DAY;
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Allocate {
                period: P1,
                allocations: vec![(acct(1), 5)]
            }
        ),
        15
    );
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Allocate {
                period: P2,
                allocations: vec![(acct(1), 5)]
            }
        ),
        11
    );
    c.check_invariants();
}

#[test]
fn reports_convert_gases_with_ar5_gwps_and_verifiers_may_correct_them() {
    let mut c = setup();
    assert_eq!(
        c.fails(1, report(10)),
        15,
        "reports are due after the period ends"
    );
    c.time += 30 * DAY;
    let by_gas = MarketTx::SubmitReport {
        period: P1,
        emissions: Emissions::ByGas(vec![
            (Gas::Co2, 500),
            (Gas::Ch4, 10),
            (Gas::N2o, 1),
            (Gas::Cf4, 1),
            (Gas::C2f6, 2),
        ]),
        digest: Hash32::digest(b"c"),
        provenance_id: Hash32::digest(b"p"),
    };
    c.ok(1, by_gas);
    let comp = query::compliance(&c.state, P1, &acct(1)).unwrap().unwrap();
    // AR5 GWP-100: CO2 1, CH4 28, N2O 265, CF4 6,630, C2F6 11,100.
    assert_eq!(
        comp.report.as_ref().unwrap().reported,
        500 + 10 * 28 + 265 + 6_630 + 2 * 11_100
    );
    // Another enterprise cannot verify; the verifier can, with a correction.
    assert_eq!(
        c.fails(
            2,
            MarketTx::VerifyReport {
                enterprise: acct(1),
                period: P1,
                corrected: None
            }
        ),
        6
    );
    c.ok(
        10,
        MarketTx::VerifyReport {
            enterprise: acct(1),
            period: P1,
            corrected: Some(1_100),
        },
    );
    let comp = query::compliance(&c.state, P1, &acct(1)).unwrap().unwrap();
    assert_eq!(comp.required(), 1_100);
    assert_eq!(
        c.fails(
            10,
            MarketTx::VerifyReport {
                enterprise: acct(1),
                period: P1,
                corrected: None
            }
        ),
        16
    );
}

#[test]
fn offsets_issue_activity_times_factor_carrying_the_remainder() {
    let mut c = setup();
    c.ok(
        20,
        MarketTx::RegisterProject {
            kind: ProjectKind::Solar,
            capacity: 5_000,
            location: "Qinghai".into(),
        },
    );
    // 1,000 MWh x 0.5703 = 570.3 t: 570 issued, 0.3 t carried.
    c.ok(
        20,
        MarketTx::ReportActivity {
            project: ProjectId(1),
            quantity: 1_000,
            evidence: Hash32::digest(b"meter"),
        },
    );
    assert_eq!(
        c.fails(
            20,
            MarketTx::CertifyActivity {
                activity: carbon_ledger::market::ActivityId(1)
            }
        ),
        3
    );
    c.ok(
        REG,
        MarketTx::CertifyActivity {
            activity: carbon_ledger::market::ActivityId(1),
        },
    );
    assert_eq!(c.bal(20, Asset::Offset), 570);
    // Another 1,000 MWh: 570.3 + 0.3 carried = 570.6 -> 570, 0.6 carried.
    c.ok(
        20,
        MarketTx::ReportActivity {
            project: ProjectId(1),
            quantity: 1_000,
            evidence: Hash32::digest(b"m2"),
        },
    );
    c.ok(
        REG,
        MarketTx::CertifyActivity {
            activity: carbon_ledger::market::ActivityId(2),
        },
    );
    // And 2,000 MWh more: 1,140.6 + 0.6 = 1,141.2 -> 1,141.
    c.ok(
        20,
        MarketTx::ReportActivity {
            project: ProjectId(1),
            quantity: 2_000,
            evidence: Hash32::digest(b"m3"),
        },
    );
    c.ok(
        REG,
        MarketTx::CertifyActivity {
            activity: carbon_ledger::market::ActivityId(3),
        },
    );
    assert_eq!(c.bal(20, Asset::Offset), 570 + 570 + 1_141);
    // 4,000 MWh x 0.5703 = 2,281.2 t in total: nothing lost but the 0.2 carried.
    let p = query::project(&c.state, 1).unwrap().unwrap();
    assert_eq!((p.issued, p.remainder_e4), (2_281, 2_000));
    assert_eq!(
        c.fails(
            REG,
            MarketTx::CertifyActivity {
                activity: carbon_ledger::market::ActivityId(3)
            }
        ),
        16
    );
    // Only the owner reports on its project; enterprises cannot register projects.
    assert_eq!(
        c.fails(
            1,
            MarketTx::RegisterProject {
                kind: ProjectKind::Wind,
                capacity: 1,
                location: "x".into()
            }
        ),
        6
    );
    c.check_invariants();
}

#[test]
fn offsets_in_compliance_are_capped_at_five_percent_of_verified_emissions() {
    let mut c = setup();
    c.ok(
        20,
        MarketTx::RegisterProject {
            kind: ProjectKind::Forest,
            capacity: 100,
            location: "Fujian".into(),
        },
    );
    c.ok(
        20,
        MarketTx::ReportActivity {
            project: ProjectId(1),
            quantity: 500,
            evidence: Hash32::digest(b"survey"),
        },
    );
    c.ok(
        REG,
        MarketTx::CertifyActivity {
            activity: carbon_ledger::market::ActivityId(1),
        },
    );
    c.ok(
        20,
        MarketTx::Transfer {
            to: acct(1),
            asset: Asset::Offset,
            amount: 200,
        },
    );
    let surrender = |allowances, offsets| MarketTx::Surrender {
        period: P1,
        allowances,
        offsets,
    };
    assert_eq!(
        c.fails(1, surrender(0, 10)),
        16,
        "offsets need a verified report"
    );
    c.time += 30 * DAY;
    c.ok(1, report(1_200));
    c.ok(
        10,
        MarketTx::VerifyReport {
            enterprise: acct(1),
            period: P1,
            corrected: None,
        },
    );
    assert_eq!(c.fails(1, surrender(0, 61)), 17);
    c.ok(1, surrender(1_000, 60));
    c.check_invariants();
}

#[test]
fn closing_a_period_judges_on_time_late_and_default_and_carries_the_shortfall() {
    let mut c = setup();
    c.time += 30 * DAY;
    for s in 1..=3 {
        c.ok(s, report(1_000));
        c.ok(
            10,
            MarketTx::VerifyReport {
                enterprise: acct(s),
                period: P1,
                corrected: None,
            },
        );
    }
    c.ok(
        1,
        MarketTx::Surrender {
            period: P1,
            allowances: 1_000,
            offsets: 0,
        },
    );
    c.ok(
        3,
        MarketTx::Surrender {
            period: P1,
            allowances: 900,
            offsets: 0,
        },
    );
    assert_eq!(c.fails(REG, MarketTx::ClosePeriod { period: P1 }), 15);
    c.time += 10 * DAY + 1;
    c.ok(
        2,
        MarketTx::Surrender {
            period: P1,
            allowances: 1_000,
            offsets: 0,
        },
    );
    let r = c.ok(REG, MarketTx::ClosePeriod { period: P1 });
    let statuses: Vec<(u16, ComplianceStatus)> = (1..=3)
        .map(|s| {
            (
                s,
                query::compliance(&c.state, P1, &acct(s))
                    .unwrap()
                    .unwrap()
                    .status,
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (1, ComplianceStatus::OnTime),
            (2, ComplianceStatus::Late),
            (3, ComplianceStatus::Default)
        ]
    );
    let d = query::compliance(&c.state, P1, &acct(3)).unwrap().unwrap();
    // 100 t short of 1,000: ¥20,000 + 10% of the ¥10,000 range = ¥21,000
    // = 2,100,000 fen by default, paid from its 100,000,000.
    assert_eq!(
        (d.shortfall, d.fine, d.fine_paid),
        (100, 2_100_000, 2_100_000)
    );
    assert_eq!(c.bal(3, Asset::Token), 100_000_000 - 2_100_000);
    assert_eq!(
        query::balance(&c.state, &platform_account(), &Asset::Token).unwrap(),
        2_100_000
    );
    assert!(r.events.iter().any(|e| matches!(
        bcs::from_bytes::<MarketEvent>(&e.data),
        Ok(MarketEvent::PeriodClosed { period: P1 })
    )));
    // Scores: on time 10,000; late 6,000 (no on-time share); default
    // 0 + 2,700 (900 of 1,000) + 0 + 1,000.
    let score = |s| query::credit(&c.state, &acct(s)).unwrap().score_bps;
    assert_eq!((score(1), score(2), score(3)), (10_000, 6_000, 3_700));
    // Nothing more for the closed period.
    assert_eq!(
        c.fails(
            3,
            MarketTx::Surrender {
                period: P1,
                allowances: 100,
                offsets: 0
            }
        ),
        16
    );
    assert_eq!(c.fails(REG, MarketTx::ClosePeriod { period: P1 }), 16);
    // The shortfall is deducted from the next allocation.
    assert_eq!(query::debt(&c.state, &acct(3)).unwrap(), 100);
    c.ok(
        REG,
        MarketTx::OpenPeriod {
            period: P2,
            start: TimestampMs(c.time),
            end: TimestampMs(c.time + 30 * DAY),
            surrender_deadline: TimestampMs(c.time + 40 * DAY),
        },
    );
    c.periods.push(P2);
    c.ok(
        REG,
        MarketTx::Allocate {
            period: P2,
            allocations: vec![(acct(3), 1_000), (acct(1), 1_000)],
        },
    );
    assert_eq!(c.bal(3, Asset::Allowance(P2)), 900);
    assert_eq!(c.bal(1, Asset::Allowance(P2)), 1_000);
    assert_eq!(query::debt(&c.state, &acct(3)).unwrap(), 0);
    // Vintages are separate assets.
    assert_eq!(c.bal(1, Asset::Allowance(P1)), 0);
    c.check_invariants();
}

#[test]
fn retiring_offsets_takes_them_out_of_circulation() {
    let mut c = setup();
    c.ok(
        20,
        MarketTx::RegisterProject {
            kind: ProjectKind::Methane,
            capacity: 10,
            location: "Shanxi".into(),
        },
    );
    c.ok(
        20,
        MarketTx::ReportActivity {
            project: ProjectId(1),
            quantity: 3,
            evidence: Hash32::digest(b"flare"),
        },
    );
    c.ok(
        REG,
        MarketTx::CertifyActivity {
            activity: carbon_ledger::market::ActivityId(1),
        },
    );
    assert_eq!(c.bal(20, Asset::Offset), 84, "3 t CH4 x GWP 28");
    let r = c.run(20, MarketTx::RetireOffsets { amount: 4 });
    assert_eq!(r.status, TxStatus::Success);
    assert_eq!(query::supply(&c.state, &Asset::Offset).unwrap().retired, 4);
    c.check_invariants();
}

/// Enterprise 3 reports and has verified 1,000 t, surrenders `surrendered`
/// on time, and the period is closed: its compliance record.
fn close_with_enterprise_3_short(
    c: &mut Chain,
    surrendered: u64,
) -> carbon_ledger::market::Compliance {
    c.time += 30 * DAY;
    c.ok(3, report(1_000));
    c.ok(
        10,
        MarketTx::VerifyReport {
            enterprise: acct(3),
            period: P1,
            corrected: None,
        },
    );
    if surrendered > 0 {
        c.ok(
            3,
            MarketTx::Surrender {
                period: P1,
                allowances: surrendered,
                offsets: 0,
            },
        );
    }
    c.time += 10 * DAY + 1;
    c.ok(REG, MarketTx::ClosePeriod { period: P1 });
    query::compliance(&c.state, P1, &acct(3)).unwrap().unwrap()
}

#[test]
fn the_default_fine_scales_from_20000_to_30000_yuan_with_the_shortfall_share() {
    // 1 t short of 1,000: ¥20,000 + ¥10 (0.1% of the range).
    let d = close_with_enterprise_3_short(&mut setup(), 999);
    assert_eq!((d.shortfall, d.fine), (1, 2_001_000));
    // Nothing surrendered: the whole range, ¥30,000.
    let d = close_with_enterprise_3_short(&mut setup(), 0);
    assert_eq!(
        (d.shortfall, d.fine, d.fine_paid),
        (1_000, 3_000_000, 3_000_000)
    );
}

#[test]
fn a_per_tonne_fine_larger_than_the_balance_is_paid_in_part_and_the_rest_stays_on_record() {
    let mut c = setup_with(
        r#""penalty.min_fen": 0, "penalty.max_fen": 0, "penalty.per_tonne_fen": 2000000"#,
    );
    // 100 t short at ¥20,000 per tonne = 200,000,000 fen; it holds
    // 100,000,000, all of which is taken.
    let d = close_with_enterprise_3_short(&mut c, 900);
    assert_eq!(
        (d.shortfall, d.fine, d.fine_paid),
        (100, 200_000_000, 100_000_000)
    );
    assert_eq!(c.bal(3, Asset::Token), 0);
    // Enterprises 1 and 2 surrendered nothing (1,000 t short each) and
    // paid their whole 100,000,000 too.
    assert_eq!(
        query::balance(&c.state, &platform_account(), &Asset::Token).unwrap(),
        300_000_000
    );
}
