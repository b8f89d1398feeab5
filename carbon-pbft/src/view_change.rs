//! View change (PBFT §4.4): timers with doubling timeouts, VIEW-CHANGE with
//! the stable checkpoint proof and prepared certificates, NEW-VIEW computed
//! by the new primary and re-computed and checked by every backup, the
//! f + 1 rule that pulls laggards along, and retransmission.

use crate::certificate::CheckpointProof;
use crate::error::{Ignored, PeerMisbehaved, Result};
use crate::ids::{Digest, ReplicaId, SeqNo, View};
use crate::messages::{Batch, Message, NewView, OrderVote, Phase, Signed, ViewChange};
use crate::output::Persist;
use crate::replica::{Replica, verify_in};
use std::collections::{BTreeMap, BTreeSet};

/// What a NEW-VIEW must contain given its VIEW-CHANGE messages: the highest
/// stable checkpoint among them (min-s) and, for every s in (min-s, max-s],
/// the digest and batch prepared in the highest view, or the null batch.
pub fn compute_new_view(
    view_changes: &[Signed<ViewChange>],
) -> (CheckpointProof, Vec<(SeqNo, Digest, Batch)>) {
    let checkpoint = view_changes
        .iter()
        .map(|vc| &vc.body.checkpoint)
        .fold(None::<&CheckpointProof>, |best, c| match best {
            Some(b) if b.seq >= c.seq => Some(b),
            _ => Some(c),
        })
        .cloned()
        .unwrap_or_else(CheckpointProof::genesis);
    let min_s = checkpoint.seq;
    let mut best: BTreeMap<SeqNo, (View, Digest, &Batch)> = BTreeMap::new();
    for vc in view_changes {
        for p in &vc.body.prepared {
            let h = p.vote();
            if h.seq <= min_s {
                continue;
            }
            if best.get(&h.seq).is_none_or(|(v, _, _)| h.view > *v) {
                best.insert(h.seq, (h.view, h.digest, &p.batch));
            }
        }
    }
    let max_s = best.keys().next_back().copied().unwrap_or(min_s);
    let null = Batch::null();
    let null_digest = null.digest();
    let mut out = Vec::new();
    let mut s = min_s;
    while s < max_s {
        s = SeqNo(s.0 + 1);
        match best.get(&s) {
            Some((_, d, b)) => out.push((s, *d, (*b).clone())),
            None => out.push((s, null_digest, null.clone())),
        }
    }
    (checkpoint, out)
}

impl Replica {
    /// The request timer expired in an active view: suspect the primary.
    pub(crate) fn on_request_timer(&mut self) {
        if let Some(v) = self.view.next() {
            self.start_view_change(v);
        }
    }

    /// No NEW-VIEW in time after a quorum of VIEW-CHANGEs: try the next view
    /// with twice the timeout (T, 2T, 4T, ... up to the configured cap).
    pub(crate) fn on_view_change_timer(&mut self) {
        if self.view_active {
            return;
        }
        self.timeout = (self.timeout * 2).min(self.cfg.max_view_change_timeout);
        if let Some(v) = self.view.next() {
            self.start_view_change(v);
        }
    }

    /// Leave the current view for `target` and send VIEW-CHANGE.
    pub(crate) fn start_view_change(&mut self, target: View) {
        if target <= self.view {
            return;
        }
        self.view = target;
        self.view_active = false;
        self.stats.view_changes += 1;
        self.log.clear();
        self.in_flight.clear();
        self.batch_deadline = None;
        self.request_deadline = None;
        self.view_change_deadline = None;
        self.next_seq = SeqNo(0);
        let prepared = self
            .prepared
            .range(self.low.next().unwrap_or(self.low)..)
            .map(|(_, p)| p.clone())
            .collect();
        let vc = self.sign(ViewChange {
            new_view: target,
            checkpoint: self.stable.clone(),
            prepared,
        });
        self.out.persist.push(Persist::ViewChange(vc.clone()));
        self.own_view_change = Some(vc.clone());
        self.view_changes = self.view_changes.split_off(&target);
        for m in self.view_changes.values_mut() {
            m.remove(&self.id);
        }
        self.view_changes
            .entry(target)
            .or_default()
            .insert(self.id, vc.clone());
        self.broadcast(Message::ViewChange(vc));
        self.view_change_progress();
    }

