//! Typed access to the cached records of a [`Ctx`]: accounts, nonces,
//! balances and escrow, sequences, periods, orders, trades, and the
//! global supply and credit records (these two as plain records).

use super::ctx::{Ctx, Supply};
use super::error::{Fail, MResult, MarketError, add};
use super::events::MarketEvent;
use super::keys;
use super::records::{CreditRecord, Period};
use super::types::{AccountRecord, Asset, Holding, Order, OrderId, PeriodId, Role};
use crate::types::AccountId;

/// A holding record: absent when both balance and escrow are zero.
fn stored(h: Holding) -> Option<Holding> {
    (h != Holding::default()).then_some(h)
}

/// Takes `amount` from a holding's balance, or fails as insufficient.
fn debit_from(h: &mut Holding, asset: &Asset, amount: u64) -> MResult<()> {
    let Some(left) = h.balance.checked_sub(amount) else {
        return Err(MarketError::Insufficient {
            asset: *asset,
            need: amount,
            have: h.balance,
        }
        .into());
    };
    h.balance = left;
    Ok(())
}

impl Ctx<'_> {
    /// An account's record.
    pub(crate) fn account(&mut self, a: &AccountId) -> MResult<Option<AccountRecord>> {
        Ok(self.t.acct.get(self.base, a)?.cloned())
    }

    /// Whether `a` is registered and frozen (no copy of the record).
    pub(crate) fn is_frozen(&mut self, a: &AccountId) -> MResult<bool> {
        Ok(self.t.acct.get(self.base, a)?.is_some_and(|r| r.frozen))
    }

    /// Whether `a` is frozen and its role, if it is registered (no copy
    /// of the record).
    pub(crate) fn standing(&mut self, a: &AccountId) -> MResult<Option<(bool, Option<Role>)>> {
        Ok(self.t.acct.get(self.base, a)?.map(|r| (r.frozen, r.role())))
    }

    pub(crate) fn put_account(&mut self, a: &AccountId, rec: AccountRecord) {
        self.t.acct.put(*a, Some(rec), self.tx);
    }

    /// An account's next nonce.
    pub(crate) fn nonce(&mut self, a: &AccountId) -> MResult<u64> {
        Ok(self.t.nonce.get(self.base, a)?.copied().unwrap_or(0))
    }

    pub(crate) fn set_nonce(&mut self, a: &AccountId, n: u64) {
        self.t.nonce.put(*a, Some(n), self.tx);
    }

    /// Spendable balance.
    pub(crate) fn balance(&mut self, a: &AccountId, asset: &Asset) -> MResult<u64> {
        Ok(self
            .t
            .bal
            .get(self.base, &(*a, *asset))?
            .map_or(0, |h| h.balance))
    }

    /// Changes `a`'s holding of `asset` with `f` (a record at zero is
    /// deleted).
    fn holding<T>(
        &mut self,
        a: &AccountId,
        asset: &Asset,
        f: impl FnOnce(&mut Holding) -> MResult<T>,
    ) -> MResult<T> {
        let slot = self.t.bal.write(self.base, &(*a, *asset), self.tx)?;
        let mut h = slot.unwrap_or_default();
        let out = f(&mut h)?;
        *slot = stored(h);
        Ok(out)
    }

    pub(crate) fn credit(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        self.holding(a, asset, |h| {
            h.balance = add(h.balance, amount)?;
            Ok(())
        })
    }

    pub(crate) fn debit(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        self.holding(a, asset, |h| debit_from(h, asset, amount))
    }

    /// Moves `amount` from the balance into escrow.
    pub(crate) fn lock(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        self.holding(a, asset, |h| {
            debit_from(h, asset, amount)?;
            h.escrow = add(h.escrow, amount)?;
            Ok(())
        })
    }

    /// Takes `amount` out of escrow (to settle or to return).
    pub(crate) fn unlock(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        self.holding(a, asset, |h| {
            h.escrow = h.escrow.checked_sub(amount).ok_or_else(|| {
                Fail::Fatal(crate::store::corrupt(
                    "market escrow".into(),
                    "escrow below an order's lock",
                ))
            })?;
            Ok(())
        })
    }

    /// Global counters of an asset.
    pub fn supply(&self, asset: &Asset) -> MResult<Supply> {
        Ok(self.get(&keys::supply(asset))?.unwrap_or_default())
    }

    pub(crate) fn update_supply(
        &mut self,
        asset: &Asset,
        f: impl FnOnce(&mut Supply) -> Option<()>,
    ) -> MResult<()> {
        let mut s = self.supply(asset)?;
        f(&mut s).ok_or(MarketError::Overflow)?;
        self.put(keys::supply(asset), &s);
        Ok(())
    }

    /// Hands out the next id of a sequence (from 1).
    pub(crate) fn next_id(&mut self, name: &'static str) -> MResult<u64> {
        let slot = self.t.seq.write(self.base, &name, self.tx)?;
        let n = add(slot.unwrap_or(0), 1)?;
        *slot = Some(n);
        Ok(n)
    }

    /// A compliance period.
    pub(crate) fn period(&mut self, p: PeriodId) -> MResult<Option<Period>> {
        Ok(self.t.period.get(self.base, &p)?.cloned())
    }

    /// Whether period `p` exists (no copy of the record).
    pub(crate) fn has_period(&mut self, p: PeriodId) -> MResult<bool> {
        Ok(self.t.period.get(self.base, &p)?.is_some())
    }

    pub(crate) fn put_period(&mut self, p: Period) {
        self.t.period.put(p.id, Some(p), self.tx);
    }

    /// An order.
    pub(crate) fn order(&mut self, id: OrderId) -> MResult<Option<Order>> {
        Ok(self.t.order.get(self.base, &id)?.cloned())
    }

    /// Stores (`Some`) or deletes (`None`) an order.
    pub(crate) fn put_order(&mut self, id: OrderId, o: Option<Order>) {
        self.t.order.put(id, o, self.tx);
    }

    /// An account's open orders, oldest first.
    pub(crate) fn account_orders(&mut self, a: &AccountId) -> MResult<Vec<OrderId>> {
        Ok(self.t.aord.get(self.base, a)?.cloned().unwrap_or_default())
    }

    pub(crate) fn credit_record(&self, a: &AccountId) -> MResult<CreditRecord> {
        Ok(self.get(&keys::credit(a))?.unwrap_or_else(|| {
            let mut c = CreditRecord::default();
            c.recompute();
            c
        }))
    }

    /// Updates an account's credit record, recomputes its score and emits
    /// the new score.
    pub(crate) fn update_credit(
        &mut self,
        a: &AccountId,
        f: impl FnOnce(&mut CreditRecord) -> Option<()>,
    ) -> MResult<()> {
        let mut c = self.credit_record(a)?;
        f(&mut c).ok_or(MarketError::Overflow)?;
        c.recompute();
        self.emit(MarketEvent::CreditScore {
            account: *a,
            score_bps: c.score_bps,
        });
        self.put(keys::credit(a), &c);
        Ok(())
    }
}
