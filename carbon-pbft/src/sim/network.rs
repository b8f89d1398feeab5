//! The virtual network and clock: a seeded event queue with per-message
//! delay (hence reordering), loss, duplication and partitions that heal.

use crate::ids::{ReplicaId, Time};
use crate::messages::Message;
use crate::output::StateSnapshot;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Who receives an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    /// A voting replica.
    Replica(ReplicaId),
    /// An observer, by index.
    Observer(u32),
}

/// What travels on the virtual wire.
#[derive(Clone, Debug)]
pub enum Payload {
    /// A protocol message.
    Msg(Message),
    /// Raw bytes (a Byzantine replica's garbage).
    Bytes(Vec<u8>),
}

/// Something that happens at a virtual time.
#[derive(Clone, Debug)]
pub enum Event {
    /// A message arrives.
    Deliver {
        /// Recipient.
        to: Node,
        /// Sender.
        from: ReplicaId,
        /// Content.
        payload: Payload,
    },
    /// A replica's timer may be due.
    Wake(ReplicaId),
    /// Clients (re)send what is outstanding; the periodic tick reschedules itself.
    ClientTick(bool),
    /// A client request reaches a replica.
    ClientRequest {
        /// Recipient.
        to: ReplicaId,
        /// The request.
        req: crate::messages::Request,
    },
    /// A replica crashes.
    Crash(ReplicaId),
    /// A crashed replica restarts from its persisted state.
    Restart(ReplicaId),
    /// A state transfer reply reaches a replica's host.
    StateReply {
        /// The fetching replica.
        to: ReplicaId,
        /// The snapshot and the application's hash-chain digest.
        state: Option<(StateSnapshot, crate::ids::Digest)>,
    },
    /// Partitions end.
    Heal,
    /// A correct replica's application state is corrupted
    /// ([`super::Fault::Diverge`]).
    Corrupt(ReplicaId),
}

/// Fault rates in parts per thousand, and the delay range in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkFaults {
    /// Smallest one-way delay.
    pub min_delay_ms: u64,
    /// Largest one-way delay (uniform in between: messages reorder).
    pub max_delay_ms: u64,
    /// Chance a message is lost, per mille.
    pub loss_permille: u32,
    /// Chance a message is delivered twice, per mille.
    pub duplicate_permille: u32,
}

impl LinkFaults {
    /// A well-behaved LAN: 1-5 ms, nothing lost or duplicated.
    pub fn calm() -> LinkFaults {
        LinkFaults {
            min_delay_ms: 1,
            max_delay_ms: 5,
            loss_permille: 0,
            duplicate_permille: 0,
        }
    }
}

/// Twins (the technique of Diem's Twins): replica `target` runs as two
/// instances with the same key; the second has network address `addr`.
/// Until the network heals, each instance talks only to its side of the
/// other replicas (`side[r]`: 0 with the original, 1 with the twin), and a
/// message to `target` reaches the instance on the sender's side.
#[derive(Clone, Debug)]
pub struct Twins {
    /// The logical replica that runs twice.
    pub target: u32,
    /// The second instance's address.
    pub addr: u32,
    /// The side of each logical replica.
    pub side: Vec<u8>,
}

impl Twins {
    fn side_of(&self, r: u32) -> u8 {
        if r == self.addr {
            1
        } else if r == self.target {
            0
        } else {
            self.side.get(r as usize).copied().unwrap_or(0)
        }
    }

    /// The logical replica a network address belongs to.
    pub fn logical(&self, addr: ReplicaId) -> ReplicaId {
        if addr.0 == self.addr {
            ReplicaId(self.target)
        } else {
            addr
        }
    }
}

/// The seeded event queue plus the link model.
pub struct Network {
    pub(crate) rng: ChaCha8Rng,
    queue: BinaryHeap<Reverse<(Time, u64, usize)>>,
    events: Vec<Option<Event>>,
    counter: u64,
    /// Current time.
    pub now: Time,
    /// Faults while the network is unhealed.
    pub faulty: LinkFaults,
    /// Link behaviour after healing.
    pub healed: LinkFaults,
    /// Whether faults have healed.
    pub is_healed: bool,
    /// Partition: the group of each replica; messages cross groups only once healed.
    pub partition: Option<Vec<u8>>,
    /// Messages put on the wire (after loss, counting duplicates).
    pub sent: u64,
    /// A replica running twice, if the run has twins.
    pub twins: Option<Twins>,
}

impl Network {
    /// A network from a seeded RNG.
    pub fn new(rng: ChaCha8Rng, faulty: LinkFaults) -> Network {
        Network {
            rng,
            queue: BinaryHeap::new(),
            events: Vec::new(),
            counter: 0,
            now: Time(0),
            faulty,
            healed: LinkFaults::calm(),
            is_healed: false,
            partition: None,
            sent: 0,
            twins: None,
        }
    }

    /// Schedule `event` at `at`.
    pub fn schedule(&mut self, at: Time, event: Event) {
        self.counter += 1;
        self.events.push(Some(event));
        self.queue.push(Reverse((
            at.max(self.now),
            self.counter,
            self.events.len() - 1,
        )));
    }

    /// The next event, advancing the clock.
    pub fn pop(&mut self) -> Option<(Time, Event)> {
        let Reverse((t, _, i)) = self.queue.pop()?;
        self.now = t;
        let e = self.events[i].take()?;
        if self.queue.is_empty() {
            self.events.clear();
        }
        Some((t, e))
    }

    /// Time of the next event.
    pub fn peek_time(&self) -> Option<Time> {
        self.queue.peek().map(|Reverse((t, _, _))| *t)
    }

    fn link(&self) -> LinkFaults {
        if self.is_healed {
            self.healed
        } else {
            self.faulty
        }
    }

    /// Whether a partition separates `a` from `b`.
    pub fn cut(&self, a: ReplicaId, b: ReplicaId) -> bool {
        match &self.partition {
            Some(groups) if !self.is_healed => {
                groups.get(a.0 as usize).copied().unwrap_or(0)
                    != groups.get(b.0 as usize).copied().unwrap_or(0)
            }
            _ => false,
        }
    }

    /// A one-way delay drawn from the current link model.
    pub fn delay(&mut self) -> u64 {
        let l = self.link();
        self.rng
            .gen_range(l.min_delay_ms..=l.max_delay_ms.max(l.min_delay_ms))
    }

    /// Put a message on the wire from `from` to `to`, subject to the faults.
    pub fn transmit(&mut self, from: ReplicaId, to: Node, payload: Payload) {
        let mut to = to;
        if let (Some(tw), Node::Replica(r)) = (&self.twins, to)
            && !self.is_healed
        {
            let side = tw.side_of(from.0);
            let twin_sender = from.0 == tw.target || from.0 == tw.addr;
            if twin_sender && tw.side_of(r.0) != side {
                return;
            }
            if r.0 == tw.target && side == 1 {
                to = Node::Replica(ReplicaId(tw.addr));
            }
        }
        if let Node::Replica(r) = to
            && self.cut(from, r)
        {
            return;
        }
        let l = self.link();
        if l.loss_permille > 0 && self.rng.gen_range(0..1000) < l.loss_permille {
            return;
        }
        let copies =
            if l.duplicate_permille > 0 && self.rng.gen_range(0..1000) < l.duplicate_permille {
                2
            } else {
                1
            };
        for _ in 0..copies {
            let at = Time(self.now.0 + self.delay());
            self.sent += 1;
            self.schedule(
                at,
                Event::Deliver {
                    to,
                    from,
                    payload: payload.clone(),
                },
            );
        }
    }
}
