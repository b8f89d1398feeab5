//! The market's state-key layout. Every key starts with `mk/`; the part
//! after the prefix is fixed-width binary (accounts 32 bytes, ids and
//! prices big-endian so byte order is numeric order). Values are BCS.
//!
//! | key | value |
//! |---|---|
//! | `mk/acct/` account | [`super::AccountRecord`] |
//! | `mk/nonce/` account | next nonce (u64) |
//! | `mk/bal/` account asset | [`super::Holding`]: balance and escrow (locked in orders and agreements); absent = both 0 |
//! | `mk/supply/` asset | [`super::Supply`] |
//! | `mk/seq/` name | last id handed out (u64) |
//! | `mk/order/` id | [`super::Order`] |
//! | `mk/aord/` account | open order ids of the account (`Vec<OrderId>`) |
//! | `mk/px/` instrument side | prices with resting orders, ascending (`Vec<u64>`) |
//! | `mk/lvl/` instrument side price | order ids at that price, in time order |
//! | `mk/inst/` instrument | [`super::InstrumentStats`] |
//! | `mk/day/` instrument day | [`super::DayStats`] |
//! | `mk/trade/` id | [`super::Trade`] |
//! | `mk/agr/` id | [`super::Agreement`] |
//! | `mk/period/` id | [`super::Period`] |
//! | `mk/pmem/` period | enterprises in the period, in first-seen order |
//! | `mk/comp/` period account | [`super::Compliance`] |
//! | `mk/debt/` account | shortfall to deduct from the next allocation |
//! | `mk/credit/` account | [`super::CreditRecord`] |
//! | `mk/proj/` id | [`super::Project`] |
//! | `mk/act/` id | [`super::Activity`] |
//!
//! Parameters live under the genesis layout, `sys/param/` name, and
//! membership under `sys/member/` account (see [`crate::genesis`]).

use super::types::{Asset, Instrument, OrderId, PeriodId, Side};
use crate::types::AccountId;

