//! State records of compliance, offsets, agreements and credit.

use serde::{Deserialize, Serialize};

use super::types::{AgreementId, Instrument, PeriodId, ProjectId, Side};
use crate::hash::Hash32;
use crate::types::{AccountId, TimestampMs};

/// A compliance period, by block time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Its id (the vintage of its allowances).
    pub id: PeriodId,
    /// First instant.
    pub start: TimestampMs,
    /// Last instant (exclusive).
    pub end: TimestampMs,
    /// Surrenders at or before this instant are on time.
    pub surrender_deadline: TimestampMs,
    /// Closed by the regulator: compliance is final.
    pub closed: bool,
}

/// How an enterprise ended a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    /// The period is still open.
    Open,
    /// Surrendered enough by the deadline.
    OnTime,
    /// Surrendered enough, but after the deadline.
    Late,
    /// Did not surrender enough.
    Default,
}

/// An emission report's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmissionReport {
    /// Reported total (tCO2e).
    pub reported: u64,
    /// SHA-256 of the detailed ABE-encrypted report (kept off chain).
    pub digest: Hash32,
    /// Provenance record id of the report (GB/T 34945).
    pub provenance_id: Hash32,
    /// Verified total (the report's, or the verifier's correction).
    pub verified: Option<u64>,
    /// Who verified it.
    pub verifier: Option<AccountId>,
    /// Submission time.
    pub submitted_at: TimestampMs,
}

/// One enterprise in one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compliance {
    /// Allowances allocated for the period (after any deduction).
    pub allocated: u64,
    /// Shortfall of an earlier period deducted from this allocation.
    pub deducted: u64,
    /// The emission report, once submitted.
    pub report: Option<EmissionReport>,
    /// Allowances surrendered.
    pub surrendered_allowances: u64,
    /// Offsets surrendered.
    pub surrendered_offsets: u64,
    /// Part of the surrenders made by the deadline.
    pub surrendered_on_time: u64,
    /// Outcome once the period closes.
    pub status: ComplianceStatus,
    /// Shortfall recorded at close (t).
    pub shortfall: u64,
    /// Fine set at close (fen).
    pub fine: u64,
    /// Part of the fine paid from the token balance at close (fen).
    pub fine_paid: u64,
}

impl Compliance {
    /// An empty record.
    pub fn new() -> Self {
        Compliance {
            allocated: 0,
            deducted: 0,
            report: None,
            surrendered_allowances: 0,
            surrendered_offsets: 0,
            surrendered_on_time: 0,
            status: ComplianceStatus::Open,
            shortfall: 0,
            fine: 0,
            fine_paid: 0,
        }
    }

    /// The quantity to surrender: verified emissions, else reported
    /// emissions, else (no report at all) the allocation.
    pub fn required(&self) -> u64 {
        match &self.report {
            Some(r) => r.verified.unwrap_or(r.reported),
            None => self.allocated,
        }
    }

    /// Everything surrendered.
    pub fn surrendered(&self) -> u64 {
        self.surrendered_allowances
            .saturating_add(self.surrendered_offsets)
    }
}

impl Default for Compliance {
    fn default() -> Self {
        Self::new()
    }
}

/// Kind of offset project; each has an emission factor parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectKind {
    /// Forest: activity in tonnes of CO2 sequestered.
    Forest,
    /// Solar: activity in MWh.
    Solar,
    /// Wind: activity in MWh.
    Wind,
    /// Hydro: activity in MWh.
    Hydro,
    /// Biomass: activity in MWh.
    Biomass,
    /// Methane capture: activity in tonnes of CH4 destroyed.
    Methane,
}

/// An offset project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// Owner (a resource holder).
    pub owner: AccountId,
    /// Kind.
    pub kind: ProjectKind,
    /// Capacity (kW for generation, hectares for forest).
    pub capacity: u64,
    /// Location (free text).
    pub location: String,
    /// Issued so far (t).
    pub issued: u64,
    /// Sub-tonne remainder carried to the next issuance, in 1/10,000 t.
    pub remainder_e4: u64,
}

