//! Compliance periods: opening, allocation (with vintages and deduction of
//! earlier shortfalls), emission reports and their verification, surrender
//! and closing with on-time / late / default outcomes, fines and credit.

use super::accounts::{require_regulator, require_role};
use super::ctx::Ctx;
use super::error::{MResult, MarketError, add, mul};
use super::events::MarketEvent;
use super::keys;
use super::records::{Compliance, ComplianceStatus, EmissionReport, Period};
use super::tx::Emissions;
use super::types::{Asset, DAY_MS, PeriodId, Role, platform_account};
use crate::hash::Hash32;
use crate::types::{AccountId, TimestampMs};

/// Most lines in one allocation transaction.
pub const MAX_ALLOCATIONS: usize = 1_000;

pub(crate) fn period(cx: &mut Ctx, id: PeriodId) -> MResult<Period> {
    cx.period(id)?
        .ok_or_else(|| MarketError::UnknownPeriod(id).into())
}

fn compliance(cx: &Ctx, p: PeriodId, a: &AccountId) -> MResult<Compliance> {
    Ok(cx.get(&keys::compliance(p, a))?.unwrap_or_default())
}

/// Writes a compliance record, adding the enterprise to the period's
/// member list the first time.
fn put_compliance(cx: &mut Ctx, p: PeriodId, a: &AccountId, c: &Compliance) -> MResult<()> {
    let k = keys::compliance(p, a);
    if cx.raw(&k)?.is_none() {
        let mk = keys::period_members(p);
        let mut members: Vec<AccountId> = cx.get(&mk)?.unwrap_or_default();
        members.push(*a);
        cx.put(mk, &members);
    }
    cx.put(k, c);
    Ok(())
}

pub(crate) fn open_period(
    cx: &mut Ctx,
    actor: &AccountId,
    id: PeriodId,
    start: TimestampMs,
    end: TimestampMs,
    surrender_deadline: TimestampMs,
) -> MResult<()> {
    require_regulator(cx, actor)?;
    if start >= end || surrender_deadline < end {
        return Err(
            MarketError::invalid("period", "need start < end <= surrender_deadline").into(),
        );
    }
    if cx.has_period(id)? {
        return Err(MarketError::WrongState("period already exists").into());
    }
    cx.put_period(Period {
        id,
        start,
        end,
        surrender_deadline,
        closed: false,
    });
    cx.emit(MarketEvent::PeriodOpened { period: id });
    Ok(())
}

pub(crate) fn allocate(
    cx: &mut Ctx,
    actor: &AccountId,
    id: PeriodId,
    lines: &[(AccountId, u64)],
) -> MResult<()> {
    require_regulator(cx, actor)?;
    let p = period(cx, id)?;
    if cx.time < p.start || cx.time.0 >= p.start.0.saturating_add(DAY_MS) {
        return Err(MarketError::WrongTime("allocation is on the period's first day").into());
    }
    if lines.is_empty() || lines.len() > MAX_ALLOCATIONS {
        return Err(
            MarketError::invalid("allocations", format!("1-{MAX_ALLOCATIONS} lines")).into(),
        );
    }
    let asset = Asset::Allowance(id);
    let mut total = 0u64;
    for (a, amount) in lines {
        require_role(cx, a, Role::Enterprise)?;
        let debt: u64 = cx.get(&keys::debt(a))?.unwrap_or(0);
        let deducted = debt.min(*amount);
        let net = amount - deducted;
        if debt > deducted {
            cx.put(keys::debt(a), &(debt - deducted));
        } else if debt > 0 {
            cx.del(keys::debt(a));
        }
        let mut c = compliance(cx, id, a)?;
        c.allocated = add(c.allocated, net)?;
        c.deducted = add(c.deducted, deducted)?;
        put_compliance(cx, id, a, &c)?;
        cx.credit(a, &asset, net)?;
        total = add(total, net)?;
        cx.emit(MarketEvent::Allocated {
            period: id,
            account: *a,
            amount: net,
            deducted,
        });
    }
    cx.update_supply(&asset, |s| {
        s.created = s.created.checked_add(total)?;
        Some(())
    })
}

