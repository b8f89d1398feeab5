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
#[derive(Debug)]
pub struct Observer {
    validators: ValidatorSet,
    next: SeqNo,
    window: u64,
    buffer: BTreeMap<SeqNo, CommittedBatch>,
    ready: VecDeque<CommittedBatch>,
}

impl Observer {
    /// An observer that has delivered everything up to `last` and buffers at
    /// most `window` batches ahead of it.
    pub fn new(validators: ValidatorSet, last: SeqNo, window: u64) -> Observer {
        Observer {
            validators,
            next: SeqNo(last.0.saturating_add(1)),
            window,
            buffer: BTreeMap::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next sequence number it waits for.
    pub fn next_seq(&self) -> SeqNo {
        self.next
    }

    /// A message from replica `from`. Only committed batches are accepted;
    /// each is verified against the validator set, whoever sent it.
    pub fn handle_message(&mut self, from: ReplicaId, msg: Message) -> Result<()> {
        if !self.validators.contains(from) {
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
        c.certificate.verify_batch(&c.batch, &self.validators)?;
        self.buffer.insert(c.seq, c);
        while let Some(c) = self.buffer.remove(&self.next) {
            self.ready.push_back(c);
            self.next = SeqNo(self.next.0.saturating_add(1));
        }
        Ok(())
    }

    /// The next verified batch in sequence order.
    #[must_use]
    pub fn poll_committed(&mut self) -> Option<CommittedBatch> {
        self.ready.pop_front()
    }
}