    /// Check a VIEW-CHANGE's content: its checkpoint proof, and each prepared
    /// certificate (valid, above the checkpoint, within one window, from an
    /// earlier view, one per sequence number).
    pub(crate) fn verify_view_change(&self, vc: &ViewChange) -> Result<()> {
        self.verify_proof(&vc.checkpoint)?;
        if !vc
            .checkpoint
            .seq
            .0
            .is_multiple_of(self.cfg.checkpoint_interval)
        {
            return Err(PeerMisbehaved::InvalidViewChange("checkpoint off a boundary").into());
        }
        let top = vc
            .checkpoint
            .seq
            .0
            .saturating_add(self.cfg.watermark_window);
        let mut seen = BTreeSet::new();
        for p in &vc.prepared {
            let h = p.vote();
            if h.seq <= vc.checkpoint.seq
                || h.seq.0 > top
                || h.view >= vc.new_view
                || !seen.insert(h.seq)
            {
                return Err(
                    PeerMisbehaved::InvalidViewChange("prepared certificate out of range").into(),
                );
            }
            p.verify(&self.validators)?;
        }
        Ok(())
    }

    /// A peer's VIEW-CHANGE. Only the highest from each replica is kept.
    pub(crate) fn on_view_change(&mut self, from: ReplicaId, vc: Signed<ViewChange>) -> Result<()> {
        let v = vc.body.new_view;
        if v < self.view || (v == self.view && self.view_active) {
            // The sender is behind (it missed the NEW-VIEW, or restarted):
            // forward the NEW-VIEW that brought us into our view. It is
            // self-certifying, so any replica may relay it.
            if self.view_active
                && let Some(nv) = self.last_new_view.clone()
            {
                self.send(from, nv);
            }
            return Err(Ignored::WrongView.into());
        }
        if let Some((w, _)) = self
            .view_changes
            .iter()
            .find(|(_, m)| m.contains_key(&from))
            && *w >= v
        {
            return Err(Ignored::Duplicate.into());
        }
        self.check_signed(from, &vc)?;
        self.verify_view_change(&vc.body)?;
        for m in self.view_changes.values_mut() {
            m.remove(&from);
        }
        self.view_changes.entry(v).or_default().insert(from, vc);
        self.view_change_progress();
        Ok(())
    }

    /// Apply the f + 1 rule, arm the view-change timer on a quorum, and, as
    /// the new primary, send NEW-VIEW.
    pub(crate) fn view_change_progress(&mut self) {
        let above: Vec<View> = self
            .view_changes
            .range(self.view.next().unwrap_or(self.view)..)
            .flat_map(|(v, m)| m.keys().map(move |_| *v))
            .collect();
        if above.len() >= self.validators.weak_quorum()
            && self.view.next().is_some()
            && let Some(min) = above.iter().min().copied()
            && min > self.view
        {
            self.start_view_change(min);
            return;
        }
        if self.view_active {
            return;
        }
        let have = self.view_changes.get(&self.view).map_or(0, |m| m.len());
        // The paper arms this timer on 2f + 1 VIEW-CHANGEs. We arm it on
        // f + 1 (at least one other correct replica wants this view): with
        // the f + 1 rule this lets groups stuck at different target views,
        // none of them a quorum, climb until they meet, while a replica that
        // is alone in its view change (cut off) still cannot drift upwards.
        // Seed 12 of `--faults all` deadlocked without it.
        if have >= self.validators.weak_quorum() && self.view_change_deadline.is_none() {
            self.view_change_deadline = Some(self.now.saturating_add(self.timeout));
        }
        if have < self.validators.quorum() {
            return;
        }
        if self.is_primary() {
            self.send_new_view();
        }
    }

    /// As primary of the target view, with a quorum of VIEW-CHANGEs: compute,
    /// sign and send NEW-VIEW, then enter the view.
    fn send_new_view(&mut self) {
        let quorum = self.validators.quorum();
        let vcs: Vec<Signed<ViewChange>> = self
            .view_changes
            .get(&self.view)
            .map(|m| m.values().take(quorum).cloned().collect())
            .unwrap_or_default();
        let (checkpoint, mut props) = compute_new_view(&vcs);
        props.retain(|(s, _, _)| *s > self.epoch_floor);
        let mut headers = Vec::with_capacity(props.len());
        let mut proposals = Vec::with_capacity(props.len());
        for (seq, digest, batch) in props {
            let Some(h) = self.sign_vote(OrderVote {
                phase: Phase::PrePrepare,
                view: self.view,
                seq,
                digest,
            }) else {
                return;
            };
            headers.push(h.clone());
            proposals.push((h, batch));
        }
        let nv = self.sign(NewView {
            view: self.view,
            view_changes: vcs,
            proposals: headers,
        });
        let msg = Message::NewView(nv);
        self.last_new_view = Some(msg.clone());
        self.broadcast(msg);
        self.install_view(self.view, checkpoint, proposals);
    }

