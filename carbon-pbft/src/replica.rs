//! The replica: state, construction, outputs and the helpers the phases
//! share. Inputs are dispatched in `input.rs`.
//! The protocol phases live in `normal.rs`, `checkpoint.rs`,
//! `view_change.rs`, `state_transfer.rs` and `epoch.rs` (validator-set
//! changes), each an `impl Replica` block.

use crate::certificate::{CheckpointProof, CommitCertificate, PreparedProof};
use crate::config::{Config, ValidatorSet};
use crate::error::{ConfigError, Ignored, PeerMisbehaved, Result};
use crate::ids::{ClientId, Digest, ReplicaId, RequestId, SeqNo, Time, View};
use crate::messages::{Batch, Message, OrderVote, Phase, Request, Signable, Signed, ViewChange};
use crate::output::{Destination, Outgoing, Persist, Ready, StateSnapshot, Stats};
use ed25519_dalek::SigningKey;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

/// Per-sequence-number state in the current view.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slot {
    pub(crate) pre_prepare: Option<(Signed<OrderVote>, Batch)>,
    pub(crate) prepares: BTreeMap<ReplicaId, Signed<OrderVote>>,
    pub(crate) commits: BTreeMap<ReplicaId, Signed<OrderVote>>,
    pub(crate) prepared: bool,
    pub(crate) committed: bool,
}

/// A sans-IO PBFT replica (Castro and Liskov, signature variant).
///
/// The replica never reads a clock, draws randomness, spawns a thread, or
/// touches a socket or a disk: the host feeds it inputs and drains outputs.
/// The methods fall into four kinds:
///
/// * **getters**: [`id`](Self::id), [`view`](Self::view),
///   [`is_view_active`](Self::is_view_active), [`is_primary`](Self::is_primary),
///   [`last_executed`](Self::last_executed), [`low_water_mark`](Self::low_water_mark),
///   [`stats`](Self::stats), [`validators`](Self::validators);
/// * **inputs** (`handle_*`, each with the current time): a message from a
///   peer ([`handle_message`](Self::handle_message) or
///   [`handle_bytes`](Self::handle_bytes)), a client request
///   ([`handle_request`](Self::handle_request)), the passage of time
///   ([`handle_timeout`](Self::handle_timeout)), the application's state
///   digest at a checkpoint ([`handle_state_digest`](Self::handle_state_digest)),
///   and the end of a state transfer
///   ([`handle_state_installed`](Self::handle_state_installed));
/// * **constructors**: [`new`](Self::new) for a fresh replica and
///   [`recover`](Self::recover) after a restart, from what earlier `Ready`s
///   asked to persist;
/// * **outputs** (`poll_*` and [`ready`](Self::ready)).
///
/// A driver loop, after every input: call [`ready`](Self::ready) and handle
/// the [`Ready`] in its documented order (persist, then send and apply, then
/// fetch state); then call [`poll_timeout`](Self::poll_timeout) and arm a
/// timer for the deadline it returns, calling
/// [`handle_timeout`](Self::handle_timeout) when it passes.
///
/// A clone is an independent replica in the same state (with the same
/// key): model checkers and fuzzers branch on it.
#[derive(Clone)]
pub struct Replica {
    pub(crate) cfg: Config,
    pub(crate) id: ReplicaId,
    pub(crate) key: SigningKey,
    pub(crate) validators: ValidatorSet,
    /// Whether this replica votes in the current epoch (false once a
    /// validator-set change removed it).
    pub(crate) member: bool,
    /// A committed change: the boundary it takes effect after, and the set.
    pub(crate) pending_set: Option<(SeqNo, ValidatorSet)>,
    /// Every earlier epoch this replica knows, keyed by the epoch's last
    /// sequence number, with this replica's id in it.
    pub(crate) past_epochs: BTreeMap<SeqNo, (ValidatorSet, Option<ReplicaId>)>,
    /// The stable proof of each known epoch's last checkpoint, relayed to
    /// peers still in an earlier epoch.
    pub(crate) epoch_proofs: BTreeMap<SeqNo, CheckpointProof>,
    /// The current epoch orders only sequence numbers above this one.
    pub(crate) epoch_floor: SeqNo,
    pub(crate) now: Time,
    // View state.
    pub(crate) view: View,
    pub(crate) view_active: bool,
    pub(crate) timeout: Duration,
    pub(crate) view_changes: BTreeMap<View, BTreeMap<ReplicaId, Signed<ViewChange>>>,
    pub(crate) own_view_change: Option<Signed<ViewChange>>,
    pub(crate) last_new_view: Option<Message>,
    // Log.
    pub(crate) log: BTreeMap<SeqNo, Slot>,
    pub(crate) signed_votes: BTreeMap<(View, SeqNo, Phase), Digest>,
    pub(crate) prepared: BTreeMap<SeqNo, PreparedProof>,
    pub(crate) to_execute: BTreeMap<SeqNo, (Batch, CommitCertificate)>,
    pub(crate) next_seq: SeqNo,
    pub(crate) executed: SeqNo,
    // Checkpoints.
    pub(crate) low: SeqNo,
    pub(crate) stable: CheckpointProof,
    pub(crate) awaiting_digest: BTreeMap<SeqNo, Vec<(ClientId, RequestId)>>,
    /// This replica's own checkpoint digests (of its state as it is now:
    /// an installed state replaces them).
    pub(crate) own_digests: BTreeMap<SeqNo, Digest>,
    /// The checkpoint votes it signed: at most one per sequence number,
    /// ever, even when a rollback makes it compute another digest there.
    pub(crate) own_votes: BTreeMap<SeqNo, Message>,
    pub(crate) checkpoint_votes:
        BTreeMap<SeqNo, BTreeMap<ReplicaId, Signed<crate::messages::CheckpointVote>>>,
    pub(crate) fetching: Option<SeqNo>,
    /// This replica's state disagreed with the stable checkpoint at this
    /// sequence number: it delivers nothing until a fetched state at or
    /// above what it executed is installed.
    pub(crate) diverged: Option<SeqNo>,
    // Requests.
    pub(crate) clients: BTreeMap<ClientId, RequestId>,
    pub(crate) queue: VecDeque<Request>,
    pub(crate) queued: BTreeSet<(ClientId, RequestId)>,
    pub(crate) in_flight: BTreeSet<(ClientId, RequestId)>,
    // Timers.
    pub(crate) batch_deadline: Option<Time>,
    pub(crate) request_deadline: Option<Time>,
    pub(crate) view_change_deadline: Option<Time>,
    pub(crate) retransmit_deadline: Time,
    // Outputs.
    pub(crate) out: Ready,
    pub(crate) stats: Stats,
}

