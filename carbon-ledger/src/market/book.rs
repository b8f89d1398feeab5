//! The order book: limit orders with escrow and continuous price-time
//! matching at execution.
//!
//! Each side of an instrument is a sorted list of price levels
//! (`mk/px/`) and, per level, a FIFO queue of order ids (`mk/lvl/`); the
//! orders themselves are under `mk/order/`. An incoming order matches the
//! best opposite levels while they cross its limit, oldest order first,
//! each fill at the resting order's price; what is left rests. A resting
//! order of the same account is cancelled rather than traded against
//! (self-trade prevention, cancel-resting).

use super::accounts::{registered, require_not_frozen};
use super::ctx::Ctx;
use super::error::{Fail, MResult, MarketError, add, mul};
use super::events::MarketEvent;
use super::keys;
use super::trade::{self, Fill};
use super::types::{Asset, Instrument, Order, OrderId, Role, Side};
use crate::types::AccountId;

/// Most open orders one account may have (keeps its order list, one state
/// value, far below the store's value limit).
pub const MAX_OPEN_ORDERS: usize = 1_000;
/// Most orders resting at one price on one side.
pub const MAX_LEVEL_ORDERS: usize = 10_000;
/// Most price levels on one side of a book.
pub const MAX_LEVELS: usize = 10_000;

/// Fee on a trade value, rounded down.
pub(crate) fn fee(value: u64, bps: u64) -> u64 {
    u64::try_from(u128::from(value) * u128::from(bps) / 10_000).unwrap_or(u64::MAX)
}

/// Tokens a buy of `qty` at `price` locks: value plus the fee on it.
pub(crate) fn buy_lock(qty: u64, price: u64, fee_bps: u64) -> MResult<u64> {
    let value = mul(qty, price)?;
    add(value, fee(value, fee_bps))
}

/// What an order locks and in which asset.
fn lock_for(
    inst: &Instrument,
    side: Side,
    qty: u64,
    price: u64,
    fee_bps: u64,
) -> MResult<(Asset, u64)> {
    Ok(match side {
        Side::Buy => (Asset::Token, buy_lock(qty, price, fee_bps)?),
        Side::Sell => (inst.asset(), qty),
    })
}

/// Fails unless `actor` may trade `inst` on `side`: enterprises trade
/// everything; resource holders only sell offsets.
pub(crate) fn require_trader(
    cx: &Ctx,
    actor: &AccountId,
    inst: &Instrument,
    side: Side,
) -> MResult<()> {
    let rec = registered(cx, actor)?;
    if rec.frozen {
        return Err(MarketError::Frozen(*actor).into());
    }
    let ok = match rec.role() {
        Some(Role::Enterprise) => true,
        Some(Role::ResourceHolder) => *inst == Instrument::Offset && side == Side::Sell,
        _ => false,
    };
    if !ok {
        return Err(MarketError::WrongRole(*actor).into());
    }
    if let Instrument::Allowance(p) = inst
        && cx.get::<super::Period>(&keys::period(*p))?.is_none()
    {
        return Err(MarketError::UnknownPeriod(*p).into());
    }
    Ok(())
}

/// Places a limit order for `actor`, matching it at once.
pub(crate) fn place(
    cx: &mut Ctx,
    actor: &AccountId,
    inst: Instrument,
    side: Side,
    quantity: u64,
    price: u64,
) -> MResult<OrderId> {
    require_trader(cx, actor, &inst, side)?;
    let p = cx.params()?.clone();
    if quantity == 0 || price == 0 {
        return Err(MarketError::invalid("order", "quantity and price must be positive").into());
    }
    if quantity > p.max_order() {
        return Err(MarketError::QuantityLimit {
            quantity,
            limit: p.max_order(),
        }
        .into());
    }
    let reference = trade::reference_price(cx, &inst)?;
    let (low, high) = super::params::band(reference, p.band_bps());
    if price < low || price > high {
        return Err(MarketError::PriceOutOfBand { price, low, high }.into());
    }
    let (asset, escrow) = lock_for(&inst, side, quantity, price, p.fee_bps())?;
    cx.lock(actor, &asset, escrow)?;
    let id = OrderId(cx.next_id("order")?);
    let mut order = Order {
        id,
        owner: *actor,
        instrument: inst,
        side,
        price,
        quantity,
        remaining: quantity,
        escrow,
        placed_at: cx.time,
    };
    match_order(cx, &mut order, p.fee_bps())?;
    if order.remaining > 0 {
        rest(cx, &order)?;
    }
    cx.emit(MarketEvent::OrderPlaced {
        order: id,
        side,
        price,
        remaining: order.remaining,
    });
    Ok(id)
}

