//! Canonical JSON and bounded decoding.
//!
//! Records are hashed and signed in the JSON Canonicalization Scheme of
//! RFC 8785 (JCS): object members sorted by the UTF-16 code units of their
//! names, no insignificant whitespace, the shortest string escapes, and
//! numbers in ECMAScript form. The well-kept `serde_json_canonicalizer` crate
//! implements the scheme (and is tested against the RFC's vectors); this
//! module only wraps it. The model emits integers only, each bounded by
//! [`crate::MAX_SAFE_INTEGER`] so that every JSON reader sees the same value.
//!
//! Untrusted input is measured before it is parsed: its length and its
//! nesting depth are checked by a single linear scan ([`check_bounds`]), so
//! an oversized or deeply nested document is refused without building any
//! structure from it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DecodeError, Error};
use crate::record::Record;

/// Bounds applied to untrusted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of JSON arrays and objects.
    pub max_depth: usize,
    /// Longest accepted free-text field (label, type, location, parameter),
    /// in bytes.
    pub max_text: usize,
    /// Most entries in any list or map of one record (used, generated,
    /// chain, derived_from, informed_by, conditions).
    pub max_items: usize,
    /// Largest accepted sealed-attributes ciphertext, in bytes.
    pub max_ciphertext: usize,
}

impl Limits {
    /// Limits for one record (64 KiB, depth 8).
    pub const RECORD: Limits = Limits {
        max_bytes: 64 * 1024,
        max_depth: 8,
        max_text: 1024,
        max_items: 256,
        max_ciphertext: 16 * 1024,
    };

    /// Limits for a history file of many records (256 MiB, depth 10).
    pub const HISTORY: Limits = Limits {
        max_bytes: 256 * 1024 * 1024,
        max_depth: 10,
        ..Limits::RECORD
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::RECORD
    }
}

/// Checks the size and nesting depth of a JSON text without parsing it.
///
/// The scan tracks strings and their escapes so that brackets inside string
/// values do not count. It does not check syntax; the parser that runs
/// afterwards does.
pub fn check_bounds(input: &[u8], limits: &Limits) -> Result<(), DecodeError> {
    if input.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            size: input.len(),
            max: limits.max_bytes,
        });
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in input {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(DecodeError::TooDeep {
                        max: limits.max_depth,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses untrusted JSON into `T` after [`check_bounds`].
pub fn parse_bounded<T: DeserializeOwned>(input: &[u8], limits: &Limits) -> Result<T, DecodeError> {
    check_bounds(input, limits)?;
    serde_json::from_slice(input).map_err(DecodeError::from_json)
}

/// Serialises a value as RFC 8785 canonical JSON.
pub fn to_canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| Error::Encode(e.to_string()))
}

/// Decodes one record that must be in canonical form: after bounds checks
/// and parsing, the record is re-canonicalised and must equal the input byte
/// for byte. So any change to the bytes of a canonical record — even one that
/// leaves its meaning intact, such as added whitespace — is refused, and a
/// change that alters its meaning then fails signature verification.
///
/// This checks form only; call [`Record::verify_signature`] or append through
/// [`crate::ProvenanceLog`] to check the signature and the history.
pub fn decode_canonical_record(input: &[u8], limits: &Limits) -> Result<Record, Error> {
    let record: Record = parse_bounded(input, limits)?;
    if record.canonical_bytes()? != input {
        return Err(DecodeError::NonCanonical.into());
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_oversized_input_before_parsing() {
        let limits = Limits {
            max_bytes: 10,
            ..Limits::RECORD
        };
        // Not even valid JSON: the size check fires first.
        assert_eq!(
            check_bounds(b"{{{{{{{{{{{{", &limits),
            Err(DecodeError::TooLarge { size: 12, max: 10 })
        );
    }

    #[test]
    fn rejects_deep_nesting_before_parsing() {
        let deep = "[".repeat(9);
        assert_eq!(
            check_bounds(deep.as_bytes(), &Limits::RECORD),
            Err(DecodeError::TooDeep { max: 8 })
        );
        assert!(check_bounds("[".repeat(8).as_bytes(), &Limits::RECORD).is_ok());
    }

    #[test]
    fn ignores_brackets_inside_strings() {
        let s = format!("{{\"a\":\"{}\\\"{}\"}}", "[".repeat(50), "{".repeat(50));
        assert!(check_bounds(s.as_bytes(), &Limits::RECORD).is_ok());
    }

    #[test]
    fn canonical_json_sorts_keys_and_strips_whitespace() {
        let v: serde_json::Value =
            serde_json::from_str("{ \"b\": 1, \"a\": [ 2, \"\\u00e9\" ], \"\\u20ac\": 0 }")
                .expect("literal JSON is valid");
        let out = to_canonical_json(&v).expect("values serialise");
        assert_eq!(
            String::from_utf8(out).expect("JCS is UTF-8"),
            "{\"a\":[2,\"é\"],\"b\":1,\"€\":0}"
        );
    }
}
