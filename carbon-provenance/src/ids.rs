//! Typed identifiers, timestamps and fixed-size byte strings.
//!
//! Identifiers are short ASCII names (`[A-Za-z0-9._-]`, 1 to 128 bytes) so
//! that they are valid local parts of PROV qualified names and need no
//! escaping in JSON, DOT or file names. Byte strings travel as lower-case hex
//! (one spelling per value, which canonical JSON needs); their length is
//! checked by validation so that a wrong length is a typed error
//! ([`crate::ValidationError::WrongLength`]) rather than a parse failure.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Longest identifier, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// The largest integer every JSON implementation reads exactly (2^53 - 1,
/// RFC 8785 § 3.2.2.3 / I-JSON): timestamps, sizes and integer parameters
/// above it are rejected.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The identifier is empty.
    #[error("identifier is empty")]
    Empty,
    /// The identifier is longer than [`MAX_ID_LEN`].
    #[error("identifier is {0} bytes long, the limit is {MAX_ID_LEN}")]
    TooLong(usize),
    /// The identifier contains a character outside `[A-Za-z0-9._-]`.
    #[error("identifier contains {0:?}; allowed are A-Z a-z 0-9 . _ -")]
    BadChar(char),
}

fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong(s.len()));
    }
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(c) => Err(IdError::BadChar(c)),
        None => Ok(()),
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an identifier.
            pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                check_id(&s)?;
                Ok(Self(s))
            }
            /// The identifier as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

string_id!(
    /// Identifies a data item (a GB/T 34945 *data* element, a PROV entity).
    DataId
);
string_id!(
    /// Identifies an activity (GB/T 34945 *activity*, PROV activity).
    ActivityId
);
string_id!(
    /// Identifies an executing agent (GB/T 34945 *executing agent*, PROV agent).
    AgentId
);

/// A point in time: milliseconds since the Unix epoch, an integer (no floats
/// anywhere in hashed data).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Formats the time as an `xsd:dateTime` in UTC with millisecond
    /// precision, e.g. `2025-01-31T08:00:00.000Z` (for PROV-JSON export).
    pub fn to_xsd_datetime(self) -> String {
        let ms = self.0 % 1000;
        let secs = self.0 / 1000;
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
        // Civil-from-days (Howard Hinnant's algorithm), on unsigned values
        // since timestamps start at the epoch.
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let mo = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + u64::from(mo <= 2);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// Bytes written as lower-case hex. Its expected length depends on the field
/// (32 for a SHA-256 digest or an ed25519 key, 64 for a signature) and is
/// checked by validation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HexBytes(pub Vec<u8>);

impl HexBytes {
    /// The bytes as a fixed-size array, or `None` when the length differs.
    pub fn as_array<const N: usize>(&self) -> Option<[u8; N]> {
        self.0.as_slice().try_into().ok()
    }
}

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        // One spelling per value: upper-case hex would hash differently from
        // the canonical form, so it is refused rather than normalised.
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("hex must be lower-case"));
        }
        hex::decode(s.as_bytes())
            .map(HexBytes)
            .map_err(serde::de::Error::custom)
    }
}

impl From<[u8; 32]> for HexBytes {
    fn from(b: [u8; 32]) -> Self {
        HexBytes(b.to_vec())
    }
}

/// The SHA-256 hash of a record's canonical JSON: the record's identity and
/// the link of the per-data hash chain.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordHash(pub [u8; 32]);

impl RecordHash {
    /// Hashes bytes with SHA-256.
    pub fn of(bytes: &[u8]) -> Self {
        RecordHash(Sha256::digest(bytes).into())
    }
    /// Lower-case hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// Parses the 64-character lower-case hex form.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(RecordHash(out))
    }
}

impl fmt::Debug for RecordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordHash({})", self.to_hex())
    }
}

impl fmt::Display for RecordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl From<RecordHash> for HexBytes {
    fn from(h: RecordHash) -> Self {
        HexBytes(h.0.to_vec())
    }
}

/// SHA-256 of some bytes, as the [`HexBytes`] a record stores (helper for
/// building [`crate::Data::digest`] from a ciphertext).
pub fn sha256(bytes: &[u8]) -> HexBytes {
    HexBytes(Sha256::digest(bytes).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_ids_outside_the_alphabet() {
        assert_eq!(DataId::new(""), Err(IdError::Empty));
        assert_eq!(DataId::new("a b"), Err(IdError::BadChar(' ')));
        assert_eq!(DataId::new("x:y"), Err(IdError::BadChar(':')));
        assert_eq!(DataId::new("a".repeat(129)), Err(IdError::TooLong(129)));
        assert!(DataId::new("report-2025.q1_v2").is_ok());
    }

    #[test]
    fn formats_xsd_datetime_in_utc() {
        assert_eq!(Timestamp(0).to_xsd_datetime(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_735_689_600_123).to_xsd_datetime(),
            "2025-01-01T00:00:00.123Z"
        );
        assert_eq!(
            Timestamp(951_825_600_000).to_xsd_datetime(),
            "2000-02-29T12:00:00.000Z"
        );
    }

    #[test]
    fn refuses_upper_case_hex() {
        assert!(serde_json::from_str::<HexBytes>("\"ABCD\"").is_err());
        assert_eq!(
            serde_json::from_str::<HexBytes>("\"abcd\"").ok(),
            Some(HexBytes(vec![0xab, 0xcd]))
        );
    }
}
