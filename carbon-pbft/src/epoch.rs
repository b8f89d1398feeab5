//! Validator-set changes: epochs that begin at a checkpoint boundary.
//!
//! The application decides membership (in Carbon, the regulator admits and
//! removes consensus nodes by transaction). When it commits a new set in the
//! batch at sequence number `at`, the host reports it with
//! [`Replica::handle_validator_set`] while it applies that batch. The change
//! takes effect after the first checkpoint boundary `B >= at`, identically
//! at every replica because `at` and the set come from the agreed log:
//!
//! 1. Until then the replica orders nothing above `B` (the window stops at
//!    `B`), and delivery pauses at every boundary until the host has given
//!    the state digest, so no batch above `B` can be delivered before the
//!    switch.
//! 2. The checkpoint at `B` is the old epoch's last: signed by the old set,
//!    its digest covers the new set (carried in the [`StateSnapshot`]), so a
//!    replica that fetches the state at `B` learns the new set from a proved
//!    snapshot.
//! 3. Once the checkpoint at `B` is stable (a quorum of the old set executed
//!    up to it), the replica executed up to it and its own digest there
//!    matches (see 7), it enters the new epoch: the set,
//!    its own id (a position in the set) and whether it still votes change;
//!    whatever the old epoch did above `B` (votes cast before the change was
//!    known, commits not yet delivered) is discarded, and the new epoch
//!    orders `B + 1` onwards in the view the replica was in.
//! 4. Every signature binds the digest of its epoch's set (epoch number and
//!    keys), so no vote of one epoch counts in another: votes cast above
//!    `B` in the old epoch can never form a certificate in the new one.
//! 5. Checkpoint votes and proofs at or below `B` are always checked against
//!    the old set (every epoch's set is kept: one per change), so replicas
//!    still in the old epoch can finish it and lagging ones can catch up,
//!    whatever checkpoint a peer's VIEW-CHANGE cites. (A replica that joined
//!    later knows the sets from the epoch before its own: a VIEW-CHANGE
//!    citing a checkpoint older than that, from a peer more than an epoch
//!    behind, fails to verify there and does not count.)
//!
//! A replica the change removes stops voting (its host may then run an
//! [`crate::Observer`]); a replica the change adds is started by its host
//! with [`Replica::join`], the new epoch's set ([`ValidatorSet::with_epoch`])
//! and the previous one, and catches up by state transfer.
//!
//! 6. The stable proof of every epoch's last checkpoint is kept and relayed
//!    (the latest [`RELAYED_EPOCH_PROOFS`]): a replica partitioned across a
//!    change verifies it with the set it has, fetches the state it names,
//!    and so learns the next set, epoch by epoch, however far the others
//!    have gone. So a host must keep the state snapshot at each of the
//!    latest [`RELAYED_EPOCH_PROOFS`] epoch boundaries (besides its latest
//!    stable checkpoint) to serve such fetches; a replica further behind is
//!    rebuilt with [`Replica::join`] at a recent epoch.
//! 7. A replica enters the new epoch only once its own state digest at the
//!    boundary matches the stable one: a replica whose application diverged
//!    (and may have reported a wrong set) fetches the boundary state
//!    instead, and takes the set its proved snapshot names. The switch is
//!    persisted ([`crate::Persist::EnterEpoch`]) and replayed at the same
//!    point of the log after a restart.

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::config::{Config, ValidatorSet};
use crate::error::{Misuse, Result};
use crate::ids::{ReplicaId, SeqNo, Time};
use crate::messages::Message;
use crate::output::{Persist, StateSnapshot};
use crate::replica::Replica;

/// How many epoch-transition proofs a replica keeps relaying: a peer more
/// epochs behind than this must be rebuilt by its host with
/// [`Replica::join`] at a recent epoch.
pub const RELAYED_EPOCH_PROOFS: usize = 8;

