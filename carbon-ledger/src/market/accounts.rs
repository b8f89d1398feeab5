//! Security management and the platform token: registration, approval,
//! the black list, node membership, mint/burn, transfers, parameters.

use super::book;
use super::ctx::Ctx;
use super::error::{MResult, MarketError};
use super::events::MarketEvent;
use super::params;
use super::types::{AccountRecord, AccountStatus, Asset, OrderId, Role};
use crate::codec;
use crate::genesis::{Member, NodeRole, PREFIX_MEMBER, ParamValue};
use crate::types::{AccountId, PublicKey};

fn text(field: &'static str, s: &str, max: usize) -> Result<(), MarketError> {
    if s.is_empty() || s.len() > max || s.chars().any(char::is_control) {
        return Err(MarketError::invalid(
            field,
            format!("must be 1-{max} bytes without control characters"),
        ));
    }
    Ok(())
}

/// Fails unless `actor` is the regulator.
pub(crate) fn require_regulator(cx: &Ctx, actor: &AccountId) -> MResult<()> {
    if cx.regulator()? != *actor {
        return Err(MarketError::NotRegulator.into());
    }
    Ok(())
}

/// The record of a registered account, or [`MarketError::NotRegistered`].
pub(crate) fn registered(cx: &mut Ctx, a: &AccountId) -> MResult<AccountRecord> {
    cx.account(a)?
        .ok_or_else(|| MarketError::NotRegistered(*a).into())
}

/// Fails unless `a` is approved with `role` (and not frozen).
pub(crate) fn require_role(cx: &mut Ctx, a: &AccountId, role: Role) -> MResult<()> {
    let r = registered(cx, a)?;
    if r.frozen {
        return Err(MarketError::Frozen(*a).into());
    }
    if r.role() != Some(role) {
        return Err(MarketError::WrongRole(*a).into());
    }
    Ok(())
}

/// Fails if `a` is on the black list.
pub(crate) fn require_not_frozen(cx: &mut Ctx, a: &AccountId) -> MResult<()> {
    if cx.is_frozen(a)? {
        return Err(MarketError::Frozen(*a).into());
    }
    Ok(())
}

pub(crate) fn register(cx: &mut Ctx, actor: &AccountId, name: &str) -> MResult<()> {
    text("name", name, 64)?;
    if cx.account(actor)?.is_some() {
        return Err(MarketError::AlreadyRegistered(*actor).into());
    }
    let rec = AccountRecord {
        name: name.to_string(),
        status: AccountStatus::Free,
        frozen: false,
        registered_at: cx.time,
    };
    cx.put_account(actor, rec);
    cx.emit(MarketEvent::Registered { account: *actor });
    Ok(())
}

pub(crate) fn approve(cx: &mut Ctx, actor: &AccountId, a: &AccountId, role: Role) -> MResult<()> {
    require_regulator(cx, actor)?;
    let mut rec = registered(cx, a)?;
    if rec.status != AccountStatus::Free {
        return Err(MarketError::AlreadyRegistered(*a).into());
    }
    rec.status = AccountStatus::Approved(role);
    cx.put_account(a, rec);
    cx.emit(MarketEvent::Approved { account: *a, role });
    Ok(())
}

pub(crate) fn set_frozen(
    cx: &mut Ctx,
    actor: &AccountId,
    a: &AccountId,
    frozen: bool,
) -> MResult<()> {
    require_regulator(cx, actor)?;
    if a == actor {
        return Err(MarketError::invalid("account", "the regulator cannot freeze itself").into());
    }
    let mut rec = registered(cx, a)?;
    if rec.frozen == frozen {
        return Err(MarketError::WrongState("account already in that state").into());
    }
    rec.frozen = frozen;
    cx.put_account(a, rec);
    if frozen {
        let open: Vec<OrderId> = cx.account_orders(a)?;
        for id in open {
            book::cancel_resting(cx, id)?;
        }
    }
    cx.emit(MarketEvent::Frozen {
        account: *a,
        frozen,
    });
    Ok(())
}

pub(crate) fn admit_node(
    cx: &mut Ctx,
    actor: &AccountId,
    name: &str,
    public_key: PublicKey,
    address: &str,
    role: NodeRole,
) -> MResult<()> {
    require_regulator(cx, actor)?;
    text("name", name, 64)?;
    text("address", address, 261)?;
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| MarketError::invalid("address", "expected host:port"))?;
    if host.is_empty() || !matches!(port.parse::<u16>(), Ok(p) if p > 0) {
        return Err(MarketError::invalid("address", "expected host:port").into());
    }
    let vk = public_key
        .verifying_key()
        .map_err(|_| MarketError::invalid("public_key", "not an ed25519 point"))?;
    if vk.is_weak() {
        return Err(MarketError::invalid("public_key", "weak (small-order) key").into());
    }
    let account = public_key.account();
    let key = [PREFIX_MEMBER, &account.0].concat();
    if cx.raw(&key)?.is_some() {
        return Err(MarketError::WrongState("node already a member").into());
    }
    let m = Member {
        name: name.to_string(),
        public_key,
        account,
        address: address.to_string(),
        role,
    };
    cx.put(key, &m);
    cx.emit(MarketEvent::MembershipChanged {
        account,
        public_key,
        role: Some(role),
    });
    Ok(())
}

