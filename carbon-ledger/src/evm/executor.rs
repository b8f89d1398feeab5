//! Executing `Deploy` and `Call` transactions inside a block.

use revm::context_interface::result::ExecutionResult;
use revm::primitives::{Address, TxKind};

use super::db::{EvmBlock, StateDb};
use super::logs::decode_revert;
use super::params::EvmParams;
use super::run::run;
use super::{
    CODE_HALTED, CODE_REVERTED, EvmError, MAX_CALLDATA_BYTES, MAX_INIT_CODE_BYTES, address,
};
use crate::error::Result;
use crate::market::{self, Asset, Ctx, Fail, MarketTx};
use crate::receipt::{Cost, Event, Receipt, TxStatus};
use crate::state::{Overlay, StateView, WriteSet};
use crate::tx::{Payload, Transaction};
use crate::types::{AccountId, TimestampMs};

/// Checks what can be checked without state: sizes and a non-zero gas
/// limit. Mempools and the RPC layer call it to reject malformed
/// transactions early; the executor calls it again.
pub fn check_payload(p: &Payload) -> Result<(), EvmError> {
    match p {
        Payload::Deploy {
            init_code,
            gas_limit,
        } => {
            if init_code.is_empty() {
                return Err(EvmError::EmptyInitCode);
            }
            if init_code.len() > MAX_INIT_CODE_BYTES {
                return Err(EvmError::InitCodeTooLarge {
                    len: init_code.len(),
                    max: MAX_INIT_CODE_BYTES,
                });
            }
            check_gas(*gas_limit, u64::MAX)
        }
        Payload::Call {
            input, gas_limit, ..
        } => {
            if input.len() > MAX_CALLDATA_BYTES {
                return Err(EvmError::CalldataTooLarge {
                    len: input.len(),
                    max: MAX_CALLDATA_BYTES,
                });
            }
            check_gas(*gas_limit, u64::MAX)
        }
        _ => Ok(()),
    }
}

fn check_gas(got: u64, max: u64) -> Result<(), EvmError> {
    if !(21_000..=max).contains(&got) {
        return Err(EvmError::GasLimit { got, max });
    }
    Ok(())
}

/// Source of the ledger's own EVM events (a deployment).
pub const EVM_SOURCE: &str = "evm";

/// The event a successful deployment leads its receipt with: topic
/// `tagged("carbon/market/event/v1", "contract_created")`, data the new
/// contract's 20-byte address.
fn created_event(addr: &Address) -> Event {
    Event {
        source: EVM_SOURCE.to_string(),
        topics: vec![crate::exec::event_topic("contract_created")],
        data: addr.to_vec(),
    }
}

fn fail(tx: &Transaction, code: u32, reason: String, writes: &WriteSet, gas: u64) -> Receipt {
    let mut cost = crate::exec::cost(writes);
    cost.gas_used = gas;
    Receipt {
        tx: tx.hash(),
        status: TxStatus::Failed { code, reason },
        events: Vec::new(),
        cost,
    }
}

fn may_deploy(view: &dyn StateView, p: &EvmParams, sender: &AccountId) -> Result<bool> {
    if let Some(list) = &p.deployers {
        return Ok(list.contains(sender));
    }
    let reg = view.get(crate::genesis::KEY_REGULATOR)?;
    if reg.as_deref() == Some(sender.0.as_slice()) {
        return Ok(true);
    }
    Ok(market::query::account(view, sender)?.is_some_and(|a| a.role().is_some()))
}