/// Appends the key `mk/` prefix parts to `out`.
fn k_into(out: &mut Vec<u8>, prefix: &str, parts: &[&[u8]]) {
    out.extend_from_slice(b"mk/");
    out.extend_from_slice(prefix.as_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
}

fn k(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    let len = 3 + prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut v = Vec::with_capacity(len);
    k_into(&mut v, prefix, parts);
    v
}

/// The key an appending key function builds, as a new vector.
fn owned<K: ?Sized>(into: fn(&K, &mut Vec<u8>), key: &K) -> Vec<u8> {
    let mut v = Vec::with_capacity(48);
    into(key, &mut v);
    v
}

/// An asset's key bytes ([`Asset::key_bytes`]) without allocating: the
/// buffer and how much of it is used.
fn asset_bytes(a: &Asset) -> ([u8; 5], usize) {
    match a {
        Asset::Token => ([0, 0, 0, 0, 0], 1),
        Asset::Allowance(p) => {
            let b = p.0.to_be_bytes();
            ([1, b[0], b[1], b[2], b[3]], 5)
        }
        Asset::Offset => ([2, 0, 0, 0, 0], 1),
    }
}

fn inst_bytes(i: &Instrument) -> ([u8; 5], usize) {
    asset_bytes(&i.asset())
}

pub(crate) fn account(a: &AccountId) -> Vec<u8> {
    owned(account_into, a)
}
pub(crate) fn account_into(a: &AccountId, out: &mut Vec<u8>) {
    k_into(out, "acct/", &[&a.0]);
}
pub(crate) fn nonce(a: &AccountId) -> Vec<u8> {
    nonce_key(a)
}

/// The state key of an account's next nonce.
pub fn nonce_key(a: &AccountId) -> Vec<u8> {
    owned(nonce_into, a)
}
pub(crate) fn nonce_into(a: &AccountId, out: &mut Vec<u8>) {
    k_into(out, "nonce/", &[&a.0]);
}
pub(crate) fn balance(a: &AccountId, asset: &Asset) -> Vec<u8> {
    owned(balance_into, &(*a, *asset))
}
pub(crate) fn balance_into(key: &(AccountId, Asset), out: &mut Vec<u8>) {
    let (b, n) = asset_bytes(&key.1);
    k_into(out, "bal/", &[&key.0.0, &b[..n]]);
}
pub(crate) fn supply(asset: &Asset) -> Vec<u8> {
    let (b, n) = asset_bytes(asset);
    k("supply/", &[&b[..n]])
}
pub(crate) fn seq(name: &str) -> Vec<u8> {
    owned(seq_into, name)
}
pub(crate) fn seq_into(name: &str, out: &mut Vec<u8>) {
    k_into(out, "seq/", &[name.as_bytes()]);
}
pub(crate) fn order(id: OrderId) -> Vec<u8> {
    owned(order_into, &id)
}
pub(crate) fn order_into(id: &OrderId, out: &mut Vec<u8>) {
    k_into(out, "order/", &[&id.0.to_be_bytes()]);
}
pub(crate) fn account_orders(a: &AccountId) -> Vec<u8> {
    owned(account_orders_into, a)
}
pub(crate) fn account_orders_into(a: &AccountId, out: &mut Vec<u8>) {
    k_into(out, "aord/", &[&a.0]);
}
pub(crate) fn prices(i: &Instrument, side: Side) -> Vec<u8> {
    owned(prices_into, &(*i, side))
}
pub(crate) fn prices_into(key: &(Instrument, Side), out: &mut Vec<u8>) {
    let (b, n) = inst_bytes(&key.0);
    k_into(out, "px/", &[&b[..n], &[key.1.byte()]]);
}
pub(crate) fn level(i: &Instrument, side: Side, price: u64) -> Vec<u8> {
    owned(level_into, &(*i, side, price))
}
pub(crate) fn level_into(key: &(Instrument, Side, u64), out: &mut Vec<u8>) {
    let (b, n) = inst_bytes(&key.0);
    k_into(
        out,
        "lvl/",
        &[&b[..n], &[key.1.byte()], &key.2.to_be_bytes()],
    );
}
pub(crate) fn instrument(i: &Instrument) -> Vec<u8> {
    owned(instrument_into, i)
}
pub(crate) fn instrument_into(i: &Instrument, out: &mut Vec<u8>) {
    let (b, n) = inst_bytes(i);
    k_into(out, "inst/", &[&b[..n]]);
}
pub(crate) fn day(i: &Instrument, day: u64) -> Vec<u8> {
    owned(day_into, &(*i, day))
}
pub(crate) fn day_into(key: &(Instrument, u64), out: &mut Vec<u8>) {
    let (b, n) = inst_bytes(&key.0);
    k_into(out, "day/", &[&b[..n], &key.1.to_be_bytes()]);
}
pub(crate) fn trade(id: u64) -> Vec<u8> {
    owned(trade_into, &id)
}
pub(crate) fn trade_into(id: &u64, out: &mut Vec<u8>) {
    k_into(out, "trade/", &[&id.to_be_bytes()]);
}
pub(crate) fn agreement(id: u64) -> Vec<u8> {
    k("agr/", &[&id.to_be_bytes()])
}
pub(crate) fn period(p: PeriodId) -> Vec<u8> {
    owned(period_into, &p)
}
pub(crate) fn period_into(p: &PeriodId, out: &mut Vec<u8>) {
    k_into(out, "period/", &[&p.0.to_be_bytes()]);
}
pub(crate) fn period_members(p: PeriodId) -> Vec<u8> {
    k("pmem/", &[&p.0.to_be_bytes()])
}
pub(crate) fn compliance(p: PeriodId, a: &AccountId) -> Vec<u8> {
    k("comp/", &[&p.0.to_be_bytes(), &a.0])
}
pub(crate) fn debt(a: &AccountId) -> Vec<u8> {
    k("debt/", &[&a.0])
}
pub(crate) fn credit(a: &AccountId) -> Vec<u8> {
    k("credit/", &[&a.0])
}
pub(crate) fn project(id: u64) -> Vec<u8> {
    k("proj/", &[&id.to_be_bytes()])
}
pub(crate) fn activity(id: u64) -> Vec<u8> {
    k("act/", &[&id.to_be_bytes()])
}

/// Whether `key` is of a kind [`super::Ctx`] keeps in a typed cache (so
/// it must be read and written through the typed accessors only).
pub(crate) fn is_cached(key: &[u8]) -> bool {
    const CACHED: [&[u8]; 12] = [
        b"mk/nonce/",
        b"mk/acct/",
        b"mk/bal/",
        b"mk/seq/",
        b"mk/order/",
        b"mk/aord/",
        b"mk/px/",
        b"mk/lvl/",
        b"mk/inst/",
        b"mk/day/",
        b"mk/trade/",
        b"mk/period/",
    ];
    CACHED.iter().any(|p| key.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::types::PeriodId;

    #[test]
    fn asset_bytes_match_the_public_key_bytes() {
        for a in [
            Asset::Token,
            Asset::Allowance(PeriodId(0x0102_0304)),
            Asset::Offset,
        ] {
            let (b, n) = asset_bytes(&a);
            assert_eq!(&b[..n], a.key_bytes().as_slice());
        }
    }
}
