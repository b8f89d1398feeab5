//! Canonical JSON and bounded decoding.
//!
//! Records are hashed and signed in the JSON Canonicalization Scheme of
//! RFC 8785 (JCS): object members sorted by the UTF-16 code units of their
//! names, no insignificant whitespace, the shortest string escapes, and
//! numbers in ECMAScript form. The model emits integers only, each bounded by
//! [`crate::MAX_SAFE_INTEGER`] so that every JSON reader sees the same value,
//! and for that subset the scheme is short enough to write here
//! ([`to_canonical_json`]). The well-kept `serde_json_canonicalizer` crate
//! implements the full scheme (with floats) and was the first choice, but it
//! re-parses every member name as JSON to sort it and took 24 µs per 1 KB
//! record — more than half the ed25519 signature it feeds; it remains the
//! test oracle our output is compared with byte for byte.
//!
//! Untrusted input is measured before it is parsed: its length and its
//! nesting depth are checked by a single linear scan ([`check_bounds`]), so
//! an oversized or deeply nested document is refused without building any
//! structure from it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{DecodeError, Error};
use crate::ids::MAX_SAFE_INTEGER;
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
///
/// Covers the JSON this crate emits: null, booleans, strings, arrays,
/// objects and integers within ±(2^53 − 1), whose RFC 8785 form (the
/// ECMAScript shortest round-trip form) is their plain decimal digits.
/// Floats and larger integers are refused with [`Error::Encode`] rather than
/// rounded. Object members are sorted by the UTF-16 code units of their names
/// (RFC 8785 § 3.2.3); strings use the escapes of § 3.2.2.2. Tests check the
/// output byte for byte against `serde_json_canonicalizer` on random input.
pub fn to_canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let v = serde_json::to_value(value).map_err(|e| Error::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(1024);
    write_value(&v, &mut out)?;
    Ok(out)
}

fn write_value(v: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let text = if let Some(i) = n.as_i64() {
                (i.unsigned_abs() <= MAX_SAFE_INTEGER).then(|| i.to_string())
            } else {
                n.as_u64()
                    .filter(|u| *u <= MAX_SAFE_INTEGER)
                    .map(|u| u.to_string())
            };
            let text = text.ok_or_else(|| {
                Error::Encode(format!("{n} is not an integer within ±(2^53 - 1)"))
            })?;
            out.extend_from_slice(text.as_bytes());
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // The map iterates in UTF-8 byte order (code point order), which
            // differs from UTF-16 order only between characters above U+FFFF
            // and U+E000..U+FFFF; both start with a byte of at least 0xEE, so
            // without such a byte the map's order is already canonical.
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            if map.keys().any(|k| k.bytes().any(|b| b >= 0xEE)) {
                members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            }
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
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
    use proptest::prelude::*;

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

    fn json_value() -> impl Strategy<Value = Value> {
        let max = MAX_SAFE_INTEGER as i64;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-max..=max).prop_map(Value::from),
            "\\PC{0,10}|[\\x00-\\x1f\"\\\\\u{7f}\u{2028}\u{e000}-\u{ffff}\u{10000}-\u{10ffff}]{0,6}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    "[a-z\u{e000}-\u{ffff}\u{10000}-\u{10ffff}\\x00-\\x1f]{0,4}",
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Our JCS equals the `serde_json_canonicalizer` oracle byte for byte
        /// on every float-free JSON value, including member names that sort
        /// differently in UTF-8 and UTF-16.
        #[test]
        fn matches_the_rfc8785_oracle(v in json_value()) {
            let ours = to_canonical_json(&v).expect("float-free values serialise");
            let oracle = serde_json_canonicalizer::to_vec(&v).expect("oracle serialises");
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&oracle));
        }
    }

    #[test]
    fn sorts_members_by_utf16_code_units() {
        // U+10000 is D800 DC00 in UTF-16, before U+E000 — the reverse of UTF-8.
        let v = serde_json::json!({"\u{e000}": 1, "\u{10000}": 2});
        let out = to_canonical_json(&v).expect("serialises");
        assert_eq!(out, "{\"\u{10000}\":2,\"\u{e000}\":1}".as_bytes());
    }

    #[test]
    fn refuses_floats_and_unsafe_integers() {
        assert!(to_canonical_json(&serde_json::json!(1.5)).is_err());
        assert!(to_canonical_json(&serde_json::json!(1u64 << 53)).is_err());
        assert!(to_canonical_json(&serde_json::json!(-(1i64 << 53))).is_err());
        assert_eq!(
            to_canonical_json(&serde_json::json!([(1u64 << 53) - 1, -1]))
                .expect("safe integers serialise"),
            b"[9007199254740991,-1]"
        );
    }

    #[test]
    fn escapes_strings_as_rfc8785_says() {
        let v = Value::String("\u{8}\t\n\u{c}\r\u{1}\u{1f}\"\\/\u{7f}\u{2028}é".into());
        let out = to_canonical_json(&v).expect("serialises");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "\"\\b\\t\\n\\f\\r\\u0001\\u001f\\\"\\\\/\u{7f}\u{2028}é\""
        );
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
