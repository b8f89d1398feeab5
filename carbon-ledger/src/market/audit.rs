//! An audit of the market's conservation invariants over any state: what
//! the property tests and the fuzz target assert after every block, and
//! what an operator can run against a node's head state.
//!
//! For every asset, everything ever created is held, locked in escrow, or
//! out of circulation (surrendered, retired, burned); each account's escrow
//! equals what its open orders and proposed agreements lock; and no book is
//! crossed (best bid below best ask).

use std::collections::BTreeMap;

use super::keys;
use super::query;
use super::read;
use super::types::{Asset, Instrument, Side};
use crate::error::Error;
use crate::state::StateView;
use crate::types::AccountId;

/// Why an audit failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// An invariant does not hold; says which and by how much.
    #[error("market invariant broken: {0}")]
    Broken(String),
    /// The state could not be read.
    #[error(transparent)]
    Read(#[from] Error),
}

/// Checks conservation of each of `assets` over `accounts` (which must
/// include every account that ever held any, and the platform account),
/// escrow against open orders and agreements, and that the books of
/// `instruments` are not crossed.
pub fn check(
    v: &(impl StateView + ?Sized),
    accounts: &[AccountId],
    assets: &[Asset],
    instruments: &[Instrument],
) -> Result<(), AuditError> {
    let broken = |s: String| Err(AuditError::Broken(s));
    let mut locked: BTreeMap<(AccountId, Asset), u64> = BTreeMap::new();
    let lock_asset = |side: Side, i: &Instrument| match side {
        Side::Buy => Asset::Token,
        Side::Sell => i.asset(),
    };
    for a in accounts {
        for o in query::open_orders(v, a)? {
            if o.remaining == 0 || o.remaining > o.quantity {
                return broken(format!(
                    "order {:?} has {} of {} left",
                    o.id, o.remaining, o.quantity
                ));
            }
            let e = locked
                .entry((*a, lock_asset(o.side, &o.instrument)))
                .or_default();
            *e = e.saturating_add(o.escrow);
        }
    }
    let last: u64 = read(v, &keys::seq("agreement"))?.unwrap_or(0);
    for id in 1..=last {
        if let Some(ag) = query::agreement(v, id)? {
            let e = locked
                .entry((ag.proposer, lock_asset(ag.proposer_side, &ag.instrument)))
                .or_default();
            *e = e.saturating_add(ag.escrow);
        }
    }
    for asset in assets {
        let mut held: u128 = 0;
        for a in accounts {
            let escrow = query::escrow(v, a, asset)?;
            let want = locked.get(&(*a, *asset)).copied().unwrap_or(0);
            if escrow != want {
                return broken(format!(
                    "escrow of {a} in {asset:?} is {escrow}, its orders and agreements lock {want}"
                ));
            }
            held += u128::from(query::balance(v, a, asset)?) + u128::from(escrow);
        }
        let s = query::supply(v, asset)?;
        let out = u128::from(s.surrendered) + u128::from(s.retired) + u128::from(s.burned);
        if u128::from(s.created) != held + out {
            return broken(format!(
                "{asset:?} not conserved: created {}, held {held}, out of circulation {out}",
                s.created
            ));
        }
    }
    for i in instruments {
        let bids = query::depth(v, i, Side::Buy, 1)?;
        let asks = query::depth(v, i, Side::Sell, 1)?;
        if let (Some(b), Some(a)) = (bids.first(), asks.first())
            && b.price >= a.price
        {
            return broken(format!(
                "crossed book {i:?}: bid {} ask {}",
                b.price, a.price
            ));
        }
    }
    Ok(())
}
