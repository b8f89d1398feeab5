//! Runs the crate's walk-throughs as tests, so the examples a user learns
//! from never silently break.

#[path = "../examples/market_tour.rs"]
mod market_tour;

#[test]
fn the_market_tour_runs_a_whole_compliance_period() {
    market_tour::main().expect("the market tour completes");
}
