//! Recovery after a restart: rebuild a replica from the entries earlier
//! [`Ready`](crate::Ready)s asked its host to persist, in write order.

use crate::checkpoint::checkpoint_digest;
use crate::config::{Config, ValidatorSet};
use crate::error::{Misuse, Result};
use crate::ids::{ReplicaId, SeqNo, Time};
use crate::messages::{Message, Phase};
use crate::output::Persist;
use crate::replica::Replica;
use ed25519_dalek::SigningKey;

impl Replica {
    /// Rebuild a replica after a restart from the entries earlier
    /// [`Ready`]s asked the host to persist, in the order they were written.
    /// The replica comes back in the view it last knew, remembering every
    /// vote it signed, so it can never sign a second digest for the same
    /// view and sequence number.
    ///
    /// `validators` is the genesis set the replica was first built with,
    /// not the current one: the persisted entries replay every change since.
    /// A replica first built with [`Replica::join`] is rebuilt the same way
    /// and then [`restore`](Self::restore)d.
    ///
    /// The host then re-reports what the replica cannot know: the state
    /// digest it awaits ([`awaiting_state_digest`](Self::awaiting_state_digest)),
    /// and a validator-set change its application committed in a batch the
    /// replica delivered but for which `handle_validator_set` was never
    /// persisted (a crash in between): it calls
    /// [`handle_validator_set`](Self::handle_validator_set) again.
    pub fn recover(
        cfg: Config,
        validators: ValidatorSet,
        id: ReplicaId,
        key: SigningKey,
        now: Time,
        entries: impl IntoIterator<Item = Persist>,
    ) -> Result<Replica> {
        Replica::new(cfg, validators, id, key, now)?.restore(entries)
    }

    /// Replay, into a freshly built replica (from [`Replica::new`] or
    /// [`Replica::join`] with the arguments it was first built with), the
    /// entries earlier [`Ready`]s asked the host to persist, in write
    /// order. See [`recover`](Self::recover).
    pub fn restore(self, entries: impl IntoIterator<Item = Persist>) -> Result<Replica> {
        if self.executed != SeqNo(0) || !self.out.persist.is_empty() {
            return Err(Misuse::BadRecovery("restore a freshly built replica").into());
        }
        let mut r = self;
        for e in entries {
            r.replay(e)?;
        }
        r.next_seq = r.next_seq.max(r.low);
        // Crashed between delivering a checkpoint batch and giving its state
        // digest (even if the checkpoint became stable meanwhile): ask the
        // host for the digest again (see `awaiting_state_digest`); delivery
        // waits for it, and it is checked against the stable one as before.
        let k = r.cfg.checkpoint_interval;
        if r.executed >= r.low
            && r.executed > SeqNo(0)
            && r.executed.0.is_multiple_of(k)
            && !r.own_digests.contains_key(&r.executed)
        {
            let mut table: Vec<_> = r.clients.iter().map(|(c, i)| (*c, *i)).collect();
            table.sort();
            r.awaiting_digest.insert(r.executed, table);
        }
        // A divergence found before the crash is found again: its own
        // digest at the stable checkpoint is in the log.
        if let Some(mine) = r.own_digests.get(&r.low) {
            let mine = *mine;
            r.check_own_digest(mine);
        }
        if !r.view_active {
            r.view_change_progress();
        }
        r.fetch_stable_if_needed();
        Ok(r)
    }

    pub(crate) fn replay(&mut self, e: Persist) -> Result<()> {
        match e {
            Persist::Vote(v) => {
                let b = v.body;
                self.signed_votes.insert((b.view, b.seq, b.phase), b.digest);
                if b.phase == Phase::PrePrepare && b.view == self.view {
                    self.next_seq = self.next_seq.max(b.seq);
                }
            }
            Persist::Prepared(p) => {
                let s = p.vote().seq;
                if self
                    .prepared
                    .get(&s)
                    .is_none_or(|q| q.vote().view <= p.vote().view)
                {
                    self.prepared.insert(s, p);
                }
            }
            Persist::ViewChange(vc) => {
                if vc.body.new_view >= self.view {
                    self.view = vc.body.new_view;
                    self.view_active = false;
                    self.next_seq = SeqNo(0);
                    self.view_changes.clear();
                    self.view_changes
                        .entry(vc.body.new_view)
                        .or_default()
                        .insert(self.id, vc.clone());
                    self.own_view_change = Some(vc);
                }
            }
            Persist::EnterView(v) => {
                if v >= self.view {
                    self.view = v;
                    self.view_active = true;
                }
            }
            Persist::Executed { seq, clients } => {
                if seq
                    != self
                        .executed
                        .next()
                        .ok_or(Misuse::BadRecovery("sequence overflow"))?
                {
                    return Err(Misuse::BadRecovery("executed entries out of order").into());
                }
                self.executed = seq;
                for (c, id) in clients {
                    self.clients.insert(c, id);
                }
            }
            Persist::Checkpoint { vote, snapshot } => {
                self.own_digests
                    .insert(snapshot.seq, checkpoint_digest(&snapshot));
                if let Some(vote) = vote {
                    self.own_votes
                        .insert(snapshot.seq, Message::Checkpoint(vote));
                }
            }
            Persist::ValidatorSet { effective, set } => {
                if set.epoch() != self.validators.epoch().saturating_add(1) {
                    return Err(Misuse::BadRecovery(
                        "a validator-set change that does not follow the set given to recover",
                    )
                    .into());
                }
                self.pending_set = Some((effective, set));
            }
            Persist::EnterEpoch { end } => match self.pending_set.take() {
                Some((b, set)) if b == end => self.start_epoch(b, set),
                _ => {
                    return Err(
                        Misuse::BadRecovery("an epoch entered without its pending change").into(),
                    );
                }
            },
            Persist::Stable(proof) => {
                if proof.seq > self.low {
                    self.adopt_stable(proof);
                }
            }
            Persist::Installed(snap) => self.adopt_snapshot(&snap),
        }
        Ok(())
    }
}
