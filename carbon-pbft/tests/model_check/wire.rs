//! What travels on the model's network: protocol messages, client requests
//! and the host's state-transfer traffic, each with a digest of its BCS
//! encoding so that envelopes hash, compare and sort deterministically.

use carbon_pbft::messages::Message;
use carbon_pbft::{Digest, ReplicaId, Request, SeqNo, StateSnapshot};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use stateright::actor::Id;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The content of a message.
#[derive(Serialize)]
pub enum Payload {
    /// Replica to replica.
    Protocol(Message),
    /// Client to replica.
    Request(Request),
    /// A host asks its peers for the state at a stable checkpoint.
    StateRequest(SeqNo),
    /// A host's answer: the replica's snapshot and the application's digest.
    StateReply(StateSnapshot, Digest),
}

/// A message: shared content plus the digest it is known by.
#[derive(Clone)]
pub struct Msg {
    /// The content.
    pub payload: Arc<Payload>,
    digest: [u8; 32],
}

impl Msg {
    /// Wrap a payload.
    pub fn new(payload: Payload) -> Msg {
        let bytes = bcs::to_bytes(&payload).expect("BCS encodes plain data");
        let digest = Sha256::digest(&bytes).into();
        Msg {
            payload: Arc::new(payload),
            digest,
        }
    }
}

impl PartialEq for Msg {
    fn eq(&self, other: &Msg) -> bool {
        self.digest == other.digest
    }
}
impl Eq for Msg {}
impl Hash for Msg {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.digest.hash(state);
    }
}
impl PartialOrd for Msg {
    fn partial_cmp(&self, other: &Msg) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Msg {
    fn cmp(&self, other: &Msg) -> Ordering {
        self.digest.cmp(&other.digest)
    }
}

/// The actor of replica `r` among `n`: replicas are numbered backwards
/// (replica 0, the first primary, is actor n - 1), because stateright's
/// depth-first search tries the actions of higher actors first, and the
/// primary's proposals are what every interesting path starts with.
pub fn actor_of(r: ReplicaId, n: usize) -> Id {
    Id::from(n - 1 - r.0 as usize)
}

/// The replica of actor `a` among `n` replicas (see [`actor_of`]).
pub fn replica_of(a: Id, n: usize) -> ReplicaId {
    ReplicaId((n - 1 - usize::from(a)) as u32)
}

/// A short description of a digest: its first bytes in hex.
pub fn short(d: &Digest) -> String {
    d.0[..3].iter().map(|b| format!("{b:02x}")).collect()
}

/// Counterexample traces print each message in one line.
impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.payload {
            Payload::Protocol(m) => describe(m, f),
            Payload::Request(r) => write!(f, "REQUEST({}, {})", r.client, r.id),
            Payload::StateRequest(s) => write!(f, "STATE-REQUEST({s})"),
            Payload::StateReply(s, d) => write!(f, "STATE-REPLY({}, {})", s.seq, short(d)),
        }
    }
}

fn describe(m: &Message, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match m {
        Message::PrePrepare(pp) => {
            let h = pp.header.body;
            let reqs: Vec<String> = pp
                .batch
                .requests
                .iter()
                .map(|r| format!("{}{}", r.client, r.id))
                .collect();
            let (v, s, d) = (h.view, h.seq, short(&h.digest));
            write!(f, "PRE-PREPARE({v}, {s}, {d} = [{}])", reqs.join(" "))
        }
        Message::Prepare(p) | Message::Commit(p) => {
            let b = p.body;
            let (k, r, v, s, d) = (m.kind(), p.from, b.view, b.seq, short(&b.digest));
            write!(f, "{}({r}, {v}, {s}, {d})", k.to_uppercase())
        }
        Message::Checkpoint(c) => {
            let (r, s, d) = (c.from, c.body.seq, short(&c.body.digest));
            write!(f, "CHECKPOINT({r}, {s}, {d})")
        }
        Message::ViewChange(vc) => {
            let b = &vc.body;
            let p: Vec<String> = b
                .prepared
                .iter()
                .map(|p| p.vote().seq.to_string())
                .collect();
            let (r, v, c) = (vc.from, b.new_view, b.checkpoint.seq);
            write!(
                f,
                "VIEW-CHANGE({r}, {v}, stable {c}, prepared [{}])",
                p.join(" ")
            )
        }
        Message::NewView(nv) => {
            let o: Vec<String> = nv
                .body
                .proposals
                .iter()
                .map(|h| format!("{}:{}", h.body.seq, short(&h.body.digest)))
                .collect();
            write!(f, "NEW-VIEW({}, [{}])", nv.body.view, o.join(" "))
        }
        Message::StableCheckpoint(p) => write!(f, "STABLE-CHECKPOINT({})", p.seq),
        other => write!(f, "{}", other.kind().to_uppercase()),
    }
}
