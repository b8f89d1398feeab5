//! The EVM's state layout (all under `evm/`, fixed-width binary keys):
//!
//! | key | value |
//! |---|---|
//! | `evm/a/` + address (20) | BCS [`EvmAccount`] (nonce, code hash) |
//! | `evm/c/` + Keccak-256 code hash (32) | the deployed code, raw bytes |
//! | `evm/s/` + address (20) + slot (32, big-endian) | the slot's value, 32 bytes big-endian (absent = 0) |
//!
//! EVM balances are not stored (see [`crate::evm`]). An account with nonce
//! 0 and no code is not stored (EIP-161).

use revm::primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

/// Prefix of every EVM key.
pub const PREFIX: &[u8] = b"evm/";
const ACCOUNT: &[u8] = b"evm/a/";
const CODE: &[u8] = b"evm/c/";
const SLOT: &[u8] = b"evm/s/";

/// An EVM account as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvmAccount {
    /// EVM nonce (transactions sent by an account; contracts created by a
    /// contract).
    pub nonce: u64,
    /// Keccak-256 of the code (`keccak256("")` for none).
    pub code_hash: [u8; 32],
}

/// Key of an account record.
pub fn account(a: &Address) -> Vec<u8> {
    [ACCOUNT, a.as_slice()].concat()
}

/// Key of code by hash.
pub fn code(hash: &B256) -> Vec<u8> {
    [CODE, hash.as_slice()].concat()
}

/// Prefix of every storage slot of a contract.
pub fn slots(a: &Address) -> Vec<u8> {
    [SLOT, a.as_slice()].concat()
}

/// Key of one storage slot.
pub fn slot(a: &Address, index: &U256) -> Vec<u8> {
    [SLOT, a.as_slice(), &index.to_be_bytes::<32>()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fixed_width_and_disjoint() {
        let a = Address::from_slice(&[1; 20]);
        assert_eq!(account(&a).len(), 6 + 20);
        assert_eq!(code(&B256::ZERO).len(), 6 + 32);
        let s = slot(&a, &U256::from(1));
        assert_eq!(s.len(), 6 + 52);
        assert!(s.starts_with(&slots(&a)));
        assert!(!account(&a).starts_with(&slots(&a)));
    }
}
