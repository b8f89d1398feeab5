//! State transfer (PBFT §5.3, simplified to whole-state fetches): a replica
//! that learns of a stable checkpoint beyond what it executed asks its host
//! for that state, checks what the host brings against the proved digest,
//! and resumes from it.

use crate::certificate::CheckpointProof;
use crate::checkpoint::checkpoint_digest;
use crate::error::{Misuse, Result};
use crate::ids::{SeqNo, Time};
use crate::output::{FetchState, Persist, StateSnapshot};
use crate::replica::Replica;
use std::collections::BTreeMap;

impl Replica {
    /// Ask the host for the state at a verified stable checkpoint (once per
    /// checkpoint; a later one supersedes it).
    pub(crate) fn request_state(&mut self, proof: CheckpointProof) {
        if self.fetching.is_some_and(|s| s >= proof.seq) || proof.seq == SeqNo(0) {
            return;
        }
        self.fetching = Some(proof.seq);
        self.stats.state_transfers += 1;
        self.out.fetch_state = Some(FetchState { proof });
    }

    /// The sequence number of the state transfer under way, if any.
    pub fn fetching_state(&self) -> Option<SeqNo> {
        self.fetching
    }

    /// The host fetched the state at the stable checkpoint: the application
    /// state (checked by the host against `snapshot.app_digest`) and the
    /// replica's snapshot, checked here against the proved checkpoint
    /// digest. On success the replica resumes from `snapshot.seq`; on
    /// failure nothing changes and the host should try another peer.
    ///
    /// A replica can catch up by itself while a transfer is under way; it
    /// then refuses a snapshot older than what it executed
    /// ([`Misuse::StaleState`]; a transfer it has overtaken is then over),
    /// so the host checks the replica's answer before replacing its
    /// application state (or compares [`last_executed`](Self::last_executed)
    /// first). A replica whose state diverged from a stable checkpoint
    /// never overtakes its transfer: it delivers nothing until a state is
    /// installed, and if it had executed past that checkpoint it rolls back
    /// to it: the host replaces its application state by the fetched one
    /// and discards what it applied above `snapshot.seq`; the batches above
    /// that the replica still holds committed in its log are delivered
    /// again, the rest comes with the next stable checkpoint.
    pub fn handle_state_installed(&mut self, now: Time, snapshot: StateSnapshot) -> Result<()> {
        self.now = self.now.max(now);
        if self.fetching.is_none() {
            return Err(Misuse::NoTransferPending.into());
        }
        if snapshot.seq < self.executed && self.diverged.is_none() {
            if self.fetching.is_some_and(|f| f < self.executed) {
                self.fetching = None;
            }
            return Err(Misuse::StaleState {
                snapshot: snapshot.seq,
                executed: self.executed,
            }
            .into());
        }
        if snapshot.seq != self.stable.seq || checkpoint_digest(&snapshot) != self.stable.digest {
            return Err(Misuse::StateMismatch.into());
        }
        self.fetching = None;
        let executed_before = self.executed;
        self.adopt_snapshot(&snapshot);
        self.out.persist.push(Persist::Installed(snapshot));
        if executed_before > self.executed {
            self.redo_after_rollback(executed_before);
        }
        let clients = &self.clients;
        self.queue
            .retain(|r| clients.get(&r.client).is_none_or(|last| r.id > *last));
        self.queued
            .retain(|(c, i)| clients.get(c).is_none_or(|last| i > last));
        self.to_execute = self.to_execute.split_off(&self.executed);
        self.awaiting_digest = self
            .awaiting_digest
            .split_off(&self.executed.next().unwrap_or(self.executed));
        self.execute_ready();
        self.try_propose(false);
        Ok(())
    }

    /// A diverged replica rolled back to the stable checkpoint below what
    /// it had executed: the batches above it that it still holds committed
    /// in its log are delivered again, on top of the agreed state (the rest
    /// comes with the next stable checkpoint).
    fn redo_after_rollback(&mut self, executed_before: SeqNo) {
        self.awaiting_digest.clear();
        let quorum = self.validators.quorum();
        let from = self.executed.next().unwrap_or(self.executed);
        let redo: Vec<_> = self
            .log
            .range(from..=executed_before)
            .filter(|(_, slot)| slot.committed)
            .filter_map(|(seq, slot)| slot.certified(*seq, quorum).map(|b| (*seq, b)))
            .collect();
        self.to_execute.extend(redo);
    }

    /// Take over a proved snapshot (live or on replay): what was executed,
    /// the client table, and the validator set it names. Any divergence and
    /// any pending change are over: the snapshot is the agreed state, and
    /// its set is the one in force after it.
    pub(crate) fn adopt_snapshot(&mut self, snapshot: &StateSnapshot) {
        self.executed = snapshot.seq;
        self.clients = snapshot.clients.iter().copied().collect();
        self.diverged = None;
        self.pending_set = None;
        // The installed state's digest replaces this replica's own (wrong or
        // older) ones; the votes it signed stay, and nothing is re-signed.
        self.own_digests = BTreeMap::from([(snapshot.seq, checkpoint_digest(snapshot))]);
        self.enter_epoch_of(snapshot);
    }
}