/// The part of an order's escrow a fill of `q` releases: everything left
/// if the fill completes the order, else `q` tonnes (sell) or the buy lock
/// of `q` at the limit (never more than the rest, since the fee rounds
/// down and floor is superadditive).
fn draw(order: &mut Order, q: u64, fee_bps: u64) -> MResult<u64> {
    let part = if q == order.remaining {
        order.escrow
    } else {
        match order.side {
            Side::Sell => q,
            Side::Buy => buy_lock(q, order.price, fee_bps)?,
        }
    };
    order.escrow = order
        .escrow
        .checked_sub(part)
        .ok_or(MarketError::Overflow)?;
    order.remaining -= q;
    Ok(part)
}

fn match_order(cx: &mut Ctx, taker: &mut Order, fee_bps: u64) -> MResult<()> {
    let inst = taker.instrument;
    let opp = taker.side.opposite();
    let px_key = keys::prices(&inst, opp);
    let mut prices: Vec<u64> = cx.get(&px_key)?.unwrap_or_default();
    let mut prices_changed = false;
    while taker.remaining > 0 {
        let best = match taker.side {
            Side::Buy => prices.first().copied(),
            Side::Sell => prices.last().copied(),
        };
        let Some(best) = best else { break };
        let crosses = match taker.side {
            Side::Buy => best <= taker.price,
            Side::Sell => best >= taker.price,
        };
        if !crosses {
            break;
        }
        let lvl_key = keys::level(&inst, opp, best);
        let queue: Vec<OrderId> = cx.get(&lvl_key)?.unwrap_or_default();
        let mut consumed = 0;
        for id in &queue {
            if taker.remaining == 0 {
                break;
            }
            let mut maker = load(cx, *id)?;
            if maker.owner == taker.owner {
                release(cx, &maker)?;
                cx.emit(MarketEvent::OrderCancelled {
                    order: maker.id,
                    returned: maker.escrow,
                });
                consumed += 1;
                continue;
            }
            let q = taker.remaining.min(maker.remaining);
            let taker_part = draw(taker, q, fee_bps)?;
            let maker_part = draw(&mut maker, q, fee_bps)?;
            let (buyer, buyer_part, seller) = match taker.side {
                Side::Buy => (taker.owner, taker_part, maker.owner),
                Side::Sell => (maker.owner, maker_part, taker.owner),
            };
            trade::settle(
                cx,
                &Fill {
                    instrument: inst,
                    price: best,
                    quantity: q,
                    buyer,
                    buyer_locked: buyer_part,
                    seller,
                    seller_locked: true,
                    taker_side: Some(taker.side),
                },
                fee_bps,
            )?;
            if maker.remaining == 0 {
                // Its escrow was fully drawn by the completing fill.
                cx.del(keys::order(maker.id));
                unlist(cx, &maker.owner, maker.id)?;
                consumed += 1;
            } else {
                cx.put(keys::order(maker.id), &maker);
            }
        }
        if consumed == queue.len() {
            cx.del(lvl_key);
            match taker.side {
                Side::Buy => prices.remove(0),
                Side::Sell => prices.pop().unwrap_or(best),
            };
            prices_changed = true;
        } else if consumed > 0 {
            cx.put(lvl_key, &queue[consumed..].to_vec());
        }
    }
    if prices_changed {
        put_prices(cx, px_key, &prices);
    }
    Ok(())
}

fn put_prices(cx: &mut Ctx, key: Vec<u8>, prices: &[u64]) {
    if prices.is_empty() {
        cx.del(key);
    } else {
        cx.put(key, &prices.to_vec());
    }
}

