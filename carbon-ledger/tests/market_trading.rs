//! Limit orders with escrow, price-time matching, bands, caps, fees,
//! block trades and public market data.

mod market_support;

use carbon_ledger::market::{
    Asset, Instrument, MarketTx, PeriodId, Side, TradeId, platform_account, query,
};
use carbon_ledger::{StateView, TxStatus};
use market_support::*;

const P: PeriodId = PeriodId(1);
const A: Instrument = Instrument::Allowance(P);
const AL: Asset = Asset::Allowance(P);

/// Enterprises 1..=4 with 200,000 t and ¥100,000,000 each; fee 5 bps;
/// reference price 5,000 fen.
fn market() -> Chain {
    let mut c = Chain::new();
    let lines = c.enterprises(1..=4, 10_000_000_000, 200_000);
    c.allocate(1, lines);
    c
}

fn order_id(r: &carbon_ledger::Receipt) -> u64 {
    for e in &r.events {
        if let Ok(carbon_ledger::market::MarketEvent::OrderPlaced { order, .. }) =
            bcs::from_bytes(&e.data)
        {
            return order.0;
        }
    }
    panic!("no order placed: {r:?}");
}

#[test]
fn orders_lock_escrow_and_cancel_returns_it() {
    let mut c = market();
    let r = c.order(1, A, Side::Sell, 1_000, 5_200);
    assert_eq!(c.esc(1, AL), 1_000);
    assert_eq!(c.bal(1, AL), 199_000);
    let b = c.order(2, A, Side::Buy, 100, 4_900);
    // 100 x 4,900 = 490,000 plus the 5 bps fee (245).
    assert_eq!(c.esc(2, Asset::Token), 490_245);
    c.check_invariants();
    c.ok(
        1,
        MarketTx::CancelOrder {
            order: carbon_ledger::market::OrderId(order_id(&r)),
        },
    );
    c.ok(
        2,
        MarketTx::CancelOrder {
            order: carbon_ledger::market::OrderId(order_id(&b)),
        },
    );
    assert_eq!((c.esc(1, AL), c.bal(1, AL)), (0, 200_000));
    assert_eq!(
        (c.esc(2, Asset::Token), c.bal(2, Asset::Token)),
        (0, 10_000_000_000)
    );
    // Someone else's order, or a gone one, is unknown.
    assert_eq!(
        c.fails(
            3,
            MarketTx::CancelOrder {
                order: carbon_ledger::market::OrderId(order_id(&r))
            }
        ),
        10
    );
    c.check_invariants();
}

#[test]
fn matching_follows_price_then_time_and_trades_at_the_resting_price() {
    let mut c = market();
    c.order(1, A, Side::Sell, 100, 5_100); // later, worse price
    c.order(2, A, Side::Sell, 100, 5_000); // best price, first in time
    c.order(3, A, Side::Sell, 100, 5_000); // best price, second in time
    let buyer_before = c.bal(4, Asset::Token);
    let r = c.order(4, A, Side::Buy, 250, 5_200);
    assert_eq!(r.status, TxStatus::Success);
    // 2 and 3 fill at 5,000 in time order, then 50 from 1 at 5,100.
    let t = query::trades(&c.state, TradeId(1), 10).unwrap();
    let fills: Vec<(u64, u64)> = t.iter().map(|t| (t.price, t.quantity)).collect();
    assert_eq!(fills, vec![(5_000, 100), (5_000, 100), (5_100, 50)]);
    let full = query::trade(&c.state, TradeId(1)).unwrap().unwrap();
    assert_eq!(full.seller, acct(2));
    // The buyer paid the resting prices plus fees, not its limit.
    let value = 100 * 5_000 * 2 + 50 * 5_100;
    let fees = (100 * 5_000 * 5 / 10_000) * 2 + 50 * 5_100 * 5 / 10_000;
    assert_eq!(buyer_before - c.bal(4, Asset::Token), value + fees);
    assert_eq!(c.esc(4, Asset::Token), 0);
    assert_eq!(c.bal(4, AL), 200_250);
    // Partial fill: 50 of seller 1's order still rests.
    let depth = query::depth(&c.state, &A, Side::Sell, 5).unwrap();
    assert_eq!((depth[0].price, depth[0].quantity), (5_100, 50));
    assert_eq!(query::last_price(&c.state, &A).unwrap(), Some(5_100));
    c.check_invariants();
}

