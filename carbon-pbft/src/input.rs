//! The replica's inputs from the outside: peer messages (decoded and
//! dispatched to the protocol phases), client requests, and the passage of
//! time.

use crate::error::{Error, PeerMisbehaved, Result};
use crate::ids::{ReplicaId, Time};
use crate::messages::{Message, Phase, Request};
use crate::replica::Replica;

impl Replica {
    /// A message from peer `from` (as the authenticated transport says).
    /// Errors say why it was dropped; every drop is also counted in
    /// [`stats`](Self::stats). A dropped message changes nothing.
    pub fn handle_message(&mut self, now: Time, from: ReplicaId, msg: Message) -> Result<()> {
        self.now = self.now.max(now);
        self.stats.received += 1;
        let r = self.dispatch(from, msg);
        if let Err(e) = &r {
            *self.stats.dropped.entry(e.label()).or_default() += 1;
        }
        r
    }

    /// Raw bytes from peer `from`: decoded with the configured size bound,
    /// then handled as [`handle_message`](Self::handle_message).
    pub fn handle_bytes(&mut self, now: Time, from: ReplicaId, bytes: &[u8]) -> Result<()> {
        match Message::decode(bytes, self.cfg.max_message_bytes) {
            Ok(m) => self.handle_message(now, from, m),
            Err(e) => {
                self.stats.received += 1;
                let e = Error::from(e);
                *self.stats.dropped.entry(e.label()).or_default() += 1;
                Err(e)
            }
        }
    }

    fn dispatch(&mut self, from: ReplicaId, msg: Message) -> Result<()> {
        // An earlier epoch's checkpoint vote may come from a replica the
        // change removed (it is checked against that epoch's set), and a
        // stable-checkpoint proof is authenticated by its signatures alone.
        match msg {
            Message::Checkpoint(c) if c.body.seq <= self.epoch_floor => self.on_checkpoint(from, c),
            Message::StableCheckpoint(p) => self.on_stable_proof(p),
            msg => self.dispatch_member(from, msg),
        }
    }

    fn dispatch_member(&mut self, from: ReplicaId, msg: Message) -> Result<()> {
        if !self.validators.contains(from) {
            return Err(PeerMisbehaved::NotAMember(from).into());
        }
        match msg {
            Message::Request(r) => self.on_request(r),
            Message::PrePrepare(pp) => self.on_pre_prepare(from, pp),
            Message::Prepare(v) => self.on_vote(from, v, Phase::Prepare),
            Message::Commit(v) => self.on_vote(from, v, Phase::Commit),
            Message::Checkpoint(c) => self.on_checkpoint(from, c),
            Message::ViewChange(vc) => self.on_view_change(from, vc),
            Message::NewView(nv) => self.on_new_view(from, nv),
            Message::StableCheckpoint(p) => self.on_stable_proof(p),
            Message::Committed(_) => {
                Err(PeerMisbehaved::Unexpected("committed batch sent to a replica").into())
            }
        }
    }

    /// A client request (opaque payload). Stale and duplicate requests are
    /// dropped with an [`Ignored`] error.
    pub fn handle_request(&mut self, now: Time, req: Request) -> Result<()> {
        self.now = self.now.max(now);
        let r = self.on_request(req);
        if let Err(e) = &r {
            *self.stats.dropped.entry(e.label()).or_default() += 1;
        }
        r
    }

    /// The passage of time: fires every deadline at or before `now`.
    pub fn handle_timeout(&mut self, now: Time) {
        self.now = self.now.max(now);
        if self.batch_deadline.is_some_and(|d| d <= now) {
            self.batch_deadline = None;
            self.try_propose(true);
        }
        if self.request_deadline.is_some_and(|d| d <= now) {
            self.request_deadline = None;
            if self.view_active && !self.queue.is_empty() {
                if self.diverged.is_some() || self.fetching.is_some() {
                    // Its own state is what holds it back, not the primary.
                    self.rearm_request_timer();
                } else {
                    self.on_request_timer();
                }
            }
        }
        if self.view_change_deadline.is_some_and(|d| d <= now) {
            self.view_change_deadline = None;
            self.on_view_change_timer();
        }
        if self.retransmit_deadline <= now {
            self.retransmit_deadline = now.saturating_add(self.cfg.retransmit_interval);
            self.retransmit();
        }
    }
}
