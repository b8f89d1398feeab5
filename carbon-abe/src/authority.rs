//! The authority (the seed's authorisation server): it owns the master key,
//! the registry of users → attributes and issued key versions, the epoch
//! table and the registry of objects' current headers. Key requests are
//! authenticated by the requester's ed25519 signature; state persists to a
//! file ([`Authority::save`], [`Authority::load`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::encoding::{Artefact, Fixed, Kind};
use crate::envelope::Envelope;
use crate::error::{AuthorityError, Error, Result};
use crate::ids::{EpochTable, KeyVersion, ObjectId, PolicyVersion, UserId};
use crate::keys::{KeyRandomness, MasterKey, PublicKey, UserKey};
use crate::policy::{Attribute, Policy};
use crate::revocation::{ComponentUpdate, Revocation};
use crate::scheme::{AbeKem, Fame};
use crate::update::PolicyUpdate;

/// A key request signed by the requester.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRequest {
    /// Who asks.
    pub user: UserId,
    /// Strictly increasing per user (replay protection).
    pub sequence: u64,
    signature: Fixed<64>,
}

fn request_bytes(user: &UserId, sequence: u64) -> Vec<u8> {
    bcs::to_bytes(&("carbon-abe/key-request/v1", user, sequence)).expect("bcs encodes plain tuples")
}

impl KeyRequest {
    /// Signs a request.
    pub fn sign(signing_key: &SigningKey, user: UserId, sequence: u64) -> Self {
        let signature = signing_key.sign(&request_bytes(&user, sequence)).to_bytes();
        KeyRequest {
            user,
            sequence,
            signature: Fixed(signature),
        }
    }
}

/// One issued key version and the randomness kept to re-issue components.
pub(crate) struct IssuedKey {
    pub(crate) version: KeyVersion,
    pub(crate) randomness: KeyRandomness,
    pub(crate) revoked: bool,
}

/// A registered user.
pub(crate) struct UserRecord {
    pub(crate) verifying_key: VerifyingKey,
    pub(crate) attributes: BTreeSet<Attribute>,
    pub(crate) keys: Vec<IssuedKey>,
    pub(crate) last_request: Option<u64>,
}

impl UserRecord {
    fn current(&self) -> Option<&IssuedKey> {
        self.keys.last().filter(|k| !k.revoked)
    }
}

/// What the authority knows of an object: its owner and current header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// The user whose signature policy updates need.
    pub owner: UserId,
    /// The newest header version accepted.
    pub policy_version: PolicyVersion,
    /// The current policy.
    pub policy: Policy,
}

/// The authorisation server. Its `Debug` shows counts only; the master key
/// is never printed or serialised through serde, and zeroizes on drop.
pub struct Authority {
    pub(crate) pk: PublicKey,
    pub(crate) msk: MasterKey,
    pub(crate) epochs: EpochTable,
    pub(crate) users: BTreeMap<UserId, UserRecord>,
    pub(crate) objects: BTreeMap<ObjectId, ObjectRecord>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("users", &self.users.len())
            .field("objects", &self.objects.len())
            .field("epochs", &self.epochs)
            .finish_non_exhaustive()
    }
}

fn refused(e: AuthorityError) -> Error {
    Error::Authority(e)
}

impl Authority {
    /// A new authority with fresh keys.
    pub fn setup<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let (pk, msk) = Fame::setup(rng);
        Authority {
            pk,
            msk,
            epochs: EpochTable::new(),
            users: BTreeMap::new(),
            objects: BTreeMap::new(),
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }

    /// The current epoch table (public).
    pub fn epochs(&self) -> &EpochTable {
        &self.epochs
    }

    /// The attributes registered for `user`.
    pub fn attributes_of(&self, user: &UserId) -> Result<&BTreeSet<Attribute>> {
        self.user(user).map(|r| &r.attributes)
    }

    /// Whether `user`'s key `version` is revoked.
    pub fn is_revoked(&self, user: &UserId, version: KeyVersion) -> Result<bool> {
        let record = self.user(user)?;
        Ok(record
            .keys
            .iter()
            .find(|k| k.version == version)
            .is_none_or(|k| k.revoked))
    }

