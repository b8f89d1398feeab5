//! Typed access to state during one market operation: reads see the
//! operation's own writes first; writes are buffered in an [`Overlay`]
//! and kept only if the operation succeeds.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{Fail, MResult, MarketError, add};
use super::events::MarketEvent;
use super::keys;
use super::params::Params;
use super::records::CreditRecord;
use super::types::{AccountRecord, Asset};
use crate::codec;
use crate::genesis::KEY_REGULATOR;
use crate::state::{MAX_VALUE_BYTES, Overlay, StateView, WriteSet};
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

/// The state of one market operation in progress.
pub struct Ctx<'a> {
    ov: Overlay<'a, dyn StateView + 'a>,
    /// Block time.
    pub time: TimestampMs,
    /// Events emitted so far.
    pub events: Vec<MarketEvent>,
    params: Option<Params>,
}

impl<'a> Ctx<'a> {
    /// A context over `base` at block time `time`.
    pub fn new(base: &'a (dyn StateView + 'a), time: TimestampMs) -> Self {
        Ctx {
            ov: Overlay::new(base),
            time,
            events: Vec::new(),
            params: None,
        }
    }

    /// Ends the operation: its writes and events.
    pub fn finish(self) -> (WriteSet, Vec<MarketEvent>) {
        (self.ov.into_writes(), self.events)
    }

    pub(crate) fn raw(&self, key: &[u8]) -> MResult<Option<Vec<u8>>> {
        Ok(self.ov.get(key)?)
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, key: &[u8]) -> MResult<Option<T>> {
        match self.ov.get(key)? {
            None => Ok(None),
            Some(b) => codec::decode(&b, MAX_VALUE_BYTES, "market record")
                .map(Some)
                .map_err(|e| Fail::Fatal(e.into())),
        }
    }

    pub(crate) fn put<T: Serialize>(&mut self, key: Vec<u8>, value: &T) {
        self.ov.put(key, codec::encode(value));
    }

    pub(crate) fn del(&mut self, key: Vec<u8>) {
        self.ov.delete(key);
    }

    pub(crate) fn emit(&mut self, e: MarketEvent) {
        self.events.push(e);
    }

    /// The market parameters (read once per operation).
    pub(crate) fn params(&mut self) -> MResult<&Params> {
        if self.params.is_none() {
            self.params = Some(Params::load(&self.ov)?);
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

    pub(crate) fn account(&self, a: &AccountId) -> MResult<Option<AccountRecord>> {
        self.get(&keys::account(a))
    }

    fn u64_at(&self, key: &[u8]) -> MResult<u64> {
        Ok(self.get::<u64>(key)?.unwrap_or(0))
    }

    fn set_u64(&mut self, key: Vec<u8>, v: u64) {
        if v == 0 {
            self.del(key);
        } else {
            self.put(key, &v);
        }
    }

    /// Spendable balance.
    pub(crate) fn balance(&self, a: &AccountId, asset: &Asset) -> MResult<u64> {
        self.u64_at(&keys::balance(a, asset))
    }

    pub(crate) fn credit(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        let b = add(self.balance(a, asset)?, amount)?;
        self.set_u64(keys::balance(a, asset), b);
        Ok(())
    }

    pub(crate) fn debit(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        let have = self.balance(a, asset)?;
        let left = have.checked_sub(amount).ok_or(MarketError::Insufficient {
            asset: *asset,
            need: amount,
            have,
        })?;
        self.set_u64(keys::balance(a, asset), left);
        Ok(())
    }

    /// Locked in orders and agreements.
    pub(crate) fn escrow(&self, a: &AccountId, asset: &Asset) -> MResult<u64> {
        self.u64_at(&keys::escrow(a, asset))
    }

    /// Moves `amount` from the balance into escrow.
    pub(crate) fn lock(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        self.debit(a, asset, amount)?;
        let e = add(self.escrow(a, asset)?, amount)?;
        self.set_u64(keys::escrow(a, asset), e);
        Ok(())
    }

    /// Takes `amount` out of escrow (to settle or to return).
    pub(crate) fn unlock(&mut self, a: &AccountId, asset: &Asset, amount: u64) -> MResult<()> {
        let have = self.escrow(a, asset)?;
        let left = have.checked_sub(amount).ok_or_else(|| {
            Fail::Fatal(crate::store::corrupt(
                "market escrow".into(),
                "escrow below an order's lock",
            ))
        })?;
        self.set_u64(keys::escrow(a, asset), left);
        Ok(())
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
    pub(crate) fn next_id(&mut self, name: &str) -> MResult<u64> {
        let k = keys::seq(name);
        let n = add(self.u64_at(&k)?, 1)?;
        self.put(k, &n);
        Ok(n)
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
