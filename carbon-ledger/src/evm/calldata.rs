//! Building calldata for contracts (Solidity ABI, head/tail encoding) —
//! for clients, tests and benches that call contracts without an ABI
//! library.
//!
//! ```
//! use carbon_ledger::evm::calldata::{Arg, call};
//! let data = call("transfer(address,uint256)", &[Arg::address([1; 20]), Arg::uint(5)]);
//! assert_eq!(&data[..4], &[0xa9, 0x05, 0x9c, 0xbb]);
//! assert_eq!(data.len(), 4 + 64);
//! ```

use revm::primitives::{U256, keccak256};

/// One argument: a static 32-byte word, or dynamic `bytes`/`string`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A static value (uintN, intN, address, bool, bytesN), as its word.
    Word([u8; 32]),
    /// `bytes` or `string` contents.
    Bytes(Vec<u8>),
}

impl Arg {
    /// A `uintN`.
    pub fn uint(v: u128) -> Self {
        Arg::Word(U256::from(v).to_be_bytes::<32>())
    }
    /// An `address`.
    pub fn address(a: [u8; 20]) -> Self {
        let mut w = [0u8; 32];
        w[12..].copy_from_slice(&a);
        Arg::Word(w)
    }
    /// A `bytes32` (e.g. a market account id).
    pub fn bytes32(b: [u8; 32]) -> Self {
        Arg::Word(b)
    }
    /// The word of a static argument (zero for a dynamic one).
    pub fn word(&self) -> [u8; 32] {
        match self {
            Arg::Word(w) => *w,
            Arg::Bytes(_) => [0; 32],
        }
    }
    /// A `string`.
    pub fn string(s: &str) -> Self {
        Arg::Bytes(s.as_bytes().to_vec())
    }
}

/// Keccak-256 (event topics are the Keccak-256 of their signature).
pub fn keccak(bytes: &[u8]) -> [u8; 32] {
    keccak256(bytes).0
}

/// The 4-byte selector of a Solidity signature such as `"f(uint256)"`.
pub fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// ABI-encodes arguments (no selector): constructor arguments to append
/// to init code.
pub fn encode(args: &[Arg]) -> Vec<u8> {
    let mut head = Vec::with_capacity(32 * args.len());
    let mut tail = Vec::new();
    for a in args {
        match a {
            Arg::Word(w) => head.extend_from_slice(w),
            Arg::Bytes(b) => {
                let off = 32 * args.len() + tail.len();
                head.extend_from_slice(&U256::from(off).to_be_bytes::<32>());
                tail.extend_from_slice(&U256::from(b.len()).to_be_bytes::<32>());
                tail.extend_from_slice(b);
                tail.resize(tail.len() + (32 - b.len() % 32) % 32, 0);
            }
        }
    }
    head.extend(tail);
    head
}

/// Selector of `signature` followed by the encoded arguments.
pub fn call(signature: &str, args: &[Arg]) -> Vec<u8> {
    let mut out = selector(signature).to_vec();
    out.extend(encode(args));
    out
}

/// The `i`-th 32-byte word of return data, if present.
pub fn word(output: &[u8], i: usize) -> Option<U256> {
    output.get(32 * i..32 * i + 32).map(U256::from_be_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_arguments_use_head_offsets_and_padded_tails() {
        let e = encode(&[Arg::string("ab"), Arg::uint(7)]);
        assert_eq!(e.len(), 32 * 4);
        assert_eq!(word(&e, 0), Some(U256::from(64)));
        assert_eq!(word(&e, 1), Some(U256::from(7)));
        assert_eq!(word(&e, 2), Some(U256::from(2)));
        assert_eq!(&e[96..98], b"ab");
    }
}
