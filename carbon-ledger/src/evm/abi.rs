//! The market contracts' ABI: selectors, argument decoding (every word
//! range-checked, a typed [`AbiError`] for bad input) and the functions
//! themselves over market queries and [`market::apply`].
//!
//! Assets are `(uint8 kind, uint32 vintage)`: kind 0 = platform token
//! (fen), 1 = allowances of period `vintage`, 2 = offsets; instruments
//! are kinds 1 and 2. Sides: 0 = buy, 1 = sell.

use std::sync::OnceLock;

use revm::primitives::{Address, U256, keccak256};

use crate::market::{self, Asset, Ctx, Instrument, MarketEvent, MarketTx, OrderId, PeriodId, Side};
use crate::state::StateView;
use crate::types::AccountId;

/// Why calldata for a market contract is refused (the call reverts with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    /// No function with this selector (or calldata under 4 bytes).
    #[error("unknown function selector")]
    UnknownSelector,
    /// Calldata length is not 4 + 32 x arguments.
    #[error("calldata must be {want} bytes, got {got}")]
    Length {
        /// Expected length.
        want: usize,
        /// Given length.
        got: usize,
    },
    /// An argument is out of its type's range.
    #[error("argument {0} out of range")]
    Range(usize),
}

/// The functions of both market contracts, by Solidity signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    BalanceOf,
    EscrowOf,
    AccountOf,
    LastPrice,
    BestBid,
    BestAsk,
    CurrentPeriod,
    CreditScore,
    Register,
    Transfer,
    PlaceOrder,
    CancelOrder,
}

const TABLE: &[(&str, Func, usize, bool)] = &[
    // (signature, function, argument words, writes?)
    ("balanceOf(bytes32,uint8,uint32)", Func::BalanceOf, 3, false),
    ("escrowOf(bytes32,uint8,uint32)", Func::EscrowOf, 3, false),
    ("accountOf(address)", Func::AccountOf, 1, false),
    ("lastPrice(uint8,uint32)", Func::LastPrice, 2, false),
    ("bestBid(uint8,uint32)", Func::BestBid, 2, false),
    ("bestAsk(uint8,uint32)", Func::BestAsk, 2, false),
    ("currentPeriod()", Func::CurrentPeriod, 0, false),
    ("creditScore(bytes32)", Func::CreditScore, 1, false),
    ("register(bytes32)", Func::Register, 1, true),
    (
        "transfer(bytes32,uint8,uint32,uint64)",
        Func::Transfer,
        4,
        true,
    ),
    (
        "placeOrder(uint8,uint32,uint8,uint64,uint64)",
        Func::PlaceOrder,
        5,
        true,
    ),
    ("cancelOrder(uint64)", Func::CancelOrder, 1, true),
];

/// A decoded call: the function and its argument words.
pub(crate) struct Decoded {
    pub func: Func,
    pub writes: bool,
    pub args: Vec<U256>,
}

fn selectors() -> &'static [([u8; 4], usize)] {
    static S: OnceLock<Vec<([u8; 4], usize)>> = OnceLock::new();
    S.get_or_init(|| {
        TABLE
            .iter()
            .enumerate()
            .map(|(i, (sig, ..))| {
                let h = keccak256(sig.as_bytes());
                ([h[0], h[1], h[2], h[3]], i)
            })
            .collect()
    })
}

/// Decodes calldata into a function and its words.
pub(crate) fn decode(input: &[u8]) -> Result<Decoded, AbiError> {
    let sel: [u8; 4] = input
        .get(..4)
        .and_then(|s| s.try_into().ok())
        .ok_or(AbiError::UnknownSelector)?;
    let &(_, i) = selectors()
        .iter()
        .find(|(s, _)| *s == sel)
        .ok_or(AbiError::UnknownSelector)?;
    let (_, func, words, writes) = TABLE[i];
    let want = 4 + 32 * words;
    if input.len() != want {
        return Err(AbiError::Length {
            want,
            got: input.len(),
        });
    }
    let args = input[4..].chunks(32).map(U256::from_be_slice).collect();
    Ok(Decoded { func, writes, args })
}

fn small(args: &[U256], i: usize, bits: u32) -> Result<u64, AbiError> {
    let v = args[i];
    if v.bit_len() > bits as usize {
        return Err(AbiError::Range(i));
    }
    Ok(v.to::<u64>())
}

fn account(args: &[U256], i: usize) -> AccountId {
    AccountId(args[i].to_be_bytes::<32>())
}

fn asset(args: &[U256], i: usize) -> Result<Asset, AbiError> {
    let vintage = PeriodId(small(args, i + 1, 32)? as u32);
    match small(args, i, 8)? {
        0 => Ok(Asset::Token),
        1 => Ok(Asset::Allowance(vintage)),
        2 => Ok(Asset::Offset),
        _ => Err(AbiError::Range(i)),
    }
}

fn instrument(args: &[U256], i: usize) -> Result<Instrument, AbiError> {
    match asset(args, i)? {
        Asset::Allowance(p) => Ok(Instrument::Allowance(p)),
        Asset::Offset => Ok(Instrument::Offset),
        Asset::Token => Err(AbiError::Range(i)),
    }
}

