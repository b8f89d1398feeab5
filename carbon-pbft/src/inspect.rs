//! What a host may read of a replica: its position (id, view, water
//! marks), its epoch, and counters. Nothing here changes the replica.

use crate::certificate::CheckpointProof;
use crate::config::ValidatorSet;
use crate::ids::{ReplicaId, SeqNo, View};
use crate::output::Stats;
use crate::replica::Replica;

impl Replica {
    /// This replica's id.
    pub fn id(&self) -> ReplicaId {
        self.id
    }
    /// The current view (the target view while a view change is under way).
    pub fn view(&self) -> View {
        self.view
    }
    /// False between sending VIEW-CHANGE and accepting the NEW-VIEW.
    pub fn is_view_active(&self) -> bool {
        self.view_active
    }
    /// Whether this replica is the primary of its current view.
    pub fn is_primary(&self) -> bool {
        self.validators.primary(self.view) == self.id
    }
    /// The last sequence number delivered for execution.
    pub fn last_executed(&self) -> SeqNo {
        self.executed
    }
    /// h: the last stable checkpoint.
    pub fn low_water_mark(&self) -> SeqNo {
        self.low
    }
    /// The proof of the last stable checkpoint.
    pub fn stable_checkpoint(&self) -> &CheckpointProof {
        &self.stable
    }
    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// The validator set of the current epoch. It changes when a committed
    /// change takes effect (see [`handle_validator_set`](Self::handle_validator_set));
    /// a host compares its [`epoch`](ValidatorSet::epoch) after each input
    /// to re-map peer ids, which are positions in the set.
    pub fn validators(&self) -> &ValidatorSet {
        &self.validators
    }
    /// Whether this replica votes in the current epoch.
    pub fn is_member(&self) -> bool {
        self.member
    }
    /// A committed validator-set change not yet in force: the sequence
    /// number after which it takes effect, and the set.
    pub fn pending_validators(&self) -> Option<(SeqNo, &ValidatorSet)> {
        self.pending_set.as_ref().map(|(s, v)| (*s, v))
    }
    /// A delivered checkpoint batch whose state digest the replica still
    /// needs: after [`recover`](Self::recover), when the crash came between
    /// applying the batch and [`handle_state_digest`](Self::handle_state_digest),
    /// the host gives the digest of its (recovered) application state.
    pub fn awaiting_state_digest(&self) -> Option<SeqNo> {
        self.awaiting_digest.keys().next().copied()
    }
    /// The stable checkpoint this replica's own state digest disagreed
    /// with, while that lasts: it delivers nothing until the state it is
    /// fetching ([`fetching_state`](Self::fetching_state)) is installed. A
    /// host should raise an alarm: its application went wrong.
    pub fn diverged(&self) -> Option<SeqNo> {
        self.diverged
    }
    /// Number of client requests queued and not yet executed.
    pub fn pending_requests(&self) -> usize {
        self.queue.len()
    }
}

/// How much a replica holds, by kind: what its bounds limit, for metrics
/// and for the fuzz targets that check the bounds hold under any input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    /// Log slots (sequence numbers with any pre-prepare or vote).
    pub log_slots: usize,
    /// Committed batches waiting for delivery.
    pub undelivered: usize,
    /// Peers' checkpoint votes held, over all sequence numbers.
    pub checkpoint_votes: usize,
    /// VIEW-CHANGE messages held, over all views.
    pub view_changes: usize,
    /// Client requests queued.
    pub queued_requests: usize,
    /// Votes this replica signed and still remembers.
    pub signed_votes: usize,
}

impl Replica {
    /// What the replica holds now (see [`Footprint`]).
    pub fn footprint(&self) -> Footprint {
        Footprint {
            log_slots: self.log.len(),
            undelivered: self.to_execute.len(),
            checkpoint_votes: self.checkpoint_votes.values().map(|m| m.len()).sum(),
            view_changes: self.view_changes.values().map(|m| m.len()).sum(),
            queued_requests: self.queue.len(),
            signed_votes: self.signed_votes.len(),
        }
    }
}
