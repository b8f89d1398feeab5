//! Read-only queries over any [`StateView`] (the head state, or a block's
//! overlay). Market data — prices, OHLC/VWAP, volumes, depth, the trade
//! list — is public and carries no counterparty; account-level reads
//! (balances, orders, compliance) are for the account's own client and
//! the regulator, which the RPC layer enforces.

use serde::{Deserialize, Serialize};

use super::ctx::Supply;
use super::keys;
use super::read;
use super::records::{Agreement, Compliance, CreditRecord, Period, Project};
use super::types::{
    AccountRecord, Asset, DayStats, Holding, Instrument, InstrumentStats, Order, OrderId, PeriodId,
    Side, Trade, TradeId,
};
use crate::error::{QueryError, Result};
use crate::genesis::{Member, NodeRole, PREFIX_MEMBER};
use crate::state::StateView;
use crate::types::{AccountId, PublicKey, TimestampMs};

/// Most order-book levels returned.
pub const MAX_DEPTH: usize = 5;
/// Most trades in one page.
pub const MAX_TRADES: usize = 100;

/// One aggregated order-book level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Price (fen/t).
    pub price: u64,
    /// Open quantity at that price (t).
    pub quantity: u64,
    /// Number of orders.
    pub orders: u32,
}

/// A trade as the public sees it: no counterparties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTrade {
    /// Trade id.
    pub id: TradeId,
    /// Instrument.
    pub instrument: Instrument,
    /// Price (fen/t).
    pub price: u64,
    /// Quantity (t).
    pub quantity: u64,
    /// Aggressor side (`None` for a block trade).
    pub taker_side: Option<Side>,
    /// Time.
    pub time: TimestampMs,
}

/// A registered account.
pub fn account(v: &(impl StateView + ?Sized), a: &AccountId) -> Result<Option<AccountRecord>> {
    read(v, &keys::account(a))
}

/// An account's next nonce.
pub fn nonce(v: &(impl StateView + ?Sized), a: &AccountId) -> Result<u64> {
    Ok(read(v, &keys::nonce(a))?.unwrap_or(0))
}

/// An account's holding of an asset: its balance and escrow (zero if
/// it has none).
pub fn holding(v: &(impl StateView + ?Sized), a: &AccountId, asset: &Asset) -> Result<Holding> {
    Ok(read(v, &keys::balance(a, asset))?.unwrap_or_default())
}

/// Spendable balance.
pub fn balance(v: &(impl StateView + ?Sized), a: &AccountId, asset: &Asset) -> Result<u64> {
    Ok(holding(v, a, asset)?.balance)
}

/// Locked in open orders and proposed agreements.
pub fn escrow(v: &(impl StateView + ?Sized), a: &AccountId, asset: &Asset) -> Result<u64> {
    Ok(holding(v, a, asset)?.escrow)
}

/// Global counters of an asset.
pub fn supply(v: &(impl StateView + ?Sized), asset: &Asset) -> Result<Supply> {
    Ok(read(v, &keys::supply(asset))?.unwrap_or_default())
}

/// An open order.
pub fn order(v: &(impl StateView + ?Sized), id: OrderId) -> Result<Option<Order>> {
    read(v, &keys::order(id))
}

/// An account's open orders, oldest first.
pub fn open_orders(v: &(impl StateView + ?Sized), a: &AccountId) -> Result<Vec<Order>> {
    let ids: Vec<OrderId> = read(v, &keys::account_orders(a))?.unwrap_or_default();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(order(v, id)?);
    }
    Ok(out)
}

/// A pending block-trade agreement.
pub fn agreement(v: &(impl StateView + ?Sized), id: u64) -> Result<Option<Agreement>> {
    read(v, &keys::agreement(id))
}

/// Running stats of an instrument (last price, total volume — for an
/// allowance vintage, the volume of that period).
pub fn instrument(v: &(impl StateView + ?Sized), i: &Instrument) -> Result<InstrumentStats> {
    Ok(read(v, &keys::instrument(i))?.unwrap_or_default())
}

/// Price of the last order-book trade, if any.
pub fn last_price(v: &(impl StateView + ?Sized), i: &Instrument) -> Result<Option<u64>> {
    Ok(Some(instrument(v, i)?.last_price).filter(|p| *p > 0))
}

/// Open, high, low, close, volume and VWAP of one UTC day.
pub fn day(v: &(impl StateView + ?Sized), i: &Instrument, day: u64) -> Result<Option<DayStats>> {
    read(v, &keys::day(i, day))
}