#[test]
fn fees_in_basis_points_go_to_the_platform_account() {
    let mut c = market();
    c.order(1, A, Side::Sell, 1_000, 5_000);
    c.order(2, A, Side::Buy, 1_000, 5_000);
    // 5,000,000 fen traded: 2,500 from each side.
    assert_eq!(
        query::balance(&c.state, &platform_account(), &Asset::Token).unwrap(),
        5_000
    );
    assert_eq!(c.bal(1, Asset::Token), 10_000_000_000 + 5_000_000 - 2_500);
    c.check_invariants();
}

#[test]
fn prices_outside_the_band_and_oversized_orders_are_rejected() {
    let mut c = market();
    // Reference 5,000: the band is 4,500..=5,500.
    assert_eq!(
        c.fails(
            1,
            MarketTx::PlaceOrder {
                instrument: A,
                side: Side::Sell,
                quantity: 1,
                price: 5_501
            }
        ),
        13
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::PlaceOrder {
                instrument: A,
                side: Side::Buy,
                quantity: 1,
                price: 4_499
            }
        ),
        13
    );
    assert_eq!(
        c.order(1, A, Side::Sell, 1, 5_500).status,
        TxStatus::Success
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::PlaceOrder {
                instrument: A,
                side: Side::Sell,
                quantity: 100_001,
                price: 5_000
            }
        ),
        14
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::PlaceOrder {
                instrument: A,
                side: Side::Sell,
                quantity: 0,
                price: 5_000
            }
        ),
        7
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::PlaceOrder {
                instrument: Instrument::Allowance(PeriodId(9)),
                side: Side::Sell,
                quantity: 1,
                price: 5_000
            }
        ),
        11
    );
    assert_eq!(
        c.fails(
            2,
            MarketTx::PlaceOrder {
                instrument: A,
                side: Side::Sell,
                quantity: 300_000 / 2,
                price: 5_000
            }
        ),
        14
    );
}

#[test]
fn the_reference_price_is_the_previous_days_vwap() {
    let mut c = market();
    c.order(1, A, Side::Sell, 100, 5_400);
    c.order(2, A, Side::Buy, 100, 5_400);
    c.order(1, A, Side::Sell, 300, 5_000);
    c.order(2, A, Side::Buy, 300, 5_000);
    let day0 = query::day(&c.state, &A, T0 / DAY).unwrap().unwrap();
    assert_eq!(
        (day0.open, day0.high, day0.low, day0.close, day0.volume),
        (5_400, 5_400, 5_000, 5_000, 400)
    );
    assert_eq!(day0.vwap(), 5_100);
    c.time += DAY;
    // New reference 5,100: band 4,590..=5,610.
    assert_eq!(
        c.fails(
            1,
            MarketTx::PlaceOrder {
                instrument: A,
                side: Side::Buy,
                quantity: 1,
                price: 4_589
            }
        ),
        13
    );
    assert_eq!(
        c.order(1, A, Side::Sell, 1, 5_610).status,
        TxStatus::Success
    );
}

#[test]
fn a_resting_order_of_the_same_account_is_cancelled_not_traded() {
    let mut c = market();
    c.order(1, A, Side::Sell, 100, 5_000);
    c.order(1, A, Side::Buy, 50, 5_000);
    assert!(query::trades(&c.state, TradeId(1), 10).unwrap().is_empty());
    assert_eq!(query::depth(&c.state, &A, Side::Sell, 5).unwrap(), vec![]);
    assert_eq!(
        query::depth(&c.state, &A, Side::Buy, 5).unwrap()[0].quantity,
        50
    );
    c.check_invariants();
}

