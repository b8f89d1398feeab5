//! EVM addresses of ledger accounts, and ledger accounts of contracts.
//!
//! - A ledger account ([`AccountId`], `SHA-256(len || "carbon/account/v1"
//!   || ed25519 public key)`) acts in the EVM from the address made of the
//!   **last 20 bytes** of its id ([`evm_address`]). The ed25519 key never
//!   enters the EVM; the 20 bytes only name the account there. Finding a
//!   second key with the same address costs ~2^80 hash evaluations, the
//!   same margin as Ethereum's own addresses.
//! - A contract (or any address that is not the transaction's signer) acts
//!   in the market as the account whose id is its 20-byte address
//!   **left-padded with 12 zero bytes** ([`contract_account`]), i.e.
//!   `bytes32(uint256(uint160(addr)))` in Solidity. No key hashes to an id
//!   with 12 leading zero bytes except with probability 2^-96, so the two
//!   kinds never collide in practice.

use revm::primitives::Address;

use crate::types::{AccountId, PublicKey};

/// The EVM address of a ledger account: the last 20 bytes of its id.
pub fn evm_address(account: &AccountId) -> Address {
    Address::from_slice(&account.0[12..])
}

/// The EVM address of the account of an ed25519 key.
pub fn key_address(key: &PublicKey) -> Address {
    evm_address(&key.account())
}

/// The market account of a contract: its address left-padded with zeros.
pub fn contract_account(addr: &Address) -> AccountId {
    let mut id = [0u8; 32];
    id[12..].copy_from_slice(addr.as_slice());
    AccountId(id)
}

/// The CREATE address of a contract deployed by `deployer` at EVM nonce
/// `nonce`: `keccak256(rlp([deployer, nonce]))[12..]`.
pub fn create_address(deployer: &Address, nonce: u64) -> Address {
    deployer.create(nonce)
}

/// Whether `account` has the contract form (12 leading zero bytes).
pub fn is_contract_account(account: &AccountId) -> bool {
    account.0[..12].iter().all(|b| *b == 0)
}

/// The market account acting for `msg.sender` = `caller` in a transaction
/// signed by `origin`: the signer's own account when the caller is the
/// signer's address, else the caller's contract account.
pub fn actor_of(caller: &Address, origin: &AccountId) -> AccountId {
    if *caller == evm_address(origin) {
        *origin
    } else {
        contract_account(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accounts_address_is_the_last_20_bytes_of_its_id() {
        let id = AccountId([7; 32]);
        assert_eq!(evm_address(&id).as_slice(), &[7; 20]);
    }

    #[test]
    fn contract_accounts_round_trip_through_their_address() {
        let a = Address::from_slice(&[9; 20]);
        let id = contract_account(&a);
        assert!(is_contract_account(&id));
        assert_eq!(evm_address(&id), a);
        assert!(!is_contract_account(&AccountId([1; 32])));
    }

    #[test]
    fn the_actor_is_the_signer_only_for_the_signers_own_address() {
        let origin = AccountId([5; 32]);
        assert_eq!(actor_of(&evm_address(&origin), &origin), origin);
        let c = Address::from_slice(&[3; 20]);
        assert_eq!(actor_of(&c, &origin), contract_account(&c));
    }
}