/// The total of an emission report in tCO2e.
fn total(cx: &mut Ctx, e: &Emissions) -> MResult<u64> {
    match e {
        Emissions::Total(t) => Ok(*t),
        Emissions::ByGas(lines) => {
            if lines.is_empty() || lines.len() > 8 {
                return Err(MarketError::invalid("emissions", "1-8 gas lines").into());
            }
            let p = cx.params()?.clone();
            let mut sum = 0u64;
            for (gas, tonnes) in lines {
                sum = add(sum, mul(*tonnes, p.gwp(*gas))?)?;
            }
            Ok(sum)
        }
    }
}

pub(crate) fn submit_report(
    cx: &mut Ctx,
    actor: &AccountId,
    id: PeriodId,
    emissions: &Emissions,
    digest: Hash32,
    provenance_id: Hash32,
) -> MResult<()> {
    require_role(cx, actor, Role::Enterprise)?;
    let p = period(cx, id)?;
    if p.closed || cx.time < p.end {
        return Err(MarketError::WrongTime(
            "reports are due after the period ends, before it closes",
        )
        .into());
    }
    let reported = total(cx, emissions)?;
    let mut c = compliance(cx, id, actor)?;
    if c.report.as_ref().is_some_and(|r| r.verified.is_some()) {
        return Err(MarketError::WrongState("report already verified").into());
    }
    c.report = Some(EmissionReport {
        reported,
        digest,
        provenance_id,
        verified: None,
        verifier: None,
        submitted_at: cx.time,
    });
    put_compliance(cx, id, actor, &c)?;
    cx.emit(MarketEvent::ReportSubmitted {
        period: id,
        enterprise: *actor,
        total: reported,
    });
    Ok(())
}

pub(crate) fn verify_report(
    cx: &mut Ctx,
    actor: &AccountId,
    enterprise: &AccountId,
    id: PeriodId,
    corrected: Option<u64>,
) -> MResult<()> {
    if cx.regulator()? != *actor {
        require_role(cx, actor, Role::Verifier)?;
    }
    let p = period(cx, id)?;
    if p.closed {
        return Err(MarketError::WrongState("period closed").into());
    }
    let mut c = compliance(cx, id, enterprise)?;
    let Some(r) = c.report.as_mut() else {
        return Err(MarketError::WrongState("no report to verify").into());
    };
    if r.verified.is_some() {
        return Err(MarketError::WrongState("report already verified").into());
    }
    let verified = corrected.unwrap_or(r.reported);
    r.verified = Some(verified);
    r.verifier = Some(*actor);
    put_compliance(cx, id, enterprise, &c)?;
    cx.emit(MarketEvent::ReportVerified {
        period: id,
        enterprise: *enterprise,
        verified,
    });
    Ok(())
}

