//! The market as precompiled contracts, beside Ethereum's own precompiles.
//!
//! | address | contract | gas |
//! |---|---|---|
//! | [`MARKET_VIEW`] `0x…00ca4b01` | reads: balances, escrow, last price, best bid/ask, current period, credit score, `accountOf` | 2,600 |
//! | [`MARKET_OPS`] `0x…00ca4b02` | `register`, `transfer`, `placeOrder`, `cancelOrder` | 20,000 + 5,000 per state key written |
//!
//! Operations act for `msg.sender` ([`super::address::actor_of`]: the
//! signer when called directly by the signer's address, else the calling
//! contract's account), never for `tx.origin`, through [`market::apply`],
//! so every market rule (roles, freezing, bands, escrow, caps) applies.
//! `DELEGATECALL`/`CALLCODE` into them and writes under `STATICCALL` are
//! refused (a delegate call would otherwise act for its caller's caller).
//! A refused operation reverts with `Error(string)` naming the market
//! error and its code.
//!
//! **Reverting market effects with EVM frames.** revm's journal knows
//! accounts and storage, not market state. Each successful operation
//! therefore leaves a marker log (from [`MARKET_OPS`], data = its sequence
//! number) and its writes in the [`MarketJournal`]. revm drops the logs of
//! a reverted frame; before every market call and at the end of the
//! transaction the journal drops every entry whose marker is no longer in
//! the log, so exactly the operations of surviving frames take effect, in
//! order. Marker logs become the operations' market events in the receipt.

use revm::context::Cfg;
use revm::context_interface::{ContextTr, JournalTr};
use revm::handler::{EthPrecompiles, PrecompileProvider};
use revm::interpreter::{CallInputs, CallScheme, Gas, InstructionResult, InterpreterResult};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, AddressSet, B256, Bytes, Log, LogData, U256, address};

use super::abi;
use super::db::StateDb;
use super::logs::encode_revert;
use crate::market::{self, Ctx, Fail, MarketEvent};
use crate::state::{Overlay, WriteSet};

/// The read-only market contract.
pub const MARKET_VIEW: Address = address!("0x0000000000000000000000000000000000ca4b01");
/// The market operations contract (acts for `msg.sender`).
pub const MARKET_OPS: Address = address!("0x0000000000000000000000000000000000ca4b02");

const VIEW_GAS: u64 = 2_600;
const OP_GAS: u64 = 20_000;
const OP_GAS_PER_KEY: u64 = 5_000;

/// First topic of a market operation's marker log.
pub(crate) fn marker_topic() -> B256 {
    B256::from(crate::hash::Hash32::tagged(b"carbon/evm/market-op/v1", &[]).0)
}

/// One successful market operation of the running transaction.
pub(crate) struct Entry {
    seq: u64,
    log_index: usize,
    /// All surviving market writes of the transaction up to this one.
    pub(crate) writes: WriteSet,
    pub(crate) events: Vec<MarketEvent>,
}

/// The market operations of the running transaction, in order.
#[derive(Default)]
pub struct MarketJournal {
    pub(crate) entries: Vec<Entry>,
    next_seq: u64,
}

impl MarketJournal {
    /// How many entries (from the first) still have their marker log: a
    /// frame revert truncates the log, so the survivors are a prefix.
    pub(crate) fn alive(&self, logs: &[Log]) -> usize {
        let marker = |e: &Entry| {
            logs.get(e.log_index).is_some_and(|l| {
                l.address == MARKET_OPS
                    && l.data.data.as_ref() == U256::from(e.seq).to_be_bytes::<32>()
            })
        };
        self.entries
            .iter()
            .position(|e| !marker(e))
            .unwrap_or(self.entries.len())
    }

    /// Drops the entries whose marker log a frame revert removed.
    pub(crate) fn reconcile(&mut self, logs: &[Log]) {
        let n = self.alive(logs);
        self.entries.truncate(n);
    }

    /// The surviving market writes so far.
    pub(crate) fn writes(&self) -> WriteSet {
        self.entries
            .last()
            .map(|e| e.writes.clone())
            .unwrap_or_default()
    }

    /// The events of the entry with marker `seq`.
    pub(crate) fn events_of(&self, seq: U256) -> Option<&[MarketEvent]> {
        self.entries
            .iter()
            .find(|e| U256::from(e.seq) == seq)
            .map(|e| e.events.as_slice())
    }
}

/// Ethereum's precompiles plus the two market contracts.
pub struct CarbonPrecompiles {
    eth: EthPrecompiles,
    warm: AddressSet,
}