    /// A NEW-VIEW: accepted only after checking every VIEW-CHANGE in it and
    /// recomputing its proposals.
    /// It may be relayed by any replica (`from`); it must be signed by the
    /// primary of its view.
    pub(crate) fn on_new_view(&mut self, from: ReplicaId, nv: Signed<NewView>) -> Result<()> {
        let v = nv.body.view;
        if nv.from != self.validators.primary(v) {
            // Forwarded from another epoch, whose primaries differ: no
            // evidence against the peer that forwarded it.
            if nv.epoch != self.validators.epoch() {
                return Err(Ignored::OtherEpoch.into());
            }
            return Err(PeerMisbehaved::NotPrimary { from, view: v }.into());
        }
        if v < self.view || (v == self.view && self.view_active) {
            return Err(Ignored::WrongView.into());
        }
        let from = nv.from;
        verify_in(&self.validators, &nv)?;
        let mut senders = BTreeSet::new();
        for vc in &nv.body.view_changes {
            if vc.body.new_view != v || !senders.insert(vc.from) {
                return Err(PeerMisbehaved::InvalidViewChange(
                    "view change for another view, or repeated",
                )
                .into());
            }
        }
        if senders.len() < self.validators.quorum() {
            return Err(
                PeerMisbehaved::InvalidViewChange("fewer view changes than a quorum").into(),
            );
        }
        for vc in &nv.body.view_changes {
            vc.verify(&self.validators)?;
            self.verify_view_change(&vc.body)?;
        }
        let (checkpoint, mut props) = compute_new_view(&nv.body.view_changes);
        // An epoch orders only above its floor: both sides drop the rest.
        props.retain(|(s, _, _)| *s > self.epoch_floor);
        if props.len() != nv.body.proposals.len() {
            return Err(PeerMisbehaved::NewViewMismatch.into());
        }
        let mut proposals = Vec::with_capacity(props.len());
        for ((seq, digest, batch), h) in props.into_iter().zip(&nv.body.proposals) {
            let want = OrderVote {
                phase: Phase::PrePrepare,
                view: v,
                seq,
                digest,
            };
            if h.body != want || h.from != from {
                return Err(PeerMisbehaved::NewViewMismatch.into());
            }
            h.verify(&self.validators)?;
            proposals.push((h.clone(), batch));
        }
        self.last_new_view = Some(Message::NewView(nv));
        self.install_view(v, checkpoint, proposals);
        Ok(())
    }

    /// Enter the new view: adopt its checkpoint (fetching state if behind),
    /// then treat its proposals as ordinary pre-prepares.
    fn install_view(
        &mut self,
        view: View,
        checkpoint: CheckpointProof,
        proposals: Vec<(Signed<OrderVote>, Batch)>,
    ) {
        self.view = view;
        self.view_active = false;
        let epoch = self.validators.epoch();
        self.advance_stable(checkpoint);
        // Its checkpoint ended the epoch: proposals of the old epoch above
        // its end never count in the new one.
        let proposals = if self.validators.epoch() == epoch {
            proposals
        } else {
            Vec::new()
        };
        self.view_active = true;
        self.out.persist.push(Persist::EnterView(self.view));
        self.log.clear();
        self.in_flight.clear();
        self.view_change_deadline = None;
        self.own_view_change = None;
        self.view_changes = self
            .view_changes
            .split_off(&self.view.next().unwrap_or(self.view));
        let top = proposals
            .last()
            .map(|(h, _)| h.body.seq)
            .unwrap_or(self.low);
        self.next_seq = top.max(self.low);
        for (h, batch) in proposals {
            if self.in_window(h.body.seq) {
                self.accept_pre_prepare(h, batch);
            }
        }
        self.rearm_request_timer();
        if self.is_primary() {
            self.try_propose(true);
        }
    }

    /// Periodic repair of message loss: the VIEW-CHANGE while waiting for a
    /// NEW-VIEW, otherwise this replica's votes in the window; and its latest
    /// checkpoint vote either way.
    pub(crate) fn retransmit(&mut self) {
        if self.view_active {
            self.retransmit_normal();
        } else if let Some(vc) = self.own_view_change.clone() {
            self.broadcast(Message::ViewChange(vc));
        }
        self.retransmit_checkpoint();
    }
}
