//! Persistence of the authority's state to one file: written to a
//! temporary file (mode 0600 on Unix), synced, then renamed over the old
//! one, so a crash leaves either the old or the new state. The master key
//! and per-key randomness are encoded by their own secret encoders inside
//! a private structure; the buffers are zeroized after use.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::authority::{Authority, IssuedKey, ObjectRecord, UserRecord};
use crate::encoding::{Bytes, Fixed, Kind, from_binary, to_binary};
use crate::error::{DecodeError, Result};
use crate::ids::{EpochTable, KeyVersion, ObjectId, UserId};
use crate::keys::{KeyRandomness, MasterKey, PublicKey};
use crate::policy::Attribute;

#[derive(Serialize, Deserialize)]
struct KeyState {
    version: KeyVersion,
    randomness: Bytes,
    revoked: bool,
}

#[derive(Serialize, Deserialize)]
struct UserState {
    verifying_key: Fixed<32>,
    attributes: Vec<Attribute>,
    keys: Vec<KeyState>,
    last_request: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct State {
    public_key: PublicKey,
    master_key: Bytes,
    epochs: EpochTable,
    users: BTreeMap<UserId, UserState>,
    objects: BTreeMap<ObjectId, ObjectRecord>,
}

impl Drop for State {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.master_key.0.zeroize();
        for u in self.users.values_mut() {
            for k in &mut u.keys {
                k.randomness.0.zeroize();
            }
        }
    }
}

impl Authority {
    /// The state's binary encoding (secret: holds the master key).
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let state = State {
            public_key: self.pk.clone(),
            master_key: Bytes(self.msk.to_secret_bytes().to_vec()),
            epochs: self.epochs.clone(),
            users: self
                .users
                .iter()
                .map(|(id, u)| {
                    let keys = u
                        .keys
                        .iter()
                        .map(|k| KeyState {
                            version: k.version,
                            randomness: Bytes(k.randomness.to_secret_bytes().to_vec()),
                            revoked: k.revoked,
                        })
                        .collect();
                    let state = UserState {
                        verifying_key: Fixed(u.verifying_key.to_bytes()),
                        attributes: u.attributes.iter().cloned().collect(),
                        keys,
                        last_request: u.last_request,
                    };
                    (id.clone(), state)
                })
                .collect(),
            objects: self.objects.clone(),
        };
        Zeroizing::new(to_binary(Kind::AuthorityState, &state))
    }

    /// Decodes [`Authority::to_secret_bytes`], validating every point.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let state: State = from_binary(Kind::AuthorityState, bytes)?;
        let msk = MasterKey::from_secret_bytes(&state.master_key.0)?;
        let mut users = BTreeMap::new();
        for (id, u) in &state.users {
            let verifying_key = VerifyingKey::from_bytes(&u.verifying_key.0)
                .map_err(|_| DecodeError::Malformed("user verifying key".into()))?;
            let mut keys = Vec::with_capacity(u.keys.len());
            for k in &u.keys {
                keys.push(IssuedKey {
                    version: k.version,
                    randomness: KeyRandomness::from_secret_bytes(&k.randomness.0)?,
                    revoked: k.revoked,
                });
            }
            let record = UserRecord {
                verifying_key,
                attributes: u.attributes.iter().cloned().collect(),
                keys,
                last_request: u.last_request,
            };
            users.insert(id.clone(), record);
        }
        Ok(Authority {
            pk: state.public_key.clone(),
            msk,
            epochs: state.epochs.clone(),
            users,
            objects: state.objects.clone(),
        })
    }

    /// Writes the state to `path` atomically (temporary file, fsync,
    /// rename); the file is created with mode 0600 on Unix.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_secret_bytes();
        let tmp = path.with_extension("tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Reads the state written by [`Authority::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = Zeroizing::new(fs::read(path)?);
        Self::from_secret_bytes(&bytes)
    }
}