fn load(cx: &Ctx, id: OrderId) -> MResult<Order> {
    cx.get(&keys::order(id))?.ok_or_else(|| {
        Fail::Fatal(crate::store::corrupt(
            format!("order {id}"),
            "listed on the book but missing",
        ))
    })
}

/// Puts an order on the book.
fn rest(cx: &mut Ctx, order: &Order) -> MResult<()> {
    let cap = |what, allowed: usize, asked: usize| MarketError::CapExceeded {
        what,
        allowed: allowed as u64,
        asked: asked as u64,
    };
    let ak = keys::account_orders(&order.owner);
    let mut mine: Vec<OrderId> = cx.get(&ak)?.unwrap_or_default();
    if mine.len() >= MAX_OPEN_ORDERS {
        return Err(cap("open orders per account", MAX_OPEN_ORDERS, mine.len() + 1).into());
    }
    let lvl_key = keys::level(&order.instrument, order.side, order.price);
    let mut queue: Vec<OrderId> = cx.get(&lvl_key)?.unwrap_or_default();
    if queue.len() >= MAX_LEVEL_ORDERS {
        return Err(cap("orders at one price", MAX_LEVEL_ORDERS, queue.len() + 1).into());
    }
    if queue.is_empty() {
        // A new level: only then does the sorted price list change.
        let px_key = keys::prices(&order.instrument, order.side);
        let mut prices: Vec<u64> = cx.get(&px_key)?.unwrap_or_default();
        if let Err(pos) = prices.binary_search(&order.price) {
            if prices.len() >= MAX_LEVELS {
                return Err(cap("price levels per side", MAX_LEVELS, prices.len() + 1).into());
            }
            prices.insert(pos, order.price);
            put_prices(cx, px_key, &prices);
        }
    }
    queue.push(order.id);
    cx.put(lvl_key, &queue);
    mine.push(order.id);
    cx.put(ak, &mine);
    cx.put(keys::order(order.id), order);
    Ok(())
}

/// Removes an order from its account's list of open orders.
fn unlist(cx: &mut Ctx, owner: &AccountId, id: OrderId) -> MResult<()> {
    let ak = keys::account_orders(owner);
    let mut mine: Vec<OrderId> = cx.get(&ak)?.unwrap_or_default();
    mine.retain(|o| *o != id);
    if mine.is_empty() {
        cx.del(ak);
    } else {
        cx.put(ak, &mine);
    }
    Ok(())
}

/// Returns an order's escrow and forgets the order (not its level entry).
fn release(cx: &mut Ctx, order: &Order) -> MResult<()> {
    let asset = match order.side {
        Side::Buy => Asset::Token,
        Side::Sell => order.instrument.asset(),
    };
    cx.unlock(&order.owner, &asset, order.escrow)?;
    cx.credit(&order.owner, &asset, order.escrow)?;
    cx.del(keys::order(order.id));
    unlist(cx, &order.owner, order.id)
}

/// Takes a resting order off the book and returns its escrow.
pub(crate) fn cancel_resting(cx: &mut Ctx, id: OrderId) -> MResult<()> {
    let order = load(cx, id)?;
    let lvl_key = keys::level(&order.instrument, order.side, order.price);
    let mut queue: Vec<OrderId> = cx.get(&lvl_key)?.unwrap_or_default();
    queue.retain(|o| *o != id);
    if queue.is_empty() {
        cx.del(lvl_key);
        let px_key = keys::prices(&order.instrument, order.side);
        let mut prices: Vec<u64> = cx.get(&px_key)?.unwrap_or_default();
        prices.retain(|p| *p != order.price);
        put_prices(cx, px_key, &prices);
    } else {
        cx.put(lvl_key, &queue);
    }
    release(cx, &order)?;
    cx.emit(MarketEvent::OrderCancelled {
        order: id,
        returned: order.escrow,
    });
    Ok(())
}

/// Cancels `actor`'s own order.
pub(crate) fn cancel(cx: &mut Ctx, actor: &AccountId, id: OrderId) -> MResult<()> {
    require_not_frozen(cx, actor)?;
    match cx.get::<Order>(&keys::order(id))? {
        Some(o) if o.owner == *actor => cancel_resting(cx, id),
        _ => Err(MarketError::UnknownOrder(id).into()),
    }
}
