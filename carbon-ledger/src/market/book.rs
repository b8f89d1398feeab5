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

use super::accounts::require_not_frozen;
use super::ctx::Ctx;
use super::error::{Fail, MResult, MarketError};
use super::escrow::{draw, lock_for};
use super::events::MarketEvent;
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

/// Fails unless `actor` may trade `inst` on `side`: enterprises trade
/// everything; resource holders only sell offsets.
pub(crate) fn require_trader(
    cx: &mut Ctx,
    actor: &AccountId,
    inst: &Instrument,
    side: Side,
) -> MResult<()> {
    let Some((frozen, role)) = cx.standing(actor)? else {
        return Err(MarketError::NotRegistered(*actor).into());
    };
    if frozen {
        return Err(MarketError::Frozen(*actor).into());
    }
    let ok = match role {
        Some(Role::Enterprise) => true,
        Some(Role::ResourceHolder) => *inst == Instrument::Offset && side == Side::Sell,
        _ => false,
    };
    if !ok {
        return Err(MarketError::WrongRole(*actor).into());
    }
    if let Instrument::Allowance(p) = inst
        && !cx.has_period(*p)?
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
    let (max_order, band_bps, fee_bps) = {
        let p = cx.params()?;
        (p.max_order(), p.band_bps(), p.fee_bps())
    };
    if quantity == 0 || price == 0 {
        return Err(MarketError::invalid("order", "quantity and price must be positive").into());
    }
    if quantity > max_order {
        return Err(MarketError::QuantityLimit {
            quantity,
            limit: max_order,
        }
        .into());
    }
    let reference = trade::reference_price(cx, &inst)?;
    let (low, high) = super::params::band(reference, band_bps);
    if price < low || price > high {
        return Err(MarketError::PriceOutOfBand { price, low, high }.into());
    }
    let (asset, escrow) = lock_for(&inst, side, quantity, price, fee_bps)?;
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
    match_order(cx, &mut order, fee_bps)?;
    let remaining = order.remaining;
    if remaining > 0 {
        rest(cx, order)?;
    }
    cx.emit(MarketEvent::OrderPlaced {
        order: id,
        side,
        price,
        remaining,
    });
    Ok(id)
}

fn match_order(cx: &mut Ctx, taker: &mut Order, fee_bps: u64) -> MResult<()> {
    let inst = taker.instrument;
    let opp = taker.side.opposite();
    let pk = (inst, opp);
    let mut prices_changed = false;
    while taker.remaining > 0 {
        let best = cx.t.px.get(cx.base, &pk)?.and_then(|p| match taker.side {
            Side::Buy => p.first().copied(),
            Side::Sell => p.last().copied(),
        });
        let Some(best) = best else { break };
        let crosses = match taker.side {
            Side::Buy => best <= taker.price,
            Side::Sell => best >= taker.price,
        };
        if !crosses {
            break;
        }
        let lk = (inst, opp, best);
        // The level's queue does not change while it is matched (only
        // the consumed head is dropped, below), so it is read in place.
        let len = cx.t.lvl.get(cx.base, &lk)?.map_or(0, Vec::len);
        let mut consumed = 0;
        for i in 0..len {
            if taker.remaining == 0 {
                break;
            }
            let id = queued(cx, &lk, i)?;
            let mut maker = load(cx, id)?;
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
                cx.put_order(maker.id, None);
                unlist(cx, &maker.owner, maker.id)?;
                consumed += 1;
            } else {
                cx.put_order(maker.id, Some(maker));
            }
        }
        if consumed == len {
            cx.t.lvl.put(lk, None, cx.tx);
            if let Some(prices) = cx.t.px.write(cx.base, &pk, cx.tx)? {
                match taker.side {
                    Side::Buy => drop(prices.remove(0)),
                    Side::Sell => drop(prices.pop()),
                }
            }
            prices_changed = true;
        } else if consumed > 0
            && let Some(queue) = cx.t.lvl.write(cx.base, &lk, cx.tx)?
        {
            queue.drain(..consumed);
        }
    }
    if prices_changed {
        drop_if_empty(cx.t.px.write(cx.base, &pk, cx.tx)?);
    }
    Ok(())
}