/// An activity report awaiting certification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// The project.
    pub project: ProjectId,
    /// MWh generated, or tonnes sequestered / destroyed.
    pub quantity: u64,
    /// SHA-256 of the evidence (kept off chain).
    pub evidence: Hash32,
    /// Offsets issued when certified.
    pub issued: Option<u64>,
}

/// A bilateral block-trade agreement, proposed by one party and accepted
/// by the other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Its id.
    pub id: AgreementId,
    /// Who proposed it.
    pub proposer: AccountId,
    /// The proposer's side.
    pub proposer_side: Side,
    /// Who must accept it.
    pub counterparty: AccountId,
    /// What trades.
    pub instrument: Instrument,
    /// Quantity (t).
    pub quantity: u64,
    /// Price (fen/t).
    pub price: u64,
    /// Locked from the proposer: tokens (buy) or tonnes (sell).
    pub escrow: u64,
}

/// The public record a credit score is computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRecord {
    /// Periods closed with this account in them.
    pub periods: u32,
    /// Of which compliant on time.
    pub on_time: u32,
    /// Of which compliant late.
    pub late: u32,
    /// Of which in default.
    pub defaults: u32,
    /// Total surrendered over closed periods (t).
    pub surrendered: u64,
    /// Total required over closed periods (t).
    pub required: u64,
    /// Agreements completed.
    pub agreements_completed: u32,
    /// Agreements cancelled by this account.
    pub agreements_cancelled: u32,
    /// The score in basis points (0..=10,000).
    pub score_bps: u32,
}

impl CreditRecord {
    /// Recomputes [`CreditRecord::score_bps`]: 40% share of periods on time,
    /// 30% surrendered/required (capped at 1), 20% share of periods not in
    /// default, 10% completed/(completed + cancelled) agreements. A
    /// component with no history counts in full. Integer arithmetic,
    /// rounded down per component.
    pub fn recompute(&mut self) {
        fn ratio(num: u64, den: u64, weight: u64) -> u64 {
            if den == 0 {
                weight
            } else {
                (u128::from(num.min(den)) * u128::from(weight) / u128::from(den)) as u64
            }
        }
        let p = u64::from(self.periods);
        let on_time = ratio(u64::from(self.on_time), p, 4000);
        let fulfil = ratio(self.surrendered, self.required, 3000);
        let no_default = ratio(p - u64::from(self.defaults).min(p), p, 2000);
        let agreements =
            u64::from(self.agreements_completed) + u64::from(self.agreements_cancelled);
        let agree = ratio(u64::from(self.agreements_completed), agreements, 1000);
        self.score_bps = (on_time + fulfil + no_default + agree) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_without_history_is_full_and_weights_each_component() {
        let mut c = CreditRecord::default();
        c.recompute();
        assert_eq!(c.score_bps, 10_000);
        c.periods = 2;
        c.on_time = 1;
        c.defaults = 1;
        c.required = 2_000;
        c.surrendered = 1_500;
        c.agreements_completed = 3;
        c.agreements_cancelled = 1;
        c.recompute();
        // 4,000/2 + 3,000*0.75 + 2,000/2 + 1,000*0.75
        assert_eq!(c.score_bps, 2_000 + 2_250 + 1_000 + 750);
    }

    #[test]
    fn required_falls_back_from_verified_to_reported_to_allocated() {
        let mut c = Compliance::new();
        c.allocated = 70;
        assert_eq!(c.required(), 70);
        c.report = Some(EmissionReport {
            reported: 90,
            digest: Hash32::ZERO,
            provenance_id: Hash32::ZERO,
            verified: None,
            verifier: None,
            submitted_at: TimestampMs(0),
        });
        assert_eq!(c.required(), 90);
        c.report.as_mut().unwrap().verified = Some(95);
        assert_eq!(c.required(), 95);
    }
}
