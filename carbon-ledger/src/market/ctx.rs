//! The state of market operations in progress over one base state: for a
//! single operation ([`Ctx::new`], [`super::apply`], [`Ctx::finish`]) or
//! for a whole block of them (the executor opens and closes one
//! transaction at a time inside the same context).
//!
//! The records the order path touches (accounts, nonces, holdings
//! (balance and escrow), sequences, orders, price lists and level queues, per-account
//! order lists, instrument and day statistics, trades, periods) are kept
//! decoded in typed caches ([`super::table`]): read from the base once,
//! changed in place, encoded and written once at the end. Everything else
//! goes through a plain buffer of encoded writes. Both journal the open
//! transaction so that a failed one is undone.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{Fail, MResult};
use super::events::MarketEvent;
use super::keys;
use super::params::Params;
use super::records::Period;
use super::table::Table;
use super::types::{
    AccountRecord, Asset, DayStats, Holding, Instrument, InstrumentStats, Order, OrderId, PeriodId,
    Side, Trade,
};
use super::wire::{self, dec_bcs, dec_u64, dec_u64_list, enc_bcs as enc, enc_u64, enc_u64_list};
use crate::codec;
use crate::genesis::{KEY_REGULATOR, PREFIX_PARAM};
use crate::state::{StateView, WriteSet};
use crate::types::{AccountId, TimestampMs};

/// Global counters of an asset, for the conservation invariant:
/// `created = Σ balances + Σ escrow + surrendered + retired + burned`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Supply {
    /// Allocated, issued or minted.
    pub created: u64,
    /// Surrendered in compliance.
    pub surrendered: u64,
    /// Retired voluntarily.
    pub retired: u64,
    /// Burned (tokens withdrawn to fiat).
    pub burned: u64,
}

// The tables hold `fn(&V)` pointers, so these take `&Vec`.
#[allow(clippy::ptr_arg)]
fn enc_ids(v: &Vec<OrderId>, out: &mut Vec<u8>) {
    enc_u64_list(v.iter().map(|o| o.0), out);
}

#[allow(clippy::ptr_arg)]
fn enc_prices(v: &Vec<u64>, out: &mut Vec<u8>) {
    enc_u64_list(v.iter().copied(), out);
}

fn dec_ids(b: &[u8]) -> MResult<Vec<OrderId>> {
    Ok(dec_u64_list(b)?.into_iter().map(OrderId).collect())
}

/// The typed caches, one per record kind.
pub(crate) struct Tables {
    /// Every other record, encoded (written keys only; reads not cached).
    pub(crate) raw: Table<Vec<u8>, Vec<u8>>,
    pub(crate) nonce: Table<AccountId, u64>,
    pub(crate) acct: Table<AccountId, AccountRecord>,
    pub(crate) bal: Table<(AccountId, Asset), Holding>,
    pub(crate) seq: Table<&'static str, u64>,
    pub(crate) order: Table<OrderId, Order>,
    pub(crate) aord: Table<AccountId, Vec<OrderId>>,
    pub(crate) px: Table<(Instrument, Side), Vec<u64>>,
    pub(crate) lvl: Table<(Instrument, Side, u64), Vec<OrderId>>,
    pub(crate) inst: Table<Instrument, InstrumentStats>,
    pub(crate) day: Table<(Instrument, u64), DayStats>,
    pub(crate) trade: Table<u64, Trade>,
    pub(crate) period: Table<PeriodId, Period>,
}

/// Runs `$body` with `$x` bound to each table in turn: `&mut` with `mut`,
/// by value with `move` (the field list is written once, here). The typed
/// tables come in the byte order of their key prefixes, so that their
/// write-backs form one sorted run (the write set appends writes in key
/// order in constant time, and places the others by search).
macro_rules! each_table {
    (@ mut $t:expr, |$x:ident| $body:expr, $($f:ident)*) => {{
        $( { let $x = &mut $t.$f; $body; } )*
    }};
    (@ move $t:expr, |$x:ident| $body:expr, $($f:ident)*) => {{
        $( { let $x = $t.$f; $body; } )*
    }};
    ($mode:tt $t:expr, |$x:ident| $body:expr) => {
        each_table!(@ $mode $t, |$x| $body,
            acct aord bal day inst lvl nonce order period px seq trade raw)
    };
}

impl Tables {
    fn new() -> Self {
        Tables {
            raw: Table::new(
                |k, out| out.extend_from_slice(k),
                |v, out| out.extend_from_slice(v),
                |b| Ok(b.to_vec()),
            ),
            nonce: Table::new(keys::nonce_into, enc_u64, dec_u64),
            acct: Table::new(keys::account_into, enc, wire::dec_account),
            bal: Table::new(keys::balance_into, wire::enc_holding, wire::dec_holding),
            seq: Table::new(|k, out| keys::seq_into(k, out), enc_u64, dec_u64),
            order: Table::new(keys::order_into, wire::enc_order, wire::dec_order),
            aord: Table::new(keys::account_orders_into, enc_ids, dec_ids),
            px: Table::new(keys::prices_into, enc_prices, dec_u64_list),
            lvl: Table::new(keys::level_into, enc_ids, dec_ids),
            inst: Table::new(keys::instrument_into, enc, dec_bcs),
            day: Table::new(keys::day_into, enc, dec_bcs),
            trade: Table::new(keys::trade_into, wire::enc_trade, wire::dec_trade),
            period: Table::new(keys::period_into, enc, dec_bcs),
        }
    }
}

