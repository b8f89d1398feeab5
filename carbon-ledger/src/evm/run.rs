//! One EVM run over a [`StateDb`]: revm configured for the ledger
//! (Prague, the market precompiles, zero gas price, EIP-170/3860 limits),
//! and its resulting state turned into ledger writes and receipt events.

use revm::context::{BlockEnv, CfgEnv, Context, Journal, TxEnv};
use revm::context_interface::ContextTr;
use revm::context_interface::result::{EVMError, ExecutionResult};
use revm::handler::{ExecuteEvm, MainBuilder};
use revm::primitives::{Address, Bytes, TxKind, U256};
use revm::state::EvmState;

use super::db::StateDb;
use super::logs::receipt_events;
use super::precompile::CarbonPrecompiles;
use super::{EVM_CHAIN_ID, EvmError, MAX_CODE_BYTES, MAX_INIT_CODE_BYTES, SPEC};
use crate::error::Result;
use crate::receipt::Event;
use crate::state::WriteSet;

/// What one EVM run produced.
pub(crate) struct Run {
    pub result: ExecutionResult,
    pub writes: WriteSet,
    pub events: Vec<Event>,
    /// Whether the run created a contract (a deployment, or CREATE /
    /// CREATE2 inside a call) that survived.
    pub created: bool,
}

/// Runs one EVM transaction over `db` (nothing is written anywhere: the
/// writes come back in [`Run`], EVM and market ones merged on success).
#[allow(clippy::too_many_arguments)] // one EVM transaction's fields
pub(crate) fn run(
    mut db: StateDb<'_>,
    caller: Address,
    kind: TxKind,
    data: Vec<u8>,
    gas_limit: u64,
    value: u64,
    nonce: u64,
) -> Result<std::result::Result<Run, EvmError>> {
    let time = db.time;
    db.set_caller(caller, nonce, U256::from(value));
    let mut ctx: Context<BlockEnv, TxEnv, CfgEnv, StateDb<'_>, Journal<StateDb<'_>>, ()> =
        Context::new(db, SPEC);
    ctx.modify_cfg(|c| {
        c.chain_id = EVM_CHAIN_ID;
        c.tx_chain_id_check = false;
        c.limit_contract_code_size = Some(MAX_CODE_BYTES);
        c.limit_contract_initcode_size = Some(MAX_INIT_CODE_BYTES);
    });
    ctx.modify_block(|b| {
        b.timestamp = U256::from(time.0 / 1000);
        b.gas_limit = u64::MAX;
        b.basefee = 0;
    });
    let mut evm = ctx
        .build_mainnet()
        .with_precompiles(CarbonPrecompiles::new());
    let tx = TxEnv::builder()
        .caller(caller)
        .kind(kind)
        .data(Bytes::from(data))
        .gas_limit(gas_limit)
        .gas_price(0)
        .value(U256::from(value))
        .nonce(nonce)
        .build_fill();
    let out = evm.transact(tx);
    let db = evm.ctx.db_mut();
    let out = match out {
        Ok(o) => o,
        Err(EVMError::Transaction(e)) => return Ok(Err(EvmError::Rejected(e.to_string()))),
        Err(_) => return Err(take_fatal(db)),
    };
    if let Some(e) = db.fatal.take() {
        return Err(e);
    }
    finish(db, out.result, &out.state, caller, kind, value)
}

fn take_fatal(db: &mut StateDb<'_>) -> crate::Error {
    db.fatal.take().unwrap_or_else(|| {
        crate::store::corrupt("evm execution".into(), "revm reported an internal error")
    })
}

fn finish(
    db: &mut StateDb<'_>,
    result: ExecutionResult,
    state: &EvmState,
    caller: Address,
    kind: TxKind,
    value: u64,
) -> Result<std::result::Result<Run, EvmError>> {
    // Only the market moves value: EVM balances must end where they began
    // (the grant moved to the callee, or nothing).
    for (a, acc) in state {
        let keep =
            matches!(kind, TxKind::Call(to) if to == *a) && acc.info.balance == U256::from(value);
        if !acc.info.balance.is_zero() && !keep && *a != caller {
            return Ok(Err(EvmError::NativeValue));
        }
    }
    let mut writes = db.state_writes(state)?;
    let events = match &result {
        ExecutionResult::Success { logs, .. } => {
            db.market.reconcile(logs);
            writes.extend(db.market.writes());
            receipt_events(logs, &db.market)
        }
        // A failed run writes nothing (the ledger nonce is the caller's
        // EVM nonce, written by the executor).
        _ => {
            writes = WriteSet::new();
            Vec::new()
        }
    };
    let created = result.is_success()
        && state
            .values()
            .any(|a| a.is_created() && !a.is_selfdestructed());
    Ok(Ok(Run {
        result,
        writes,
        events,
        created,
    }))
}
