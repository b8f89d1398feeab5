//! The normal case (PBFT §4.2): requests, batching at the primary,
//! PRE-PREPARE / PREPARE / COMMIT and commit certificates. Delivery of what
//! commits is in `delivery.rs`.

use crate::certificate::{CommitCertificate, PreparedProof};
use crate::error::{Ignored, PeerMisbehaved, Result};
use crate::ids::{ReplicaId, SeqNo};
use crate::messages::{Batch, Message, OrderVote, Phase, PrePrepare, Request, Signed};
use crate::output::Persist;
use crate::replica::{Replica, Slot};

impl Replica {
    /// Queue a client request: drop it if stale (at or below the client's
    /// last executed id) or already queued; arm the request timer.
    pub(crate) fn on_request(&mut self, req: Request) -> Result<()> {
        if self
            .clients
            .get(&req.client)
            .is_some_and(|last| req.id <= *last)
        {
            return Err(Ignored::StaleRequest.into());
        }
        if !self.queued.insert((req.client, req.id)) {
            return Err(Ignored::Duplicate.into());
        }
        if self.queue.len() >= self.cfg.max_pending_requests {
            self.queued.remove(&(req.client, req.id));
            return Err(Ignored::QueueFull.into());
        }
        self.queue.push_back(req);
        if self.request_deadline.is_none() && self.view_active {
            self.request_deadline = Some(self.now.saturating_add(self.timeout));
        }
        if self.is_primary() && self.view_active && self.batch_deadline.is_none() {
            self.batch_deadline = Some(self.now.saturating_add(self.cfg.batch_delay));
        }
        self.try_propose(false);
        Ok(())
    }

    /// As primary, cut batches from the queue while the window allows: full
    /// batches at once, a partial one only when `flush` (batch delay passed).
    pub(crate) fn try_propose(&mut self, flush: bool) {
        if !self.is_primary() || !self.view_active {
            return;
        }
        loop {
            let Some(seq) = self.next_seq.next() else {
                return;
            };
            if !self.in_window(seq) {
                return;
            }
            // Cheap bound first (in_flight may hold requests not queued here, so
            // this can only under-count): no full batch yet, wait for the delay.
            if !flush
                && self.queue.len().saturating_sub(self.in_flight.len())
                    < self.cfg.max_batch_requests
            {
                if self.queue.len() > self.in_flight.len() && self.batch_deadline.is_none() {
                    self.batch_deadline = Some(self.now.saturating_add(self.cfg.batch_delay));
                }
                return;
            }
            let mut reqs = Vec::new();
            let mut bytes = 0usize;
            let mut full = false;
            for r in self.queue.iter() {
                if self.in_flight.contains(&(r.client, r.id)) {
                    continue;
                }
                if reqs.len() == self.cfg.max_batch_requests
                    || (bytes + r.payload.len() > self.cfg.max_batch_bytes && !reqs.is_empty())
                {
                    full = true;
                    break;
                }
                bytes += r.payload.len();
                reqs.push(r.clone());
            }
            full |= reqs.len() == self.cfg.max_batch_requests;
            if reqs.is_empty() || !(full || flush) {
                if !reqs.is_empty() && self.batch_deadline.is_none() {
                    self.batch_deadline = Some(self.now.saturating_add(self.cfg.batch_delay));
                }
                return;
            }
            let batch = Batch::new(reqs);
            let vote = OrderVote {
                phase: Phase::PrePrepare,
                view: self.view,
                seq,
                digest: batch.digest(),
            };
            let Some(header) = self.sign_vote(vote) else {
                return;
            };
            self.next_seq = seq;
            let pp = PrePrepare { header, batch };
            self.broadcast(Message::PrePrepare(pp.clone()));
            self.accept_pre_prepare(pp.header, pp.batch);
        }
    }

