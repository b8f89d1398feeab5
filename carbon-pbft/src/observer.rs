//! Observers (the regulator's light node): receive committed batches with
//! their certificates, verify them against the validator set, deliver them
//! in order. An observer has no signing key: it cannot vote, never counts
//! toward a quorum, and can never be primary.

use crate::config::ValidatorSet;
use crate::error::{Ignored, Misuse, PeerMisbehaved, Result};
use crate::ids::{ReplicaId, SeqNo};
use crate::messages::{CommittedBatch, Message};
use std::collections::BTreeMap;

/// A non-voting follower that trusts nobody but a quorum of signatures.
///
/// It follows validator-set changes as its application reports them
/// ([`schedule_validator_set`](Self::schedule_validator_set), called after
/// polling the batch that committed the change and before polling the next):
/// each batch is checked, when it is polled, against the set of its
/// sequence number's epoch, so a certificate of the old epoch for a
/// sequence number beyond the change's boundary is never delivered. A batch
/// that fails against the set known when it arrives is kept (the latest
/// one from each sender per sequence number, so a faulty sender cannot
/// crowd out the others) and checked again when its turn comes.
#[derive(Debug)]
pub struct Observer {
    validators: ValidatorSet,
    scheduled: Option<(SeqNo, ValidatorSet)>,
    next: SeqNo,
    window: u64,
    /// Batches that verified on arrival, with the epoch they verified in.
    buffer: BTreeMap<SeqNo, (CommittedBatch, u64)>,
    unverified: BTreeMap<SeqNo, BTreeMap<ReplicaId, CommittedBatch>>,
}

impl Observer {
    /// An observer that has delivered everything up to `last` and buffers at
    /// most `window` batches ahead of it.
    pub fn new(validators: ValidatorSet, last: SeqNo, window: u64) -> Observer {
        Observer {
            validators,
            scheduled: None,
            next: SeqNo(last.0.saturating_add(1)),
            window,
            buffer: BTreeMap::new(),
            unverified: BTreeMap::new(),
        }
    }

    /// The application delivered a validator-set change that takes effect
    /// after `effective` (what [`crate::Replica::handle_validator_set`]
    /// returned for it): batches above it are checked against `set`.
    ///
    /// Refused, changing nothing, while another change is scheduled and not
    /// yet in force (as the replica refuses a second pending change), or
    /// when `set` is not the next epoch's.
    pub fn schedule_validator_set(&mut self, effective: SeqNo, set: ValidatorSet) -> Result<()> {
        self.apply_due_change();
        if self.scheduled.is_some() {
            return Err(Misuse::BadValidatorSet("another change is pending").into());
        }
        if self.validators.epoch().checked_add(1) != Some(set.epoch()) {
            return Err(Misuse::BadValidatorSet("not the next epoch's set").into());
        }
        self.scheduled = Some((effective, set));
        Ok(())
    }

    /// Once every batch up to a scheduled change's boundary is delivered,
    /// its set is the one in force.
    fn apply_due_change(&mut self) {
        if let Some((b, _)) = &self.scheduled
            && self.next > *b
            && let Some((_, set)) = self.scheduled.take()
        {
            self.validators = set;
        }
    }

    /// The validator set batches at `next_seq` are checked against.
    pub fn validators(&self) -> &ValidatorSet {
        self.set_for(self.next)
    }

    fn set_for(&self, seq: SeqNo) -> &ValidatorSet {
        match &self.scheduled {
            Some((b, set)) if seq > *b => set,
            _ => &self.validators,
        }
    }

    /// The next sequence number it waits for.
    pub fn next_seq(&self) -> SeqNo {
        self.next
    }

    /// A message from replica `from`. Only committed batches are accepted;
    /// each is verified against the validator set, whoever sent it.
    pub fn handle_message(&mut self, from: ReplicaId, msg: Message) -> Result<()> {
        let member_next = self
            .scheduled
            .as_ref()
            .is_some_and(|(_, s)| s.contains(from));
        if !self.validators.contains(from) && !member_next {
            return Err(PeerMisbehaved::NotAMember(from).into());
        }
        let Message::Committed(c) = msg else {
            return Err(Ignored::Observer.into());
        };
        if c.seq < self.next || self.buffer.get(&c.seq).is_some_and(|(b, _)| *b == c) {
            return Err(Ignored::Duplicate.into());
        }
        if c.seq.0 - self.next.0 >= self.window {
            return Err(Ignored::OutsideWatermarks.into());
        }
        if c.certificate.seq != c.seq {
            return Err(crate::error::CertificateError::Inconsistent.into());
        }
        let set = self.set_for(c.seq);
        let verified = c.certificate.verify_batch(&c.batch, set);
        if verified.is_err() || self.buffer.contains_key(&c.seq) {
            // A change reported later may make it valid, or the one kept
            // invalid: keep a few alternatives, checked when polled.
            self.unverified.entry(c.seq).or_default().insert(from, c);
            return verified.map_err(Into::into);
        }
        let epoch = set.epoch();
        self.buffer.insert(c.seq, (c, epoch));
        Ok(())
    }

    /// The next verified batch in sequence order: checked against the set
    /// of its epoch as known now.
    #[must_use]
    pub fn poll_committed(&mut self) -> Option<CommittedBatch> {
        self.apply_due_change();
        let set = self.set_for(self.next).clone();
        let mut candidates = Vec::new();
        if let Some((c, epoch)) = self.buffer.remove(&self.next) {
            if epoch == set.epoch() {
                self.unverified.remove(&self.next);
                self.next = SeqNo(self.next.0.saturating_add(1));
                return Some(c);
            }
            candidates.push(c);
        }
        let kept = self.unverified.remove(&self.next).unwrap_or_default();
        candidates.extend(kept.values().cloned());
        match candidates
            .iter()
            .position(|c| c.certificate.verify_batch(&c.batch, &set).is_ok())
        {
            Some(i) => {
                self.next = SeqNo(self.next.0.saturating_add(1));
                Some(candidates.swap_remove(i))
            }
            None => {
                // A change not yet scheduled may still make one valid. The
                // buffered batch (verified under a set no longer in force)
                // is dropped: its senders' alternatives stay.
                if !kept.is_empty() {
                    self.unverified.insert(self.next, kept);
                }
                None
            }
        }
    }
}
