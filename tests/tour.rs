//! Runs the README's main walk-through (`examples/tour.rs`) as a test, so the
//! command a new user runs first can never silently break.

#[path = "../examples/tour.rs"]
mod tour;

#[test]
fn the_readme_tour_runs_end_to_end() {
    tour::main().expect("the tour completes");
}