#[test]
fn freezing_an_account_cancels_its_orders() {
    let mut c = market();
    c.order(1, A, Side::Sell, 100, 5_000);
    c.order(1, A, Side::Buy, 100, 4_800);
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: acct(1),
            frozen: true,
        },
    );
    assert!(query::open_orders(&c.state, &acct(1)).unwrap().is_empty());
    assert_eq!((c.esc(1, AL), c.esc(1, Asset::Token)), (0, 0));
    c.order(2, A, Side::Buy, 100, 5_000);
    assert!(query::trades(&c.state, TradeId(1), 10).unwrap().is_empty());
    c.check_invariants();
}

#[test]
fn top_five_levels_are_aggregated_best_first() {
    let mut c = market();
    for (i, p) in [5_000u64, 5_010, 5_020, 5_030, 5_040, 5_050, 5_000]
        .iter()
        .enumerate()
    {
        c.order(1 + (i as u16 % 2), A, Side::Sell, 10, *p);
    }
    let d = query::depth(&c.state, &A, Side::Sell, 5).unwrap();
    let px: Vec<(u64, u64, u32)> = d.iter().map(|l| (l.price, l.quantity, l.orders)).collect();
    assert_eq!(
        px,
        vec![
            (5_000, 20, 2),
            (5_010, 10, 1),
            (5_020, 10, 1),
            (5_030, 10, 1),
            (5_040, 10, 1)
        ]
    );
    assert!(query::depth(&c.state, &A, Side::Sell, 6).is_err());
}

#[test]
fn block_trades_settle_in_two_steps_within_the_wider_band() {
    let mut c = market();
    let propose = |price, quantity| MarketTx::ProposeBlockTrade {
        counterparty: acct(2),
        instrument: A,
        side: Side::Sell,
        quantity,
        price,
    };
    assert_eq!(c.fails(1, propose(5_000, 99_999)), 14);
    assert_eq!(c.fails(1, propose(6_501, 150_000)), 13);
    c.ok(1, propose(6_500, 150_000));
    assert_eq!(c.esc(1, AL), 150_000);
    c.check_invariants();
    // Only the counterparty accepts.
    assert_eq!(
        c.fails(
            3,
            MarketTx::AcceptBlockTrade {
                agreement: carbon_ledger::market::AgreementId(1)
            }
        ),
        12
    );
    c.ok(
        2,
        MarketTx::AcceptBlockTrade {
            agreement: carbon_ledger::market::AgreementId(1),
        },
    );
    assert_eq!(c.bal(2, AL), 350_000);
    assert_eq!(c.esc(1, AL), 0);
    let value = 150_000 * 6_500;
    assert_eq!(
        c.bal(1, Asset::Token),
        10_000_000_000 + value - value * 5 / 10_000
    );
    // Block trades are in the trade list and volume but do not set prices.
    assert_eq!(query::last_price(&c.state, &A).unwrap(), None);
    assert_eq!(
        query::instrument(&c.state, &A).unwrap().total_volume,
        150_000
    );
    assert_eq!(
        query::credit(&c.state, &acct(1))
            .unwrap()
            .agreements_completed,
        1
    );
    c.check_invariants();
}

#[test]
fn cancelling_a_block_trade_returns_the_lock_and_counts_against_credit() {
    let mut c = market();
    c.ok(
        2,
        MarketTx::ProposeBlockTrade {
            counterparty: acct(1),
            instrument: A,
            side: Side::Buy,
            quantity: 100_000,
            price: 5_000,
        },
    );
    assert!(c.esc(2, Asset::Token) > 0);
    c.ok(
        2,
        MarketTx::CancelBlockTrade {
            agreement: carbon_ledger::market::AgreementId(1),
        },
    );
    assert_eq!(c.esc(2, Asset::Token), 0);
    assert_eq!(c.bal(2, Asset::Token), 10_000_000_000);
    let cr = query::credit(&c.state, &acct(2)).unwrap();
    assert_eq!((cr.agreements_cancelled, cr.score_bps), (1, 9_000));
    c.check_invariants();
}