/// Executes `tx` if it is an EVM payload (`None` otherwise), for a sender
/// whose nonce and standing [`crate::exec`] has checked; `nonce_write`
/// consumes the ledger nonce and is kept whatever happens.
pub fn execute_tx(
    view: &(dyn StateView + '_),
    time: TimestampMs,
    tx: &Transaction,
    nonce_write: &WriteSet,
    block: &mut EvmBlock,
) -> Result<Option<(Receipt, WriteSet)>> {
    let (kind, data, gas_limit, value) = match &tx.body.payload {
        Payload::Deploy {
            init_code,
            gas_limit,
        } => (TxKind::Create, init_code, *gas_limit, 0),
        Payload::Call {
            to,
            input,
            gas_limit,
            value,
        } => (TxKind::Call(Address::from(*to)), input, *gas_limit, *value),
        Payload::Market(MarketTx::SetParam { name, .. }) if name.starts_with("evm.") => {
            block.params = None; // reloaded by the block's next EVM transaction
            return Ok(None);
        }
        _ => return Ok(None),
    };
    let sender = tx.sender_account();
    let refuse = |e: EvmError| {
        Ok(Some((
            fail(tx, e.code(), e.to_string(), nonce_write, 0),
            nonce_write.clone(),
        )))
    };
    if let Err(e) = check_payload(&tx.body.payload) {
        return refuse(e);
    }
    let params = match &block.params {
        Some(p) => p.clone(),
        None => {
            let p = EvmParams::load(view)?;
            block.params = Some(p.clone());
            p
        }
    };
    if let Err(e) = check_gas(gas_limit, params.tx_gas_limit) {
        return refuse(e);
    }
    let asked = block.gas_asked.saturating_add(gas_limit);
    if asked > params.block_gas_limit {
        return refuse(EvmError::BlockGasExhausted {
            used: block.gas_asked,
            asked: gas_limit,
            limit: params.block_gas_limit,
        });
    }
    block.gas_asked = asked;
    if kind == TxKind::Create && !may_deploy(view, &params, &sender)? {
        return refuse(EvmError::DeployNotAllowed(hex::encode(sender.0)));
    }
    if let TxKind::Call(to) = kind {
        let target = address::contract_account(&to);
        if market::query::account(view, &target)?.is_some_and(|a| a.frozen) {
            return refuse(EvmError::FrozenContract(super::log_source(&to.0.0)));
        }
    }
    let max_fee = params.fee(gas_limit);
    let have = match max_fee {
        0 => 0,
        _ => market::query::balance(view, &sender, &Asset::Token)?,
    };
    if max_fee > have {
        return refuse(EvmError::Fee {
            need: max_fee,
            have,
        });
    }
    // The value, paid through the market first (every transfer rule).
    let mut base = Overlay::new(view);
    base.absorb(nonce_write.clone());
    let mut paid = WriteSet::new();
    if let TxKind::Call(to) = kind
        && value > 0
    {
        let mut cx = Ctx::new(&base, time);
        let op = MarketTx::Transfer {
            to: address::contract_account(&to),
            asset: Asset::Token,
            amount: value,
        };
        match market::apply(&mut cx, &sender, &op) {
            Ok(()) => paid = cx.finish().0,
            Err(Fail::Tx(e)) => {
                return Ok(Some((
                    fail(tx, e.code(), e.to_string(), nonce_write, 0),
                    nonce_write.clone(),
                )));
            }
            Err(Fail::Fatal(e)) => return Err(e),
        }
    }
    let mut exec_base = Overlay::new(&base);
    exec_base.absorb(paid.clone());
    let db = StateDb::new(&exec_base, block, sender, time);
    let caller = address::evm_address(&sender);
    let run = match run(
        db,
        caller,
        kind,
        data.clone(),
        gas_limit,
        value,
        tx.body.nonce.0,
    )? {
        Ok(r) => r,
        Err(e) => return refuse(e),
    };
    // Contracts created by a call count as deployments too.
    if kind != TxKind::Create && run.created && !may_deploy(view, &params, &sender)? {
        return refuse(EvmError::DeployNotAllowed(hex::encode(sender.0)));
    }
    let gas = run.result.tx_gas_used();
    let mut writes = nonce_write.clone();
    let (status, events) = match run.result {
        ExecutionResult::Success { ref output, .. } => {
            writes.extend(paid);
            let mut events = run.events;
            if let Some(created) = output.address() {
                events.insert(0, created_event(created));
            }
            (TxStatus::Success, events)
        }
        ExecutionResult::Revert { output, .. } => (
            TxStatus::Failed {
                code: CODE_REVERTED,
                reason: decode_revert(&output),
            },
            Vec::new(),
        ),
        ExecutionResult::Halt { reason, .. } => (
            TxStatus::Failed {
                code: CODE_HALTED,
                reason: format!("halted: {reason:?}"),
            },
            Vec::new(),
        ),
    };
    writes.extend(run.writes);
    let fee = params.fee(gas);
    if fee > 0 {
        let mut fee_base = Overlay::new(view);
        fee_base.absorb(writes.clone());
        let mut cx = Ctx::new(&fee_base, time);
        match cx
            .debit(&sender, &Asset::Token, fee)
            .and_then(|()| cx.credit(&market::platform_account(), &Asset::Token, fee))
        {
            Ok(()) => writes.extend(cx.finish().0),
            Err(Fail::Tx(e)) => {
                return Ok(Some((
                    fail(tx, e.code(), e.to_string(), nonce_write, gas),
                    nonce_write.clone(),
                )));
            }
            Err(Fail::Fatal(e)) => return Err(e),
        }
    }
    let mut cost: Cost = crate::exec::cost(&writes);
    cost.gas_used = gas;
    Ok(Some((
        Receipt {
            tx: tx.hash(),
            status,
            events,
            cost,
        },
        writes,
    )))
}
