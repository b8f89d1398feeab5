// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.20;

import "./ICarbonMarket.sol";

/// A test contract (used by carbon-ledger's tests): tries what a hostile or
/// careless contract might do with the market contracts.
contract MarketProbe {
    uint256 public counter;

    event Poked(uint256 counter);

    function register(bytes32 name) external {
        CarbonMarket.OPS.register(name);
    }

    /// Moves `amount` of `kind`/`vintage` from this contract's account (the
    /// only account it can act for) to `to`.
    function send(bytes32 to, uint8 kind, uint32 vintage, uint64 amount) external {
        CarbonMarket.OPS.transfer(to, kind, vintage, amount);
    }

    /// Tries to act for its caller through delegatecall (refused).
    function delegateSend(bytes32 to, uint8 kind, uint32 vintage, uint64 amount) external returns (bool ok, bytes memory out) {
        (ok, out) = address(CarbonMarket.OPS).delegatecall(
            abi.encodeCall(ICarbonMarketOps.transfer, (to, kind, vintage, amount))
        );
        require(ok, "delegatecall refused");
    }

    /// A market transfer and a storage write, then a revert.
    function sendThenRevert(bytes32 to, uint8 kind, uint32 vintage, uint64 amount) external {
        counter += 1;
        CarbonMarket.OPS.transfer(to, kind, vintage, amount);
        revert("probe: changed my mind");
    }

    /// Calls `sendThenRevert` in an inner frame and goes on when it fails;
    /// then makes a transfer of its own that stands.
    function innerRevert(bytes32 to, uint8 kind, uint32 vintage, uint64 amount) external {
        try this.sendThenRevert(to, kind, vintage, amount) {
            revert("probe: inner call should have reverted");
        } catch {}
        counter += 10;
        CarbonMarket.OPS.transfer(to, kind, vintage, amount);
        emit Poked(counter);
    }

    function poke() external {
        counter += 1;
        emit Poked(counter);
    }

    /// Accepts a value (paid in platform tokens through the market).
    function pay() external payable {
        emit Poked(msg.value);
    }

    /// Tries to pass the value on inside the EVM (refused by the ledger).
    function payOn(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "probe: value not passed on");
    }

    function burn() external {
        while (true) {
            counter += 1;
        }
    }

    function overflow() external view returns (uint256) {
        return counter - 1 - type(uint256).max;
    }

    function balance(bytes32 who, uint8 kind, uint32 vintage) external view returns (uint256) {
        return CarbonMarket.VIEW.balanceOf(who, kind, vintage);
    }
}