#[test]
fn withdrawing_from_a_frozen_proposer_returns_its_lock_and_costs_no_credit() {
    let mut c = market();
    c.ok(
        2,
        MarketTx::ProposeBlockTrade {
            counterparty: acct(1),
            instrument: A,
            side: Side::Sell,
            quantity: 100_000,
            price: 5_000,
        },
    );
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: acct(2),
            frozen: true,
        },
    );
    let accept = MarketTx::AcceptBlockTrade {
        agreement: carbon_ledger::market::AgreementId(1),
    };
    assert_eq!(c.fails(1, accept), 2, "a frozen proposer cannot settle");
    c.ok(
        1,
        MarketTx::CancelBlockTrade {
            agreement: carbon_ledger::market::AgreementId(1),
        },
    );
    assert_eq!((c.esc(2, AL), c.bal(2, AL)), (0, 200_000));
    let cr = query::credit(&c.state, &acct(1)).unwrap();
    assert_eq!((cr.agreements_cancelled, cr.score_bps), (0, 10_000));
    c.check_invariants();
}

#[test]
fn a_settlement_that_cannot_pay_fails_as_a_whole() {
    let mut c = market();
    c.ok(
        1,
        MarketTx::ProposeBlockTrade {
            counterparty: acct(2),
            instrument: A,
            side: Side::Sell,
            quantity: 100_000,
            price: 5_000,
        },
    );
    c.ok(
        REG,
        MarketTx::Burn {
            from: acct(2),
            amount: 10_000_000_000 - 1_000,
            reference: "wd".into(),
        },
    );
    let before = c.state.clone();
    assert_eq!(
        c.fails(
            2,
            MarketTx::AcceptBlockTrade {
                agreement: carbon_ledger::market::AgreementId(1)
            }
        ),
        8
    );
    // Only the nonce moved.
    let nonce_key = carbon_ledger::market::keys::nonce_key(&acct(2));
    for (k, v) in before.iter() {
        if k != nonce_key.as_slice() {
            assert_eq!(c.state.get(k).unwrap().as_deref(), Some(v));
        }
    }
    c.check_invariants();
}

#[test]
fn an_account_cannot_rest_more_than_the_open_order_cap() {
    let mut c = market();
    let n = carbon_ledger::market::MAX_OPEN_ORDERS;
    let txs = (0..n)
        .map(|i| {
            (
                1,
                MarketTx::PlaceOrder {
                    instrument: A,
                    side: Side::Sell,
                    quantity: 1,
                    price: 5_000 + (i % 400) as u64,
                },
            )
        })
        .collect();
    assert!(c.block(txs).iter().all(|r| r.status == TxStatus::Success));
    assert_eq!(
        c.fails(
            1,
            MarketTx::PlaceOrder {
                instrument: A,
                side: Side::Sell,
                quantity: 1,
                price: 5_000
            }
        ),
        17
    );
    // A crossing order that does not rest is still fine.
    assert_eq!(c.order(2, A, Side::Buy, 1, 4_900).status, TxStatus::Success);
    assert_eq!(
        c.order(1, A, Side::Sell, 1, 4_900).status,
        TxStatus::Success
    );
    c.check_invariants();
}

fn set_fee(c: &mut Chain, bps: u64) {
    c.ok(
        REG,
        MarketTx::SetParam {
            name: "market.fee_bps".into(),
            value: carbon_ledger::ParamValue::Int(bps),
        },
    );
}