/// The epoch before the one a joining replica starts in
/// ([`Replica::join`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousEpoch {
    /// The sequence number of that epoch's last checkpoint (where the
    /// change took effect).
    pub end: SeqNo,
    /// That epoch's validator set.
    pub set: ValidatorSet,
}

impl Replica {
    /// The application committed a new validator set (`keys`, in replica-id
    /// order) in the batch at `at`, which this replica delivered. Call it
    /// while applying that batch, before the state digest of its checkpoint.
    /// Returns the sequence number after which the set takes effect (the
    /// first checkpoint boundary at or after `at`); the host tells its
    /// observers the same ([`crate::Observer::schedule_validator_set`]).
    ///
    /// Refused, changing nothing, when another change is still pending, when
    /// `at` was not delivered yet or belongs to an earlier epoch, when the
    /// boundary's state digest was already given, or when the set is empty,
    /// repeats a key, or equals the current one.
    pub fn handle_validator_set(
        &mut self,
        now: Time,
        at: SeqNo,
        keys: Vec<VerifyingKey>,
    ) -> Result<SeqNo> {
        self.now = self.now.max(now);
        let refuse = |why| Err(Misuse::BadValidatorSet(why).into());
        if self.pending_set.is_some() {
            return refuse("another change is pending");
        }
        if at > self.executed {
            return refuse("the batch that committed it was not delivered");
        }
        if at <= self.epoch_floor {
            return refuse("the batch belongs to an earlier epoch");
        }
        let k = self.cfg.checkpoint_interval;
        let Some(effective) = at.0.div_ceil(k).checked_mul(k).map(SeqNo) else {
            return refuse("sequence number overflow");
        };
        let digest_given = self.executed > effective
            || (self.executed == effective && !self.awaiting_digest.contains_key(&effective));
        if digest_given {
            return refuse("reported after the state digest of its checkpoint");
        }
        let set = self.validators.successor(keys)?;
        if set.keys() == self.validators.keys() {
            return refuse("the set is unchanged");
        }
        self.out.persist.push(Persist::ValidatorSet {
            effective,
            set: set.clone(),
        });
        self.pending_set = Some((effective, set));
        Ok(effective)
    }

    /// A replica that joins in a later epoch: `validators` is the set of
    /// the epoch it joins (it must be a member), `previous` the epoch before
    /// it. Its host knows both from the application's record of the change.
    /// With the previous set the replica can check that epoch's last
    /// checkpoint proof, which its peers' VIEW-CHANGEs and relays carry
    /// until a checkpoint of the new epoch is stable. After a restart,
    /// rebuild it the same way and [`restore`](Self::restore) it.
    pub fn join(
        cfg: Config,
        validators: ValidatorSet,
        id: ReplicaId,
        key: SigningKey,
        now: Time,
        previous: PreviousEpoch,
    ) -> Result<Replica> {
        if previous.set.epoch().checked_add(1) != Some(validators.epoch()) {
            return Err(Misuse::BadValidatorSet("not the epoch before the replica's").into());
        }
        if previous.end == SeqNo(0) || !previous.end.0.is_multiple_of(cfg.checkpoint_interval) {
            return Err(Misuse::BadValidatorSet("an epoch ends at a checkpoint boundary").into());
        }
        let mut r = Replica::build(cfg, validators, id, key, now)?;
        let old_id = previous.set.id_of(&r.key.verifying_key());
        r.past_epochs.insert(previous.end, (previous.set, old_id));
        r.epoch_floor = previous.end;
        Ok(r)
    }

    /// The set that signs and checks messages about `seq`, and this
    /// replica's id in it (`None` if it is not a member).
    pub(crate) fn epoch_of(&self, seq: SeqNo) -> (&ValidatorSet, Option<ReplicaId>) {
        match self.past_epochs.range(seq..).next() {
            Some((_, (set, id))) => (set, *id),
            None => (&self.validators, self.member.then_some(self.id)),
        }
    }

