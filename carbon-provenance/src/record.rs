//! Signed provenance records: one per operation on data.
//!
//! A [`Record`] is a [`RecordBody`] (the activity, its executing agent, the
//! data it used and generated, and the per-data hash-chain links) plus the
//! agent's ed25519 signature. Hashing and signing work on the body's
//! canonical JSON ([RFC 8785] JCS, see [`crate::canonical`]):
//!
//! - signature = ed25519(secret key, [`SIGNING_CONTEXT`] ‖ SHA-256(JCS(body)));
//! - record hash = SHA-256(JCS(record)), the record being
//!   `{"body": …, "signature": …}`.
//!
//! Signing the body's SHA-256 digest rather than the body itself keeps the
//! signed message at a fixed 64 bytes: ed25519 hashes its message twice
//! with SHA-512 when signing and once when verifying, which for a record of
//! about 1 KB costs more than one SHA-256 pass (hardware-accelerated on
//! current x86 and ARM cores). Collision resistance is SHA-256's, as for the
//! record hash and the hash chain that already identify records.
//!
//! [RFC 8785]: https://www.rfc-editor.org/rfc/rfc8785

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::canonical::to_canonical_json;
use crate::error::{Error, ValidationError};
use crate::ids::{DataId, HexBytes, RecordHash};
use crate::model::{Activity, Agent, Data};

/// The format version a body declares in its `v` field.
pub const FORMAT_VERSION: u32 = 1;

/// Domain-separation prefix of every signed message, so that a record
/// signature can never be replayed as a signature over anything else.
/// Exactly 32 bytes, so the signed message is 64 bytes in all.
pub const SIGNING_CONTEXT: &[u8; 32] = b"carbon-provenance/record-sha256\n";

/// Length of the message an agent signs: [`SIGNING_CONTEXT`] ‖ digest.
pub const SIGNING_MESSAGE_LEN: usize = 64;

/// [`SIGNING_CONTEXT`] ‖ SHA-256(`canonical_body`).
fn signing_message_of(canonical_body: &[u8]) -> [u8; SIGNING_MESSAGE_LEN] {
    let mut msg = [0u8; SIGNING_MESSAGE_LEN];
    msg[..32].copy_from_slice(SIGNING_CONTEXT);
    msg[32..].copy_from_slice(&RecordHash::of(canonical_body).0);
    msg
}

/// The previous record for one data item: a link of its hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainLink {
    /// The data item.
    pub data: DataId,
    /// Hash of the latest earlier record that touched the item (used or
    /// generated it); `None` for the first record of a new item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<HexBytes>,
}

/// What an agent signs: one operation on data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// Format version ([`FORMAT_VERSION`]).
    pub v: u32,
    /// The activity.
    pub activity: Activity,
    /// The executing agent (PROV-DM `wasAssociatedWith(activity, agent)`);
    /// it signs the record.
    pub agent: Agent,
    /// Data the activity used (PROV-DM `used`). Sorted, no repeats.
    #[serde(default)]
    pub used: Vec<DataId>,
    /// Data the activity generated, new items or new versions (PROV-DM
    /// `wasGeneratedBy`). Sorted by id, no repeats.
    #[serde(default)]
    pub generated: Vec<Data>,
    /// One hash-chain link per data item used or generated, sorted by id.
    pub chain: Vec<ChainLink>,
}