impl CarbonPrecompiles {
    /// The set for [`super::SPEC`].
    pub fn new() -> Self {
        let eth = EthPrecompiles::new(super::SPEC);
        let mut warm = eth.warm_addresses().clone();
        warm.insert(MARKET_VIEW);
        warm.insert(MARKET_OPS);
        CarbonPrecompiles { eth, warm }
    }
}

impl Default for CarbonPrecompiles {
    fn default() -> Self {
        Self::new()
    }
}

fn result(kind: InstructionResult, out: Vec<u8>, limit: u64, used: u64) -> InterpreterResult {
    let mut gas = Gas::new(limit);
    if !gas.record_regular_cost(used) {
        let mut spent = Gas::new(limit);
        spent.spend_all();
        return InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), spent);
    }
    InterpreterResult::new(kind, out.into(), gas)
}

fn revert(msg: &str, limit: u64, used: u64) -> InterpreterResult {
    result(InstructionResult::Revert, encode_revert(msg), limit, used)
}

impl<'a, CTX> PrecompileProvider<CTX> for CarbonPrecompiles
where
    CTX: ContextTr<Db = StateDb<'a>, Cfg: Cfg<Spec = SpecId>>,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec)
    }

    fn run(
        &mut self,
        ctx: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        let at = inputs.bytecode_address;
        if at != MARKET_VIEW && at != MARKET_OPS {
            return <EthPrecompiles as PrecompileProvider<CTX>>::run(&mut self.eth, ctx, inputs);
        }
        let limit = inputs.gas_limit;
        if !matches!(inputs.scheme, CallScheme::Call | CallScheme::StaticCall)
            || inputs.target_address != at
        {
            return Ok(Some(revert(
                "market: delegatecall/callcode not allowed",
                limit,
                0,
            )));
        }
        let input = inputs.input.bytes(ctx);
        let call = match abi::decode(&input) {
            Ok(d) if d.writes == (at == MARKET_OPS) => d,
            Ok(_) => {
                return Ok(Some(revert(
                    "market: function not at this address",
                    limit,
                    0,
                )));
            }
            Err(e) => return Ok(Some(revert(&format!("market: {e}"), limit, 0))),
        };
        let logs = ctx.journal().logs();
        let (alive, log_index) = (ctx.db().market.alive(logs), logs.len());
        let db = ctx.db_mut();
        db.market.entries.truncate(alive);
        let mut ov = Overlay::new(db.view);
        ov.absorb(db.market.writes());
        if !call.writes {
            return match abi::read(&ov, &call, &db.origin, db.time.0) {
                Ok(Ok(out)) => Ok(Some(result(
                    InstructionResult::Return,
                    out,
                    limit,
                    VIEW_GAS,
                ))),
                Ok(Err(e)) => Ok(Some(revert(&format!("market: {e}"), limit, VIEW_GAS))),
                Err(e) => {
                    db.fatal.get_or_insert(e);
                    Err("ledger state read failed".into())
                }
            };
        }
        if inputs.is_static {
            return Ok(Some(revert(
                "market: state change in a static call",
                limit,
                0,
            )));
        }
        let op = match abi::operation(&call) {
            Ok(op) => op,
            Err(e) => return Ok(Some(revert(&format!("market: {e}"), limit, 0))),
        };
        let actor = super::address::actor_of(&inputs.caller, &db.origin);
        let mut cx = Ctx::new(&ov, db.time);
        match market::apply(&mut cx, &actor, &op) {
            Ok(()) => {}
            Err(Fail::Tx(e)) => {
                let msg = format!("market: {e} (code {})", e.code());
                return Ok(Some(revert(&msg, limit, OP_GAS)));
            }
            Err(Fail::Fatal(e)) => {
                db.fatal.get_or_insert(e);
                return Err("ledger state read failed".into());
            }
        }
        let out = abi::op_output(&call, &cx);
        let (op_writes, events) = cx.finish();
        let gas = OP_GAS.saturating_add(OP_GAS_PER_KEY.saturating_mul(op_writes.len() as u64));
        if gas > limit {
            return Ok(Some(result(
                InstructionResult::PrecompileOOG,
                Vec::new(),
                limit,
                limit.saturating_add(1),
            )));
        }
        drop(ov);
        let mut writes = db.market.writes();
        writes.extend(op_writes);
        let seq = db.market.next_seq;
        db.market.next_seq += 1;
        db.market.entries.push(Entry {
            seq,
            log_index,
            writes,
            events,
        });
        let data = LogData::new_unchecked(
            vec![marker_topic()],
            U256::from(seq).to_be_bytes::<32>().to_vec().into(),
        );
        ctx.journal_mut().log(Log {
            address: MARKET_OPS,
            data,
        });
        Ok(Some(result(InstructionResult::Return, out, limit, gas)))
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }

    fn contains(&self, address: &Address) -> bool {
        self.warm.contains(address)
    }
}
