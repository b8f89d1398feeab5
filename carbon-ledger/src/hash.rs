//! SHA-256 digests, domain-tagged hashing, and 32-byte identifier newtypes.
//!
//! Every hash the ledger computes over structured data is *tagged*:
//! `SHA-256(len(tag) as u8 || tag || data)`, with a distinct tag per purpose
//! (see [`tags`]), so a transaction can never be mistaken for a header or a
//! receipt with the same bytes. Merkle trees use RFC 6962's own one-byte
//! prefixes instead (see [`crate::merkle`]); blob digests are plain SHA-256 so
//! they equal what any external tool computes over the file.

use sha2::{Digest, Sha256};

/// Domain tags, one per hashed or signed structure. Never reuse a tag.
pub mod tags {
    /// Transaction signing message: tag || bcs(TxBody).
    pub const TX_SIGN: &[u8] = b"carbon/tx/sign/v1";
    /// Transaction id: tag || bcs(Transaction).
    pub const TX_ID: &[u8] = b"carbon/tx/id/v1";
    /// Block id: tag || bcs(BlockHeader).
    pub const BLOCK: &[u8] = b"carbon/block/v1";
    /// Receipt leaf: tag || bcs(Receipt).
    pub const RECEIPT: &[u8] = b"carbon/receipt/v1";
    /// Account id: tag || ed25519 public key (32 bytes).
    pub const ACCOUNT: &[u8] = b"carbon/account/v1";
    /// Genesis configuration digest: tag || bcs(GenesisConfig).
    pub const GENESIS: &[u8] = b"carbon/genesis/v1";
    /// State entry seed: tag || uleb(len key) || key || value.
    pub const STATE_ENTRY: &[u8] = b"carbon/state/entry/v1";
    /// State root: tag || LtHash lanes (little endian).
    pub const STATE_ROOT: &[u8] = b"carbon/state/root/v1";
}

/// Defines a 32-byte newtype with hex Display/Debug/FromStr, and serde that is
/// a hex string for humans (JSON) and 32 raw bytes for the binary codec.
macro_rules! bytes32 {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; 32]);

        /// Feeds the hasher the 32 bytes as two 128-bit words (equal
        /// values hash equally, as `Eq` requires): all of them, because
        /// ids can be chosen (a transfer names any 32 bytes as its
        /// recipient), and ids sharing the hashed bytes would share a
        /// bucket whatever the hasher's seed. Two words are several
        /// times cheaper to hash than 32 bytes through the slice path,
        /// which the market's per-block caches do tens of times per order.
        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                let (lo, hi) = self.0.split_at(16);
                let word = |b: &[u8]| {
                    let mut w = [0u8; 16];
                    w.copy_from_slice(b);
                    u128::from_le_bytes(w)
                };
                state.write_u128(word(lo));
                state.write_u128(word(hi));
            }
        }

        impl $name {
            /// All zero bytes.
            pub const ZERO: Self = Self([0u8; 32]);
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
            /// Lower-case hex, 64 characters.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            /// Parses 64 hex characters (an optional `0x` prefix is allowed).
            pub fn from_hex(s: &str) -> Option<Self> {
                let s = s.strip_prefix("0x").unwrap_or(s);
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).ok()?;
                Some(Self(out))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), &self.to_hex()[..16])
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::from_hex(s).ok_or_else(|| format!("expected 64 hex characters, got {s:?}"))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&self.to_hex())
                } else {
                    self.0.serialize(s)
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    s.parse().map_err(serde::de::Error::custom)
                } else {
                    <[u8; 32]>::deserialize(d).map(Self)
                }
            }
        }
    };
}
pub(crate) use bytes32;

bytes32!(
    /// A SHA-256 digest (roots, blob addresses, event topics).
    Hash32
);

impl Hash32 {
    /// Plain SHA-256 of `data` (used for blob addresses).
    pub fn digest(data: &[u8]) -> Self {
        Self(Sha256::digest(data).into())
    }

    /// Domain-tagged SHA-256: `SHA-256(len(tag) || tag || parts...)`.
    pub fn tagged(tag: &[u8], parts: &[&[u8]]) -> Self {
        debug_assert!(tag.len() < 256, "tags are short constants");
        let mut h = Sha256::new();
        h.update([tag.len() as u8]);
        h.update(tag);
        for p in parts {
            h.update(p);
        }
        Self(h.finalize().into())
    }
}
