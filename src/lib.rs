//! # carbon
//!
//! The root package of the Carbon workspace. It owns the runnable walk-throughs
//! in `examples/` and the criterion benches in `benches/`, and re-exports each
//! library crate under a short name so that an example can write
//! `carbon::abe::...` instead of naming every crate.
//!
//! Integrators should depend on the individual crates (`carbon-abe`,
//! `carbon-pbft`, `carbon-ledger`, `carbon-provenance`); this package is not
//! published.
#![forbid(unsafe_code)]
