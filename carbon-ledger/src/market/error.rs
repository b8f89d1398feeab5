//! Why a market operation failed: each reason has a stable numeric code
//! that goes into the receipt ([`crate::TxStatus::Failed`]).

use super::types::{AgreementId, Asset, OrderId, PeriodId};
use crate::types::AccountId;

/// A market operation was refused. The transaction writes nothing but its
/// nonce.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    /// The transaction's nonce is not the account's next nonce.
    #[error("nonce {got} is not the expected {expected}")]
    BadNonce {
        /// Next nonce.
        expected: u64,
        /// Given.
        got: u64,
    },
    /// The acting account is frozen.
    #[error("account {0} is frozen")]
    Frozen(AccountId),
    /// Only the regulator may do this.
    #[error("only the regulator may do this")]
    NotRegulator,
    /// The account is not registered.
    #[error("account {0} is not registered")]
    NotRegistered(AccountId),
    /// The account is already registered (or approved).
    #[error("account {0} is already registered")]
    AlreadyRegistered(AccountId),
    /// The account lacks the role this needs.
    #[error("account {0} lacks the role for this operation")]
    WrongRole(AccountId),
    /// A field is out of range or malformed.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Not enough of an asset.
    #[error("insufficient {asset:?}: need {need}, have {have}")]
    Insufficient {
        /// The asset.
        asset: Asset,
        /// Needed.
        need: u64,
        /// Available.
        have: u64,
    },
    /// Checked arithmetic overflowed.
    #[error("arithmetic overflow")]
    Overflow,
    /// No such order (or not the actor's).
    #[error("unknown order {0}")]
    UnknownOrder(OrderId),
    /// No such period.
    #[error("unknown period {0}")]
    UnknownPeriod(PeriodId),
    /// No such agreement (or not a party's).
    #[error("unknown agreement {0}")]
    UnknownAgreement(AgreementId),
    /// A price is outside the allowed band.
    #[error("price {price} outside the band {low}..={high}")]
    PriceOutOfBand {
        /// Price.
        price: u64,
        /// Lowest allowed.
        low: u64,
        /// Highest allowed.
        high: u64,
    },
    /// A quantity is above the cap for orders (or below the block minimum).
    #[error("quantity {quantity} not allowed here (limit {limit})")]
    QuantityLimit {
        /// Quantity.
        quantity: u64,
        /// The limit crossed.
        limit: u64,
    },
    /// Not allowed at this block time (period window, deadline).
    #[error("not allowed at this time: {0}")]
    WrongTime(&'static str),
    /// The object is not in a state that allows this.
    #[error("not allowed in the current state: {0}")]
    WrongState(&'static str),
    /// A capped quantity (e.g. offsets in compliance) is exceeded.
    #[error("cap exceeded: {what} allows {allowed}, asked {asked}")]
    CapExceeded {
        /// What is capped.
        what: &'static str,
        /// Allowed.
        allowed: u64,
        /// Asked.
        asked: u64,
    },
    /// The payload is not handled by this executor.
    #[error("unsupported payload")]
    Unsupported,
}

impl MarketError {
    /// The stable code written into the receipt.
    pub fn code(&self) -> u32 {
        match self {
            MarketError::BadNonce { .. } => 1,
            MarketError::Frozen(_) => 2,
            MarketError::NotRegulator => 3,
            MarketError::NotRegistered(_) => 4,
            MarketError::AlreadyRegistered(_) => 5,
            MarketError::WrongRole(_) => 6,
            MarketError::Invalid { .. } => 7,
            MarketError::Insufficient { .. } => 8,
            MarketError::Overflow => 9,
            MarketError::UnknownOrder(_) => 10,
            MarketError::UnknownPeriod(_) => 11,
            MarketError::UnknownAgreement(_) => 12,
            MarketError::PriceOutOfBand { .. } => 13,
            MarketError::QuantityLimit { .. } => 14,
            MarketError::WrongTime(_) => 15,
            MarketError::WrongState(_) => 16,
            MarketError::CapExceeded { .. } => 17,
            MarketError::Unsupported => 18,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        MarketError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Inside execution: a refused operation, or a failure of the state
/// itself (a corrupt or unreadable store), which aborts the whole block.
#[derive(Debug)]
pub enum Fail {
    /// The operation is refused; the block goes on.
    Tx(MarketError),
    /// The state could not be read; the block cannot be executed.
    Fatal(crate::Error),
}

impl From<MarketError> for Fail {
    fn from(e: MarketError) -> Self {
        Fail::Tx(e)
    }
}

impl From<crate::Error> for Fail {
    fn from(e: crate::Error) -> Self {
        Fail::Fatal(e)
    }
}

/// Result of a market step.
pub type MResult<T> = Result<T, Fail>;

/// `Some` as `Ok`, `None` as an overflow. (Not `ok_or`: that builds and
/// drops an error on every success, measurably on the order path.)
pub(crate) fn or_overflow<T>(v: Option<T>) -> MResult<T> {
    match v {
        Some(v) => Ok(v),
        None => Err(Fail::Tx(MarketError::Overflow)),
    }
}

/// Checked addition as a market result.
pub(crate) fn add(a: u64, b: u64) -> MResult<u64> {
    or_overflow(a.checked_add(b))
}

/// Checked multiplication as a market result.
pub(crate) fn mul(a: u64, b: u64) -> MResult<u64> {
    or_overflow(a.checked_mul(b))
}
