//! Public market data (OHLC per day, depth, the trade list) and the credit
//! score as the queries report them after real blocks.

mod market_support;

use carbon_ledger::market::{
    ComplianceStatus, Emissions, Instrument, MarketTx, PeriodId, Side, TradeId, query,
};
use carbon_ledger::{Error, Hash32, QueryError};
use market_support::*;

const P: PeriodId = PeriodId(1);
const A: Instrument = Instrument::Allowance(P);

/// Enterprises 1..=3 with 100,000 t and ¥100,000,000 each.
fn market() -> Chain {
    let mut c = Chain::new();
    let lines = c.enterprises(1..=3, 10_000_000_000, 100_000);
    c.allocate(1, lines);
    c
}

fn is_bad_limit<T: std::fmt::Debug>(r: Result<T, Error>, got: usize) -> bool {
    matches!(r, Err(Error::Query(QueryError::BadLimit { got: g, .. })) if g == got)
}

#[test]
fn ohlc_reports_open_high_low_close_volume_value_and_count_per_day() {
    let mut c = market();
    assert_eq!(query::last_price(&c.state, &A).unwrap(), None);
    assert_eq!(query::day(&c.state, &A, T0 / DAY).unwrap(), None);
    // Three trades on day 0: 100 @ 5,100, 50 @ 5,300, 200 @ 4,900.
    for (q, p) in [(100u64, 5_100u64), (50, 5_300), (200, 4_900)] {
        c.order(1, A, Side::Sell, q, p);
        c.order(2, A, Side::Buy, q, p);
        c.time += 60_000;
    }
    let d = query::day(&c.state, &A, T0 / DAY)
        .unwrap()
        .expect("trades on day 0");
    assert_eq!(
        (d.open, d.high, d.low, d.close),
        (5_100, 5_300, 4_900, 4_900)
    );
    assert_eq!((d.volume, d.trades), (350, 3));
    assert_eq!(d.value, 100 * 5_100 + 50 * 5_300 + 200 * 4_900);
    // VWAP = 1,755,000 / 350 = 5,014.28…, rounded half up.
    assert_eq!(d.vwap(), 5_014);
    assert_eq!(query::last_price(&c.state, &A).unwrap(), Some(4_900));
    // The next day's trade starts a new record and leaves day 0 alone.
    c.time = T0 + DAY;
    c.order(3, A, Side::Sell, 10, 5_000);
    c.order(1, A, Side::Buy, 10, 5_000);
    let d1 = query::day(&c.state, &A, T0 / DAY + 1)
        .unwrap()
        .expect("day 1");
    assert_eq!(
        (d1.open, d1.close, d1.volume, d1.trades),
        (5_000, 5_000, 10, 1)
    );
    assert_eq!(query::day(&c.state, &A, T0 / DAY).unwrap(), Some(d));
    // Offsets have their own (empty) record.
    assert_eq!(
        query::day(&c.state, &Instrument::Offset, T0 / DAY).unwrap(),
        None
    );
}

#[test]
fn depth_of_an_empty_book_is_empty_and_shows_what_remains_after_partial_fills() {
    let mut c = market();
    for side in [Side::Buy, Side::Sell] {
        assert!(query::depth(&c.state, &A, side, 5).unwrap().is_empty());
    }
    c.order(1, A, Side::Sell, 500, 5_050);
    c.order(2, A, Side::Sell, 300, 5_050);
    c.order(3, A, Side::Buy, 600, 5_050); // fills 500 of 1's and 100 of 2's
    let asks = query::depth(&c.state, &A, Side::Sell, 5).unwrap();
    assert_eq!(asks.len(), 1);
    assert_eq!(
        (asks[0].price, asks[0].quantity, asks[0].orders),
        (5_050, 200, 1)
    );
    assert!(query::depth(&c.state, &A, Side::Buy, 5).unwrap().is_empty());
    // Bids best (highest) first.
    c.order(1, A, Side::Buy, 10, 4_990);
    c.order(1, A, Side::Buy, 20, 5_010);
    let bids = query::depth(&c.state, &A, Side::Buy, 5).unwrap();
    let px: Vec<(u64, u64)> = bids.iter().map(|l| (l.price, l.quantity)).collect();
    assert_eq!(px, vec![(5_010, 20), (4_990, 10)]);
    // One level asked for, one level given.
    assert_eq!(query::depth(&c.state, &A, Side::Buy, 1).unwrap().len(), 1);
    c.check_invariants();
}

#[test]
fn depth_and_trade_pages_refuse_zero_and_oversized_limits_with_a_typed_error() {
    let c = market();
    assert!(is_bad_limit(query::depth(&c.state, &A, Side::Buy, 0), 0));
    let over = query::MAX_DEPTH + 1;
    assert!(is_bad_limit(
        query::depth(&c.state, &A, Side::Sell, over),
        over
    ));
    assert!(is_bad_limit(query::trades(&c.state, TradeId(1), 0), 0));
    let over = query::MAX_TRADES + 1;
    assert!(is_bad_limit(
        query::trades(&c.state, TradeId(1), over),
        over
    ));
}

