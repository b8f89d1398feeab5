//! The policy language: attributes, parsing with byte positions, the
//! normalised tree and its canonical text.
//!
//! ```
//! use carbon_abe::Policy;
//! let p: Policy = "regulator or (org:acme and role:auditor)".parse().unwrap();
//! assert_eq!(p.to_string(), "regulator or (org:acme and role:auditor)");
//! let t: Policy = "2 of (a, b, \"c d\")".parse().unwrap();
//! assert_eq!(t.to_string().parse::<Policy>().unwrap(), t);
//! ```

mod lexer;
mod node;
mod parser;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

pub use node::Node;

use crate::error::{Error, PolicyError, Result};

/// Documented size limits, checked before any group operation.
pub mod limits {
    /// Longest policy text, in bytes.
    pub const MAX_POLICY_BYTES: usize = 64 * 1024;
    /// Most attributes (span-program rows) in one policy.
    pub const MAX_ATTRIBUTES: usize = 512;
    /// Most span-program columns in one policy.
    pub const MAX_COLUMNS: usize = 512;
    /// Deepest nesting of parentheses and gates.
    pub const MAX_DEPTH: usize = 64;
    /// Longest attribute name, in bytes.
    pub const MAX_ATTRIBUTE_BYTES: usize = 256;
}

/// An attribute name: 1 to [`limits::MAX_ATTRIBUTE_BYTES`] bytes of UTF-8,
/// no control characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Attribute(String);

impl Attribute {
    /// Checks and wraps an attribute name.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if name.is_empty()
            || name.len() > limits::MAX_ATTRIBUTE_BYTES
            || name.chars().any(char::is_control)
        {
            return Err(PolicyError::InvalidAttribute(name).into());
        }
        Ok(Attribute(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Attribute {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Attribute::new(s)
    }
}

impl<'de> Deserialize<'de> for Attribute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Attribute::new(s).map_err(serde::de::Error::custom)
    }
}

/// A parsed, normalised access policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    root: Node,
}

impl Policy {
    /// Parses policy text (see the grammar in the crate README).
    pub fn parse(text: &str) -> Result<Self> {
        Ok(Policy {
            root: parser::Parser::parse(text)?,
        })
    }

    /// The tree.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The attributes in span-program row order (each appears once).
    pub fn attributes(&self) -> Vec<&Attribute> {
        self.root.leaves()
    }

    /// Whether `attrs` satisfies the policy.
    pub fn is_satisfied_by<'a>(&self, attrs: impl IntoIterator<Item = &'a Attribute>) -> bool {
        let set: std::collections::BTreeSet<&Attribute> = attrs.into_iter().collect();
        self.root.is_satisfied_by(&|a| set.contains(a))
    }

    /// Whether the policy names `attr`.
    pub fn mentions(&self, attr: &Attribute) -> bool {
        self.attributes().contains(&attr)
    }

    /// SHA-256 of the canonical text, domain-separated.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"carbon-abe/policy/v1\0");
        h.update(self.to_string().as_bytes());
        h.finalize().into()
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

impl FromStr for Policy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Policy::parse(s)
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Policy::parse(&s).map_err(serde::de::Error::custom)
    }
}
