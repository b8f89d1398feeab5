//! The contract sublayer: an EVM ([revm](https://docs.rs/revm)) beside the
//! market, over the same world state (issue #11; cargo feature `evm`, on
//! by default).
//!
//! - **Payloads**: [`Payload::Deploy`](crate::Payload::Deploy) and
//!   [`Payload::Call`](crate::Payload::Call), signed like every other
//!   transaction; [`crate::exec`] hands them to [`execute_tx`] after its
//!   nonce and frozen-sender checks.
//! - **Addresses** ([`address`]): an account's EVM address is the last 20
//!   bytes of its [`AccountId`](crate::AccountId) (itself `SHA-256(len ||
//!   "carbon/account/v1" || ed25519 key)`); a contract's market account is its address
//!   left-padded with 12 zero bytes. Contract addresses follow CREATE
//!   (`keccak(rlp(sender, nonce))[12..]`) and CREATE2, where an account's
//!   EVM nonce is its ledger nonce (the deploying transaction's nonce), and
//!   a contract's counts the contracts it created.
//! - **State** ([`keys`]): EVM accounts, code by Keccak hash and storage
//!   slots are ordinary state entries under `evm/`, so they are in the
//!   LtHash state root and the block's one atomic batch. The EVM reads
//!   them through [`db::StateDb`] over the block's overlay, with a
//!   per-block cache of analysed code ([`EvmBlock`]).
//! - **Native value**: EVM balances are not used (every account has
//!   balance 0 between transactions). `Call::value` is paid in platform
//!   tokens through the market (a market `Transfer` to the contract's
//!   account, every rule applying) and shows as `msg.value`; a contract
//!   that moves EVM value on fails with [`EvmError::NativeValue`].
//!   Contracts move tokens, allowances and offsets through the market
//!   precompile.
//! - **Market precompiles** ([`precompile`]): [`MARKET_VIEW`] (reads) and
//!   [`MARKET_OPS`] (operations, always for `msg.sender`); the Solidity
//!   interface is `examples/contracts/ICarbonMarket.sol`.
//! - **Gas** ([`params`]): per-transaction and per-block limits and an
//!   optional fee in tokens, regulator parameters.
//! - **Failure**: a revert or halt undoes every EVM and market effect of
//!   the transaction; its nonce and the fee are still written. Receipt
//!   codes: 30 reverted (reason decoded from
//!   `Error(string)` / `Panic(uint256)`), 31 halted (out of gas, invalid
//!   opcode, code too large ...), and [`EvmError::code`] for refusals.
//! - **EVM environment**: spec Prague; `block.timestamp` is the block time
//!   in seconds; `block.number`, `block.coinbase`, `block.prevrandao` and
//!   `blockhash` are 0 (the executor does not know the height);
//!   `block.chainid` is [`EVM_CHAIN_ID`]; gas price 0.

mod abi;
pub mod address;
pub mod calldata;
pub mod db;
mod error;
mod executor;
pub mod keys;
mod logs;
pub mod params;
pub mod precompile;
pub mod query;
mod run;

pub use address::{contract_account, evm_address, is_contract_account};
pub use db::EvmBlock;
pub use error::EvmError;
pub use executor::{EVM_SOURCE, check_payload, execute_tx};
pub use logs::{MAX_REASON_BYTES, decode_revert, encode_revert};
pub use precompile::{MARKET_OPS, MARKET_VIEW};
pub use query::{CallResult, call, code};

/// Largest init code (EIP-3860: 2 x 24,576 bytes).
pub const MAX_INIT_CODE_BYTES: usize = 49_152;
/// Largest deployed code (EIP-170).
pub const MAX_CODE_BYTES: usize = 24_576;
/// Largest calldata of a call (bytes).
pub const MAX_CALLDATA_BYTES: usize = 64 * 1024;
/// `block.chainid` inside the EVM.
pub const EVM_CHAIN_ID: u64 = 0xca4b0;
/// The fork whose rules the EVM follows.
pub const SPEC: revm::primitives::hardfork::SpecId = revm::primitives::hardfork::SpecId::PRAGUE;

/// Receipt code of a reverted transaction.
pub const CODE_REVERTED: u32 = 30;
/// Receipt code of a halted transaction (out of gas, invalid opcode ...).
pub const CODE_HALTED: u32 = 31;
/// Source name of receipt events that are EVM logs is the emitting
/// contract's address as `0x` + 40 hex digits; market events caused by a
/// contract keep [`crate::exec::MARKET_SOURCE`].
pub fn log_source(addr: &[u8; 20]) -> String {
    format!("0x{}", hex::encode(addr))
}
