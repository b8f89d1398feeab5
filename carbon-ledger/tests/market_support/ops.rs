//! Random market operations for the property tests and the recorded
//! equivalence vectors: the operation mix ([`op`], the trading day, also
//! behind the recorded vectors; [`lifecycle`], a whole period with
//! reports, verification, issuance, surrender, the close and the next
//! period), a funded starting chain, and the mapping of an operation to a
//! signed-able transaction.

use carbon_ledger::Hash32;
use carbon_ledger::genesis::ParamValue;
use carbon_ledger::market::{
    AgreementId, Asset, Instrument, MarketTx, OrderId, PeriodId, ProjectId, ProjectKind, Role,
    Side, query,
};
use proptest::prelude::*;

use super::*;

pub const P: PeriodId = PeriodId(1);
/// The period [`Op::NextPeriod`] opens.
pub const P2: PeriodId = PeriodId(2);
/// Enterprises 1..=6, resource holder 7, free account 8, stranger 9.
pub const SEEDS: u16 = 9;

#[derive(Clone, Debug)]
pub enum Op {
    Place {
        who: u16,
        offset: bool,
        buy: bool,
        qty: u64,
        tick: i64,
    },
    Cancel {
        who: u16,
        pick: usize,
    },
    Transfer {
        who: u16,
        to: u16,
        asset: u8,
        amount: u64,
    },
    Propose {
        who: u16,
        to: u16,
        buy: bool,
        qty: u64,
        tick: i64,
    },
    Accept {
        who: u16,
        id: u64,
    },
    CancelAgreement {
        who: u16,
        id: u64,
    },
    Freeze {
        who: u16,
        frozen: bool,
    },
    Mint {
        to: u16,
        amount: u64,
    },
    Burn {
        from: u16,
        amount: u64,
    },
    Surrender {
        who: u16,
        amount: u64,
    },
    Retire {
        who: u16,
        amount: u64,
    },
    Fee {
        bps: u64,
    },
    NextDay,
    /// An enterprise reports its period-1 total.
    Report {
        who: u16,
        total: u64,
    },
    /// The regulator verifies a report, maybe correcting it.
    Verify {
        who: u16,
        corrected: Option<u64>,
    },
    /// Allowances and offsets surrendered for period 1.
    SurrenderBoth {
        who: u16,
        allowances: u64,
        offsets: u64,
    },
    /// The resource holder reports activity on its project.
    Activity {
        qty: u64,
    },
    /// The regulator certifies an activity (issuing offsets).
    Certify {
        id: u64,
    },
    /// Block time moves on by whole days.
    Jump {
        days: u64,
    },
    /// The regulator closes period 1.
    Close,
    /// The regulator opens period 2 now.
    NextPeriod,
    /// The regulator allocates period 2 to every enterprise.
    Allocate2 {
        tonnes: u64,
    },
}

pub fn op() -> impl Strategy<Value = Op> {
    let who = prop_oneof![8 => 1..=6u16, 1 => 7..=SEEDS];
    prop_oneof![
        16 => (who.clone(), any::<bool>(), any::<bool>(), prop_oneof![20 => 1u64..2_000, 1 => Just(100_001), 1 => Just(u64::MAX / 2)], prop_oneof![10 => -300i64..300, 1 => -700i64..700])
            .prop_map(|(who, offset, buy, qty, tick)| Op::Place { who, offset, buy, qty, tick }),
        2 => (who.clone(), any::<usize>()).prop_map(|(who, pick)| Op::Cancel { who, pick }),
        2 => (who.clone(), 1..=SEEDS, 0u8..3, prop_oneof![1u64..5_000, Just(u64::MAX)])
            .prop_map(|(who, to, asset, amount)| Op::Transfer { who, to, asset, amount }),
        1 => (who.clone(), 1..=SEEDS, any::<bool>(), 100_000u64..120_000, -2_000i64..2_000)
            .prop_map(|(who, to, buy, qty, tick)| Op::Propose { who, to, buy, qty, tick }),
        1 => (who.clone(), 1u64..5).prop_map(|(who, id)| Op::Accept { who, id }),
        1 => (who.clone(), 1u64..5).prop_map(|(who, id)| Op::CancelAgreement { who, id }),
        1 => (who.clone(), any::<bool>()).prop_map(|(who, frozen)| Op::Freeze { who, frozen }),
        1 => (who.clone(), prop_oneof![1u64..1_000_000, Just(u64::MAX)]).prop_map(|(to, amount)| Op::Mint { to, amount }),
        1 => (who.clone(), 1u64..1_000_000).prop_map(|(from, amount)| Op::Burn { from, amount }),
        1 => (who.clone(), 1u64..3_000).prop_map(|(who, amount)| Op::Surrender { who, amount }),
        1 => (who.clone(), 1u64..100).prop_map(|(who, amount)| Op::Retire { who, amount }),
        1 => (0u64..1_200).prop_map(|bps| Op::Fee { bps }),
        1 => Just(Op::NextDay),
    ]
}

