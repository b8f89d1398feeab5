//! Signed policy updates (the seed's steps 7–10).
//!
//! The data owner recovers the data key, re-encapsulates it under the new
//! policy (the payload bytes do not change) and signs
//! `(object id, old policy digest, new policy, new header version, signer)`
//! with ed25519. The authority verifies the signature, that the signer owns
//! the object, that the old digest names the policy it knows and that the
//! version is newer than any it has seen, before accepting the new header
//! ([`crate::Authority::accept_update`]).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::encoding::{Artefact, Fixed, Kind};
use crate::envelope::Envelope;
use crate::error::{AuthorityError, Error, Result};
use crate::ids::{EpochTable, ObjectId, PolicyVersion, UserId};
use crate::keys::{PublicKey, UserKey};
use crate::policy::Policy;

/// A signed request to change an object's policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyUpdate {
    /// The object whose policy changes.
    pub object_id: ObjectId,
    /// Digest of the policy being replaced ([`Policy::digest`]).
    pub old_policy_digest: Fixed<32>,
    /// The new policy.
    pub new_policy: Policy,
    /// The header version the new envelope carries.
    pub version: PolicyVersion,
    /// Who signs.
    pub signer: UserId,
    signature: Fixed<64>,
}

impl Artefact for PolicyUpdate {
    const KIND: Kind = Kind::PolicyUpdate;
}

fn signed_bytes(
    object_id: &ObjectId,
    old: &[u8; 32],
    new_policy: &Policy,
    version: PolicyVersion,
    signer: &UserId,
) -> Vec<u8> {
    let body = (
        "carbon-abe/policy-update/v1",
        object_id,
        old,
        new_policy.to_string(),
        version,
        signer,
    );
    // bcs cannot fail on strings, arrays and integers.
    bcs::to_bytes(&body).expect("bcs encodes plain tuples")
}

impl PolicyUpdate {
    /// Signs an update of `object_id` from `old_policy` to `new_policy` at
    /// header `version`.
    pub fn sign(
        signing_key: &SigningKey,
        signer: UserId,
        object_id: ObjectId,
        old_policy: &Policy,
        new_policy: Policy,
        version: PolicyVersion,
    ) -> Self {
        let old = old_policy.digest();
        let msg = signed_bytes(&object_id, &old, &new_policy, version, &signer);
        let signature = signing_key.sign(&msg).to_bytes();
        PolicyUpdate {
            object_id,
            old_policy_digest: Fixed(old),
            new_policy,
            version,
            signer,
            signature: Fixed(signature),
        }
    }

    /// Checks the signature against `key` (strict verification).
    pub fn verify(&self, key: &VerifyingKey) -> Result<()> {
        let msg = signed_bytes(
            &self.object_id,
            &self.old_policy_digest.0,
            &self.new_policy,
            self.version,
            &self.signer,
        );
        key.verify_strict(&msg, &Signature::from_bytes(&self.signature.0))
            .map_err(|_| Error::Authority(AuthorityError::BadSignature))
    }
}

/// The owner's side of a policy update: recover the data key with
/// `owner_key` (which must satisfy the current policy), re-encapsulate it
/// under `new_policy` at the current `epochs` with the next header
/// version, and sign the change.
pub fn update_policy<R: RngCore + CryptoRng>(
    envelope: &Envelope,
    owner_key: &UserKey,
    signing_key: &SigningKey,
    pk: &PublicKey,
    new_policy: Policy,
    epochs: &EpochTable,
    rng: &mut R,
) -> Result<(Envelope, PolicyUpdate)> {
    let data_key = envelope.data_key(owner_key)?;
    let version = envelope.policy_version.next()?;
    let next = envelope.rewrap(&data_key, pk, &new_policy, epochs, version, rng)?;
    let update = PolicyUpdate::sign(
        signing_key,
        owner_key.user.clone(),
        envelope.object_id.clone(),
        envelope.policy(),
        new_policy,
        version,
    );
    Ok((next, update))
}
