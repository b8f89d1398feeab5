//! # carbon
//!
//! The root package of the Carbon workspace. It owns the runnable walk-throughs
//! in `examples/` and the criterion benches in `benches/`, and re-exports each
//! library crate under a short name so that an example can write
//! `carbon::abe::Envelope` instead of naming every crate.
//!
//! Integrators should depend on the individual crates (`carbon-abe`,
//! `carbon-pbft`, `carbon-ledger`, `carbon-provenance`): each is versioned on
//! its own and usable without the others. This package is not published.
#![forbid(unsafe_code)]

/// CP-ABE (FAME on BLS12-381): policies, hybrid envelopes, policy update,
/// revocation and the key authority.
pub use carbon_abe as abe;
/// Blocks, transactions, the sled store and the carbon market.
pub use carbon_ledger as ledger;
/// The sans-IO PBFT replica and its deterministic simulator.
pub use carbon_pbft as pbft;
/// GB/T 34945-2017 provenance records, lineage and PROV-JSON export.
pub use carbon_provenance as provenance;

pub mod fuzzing;
pub mod fuzzing_evm;
