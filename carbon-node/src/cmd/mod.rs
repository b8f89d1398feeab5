//! Subcommand groups of the `carbon` binary, one module each.

pub mod abe;
pub mod prov;
