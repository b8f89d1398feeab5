//! Typed identifiers and counters: users, objects, versions and attribute
//! epochs.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{AuthorityError, Error, Result};
use crate::policy::Attribute;

/// Longest user or object id, in bytes.
pub const MAX_ID_BYTES: usize = 128;

fn check_id(kind: &str, s: &str) -> Result<()> {
    if s.is_empty()
        || s.len() > MAX_ID_BYTES
        || s.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::Decode(crate::DecodeError::Malformed(format!(
            "{kind} id must be 1..={MAX_ID_BYTES} bytes without spaces or control characters"
        ))));
    }
    Ok(())
}

macro_rules! string_id {
    ($name:ident, $kind:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an id (1 to [`MAX_ID_BYTES`] bytes, no
            /// whitespace or control characters).
            pub fn new(s: impl Into<String>) -> Result<Self> {
                let s = s.into();
                check_id($kind, &s)?;
                Ok($name(s))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $name::new(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(UserId, "user", "A registered user (key holder).");
string_id!(
    ObjectId,
    "object",
    "An encrypted object (the envelope's subject)."
);

macro_rules! counter {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            Default,
            Serialize,
            Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The next value; an error on overflow.
            pub fn next(self) -> Result<Self> {
                self.0
                    .checked_add(1)
                    .map($name)
                    .ok_or(Error::Authority(AuthorityError::Overflow))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

counter!(
    Epoch,
    "An attribute's epoch: bumped each time the attribute is revoked from someone."
);
counter!(
    KeyVersion,
    "The version of a user's key: bumped when the user's attribute set changes."
);
counter!(
    ObjectVersion,
    "The version of an object's content (bound into the payload AEAD)."
);
counter!(
    PolicyVersion,
    "The version of an object's header: bumped by every policy update or re-encapsulation."
);

/// The public table of current attribute epochs (absent attributes are at
/// epoch 0). Ordered, so its encoding is deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EpochTable(BTreeMap<Attribute, Epoch>);

impl EpochTable {
    /// An empty table: every attribute at epoch 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current epoch of `attr`.
    pub fn get(&self, attr: &Attribute) -> Epoch {
        self.0.get(attr).copied().unwrap_or_default()
    }

    /// Advances `attr` to its next epoch and returns it.
    pub fn bump(&mut self, attr: &Attribute) -> Result<Epoch> {
        let next = self.get(attr).next()?;
        self.0.insert(attr.clone(), next);
        Ok(next)
    }

    /// The attributes with a non-zero epoch.
    pub fn iter(&self) -> impl Iterator<Item = (&Attribute, Epoch)> {
        self.0.iter().map(|(a, e)| (a, *e))
    }
}