pub(crate) fn surrender(
    cx: &mut Ctx,
    actor: &AccountId,
    id: PeriodId,
    allowances: u64,
    offsets: u64,
) -> MResult<()> {
    require_role(cx, actor, Role::Enterprise)?;
    let p = period(cx, id)?;
    if p.closed {
        return Err(MarketError::WrongState("period closed").into());
    }
    if allowances == 0 && offsets == 0 {
        return Err(MarketError::invalid("surrender", "nothing to surrender").into());
    }
    let mut c = compliance(cx, id, actor)?;
    if offsets > 0 {
        let verified =
            c.report
                .as_ref()
                .and_then(|r| r.verified)
                .ok_or(MarketError::WrongState(
                    "offsets need a verified emission report",
                ))?;
        let cap_bps = cx.params()?.offset_cap_bps();
        let cap =
            u64::try_from(u128::from(verified) * u128::from(cap_bps) / 10_000).unwrap_or(u64::MAX);
        let asked = add(c.surrendered_offsets, offsets)?;
        if asked > cap {
            return Err(MarketError::CapExceeded {
                what: "offsets in compliance",
                allowed: cap,
                asked,
            }
            .into());
        }
        cx.debit(actor, &Asset::Offset, offsets)?;
        c.surrendered_offsets = asked;
        cx.update_supply(&Asset::Offset, |s| {
            s.surrendered = s.surrendered.checked_add(offsets)?;
            Some(())
        })?;
    }
    if allowances > 0 {
        let asset = Asset::Allowance(id);
        cx.debit(actor, &asset, allowances)?;
        c.surrendered_allowances = add(c.surrendered_allowances, allowances)?;
        cx.update_supply(&asset, |s| {
            s.surrendered = s.surrendered.checked_add(allowances)?;
            Some(())
        })?;
    }
    if cx.time <= p.surrender_deadline {
        c.surrendered_on_time = add(c.surrendered_on_time, add(allowances, offsets)?)?;
    }
    put_compliance(cx, id, actor, &c)?;
    cx.emit(MarketEvent::Surrendered {
        period: id,
        enterprise: *actor,
        allowances,
        offsets,
    });
    Ok(())
}

/// Closes a period: every enterprise in it is judged on time, late or in
/// default. A default records the shortfall, fines it ([`Params::fine`](super::Params::fine):
/// ¥20,000 to ¥30,000 scaled by the shortfall's share of what was required,
/// by default; paid from its tokens as far as they go, to the
/// platform account; the unpaid part stays on record as `fine - fine_paid`)
/// and carries the shortfall into its next allocation.
pub(crate) fn close_period(cx: &mut Ctx, actor: &AccountId, id: PeriodId) -> MResult<()> {
    require_regulator(cx, actor)?;
    let mut p = period(cx, id)?;
    if p.closed {
        return Err(MarketError::WrongState("period already closed").into());
    }
    if cx.time <= p.surrender_deadline {
        return Err(MarketError::WrongTime("a period closes after its surrender deadline").into());
    }
    let params = cx.params()?.clone();
    let members: Vec<AccountId> = cx.get(&keys::period_members(id))?.unwrap_or_default();
    for a in &members {
        let mut c = compliance(cx, id, a)?;
        let required = c.required();
        let surrendered = c.surrendered();
        c.status = if c.surrendered_on_time >= required {
            ComplianceStatus::OnTime
        } else if surrendered >= required {
            ComplianceStatus::Late
        } else {
            ComplianceStatus::Default
        };
        if c.status == ComplianceStatus::Default {
            c.shortfall = required - surrendered;
            let fine = params.fine(c.shortfall, required);
            let paid = fine.min(cx.balance(a, &Asset::Token)?);
            cx.debit(a, &Asset::Token, paid)?;
            cx.credit(&platform_account(), &Asset::Token, paid)?;
            c.fine = fine;
            c.fine_paid = paid;
            let debt: u64 = cx.get(&keys::debt(a))?.unwrap_or(0);
            cx.put(keys::debt(a), &add(debt, c.shortfall)?);
        }
        cx.put(keys::compliance(id, a), &c);
        let status = c.status;
        cx.update_credit(a, |r| {
            r.periods = r.periods.checked_add(1)?;
            match status {
                ComplianceStatus::OnTime => r.on_time = r.on_time.checked_add(1)?,
                ComplianceStatus::Late => r.late = r.late.checked_add(1)?,
                _ => r.defaults = r.defaults.checked_add(1)?,
            }
            r.surrendered = r.surrendered.checked_add(surrendered.min(required))?;
            r.required = r.required.checked_add(required)?;
            Some(())
        })?;
        cx.emit(MarketEvent::ComplianceClosed {
            period: id,
            enterprise: *a,
            status: c.status,
            shortfall: c.shortfall,
            fine: c.fine,
        });
    }
    p.closed = true;
    cx.put_period(p);
    cx.emit(MarketEvent::PeriodClosed { period: id });
    Ok(())
}
