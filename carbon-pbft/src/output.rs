//! What a replica hands its host: the [`Ready`] bundle (state to persist,
//! messages to send, batches to apply, state to fetch) and the statistics.

use crate::certificate::{CheckpointProof, CommitCertificate, PreparedProof};
use crate::config::ValidatorSet;
use crate::ids::{ClientId, Digest, ReplicaId, RequestId, SeqNo, View};
use crate::messages::{Batch, CheckpointVote, Message, OrderVote, Signed, ViewChange};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Every other voting replica.
    AllReplicas,
    /// One replica.
    Replica(ReplicaId),
    /// Every observer the host knows of.
    Observers,
}

/// A message to transmit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// Recipients.
    pub to: Destination,
    /// The message.
    pub message: Message,
}

/// A batch the replica delivers for execution, strictly in sequence order,
/// each sequence number once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    /// Its sequence number.
    pub seq: SeqNo,
    /// The batch as ordered (a null batch is empty).
    pub batch: Batch,
    /// `fresh[i]` is false when `batch.requests[i]` repeats a request the
    /// client already had executed: the application must skip it (and may
    /// answer from its reply cache).
    pub fresh: Vec<bool>,
    /// 2f + 1 signed commits; verifiable by anyone with the validator set.
    pub certificate: CommitCertificate,
    /// True at a checkpoint boundary: after applying this batch the host
    /// must call [`crate::Replica::handle_state_digest`] with the state
    /// digest. Delivery pauses after this batch until it does.
    pub needs_state_digest: bool,
}

/// The replica state a checkpoint covers besides the application's own:
/// the per-client last executed request id and the validator set in force
/// after the checkpoint. Its hash is the checkpoint digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateSnapshot {
    /// The checkpoint's sequence number.
    pub seq: SeqNo,
    /// The application's state digest after executing `seq`.
    pub app_digest: Digest,
    /// Last executed request id per client, sorted by client.
    pub clients: Vec<(ClientId, RequestId)>,
    /// The validator set in force after `seq` (a new epoch's set when a
    /// change takes effect at this checkpoint).
    pub validators: ValidatorSet,
}

/// An entry the host must make durable before sending the messages of the
/// same [`Ready`]. Fed back, in order, to [`crate::Replica::recover`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Persist {
    /// A PRE-PREPARE, PREPARE or COMMIT this replica signed: never sign
    /// another digest for the same view, sequence number and phase.
    Vote(Signed<OrderVote>),
    /// A prepared certificate, reported in later VIEW-CHANGEs.
    Prepared(PreparedProof),
    /// This replica's VIEW-CHANGE: it left the previous view.
    ViewChange(Signed<ViewChange>),
    /// The replica entered `view` (NEW-VIEW accepted).
    EnterView(View),
    /// A batch was delivered; `clients` are the request ids it executed.
    Executed {
        /// Its sequence number.
        seq: SeqNo,
        /// (client, request id) executed by this batch.
        clients: Vec<(ClientId, RequestId)>,
    },
    /// This replica's state at a checkpoint: the snapshot (whose hash is
    /// the checkpoint digest) and the vote it signed for it (`None` when the
    /// replica does not vote in that epoch). After a restart the replica
    /// compares it with the stable checkpoint again.
    Checkpoint {
        /// The signed vote, if the replica votes at this checkpoint.
        vote: Option<Signed<CheckpointVote>>,
        /// The snapshot.
        snapshot: StateSnapshot,
    },
    /// A checkpoint became stable. (Entries before it are still needed:
    /// [`crate::Replica::restore`] replays the whole log, see the README's
    /// Limits.)
    Stable(CheckpointProof),
    /// State transfer installed `snapshot`.
    Installed(StateSnapshot),
    /// The application committed a validator-set change that takes effect
    /// after the checkpoint at `effective`.
    ValidatorSet {
        /// The checkpoint boundary after which `set` is in force.
        effective: SeqNo,
        /// The next epoch's set.
        set: ValidatorSet,
    },
    /// The replica entered the epoch of the pending validator-set change,
    /// after the checkpoint at `end`: everything persisted after this entry
    /// belongs to the new epoch.
    EnterEpoch {
        /// The old epoch's last checkpoint.
        end: SeqNo,
    },
}

/// The host should fetch the state at `proof.seq` (from any peer), check
/// the application part against the snapshot's `app_digest`, and call
/// [`crate::Replica::handle_state_installed`]. The proof is verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchState {
    /// The stable checkpoint to fetch.
    pub proof: CheckpointProof,
}

/// Everything a replica produced since the last call to
/// [`crate::Replica::ready`], in the order the host must handle it:
///
/// 1. write `persist` durably (and apply `committed` in the same atomic
///    write, so the two cannot disagree after a crash);
/// 2. only then send `messages`: they carry votes that `persist` records,
///    and a vote must be durable before it leaves (PBFT §4.2 with
///    restarts; raft-rs's `Ready` makes the same contract);
/// 3. fulfil `fetch_state`, if any.
#[derive(Clone, Debug, Default)]
#[must_use = "a Ready holds votes to persist and messages to send"]
pub struct Ready {
    /// Durable before any message is sent.
    pub persist: Vec<Persist>,
    /// To transmit after `persist` is durable.
    pub messages: Vec<Outgoing>,
    /// Batches to execute, in sequence order.
    pub committed: Vec<Committed>,
    /// A state transfer to perform.
    pub fetch_state: Option<FetchState>,
}

impl Ready {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.persist.is_empty()
            && self.messages.is_empty()
            && self.committed.is_empty()
            && self.fetch_state.is_none()
    }
}

/// Counters a host can export as metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages handed to the replica.
    pub received: u64,
    /// Dropped messages by cause (see [`crate::Error::label`]).
    pub dropped: BTreeMap<&'static str, u64>,
    /// Batches delivered.
    pub batches_committed: u64,
    /// Requests delivered as fresh.
    pub requests_committed: u64,
    /// View changes this replica started.
    pub view_changes: u64,
    /// State transfers requested.
    pub state_transfers: u64,
    /// Times this replica's own state digest disagreed with a stable
    /// checkpoint (its application went wrong; see
    /// [`crate::Replica::diverged`]).
    pub divergences: u64,
}

impl Stats {
    /// Total dropped messages.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }
}
