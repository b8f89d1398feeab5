//! In-order delivery of committed batches: each sequence number once, in
//! order, paused where the host owes a state digest, where a validator-set
//! change takes effect, and while the replica's state disagrees with a
//! stable checkpoint (until a fetched state replaces it); per-client
//! request tables; the request timer.

use crate::messages::{CommittedBatch, Message};
use crate::output::{Committed, Persist};
use crate::replica::Replica;

impl Replica {
    /// Deliver committed batches strictly in sequence order, each once.
    pub(crate) fn execute_ready(&mut self) {
        let mut progressed = false;
        while let Some(next) = self.executed.next() {
            // Paused at a checkpoint until the host gives its state digest:
            // a validator-set change takes effect there.
            if self.awaiting_digest.contains_key(&self.executed) {
                break;
            }
            // This replica's state disagreed with a stable checkpoint:
            // nothing more on top of it until a fetched state replaces it.
            if self.diverged.is_some() {
                break;
            }
            // At a pending change's boundary until the new epoch begins.
            if self
                .pending_set
                .as_ref()
                .is_some_and(|(b, _)| self.executed >= *b)
            {
                break;
            }
            let Some((batch, certificate)) = self.to_execute.remove(&next) else {
                break;
            };
            let mut fresh = Vec::with_capacity(batch.requests.len());
            let mut executed = Vec::new();
            for r in batch.requests.iter() {
                let f = self.clients.get(&r.client).is_none_or(|last| r.id > *last);
                if f {
                    self.clients.insert(r.client, r.id);
                    executed.push((r.client, r.id));
                }
                fresh.push(f);
            }
            self.stats.batches_committed += 1;
            self.stats.requests_committed += executed.len() as u64;
            let needs_state_digest = next.0 % self.cfg.checkpoint_interval == 0;
            if needs_state_digest {
                let mut table: Vec<_> = self.clients.iter().map(|(c, i)| (*c, *i)).collect();
                table.sort();
                self.awaiting_digest.insert(next, table);
            }
            self.out.persist.push(Persist::Executed {
                seq: next,
                clients: executed,
            });
            let committed = Committed {
                seq: next,
                batch,
                fresh,
                certificate,
                needs_state_digest,
            };
            self.out.messages.push(crate::output::Outgoing {
                to: crate::output::Destination::Observers,
                message: Message::Committed(CommittedBatch {
                    seq: next,
                    batch: committed.batch.clone(),
                    certificate: committed.certificate.clone(),
                }),
            });
            self.out.committed.push(committed);
            self.executed = next;
            progressed = true;
        }
        if progressed {
            let clients = &self.clients;
            let before = self.queue.len();
            self.queue
                .retain(|r| clients.get(&r.client).is_none_or(|last| r.id > *last));
            if self.queue.len() != before {
                self.queued
                    .retain(|(c, i)| clients.get(c).is_none_or(|last| i > last));
                self.in_flight
                    .retain(|(c, i)| clients.get(c).is_none_or(|last| i > last));
            }
            // A request executed: the view is making progress again.
            self.timeout = self.cfg.request_timeout;
            self.rearm_request_timer();
        }
    }

    /// Restart the request timer if requests are waiting, else stop it.
    pub(crate) fn rearm_request_timer(&mut self) {
        self.request_deadline = if self.queue.is_empty() {
            None
        } else {
            Some(self.now.saturating_add(self.timeout))
        };
    }
}
