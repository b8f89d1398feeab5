//! What market operations emit: typed events, BCS-encoded in
//! [`crate::Event::data`] with the name's tagged hash as first topic.

use serde::{Deserialize, Serialize};

use super::records::ComplianceStatus;
use super::types::{
    ActivityId, AgreementId, Asset, Instrument, OrderId, PeriodId, ProjectId, Role, Side, TradeId,
};
use crate::genesis::{NodeRole, ParamValue};
use crate::types::{AccountId, PublicKey};

/// What a market operation did, in receipts (BCS in [`crate::Event::data`]).
/// Field names match the transaction fields they echo.
#[allow(missing_docs)] // fields are self-describing echoes of the transaction
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketEvent {
    /// An account registered.
    Registered { account: AccountId },
    /// An account approved.
    Approved { account: AccountId, role: Role },
    /// Frozen or unfrozen.
    Frozen { account: AccountId, frozen: bool },
    /// Consensus membership changed: applied by the consensus layer at its
    /// next checkpoint. `role` is `None` for a removal.
    MembershipChanged {
        account: AccountId,
        public_key: PublicKey,
        role: Option<NodeRole>,
    },
    /// Tokens minted.
    Minted {
        to: AccountId,
        amount: u64,
        reference: String,
    },
    /// Tokens burned.
    Burned {
        from: AccountId,
        amount: u64,
        reference: String,
    },
    /// A transfer.
    Transferred {
        from: AccountId,
        to: AccountId,
        asset: Asset,
        amount: u64,
    },
    /// A parameter changed.
    ParamSet { name: String, value: ParamValue },
    /// A period opened.
    PeriodOpened { period: PeriodId },
    /// Allowances allocated (after deducting an earlier shortfall).
    Allocated {
        period: PeriodId,
        account: AccountId,
        amount: u64,
        deducted: u64,
    },
    /// An order rests on the book (what is left after matching).
    OrderPlaced {
        order: OrderId,
        side: Side,
        price: u64,
        remaining: u64,
    },
    /// An order left the book unfilled (cancel, freeze, self-trade).
    OrderCancelled { order: OrderId, returned: u64 },
    /// A trade.
    Traded {
        trade: TradeId,
        instrument: Instrument,
        price: u64,
        quantity: u64,
    },
    /// A block trade was proposed.
    AgreementProposed { agreement: AgreementId },
    /// A block trade settled.
    AgreementSettled {
        agreement: AgreementId,
        trade: TradeId,
    },
    /// A block trade was cancelled.
    AgreementCancelled { agreement: AgreementId },
    /// An emission report was submitted.
    ReportSubmitted {
        period: PeriodId,
        enterprise: AccountId,
        total: u64,
    },
    /// An emission report was verified.
    ReportVerified {
        period: PeriodId,
        enterprise: AccountId,
        verified: u64,
    },
    /// An offset project registered.
    ProjectRegistered { project: ProjectId },
    /// An activity report filed.
    ActivityReported { activity: ActivityId },
    /// Offsets issued.
    OffsetsIssued {
        activity: ActivityId,
        to: AccountId,
        amount: u64,
    },
    /// A surrender.
    Surrendered {
        period: PeriodId,
        enterprise: AccountId,
        allowances: u64,
        offsets: u64,
    },
    /// One enterprise's outcome at period close.
    ComplianceClosed {
        period: PeriodId,
        enterprise: AccountId,
        status: ComplianceStatus,
        shortfall: u64,
        fine: u64,
    },
    /// A period closed.
    PeriodClosed { period: PeriodId },
    /// A credit score changed.
    CreditScore { account: AccountId, score_bps: u32 },
    /// Offsets retired.
    Retired { account: AccountId, amount: u64 },
}

impl MarketEvent {
    /// A short stable name, hashed into the event's first topic.
    pub fn name(&self) -> &'static str {
        match self {
            MarketEvent::Registered { .. } => "registered",
            MarketEvent::Approved { .. } => "approved",
            MarketEvent::Frozen { .. } => "frozen",
            MarketEvent::MembershipChanged { .. } => "membership_changed",
            MarketEvent::Minted { .. } => "minted",
            MarketEvent::Burned { .. } => "burned",
            MarketEvent::Transferred { .. } => "transferred",
            MarketEvent::ParamSet { .. } => "param_set",
            MarketEvent::PeriodOpened { .. } => "period_opened",
            MarketEvent::Allocated { .. } => "allocated",
            MarketEvent::OrderPlaced { .. } => "order_placed",
            MarketEvent::OrderCancelled { .. } => "order_cancelled",
            MarketEvent::Traded { .. } => "traded",
            MarketEvent::AgreementProposed { .. } => "agreement_proposed",
            MarketEvent::AgreementSettled { .. } => "agreement_settled",
            MarketEvent::AgreementCancelled { .. } => "agreement_cancelled",
            MarketEvent::ReportSubmitted { .. } => "report_submitted",
            MarketEvent::ReportVerified { .. } => "report_verified",
            MarketEvent::ProjectRegistered { .. } => "project_registered",
            MarketEvent::ActivityReported { .. } => "activity_reported",
            MarketEvent::OffsetsIssued { .. } => "offsets_issued",
            MarketEvent::Surrendered { .. } => "surrendered",
            MarketEvent::ComplianceClosed { .. } => "compliance_closed",
            MarketEvent::PeriodClosed { .. } => "period_closed",
            MarketEvent::CreditScore { .. } => "credit_score",
            MarketEvent::Retired { .. } => "retired",
        }
    }
}
