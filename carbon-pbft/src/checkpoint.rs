//! Checkpoints and garbage collection (PBFT §4.3): a CHECKPOINT every K
//! sequence numbers carrying a digest of the state, 2f + 1 matching ones make
//! it stable, the log at or below it is discarded and the water marks move.

use crate::certificate::CheckpointProof;
use crate::error::{Ignored, Misuse, PeerMisbehaved, Result};
use crate::ids::{Digest, ReplicaId, SeqNo, Time};
use crate::messages::{CheckpointVote, Message, Signed};
use crate::output::{Persist, StateSnapshot};
use crate::replica::{Replica, verify_in};

/// The digest replicas agree on at a checkpoint: the sequence number, the
/// application's state digest, the per-client table, and the validator set
/// in force after it (all in the snapshot).
pub fn checkpoint_digest(snapshot: &StateSnapshot) -> Digest {
    // Invariant: BCS encodes these plain types without failure.
    let bytes = bcs::to_bytes(snapshot).expect("BCS encodes plain data");
    Digest::hash(b"carbon-pbft/checkpoint/v2", &[&bytes])
}

impl Replica {
    /// The application's state digest after executing `seq`, a checkpoint
    /// boundary delivered with `needs_state_digest`. The replica signs and
    /// sends its CHECKPOINT (if it votes in that epoch) and delivery, paused
    /// at the boundary, resumes. If the checkpoint is already stable, the
    /// digest is checked against the stable one: a match lets a
    /// validator-set change due at `seq` take effect, a mismatch makes the
    /// replica fetch the agreed state (see [`diverged`](Self::diverged)).
    pub fn handle_state_digest(&mut self, now: Time, seq: SeqNo, app_digest: Digest) -> Result<()> {
        self.now = self.now.max(now);
        let clients = self
            .awaiting_digest
            .remove(&seq)
            .ok_or(Misuse::UnexpectedStateDigest(seq))?;
        let snapshot = self.snapshot(seq, app_digest, clients);
        let digest = checkpoint_digest(&snapshot);
        let (set, id) = self.epoch_of(seq);
        // A replica that voted here before rolling back never signs a second
        // digest for the same checkpoint.
        let id = id.filter(|_| !self.own_votes.contains_key(&seq) && self.diverged.is_none());
        let vote = id.map(|id| Signed::sign(set, &self.key, id, CheckpointVote { seq, digest }));
        self.out.persist.push(Persist::Checkpoint {
            vote: vote.clone(),
            snapshot,
        });
        self.own_digests.insert(seq, digest);
        if let Some(vote) = vote {
            let msg = Message::Checkpoint(vote.clone());
            self.own_votes.insert(seq, msg.clone());
            self.broadcast(msg);
            if seq > self.low {
                self.checkpoint_votes
                    .entry(seq)
                    .or_default()
                    .insert(vote.from, vote);
                self.check_stable(seq);
            }
        }
        if seq == self.low {
            // The checkpoint became stable while its digest was pending (or
            // before a crash): check this replica's state against it.
            self.check_own_digest(digest);
            self.fetch_stable_if_needed();
        }
        self.maybe_switch_epoch();
        self.execute_ready();
        self.try_propose(false);
        Ok(())
    }

    /// Compare this replica's digest at the stable checkpoint with the
    /// proved one. A mismatch means its state went wrong at or before it:
    /// it delivers nothing more until a fetched state replaces its own. A
    /// match means its state is the agreed one there, whatever went wrong
    /// before.
    pub(crate) fn check_own_digest(&mut self, mine: Digest) {
        self.diverged = (mine != self.stable.digest).then_some(self.stable.seq);
        if self.diverged.is_some() {
            self.stats.divergences += 1;
        }
    }

    /// Ask for the stable checkpoint's state if this replica has not
    /// executed up to it, or if its own state diverged (even when it
    /// executed past the checkpoint: it then rolls back to it, since a later
    /// checkpoint may be signed by a set only that state names).
    pub(crate) fn fetch_stable_if_needed(&mut self) {
        if self.executed < self.stable.seq || self.diverged.is_some() {
            self.request_state(self.stable.clone());
        } else if self.fetching.is_some_and(|f| f <= self.executed) {
            // A divergence a later checkpoint ended: nothing left to fetch.
            self.fetching = None;
        }
    }

