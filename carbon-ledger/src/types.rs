//! Typed identifiers and scalars: heights, nonces, accounts, keys, chain ids.

use serde::{Deserialize, Serialize};

use crate::error::TxError;
use crate::hash::{Hash32, bytes32, tags};

macro_rules! scalar {
    ($(#[$m:meta])* $name:ident($t:ty)) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $t);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use scalar;

scalar!(
    /// Block height; genesis is 0.
    Height(u64)
);
scalar!(
    /// Per-account transaction sequence number.
    Nonce(u64)
);
scalar!(
    /// Consensus view (PBFT) in which a block was committed.
    View(u64)
);
scalar!(
    /// Milliseconds since the Unix epoch, as agreed by consensus.
    TimestampMs(u64)
);
scalar!(
    /// Position of a transaction within its block.
    TxIndex(u32)
);

impl Height {
    /// The next height, or `None` at `u64::MAX`.
    pub fn next(self) -> Option<Height> {
        self.0.checked_add(1).map(Height)
    }
}

bytes32!(
    /// An account: `SHA-256(len || "carbon/account/v1" || ed25519 public key)`.
    /// Issue #11 derives the 20-byte EVM address from its last 20 bytes.
    AccountId
);
bytes32!(
    /// A block's id: the tagged hash of its header.
    BlockHash
);
bytes32!(
    /// A transaction's id: the tagged hash of the whole signed transaction.
    TxHash
);
bytes32!(
    /// An ed25519 public key (compressed Edwards point).
    PublicKey
);

impl PublicKey {
    /// The account this key controls.
    pub fn account(&self) -> AccountId {
        AccountId(Hash32::tagged(tags::ACCOUNT, &[&self.0]).0)
    }

    /// The key as a verifying key; fails on bytes that are not a point.
    pub fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, TxError> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).map_err(|_| TxError::BadPublicKey)
    }
}

impl From<&ed25519_dalek::VerifyingKey> for PublicKey {
    fn from(k: &ed25519_dalek::VerifyingKey) -> Self {
        PublicKey(k.to_bytes())
    }
}

/// An ed25519 signature (64 bytes): hex in JSON, 64 raw bytes in BCS.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({}..)", hex::encode(&self.0[..8]))
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(self.0))
        } else {
            use serde::ser::SerializeTuple;
            let mut t = s.serialize_tuple(64)?;
            for b in &self.0 {
                t.serialize_element(b)?;
            }
            t.end()
        }
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            let mut out = [0u8; 64];
            hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
            Ok(Signature(out))
        } else {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Signature;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("64 signature bytes")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut a: A,
                ) -> Result<Signature, A::Error> {
                    let mut out = [0u8; 64];
                    for (i, b) in out.iter_mut().enumerate() {
                        *b = a
                            .next_element()?
                            .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                    }
                    Ok(Signature(out))
                }
            }
            d.deserialize_tuple(64, V)
        }
    }
}

/// The network's name, signed into every transaction and header so that
/// nothing replays across networks: 1-64 characters of `[a-z0-9._-]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChainId(String);

impl ChainId {
    /// Validates and wraps a chain id.
    pub fn new(s: impl Into<String>) -> Result<Self, TxError> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(ChainId(s))
        } else {
            Err(TxError::BadChainId(s))
        }
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChainId {
    type Error = TxError;
    fn try_from(s: String) -> Result<Self, TxError> {
        ChainId::new(s)
    }
}

impl From<ChainId> for String {
    fn from(c: ChainId) -> String {
        c.0
    }
}

impl std::fmt::Display for ChainId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