impl Replica {
    /// A fresh replica `id` of the genesis set `validators` (epoch 0),
    /// signing with `key`, at time `now`. A replica that joins in a later
    /// epoch is built with [`join`](Self::join).
    pub fn new(
        cfg: Config,
        validators: ValidatorSet,
        id: ReplicaId,
        key: SigningKey,
        now: Time,
    ) -> Result<Replica> {
        if validators.epoch() != 0 {
            return Err(ConfigError::LaterEpoch(validators.epoch()).into());
        }
        Replica::build(cfg, validators, id, key, now)
    }

    pub(crate) fn build(
        cfg: Config,
        validators: ValidatorSet,
        id: ReplicaId,
        key: SigningKey,
        now: Time,
    ) -> Result<Replica> {
        cfg.validate()?;
        if validators.key(id) != Some(&key.verifying_key()) {
            return Err(ConfigError::KeyMismatch(id).into());
        }
        let timeout = cfg.request_timeout;
        let retransmit_deadline = now.saturating_add(cfg.retransmit_interval);
        Ok(Replica {
            cfg,
            id,
            key,
            validators,
            member: true,
            pending_set: None,
            past_epochs: BTreeMap::new(),
            epoch_proofs: BTreeMap::new(),
            epoch_floor: SeqNo(0),
            now,
            view: View(0),
            view_active: true,
            timeout,
            view_changes: BTreeMap::new(),
            own_view_change: None,
            last_new_view: None,
            log: BTreeMap::new(),
            signed_votes: BTreeMap::new(),
            prepared: BTreeMap::new(),
            to_execute: BTreeMap::new(),
            next_seq: SeqNo(0),
            executed: SeqNo(0),
            low: SeqNo(0),
            stable: CheckpointProof::genesis(),
            awaiting_digest: BTreeMap::new(),
            own_digests: BTreeMap::new(),
            own_votes: BTreeMap::new(),
            checkpoint_votes: BTreeMap::new(),
            fetching: None,
            diverged: None,
            clients: BTreeMap::new(),
            queue: VecDeque::new(),
            queued: BTreeSet::new(),
            in_flight: BTreeSet::new(),
            batch_deadline: None,
            request_deadline: None,
            view_change_deadline: None,
            retransmit_deadline,
            out: Ready::default(),
            stats: Stats::default(),
        })
    }

    // ----- outputs -----

    /// Take everything produced since the last call. See [`Ready`] for the
    /// order in which the host must handle it.
    pub fn ready(&mut self) -> Ready {
        std::mem::take(&mut self.out)
    }