#[test]
fn trade_pages_start_at_the_given_id_and_stop_at_the_last_trade() {
    let mut c = market();
    for i in 0..5u64 {
        c.order(1, A, Side::Sell, 10 + i, 5_000);
        c.order(2, A, Side::Buy, 10 + i, 5_000);
    }
    let all = query::trades(&c.state, TradeId(0), 100).unwrap(); // 0 reads as 1
    let ids: Vec<u64> = all.iter().map(|t| t.id.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    assert_eq!(all[4].quantity, 14);
    assert_eq!(all[0].taker_side, Some(Side::Buy));
    let page: Vec<u64> = query::trades(&c.state, TradeId(4), 100)
        .unwrap()
        .iter()
        .map(|t| t.id.0)
        .collect();
    assert_eq!(page, vec![4, 5]);
    assert_eq!(query::trades(&c.state, TradeId(2), 2).unwrap().len(), 2);
    assert!(query::trades(&c.state, TradeId(6), 100).unwrap().is_empty());
    assert!(
        query::trades(&c.state, TradeId(u64::MAX), 1)
            .unwrap()
            .is_empty()
    );
}

/// Reports `emitted`, has it verified by the regulator, surrenders
/// `surrender` allowances.
fn comply(c: &mut Chain, seed: u16, period: PeriodId, emitted: u64, surrender: u64) {
    let digest = Hash32::digest(&seed.to_le_bytes());
    let provenance_id = Hash32::digest(b"prov");
    let emissions = Emissions::Total(emitted);
    c.ok(
        seed,
        MarketTx::SubmitReport {
            period,
            emissions,
            digest,
            provenance_id,
        },
    );
    let enterprise = acct(seed);
    c.ok(
        REG,
        MarketTx::VerifyReport {
            enterprise,
            period,
            corrected: None,
        },
    );
    if surrender > 0 {
        let allowances = surrender;
        c.ok(
            seed,
            MarketTx::Surrender {
                period,
                allowances,
                offsets: 0,
            },
        );
    }
}

#[test]
fn credit_score_follows_fulfilment_over_closed_periods() {
    let mut c = market();
    // No history: every component counts in full.
    assert_eq!(query::credit(&c.state, &acct(1)).unwrap().score_bps, 10_000);
    c.time += 30 * DAY;
    comply(&mut c, 1, P, 80_000, 80_000); // on time, in full
    comply(&mut c, 2, P, 80_000, 40_000); // half, then default
    comply(&mut c, 3, P, 80_000, 0); // surrenders late, in full
    c.time = T0 + 40 * DAY + 1;
    c.ok(
        3,
        MarketTx::Surrender {
            period: P,
            allowances: 80_000,
            offsets: 0,
        },
    );
    c.ok(REG, MarketTx::ClosePeriod { period: P });
    let status = |c: &Chain, s| query::compliance(&c.state, P, &acct(s)).unwrap().unwrap();
    assert_eq!(status(&c, 1).status, ComplianceStatus::OnTime);
    assert_eq!(status(&c, 2).status, ComplianceStatus::Default);
    assert_eq!(status(&c, 3).status, ComplianceStatus::Late);
    let score = |c: &Chain, s| query::credit(&c.state, &acct(s)).unwrap();
    // 40% on time + 30% fulfilment + 20% no default + 10% agreements.
    assert_eq!(score(&c, 1).score_bps, 4_000 + 3_000 + 2_000 + 1_000);
    assert_eq!(score(&c, 2).score_bps, 1_500 + 1_000);
    assert_eq!(score(&c, 3).score_bps, 3_000 + 2_000 + 1_000);
    let two = score(&c, 2);
    assert_eq!(
        (two.periods, two.defaults, two.surrendered, two.required),
        (1, 1, 40_000, 80_000)
    );
    // A second period, complied with on time by enterprise 2: its record
    // accumulates, the score recovers but remembers the default.
    c.open_period(2);
    let p2 = PeriodId(2);
    let allocations = vec![(acct(2), 100_000)];
    c.ok(
        REG,
        MarketTx::Allocate {
            period: p2,
            allocations,
        },
    );
    c.time += 30 * DAY;
    // Period 2's allocation was cut by period 1's 40,000 t shortfall.
    assert_eq!(status_in(&c, p2, 2).allocated, 60_000);
    comply(&mut c, 2, p2, 60_000, 60_000);
    c.time += 10 * DAY + 1;
    c.ok(REG, MarketTx::ClosePeriod { period: p2 });
    let two = score(&c, 2);
    assert_eq!((two.periods, two.on_time, two.defaults), (2, 1, 1));
    // 4,000 × 1/2 + 3,000 × 100,000/140,000 (rounded down) + 2,000 × 1/2 + 1,000
    assert_eq!(two.score_bps, 2_000 + 2_142 + 1_000 + 1_000);
}

fn status_in(c: &Chain, p: PeriodId, s: u16) -> carbon_ledger::market::Compliance {
    query::compliance(&c.state, p, &acct(s)).unwrap().unwrap()
}

#[test]
fn the_audit_passes_on_a_real_state_and_names_a_conservation_gap() {
    use carbon_ledger::market::audit;
    let mut c = market();
    c.order(1, A, Side::Sell, 100, 5_000);
    c.order(2, A, Side::Buy, 60, 5_000);
    let instruments = [A, Instrument::Offset];
    let assets = c.assets();
    let all = c.accounts();
    assert!(audit::check(&c.state, &all, &assets, &instruments).is_ok());
    // Leave out an account that holds tokens: the tokens are unaccounted.
    let partial: Vec<_> = all.iter().copied().filter(|a| *a != acct(3)).collect();
    let err = audit::check(&c.state, &partial, &assets, &instruments).unwrap_err();
    assert!(matches!(err, audit::AuditError::Broken(_)));
    assert!(err.to_string().contains("Token not conserved"), "{err}");
}
