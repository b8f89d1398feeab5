//! Subcommand groups of the `carbon` binary, one module each.

pub mod prov;
pub mod abe;