    /// PRE-PREPARE acceptance (§4.2): signed by the primary of the current
    /// view, inside the water marks, batch matches the digest, and no other
    /// digest accepted for this (view, seq).
    pub(crate) fn on_pre_prepare(&mut self, from: ReplicaId, pp: PrePrepare) -> Result<()> {
        let h = pp.header.body;
        if h.phase != Phase::PrePrepare {
            return Err(PeerMisbehaved::Unexpected("pre-prepare with another phase").into());
        }
        self.normal_case_allowed(h.view)?;
        if from != self.validators.primary(h.view) || pp.header.from != from {
            return Err(PeerMisbehaved::NotPrimary { from, view: h.view }.into());
        }
        if !self.in_window(h.seq) {
            return Err(Ignored::OutsideWatermarks.into());
        }
        if let Some((have, _)) = self.log.get(&h.seq).and_then(|s| s.pre_prepare.as_ref()) {
            return Err(if have.body.digest == h.digest {
                Ignored::Duplicate.into()
            } else {
                PeerMisbehaved::Equivocation {
                    from,
                    view: h.view,
                    seq: h.seq,
                }
                .into()
            });
        }
        if pp.batch.requests.len() > self.cfg.max_batch_requests
            || pp.batch.payload_bytes() > self.cfg.max_batch_bytes
        {
            return Err(PeerMisbehaved::OversizedBatch.into());
        }
        self.check_signed(from, &pp.header)?;
        if pp.batch.digest() != h.digest {
            return Err(PeerMisbehaved::DigestMismatch.into());
        }
        self.accept_pre_prepare(pp.header, pp.batch);
        Ok(())
    }

    /// Record an accepted pre-prepare (also used for NEW-VIEW proposals) and,
    /// as a backup, send PREPARE.
    pub(crate) fn accept_pre_prepare(&mut self, header: Signed<OrderVote>, batch: Batch) {
        let h = header.body;
        for r in batch.requests.iter() {
            self.in_flight.insert((r.client, r.id));
        }
        let slot = self.log.entry(h.seq).or_default();
        slot.pre_prepare = Some((header, batch));
        slot.prepares.retain(|_, p| p.body.digest == h.digest);
        slot.commits.retain(|_, c| c.body.digest == h.digest);
        if self.validators.primary(h.view) != self.id
            && let Some(p) = self.sign_vote(OrderVote {
                phase: Phase::Prepare,
                ..h
            })
        {
            self.log
                .entry(h.seq)
                .or_default()
                .prepares
                .insert(self.id, p.clone());
            self.broadcast(Message::Prepare(p));
        }
        self.check_prepared(h.seq);
    }

    /// PREPARE and COMMIT from a peer.
    pub(crate) fn on_vote(
        &mut self,
        from: ReplicaId,
        v: Signed<OrderVote>,
        phase: Phase,
    ) -> Result<()> {
        let b = v.body;
        if b.phase != phase {
            return Err(
                PeerMisbehaved::Unexpected("vote phase does not match message type").into(),
            );
        }
        self.normal_case_allowed(b.view)?;
        if !self.in_window(b.seq) {
            return Err(Ignored::OutsideWatermarks.into());
        }
        if phase == Phase::Prepare && from == self.validators.primary(b.view) {
            return Err(PeerMisbehaved::Unexpected("the primary does not send PREPARE").into());
        }
        let slot = self.log.get(&b.seq);
        if let Some(have) = slot.and_then(|s| {
            if phase == Phase::Prepare {
                &s.prepares
            } else {
                &s.commits
            }
            .get(&from)
        }) {
            return Err(if have.body.digest == b.digest {
                Ignored::Duplicate.into()
            } else {
                PeerMisbehaved::Equivocation {
                    from,
                    view: b.view,
                    seq: b.seq,
                }
                .into()
            });
        }
        if let Some((pp, _)) = slot.and_then(|s| s.pre_prepare.as_ref())
            && pp.body.digest != b.digest
        {
            // A vote for another digest than the accepted proposal can
            // never count; keep nothing.
            return Err(PeerMisbehaved::Equivocation {
                from,
                view: b.view,
                seq: b.seq,
            }
            .into());
        }
        self.check_signed(from, &v)?;
        let slot = self.log.entry(b.seq).or_default();
        if phase == Phase::Prepare {
            slot.prepares.insert(from, v);
            self.check_prepared(b.seq);
        } else {
            slot.commits.insert(from, v);
            self.check_committed(b.seq);
        }
        Ok(())
    }