/// The operations of the reporting weeks: [`op`], reports, verification,
/// surrender of allowances and offsets, activity and certification.
fn reporting_op() -> impl Strategy<Value = Op> {
    let who = prop_oneof![8 => 1..=6u16, 1 => 7..=SEEDS];
    prop_oneof![
        6 => op(),
        3 => (who.clone(), prop_oneof![6 => 100_000u64..400_000, 1 => Just(u64::MAX)]).prop_map(|(who, total)| Op::Report { who, total }),
        3 => (who.clone(), prop_oneof![3 => Just(None), 1 => (0u64..400_000).prop_map(Some)]).prop_map(|(who, corrected)| Op::Verify { who, corrected }),
        4 => (who.clone(), 1u64..200_000, prop_oneof![1 => Just(0u64), 2 => 1u64..20_000]).prop_map(|(who, allowances, offsets)| Op::SurrenderBoth { who, allowances, offsets }),
        1 => (1u64..200_000).prop_map(|qty| Op::Activity { qty }),
        1 => (1u64..5).prop_map(|id| Op::Certify { id }),
    ]
}

/// A whole period's life: trading days, the period's end, reporting and
/// surrender, the deadline, late surrender, the close (fines, debt), the
/// next period opened and allocated (minus the debt), and trading on.
pub fn lifecycle() -> impl Strategy<Value = Vec<Op>> {
    use proptest::collection::vec;
    (
        vec(op(), 0..40),
        vec(reporting_op(), 0..80),
        vec(reporting_op(), 0..20),
        1u64..400_000,
        vec(op(), 0..30),
    )
        .prop_map(|(trading, reporting, late, tonnes, after)| {
            let mut ops = trading;
            ops.push(Op::Jump { days: 30 });
            ops.extend(reporting);
            ops.push(Op::Jump { days: 11 });
            ops.extend(late);
            ops.extend([Op::Close, Op::NextPeriod, Op::Allocate2 { tonnes }]);
            ops.extend(after);
            ops
        })
}

pub fn setup() -> Chain {
    let mut c = Chain::new();
    let lines = c.enterprises(1..=6, 2_000_000_000, 300_000);
    c.member(7, Role::ResourceHolder);
    c.ok(
        8,
        MarketTx::Register {
            name: "free".into(),
        },
    );
    c.allocate(1, lines);
    c.ok(
        7,
        MarketTx::RegisterProject {
            kind: ProjectKind::Wind,
            capacity: 50_000,
            location: "Gansu".into(),
        },
    );
    c.ok(
        7,
        MarketTx::ReportActivity {
            project: ProjectId(1),
            quantity: 100_000,
            evidence: Hash32::digest(b"e"),
        },
    );
    c.ok(
        REG,
        MarketTx::CertifyActivity {
            activity: carbon_ledger::market::ActivityId(1),
        },
    );
    for s in 1..=6 {
        c.ok(
            7,
            MarketTx::Transfer {
                to: acct(s),
                asset: Asset::Offset,
                amount: 5_000,
            },
        );
    }
    c.seeds.extend([9]);
    c
}

