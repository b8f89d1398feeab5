//! The hybrid envelope: FAME as a KEM, HKDF-SHA256 over the shared secret
//! bound to the policy and the header, AES-256-GCM wrapping a random data
//! key, and the payload encrypted once under that data key with the object
//! id and content version as associated data.
//!
//! ```text
//! kek     = HKDF-SHA256(salt = "carbon-abe/kek/v1", ikm = K,
//!                       info = policy digest ‖ header digest)
//! wrapped = AES-256-GCM(kek, n1, data key,
//!                       aad = object id ‖ version ‖ policy version ‖ header digest)
//! payload = AES-256-GCM(data key, n2, plaintext, aad = object id ‖ version)
//! ```
//! Changing any byte of the header, policy, wrapped key, payload, nonces or
//! associated data makes an AEAD check fail ([`Error::Integrity`]); a key
//! that does not satisfy the policy gets [`Error::PolicyNotSatisfied`].

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::encoding::{Artefact, Bytes, Fixed, Kind};
use crate::error::{DecodeError, Error, Result};
use crate::ids::{EpochTable, ObjectId, ObjectVersion, PolicyVersion};
use crate::keys::{Header, PublicKey, SharedSecret, UserKey};
use crate::policy::Policy;
use crate::scheme::{AbeKem, Fame};

const WRAPPED_LEN: usize = 32 + 16;

/// The random 256-bit key the payload is encrypted under; zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl DataKey {
    fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut *k);
        DataKey(k)
    }
}

/// An encrypted object: header, wrapped data key and payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawEnvelope")]
pub struct Envelope {
    /// The object this ciphertext belongs to.
    pub object_id: ObjectId,
    /// The content version (bound into the payload's associated data).
    pub version: ObjectVersion,
    /// The header version: bumped by each policy update or re-encapsulation.
    pub policy_version: PolicyVersion,
    /// The KEM header (carries the policy).
    pub header: Header,
    wrap_nonce: Fixed<12>,
    wrapped_key: Bytes,
    payload_nonce: Fixed<12>,
    payload: Bytes,
}

#[derive(Deserialize)]
struct RawEnvelope {
    object_id: ObjectId,
    version: ObjectVersion,
    policy_version: PolicyVersion,
    header: Header,
    wrap_nonce: Fixed<12>,
    wrapped_key: Bytes,
    payload_nonce: Fixed<12>,
    payload: Bytes,
}

impl TryFrom<RawEnvelope> for Envelope {
    type Error = Error;
    fn try_from(r: RawEnvelope) -> Result<Self> {
        if r.wrapped_key.0.len() != WRAPPED_LEN || r.payload.0.len() < 16 {
            return Err(DecodeError::Malformed("envelope ciphertext lengths".into()).into());
        }
        Ok(Envelope {
            object_id: r.object_id,
            version: r.version,
            policy_version: r.policy_version,
            header: r.header,
            wrap_nonce: r.wrap_nonce,
            wrapped_key: r.wrapped_key,
            payload_nonce: r.payload_nonce,
            payload: r.payload,
        })
    }
}

impl Artefact for Envelope {
    const KIND: Kind = Kind::Envelope;
}

fn id_bytes(out: &mut Vec<u8>, id: &ObjectId) {
    // Ids are at most MAX_ID_BYTES long.
    out.extend_from_slice(&(id.as_str().len() as u32).to_be_bytes());
    out.extend_from_slice(id.as_str().as_bytes());
}

fn payload_aad(id: &ObjectId, version: ObjectVersion) -> Vec<u8> {
    let mut aad = b"carbon-abe/payload/v1\0".to_vec();
    id_bytes(&mut aad, id);
    aad.extend_from_slice(&version.0.to_be_bytes());
    aad
}

fn wrap_aad(
    id: &ObjectId,
    version: ObjectVersion,
    pv: PolicyVersion,
    header_digest: &[u8; 32],
) -> Vec<u8> {
    let mut aad = b"carbon-abe/wrap/v1\0".to_vec();
    id_bytes(&mut aad, id);
    aad.extend_from_slice(&version.0.to_be_bytes());
    aad.extend_from_slice(&pv.0.to_be_bytes());
    aad.extend_from_slice(header_digest);
    aad
}

fn kek(secret: &SharedSecret, policy: &Policy, header_digest: &[u8; 32]) -> Aes256Gcm {
    let ikm = secret.to_bytes();
    let hk = Hkdf::<Sha256>::new(Some(b"carbon-abe/kek/v1"), &ikm);
    let mut info = policy.digest().to_vec();
    info.extend_from_slice(header_digest);
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte output limit.
    hk.expand(&info, &mut *okm)
        .expect("32-byte HKDF output is valid");
    Aes256Gcm::new_from_slice(&*okm).expect("AES-256 takes a 32-byte key")
}

fn nonce<R: RngCore + CryptoRng>(rng: &mut R) -> Fixed<12> {
    let mut n = [0u8; 12];
    rng.fill_bytes(&mut n);
    Fixed(n)
}

