//! Runs the crate's walk-throughs as tests, so the examples a user learns
//! from never silently break.

#[path = "../examples/market_tour.rs"]
mod market_tour;

#[test]
fn the_market_tour_runs_a_whole_compliance_period() {
    market_tour::main().expect("the market tour completes");
}

#[cfg(feature = "evm")]
#[path = "../examples/contracts_tour.rs"]
mod contracts_tour;

#[cfg(feature = "evm")]
#[test]
fn the_contracts_tour_settles_a_forward_through_the_market() {
    contracts_tour::main().expect("the contracts tour completes");
}