    /// A peer's CHECKPOINT. Votes far beyond the window are kept one per
    /// replica (its latest), so a faulty peer cannot fill memory.
    pub(crate) fn on_checkpoint(
        &mut self,
        from: ReplicaId,
        c: Signed<CheckpointVote>,
    ) -> Result<()> {
        let seq = c.body.seq;
        if !seq.0.is_multiple_of(self.cfg.checkpoint_interval) || seq == SeqNo(0) {
            return Err(PeerMisbehaved::Unexpected("checkpoint off a boundary").into());
        }
        if seq <= self.low {
            return Err(Ignored::OutsideWatermarks.into());
        }
        let signer = c.from;
        let held = self.checkpoint_votes.get(&seq).and_then(|m| m.get(&signer));
        if held.is_some_and(|have| have.body.digest == c.body.digest) {
            return Err(Ignored::Duplicate.into());
        }
        if seq <= self.epoch_floor {
            // An earlier epoch's checkpoint: its signer's id is a position in
            // that epoch's set, which the transport's ids may no longer match.
            verify_in(self.epoch_of(seq).0, &c)?;
        } else {
            self.check_signed(from, &c)?;
        }
        // Checked after the signature: a vote of another epoch (a replica
        // that rolled back into the next one) never verifies here.
        if held.is_some() {
            return Err(PeerMisbehaved::Unexpected(
                "two checkpoint digests for one sequence number",
            )
            .into());
        }
        let from = signer;
        let far = self.low.0.saturating_add(self.cfg.watermark_window);
        if seq.0 > far {
            // Keep only this replica's latest vote beyond the window.
            let older: Vec<SeqNo> = self
                .checkpoint_votes
                .range(SeqNo(far.saturating_add(1))..)
                .filter(|(_, m)| m.contains_key(&from))
                .map(|(s, _)| *s)
                .collect();
            if older.iter().any(|s| *s > seq) {
                return Err(Ignored::OutsideWatermarks.into());
            }
            for s in older {
                if let Some(m) = self.checkpoint_votes.get_mut(&s) {
                    m.remove(&from);
                }
            }
        }
        self.checkpoint_votes
            .entry(seq)
            .or_default()
            .insert(from, c);
        self.check_stable(seq);
        Ok(())
    }

    /// If a quorum agrees on one digest at `seq`, the checkpoint is stable.
    fn check_stable(&mut self, seq: SeqNo) {
        let Some(votes) = self.checkpoint_votes.get(&seq) else {
            return;
        };
        let mut by_digest: std::collections::BTreeMap<Digest, Vec<&Signed<CheckpointVote>>> =
            Default::default();
        for v in votes.values() {
            by_digest.entry(v.body.digest).or_default().push(v);
        }
        let quorum = self.epoch_of(seq).0.quorum();
        let Some((digest, vs)) = by_digest.into_iter().find(|(_, vs)| vs.len() >= quorum) else {
            return;
        };
        let proof = CheckpointProof {
            seq,
            digest,
            votes: vs.into_iter().take(quorum).cloned().collect(),
        };
        self.advance_stable(proof);
    }

    /// Move the low water mark to a verified stable checkpoint; compare
    /// this replica's own digest there, fetch the state if it is behind (or
    /// diverged), and enter a pending epoch that is now due.
    pub(crate) fn advance_stable(&mut self, proof: CheckpointProof) {
        if proof.seq <= self.low {
            return;
        }
        self.out.persist.push(Persist::Stable(proof.clone()));
        self.adopt_stable(proof);
        if let Some(mine) = self.own_digests.get(&self.low) {
            self.check_own_digest(*mine);
        }
        self.fetch_stable_if_needed();
        self.maybe_switch_epoch();
        self.next_seq = self.next_seq.max(self.low);
        self.try_propose(false);
    }

    /// Record a stable checkpoint (live or on replay): the water marks move,
    /// the log below is discarded, and the proof of an epoch's last
    /// checkpoint is kept for relaying.
    pub(crate) fn adopt_stable(&mut self, proof: CheckpointProof) {
        self.low = proof.seq;
        if self.past_epochs.contains_key(&proof.seq) {
            // A joined replica learns its previous epoch's last proof here.
            self.epoch_proofs.insert(proof.seq, proof.clone());
        }
        self.stable = proof;
        self.garbage_collect();
    }

    /// Discard everything at or below the low water mark.
    pub(crate) fn garbage_collect(&mut self) {
        let keep = self.low.next().unwrap_or(self.low);
        self.log = self.log.split_off(&keep);
        self.prepared = self.prepared.split_off(&keep);
        self.to_execute = self.to_execute.split_off(&keep);
        self.checkpoint_votes = self.checkpoint_votes.split_off(&keep);
        self.awaiting_digest = self.awaiting_digest.split_off(&self.low);
        self.own_digests = self.own_digests.split_off(&self.low);
        self.own_votes = self.own_votes.split_off(&self.low);
        self.signed_votes.retain(|(_, s, _), _| *s > self.low);
    }

    /// Resend this replica's latest checkpoint vote so lagging peers can
    /// learn of stable checkpoints.
    pub(crate) fn retransmit_checkpoint(&mut self) {
        if let Some((_, m)) = self.own_votes.last_key_value() {
            let m = m.clone();
            self.broadcast(m);
        }
        self.relay_epoch_proofs();
    }

    /// A relayed stable-checkpoint proof: checked against the set of its
    /// epoch, then adopted as if its votes had arrived one by one. A proof
    /// signed in another epoch than the one this replica places its
    /// sequence number in (a later one it has not reached, or one before a
    /// joined replica's previous epoch) is ignored, not held against the
    /// relayer.
    pub(crate) fn on_stable_proof(&mut self, proof: CheckpointProof) -> Result<()> {
        if proof.seq <= self.low {
            return Err(Ignored::Duplicate.into());
        }
        if !proof.seq.0.is_multiple_of(self.cfg.checkpoint_interval) {
            return Err(PeerMisbehaved::Unexpected("checkpoint off a boundary").into());
        }
        self.verify_proof(&proof)?;
        self.advance_stable(proof);
        Ok(())
    }
}
