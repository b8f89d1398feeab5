//! Escrow arithmetic of orders: the fee, what an order locks, and what
//! each fill releases.

use super::error::{MResult, add, mul, or_overflow};
use super::types::{Asset, Instrument, Order, Side};

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
pub(crate) fn lock_for(
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

/// The part of an order's escrow a fill of `q` releases: everything left
/// if the fill completes the order, else `q` tonnes (sell) or the buy lock
/// of `q` at the limit. With an unchanged or lowered fee that is never
/// more than the rest (the fee rounds down and floor is superadditive);
/// after a fee rise it is capped so that what stays locked still covers
/// the value of the rest at the limit (the fill's fee is then capped by
/// what it released, see [`super::trade::settle`]). So a buy order always
/// keeps at least `remaining x price` locked, and an order placed before
/// a fee rise still fills.
pub(crate) fn draw(order: &mut Order, q: u64, fee_bps: u64) -> MResult<u64> {
    let part = if q == order.remaining {
        order.escrow
    } else {
        match order.side {
            Side::Sell => q,
            Side::Buy => {
                let keep = mul(order.remaining - q, order.price)?;
                let most = or_overflow(order.escrow.checked_sub(keep))?;
                buy_lock(q, order.price, fee_bps)?.min(most)
            }
        }
    };
    order.escrow = or_overflow(order.escrow.checked_sub(part))?;
    order.remaining -= q;
    Ok(part)
}
