//! Settlement of trades (both legs or nothing: any failure fails the whole
//! operation), market data updates, and bilateral block trades.

use super::accounts::registered;
use super::book::require_trader;
use super::ctx::Ctx;
use super::error::{MResult, MarketError, add, mul, or_overflow};
use super::escrow::{buy_lock, fee};
use super::events::MarketEvent;
use super::keys;
use super::records::Agreement;
use super::types::{
    AgreementId, Asset, DayStats, Instrument, InstrumentStats, Side, Trade, TradeId, day_of,
    platform_account,
};
use crate::types::AccountId;

/// One fill to settle.
pub(crate) struct Fill {
    pub(crate) instrument: Instrument,
    pub(crate) price: u64,
    pub(crate) quantity: u64,
    pub(crate) buyer: AccountId,
    /// Tokens released from the buyer's escrow for this fill (value + fee
    /// at most; the rest is refunded). `0` with a block-trade acceptance:
    /// the buyer then pays from its balance.
    pub(crate) buyer_locked: u64,
    pub(crate) seller: AccountId,
    /// Whether the seller's tonnes come from escrow (else from balance).
    pub(crate) seller_locked: bool,
    pub(crate) taker_side: Option<Side>,
}

/// Settles both legs: tonnes seller -> buyer, value buyer -> seller, a fee
/// from each side to the platform account; records the trade.
///
/// A buyer paying from escrow pays at most what the escrow released beyond
/// the value: an order or proposal locked before the fee rose pays the fee
/// it locked for, not more (so a fee rise cannot leave a resting bid that
/// no sell can fill). The seller pays the current fee.
pub(crate) fn settle(cx: &mut Ctx, f: &Fill, fee_bps: u64) -> MResult<TradeId> {
    let asset = f.instrument.asset();
    let value = mul(f.quantity, f.price)?;
    let fee_each = fee(value, fee_bps);
    let buyer_fee = if f.buyer_locked > 0 {
        cx.unlock(&f.buyer, &Asset::Token, f.buyer_locked)?;
        // Escrow keeps at least the value at the limit (escrow::draw), and
        // the price is at most the buyer's limit.
        let beyond = or_overflow(f.buyer_locked.checked_sub(value))?;
        let buyer_fee = fee_each.min(beyond);
        cx.credit(&f.buyer, &Asset::Token, beyond - buyer_fee)?;
        buyer_fee
    } else {
        cx.debit(&f.buyer, &Asset::Token, add(value, fee_each)?)?;
        fee_each
    };
    if f.seller_locked {
        cx.unlock(&f.seller, &asset, f.quantity)?;
    } else {
        cx.debit(&f.seller, &asset, f.quantity)?;
    }
    cx.credit(&f.buyer, &asset, f.quantity)?;
    cx.credit(
        &f.seller,
        &Asset::Token,
        or_overflow(value.checked_sub(fee_each))?,
    )?;
    cx.credit(
        &platform_account(),
        &Asset::Token,
        add(fee_each, buyer_fee)?,
    )?;
    let id = TradeId(cx.next_id("trade")?);
    let t = Trade {
        id,
        instrument: f.instrument,
        price: f.price,
        quantity: f.quantity,
        buyer: f.buyer,
        seller: f.seller,
        taker_side: f.taker_side,
        time: cx.time,
    };
    record(cx, &t)?;
    cx.t.trade.put(id.0, Some(t), cx.tx);
    cx.emit(MarketEvent::Traded {
        trade: id,
        instrument: f.instrument,
        price: f.price,
        quantity: f.quantity,
    });
    Ok(id)
}

/// Instrument stats with the reference price rolled to today: if the
/// stats' day is over and it had trades, its VWAP becomes the reference.
fn rolled(cx: &mut Ctx, inst: &Instrument) -> MResult<InstrumentStats> {
    let mut s: InstrumentStats = cx.t.inst.get(cx.base, inst)?.cloned().unwrap_or_default();
    let today = day_of(cx.time);
    if s.day < today {
        if let Some(d) = cx.t.day.get(cx.base, &(*inst, s.day))?
            && d.volume > 0
        {
            s.reference_price = d.vwap();
        }
        s.day = today;
    }
    Ok(s)
}

/// The band reference price today: the previous trading day's VWAP, or the
/// `market.initial_reference_price` parameter before the first trading day.
pub(crate) fn reference_price(cx: &mut Ctx, inst: &Instrument) -> MResult<u64> {
    let r = rolled(cx, inst)?.reference_price;
    Ok(if r == 0 {
        cx.params()?.initial_reference()
    } else {
        r
    })
}

/// Updates last price, volumes and (for order-book trades) the day's
/// OHLC/VWAP. Block trades count in volume and the trade list but do not
/// move prices.
fn record(cx: &mut Ctx, t: &Trade) -> MResult<()> {
    let mut s = rolled(cx, &t.instrument)?;
    s.total_volume = add(s.total_volume, t.quantity)?;
    if t.taker_side.is_some() {
        s.last_price = t.price;
        let d =
            cx.t.day
                .write(cx.base, &(t.instrument, s.day), cx.tx)?
                .get_or_insert_with(DayStats::default);
        if d.trades == 0 {
            d.open = t.price;
            d.high = t.price;
            d.low = t.price;
        }
        d.high = d.high.max(t.price);
        d.low = d.low.min(t.price);
        d.close = t.price;
        d.volume = add(d.volume, t.quantity)?;
        d.value = or_overflow(
            d.value
                .checked_add(u128::from(t.quantity) * u128::from(t.price)),
        )?;
        d.trades = add(d.trades, 1)?;
    }
    cx.t.inst.put(t.instrument, Some(s), cx.tx);
    Ok(())
}

