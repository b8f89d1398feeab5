//! The market's transactions ([`MarketTx`]) and events ([`MarketEvent`]).
//!
//! Wire rule as for [`crate::Payload`]: BCS encodes variants by index, so
//! variants are only ever appended.

use serde::{Deserialize, Serialize};

use super::records::ProjectKind;
use super::types::{
    ActivityId, AgreementId, Asset, Instrument, OrderId, PeriodId, ProjectId, Role, Side,
};
use crate::genesis::{NodeRole, ParamValue};
use crate::hash::Hash32;
use crate::types::{AccountId, PublicKey, TimestampMs};

/// A greenhouse gas with an IPCC AR5 100-year GWP parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gas {
    /// Carbon dioxide (GWP 1).
    Co2,
    /// Methane (GWP 28).
    Ch4,
    /// Nitrous oxide (GWP 265).
    N2o,
    /// Tetrafluoromethane (GWP 6,630).
    Cf4,
    /// Hexafluoroethane (GWP 11,100).
    C2f6,
}

impl Gas {
    /// The parameter holding the gas's GWP.
    pub fn param(self) -> &'static str {
        match self {
            Gas::Co2 => "gwp.co2",
            Gas::Ch4 => "gwp.ch4",
            Gas::N2o => "gwp.n2o",
            Gas::Cf4 => "gwp.cf4",
            Gas::C2f6 => "gwp.c2f6",
        }
    }
}

/// How an emission report states its total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emissions {
    /// Already in tCO2e.
    Total(u64),
    /// Tonnes per gas, converted with the GWP parameters (at most 8 lines).
    ByGas(Vec<(Gas, u64)>),
}

/// A market operation. Every variant is performed for an explicit acting
/// account (the signer of a native transaction, or `msg.sender` of an EVM
/// call); see [`super::apply`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketTx {
    /// Register the acting account (it starts free).
    Register {
        /// Display name (1-64 bytes).
        name: String,
    },
    /// Regulator: approve a registered account with a role.
    Approve {
        /// The account.
        account: AccountId,
        /// Its role.
        role: Role,
    },
    /// Regulator: put an account on (or take it off) the black list.
    /// Freezing cancels its open orders, returning their escrow.
    SetFrozen {
        /// The account.
        account: AccountId,
        /// Frozen or not.
        frozen: bool,
    },
    /// Regulator: admit a node as consensus or observer.
    AdmitNode {
        /// Node name.
        name: String,
        /// Its key.
        public_key: PublicKey,
        /// `host:port`.
        address: String,
        /// Its role.
        role: NodeRole,
    },
    /// Regulator: remove a node.
    RemoveNode {
        /// The node's account.
        account: AccountId,
    },
    /// Regulator: record a fiat deposit (mint tokens).
    Mint {
        /// Recipient.
        to: AccountId,
        /// Fen.
        amount: u64,
        /// Bank reference (1-128 bytes).
        reference: String,
    },
    /// Regulator: record a fiat withdrawal (burn tokens).
    Burn {
        /// Holder.
        from: AccountId,
        /// Fen.
        amount: u64,
        /// Bank reference (1-128 bytes).
        reference: String,
    },
    /// Transfer tokens, allowances or offsets.
    Transfer {
        /// Recipient.
        to: AccountId,
        /// What.
        asset: Asset,
        /// How much.
        amount: u64,
    },
    /// Regulator: set a parameter.
    SetParam {
        /// Name (a known parameter).
        name: String,
        /// Value.
        value: ParamValue,
    },
    /// Regulator: open a compliance period.
    OpenPeriod {
        /// Its id.
        period: PeriodId,
        /// Start.
        start: TimestampMs,
        /// End.
        end: TimestampMs,
        /// Surrender deadline (at or after the end).
        surrender_deadline: TimestampMs,
    },
    /// Regulator: allocate allowances on the period's first day.
    Allocate {
        /// The period.
        period: PeriodId,
        /// Enterprise and tonnes (at most 1,000 lines).
        allocations: Vec<(AccountId, u64)>,
    },
    /// Place a limit order.
    PlaceOrder {
        /// What.
        instrument: Instrument,
        /// Buy or sell.
        side: Side,
        /// Tonnes.
        quantity: u64,
        /// Fen per tonne.
        price: u64,
    },
    /// Cancel one's own order.
    CancelOrder {
        /// The order.
        order: OrderId,
    },
    /// Propose a block trade to a counterparty.
    ProposeBlockTrade {
        /// The counterparty.
        counterparty: AccountId,
        /// What.
        instrument: Instrument,
        /// The proposer's side.
        side: Side,
        /// Tonnes (at least the block-trade minimum).
        quantity: u64,
        /// Fen per tonne.
        price: u64,
    },
    /// Counterparty: accept (and settle) a block trade.
    AcceptBlockTrade {
        /// The agreement.
        agreement: AgreementId,
    },
    /// Either party: cancel a pending block trade.
    CancelBlockTrade {
        /// The agreement.
        agreement: AgreementId,
    },
    /// Enterprise: submit the period's emission report.
    SubmitReport {
        /// Period.
        period: PeriodId,
        /// Emissions.
        emissions: Emissions,
        /// SHA-256 of the ABE-encrypted detailed report.
        digest: Hash32,
        /// Provenance record id.
        provenance_id: Hash32,
    },
    /// Verifier or regulator: verify a report, optionally correcting it.
    VerifyReport {
        /// Enterprise.
        enterprise: AccountId,
        /// Period.
        period: PeriodId,
        /// Corrected total (tCO2e).
        corrected: Option<u64>,
    },
    /// Resource holder: register an offset project.
    RegisterProject {
        /// Kind.
        kind: ProjectKind,
        /// Capacity.
        capacity: u64,
        /// Location (1-128 bytes).
        location: String,
    },
    /// Resource holder: report a project's activity.
    ReportActivity {
        /// Project.
        project: ProjectId,
        /// MWh or tonnes.
        quantity: u64,
        /// Evidence digest.
        evidence: Hash32,
    },
    /// Regulator: certify an activity report, issuing offsets.
    CertifyActivity {
        /// The report.
        activity: ActivityId,
    },
    /// Enterprise: surrender allowances of the period and offsets.
    Surrender {
        /// Period.
        period: PeriodId,
        /// Allowances of that vintage.
        allowances: u64,
        /// Offsets.
        offsets: u64,
    },
    /// Regulator: close a period after its deadline.
    ClosePeriod {
        /// Period.
        period: PeriodId,
    },
    /// Retire offsets voluntarily (they leave circulation).
    RetireOffsets {
        /// Tonnes.
        amount: u64,
    },
}
