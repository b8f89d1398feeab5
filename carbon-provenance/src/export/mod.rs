//! Exports: W3C PROV-JSON (with lossless re-import) and Graphviz DOT.

pub mod dot;
pub mod prov_json;

pub use dot::{lineage_to_dot, records_to_dot};
pub use prov_json::{import_prov_json, to_prov_json};
