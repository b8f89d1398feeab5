//! Configuration: the validator set (who votes, with which key) and the
//! protocol's tunables (batching bounds, water marks, checkpoint interval,
//! timeouts, message size limit).

use crate::error::ConfigError;
use crate::ids::{Digest, ReplicaId, View};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The voting replicas and their public keys in one **epoch**. Replica `i`
/// is `keys[i]`.
///
/// With `n` members the set tolerates `f = (n - 1) / 3` faulty ones and a
/// quorum is `n - f` (that is `2f + 1` when `n = 3f + 1`): any two quorums
/// share at least `f + 1` replicas, so at least one correct one.
///
/// The epoch numbers the sets a network has had: genesis is epoch 0, and
/// each committed change (see [`crate::Replica::handle_validator_set`])
/// makes the next. Every signature binds the [`digest`](Self::digest) of
/// the set it was made under (epoch and keys), so a vote from one epoch
/// never counts in another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SetRepr", into = "SetRepr")]
pub struct ValidatorSet {
    epoch: u64,
    keys: Vec<VerifyingKey>,
    digest: Digest,
}

/// The serialised form: the digest is recomputed on decode.
#[derive(Serialize, Deserialize)]
struct SetRepr {
    epoch: u64,
    keys: Vec<VerifyingKey>,
}

impl TryFrom<SetRepr> for ValidatorSet {
    type Error = ConfigError;
    fn try_from(r: SetRepr) -> Result<Self, ConfigError> {
        ValidatorSet::with_epoch(r.epoch, r.keys)
    }
}

impl From<ValidatorSet> for SetRepr {
    fn from(s: ValidatorSet) -> SetRepr {
        SetRepr {
            epoch: s.epoch,
            keys: s.keys,
        }
    }
}

impl ValidatorSet {
    /// The genesis set (epoch 0) from public keys in replica-id order.
    pub fn new(keys: Vec<VerifyingKey>) -> Result<Self, ConfigError> {
        ValidatorSet::with_epoch(0, keys)
    }

    /// The set of epoch `epoch`: what a node that joins later, or an
    /// observer, builds from the application's record of the membership.
    /// Refuses an empty set and repeated keys.
    pub fn with_epoch(epoch: u64, keys: Vec<VerifyingKey>) -> Result<Self, ConfigError> {
        if keys.is_empty() {
            return Err(ConfigError::EmptyValidatorSet);
        }
        if u32::try_from(keys.len()).is_err() {
            return Err(ConfigError::BadParameter("too many validators"));
        }
        let distinct: std::collections::BTreeSet<[u8; 32]> =
            keys.iter().map(|k| k.to_bytes()).collect();
        if distinct.len() != keys.len() {
            return Err(ConfigError::BadParameter("a key appears twice in the set"));
        }
        let mut parts: Vec<&[u8]> = Vec::with_capacity(keys.len() + 1);
        let e = epoch.to_le_bytes();
        parts.push(&e);
        parts.extend(keys.iter().map(|k| k.as_bytes().as_slice()));
        let digest = Digest::hash(b"carbon-pbft/validator-set/v2", &parts);
        Ok(ValidatorSet {
            epoch,
            keys,
            digest,
        })
    }

    /// The set that follows this one: the next epoch, with `keys`.
    pub fn successor(&self, keys: Vec<VerifyingKey>) -> Result<Self, ConfigError> {
        let epoch = self
            .epoch
            .checked_add(1)
            .ok_or(ConfigError::BadParameter("epoch overflow"))?;
        ValidatorSet::with_epoch(epoch, keys)
    }

    /// The epoch number (0 for genesis).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The members' keys in replica-id order.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// Number of voting replicas.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a validator set has at least one member.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The number of faults tolerated.
    pub fn f(&self) -> usize {
        (self.keys.len() - 1) / 3
    }

    /// Matching votes needed for a certificate: `n - f`.
    pub fn quorum(&self) -> usize {
        self.keys.len() - self.f()
    }

    /// Votes that guarantee at least one correct voter: `f + 1`.
    pub fn weak_quorum(&self) -> usize {
        self.f() + 1
    }

    /// The key of replica `id`, if it is a member.
    pub fn key(&self, id: ReplicaId) -> Option<&VerifyingKey> {
        self.keys.get(id.0 as usize)
    }

    /// The replica id whose key is `key`, if any.
    pub fn id_of(&self, key: &VerifyingKey) -> Option<ReplicaId> {
        self.keys
            .iter()
            .position(|k| k == key)
            .map(|i| ReplicaId(i as u32))
    }

    /// Whether `id` is a member.
    pub fn contains(&self, id: ReplicaId) -> bool {
        (id.0 as usize) < self.keys.len()
    }

    /// Iterate over the member ids.
    pub fn ids(&self) -> impl Iterator<Item = ReplicaId> + '_ {
        (0..self.keys.len()).map(|i| ReplicaId(i as u32))
    }

    /// The primary of `view`: replica `view mod n`.
    pub fn primary(&self, view: View) -> ReplicaId {
        ReplicaId((view.0 % self.keys.len() as u64) as u32)
    }

    /// A digest of the epoch and the keys: bound into every signature and
    /// covered by every checkpoint.
    pub fn digest(&self) -> Digest {
        self.digest
    }
}

