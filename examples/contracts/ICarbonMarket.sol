// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.20;

/// The carbon market as precompiled contracts (carbon-ledger, issue #11).
///
/// Accounts are bytes32 market account ids. A contract's own account is
/// bytes32(uint256(uint160(address(this)))); a key holder's is
/// SHA-256(len || "carbon/account/v1" || ed25519 key) and its EVM address
/// is the last 20 bytes of it.
///
/// Assets are (kind, vintage): kind 0 = platform token (fen), 1 = allowances
/// of compliance period `vintage`, 2 = offsets. Instruments: kinds 1 and 2.
/// Sides: 0 = buy, 1 = sell.

/// Reads, at 0x0000000000000000000000000000000000ca4b01.
interface ICarbonMarketView {
    function balanceOf(bytes32 account, uint8 kind, uint32 vintage) external view returns (uint256);
    function escrowOf(bytes32 account, uint8 kind, uint32 vintage) external view returns (uint256);
    /// The market account acting for `who`: the transaction's signer for
    /// the signer's own address, else the contract form of `who`.
    function accountOf(address who) external view returns (bytes32);
    /// Last trade price (fen/t), 0 before any trade.
    function lastPrice(uint8 kind, uint32 vintage) external view returns (uint256);
    /// Best bid: price and open quantity at it (0, 0 if none).
    function bestBid(uint8 kind, uint32 vintage) external view returns (uint256 price, uint256 quantity);
    /// Best ask: price and open quantity at it (0, 0 if none).
    function bestAsk(uint8 kind, uint32 vintage) external view returns (uint256 price, uint256 quantity);
    /// The open compliance period containing the block time, if any (times in ms).
    function currentPeriod() external view returns (bool found, uint32 id, uint64 start, uint64 end);
    /// Credit score in basis points.
    function creditScore(bytes32 account) external view returns (uint256);
}

/// Operations, at 0x0000000000000000000000000000000000ca4b02. Each acts for
/// msg.sender (never tx.origin) under every market rule, and reverts with
/// the market's error otherwise. Not callable by delegatecall or in a static call.
interface ICarbonMarketOps {
    /// Registers msg.sender's account under `name` (UTF-8, zero-padded).
    function register(bytes32 name) external returns (bool);
    function transfer(bytes32 to, uint8 kind, uint32 vintage, uint64 amount) external returns (bool);
    /// Returns the resting order's id, 0 if it filled completely.
    function placeOrder(uint8 kind, uint32 vintage, uint8 side, uint64 quantity, uint64 price) external returns (uint256);
    function cancelOrder(uint64 orderId) external returns (bool);
}

library CarbonMarket {
    ICarbonMarketView internal constant VIEW = ICarbonMarketView(0x0000000000000000000000000000000000Ca4B01);
    ICarbonMarketOps internal constant OPS = ICarbonMarketOps(0x0000000000000000000000000000000000CA4B02);

    /// This contract's own market account.
    function self() internal view returns (bytes32) {
        return bytes32(uint256(uint160(address(this))));
    }
}
