//! Block execution: a state and a block's signed transactions in, one
//! receipt per transaction and the block's [`WriteSet`] out — identically
//! on every node.
//!
//! Rules, per transaction, in block order:
//! 1. signatures and chain ids are checked for the whole block first with
//!    [`verify_batch`] (split over the cores by [`verify_parallel`]); a block with a bad signature or another chain's
//!    transaction is invalid as a whole (an `Err`, nothing executed);
//! 2. a transaction whose nonce is not the sender's next nonce fails with
//!    code 1 and writes nothing (a replay changes nothing);
//! 3. a transaction from a frozen account fails with code 2 and writes
//!    nothing, not even its nonce: nothing a frozen account does changes
//!    state;
//! 4. otherwise the nonce is consumed and the payload runs in its own
//!    overlay (EVM payloads in `evm::execute_tx`); if it fails (receipt
//!    `Failed` with the [`MarketError::code`]) its writes are dropped and
//!    only the nonce is written (an EVM transaction also pays its fee).
//!
//! A failure to read the state itself (a corrupt store) aborts the block.

use crate::codec;
use crate::error::{Result, TxError};
use crate::hash::Hash32;
use crate::market::{self, Ctx, Fail, MarketError, MarketEvent};
use crate::receipt::{Cost, Event, Receipt, TxStatus};
pub use crate::state::MemState;
use crate::state::{Overlay, StateView, WriteSet};
use crate::tx::{Payload, Transaction, verify_batch};
use crate::types::{ChainId, TimestampMs};

#[cfg(feature = "evm")]
use crate::evm::EvmBlock;
/// Per-block EVM cache (nothing without the `evm` feature).
#[cfg(not(feature = "evm"))]
struct EvmBlock;
#[cfg(not(feature = "evm"))]
impl EvmBlock {
    fn new() -> Self {
        EvmBlock
    }
}

/// Source name of market events in receipts.
pub const MARKET_SOURCE: &str = "market";
/// Source name of ledger events (anchors) in receipts.
pub const LEDGER_SOURCE: &str = "ledger";

/// What executing a block produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// One receipt per transaction, in block order.
    pub receipts: Vec<Receipt>,
    /// The block's state writes (commit them with the block).
    pub writes: WriteSet,
}

/// The first topic of a market event: `tagged("carbon/market/event/v1", name)`.
pub fn event_topic(name: &str) -> Hash32 {
    Hash32::tagged(b"carbon/market/event/v1", &[name.as_bytes()])
}

pub(crate) fn to_event(e: &MarketEvent) -> Event {
    Event {
        source: MARKET_SOURCE.to_string(),
        topics: vec![event_topic(e.name())],
        data: codec::encode(e),
    }
}

/// Verifies every signature (batch) and chain id, then executes.
pub fn execute_block(
    state: &(dyn StateView + '_),
    chain: &ChainId,
    time: TimestampMs,
    txs: &[Transaction],
) -> Result<BlockOutcome> {
    verify_parallel(txs, chain)?;
    execute_verified(state, time, txs)
}

/// Smallest chunk worth a thread of its own.
const MIN_CHUNK: usize = 128;

/// [`verify_batch`] split over the available cores (one batch per core, in
/// scoped threads). The result is the same as one `verify_batch` over the
/// whole slice: `Ok`, or the error of the first failing chunk with the
/// transaction index relative to the whole slice.
pub fn verify_parallel(txs: &[Transaction], chain: &ChainId) -> Result<(), TxError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks = cores.min(txs.len() / MIN_CHUNK).max(1);
    if chunks == 1 {
        return verify_batch(txs, chain);
    }
    let size = txs.len().div_ceil(chunks);
    let results: Vec<Result<(), TxError>> = std::thread::scope(|s| {
        let handles: Vec<_> = txs
            .chunks(size)
            .map(|c| s.spawn(move || verify_batch(c, chain)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                // A panic inside ed25519 verification is not expected; treat
                // it as a bad block rather than propagating it.
                h.join().unwrap_or(Err(TxError::BadSignature { index: 0 }))
            })
            .collect()
    });
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Err(TxError::BadSignature { index }) => {
                return Err(TxError::BadSignature {
                    index: index + i * size,
                });
            }
            Err(e) => return Err(e),
            Ok(()) => {}
        }
    }
    Ok(())
}

