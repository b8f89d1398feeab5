//! Revert reasons and logs: what a receipt says about an EVM transaction.

use revm::primitives::{Log, U256};

use super::precompile::{MARKET_OPS, MarketJournal, marker_topic};
use crate::hash::Hash32;
use crate::receipt::Event;

/// Selector of `Error(string)`.
const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
/// Selector of `Panic(uint256)`.
const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];
/// Longest reason kept in a receipt (bytes).
pub const MAX_REASON_BYTES: usize = 1024;

/// ABI-encodes `Error(msg)`, the way Solidity's `revert("...")` does.
pub fn encode_revert(msg: &str) -> Vec<u8> {
    let b = msg.as_bytes();
    let mut out = ERROR_SELECTOR.to_vec();
    out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(b.len()).to_be_bytes::<32>());
    out.extend_from_slice(b);
    out.resize(4 + 64 + b.len().div_ceil(32) * 32, 0);
    out
}

fn panic_meaning(code: u64) -> &'static str {
    match code {
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow or underflow",
        0x12 => "division or modulo by zero",
        0x21 => "invalid enum value",
        0x22 => "invalid storage byte array",
        0x31 => "pop on an empty array",
        0x32 => "array index out of bounds",
        0x41 => "out of memory",
        0x51 => "call to an uninitialised function",
        _ => "unknown panic code",
    }
}

fn word(b: &[u8], at: usize) -> Option<U256> {
    b.get(at..at.checked_add(32)?).map(U256::from_be_slice)
}

fn error_string(body: &[u8]) -> Option<String> {
    let off = usize::try_from(word(body, 0)?).ok()?;
    let len = usize::try_from(word(body, off)?).ok()?;
    let start = off.checked_add(32)?;
    let bytes = body.get(start..start.checked_add(len)?)?;
    let cut = &bytes[..bytes.len().min(MAX_REASON_BYTES)];
    Some(String::from_utf8_lossy(cut).into_owned())
}

/// A readable revert reason from a contract's revert data: the message of
/// `Error(string)`, the meaning of `Panic(uint256)`, or the data in hex.
/// Never panics on malformed data; bounded to [`MAX_REASON_BYTES`].
pub fn decode_revert(output: &[u8]) -> String {
    if output.is_empty() {
        return "reverted without a reason".into();
    }
    if let Some(body) = output.strip_prefix(&ERROR_SELECTOR)
        && let Some(s) = error_string(body)
    {
        return s;
    }
    if let Some(body) = output.strip_prefix(&PANIC_SELECTOR)
        && body.len() == 32
    {
        let code = U256::from_be_slice(body);
        let c = u64::try_from(code).unwrap_or(u64::MAX);
        return format!("panic 0x{c:02x}: {}", panic_meaning(c));
    }
    let shown = &output[..output.len().min(MAX_REASON_BYTES / 2)];
    format!("reverted with data 0x{}", hex::encode(shown))
}

/// The receipt events of a successful transaction's logs, in order: a
/// market operation's marker becomes that operation's market events;
/// any other log becomes an event with the contract's address as source.
pub(crate) fn receipt_events(logs: &[Log], market: &MarketJournal) -> Vec<Event> {
    let mut out = Vec::with_capacity(logs.len());
    let marker = marker_topic();
    for log in logs {
        if log.address == MARKET_OPS && log.data.topics().first() == Some(&marker) {
            let seq = U256::from_be_slice(&log.data.data);
            for e in market.events_of(seq).unwrap_or_default() {
                out.push(crate::exec::to_event(e));
            }
            continue;
        }
        out.push(Event {
            source: super::log_source(&log.address.0.0),
            topics: log.data.topics().iter().map(|t| Hash32(t.0)).collect(),
            data: log.data.data.to_vec(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_strings_round_trip() {
        assert_eq!(decode_revert(&encode_revert("not enough")), "not enough");
        assert_eq!(decode_revert(&encode_revert("")), "");
    }

    #[test]
    fn panics_decode_to_their_meaning() {
        let mut p = PANIC_SELECTOR.to_vec();
        p.extend_from_slice(&U256::from(0x11).to_be_bytes::<32>());
        assert_eq!(
            decode_revert(&p),
            "panic 0x11: arithmetic overflow or underflow"
        );
    }

    #[test]
    fn malformed_revert_data_is_shown_in_hex_without_panicking() {
        assert_eq!(decode_revert(&[]), "reverted without a reason");
        let mut bad = ERROR_SELECTOR.to_vec();
        bad.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
        assert!(decode_revert(&bad).starts_with("reverted with data 0x08c379a0"));
        assert_eq!(decode_revert(&[1, 2]), "reverted with data 0x0102");
        let mut long = ERROR_SELECTOR.to_vec();
        long.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        long.extend_from_slice(&U256::from(5000).to_be_bytes::<32>());
        long.extend(std::iter::repeat_n(b'a', 5000));
        assert_eq!(decode_revert(&long).len(), MAX_REASON_BYTES);
    }
}