#[test]
fn a_bid_resting_from_before_a_fee_rise_still_fills_and_pays_the_fee_it_locked() {
    // Found by review: the draws and the fill's cost used the new fee, which
    // the old lock did not cover, so every crossing sell failed while that
    // bid was the best.
    let mut c = market();
    c.order(2, A, Side::Buy, 1_000, 5_000);
    // 5,000,000 fen plus 2,500 at 5 bps.
    assert_eq!(c.esc(2, Asset::Token), 5_002_500);
    set_fee(&mut c, 1_000);
    let buyer_before = c.bal(2, Asset::Token);
    // Two partial fills and the last one.
    for (seller, q) in [(1, 300), (3, 300), (4, 400)] {
        let r = c.order(seller, A, Side::Sell, q, 5_000);
        assert_eq!(r.status, TxStatus::Success, "sell of {q} t");
        c.check_invariants();
    }
    assert_eq!(c.esc(2, Asset::Token), 0);
    assert_eq!(c.bal(2, AL), 201_000);
    // The buyer paid the value plus at most the 2,500 it locked for; the
    // sellers paid the new 10% (500,000 in all).
    let paid = buyer_before - c.bal(2, Asset::Token);
    assert_eq!(paid, 0, "everything came out of the escrow");
    let platform = query::balance(&c.state, &platform_account(), &Asset::Token).unwrap();
    assert_eq!(platform, 500_000 + 2_500);
    assert_eq!(c.bal(1, Asset::Token), 10_000_000_000 + 1_500_000 - 150_000);
    // A bid placed after the rise locks and pays the new fee.
    c.order(2, A, Side::Buy, 100, 5_000);
    assert_eq!(c.esc(2, Asset::Token), 500_000 + 50_000);
    c.order(1, A, Side::Sell, 100, 5_000);
    assert_eq!(
        query::balance(&c.state, &platform_account(), &Asset::Token).unwrap(),
        platform + 2 * 50_000
    );
    c.check_invariants();
}

#[test]
fn a_block_trade_buy_proposed_before_a_fee_rise_is_still_accepted() {
    let mut c = market();
    c.ok(
        1,
        MarketTx::ProposeBlockTrade {
            counterparty: acct(2),
            instrument: A,
            side: Side::Buy,
            quantity: 100_000,
            price: 5_000,
        },
    );
    set_fee(&mut c, 1_000);
    c.ok(
        2,
        MarketTx::AcceptBlockTrade {
            agreement: carbon_ledger::market::AgreementId(1),
        },
    );
    let value = 100_000 * 5_000;
    // The proposer pays the 5 bps it locked for; the seller the new 10%.
    assert_eq!(
        c.bal(1, Asset::Token),
        10_000_000_000 - value - value * 5 / 10_000
    );
    assert_eq!(c.bal(2, Asset::Token), 10_000_000_000 + value - value / 10);
    assert_eq!(c.esc(1, Asset::Token), 0);
    c.check_invariants();
}

#[test]
fn after_a_fee_cut_a_resting_bid_pays_the_lower_fee_and_gets_the_rest_back() {
    let mut c = market();
    c.order(2, A, Side::Buy, 1_000, 5_000);
    set_fee(&mut c, 0);
    c.order(1, A, Side::Sell, 400, 5_000);
    c.order(3, A, Side::Sell, 600, 5_000);
    assert_eq!(c.esc(2, Asset::Token), 0);
    assert_eq!(c.bal(2, Asset::Token), 10_000_000_000 - 5_000_000);
    assert_eq!(
        query::balance(&c.state, &platform_account(), &Asset::Token).unwrap(),
        0
    );
    c.check_invariants();
}

#[test]
fn a_block_trade_is_accepted_only_while_its_price_is_within_todays_band() {
    let mut c = market();
    let propose = |price| MarketTx::ProposeBlockTrade {
        counterparty: acct(2),
        instrument: A,
        side: Side::Sell,
        quantity: 100_000,
        price,
    };
    // Reference 5,000: the band is 3,500..=6,500, both edges included.
    assert_eq!(c.fails(1, propose(3_499)), 13);
    c.ok(1, propose(3_500));
    c.ok(1, propose(6_500));
    // A trade at 4,600 today makes 4,600 tomorrow's reference: 3,220..=5,980.
    c.order(3, A, Side::Sell, 100, 4_600);
    c.order(4, A, Side::Buy, 100, 4_600);
    c.time += DAY;
    let accept = |id| MarketTx::AcceptBlockTrade {
        agreement: carbon_ledger::market::AgreementId(id),
    };
    assert_eq!(c.fails(2, accept(2)), 13, "6,500 is outside the new band");
    assert_eq!(c.esc(1, AL), 200_000, "the agreement and its lock remain");
    c.ok(2, accept(1));
    c.ok(
        1,
        MarketTx::CancelBlockTrade {
            agreement: carbon_ledger::market::AgreementId(2),
        },
    );
    assert_eq!(c.esc(1, AL), 0);
    assert_eq!(c.bal(2, AL), 300_000);
    c.check_invariants();
}