pub(crate) fn remove_node(cx: &mut Ctx, actor: &AccountId, account: &AccountId) -> MResult<()> {
    require_regulator(cx, actor)?;
    if account == actor {
        return Err(
            MarketError::invalid("account", "the regulator's node cannot be removed").into(),
        );
    }
    let key = [PREFIX_MEMBER, &account.0].concat();
    let bytes = cx
        .raw(&key)?
        .ok_or_else(|| MarketError::invalid("account", "not a member node"))?;
    let m: Member =
        codec::decode(&bytes, 4096, "member").map_err(|e| super::error::Fail::Fatal(e.into()))?;
    cx.del(key);
    cx.emit(MarketEvent::MembershipChanged {
        account: *account,
        public_key: m.public_key,
        role: None,
    });
    Ok(())
}

pub(crate) fn mint(
    cx: &mut Ctx,
    actor: &AccountId,
    to: &AccountId,
    amount: u64,
    reference: &str,
) -> MResult<()> {
    require_regulator(cx, actor)?;
    text("reference", reference, 128)?;
    if amount == 0 {
        return Err(MarketError::invalid("amount", "must be positive").into());
    }
    registered(cx, to)?;
    cx.credit(to, &Asset::Token, amount)?;
    cx.update_supply(&Asset::Token, |s| {
        s.created = s.created.checked_add(amount)?;
        Some(())
    })?;
    cx.emit(MarketEvent::Minted {
        to: *to,
        amount,
        reference: reference.to_string(),
    });
    Ok(())
}

pub(crate) fn burn(
    cx: &mut Ctx,
    actor: &AccountId,
    from: &AccountId,
    amount: u64,
    reference: &str,
) -> MResult<()> {
    require_regulator(cx, actor)?;
    text("reference", reference, 128)?;
    if amount == 0 {
        return Err(MarketError::invalid("amount", "must be positive").into());
    }
    cx.debit(from, &Asset::Token, amount)?;
    cx.update_supply(&Asset::Token, |s| {
        s.burned = s.burned.checked_add(amount)?;
        Some(())
    })?;
    cx.emit(MarketEvent::Burned {
        from: *from,
        amount,
        reference: reference.to_string(),
    });
    Ok(())
}

/// Who may hold an asset: tokens anyone registered; allowances enterprises;
/// offsets enterprises and resource holders.
pub(crate) fn may_hold(rec: &AccountRecord, asset: &Asset) -> bool {
    match asset {
        Asset::Token => true,
        Asset::Allowance(_) => rec.role() == Some(Role::Enterprise),
        Asset::Offset => matches!(rec.role(), Some(Role::Enterprise | Role::ResourceHolder)),
    }
}

pub(crate) fn transfer(
    cx: &mut Ctx,
    actor: &AccountId,
    to: &AccountId,
    asset: Asset,
    amount: u64,
) -> MResult<()> {
    if amount == 0 {
        return Err(MarketError::invalid("amount", "must be positive").into());
    }
    if to == actor {
        return Err(MarketError::invalid("to", "cannot transfer to oneself").into());
    }
    registered(cx, actor)?;
    let rec = registered(cx, to)?;
    if rec.frozen {
        return Err(MarketError::Frozen(*to).into());
    }
    if !may_hold(&rec, &asset) {
        return Err(MarketError::WrongRole(*to).into());
    }
    cx.debit(actor, &asset, amount)?;
    cx.credit(to, &asset, amount)?;
    cx.emit(MarketEvent::Transferred {
        from: *actor,
        to: *to,
        asset,
        amount,
    });
    Ok(())
}

pub(crate) fn set_param(
    cx: &mut Ctx,
    actor: &AccountId,
    name: &str,
    value: ParamValue,
) -> MResult<()> {
    require_regulator(cx, actor)?;
    params::check(name, &value)?;
    cx.put(
        [crate::genesis::PREFIX_PARAM, name.as_bytes()].concat(),
        &value,
    );
    cx.emit(MarketEvent::ParamSet {
        name: name.to_string(),
        value,
    });
    Ok(())
}

pub(crate) fn retire(cx: &mut Ctx, actor: &AccountId, amount: u64) -> MResult<()> {
    if amount == 0 {
        return Err(MarketError::invalid("amount", "must be positive").into());
    }
    registered(cx, actor)?;
    cx.debit(actor, &Asset::Offset, amount)?;
    cx.update_supply(&Asset::Offset, |s| {
        s.retired = s.retired.checked_add(amount)?;
        Some(())
    })?;
    cx.emit(MarketEvent::Retired {
        account: *actor,
        amount,
    });
    Ok(())
}
