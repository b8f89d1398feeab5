#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod msp;
pub mod policy;

pub use error::{AuthorityError, DecodeError, Error, PolicyError, Result};
pub use msp::SpanProgram;
pub use policy::{Attribute, Policy};