/// A list that became empty is deleted rather than stored empty.
fn drop_if_empty<T>(slot: &mut Option<Vec<T>>) {
    if slot.as_ref().is_some_and(Vec::is_empty) {
        *slot = None;
    }
}

/// The `i`-th order id queued at a level.
fn queued(cx: &mut Ctx, lk: &(Instrument, Side, u64), i: usize) -> MResult<OrderId> {
    cx.t.lvl
        .get(cx.base, lk)?
        .and_then(|q| q.get(i).copied())
        .ok_or_else(|| {
            Fail::Fatal(crate::store::corrupt(
                format!("price level {lk:?}"),
                "changed while matched",
            ))
        })
}

fn load(cx: &mut Ctx, id: OrderId) -> MResult<Order> {
    cx.order(id)?.ok_or_else(|| {
        Fail::Fatal(crate::store::corrupt(
            format!("order {id}"),
            "listed on the book but missing",
        ))
    })
}

/// Puts an order on the book.
fn rest(cx: &mut Ctx, order: Order) -> MResult<()> {
    let cap = |what, allowed: usize, asked: usize| MarketError::CapExceeded {
        what,
        allowed: allowed as u64,
        asked: asked as u64,
    };
    let mine = cx.t.aord.get(cx.base, &order.owner)?.map_or(0, Vec::len);
    if mine >= MAX_OPEN_ORDERS {
        return Err(cap("open orders per account", MAX_OPEN_ORDERS, mine + 1).into());
    }
    let lk = (order.instrument, order.side, order.price);
    let queue = cx.t.lvl.get(cx.base, &lk)?.map_or(0, Vec::len);
    if queue >= MAX_LEVEL_ORDERS {
        return Err(cap("orders at one price", MAX_LEVEL_ORDERS, queue + 1).into());
    }
    if queue == 0 {
        // A new level: only then does the sorted price list change.
        let pk = (order.instrument, order.side);
        let at = match cx.t.px.get(cx.base, &pk)? {
            None => Some(0),
            Some(prices) => match prices.binary_search(&order.price) {
                Ok(_) => None,
                Err(_) if prices.len() >= MAX_LEVELS => {
                    return Err(cap("price levels per side", MAX_LEVELS, prices.len() + 1).into());
                }
                Err(pos) => Some(pos),
            },
        };
        if let Some(pos) = at {
            cx.t.px
                .write(cx.base, &pk, cx.tx)?
                .get_or_insert_with(Vec::new)
                .insert(pos, order.price);
        }
    }
    let tx = cx.tx;
    cx.t.lvl
        .write(cx.base, &lk, tx)?
        .get_or_insert_with(Vec::new)
        .push(order.id);
    cx.t.aord
        .write(cx.base, &order.owner, tx)?
        .get_or_insert_with(Vec::new)
        .push(order.id);
    cx.put_order(order.id, Some(order));
    Ok(())
}

/// Removes an order from its account's list of open orders.
fn unlist(cx: &mut Ctx, owner: &AccountId, id: OrderId) -> MResult<()> {
    let mine = cx.t.aord.write(cx.base, owner, cx.tx)?;
    if let Some(v) = mine {
        v.retain(|o| *o != id);
    }
    drop_if_empty(mine);
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
    cx.put_order(order.id, None);
    unlist(cx, &order.owner, order.id)
}

/// Takes a resting order off the book and returns its escrow.
pub(crate) fn cancel_resting(cx: &mut Ctx, id: OrderId) -> MResult<()> {
    let order = load(cx, id)?;
    let queue =
        cx.t.lvl
            .write(cx.base, &(order.instrument, order.side, order.price), cx.tx)?;
    if let Some(v) = queue {
        v.retain(|o| *o != id);
    }
    let emptied = queue.as_ref().is_none_or(Vec::is_empty);
    if emptied {
        *queue = None;
        let prices =
            cx.t.px
                .write(cx.base, &(order.instrument, order.side), cx.tx)?;
        if let Some(v) = prices {
            v.retain(|p| *p != order.price);
        }
        drop_if_empty(prices);
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
    match cx.order(id)? {
        Some(o) if o.owner == *actor => cancel_resting(cx, id),
        _ => Err(MarketError::UnknownOrder(id).into()),
    }
}
