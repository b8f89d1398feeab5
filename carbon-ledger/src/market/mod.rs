//! The carbon market: the platform's built-in contracts, as a deterministic
//! state machine over a [`StateView`].
//!
//! [`apply`] performs one [`MarketTx`] for an explicit acting account (the
//! signer of a native transaction, or later an EVM contract's
//! `msg.sender`) at a block time, reading state through a [`Ctx`] and
//! buffering its writes; on success the caller keeps the writes and
//! events, on failure it drops them. Block execution with signatures and
//! nonces is [`crate::exec`]; the key layout is in [`keys`]; the
//! parameters in [`params`]; public market data in [`query`].
//!
//! Determinism: no map is iterated in map order into anything written
//! (lists are `Vec`s in a defined order, state keys are fixed-width; the
//! context's caches are hash maps used for lookups only, whose written
//! records are sorted by key and collected into an ordered `WriteSet`),
//! amounts are
//! integers with checked arithmetic (an overflow fails the operation with
//! [`MarketError::Overflow`]), and time is the agreed block time.

mod access;
mod accounts;
pub mod audit;
mod book;
mod compliance;
mod ctx;
mod error;
mod escrow;
mod events;
pub mod keys;
mod offsets;
pub mod params;
pub mod query;
mod records;
mod table;
mod trade;
mod tx;
mod types;
mod wire;

pub use book::{MAX_LEVEL_ORDERS, MAX_LEVELS, MAX_OPEN_ORDERS};
pub use compliance::MAX_ALLOCATIONS;
pub use ctx::{Ctx, Supply};
pub use error::{Fail, MResult, MarketError};
pub use events::MarketEvent;
pub use params::Params;
pub use records::{
    Activity, Agreement, Compliance, ComplianceStatus, CreditRecord, EmissionReport, Period,
    Project, ProjectKind,
};
pub use tx::{Emissions, Gas, MarketTx};
pub use types::{
    AccountRecord, AccountStatus, ActivityId, AgreementId, Asset, DAY_MS, DayStats, Holding,
    Instrument, InstrumentStats, Order, OrderId, PeriodId, ProjectId, Role, Side, Trade, TradeId,
    day_of, platform_account,
};

use crate::state::StateView;
use crate::types::AccountId;

/// Performs `tx` for `actor`. A frozen actor is refused before anything
/// else; every other rule is checked by the operation. On `Err` the
/// context's writes must be dropped.
pub fn apply(cx: &mut Ctx, actor: &AccountId, tx: &MarketTx) -> MResult<()> {
    accounts::require_not_frozen(cx, actor)?;
    match tx {
        MarketTx::Register { name } => accounts::register(cx, actor, name),
        MarketTx::Approve { account, role } => accounts::approve(cx, actor, account, *role),
        MarketTx::SetFrozen { account, frozen } => {
            accounts::set_frozen(cx, actor, account, *frozen)
        }
        MarketTx::AdmitNode {
            name,
            public_key,
            address,
            role,
        } => accounts::admit_node(cx, actor, name, *public_key, address, *role),
        MarketTx::RemoveNode { account } => accounts::remove_node(cx, actor, account),
        MarketTx::Mint {
            to,
            amount,
            reference,
        } => accounts::mint(cx, actor, to, *amount, reference),
        MarketTx::Burn {
            from,
            amount,
            reference,
        } => accounts::burn(cx, actor, from, *amount, reference),
        MarketTx::Transfer { to, asset, amount } => {
            accounts::transfer(cx, actor, to, *asset, *amount)
        }
        MarketTx::SetParam { name, value } => accounts::set_param(cx, actor, name, value.clone()),
        MarketTx::OpenPeriod {
            period,
            start,
            end,
            surrender_deadline,
        } => compliance::open_period(cx, actor, *period, *start, *end, *surrender_deadline),
        MarketTx::Allocate {
            period,
            allocations,
        } => compliance::allocate(cx, actor, *period, allocations),
        MarketTx::PlaceOrder {
            instrument,
            side,
            quantity,
            price,
        } => book::place(cx, actor, *instrument, *side, *quantity, *price).map(drop),
        MarketTx::CancelOrder { order } => book::cancel(cx, actor, *order),
        MarketTx::ProposeBlockTrade {
            counterparty,
            instrument,
            side,
            quantity,
            price,
        } => trade::propose(
            cx,
            actor,
            *counterparty,
            *instrument,
            *side,
            *quantity,
            *price,
        )
        .map(drop),
        MarketTx::AcceptBlockTrade { agreement } => trade::accept(cx, actor, *agreement).map(drop),
        MarketTx::CancelBlockTrade { agreement } => trade::cancel(cx, actor, *agreement),
        MarketTx::SubmitReport {
            period,
            emissions,
            digest,
            provenance_id,
        } => compliance::submit_report(cx, actor, *period, emissions, *digest, *provenance_id),
        MarketTx::VerifyReport {
            enterprise,
            period,
            corrected,
        } => compliance::verify_report(cx, actor, enterprise, *period, *corrected),
        MarketTx::RegisterProject {
            kind,
            capacity,
            location,
        } => offsets::register_project(cx, actor, *kind, *capacity, location).map(drop),
        MarketTx::ReportActivity {
            project,
            quantity,
            evidence,
        } => offsets::report_activity(cx, actor, *project, *quantity, *evidence).map(drop),
        MarketTx::CertifyActivity { activity } => offsets::certify(cx, actor, *activity).map(drop),
        MarketTx::Surrender {
            period,
            allowances,
            offsets,
        } => compliance::surrender(cx, actor, *period, *allowances, *offsets),
        MarketTx::ClosePeriod { period } => compliance::close_period(cx, actor, *period),
        MarketTx::RetireOffsets { amount } => accounts::retire(cx, actor, *amount),
    }
}

/// Reads a typed market record from any state view (for queries and tests).
pub(crate) fn read<T: serde::de::DeserializeOwned>(
    view: &(impl StateView + ?Sized),
    key: &[u8],
) -> crate::Result<Option<T>> {
    match view.get(key)? {
        None => Ok(None),
        Some(b) => Ok(Some(crate::codec::decode(
            &b,
            crate::state::MAX_VALUE_BYTES,
            "market record",
        )?)),
    }
}