    /// What the authority knows of `object`.
    pub fn object(&self, object: &ObjectId) -> Option<&ObjectRecord> {
        self.objects.get(object)
    }

    fn user(&self, user: &UserId) -> Result<&UserRecord> {
        self.users
            .get(user)
            .ok_or_else(|| refused(AuthorityError::UnknownUser(user.to_string())))
    }

    /// Registers `user` with its ed25519 key and attribute set.
    pub fn register_user(
        &mut self,
        user: UserId,
        verifying_key: VerifyingKey,
        attributes: BTreeSet<Attribute>,
    ) -> Result<()> {
        if self.users.contains_key(&user) {
            return Err(refused(AuthorityError::UserExists(user.to_string())));
        }
        if attributes.is_empty() {
            return Err(refused(AuthorityError::InvalidAttributes(
                "no attributes".into(),
            )));
        }
        self.users.insert(
            user,
            UserRecord {
                verifying_key,
                attributes,
                keys: Vec::new(),
                last_request: None,
            },
        );
        Ok(())
    }

    /// Answers a signed key request with the user's current key (a new key
    /// version is created if none is current).
    pub fn handle_key_request<R: RngCore + CryptoRng>(
        &mut self,
        request: &KeyRequest,
        rng: &mut R,
    ) -> Result<UserKey> {
        let record = self.user(&request.user)?;
        record
            .verifying_key
            .verify_strict(
                &request_bytes(&request.user, request.sequence),
                &Signature::from_bytes(&request.signature.0),
            )
            .map_err(|_| refused(AuthorityError::BadSignature))?;
        if let Some(last) = record.last_request.filter(|&last| request.sequence <= last) {
            return Err(refused(AuthorityError::StaleRequest {
                got: request.sequence,
                last,
            }));
        }
        let key = self.issue(&request.user, rng)?;
        if let Some(r) = self.users.get_mut(&request.user) {
            r.last_request = Some(request.sequence);
        }
        Ok(key)
    }

    /// Issues `user`'s current key version, creating one if needed.
    fn issue<R: RngCore + CryptoRng>(&mut self, user: &UserId, rng: &mut R) -> Result<UserKey> {
        let record = self
            .users
            .get_mut(user)
            .ok_or_else(|| refused(AuthorityError::UnknownUser(user.to_string())))?;
        if record.current().is_none() {
            let version = match record.keys.last() {
                Some(k) => k.version.next()?,
                None => KeyVersion(0),
            };
            record.keys.push(IssuedKey {
                version,
                randomness: Fame::key_randomness(rng),
                revoked: false,
            });
        }
        let current = record.current().expect("a current key was just ensured");
        Fame::keygen_with(
            &self.msk,
            &current.randomness,
            user.clone(),
            current.version,
            &record.attributes,
            &self.epochs,
            rng,
        )
    }

    /// Revokes `attribute` from `user`: bumps its epoch, marks the user's
    /// key revoked and issues it a new key without the attribute, and
    /// re-issues the attribute's component to every other current holder.
    /// Stored headers must then go through [`Authority::reencapsulate`].
    pub fn revoke<R: RngCore + CryptoRng>(
        &mut self,
        user: &UserId,
        attribute: &Attribute,
        rng: &mut R,
    ) -> Result<Revocation> {
        let record = self.user(user)?;
        if !record.attributes.contains(attribute) {
            return Err(refused(AuthorityError::AttributeNotHeld {
                user: user.to_string(),
                attribute: attribute.to_string(),
            }));
        }
        let revoked_key = record.keys.last().map_or(KeyVersion(0), |k| k.version);
        let epoch = self.epochs.bump(attribute)?;
        let record = self.users.get_mut(user).expect("user checked above");
        record.attributes.remove(attribute);
        if let Some(k) = record.keys.last_mut() {
            k.revoked = true;
        }
        let new_key = if record.attributes.is_empty() {
            None
        } else {
            Some(self.issue(user, rng)?)
        };
        let mut updates = Vec::new();
        for (holder, record) in &self.users {
            if holder == user || !record.attributes.contains(attribute) {
                continue;
            }
            let Some(current) = record.current() else {
                continue;
            };
            let component = Fame::component(&self.msk, &current.randomness, attribute, epoch, rng)?;
            updates.push(ComponentUpdate {
                user: holder.clone(),
                key_version: current.version,
                attribute: attribute.clone(),
                component,
            });
        }
        Ok(Revocation {
            attribute: attribute.clone(),
            epoch,
            revoked_key,
            new_key,
            updates,
        })
    }

