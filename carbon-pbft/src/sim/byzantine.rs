//! Byzantine replicas. Each runs the real protocol with its own key (so it
//! knows what to lie about) and the simulator rewrites its outputs.

use super::network::{Network, Node, Payload};
use crate::config::ValidatorSet;
use crate::ids::{ClientId, Digest, ReplicaId, RequestId};
use crate::messages::{
    Batch, CheckpointVote, Message, OrderVote, Phase, PrePrepare, Request, Signed,
};
use crate::output::{Destination, Outgoing};
use ed25519_dalek::SigningKey;
use rand::Rng;

/// How a faulty replica misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    /// As primary, sends different batches for the same sequence number to
    /// different replicas (PBFT's canonical attack).
    Equivocate,
    /// Signs PREPAREs, COMMITs and CHECKPOINTs for random digests and sends
    /// them to some replicas, the honest vote to others.
    ConflictingVotes,
    /// Replays old messages it saw or sent, to random replicas.
    Replay,
    /// Sends random bytes and bit-flipped messages besides honest traffic.
    Garbage,
    /// Sends nothing at all.
    Silent,
    /// Runs as two instances with the same key (see [`super::Twins`]); each
    /// sends honestly, to its own side.
    Twin,
}

/// The recipients of an honest output of replica `me` among `n` replicas
/// and `observers` observers.
pub fn recipients(o: &Outgoing, me: ReplicaId, n: usize, observers: u32) -> Vec<Node> {
    match o.to {
        Destination::AllReplicas => (0..n as u32)
            .map(ReplicaId)
            .filter(|r| *r != me)
            .map(Node::Replica)
            .collect(),
        Destination::Replica(r) => vec![Node::Replica(r)],
        Destination::Observers => (0..observers).map(Node::Observer).collect(),
    }
}

/// Send `outputs` of Byzantine replica `me` as `behaviour` dictates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn misbehave(
    behaviour: Behaviour,
    me: ReplicaId,
    (set, key): (&ValidatorSet, &SigningKey),
    outputs: Vec<Outgoing>,
    history: &mut Vec<Message>,
    net: &mut Network,
    n: usize,
    observers: u32,
) {
    for o in outputs {
        let to = recipients(&o, me, n, observers);
        match behaviour {
            Behaviour::Silent => {}
            Behaviour::Twin => {
                for node in to {
                    net.transmit(me, node, Payload::Msg(o.message.clone()));
                }
            }
            Behaviour::Equivocate => {
                for (i, node) in to.into_iter().enumerate() {
                    let m = match (&o.message, i % 2) {
                        (Message::PrePrepare(pp), 1) => {
                            Message::PrePrepare(other_batch(pp, me, set, key))
                        }
                        _ => o.message.clone(),
                    };
                    net.transmit(me, node, Payload::Msg(m));
                }
            }
            Behaviour::ConflictingVotes => {
                for node in to {
                    let m = if net.rng.gen_bool(0.5) {
                        conflicting(&o.message, me, (set, key), net)
                    } else {
                        None
                    };
                    net.transmit(
                        me,
                        node,
                        Payload::Msg(m.unwrap_or_else(|| o.message.clone())),
                    );
                }
            }
            Behaviour::Replay => {
                for node in to {
                    net.transmit(me, node, Payload::Msg(o.message.clone()));
                }
                if history.len() < 4096 {
                    history.push(o.message.clone());
                }
                for _ in 0..net.rng.gen_range(0..3) {
                    if history.is_empty() {
                        break;
                    }
                    let m = history[net.rng.gen_range(0..history.len())].clone();
                    let r = ReplicaId(net.rng.gen_range(0..n as u32));
                    if r != me {
                        net.transmit(me, Node::Replica(r), Payload::Msg(m));
                    }
                }
            }
            Behaviour::Garbage => {
                for node in to {
                    net.transmit(me, node, Payload::Msg(o.message.clone()));
                }
                let r = ReplicaId(net.rng.gen_range(0..n as u32));
                if r == me {
                    continue;
                }
                let bytes = if net.rng.gen_bool(0.5) {
                    let len = net.rng.gen_range(0..256);
                    (0..len).map(|_| net.rng.r#gen::<u8>()).collect()
                } else {
                    let mut b = o.message.encode();
                    let i = net.rng.gen_range(0..b.len());
                    b[i] ^= 1 << net.rng.gen_range(0..8);
                    b
                };
                net.transmit(me, Node::Replica(r), Payload::Bytes(bytes));
            }
        }
    }
}

/// What an equivocating primary sends some replicas instead of `pp`: the
/// same view and sequence number for a different batch (the requests
/// reversed, or a forged one added), validly signed with its real key.
pub fn other_batch(
    pp: &PrePrepare,
    me: ReplicaId,
    set: &ValidatorSet,
    key: &SigningKey,
) -> PrePrepare {
    let mut reqs: Vec<Request> = pp.batch.requests.iter().cloned().collect();
    if reqs.len() > 1 {
        reqs.reverse();
    } else {
        reqs.push(Request {
            client: ClientId(u64::MAX),
            id: RequestId(pp.header.body.seq.0),
            payload: b"forged".to_vec(),
        });
    }
    let batch = Batch::new(reqs);
    let header = Signed::sign(
        set,
        key,
        me,
        OrderVote {
            digest: batch.digest(),
            ..pp.header.body
        },
    );
    PrePrepare { header, batch }
}

/// A validly signed vote for a random digest in place of an honest vote.
fn conflicting(
    m: &Message,
    me: ReplicaId,
    (set, key): (&ValidatorSet, &SigningKey),
    net: &mut Network,
) -> Option<Message> {
    let digest = Digest(net.rng.r#gen());
    match m {
        Message::Prepare(v) => Some(Message::Prepare(Signed::sign(
            set,
            key,
            me,
            OrderVote { digest, ..v.body },
        ))),
        Message::Commit(v) => Some(Message::Commit(Signed::sign(
            set,
            key,
            me,
            OrderVote { digest, ..v.body },
        ))),
        Message::Checkpoint(c) => Some(Message::Checkpoint(Signed::sign(
            set,
            key,
            me,
            CheckpointVote { digest, ..c.body },
        ))),
        Message::PrePrepare(pp) if pp.header.body.phase == Phase::PrePrepare => {
            Some(Message::PrePrepare(other_batch(pp, me, set, key)))
        }
        _ => None,
    }
}
