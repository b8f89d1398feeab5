// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.20;

import "./ICarbonMarket.sol";

/// An escrow for a bilateral block trade of allowances: the buyer deploys
/// it and deposits the price (value of `deposit`), the seller transfers
/// the allowances to this contract's market account; once both are in,
/// either party calls `settle`. Before that, either party may `cancel`,
/// which returns both deposits. The contract must be approved as an
/// enterprise by the regulator to hold allowances.
contract BlockTradeEscrow {
    address public immutable buyerAddr;
    address public immutable sellerAddr;
    bytes32 public immutable buyer;
    bytes32 public immutable seller;
    uint32 public immutable vintage;
    uint64 public immutable quantity;
    uint64 public immutable price;
    bool public paid;
    bool public closed;

    event Deposited(uint64 amount);
    event Settled(uint64 quantity, uint64 amount);
    event Cancelled(address by);

    constructor(address sellerAddr_, bytes32 seller_, uint32 vintage_, uint64 quantity_, uint64 price_) {
        buyerAddr = msg.sender;
        buyer = CarbonMarket.VIEW.accountOf(msg.sender);
        sellerAddr = sellerAddr_;
        seller = seller_;
        vintage = vintage_;
        quantity = quantity_;
        price = price_;
        CarbonMarket.OPS.register("block-trade-escrow");
    }

    function amount() public view returns (uint64) {
        return quantity * price;
    }

    function deposit() external payable {
        require(!closed && !paid, "escrow: closed or paid");
        require(msg.sender == buyerAddr, "escrow: only the buyer deposits");
        require(msg.value == amount(), "escrow: wrong amount");
        paid = true;
        emit Deposited(amount());
    }

    function settle() external {
        require(msg.sender == buyerAddr || msg.sender == sellerAddr, "escrow: not a party");
        require(!closed && paid, "escrow: not ready");
        require(CarbonMarket.VIEW.balanceOf(CarbonMarket.self(), 1, vintage) >= quantity, "escrow: allowances missing");
        closed = true;
        CarbonMarket.OPS.transfer(buyer, 1, vintage, quantity);
        CarbonMarket.OPS.transfer(seller, 0, 0, amount());
        emit Settled(quantity, amount());
    }

    function cancel() external {
        require(msg.sender == buyerAddr || msg.sender == sellerAddr, "escrow: not a party");
        require(!closed, "escrow: closed");
        closed = true;
        if (paid) {
            CarbonMarket.OPS.transfer(buyer, 0, 0, amount());
        }
        uint256 held = CarbonMarket.VIEW.balanceOf(CarbonMarket.self(), 1, vintage);
        if (held > 0) {
            CarbonMarket.OPS.transfer(seller, 1, vintage, uint64(held));
        }
        emit Cancelled(msg.sender);
    }
}