/// Encapsulates a fresh secret under `policy` at `epochs` and wraps
/// `data_key` with it for the given object, version and header version.
#[allow(clippy::too_many_arguments)] // one call site per constructor; a struct would add nothing
fn wrap<R: RngCore + CryptoRng>(
    data_key: &DataKey,
    pk: &PublicKey,
    policy: &Policy,
    epochs: &EpochTable,
    object_id: &ObjectId,
    version: ObjectVersion,
    policy_version: PolicyVersion,
    rng: &mut R,
) -> Result<(Header, Fixed<12>, Bytes)> {
    let (secret, header) = Fame::encapsulate(pk, policy, epochs, rng)?;
    let digest = header.digest();
    let wrap_nonce = nonce(rng);
    let aad = wrap_aad(object_id, version, policy_version, &digest);
    let wrapped = kek(&secret, policy, &digest)
        .encrypt(
            Nonce::from_slice(&wrap_nonce.0),
            Payload {
                msg: &data_key.0[..],
                aad: &aad,
            },
        )
        .expect("wrapping 32 bytes cannot exceed AES-GCM limits");
    Ok((header, wrap_nonce, Bytes(wrapped)))
}

impl Envelope {
    /// Encrypts `plaintext` for `object_id` at content `version` under
    /// `policy` at the current `epochs`.
    pub fn seal<R: RngCore + CryptoRng>(
        pk: &PublicKey,
        policy: &Policy,
        epochs: &EpochTable,
        object_id: ObjectId,
        version: ObjectVersion,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Envelope> {
        let data_key = DataKey::random(rng);
        let payload_nonce = nonce(rng);
        let cipher = Aes256Gcm::new_from_slice(&*data_key.0).expect("AES-256 takes a 32-byte key");
        let aad = payload_aad(&object_id, version);
        let payload = cipher
            .encrypt(
                Nonce::from_slice(&payload_nonce.0),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| DecodeError::TooLarge {
                what: "payload",
                limit: crate::encoding::MAX_ARTEFACT_BYTES,
            })?;
        let (header, wrap_nonce, wrapped_key) = wrap(
            &data_key,
            pk,
            policy,
            epochs,
            &object_id,
            version,
            PolicyVersion(0),
            rng,
        )?;
        Ok(Envelope {
            object_id,
            version,
            policy_version: PolicyVersion(0),
            header,
            wrap_nonce,
            wrapped_key,
            payload_nonce,
            payload: Bytes(payload),
        })
    }

    /// The policy the data key is currently encapsulated under.
    pub fn policy(&self) -> &Policy {
        &self.header.policy
    }

    /// Recovers the data key with a user key.
    pub fn data_key(&self, key: &UserKey) -> Result<DataKey> {
        let secret = Fame::decapsulate(key, &self.header)?;
        self.unwrap_with(&secret)
    }

    pub(crate) fn unwrap_with(&self, secret: &SharedSecret) -> Result<DataKey> {
        let digest = self.header.digest();
        let aad = wrap_aad(&self.object_id, self.version, self.policy_version, &digest);
        let key = Zeroizing::new(
            kek(secret, &self.header.policy, &digest)
                .decrypt(
                    Nonce::from_slice(&self.wrap_nonce.0),
                    Payload {
                        msg: &self.wrapped_key.0,
                        aad: &aad,
                    },
                )
                .map_err(|_| Error::Integrity)?,
        );
        let array: [u8; 32] = key.as_slice().try_into().map_err(|_| Error::Integrity)?;
        Ok(DataKey(Zeroizing::new(array)))
    }

    /// Decrypts the payload with a data key.
    pub fn open_with_data_key(&self, data_key: &DataKey) -> Result<Zeroizing<Vec<u8>>> {
        let cipher = Aes256Gcm::new_from_slice(&*data_key.0).expect("AES-256 takes a 32-byte key");
        let aad = payload_aad(&self.object_id, self.version);
        cipher
            .decrypt(
                Nonce::from_slice(&self.payload_nonce.0),
                Payload {
                    msg: &self.payload.0,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Error::Integrity)
    }

    /// Decrypts the payload with a user key: [`Error::PolicyNotSatisfied`]
    /// if the key's attributes do not satisfy the policy, [`Error::Integrity`]
    /// if anything was modified.
    pub fn open(&self, key: &UserKey) -> Result<Zeroizing<Vec<u8>>> {
        self.open_with_data_key(&self.data_key(key)?)
    }

    /// A copy whose data key is re-encapsulated under `policy` at `epochs`,
    /// at `policy_version`; the payload bytes are unchanged. The data key is
    /// checked against the payload first, so a wrong key cannot produce an
    /// undecryptable envelope.
    pub fn rewrap<R: RngCore + CryptoRng>(
        &self,
        data_key: &DataKey,
        pk: &PublicKey,
        policy: &Policy,
        epochs: &EpochTable,
        policy_version: PolicyVersion,
        rng: &mut R,
    ) -> Result<Envelope> {
        self.open_with_data_key(data_key)?;
        let (header, wrap_nonce, wrapped_key) = wrap(
            data_key,
            pk,
            policy,
            epochs,
            &self.object_id,
            self.version,
            policy_version,
            rng,
        )?;
        Ok(Envelope {
            policy_version,
            header,
            wrap_nonce,
            wrapped_key,
            ..self.clone()
        })
    }

    /// The encrypted payload bytes (unchanged by policy updates).
    pub fn payload(&self) -> &[u8] {
        &self.payload.0
    }
}
