//! Revocation by attribute epochs.
//!
//! Every attribute has a public epoch, hashed together with its name, and
//! encryption always uses the current epochs. Revoking attribute x from
//! user u bumps x's epoch; each remaining holder gets a [`ComponentUpdate`]
//! carrying only its new x component (computed from the key randomness the
//! authority kept, so the rest of its key is unchanged); u gets a new key
//! version without x and its old key is marked revoked; and every stored
//! header that mentions x is re-encapsulated under the new epoch
//! ([`crate::Authority::reencapsulate`]). u's old x component hashes the old
//! epoch and matches no new header.

use serde::{Deserialize, Serialize};

use crate::encoding::{Artefact, Kind};
use crate::error::{AuthorityError, Error, Result};
use crate::ids::{Epoch, KeyVersion, UserId};
use crate::keys::{Component, UserKey};
use crate::policy::Attribute;

/// A re-issued key component for one holder's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentUpdate {
    /// The key holder.
    pub user: UserId,
    /// The key version the component belongs to.
    pub key_version: KeyVersion,
    /// The attribute.
    pub attribute: Attribute,
    /// The new component (at the attribute's new epoch).
    pub component: Component,
}

impl Artefact for ComponentUpdate {
    const KIND: Kind = Kind::ComponentUpdate;
}

impl ComponentUpdate {
    /// Installs the component into `key`, after checking that the update is
    /// for this key and newer than the component it replaces.
    pub fn apply_to(&self, key: &mut UserKey) -> Result<()> {
        if key.user != self.user || key.version != self.key_version {
            return Err(Error::Authority(AuthorityError::InvalidAttributes(
                format!(
                    "update is for {} v{}, key is {} v{}",
                    self.user, self.key_version, key.user, key.version
                ),
            )));
        }
        match key.component(&self.attribute) {
            Some(c) if c.epoch < self.component.epoch => {}
            _ => {
                return Err(Error::Authority(AuthorityError::AttributeNotHeld {
                    user: self.user.to_string(),
                    attribute: self.attribute.to_string(),
                }));
            }
        }
        key.set_component(self.attribute.clone(), self.component.clone());
        Ok(())
    }
}

/// What a revocation produced, for the authority to distribute.
#[derive(Debug)]
pub struct Revocation {
    /// The revoked attribute.
    pub attribute: Attribute,
    /// Its new epoch.
    pub epoch: Epoch,
    /// The revoked user's key version that is now marked revoked.
    pub revoked_key: KeyVersion,
    /// The revoked user's new key (without the attribute), unless the user
    /// has no attribute left.
    pub new_key: Option<UserKey>,
    /// One re-issued component per remaining holder of the attribute.
    pub updates: Vec<ComponentUpdate>,
}