    /// prepared(v, s, d): the pre-prepare plus 2f matching PREPAREs from
    /// backups. Record the certificate (persisted) and send COMMIT.
    pub(crate) fn check_prepared(&mut self, seq: SeqNo) {
        let need = self.validators.quorum() - 1;
        let Some(slot) = self.log.get(&seq) else {
            return;
        };
        let Some((pp, batch)) = slot.pre_prepare.as_ref() else {
            return;
        };
        if slot.prepared || slot.prepares.len() < need {
            return;
        }
        let h = pp.body;
        let prepares: Vec<_> = slot.prepares.values().take(need).cloned().collect();
        let proof = PreparedProof {
            pre_prepare: pp.clone(),
            batch: batch.clone(),
            prepares,
        };
        if let Some(slot) = self.log.get_mut(&seq) {
            slot.prepared = true;
        }
        self.out.persist.push(Persist::Prepared(proof.clone()));
        self.prepared.insert(seq, proof);
        if let Some(c) = self.sign_vote(OrderVote {
            phase: Phase::Commit,
            ..h
        }) {
            self.log
                .entry(seq)
                .or_default()
                .commits
                .insert(self.id, c.clone());
            self.broadcast(Message::Commit(c));
        }
        self.check_committed(seq);
    }

    /// committed-local: prepared plus 2f + 1 matching COMMITs.
    pub(crate) fn check_committed(&mut self, seq: SeqNo) {
        let need = self.validators.quorum();
        let Some(slot) = self.log.get_mut(&seq) else {
            return;
        };
        if !slot.prepared || slot.committed || slot.commits.len() < need {
            return;
        }
        let Some(done) = slot.certified(seq, need) else {
            return;
        };
        slot.committed = true;
        if seq > self.executed {
            self.to_execute.insert(seq, done);
        }
        self.execute_ready();
    }

    /// Resend this replica's own votes for the slots in the window, to repair
    /// message loss (peers drop the duplicates).
    pub(crate) fn retransmit_normal(&mut self) {
        let mut msgs = Vec::new();
        for slot in self.log.values() {
            if let Some((pp, batch)) = &slot.pre_prepare
                && pp.from == self.id
            {
                msgs.push(Message::PrePrepare(PrePrepare {
                    header: pp.clone(),
                    batch: batch.clone(),
                }));
            }
            if let Some(p) = slot.prepares.get(&self.id) {
                msgs.push(Message::Prepare(p.clone()));
            }
            if let Some(c) = slot.commits.get(&self.id) {
                msgs.push(Message::Commit(c.clone()));
            }
        }
        for m in msgs {
            self.broadcast(m);
        }
    }
}

impl Slot {
    /// The slot's batch with a commit certificate of its first `quorum`
    /// COMMITs (once it has a pre-prepare).
    pub(crate) fn certified(
        &self,
        seq: SeqNo,
        quorum: usize,
    ) -> Option<(Batch, CommitCertificate)> {
        let (pp, batch) = self.pre_prepare.as_ref()?;
        let h = pp.body;
        let signatures = self
            .commits
            .values()
            .take(quorum)
            .map(|c| (c.from, c.signature))
            .collect();
        let cert = CommitCertificate {
            view: h.view,
            seq,
            digest: h.digest,
            signatures,
        };
        Some((batch.clone(), cert))
    }
}