/// Executes transactions whose signatures and chain ids the caller has
/// already verified (e.g. with [`verify_batch`] while the block was
/// proposed).
///
/// Consecutive native transactions (market, anchor) share one market
/// [`Ctx`]: the records they touch are decoded once, kept in memory for
/// the run, and encoded and written once at its end; each transaction is
/// journaled so a failed one is undone.
pub fn execute_verified(
    state: &(dyn StateView + '_),
    time: TimestampMs,
    txs: &[Transaction],
) -> Result<BlockOutcome> {
    let mut block = Overlay::new(state);
    let mut receipts = Vec::with_capacity(txs.len());
    let mut evm = EvmBlock::new();
    let mut rest = txs;
    while let Some(first) = rest.first() {
        let run = rest
            .iter()
            .position(|tx| !is_native(&tx.body.payload))
            .unwrap_or(rest.len());
        if run == 0 {
            // A contract transaction runs over the block overlay, which
            // holds everything the market context of the run before wrote.
            let (receipt, writes) = execute_contract(&block, time, first, &mut evm)?;
            block.absorb(writes);
            receipts.push(receipt);
            rest = &rest[1..];
            continue;
        }
        let writes = {
            let mut cx = Ctx::with_capacity(&block, time, run);
            for tx in &rest[..run] {
                receipts.push(execute_native(&mut cx, tx)?);
                forget_evm_params(&mut evm, &tx.body.payload);
            }
            cx.finish().0
        };
        block.absorb(writes);
        rest = &rest[run..];
    }
    Ok(BlockOutcome {
        receipts,
        writes: block.into_writes(),
    })
}

/// Whether a payload runs in the market context: everything but the EVM's
/// (without the `evm` feature, those fail there with code 18, consuming
/// the nonce).
fn is_native(payload: &Payload) -> bool {
    cfg!(not(feature = "evm")) || !matches!(payload, Payload::Deploy { .. } | Payload::Call { .. })
}

/// A regulator's change of an `evm.` parameter makes the block's next
/// contract transaction read the EVM parameters again.
fn forget_evm_params(evm: &mut EvmBlock, payload: &Payload) {
    #[cfg(feature = "evm")]
    if let Payload::Market(market::MarketTx::SetParam { name, .. }) = payload
        && name.starts_with("evm.")
    {
        evm.params = None;
    }
    #[cfg(not(feature = "evm"))]
    let _ = (evm, payload);
}

#[cfg_attr(not(feature = "evm"), allow(dead_code))]
/// Executes one contract transaction (deploy or call) over `view`: its
/// receipt and writes. The nonce and the sender's standing are checked as
/// for native transactions.
fn execute_contract(
    view: &(dyn StateView + '_),
    time: TimestampMs,
    tx: &Transaction,
    evm: &mut EvmBlock,
) -> Result<(Receipt, WriteSet)> {
    let sender = tx.sender_account();
    let expected = market::query::nonce(view, &sender)?;
    if tx.body.nonce.0 != expected {
        let e = MarketError::BadNonce {
            expected,
            got: tx.body.nonce.0,
        };
        return Ok((failed(tx, &e), WriteSet::new()));
    }
    if market::query::account(view, &sender)?.is_some_and(|a| a.frozen) {
        return Ok((failed(tx, &MarketError::Frozen(sender)), WriteSet::new()));
    }
    let Some(next) = expected.checked_add(1) else {
        return Ok((failed(tx, &MarketError::Overflow), WriteSet::new()));
    };
    let mut nonce_write = WriteSet::new();
    nonce_write.put(market::keys::nonce_key(&sender), codec::encode(&next));
    #[cfg(feature = "evm")]
    if let Some(done) = crate::evm::execute_tx(view, time, tx, &nonce_write, evm)? {
        return Ok(done);
    }
    #[cfg(not(feature = "evm"))]
    let _ = (time, evm);
    // Only EVM payloads reach here, and only with the `evm` feature.
    let mut r = failed(tx, &MarketError::Unsupported);
    r.cost = cost(&nonce_write);
    Ok((r, nonce_write))
}

fn failed(tx: &Transaction, e: &MarketError) -> Receipt {
    Receipt {
        tx: tx.hash(),
        status: TxStatus::Failed {
            code: e.code(),
            reason: e.to_string(),
        },
        events: Vec::new(),
        cost: Cost::default(),
    }
}

/// Store errors abort the block; a refusal cannot come from a read.
fn fatal<T>(r: market::MResult<T>) -> Result<T> {
    r.map_err(|f| match f {
        Fail::Fatal(e) => e,
        Fail::Tx(e) => crate::store::corrupt("market state".into(), &e.to_string()),
    })
}

/// Executes one transaction in the run's context: its receipt; its writes
/// stay in the context.
fn execute_native(cx: &mut Ctx, tx: &Transaction) -> Result<Receipt> {
    let sender = tx.sender_account();
    let expected = fatal(cx.nonce(&sender))?;
    if tx.body.nonce.0 != expected {
        let e = MarketError::BadNonce {
            expected,
            got: tx.body.nonce.0,
        };
        return Ok(failed(tx, &e));
    }
    if fatal(cx.is_frozen(&sender))? {
        return Ok(failed(tx, &MarketError::Frozen(sender)));
    }
    let Some(next) = expected.checked_add(1) else {
        return Ok(failed(tx, &MarketError::Overflow));
    };
    cx.begin();
    let outcome = match &tx.body.payload {
        Payload::Market(m) => market::apply(cx, &sender, m),
        Payload::Anchor { label, .. } if label.len() <= 256 => Ok(()),
        Payload::Anchor { .. } => Err(Fail::Tx(MarketError::Invalid {
            field: "label",
            reason: "at most 256 bytes".into(),
        })),
        #[allow(unreachable_patterns)] // Payload is non_exhaustive; later payloads (EVM)
        _ => Err(Fail::Tx(MarketError::Unsupported)),
    };
    match outcome {
        Ok(()) => {
            cx.set_nonce(&sender, next);
            let cost = tx_cost(cx);
            let mut events: Vec<Event> = cx.commit().iter().map(to_event).collect();
            if let Payload::Anchor { digest, .. } = &tx.body.payload {
                events.push(Event {
                    source: LEDGER_SOURCE.to_string(),
                    topics: vec![event_topic("anchored"), *digest],
                    data: Vec::new(),
                });
            }
            Ok(Receipt {
                tx: tx.hash(),
                status: TxStatus::Success,
                events,
                cost,
            })
        }
        Err(Fail::Tx(e)) => {
            cx.rollback();
            cx.begin();
            cx.set_nonce(&sender, next);
            let mut r = failed(tx, &e);
            r.cost = tx_cost(cx);
            cx.commit();
            Ok(r)
        }
        Err(Fail::Fatal(e)) => Err(e),
    }
}

/// What a write set costs (keys and bytes written).
pub(crate) fn cost(w: &WriteSet) -> Cost {
    let mut c = Cost::default();
    for (k, v) in w.iter() {
        c.keys_written = c.keys_written.saturating_add(1);
        let n = k.len() + v.map_or(0, <[u8]>::len);
        c.bytes_written = c.bytes_written.saturating_add(n as u64);
    }
    c
}

fn tx_cost(cx: &mut Ctx) -> Cost {
    let (keys, bytes_written) = cx.tx_cost();
    Cost {
        keys_written: u32::try_from(keys).unwrap_or(u32::MAX),
        bytes_written,
        ..Cost::default()
    }
}