/// ABI-encodes words.
pub(crate) fn words(ws: &[U256]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_be_bytes::<32>()).collect()
}

fn best(view: &dyn StateView, i: &Instrument, side: Side) -> crate::Result<Vec<u8>> {
    let top = market::query::depth(view, i, side, 1)?;
    let (p, q) = top.first().map_or((0, 0), |l| (l.price, l.quantity));
    Ok(words(&[U256::from(p), U256::from(q)]))
}

fn current_period(view: &dyn StateView, now: u64) -> crate::Result<Vec<u8>> {
    let prefix = b"mk/period/";
    let mut after: Option<Vec<u8>> = None;
    let mut found: Option<market::Period> = None;
    loop {
        let page = view.scan_prefix(prefix, after.as_deref(), 256)?;
        for (_, v) in &page {
            let p: market::Period = crate::codec::decode(v, 4096, "period")?;
            if p.start.0 <= now && now < p.end.0 && !p.closed {
                found = Some(p);
            }
        }
        match page.last() {
            Some((k, _)) if page.len() == 256 => after = Some(k.clone()),
            _ => break,
        }
    }
    Ok(match found {
        Some(p) => words(&[
            U256::from(1),
            U256::from(p.id.0),
            U256::from(p.start.0),
            U256::from(p.end.0),
        ]),
        None => words(&[U256::ZERO; 4]),
    })
}

/// Runs a read-only function. `origin` resolves `accountOf`.
pub(crate) fn read(
    view: &dyn StateView,
    d: &Decoded,
    origin: &AccountId,
    now: u64,
) -> crate::Result<Result<Vec<u8>, AbiError>> {
    let a = &d.args;
    let out = match d.func {
        Func::BalanceOf | Func::EscrowOf => {
            let asset = match asset(a, 1) {
                Ok(x) => x,
                Err(e) => return Ok(Err(e)),
            };
            let who = account(a, 0);
            let v = if d.func == Func::BalanceOf {
                market::query::balance(view, &who, &asset)?
            } else {
                market::query::escrow(view, &who, &asset)?
            };
            words(&[U256::from(v)])
        }
        Func::AccountOf => {
            let addr = Address::from_word(a[0].to_be_bytes::<32>().into());
            if a[0].bit_len() > 160 {
                return Ok(Err(AbiError::Range(0)));
            }
            let id = super::address::actor_of(&addr, origin);
            id.0.to_vec()
        }
        Func::LastPrice => match instrument(a, 0) {
            Ok(i) => words(&[U256::from(
                market::query::last_price(view, &i)?.unwrap_or(0),
            )]),
            Err(e) => return Ok(Err(e)),
        },
        Func::BestBid | Func::BestAsk => match instrument(a, 0) {
            Ok(i) => best(
                view,
                &i,
                if d.func == Func::BestBid {
                    Side::Buy
                } else {
                    Side::Sell
                },
            )?,
            Err(e) => return Ok(Err(e)),
        },
        Func::CurrentPeriod => current_period(view, now)?,
        Func::CreditScore => words(&[U256::from(
            market::query::credit(view, &account(a, 0))?.score_bps,
        )]),
        _ => return Ok(Err(AbiError::UnknownSelector)),
    };
    Ok(Ok(out))
}

/// The market operation a writing function stands for.
pub(crate) fn operation(d: &Decoded) -> Result<MarketTx, AbiError> {
    let a = &d.args;
    Ok(match d.func {
        Func::Register => {
            let raw = a[0].to_be_bytes::<32>();
            let end = raw.iter().position(|b| *b == 0).unwrap_or(32);
            let name = std::str::from_utf8(&raw[..end]).map_err(|_| AbiError::Range(0))?;
            MarketTx::Register {
                name: name.to_string(),
            }
        }
        Func::Transfer => MarketTx::Transfer {
            to: account(a, 0),
            asset: asset(a, 1)?,
            amount: small(a, 3, 64)?,
        },
        Func::PlaceOrder => MarketTx::PlaceOrder {
            instrument: instrument(a, 0)?,
            side: match small(a, 2, 8)? {
                0 => Side::Buy,
                1 => Side::Sell,
                _ => return Err(AbiError::Range(2)),
            },
            quantity: small(a, 3, 64)?,
            price: small(a, 4, 64)?,
        },
        Func::CancelOrder => MarketTx::CancelOrder {
            order: OrderId(small(a, 0, 64)?),
        },
        _ => return Err(AbiError::UnknownSelector),
    })
}

/// The return data of a successful operation: the resting order's id for
/// `placeOrder` (0 if it filled completely), else `true`.
pub(crate) fn op_output(d: &Decoded, cx: &Ctx) -> Vec<u8> {
    if d.func == Func::PlaceOrder {
        let id = cx.events.iter().find_map(|e| match e {
            MarketEvent::OrderPlaced { order, .. } => Some(order.0),
            _ => None,
        });
        return words(&[U256::from(id.unwrap_or(0))]);
    }
    words(&[U256::from(1)])
}