impl RecordBody {
    /// Ids of every data item the record touches (used or generated), sorted
    /// and without repeats: exactly the ids its chain must link.
    pub fn touched(&self) -> Vec<DataId> {
        let mut ids: Vec<DataId> = self
            .used
            .iter()
            .cloned()
            .chain(self.generated.iter().map(|d| d.id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The canonical (JCS) bytes of the body.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, Error> {
        to_canonical_json(self)
    }

    /// The exact message the agent signs:
    /// [`SIGNING_CONTEXT`] ‖ SHA-256(JCS(body)).
    pub fn signing_message(&self) -> Result<[u8; SIGNING_MESSAGE_LEN], Error> {
        Ok(signing_message_of(&self.canonical_bytes()?))
    }

    /// Signs the body. The key must be the executing agent's: a record whose
    /// `agent.public_key` does not match is refused here rather than
    /// producing a record that can never verify.
    pub fn sign(self, key: &SigningKey) -> Result<Record, Error> {
        let signature = self.signature(key)?;
        Ok(Record {
            body: self,
            signature,
        })
    }

    /// The signature [`RecordBody::sign`] attaches, without consuming the
    /// body. Refuses a key that is not the executing agent's.
    pub fn signature(&self, key: &SigningKey) -> Result<HexBytes, Error> {
        let public = key.verifying_key().to_bytes();
        if self.agent.public_key.0 != public {
            return Err(ValidationError::KeyMismatch {
                agent: self.agent.id.clone(),
            }
            .into());
        }
        let sig = key.sign(&self.signing_message()?);
        Ok(HexBytes(sig.to_bytes().to_vec()))
    }
}

/// A signed record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// What was signed.
    pub body: RecordBody,
    /// The executing agent's ed25519 signature (64 bytes, hex).
    pub signature: HexBytes,
}

impl Record {
    /// The canonical (JCS) bytes of the whole record.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, Error> {
        Ok(self.assemble(&self.body.canonical_bytes()?))
    }

    /// JCS of `{"body": B, "signature": S}` from the body's canonical bytes:
    /// `body` sorts before `signature`, and lower-case hex needs no escape,
    /// so the record's canonical form is this concatenation (a test checks
    /// it against the generic serialiser).
    fn assemble(&self, body: &[u8]) -> Vec<u8> {
        let sig = hex::encode(&self.signature.0);
        let mut out = Vec::with_capacity(body.len() + sig.len() + 24);
        out.extend_from_slice(b"{\"body\":");
        out.extend_from_slice(body);
        out.extend_from_slice(b",\"signature\":\"");
        out.extend_from_slice(sig.as_bytes());
        out.extend_from_slice(b"\"}");
        out
    }

    /// The record's hash: SHA-256 of its canonical bytes.
    pub fn hash(&self) -> Result<RecordHash, Error> {
        Ok(RecordHash::of(&self.canonical_bytes()?))
    }

    /// Checks the signature against the executing agent's public key.
    pub fn verify_signature(&self) -> Result<(), ValidationError> {
        self.verify_and_hash().map(|_| ())
    }

    /// Checks the signature and returns the record hash, canonicalising the
    /// body once for both.
    pub fn verify_and_hash(&self) -> Result<RecordHash, ValidationError> {
        let agent = &self.body.agent;
        let key: [u8; 32] = agent
            .public_key
            .as_array()
            .ok_or(ValidationError::WrongLength {
                field: "agent.public_key",
                expected: 32,
                actual: agent.public_key.0.len(),
            })?;
        let sig: [u8; 64] = self
            .signature
            .as_array()
            .ok_or(ValidationError::WrongLength {
                field: "signature",
                expected: 64,
                actual: self.signature.0.len(),
            })?;
        let bad = || ValidationError::BadSignature {
            agent: agent.id.clone(),
            activity: self.body.activity.id.clone(),
        };
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
        // A body that cannot be canonicalised (an unsafe integer) cannot
        // have been signed.
        let body = self.body.canonical_bytes().map_err(|_| bad())?;
        let msg = signing_message_of(&body);
        // verify_strict refuses small-order keys and non-canonical
        // signatures, so one body has exactly one valid signature per key.
        key.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .map_err(|_| bad())?;
        Ok(RecordHash::of(&self.assemble(&body)))
    }
}

#[cfg(test)]
mod tests {
    use crate::canonical::to_canonical_json;

    #[test]
    fn assembled_record_bytes_equal_the_generic_canonical_form() {
        let h = crate::example::carbon_trading_history().expect("sample builds");
        for rec in &h.records {
            assert_eq!(
                rec.canonical_bytes().expect("serialises"),
                to_canonical_json(rec).expect("serialises")
            );
            assert_eq!(
                rec.verify_and_hash().expect("valid"),
                rec.hash().expect("serialises")
            );
        }
    }
}
