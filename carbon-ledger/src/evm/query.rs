//! Read-only EVM access for the query API (the node's `call` and `getCode`
//! RPC methods): a call against a state with nothing written, and code
//! lookup.

use revm::context_interface::result::ExecutionResult;
use revm::primitives::{Address, TxKind};

use super::db::{EvmBlock, StateDb};
use super::keys::{self, EvmAccount};
use super::logs::decode_revert;
use super::params::EvmParams;
use super::run::run;
use super::{EvmError, MAX_CALLDATA_BYTES, address};
use crate::codec;
use crate::error::Result;
use crate::receipt::Event;
use crate::state::StateView;
use crate::types::{AccountId, TimestampMs};

/// The outcome of a read-only call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResult {
    /// Whether the call returned normally.
    pub success: bool,
    /// Return data (or revert data).
    pub output: Vec<u8>,
    /// Revert or halt reason (decoded), empty on success.
    pub reason: String,
    /// Gas used.
    pub gas_used: u64,
    /// Logs and market events it would have emitted.
    pub events: Vec<Event>,
}

/// Runs `input` against contract `to` on `view` as `from` (any account;
/// the zero account when `None`) at block time `time`, with at most the
/// `evm.tx_gas_limit` parameter's gas, and writes nothing. Market
/// operations inside run as they would in a transaction, then are thrown
/// away with everything else.
pub fn call(
    view: &(dyn StateView + '_),
    from: Option<AccountId>,
    to: [u8; 20],
    input: &[u8],
    time: TimestampMs,
) -> Result<CallResult> {
    if input.len() > MAX_CALLDATA_BYTES {
        return Err(EvmError::CalldataTooLarge {
            len: input.len(),
            max: MAX_CALLDATA_BYTES,
        }
        .into());
    }
    let params = EvmParams::load(view)?;
    let from = from.unwrap_or(AccountId([0; 32]));
    let mut block = EvmBlock::new();
    let db = StateDb::new(view, &mut block, from, time);
    let caller = address::evm_address(&from);
    let nonce = crate::market::query::nonce(view, &from)?;
    let run = run(
        db,
        caller,
        TxKind::Call(Address::from(to)),
        input.to_vec(),
        params.tx_gas_limit,
        0,
        nonce,
    )?
    .map_err(crate::Error::from)?;
    let gas_used = run.result.tx_gas_used();
    Ok(match run.result {
        ExecutionResult::Success { output, .. } => CallResult {
            success: true,
            output: output.into_data().to_vec(),
            reason: String::new(),
            gas_used,
            events: run.events,
        },
        ExecutionResult::Revert { output, .. } => CallResult {
            success: false,
            reason: decode_revert(&output),
            output: output.to_vec(),
            gas_used,
            events: Vec::new(),
        },
        ExecutionResult::Halt { reason, .. } => CallResult {
            success: false,
            output: Vec::new(),
            reason: format!("halted: {reason:?}"),
            gas_used,
            events: Vec::new(),
        },
    })
}

/// The deployed code of the contract at `addr` (`None` for no contract).
pub fn code(view: &(impl StateView + ?Sized), addr: [u8; 20]) -> Result<Option<Vec<u8>>> {
    let a = Address::from(addr);
    let Some(raw) = view.get(&keys::account(&a))? else {
        return Ok(None);
    };
    let rec: EvmAccount = codec::decode(&raw, 64, "evm account")?;
    if rec.code_hash == revm::primitives::KECCAK_EMPTY.0 {
        return Ok(None);
    }
    let code = view.get(&keys::code(&rec.code_hash.into()))?;
    code.map(Some)
        .ok_or_else(|| crate::store::corrupt(format!("evm code of {a}"), "missing"))
}

/// The stored EVM nonce of a contract (contracts it created). An account
/// acting from its key has none stored: its EVM nonce is its ledger nonce.
pub fn evm_nonce(view: &(impl StateView + ?Sized), addr: [u8; 20]) -> Result<u64> {
    match view.get(&keys::account(&Address::from(addr)))? {
        None => Ok(0),
        Some(raw) => Ok(codec::decode::<EvmAccount>(&raw, 64, "evm account")?.nonce),
    }
}
