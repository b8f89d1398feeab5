//! The market's typed ids, assets and state records (all BCS-encoded).

use serde::{Deserialize, Serialize};

use crate::hash::Hash32;
use crate::types::{AccountId, TimestampMs};

use crate::types::scalar as id;

id!(
    /// A compliance period (also the vintage of its allowances).
    PeriodId(u32)
);
id!(
    /// A limit order, numbered from 1 in placement order.
    OrderId(u64)
);
id!(
    /// A trade, numbered from 1 in execution order.
    TradeId(u64)
);
id!(
    /// A bilateral block-trade agreement.
    AgreementId(u64)
);
id!(
    /// An offset project.
    ProjectId(u64)
);
id!(
    /// An activity report of an offset project.
    ActivityId(u64)
);

/// Milliseconds in a market day (days are UTC days of the block time).
pub const DAY_MS: u64 = 86_400_000;

/// The UTC day number of a block time.
pub fn day_of(t: TimestampMs) -> u64 {
    t.0 / DAY_MS
}

/// The account that receives trading fees and fines. It has no key: nothing
/// can spend from it but the regulator's burn.
pub fn platform_account() -> AccountId {
    static PLATFORM: std::sync::OnceLock<AccountId> = std::sync::OnceLock::new();
    *PLATFORM.get_or_init(|| AccountId(Hash32::tagged(b"carbon/market/platform/v1", &[]).0))
}

/// What an account holds a balance of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Asset {
    /// The platform token, 1 unit = 1 fen (¥0.01).
    Token,
    /// Allowances of a period's vintage, in tCO2e.
    Allowance(PeriodId),
    /// Certified offsets, in tCO2e.
    Offset,
}

impl Asset {
    /// Fixed-width key bytes: `0x00`, `0x01 || period BE`, `0x02`.
    pub fn key_bytes(&self) -> Vec<u8> {
        match self {
            Asset::Token => vec![0],
            Asset::Allowance(p) => {
                let mut v = vec![1];
                v.extend_from_slice(&p.0.to_be_bytes());
                v
            }
            Asset::Offset => vec![2],
        }
    }
}

/// What trades on the order book: allowances of a vintage, or offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instrument {
    /// Allowances of a vintage.
    Allowance(PeriodId),
    /// Offsets.
    Offset,
}

impl Instrument {
    /// The asset sellers deliver.
    pub fn asset(&self) -> Asset {
        match self {
            Instrument::Allowance(p) => Asset::Allowance(*p),
            Instrument::Offset => Asset::Offset,
        }
    }
}

/// Buy or sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Bid: locks tokens.
    Buy,
    /// Ask: locks the instrument.
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    pub(crate) fn byte(self) -> u8 {
        match self {
            Side::Buy => 0,
            Side::Sell => 1,
        }
    }
}

/// The role the regulator grants an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A covered emitter: holds, buys and sells allowances and offsets.
    Enterprise,
    /// An offset project owner: registers projects, sells offsets.
    ResourceHolder,
    /// A third-party MRV verifier.
    Verifier,
}

/// An account's standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Registered, not yet approved: may only hold and send tokens.
    Free,
    /// Approved by the regulator with a role.
    Approved(Role),
}

/// What an account has of one asset: spendable, and locked in its open
/// orders and proposed agreements. One record per account and asset
/// (`mk/bal/`), absent when both are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// Spendable.
    pub balance: u64,
    /// Locked (escrow).
    pub escrow: u64,
}

/// An account registered with the market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// Display name given at registration.
    pub name: String,
    /// Free or approved.
    pub status: AccountStatus,
    /// On the black list: every action is refused.
    pub frozen: bool,
    /// Registration time.
    pub registered_at: TimestampMs,
}

impl AccountRecord {
    /// The approved role, if any.
    pub fn role(&self) -> Option<Role> {
        match self.status {
            AccountStatus::Approved(r) => Some(r),
            AccountStatus::Free => None,
        }
    }
}

/// A resting limit order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// Who placed it.
    pub owner: AccountId,
    /// What it trades.
    pub instrument: Instrument,
    /// Buy or sell.
    pub side: Side,
    /// Limit price in fen per tonne.
    pub price: u64,
    /// Original quantity (t).
    pub quantity: u64,
    /// Quantity still open (t).
    pub remaining: u64,
    /// What is still locked for it: tokens (buy) or tonnes (sell).
    pub escrow: u64,
    /// Placement time.
    pub placed_at: TimestampMs,
}

/// An executed trade. Counterparties are kept for settlement audit but are
/// left out of the public trade list ([`super::query::PublicTrade`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Its id.
    pub id: TradeId,
    /// What traded.
    pub instrument: Instrument,
    /// Price in fen per tonne.
    pub price: u64,
    /// Quantity (t).
    pub quantity: u64,
    /// Buyer.
    pub buyer: AccountId,
    /// Seller.
    pub seller: AccountId,
    /// The aggressor's side (`None` for a block trade).
    pub taker_side: Option<Side>,
    /// Execution time.
    pub time: TimestampMs,
}

/// Per-instrument running market data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentStats {
    /// Band reference price (previous trading day's VWAP), 0 if none yet.
    pub reference_price: u64,
    /// Day of the running totals below.
    pub day: u64,
    /// Price of the last trade, 0 if none.
    pub last_price: u64,
    /// Total traded quantity ever (t).
    pub total_volume: u64,
}

/// One day of one instrument: open, high, low, close, volume, VWAP.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStats {
    /// First trade price.
    pub open: u64,
    /// Highest price.
    pub high: u64,
    /// Lowest price.
    pub low: u64,
    /// Last trade price.
    pub close: u64,
    /// Quantity traded (t).
    pub volume: u64,
    /// Sum of price x quantity (fen).
    pub value: u128,
    /// Number of trades.
    pub trades: u64,
}

impl DayStats {
    /// Volume-weighted average price, rounded half up; 0 without trades.
    pub fn vwap(&self) -> u64 {
        if self.volume == 0 {
            return 0;
        }
        let v = u128::from(self.volume);
        u64::try_from((self.value + v / 2) / v).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vwap_rounds_half_up_and_is_zero_without_trades() {
        assert_eq!(DayStats::default().vwap(), 0);
        let d = DayStats {
            volume: 3,
            value: 3 * 5_000 + 2,
            ..DayStats::default()
        };
        assert_eq!(d.vwap(), 5_001);
        let d = DayStats {
            volume: 3,
            value: 3 * 5_000 + 1,
            ..DayStats::default()
        };
        assert_eq!(d.vwap(), 5_000);
    }

    #[test]
    fn asset_key_bytes_are_fixed_width_and_distinct() {
        let keys = [
            Asset::Token,
            Asset::Allowance(PeriodId(1)),
            Asset::Allowance(PeriodId(2)),
            Asset::Offset,
        ]
        .map(|a| a.key_bytes());
        assert_eq!(keys[1].len(), 5);
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j]);
            }
        }
    }
}
