//! The canonical binary codec: BCS (Binary Canonical Serialization).
//!
//! BCS gives every value exactly one encoding: fixed-width little-endian
//! integers, ULEB128 lengths that must be minimal, enum variants by index,
//! no floats in our types, and maps only with sorted unique keys (we use
//! none in hashed data). Its decoder rejects non-canonical lengths and
//! trailing bytes and bounds container depth. We add a size limit per kind
//! of value so that untrusted input cannot make us allocate without bound.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::DecodeError;

/// Maximum nesting depth accepted from untrusted bytes.
pub const MAX_DEPTH: usize = 32;

/// Encodes a value canonically.
///
/// Encoding our own types cannot fail: they contain no maps with
/// non-string keys of unsupported kinds and no sequences longer than 2^31.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    bcs::to_bytes(value)
        .expect("invariant: ledger types are BCS-encodable (no unsupported shapes, lengths < 2^31)")
}

/// Decodes untrusted bytes of at most `max_len`, rejecting trailing bytes,
/// non-canonical lengths and nesting deeper than [`MAX_DEPTH`].
pub fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    max_len: usize,
    what: &'static str,
) -> Result<T, DecodeError> {
    if bytes.len() > max_len {
        return Err(DecodeError::TooLarge {
            what,
            len: bytes.len(),
            max: max_len,
        });
    }
    bcs::from_bytes_with_limit(bytes, MAX_DEPTH).map_err(|e| map_bcs(e, what))
}

fn map_bcs(e: bcs::Error, what: &'static str) -> DecodeError {
    match e {
        bcs::Error::Eof => DecodeError::Truncated { what },
        bcs::Error::RemainingInput => DecodeError::TrailingBytes { what },
        bcs::Error::NonCanonicalUleb128Encoding
        | bcs::Error::NonCanonicalMap
        | bcs::Error::IntegerOverflowDuringUleb128Decoding => DecodeError::NonCanonical { what },
        other => DecodeError::Malformed {
            what,
            reason: other.to_string(),
        },
    }
}
