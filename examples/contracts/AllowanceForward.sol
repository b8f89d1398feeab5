// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.20;

import "./ICarbonMarket.sol";

/// A forward on carbon allowances. The buyer deploys it and locks the
/// payment (platform tokens, sent as the value of `fund`); the seller must
/// deliver `quantity` allowances of `vintage` to this contract's market
/// account by `deadline` (block time, seconds). Then anyone may call
/// `settle` (allowances to the buyer, payment to the seller) or, after the
/// deadline, `refund` (payment back to the buyer, any allowances back to
/// the seller). The contract's account must be registered (done in the
/// constructor) and approved as an enterprise by the regulator to hold
/// allowances: every market rule applies to it.
contract AllowanceForward {
    bytes32 public immutable buyer;
    bytes32 public immutable seller;
    uint32 public immutable vintage;
    uint64 public immutable quantity;
    uint64 public immutable payment;
    uint64 public immutable deadline;
    enum State { Open, Funded, Settled, Refunded }
    State public state;

    event Funded(uint64 payment);
    event Settled(uint64 quantity, uint64 payment);
    event Refunded(uint64 payment, uint256 allowancesReturned);

    constructor(bytes32 seller_, uint32 vintage_, uint64 quantity_, uint64 payment_, uint64 deadline_) {
        buyer = CarbonMarket.VIEW.accountOf(msg.sender);
        seller = seller_;
        vintage = vintage_;
        quantity = quantity_;
        payment = payment_;
        deadline = deadline_;
        CarbonMarket.OPS.register("allowance-forward");
    }

    function fund() external payable {
        require(state == State.Open, "forward: not open");
        require(CarbonMarket.VIEW.accountOf(msg.sender) == buyer, "forward: only the buyer funds");
        require(msg.value == payment, "forward: wrong payment");
        state = State.Funded;
        emit Funded(payment);
    }

    function delivered() public view returns (uint256) {
        return CarbonMarket.VIEW.balanceOf(CarbonMarket.self(), 1, vintage);
    }

    function settle() external {
        require(state == State.Funded, "forward: not funded");
        require(block.timestamp <= deadline, "forward: past the deadline");
        require(delivered() >= quantity, "forward: allowances not delivered");
        state = State.Settled;
        CarbonMarket.OPS.transfer(buyer, 1, vintage, quantity);
        CarbonMarket.OPS.transfer(seller, 0, 0, payment);
        emit Settled(quantity, payment);
    }

    function refund() external {
        require(state == State.Open || state == State.Funded, "forward: already closed");
        require(block.timestamp > deadline, "forward: before the deadline");
        bool funded = state == State.Funded;
        state = State.Refunded;
        if (funded) {
            CarbonMarket.OPS.transfer(buyer, 0, 0, payment);
        }
        uint256 got = delivered();
        if (got > 0) {
            CarbonMarket.OPS.transfer(seller, 1, vintage, uint64(got));
        }
        emit Refunded(funded ? payment : 0, got);
    }
}
