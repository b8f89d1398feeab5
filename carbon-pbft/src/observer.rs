//! Observers (the regulator's light node): receive committed batches with
//! their certificates, verify them against the validator set, deliver them
//! in order. An observer has no signing key: it cannot vote, never counts
//! toward a quorum, and can never be primary.

use crate::config::ValidatorSet;
use crate::error::{Ignored, PeerMisbehaved, Result};
use crate::ids::{ReplicaId, SeqNo};
use crate::messages::{CommittedBatch, Message};
use std::collections::{BTreeMap, VecDeque};

/// A non-voting follower that trusts nobody but a quorum of signatures.
///
/// It follows validator-set changes as the application reports them
/// ([`schedule_validator_set`](Self::schedule_validator_set)): batches above
/// the change's boundary are checked against the new set. A batch that
/// arrives before the change is known and fails against the old set is kept
/// (a few per sequence number) and checked again when its turn comes.
#[derive(Debug)]
pub struct Observer {
    validators: ValidatorSet,
    scheduled: Option<(SeqNo, ValidatorSet)>,
    next: SeqNo,
    window: u64,
    buffer: BTreeMap<SeqNo, CommittedBatch>,
    unverified: BTreeMap<SeqNo, Vec<CommittedBatch>>,
    ready: VecDeque<CommittedBatch>,
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
            ready: VecDeque::new(),
        }
    }

    /// The application delivered a validator-set change that takes effect
    /// after `effective` (what [`crate::Replica::handle_validator_set`]
    /// returned for it): batches above it are checked against `set`.
    pub fn schedule_validator_set(&mut self, effective: SeqNo, set: ValidatorSet) {
        self.scheduled = Some((effective, set));
        self.advance();
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

    /// Move verified batches, in order, to the ready queue; at the change's
    /// boundary, the new set becomes the current one.
    fn advance(&mut self) {
        loop {
            if let Some((b, _)) = &self.scheduled
                && self.next > *b
                && let Some((_, set)) = self.scheduled.take()
            {
                self.validators = set;
            }
            let c = match self.buffer.remove(&self.next) {
                Some(c) => c,
                None => {
                    let set = self.set_for(self.next).clone();
                    let candidates = self.unverified.remove(&self.next).unwrap_or_default();
                    match candidates
                        .into_iter()
                        .find(|c| c.certificate.verify_batch(&c.batch, &set).is_ok())
                    {
                        Some(c) => c,
                        None => return,
                    }
                }
            };
            self.unverified.remove(&self.next);
            self.ready.push_back(c);
            self.next = SeqNo(self.next.0.saturating_add(1));
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
        if c.seq < self.next || self.buffer.contains_key(&c.seq) {
            return Err(Ignored::Duplicate.into());
        }
        if c.seq.0 - self.next.0 >= self.window {
            return Err(Ignored::OutsideWatermarks.into());
        }
        if c.certificate.seq != c.seq {
            return Err(crate::error::CertificateError::Inconsistent.into());
        }
        if let Err(e) = c.certificate.verify_batch(&c.batch, self.set_for(c.seq)) {
            // A change reported later may still make it valid: keep a few.
            let keep = self.validators.len();
            let kept = self.unverified.entry(c.seq).or_default();
            if kept.len() < keep {
                kept.push(c);
            }
            return Err(e.into());
        }
        self.buffer.insert(c.seq, c);
        self.advance();
        Ok(())
    }

    /// The next verified batch in sequence order.
    #[must_use]
    pub fn poll_committed(&mut self) -> Option<CommittedBatch> {
        self.ready.pop_front()
    }
}