/// Most operations [`Ctx::with_capacity`] makes room for up front.
const MAX_RESERVED_OPS: usize = 10_000;

impl Tables {
    /// Makes room for the records `ops` order-path operations typically
    /// touch (a fill touches six holdings, the two orders, the maker's
    /// order list and a trade), so that the caches of a large block do not
    /// rehash while it runs.
    fn reserve(&mut self, ops: usize) {
        let n = ops.min(MAX_RESERVED_OPS);
        self.acct.reserve(n);
        self.nonce.reserve(n);
        self.bal.reserve(3 * n);
        self.order.reserve(2 * n);
        self.aord.reserve(n);
        self.lvl.reserve(n / 2);
        self.trade.reserve(n);
    }
}

/// Market operations in progress over a base state.
pub struct Ctx<'a> {
    pub(crate) base: &'a (dyn StateView + 'a),
    /// Block time.
    pub time: TimestampMs,
    /// Events emitted so far (by the open transaction, in a block).
    pub events: Vec<MarketEvent>,
    params: Option<Params>,
    /// The open transaction (0: none; a failure then discards the whole
    /// context).
    pub(crate) tx: u32,
    pub(crate) t: Tables,
}

impl<'a> Ctx<'a> {
    /// A context over `base` at block time `time`.
    pub fn new(base: &'a (dyn StateView + 'a), time: TimestampMs) -> Self {
        Ctx {
            base,
            time,
            events: Vec::new(),
            params: None,
            tx: 0,
            t: Tables::new(),
        }
    }

    /// A context for about `ops` operations (a block's run of market
    /// transactions): as [`Ctx::new`], with the caches sized up front.
    pub fn with_capacity(base: &'a (dyn StateView + 'a), time: TimestampMs, ops: usize) -> Self {
        let mut cx = Ctx::new(base, time);
        cx.t.reserve(ops);
        cx
    }

    /// Ends the context: its writes and events.
    pub fn finish(mut self) -> (WriteSet, Vec<MarketEvent>) {
        let mut n = 0;
        each_table!(mut self.t, |x| n += x.len());
        // One buffer for all the writes (market records average under 96
        // bytes of key and value), so that it is not copied as it grows.
        let mut out = WriteSet::with_capacity(n, 96 * n);
        let t = self.t;
        each_table!(move t, |x| x.write_back(&mut out));
        (out, self.events)
    }

    /// Opens a transaction: later changes can be undone with
    /// [`Ctx::rollback`] until [`Ctx::commit`].
    pub(crate) fn begin(&mut self) {
        self.tx = self.tx.wrapping_add(1).max(1);
        self.events.clear();
    }

    /// Keeps the open transaction's changes; returns its events.
    pub(crate) fn commit(&mut self) -> Vec<MarketEvent> {
        each_table!(mut self.t, |x| x.commit());
        std::mem::take(&mut self.events)
    }

    /// Undoes the open transaction's changes and drops its events.
    pub(crate) fn rollback(&mut self) {
        each_table!(mut self.t, |x| x.rollback());
        self.events.clear();
        // A parameter may have been set by the undone transaction.
        self.params = None;
    }

    /// Keys written by the open transaction and their bytes (keys plus
    /// encoded values), as a receipt counts them.
    pub(crate) fn tx_cost(&mut self) -> (u64, u64) {
        let (mut keys, mut bytes) = (0, 0);
        each_table!(mut self.t, |x| x.tx_cost(&mut keys, &mut bytes));
        (keys, bytes)
    }

    pub(crate) fn raw(&self, key: &[u8]) -> MResult<Option<Vec<u8>>> {
        match self.t.raw.cached(key) {
            Some(v) => Ok(v.cloned()),
            None => Ok(self.base.get(key)?),
        }
    }

    /// A record outside the typed caches.
    pub(crate) fn get<T: DeserializeOwned>(&self, key: &[u8]) -> MResult<Option<T>> {
        debug_assert!(!keys::is_cached(key), "typed record read as raw");
        match self.raw(key)? {
            None => Ok(None),
            Some(b) => dec_bcs(&b).map(Some),
        }
    }

    pub(crate) fn put<T: Serialize>(&mut self, key: Vec<u8>, value: &T) {
        self.put_raw(key, Some(codec::encode(value)));
    }

    pub(crate) fn del(&mut self, key: Vec<u8>) {
        self.put_raw(key, None);
    }

    fn put_raw(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        debug_assert!(!keys::is_cached(&key), "typed record written as raw");
        if key.starts_with(PREFIX_PARAM) {
            self.params = None;
        }
        self.t.raw.put(key, value, self.tx);
    }

    pub(crate) fn emit(&mut self, e: MarketEvent) {
        self.events.push(e);
    }

    /// The market parameters (read once, again after a change).
    pub(crate) fn params(&mut self) -> MResult<&Params> {
        if self.params.is_none() {
            let p = Params::load_with(|k| self.raw(k))?;
            self.params = Some(p);
        }
        Ok(self.params.as_ref().expect("invariant: just loaded"))
    }

    pub(crate) fn regulator(&self) -> MResult<AccountId> {
        let b = self
            .raw(KEY_REGULATOR)?
            .ok_or_else(|| Fail::Fatal(crate::error::StoreError::NotInitialised.into()))?;
        let arr: [u8; 32] = b.as_slice().try_into().map_err(|_| {
            Fail::Fatal(crate::store::corrupt(
                "regulator (sys/regulator)".into(),
                "not 32 bytes",
            ))
        })?;
        Ok(AccountId(arr))
    }
}