    /// Whether `envelope` was encapsulated under stale epochs.
    pub fn is_stale(&self, envelope: &Envelope) -> bool {
        envelope
            .header
            .epochs()
            .any(|(a, e)| self.epochs.get(a) != e)
    }

    /// Rejects an envelope older than the newest header version known for
    /// its object.
    pub fn check_current(&self, envelope: &Envelope) -> Result<()> {
        match self.objects.get(&envelope.object_id) {
            Some(o) if envelope.policy_version < o.policy_version => {
                Err(refused(AuthorityError::StaleVersion {
                    got: envelope.policy_version.0,
                    known: o.policy_version.0,
                }))
            }
            _ => Ok(()),
        }
    }

    /// Re-encapsulates an envelope's data key under the current epochs (same
    /// policy, next header version); `None` if it is already current. The
    /// authority recovers the data key with a transient key for the header's
    /// own attributes and epochs, derived from the master key.
    pub fn reencapsulate<R: RngCore + CryptoRng>(
        &mut self,
        envelope: &Envelope,
        rng: &mut R,
    ) -> Result<Option<Envelope>> {
        self.check_current(envelope)?;
        if !self.is_stale(envelope) {
            return Ok(None);
        }
        let randomness = Fame::key_randomness(rng);
        let mut probe = Fame::keygen_with(
            &self.msk,
            &randomness,
            UserId::new("authority").expect("valid id"),
            KeyVersion(0),
            &BTreeSet::new(),
            &EpochTable::new(),
            rng,
        )?;
        for (attr, epoch) in envelope.header.epochs() {
            let component = Fame::component(&self.msk, &randomness, attr, epoch, rng)?;
            probe.set_component(attr.clone(), component);
        }
        let data_key = envelope.data_key(&probe)?;
        let version = envelope.policy_version.next()?;
        let next = envelope.rewrap(
            &data_key,
            &self.pk,
            envelope.policy(),
            &self.epochs,
            version,
            rng,
        )?;
        let owner = self.objects.get(&envelope.object_id).map_or_else(
            || UserId::new("authority").expect("valid id"),
            |o| o.owner.clone(),
        );
        self.objects.insert(
            envelope.object_id.clone(),
            ObjectRecord {
                owner,
                policy_version: version,
                policy: envelope.policy().clone(),
            },
        );
        Ok(Some(next))
    }

    /// Verifies and accepts a signed policy update whose result is
    /// `envelope`: the signer must be registered (and, once the object is
    /// known, its owner), the signature valid, the old digest must name the
    /// known policy, the version must be newer than the known one, and the
    /// envelope must carry exactly the update's policy and version. The
    /// first accepted update of an object records its signer as owner.
    pub fn accept_update(&mut self, update: &PolicyUpdate, envelope: &Envelope) -> Result<()> {
        let signer = self.user(&update.signer)?;
        update.verify(&signer.verifying_key)?;
        if envelope.object_id != update.object_id
            || envelope.policy() != &update.new_policy
            || envelope.policy_version != update.version
        {
            return Err(refused(AuthorityError::PolicyMismatch));
        }
        if let Some(known) = self.objects.get(&update.object_id) {
            if known.owner != update.signer {
                return Err(refused(AuthorityError::NotOwner(update.signer.to_string())));
            }
            if update.version <= known.policy_version {
                return Err(refused(AuthorityError::StaleVersion {
                    got: update.version.0,
                    known: known.policy_version.0,
                }));
            }
            if known.policy.digest() != update.old_policy_digest.0 {
                return Err(refused(AuthorityError::PolicyMismatch));
            }
        }
        self.objects.insert(
            update.object_id.clone(),
            ObjectRecord {
                owner: update.signer.clone(),
                policy_version: update.version,
                policy: update.new_policy.clone(),
            },
        );
        Ok(())
    }
}

impl Artefact for KeyRequest {
    const KIND: Kind = Kind::KeyRequest;
}
