//! Offsets: projects of resource holders, activity reports with evidence
//! digests, and certification by the regulator, which issues
//! `activity x emission factor` tonnes.
//!
//! Rounding: factors are integers in 1/10,000 t per unit of activity
//! (0.5703 tCO2/MWh is 5,703). Issuance is `floor((activity x factor +
//! carried) / 10,000)` tonnes; the sub-tonne remainder is carried in the
//! project record to its next certification, so no fraction is ever lost
//! or created.

use super::accounts::{require_regulator, require_role};
use super::ctx::Ctx;
use super::error::{MResult, MarketError, add};
use super::events::MarketEvent;
use super::keys;
use super::records::{Activity, Project, ProjectKind};
use super::types::{ActivityId, Asset, ProjectId, Role};
use crate::hash::Hash32;
use crate::types::AccountId;

pub(crate) fn register_project(
    cx: &mut Ctx,
    actor: &AccountId,
    kind: ProjectKind,
    capacity: u64,
    location: &str,
) -> MResult<ProjectId> {
    require_role(cx, actor, Role::ResourceHolder)?;
    if location.is_empty() || location.len() > 128 || location.chars().any(char::is_control) {
        return Err(
            MarketError::invalid("location", "1-128 bytes without control characters").into(),
        );
    }
    if capacity == 0 {
        return Err(MarketError::invalid("capacity", "must be positive").into());
    }
    let id = ProjectId(cx.next_id("project")?);
    let p = Project {
        id,
        owner: *actor,
        kind,
        capacity,
        location: location.to_string(),
        issued: 0,
        remainder_e4: 0,
    };
    cx.put(keys::project(id.0), &p);
    cx.emit(MarketEvent::ProjectRegistered { project: id });
    Ok(id)
}

pub(crate) fn report_activity(
    cx: &mut Ctx,
    actor: &AccountId,
    project: ProjectId,
    quantity: u64,
    evidence: Hash32,
) -> MResult<ActivityId> {
    require_role(cx, actor, Role::ResourceHolder)?;
    match cx.get::<Project>(&keys::project(project.0))? {
        Some(p) if p.owner == *actor => {}
        _ => {
            return Err(
                MarketError::invalid("project", format!("no project {project} of yours")).into(),
            );
        }
    }
    if quantity == 0 {
        return Err(MarketError::invalid("quantity", "must be positive").into());
    }
    let id = ActivityId(cx.next_id("activity")?);
    cx.put(
        keys::activity(id.0),
        &Activity {
            project,
            quantity,
            evidence,
            issued: None,
        },
    );
    cx.emit(MarketEvent::ActivityReported { activity: id });
    Ok(id)
}

pub(crate) fn certify(cx: &mut Ctx, actor: &AccountId, id: ActivityId) -> MResult<u64> {
    require_regulator(cx, actor)?;
    let mut act: Activity = cx
        .get(&keys::activity(id.0))?
        .ok_or_else(|| MarketError::invalid("activity", format!("no activity {id}")))?;
    if act.issued.is_some() {
        return Err(MarketError::WrongState("activity already certified").into());
    }
    let mut p: Project = cx
        .get(&keys::project(act.project.0))?
        .ok_or_else(|| MarketError::invalid("activity", "its project is missing"))?;
    let factor = cx.params()?.factor_e4(p.kind);
    let scaled = u128::from(act.quantity) * u128::from(factor) + u128::from(p.remainder_e4);
    let tonnes = u64::try_from(scaled / 10_000).map_err(|_| MarketError::Overflow)?;
    p.remainder_e4 = (scaled % 10_000) as u64;
    p.issued = add(p.issued, tonnes)?;
    act.issued = Some(tonnes);
    // The owner may since have been frozen or lost its role: issuance is the
    // regulator's act and still credits the project owner.
    cx.credit(&p.owner, &Asset::Offset, tonnes)?;
    cx.update_supply(&Asset::Offset, |s| {
        s.created = s.created.checked_add(tonnes)?;
        Some(())
    })?;
    cx.put(keys::project(p.id.0), &p);
    cx.put(keys::activity(id.0), &act);
    cx.emit(MarketEvent::OffsetsIssued {
        activity: id,
        to: p.owner,
        amount: tonnes,
    });
    Ok(tonnes)
}