/// A block trade's price is within `market.block_trade_band_bps` of
/// today's reference price: when it is proposed and again when it is
/// accepted (the reference moves with each trading day).
fn require_block_band(cx: &mut Ctx, instrument: &Instrument, price: u64) -> MResult<()> {
    let bps = cx.params()?.block_band_bps();
    let reference = reference_price(cx, instrument)?;
    let (low, high) = super::params::band(reference, bps);
    if price == 0 || price < low || price > high {
        return Err(MarketError::PriceOutOfBand { price, low, high }.into());
    }
    Ok(())
}

fn proposer_lock(a: &Agreement) -> (Asset, u64) {
    match a.proposer_side {
        Side::Buy => (Asset::Token, a.escrow),
        Side::Sell => (a.instrument.asset(), a.escrow),
    }
}

/// Step one of a block trade: the proposer locks its leg.
pub(crate) fn propose(
    cx: &mut Ctx,
    actor: &AccountId,
    counterparty: AccountId,
    instrument: Instrument,
    side: Side,
    quantity: u64,
    price: u64,
) -> MResult<AgreementId> {
    require_trader(cx, actor, &instrument, side)?;
    if counterparty == *actor {
        return Err(MarketError::invalid("counterparty", "cannot trade with oneself").into());
    }
    require_trader(cx, &counterparty, &instrument, side.opposite())?;
    let p = cx.params()?.clone();
    if quantity < p.block_min() {
        return Err(MarketError::QuantityLimit {
            quantity,
            limit: p.block_min(),
        }
        .into());
    }
    require_block_band(cx, &instrument, price)?;
    let escrow = match side {
        Side::Buy => buy_lock(quantity, price, p.fee_bps())?,
        Side::Sell => quantity,
    };
    let id = AgreementId(cx.next_id("agreement")?);
    let a = Agreement {
        id,
        proposer: *actor,
        proposer_side: side,
        counterparty,
        instrument,
        quantity,
        price,
        escrow,
    };
    let (asset, amount) = proposer_lock(&a);
    cx.lock(actor, &asset, amount)?;
    cx.put(keys::agreement(id.0), &a);
    cx.emit(MarketEvent::AgreementProposed { agreement: id });
    Ok(id)
}

/// Step two: the counterparty accepts (still within the band of today's
/// reference price); both legs settle at once.
pub(crate) fn accept(cx: &mut Ctx, actor: &AccountId, id: AgreementId) -> MResult<TradeId> {
    let a: Agreement = match cx.get::<Agreement>(&keys::agreement(id.0))? {
        Some(a) if a.counterparty == *actor => a,
        _ => return Err(MarketError::UnknownAgreement(id).into()),
    };
    require_trader(cx, actor, &a.instrument, a.proposer_side.opposite())?;
    if registered(cx, &a.proposer)?.frozen {
        return Err(MarketError::Frozen(a.proposer).into());
    }
    require_block_band(cx, &a.instrument, a.price)?;
    let fee_bps = cx.params()?.fee_bps();
    let (buyer, buyer_locked, seller, seller_locked) = match a.proposer_side {
        Side::Buy => (a.proposer, a.escrow, a.counterparty, false),
        Side::Sell => (a.counterparty, 0, a.proposer, true),
    };
    let trade = settle(
        cx,
        &Fill {
            instrument: a.instrument,
            price: a.price,
            quantity: a.quantity,
            buyer,
            buyer_locked,
            seller,
            seller_locked,
            taker_side: None,
        },
        fee_bps,
    )?;
    cx.del(keys::agreement(id.0));
    for party in [a.proposer, a.counterparty] {
        cx.update_credit(&party, |c| {
            c.agreements_completed = c.agreements_completed.checked_add(1)?;
            Some(())
        })?;
    }
    cx.emit(MarketEvent::AgreementSettled {
        agreement: id,
        trade,
    });
    Ok(trade)
}

/// Either party withdraws; the proposer's lock is returned and the
/// cancelling party's record counts a cancelled agreement, unless the
/// other party is frozen.
pub(crate) fn cancel(cx: &mut Ctx, actor: &AccountId, id: AgreementId) -> MResult<()> {
    let a: Agreement = match cx.get::<Agreement>(&keys::agreement(id.0))? {
        Some(a) if a.counterparty == *actor || a.proposer == *actor => a,
        _ => return Err(MarketError::UnknownAgreement(id).into()),
    };
    let (asset, amount) = proposer_lock(&a);
    cx.unlock(&a.proposer, &asset, amount)?;
    cx.credit(&a.proposer, &asset, amount)?;
    cx.del(keys::agreement(id.0));
    // Withdrawing from a party that was frozen (and so can neither settle
    // nor withdraw itself) does not count against the one who withdraws.
    let other = if a.proposer == *actor {
        a.counterparty
    } else {
        a.proposer
    };
    if !registered(cx, &other)?.frozen {
        cx.update_credit(actor, |c| {
            c.agreements_cancelled = c.agreements_cancelled.checked_add(1)?;
            Some(())
        })?;
    }
    cx.emit(MarketEvent::AgreementCancelled { agreement: id });
    Ok(())
}