pub fn to_tx(c: &Chain, op: &Op) -> (u16, MarketTx) {
    let asset = |a: u8| match a {
        0 => Asset::Token,
        1 => Asset::Allowance(P),
        _ => Asset::Offset,
    };
    let price = |tick: i64| (5_000 + tick).max(1) as u64;
    match op.clone() {
        Op::Place {
            who,
            offset,
            buy,
            qty,
            tick,
        } => (
            who,
            MarketTx::PlaceOrder {
                instrument: if offset {
                    Instrument::Offset
                } else {
                    Instrument::Allowance(P)
                },
                side: if buy { Side::Buy } else { Side::Sell },
                quantity: qty,
                price: price(tick),
            },
        ),
        Op::Cancel { who, pick } => {
            let open = query::open_orders(&c.state, &acct(who)).unwrap();
            let order = if open.is_empty() {
                OrderId(pick as u64 % 50)
            } else {
                open[pick % open.len()].id
            };
            (who, MarketTx::CancelOrder { order })
        }
        Op::Transfer {
            who,
            to,
            asset: a,
            amount,
        } => (
            who,
            MarketTx::Transfer {
                to: acct(to),
                asset: asset(a),
                amount,
            },
        ),
        Op::Propose {
            who,
            to,
            buy,
            qty,
            tick,
        } => (
            who,
            MarketTx::ProposeBlockTrade {
                counterparty: acct(to),
                instrument: Instrument::Allowance(P),
                side: if buy { Side::Buy } else { Side::Sell },
                quantity: qty,
                price: price(tick),
            },
        ),
        Op::Accept { who, id } => (
            who,
            MarketTx::AcceptBlockTrade {
                agreement: AgreementId(id),
            },
        ),
        Op::CancelAgreement { who, id } => (
            who,
            MarketTx::CancelBlockTrade {
                agreement: AgreementId(id),
            },
        ),
        Op::Freeze { who, frozen } => (
            REG,
            MarketTx::SetFrozen {
                account: acct(who),
                frozen,
            },
        ),
        Op::Mint { to, amount } => (
            REG,
            MarketTx::Mint {
                to: acct(to),
                amount,
                reference: "dep".into(),
            },
        ),
        Op::Burn { from, amount } => (
            REG,
            MarketTx::Burn {
                from: acct(from),
                amount,
                reference: "wd".into(),
            },
        ),
        Op::Surrender { who, amount } => (
            who,
            MarketTx::Surrender {
                period: P,
                allowances: amount,
                offsets: 0,
            },
        ),
        Op::Retire { who, amount } => (who, MarketTx::RetireOffsets { amount }),
        Op::Fee { bps } => (
            REG,
            MarketTx::SetParam {
                name: "market.fee_bps".into(),
                value: ParamValue::Int(bps),
            },
        ),
        Op::NextDay | Op::Jump { .. } => (
            REG,
            MarketTx::Register {
                name: "tick".into(),
            },
        ),
        Op::Report { who, total } => (
            who,
            MarketTx::SubmitReport {
                period: P,
                emissions: carbon_ledger::market::Emissions::Total(total),
                digest: Hash32::digest(b"abe report"),
                provenance_id: Hash32::digest(b"prov"),
            },
        ),
        Op::Verify { who, corrected } => (
            REG,
            MarketTx::VerifyReport {
                enterprise: acct(who),
                period: P,
                corrected,
            },
        ),
        Op::SurrenderBoth {
            who,
            allowances,
            offsets,
        } => (
            who,
            MarketTx::Surrender {
                period: P,
                allowances,
                offsets,
            },
        ),
        Op::Activity { qty } => (
            7,
            MarketTx::ReportActivity {
                project: ProjectId(1),
                quantity: qty,
                evidence: Hash32::digest(b"meter"),
            },
        ),
        Op::Certify { id } => (
            REG,
            MarketTx::CertifyActivity {
                activity: carbon_ledger::market::ActivityId(id),
            },
        ),
        Op::Close => (REG, MarketTx::ClosePeriod { period: P }),
        Op::NextPeriod => (
            REG,
            MarketTx::OpenPeriod {
                period: P2,
                start: carbon_ledger::TimestampMs(c.time),
                end: carbon_ledger::TimestampMs(c.time + 30 * DAY),
                surrender_deadline: carbon_ledger::TimestampMs(c.time + 40 * DAY),
            },
        ),
        Op::Allocate2 { tonnes } => (
            REG,
            MarketTx::Allocate {
                period: P2,
                allocations: (1..=6).map(|s| (acct(s), tonnes)).collect(),
            },
        ),
    }
}