/// The best `levels` (at most [`MAX_DEPTH`]) price levels of one side,
/// best first.
pub fn depth(
    v: &(impl StateView + ?Sized),
    i: &Instrument,
    side: Side,
    levels: usize,
) -> Result<Vec<Level>> {
    if levels == 0 || levels > MAX_DEPTH {
        return Err(QueryError::BadLimit {
            got: levels,
            max: MAX_DEPTH,
        }
        .into());
    }
    let prices: Vec<u64> = read(v, &keys::prices(i, side))?.unwrap_or_default();
    let best: Vec<u64> = match side {
        Side::Buy => prices.iter().rev().take(levels).copied().collect(),
        Side::Sell => prices.iter().take(levels).copied().collect(),
    };
    let mut out = Vec::with_capacity(best.len());
    for price in best {
        let ids: Vec<OrderId> = read(v, &keys::level(i, side, price))?.unwrap_or_default();
        let mut quantity = 0u64;
        for id in &ids {
            if let Some(o) = order(v, *id)? {
                quantity = quantity.saturating_add(o.remaining);
            }
        }
        out.push(Level {
            price,
            quantity,
            orders: ids.len() as u32,
        });
    }
    Ok(out)
}

/// Trades with ids from `from` on, at most `limit` (1..=[`MAX_TRADES`]).
pub fn trades(
    v: &(impl StateView + ?Sized),
    from: TradeId,
    limit: usize,
) -> Result<Vec<PublicTrade>> {
    if limit == 0 || limit > MAX_TRADES {
        return Err(QueryError::BadLimit {
            got: limit,
            max: MAX_TRADES,
        }
        .into());
    }
    let mut out = Vec::new();
    let mut id = from.0.max(1);
    while out.len() < limit {
        let Some(t) = read::<Trade>(v, &keys::trade(id))? else {
            break;
        };
        out.push(PublicTrade {
            id: t.id,
            instrument: t.instrument,
            price: t.price,
            quantity: t.quantity,
            taker_side: t.taker_side,
            time: t.time,
        });
        id += 1;
    }
    Ok(out)
}

/// A trade with its counterparties (for the parties and the regulator).
pub fn trade(v: &(impl StateView + ?Sized), id: TradeId) -> Result<Option<Trade>> {
    read(v, &keys::trade(id.0))
}

/// A compliance period.
pub fn period(v: &(impl StateView + ?Sized), p: PeriodId) -> Result<Option<Period>> {
    read(v, &keys::period(p))
}

/// Enterprises with a compliance record in a period, first-seen order.
pub fn period_members(v: &(impl StateView + ?Sized), p: PeriodId) -> Result<Vec<AccountId>> {
    Ok(read(v, &keys::period_members(p))?.unwrap_or_default())
}

/// One enterprise's compliance record in a period.
pub fn compliance(
    v: &(impl StateView + ?Sized),
    p: PeriodId,
    a: &AccountId,
) -> Result<Option<Compliance>> {
    read(v, &keys::compliance(p, a))
}

/// Shortfall waiting to be deducted from the next allocation.
pub fn debt(v: &(impl StateView + ?Sized), a: &AccountId) -> Result<u64> {
    Ok(read(v, &keys::debt(a))?.unwrap_or(0))
}

/// The public credit record and score of an account.
pub fn credit(v: &(impl StateView + ?Sized), a: &AccountId) -> Result<CreditRecord> {
    Ok(read(v, &keys::credit(a))?.unwrap_or_else(|| {
        let mut c = CreditRecord::default();
        c.recompute();
        c
    }))
}

/// An offset project.
pub fn project(v: &(impl StateView + ?Sized), id: u64) -> Result<Option<Project>> {
    read(v, &keys::project(id))
}

/// Every node of the consortium (consensus and observer), in account-id
/// order: the genesis members and those the regulator admitted since
/// (`MarketTx::AdmitNode`), less those it removed.
pub fn members(v: &(impl StateView + ?Sized)) -> Result<Vec<Member>> {
    const PAGE: usize = 256;
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = v.scan_prefix(PREFIX_MEMBER, after.as_deref(), PAGE)?;
        for (_, bytes) in &page {
            out.push(crate::codec::decode(&bytes[..], 4096, "member")?);
        }
        match page.last() {
            Some((k, _)) if page.len() == PAGE => after = Some(k.clone()),
            _ => return Ok(out),
        }
    }
}

/// The voting validator set the state names: the public keys of the
/// consensus members, in account-id order. A host gives it to the
/// consensus layer (`carbon_pbft::Replica::handle_validator_set`) after
/// applying a block whose receipts carry a `MarketEvent::MembershipChanged`,
/// and builds the genesis set with it too, so that every node orders the
/// set the same way.
pub fn consensus_keys(v: &(impl StateView + ?Sized)) -> Result<Vec<PublicKey>> {
    Ok(members(v)?
        .into_iter()
        .filter(|m| m.role == NodeRole::Consensus)
        .map(|m| m.public_key)
        .collect())
}