/// Protocol tunables. [`Config::default`] suits a LAN deployment; the
/// simulator uses smaller numbers so that runs are short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// K: a checkpoint every K sequence numbers.
    pub checkpoint_interval: u64,
    /// L: the high water mark is the low one plus L. A positive multiple of K.
    pub watermark_window: u64,
    /// The primary cuts a batch once it holds this many requests ...
    pub max_batch_requests: usize,
    /// ... or this many payload bytes ...
    pub max_batch_bytes: usize,
    /// ... or when the oldest queued request has waited this long.
    pub batch_delay: Duration,
    /// T: how long a backup waits for a request it knows about to execute
    /// before it starts a view change. Doubles on each consecutive failed
    /// view change, up to `max_view_change_timeout`.
    pub request_timeout: Duration,
    /// Upper bound of the doubling view-change timeout.
    pub max_view_change_timeout: Duration,
    /// Largest encoded message accepted from the network.
    pub max_message_bytes: usize,
    /// Most client requests a replica queues before dropping new ones.
    pub max_pending_requests: usize,
    /// How often a replica in a view change resends its VIEW-CHANGE, and a
    /// new primary its NEW-VIEW, to repair message loss.
    pub retransmit_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            checkpoint_interval: 128,
            watermark_window: 256,
            max_batch_requests: 1000,
            max_batch_bytes: 4 << 20,
            batch_delay: Duration::from_millis(5),
            request_timeout: Duration::from_secs(2),
            max_view_change_timeout: Duration::from_secs(60),
            max_message_bytes: 16 << 20,
            max_pending_requests: 100_000,
            retransmit_interval: Duration::from_millis(500),
        }
    }
}

impl Config {
    /// Check the parameters are consistent.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.checkpoint_interval == 0 {
            return Err(ConfigError::BadParameter(
                "checkpoint_interval must be positive",
            ));
        }
        if self.watermark_window == 0
            || !self
                .watermark_window
                .is_multiple_of(self.checkpoint_interval)
        {
            return Err(ConfigError::BadParameter(
                "watermark_window must be a positive multiple of checkpoint_interval",
            ));
        }
        if self.max_batch_requests == 0 || self.max_batch_bytes == 0 {
            return Err(ConfigError::BadParameter("batch bounds must be positive"));
        }
        if self.request_timeout.is_zero() || self.max_view_change_timeout < self.request_timeout {
            return Err(ConfigError::BadParameter(
                "request_timeout must be positive and at most max_view_change_timeout",
            ));
        }
        if self.retransmit_interval.is_zero() {
            return Err(ConfigError::BadParameter(
                "retransmit_interval must be positive",
            ));
        }
        if self.max_message_bytes < 1024 {
            return Err(ConfigError::BadParameter("max_message_bytes below 1 KiB"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn set(n: usize) -> ValidatorSet {
        let keys = (0..n)
            .map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32]).verifying_key())
            .collect();
        ValidatorSet::new(keys).unwrap()
    }

    #[test]
    fn quorum_is_two_f_plus_one_for_three_f_plus_one() {
        for (n, f, q) in [
            (4, 1, 3),
            (7, 2, 5),
            (10, 3, 7),
            (16, 5, 11),
            (5, 1, 4),
            (1, 0, 1),
        ] {
            let s = set(n);
            assert_eq!((s.f(), s.quorum()), (f, q), "n = {n}");
            assert!(
                2 * s.quorum() > n + s.f(),
                "quorums of {n} must intersect in f + 1"
            );
        }
    }

    #[test]
    fn primary_rotates_round_robin() {
        let s = set(4);
        assert_eq!(s.primary(View(0)), ReplicaId(0));
        assert_eq!(s.primary(View(5)), ReplicaId(1));
        assert_eq!(s.primary(View(u64::MAX)), ReplicaId((u64::MAX % 4) as u32));
    }

    #[test]
    fn rejects_repeated_keys_and_numbers_epochs() {
        let k = SigningKey::from_bytes(&[1; 32]).verifying_key();
        assert!(ValidatorSet::new(vec![k, k]).is_err());
        let s = set(4);
        assert_eq!(s.epoch(), 0);
        let next = s.successor(set(5).keys().to_vec()).unwrap();
        assert_eq!(next.epoch(), 1);
        // The same keys in another epoch sign under another digest.
        let again = next.successor(s.keys().to_vec()).unwrap();
        assert_eq!(again.keys(), s.keys());
        assert_ne!(again.digest(), s.digest());
        let bytes = bcs::to_bytes(&again).unwrap();
        let back: ValidatorSet = bcs::from_bytes(&bytes).unwrap();
        assert_eq!((back.epoch(), back.digest()), (2, again.digest()));
    }

    #[test]
    fn rejects_empty_set_and_bad_parameters() {
        assert_eq!(
            ValidatorSet::new(vec![]),
            Err(ConfigError::EmptyValidatorSet)
        );
        let c = Config {
            watermark_window: 3,
            checkpoint_interval: 2,
            ..Config::default()
        };
        assert!(c.validate().is_err());
        let c = Config {
            checkpoint_interval: 0,
            ..Config::default()
        };
        assert!(c.validate().is_err());
        assert!(Config::default().validate().is_ok());
    }
}
