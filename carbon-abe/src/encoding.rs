//! Encodings of public artefacts.
//!
//! Binary: `b"CABE"`, a kind byte, a format-version byte, then the artefact
//! in `bcs` with every group element as its compressed ark-serialize bytes.
//! JSON: the same structure through serde, group elements and byte strings
//! as base64. Both decoders bound the input size, check every point (on the
//! curve and in the prime-order subgroup, `Validate::Yes`) and reject
//! trailing bytes.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{DecodeError, Error, Result};

/// The binary format version this crate writes and reads.
pub const FORMAT_VERSION: u8 = 1;
const MAGIC: &[u8; 4] = b"CABE";
const POINT_ERROR: &str = "invalid group element";

/// Which artefact a binary encoding holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A [`crate::PublicKey`].
    PublicKey = 1,
    /// A [`crate::UserKey`].
    UserKey = 2,
    /// A [`crate::Header`].
    Header = 3,
    /// A [`crate::Envelope`].
    Envelope = 4,
    /// A [`crate::update::PolicyUpdate`].
    PolicyUpdate = 5,
    /// A [`crate::revocation::ComponentUpdate`].
    ComponentUpdate = 6,
    /// The authority's persisted state.
    AuthorityState = 7,
    /// A [`crate::authority::KeyRequest`].
    KeyRequest = 8,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::PublicKey => "public key",
            Kind::UserKey => "user key",
            Kind::Header => "header",
            Kind::Envelope => "envelope",
            Kind::PolicyUpdate => "policy update",
            Kind::ComponentUpdate => "component update",
            Kind::AuthorityState => "authority state",
            Kind::KeyRequest => "key request",
        }
    }
}

/// Largest binary or JSON artefact accepted by the decoders (64 MiB).
pub const MAX_ARTEFACT_BYTES: usize = 64 * 1024 * 1024;

pub(crate) fn to_binary<T: Serialize>(kind: Kind, value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(MAGIC);
    out.push(kind as u8);
    out.push(FORMAT_VERSION);
    // bcs fails only on maps with non-canonical keys or nesting over 500
    // levels; our artefacts have neither.
    out.extend(bcs::to_bytes(value).expect("artefacts are bcs-serialisable"));
    out
}

pub(crate) fn from_binary<T: DeserializeOwned>(kind: Kind, bytes: &[u8]) -> Result<T> {
    if bytes.len() > MAX_ARTEFACT_BYTES {
        return Err(DecodeError::TooLarge {
            what: kind.name(),
            limit: MAX_ARTEFACT_BYTES,
        }
        .into());
    }
    if bytes.len() < 6 {
        return Err(DecodeError::Truncated.into());
    }
    if &bytes[..4] != MAGIC || bytes[4] != kind as u8 {
        return Err(DecodeError::WrongKind {
            expected: kind.name(),
        }
        .into());
    }
    if bytes[5] != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion(bytes[5]).into());
    }
    bcs::from_bytes(&bytes[6..]).map_err(|e| {
        Error::Decode(match e {
            bcs::Error::Eof => DecodeError::Truncated,
            bcs::Error::RemainingInput => DecodeError::TrailingBytes,
            other => classify(other.to_string()),
        })
    })
}

fn classify(message: String) -> DecodeError {
    if message.contains(POINT_ERROR) {
        DecodeError::InvalidPoint
    } else {
        DecodeError::Malformed(message)
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // Serialising our own types to JSON cannot fail: no non-string map keys.
    serde_json::to_string_pretty(value).expect("artefacts are JSON-serialisable")
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T> {
    if text.len() > MAX_ARTEFACT_BYTES {
        return Err(DecodeError::TooLarge {
            what,
            limit: MAX_ARTEFACT_BYTES,
        }
        .into());
    }
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        Error::Decode(if message.contains(POINT_ERROR) {
            DecodeError::InvalidPoint
        } else {
            DecodeError::Json(message)
        })
    })
}

/// A group element (or any ark-serialize value) that serialises compressed:
/// raw bytes in binary formats, base64 in JSON. Deserialising validates it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Pt<T>(pub T);

impl<T: CanonicalSerialize> Serialize for Pt<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(self.0.compressed_size());
        self.0
            .serialize_compressed(&mut bytes)
            .map_err(|e| serde::ser::Error::custom(e.to_string()))?;
        if s.is_human_readable() {
            s.serialize_str(&B64.encode(&bytes))
        } else {
            s.serialize_bytes(&bytes)
        }
    }
}

impl<'de, T: CanonicalDeserialize> Deserialize<'de> for Pt<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let bytes = if d.is_human_readable() {
            let text = String::deserialize(d)?;
            B64.decode(text.as_bytes())
                .map_err(serde::de::Error::custom)?
        } else {
            Vec::<u8>::deserialize(d)?
        };
        let mut slice = bytes.as_slice();
        let value = T::deserialize_with_mode(&mut slice, Compress::Yes, Validate::Yes)
            .map_err(|_| serde::de::Error::custom(POINT_ERROR))?;
        if !slice.is_empty() {
            return Err(serde::de::Error::custom(POINT_ERROR));
        }
        Ok(Pt(value))
    }
}

/// Byte strings: raw in binary formats, base64 in JSON.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&B64.encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            B64.decode(text.as_bytes())
                .map(Bytes)
                .map_err(serde::de::Error::custom)
        } else {
            Vec::<u8>::deserialize(d).map(Bytes)
        }
    }
}

/// Fixed-size byte arrays (nonces, keys, signatures): raw in binary
/// formats, base64 in JSON; the length is checked on decode.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fixed<const N: usize>(pub [u8; N]);

impl<const N: usize> std::fmt::Debug for Fixed<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", hex::encode(self.0))
    }
}

impl<const N: usize> Serialize for Fixed<N> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        Bytes(self.0.to_vec()).serialize(s)
    }
}

impl<'de, const N: usize> Deserialize<'de> for Fixed<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let bytes = Bytes::deserialize(d)?.0;
        let array: [u8; N] = bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes")))?;
        Ok(Fixed(array))
    }
}

/// Binary and JSON encodings for an artefact type.
pub trait Artefact: Serialize + DeserializeOwned {
    /// The binary kind tag.
    const KIND: Kind;

    /// The versioned binary encoding.
    fn to_bytes(&self) -> Vec<u8> {
        to_binary(Self::KIND, self)
    }

    /// Decodes and validates the binary encoding.
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        from_binary(Self::KIND, bytes)
    }

    /// The JSON encoding (points and bytes in base64).
    fn to_json(&self) -> String {
        to_json(self)
    }

    /// Decodes and validates the JSON encoding.
    fn from_json(text: &str) -> Result<Self> {
        from_json(Self::KIND.name(), text)
    }
}