    /// Whether [`ready`](Self::ready) would return anything.
    pub fn has_ready(&self) -> bool {
        !self.out.is_empty()
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout)
    /// has something to do.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Time> {
        [
            self.batch_deadline,
            self.request_deadline,
            self.view_change_deadline,
            Some(self.retransmit_deadline),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- helpers shared by the phases -----

    /// Sign, record as persisted, and return a vote; refuses (None) to sign a
    /// second digest for the same (view, seq, phase).
    pub(crate) fn sign_vote(&mut self, vote: OrderVote) -> Option<Signed<OrderVote>> {
        if !self.member {
            return None;
        }
        let key = (vote.view, vote.seq, vote.phase);
        match self.signed_votes.get(&key) {
            Some(d) if *d != vote.digest => return None,
            Some(_) => return Some(Signed::sign(&self.validators, &self.key, self.id, vote)),
            None => {}
        }
        self.signed_votes.insert(key, vote.digest);
        let s = Signed::sign(&self.validators, &self.key, self.id, vote);
        self.out.persist.push(Persist::Vote(s.clone()));
        Some(s)
    }

    pub(crate) fn sign<T: Signable>(&self, body: T) -> Signed<T> {
        Signed::sign(&self.validators, &self.key, self.id, body)
    }

    pub(crate) fn broadcast(&mut self, message: Message) {
        self.out.messages.push(Outgoing {
            to: Destination::AllReplicas,
            message,
        });
    }

    pub(crate) fn send(&mut self, to: ReplicaId, message: Message) {
        self.out.messages.push(Outgoing {
            to: Destination::Replica(to),
            message,
        });
    }

    /// h < seq <= H, above the current epoch's floor, and not beyond a
    /// pending validator-set change (the next epoch orders those).
    pub(crate) fn in_window(&self, seq: SeqNo) -> bool {
        seq > self.low
            && seq > self.epoch_floor
            && seq.0 <= self.low.0.saturating_add(self.cfg.watermark_window)
            && self.pending_set.as_ref().is_none_or(|(b, _)| seq <= *b)
    }

    /// Reject a signed message whose signer is not the link-level sender,
    /// then verify it in the current epoch.
    pub(crate) fn check_signed<T: Signable>(&self, from: ReplicaId, s: &Signed<T>) -> Result<()> {
        if s.from != from {
            return Err(PeerMisbehaved::SenderMismatch {
                signer: s.from,
                from,
            }
            .into());
        }
        verify_in(&self.validators, s)
    }

    pub(crate) fn normal_case_allowed(&self, view: View) -> Result<()> {
        if view != self.view {
            return Err(Ignored::WrongView.into());
        }
        if !self.view_active {
            return Err(Ignored::ViewChanging.into());
        }
        Ok(())
    }

    /// The replica's snapshot of its own bookkeeping at `seq`, with the set
    /// in force after it.
    pub(crate) fn snapshot(
        &self,
        seq: SeqNo,
        app_digest: Digest,
        clients: Vec<(ClientId, RequestId)>,
    ) -> StateSnapshot {
        StateSnapshot {
            seq,
            app_digest,
            clients,
            validators: self.set_after(seq).clone(),
        }
    }
}

/// Verify `s` against `set`. A message that does not verify and says it
/// was signed in another epoch (one this replica has left, not reached, or
/// never knew) is set aside as [`Ignored::OtherEpoch`], not held against
/// its sender. The epoch is an unsigned hint: it only classifies a failure,
/// so altering it cannot make a genuine message fail.
pub(crate) fn verify_in<T: Signable>(set: &ValidatorSet, s: &Signed<T>) -> Result<()> {
    match s.verify(set) {
        Ok(()) => Ok(()),
        Err(_) if s.epoch != set.epoch() => Err(Ignored::OtherEpoch.into()),
        Err(e) => Err(e.into()),
    }
}

impl Replica {
    /// Verify a stable-checkpoint proof against the set of its sequence
    /// number's epoch; a failing proof whose votes say they were signed in
    /// another epoch is [`Ignored::OtherEpoch`] (see [`verify_in`]).
    pub(crate) fn verify_proof(&self, proof: &CheckpointProof) -> Result<()> {
        let set = self.epoch_of(proof.seq).0;
        match proof.verify(set) {
            Ok(()) => Ok(()),
            Err(_) if proof.votes.iter().any(|v| v.epoch != set.epoch()) => {
                Err(Ignored::OtherEpoch.into())
            }
            Err(e) => Err(e.into()),
        }
    }
}