    /// The set in force after `seq`: what the checkpoint at `seq` covers.
    pub(crate) fn set_after(&self, seq: SeqNo) -> &ValidatorSet {
        if let Some((b, set)) = &self.pending_set
            && *b == seq
        {
            return set;
        }
        let next = SeqNo(seq.0.saturating_add(1));
        match self.past_epochs.range(next..).next() {
            Some((_, (set, _))) => set,
            None => &self.validators,
        }
    }

    /// After installing the state at a stable checkpoint: if its snapshot
    /// names a later epoch, enter it.
    pub(crate) fn enter_epoch_of(&mut self, snapshot: &StateSnapshot) {
        if snapshot.validators.epoch() > self.validators.epoch() {
            self.start_epoch(snapshot.seq, snapshot.validators.clone());
        }
    }

    /// Enter the pending epoch once its boundary checkpoint is stable, this
    /// replica has executed up to it, and its own digest there matches the
    /// stable one. Waiting for stability, not just execution, keeps every
    /// replica in the old epoch until a quorum of it has finished: a laggard
    /// can then always catch up, by the old epoch's view change or by
    /// fetching the state the stable proof names. Waiting for its own
    /// digest keeps a replica whose application went wrong (and so may have
    /// committed a wrong set) out of the epoch: it fetches the state, whose
    /// snapshot names the right set.
    pub(crate) fn maybe_switch_epoch(&mut self) {
        let due = match &self.pending_set {
            Some((b, _)) => {
                self.stable.seq == *b
                    && self.executed >= *b
                    && self.diverged.is_none()
                    && self.own_digests.get(b) == Some(&self.stable.digest)
            }
            None => false,
        };
        if due && let Some((b, set)) = self.pending_set.take() {
            self.out.persist.push(Persist::EnterEpoch { end: b });
            self.start_epoch(b, set);
        }
    }

    /// Leave the current epoch after `end` and start the one of `set`.
    pub(crate) fn start_epoch(&mut self, end: SeqNo, set: ValidatorSet) {
        let me = self.key.verifying_key();
        if self.stable.seq == end {
            self.epoch_proofs.insert(end, self.stable.clone());
        }
        let old = std::mem::replace(&mut self.validators, set);
        self.past_epochs
            .insert(end, (old, self.member.then_some(self.id)));
        match self.validators.id_of(&me) {
            Some(id) => {
                self.id = id;
                self.member = true;
            }
            None => self.member = false,
        }
        self.pending_set = None;
        self.epoch_floor = end;
        // What the old epoch did above `end` never counts in the new one.
        let above = end.next().unwrap_or(end);
        drop(self.log.split_off(&above));
        drop(self.to_execute.split_off(&above));
        drop(self.checkpoint_votes.split_off(&above));
        // Votes it signed above `end` in the old epoch (before a rollback)
        // count for nothing in the new one: it votes there afresh.
        drop(self.own_votes.split_off(&above));
        self.signed_votes.retain(|(_, s, _), _| *s <= end);
        self.prepared.clear();
        self.in_flight.clear();
        self.next_seq = end;
        // The new epoch starts in the replica's view, active. The last
        // NEW-VIEW is kept: peers still finishing the old epoch in an older
        // view need it.
        self.view_changes.clear();
        self.own_view_change = None;
        self.view_active = true;
        self.view_change_deadline = None;
        self.batch_deadline = None;
        self.timeout = self.cfg.request_timeout;
        self.rearm_request_timer();
    }

    /// Relay the proofs of the latest epoch transitions, so that a replica
    /// still in an earlier epoch can verify the next one's start, fetch its
    /// state and follow.
    pub(crate) fn relay_epoch_proofs(&mut self) {
        let proofs: Vec<_> = self
            .epoch_proofs
            .values()
            .rev()
            .take(RELAYED_EPOCH_PROOFS)
            .cloned()
            .collect();
        for p in proofs.into_iter().rev() {
            self.broadcast(Message::StableCheckpoint(p));
        }
    }
}
