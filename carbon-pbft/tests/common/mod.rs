//! A tiny synchronous harness for unit-testing the replica phases: messages
//! are delivered in FIFO order, instantly, unless a link is cut.
#![allow(dead_code)]

use carbon_pbft::{
    ClientId, Committed, Config, Destination, Digest, Message, Persist, PreviousEpoch, Replica,
    ReplicaId, Request, RequestId, SeqNo, Time, ValidatorSet,
};
use ed25519_dalek::SigningKey;
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

pub fn key(i: u32) -> SigningKey {
    let mut b = [7u8; 32];
    b[..4].copy_from_slice(&i.to_le_bytes());
    SigningKey::from_bytes(&b)
}

/// The genesis set of a cluster of `n` (keys `key(0..n)`).
pub fn genesis_set(n: u32) -> ValidatorSet {
    ValidatorSet::new((0..n).map(|i| key(i).verifying_key()).collect()).unwrap()
}

/// The genesis set of the usual 4-replica cluster.
pub fn set4() -> ValidatorSet {
    genesis_set(4)
}

pub fn config() -> Config {
    Config {
        checkpoint_interval: 4,
        watermark_window: 8,
        max_batch_requests: 2,
        max_batch_bytes: 1 << 16,
        batch_delay: Duration::from_millis(10),
        request_timeout: Duration::from_millis(100),
        max_view_change_timeout: Duration::from_millis(800),
        max_message_bytes: 1 << 20,
        max_pending_requests: 64,
        retransmit_interval: Duration::from_millis(1000),
    }
}

pub fn request(client: u64, id: u64) -> Request {
    Request {
        client: ClientId(client),
        id: RequestId(id),
        payload: format!("c{client} r{id}").into_bytes(),
    }
}

pub fn members(ids: &[u32]) -> Request {
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    Request {
        client: ClientId(99),
        id: RequestId(1),
        payload: format!("members:{}", list.join(",")).into_bytes(),
    }
}

pub fn keys(ids: &[u32]) -> Vec<ed25519_dalek::VerifyingKey> {
    ids.iter().map(|i| key(*i).verifying_key()).collect()
}

/// The (single) change every replica of `c` reported, and its boundary.
pub fn agreed_boundary(c: &Cluster, replicas: std::ops::Range<usize>) -> SeqNo {
    let mut seen = Vec::new();
    for i in replicas {
        assert_eq!(
            c.set_changes[i].len(),
            1,
            "replica {i}: {:?}",
            c.set_changes[i]
        );
        seen.push(c.set_changes[i][0].clone().expect("change accepted"));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    seen[0]
}

/// Returns true for messages (from, to, message) to drop.
pub type Filter = Box<dyn Fn(ReplicaId, ReplicaId, &Message) -> bool>;

pub struct Cluster {
    pub replicas: Vec<Replica>,
    pub vset: ValidatorSet,
    pub cfg: Config,
    pub now: Time,
    pub queue: VecDeque<(ReplicaId, ReplicaId, Message)>,
    pub committed: Vec<Vec<Committed>>,
    pub persisted: Vec<Vec<Persist>>,
    pub chain: Vec<Digest>,
    pub to_observers: Vec<Message>,
    pub isolated: BTreeSet<u32>,
    pub sent: Vec<(ReplicaId, Message)>,
    pub auto_digest: bool,
    pub fetch: Vec<Option<carbon_pbft::FetchState>>,
    /// Drop a message in flight when this returns true.
    pub filter: Option<Filter>,
    /// Replicas whose host gives no state digest and reports no
    /// validator-set change by itself: the test does it by hand.
    pub manual: BTreeSet<usize>,
    /// What each replica's `handle_validator_set` returned, in order.
    pub set_changes: Vec<Vec<carbon_pbft::Result<SeqNo>>>,
}

/// The keys of a `members:0,1,4` request, if it is one.
pub fn members_request(payload: &[u8]) -> Option<Vec<ed25519_dalek::VerifyingKey>> {
    let text = std::str::from_utf8(payload)
        .ok()?
        .strip_prefix("members:")?;
    text.split(',')
        .map(|i| i.parse::<u32>().ok().map(|i| key(i).verifying_key()))
        .collect()
}

impl Cluster {
    pub fn new(n: u32) -> Cluster {
        Cluster::with_config(n, config())
    }

    pub fn with_config(n: u32, cfg: Config) -> Cluster {
        let vset = genesis_set(n);
        let replicas = (0..n)
            .map(|i| {
                Replica::new(cfg.clone(), vset.clone(), ReplicaId(i), key(i), Time(0)).unwrap()
            })
            .collect();
        Cluster {
            replicas,
            vset,
            cfg,
            now: Time(0),
            queue: VecDeque::new(),
            committed: vec![Vec::new(); n as usize],
            persisted: vec![Vec::new(); n as usize],
            chain: vec![Digest::default(); n as usize],
            to_observers: Vec::new(),
            isolated: BTreeSet::new(),
            sent: Vec::new(),
            auto_digest: true,
            fetch: vec![None; n as usize],
            filter: None,
            manual: BTreeSet::new(),
            set_changes: vec![Vec::new(); n as usize],
        }
    }

    pub fn n(&self) -> usize {
        self.replicas.len()
    }

    /// Add a replica started by its host with `set` (a later epoch's set it
    /// belongs to) at index `id`; `previous` is the epoch before.
    pub fn add_replica(&mut self, set: ValidatorSet, id: u32, previous: PreviousEpoch) {
        let r = Replica::join(
            self.cfg.clone(),
            set,
            ReplicaId(id),
            key(id),
            self.now,
            previous,
        )
        .unwrap();
        self.replicas.push(r);
        self.committed.push(Vec::new());
        self.persisted.push(Vec::new());
        self.chain.push(Digest::default());
        self.fetch.push(None);
        self.set_changes.push(Vec::new());
    }

    /// Replica `i` rebuilt after a restart from the genesis set and what
    /// it persisted.
    pub fn rebuild(&self, i: u32) -> Replica {
        Replica::recover(
            self.cfg.clone(),
            genesis_set(self.vset.len() as u32),
            ReplicaId(i),
            key(i),
            self.now,
            self.persisted[i as usize].clone(),
        )
        .unwrap()
    }

    /// Replica `from`'s own snapshot at checkpoint `seq`, as its host
    /// persisted it.
    pub fn snapshot(&self, from: usize, seq: SeqNo) -> Option<carbon_pbft::StateSnapshot> {
        self.persisted[from].iter().rev().find_map(|p| match p {
            Persist::Checkpoint { snapshot, .. } if snapshot.seq == seq => Some(snapshot.clone()),
            _ => None,
        })
    }

    /// The sequence number of the batch that carried the membership change,
    /// as replica `i` delivered it.
    pub fn change_seq(&self, i: usize) -> SeqNo {
        self.committed[i]
            .iter()
            .find(|cm| {
                cm.batch
                    .requests
                    .iter()
                    .any(|r| members_request(&r.payload).is_some())
            })
            .map(|cm| cm.seq)
            .expect("the change was delivered")
    }

    /// Fulfil replica `i`'s pending state transfer from replica `from`'s
    /// persisted checkpoint snapshot, as a host would.
    pub fn install_state(&mut self, i: usize, from: usize) -> bool {
        let Some(f) = self.fetch[i].take() else {
            return false;
        };
        let Some(snap) = self.snapshot(from, f.proof.seq) else {
            self.fetch[i] = Some(f);
            return false;
        };
        self.chain[i] = snap.app_digest;
        self.replicas[i]
            .handle_state_installed(self.now, snap)
            .unwrap();
        self.run();
        true
    }

    /// Give a request to every replica not isolated.
    pub fn submit(&mut self, req: Request) {
        for i in 0..self.n() {
            if !self.isolated.contains(&(i as u32)) {
                let _ = self.replicas[i].handle_request(self.now, req.clone());
            }
        }
        self.run();
    }

    /// Drain every Ready, checking persist-before-send, and route messages.
    pub fn drain(&mut self) {
        for i in 0..self.n() {
            loop {
                let ready = self.replicas[i].ready();
                if ready.is_empty() {
                    break;
                }
                let me = ReplicaId(i as u32);
                // Persist-before-send: every vote this replica sends is in
                // the persisted log once the Ready is handled.
                self.persisted[i].extend(ready.persist.iter().cloned());
                for o in &ready.messages {
                    if let Message::Prepare(v) | Message::Commit(v) = &o.message {
                        assert!(
                            self.persisted[i]
                                .iter()
                                .any(|p| matches!(p, Persist::Vote(s) if s.body == v.body)),
                            "{me} sent a vote it did not persist first"
                        );
                    }
                }
                if ready.fetch_state.is_some() {
                    self.fetch[i] = ready.fetch_state.clone();
                }
                for c in ready.committed {
                    self.chain[i] =
                        Digest::hash(b"test-app", &[&self.chain[i].0, &c.batch.digest().0]);
                    let needs = c.needs_state_digest;
                    let seq = c.seq;
                    // The test application: a request `members:0,1,4` commits
                    // a new validator set of those keys.
                    for (r, fresh) in c.batch.requests.iter().zip(&c.fresh) {
                        if let Some(keys) = members_request(&r.payload)
                            && *fresh
                            && !self.manual.contains(&i)
                        {
                            let got = self.replicas[i].handle_validator_set(self.now, seq, keys);
                            self.set_changes[i].push(got);
                        }
                    }
                    self.committed[i].push(c);
                    if needs && self.auto_digest && !self.manual.contains(&i) {
                        self.replicas[i]
                            .handle_state_digest(self.now, seq, self.chain[i])
                            .unwrap();
                    }
                }
                for o in ready.messages {
                    self.sent.push((me, o.message.clone()));
                    match o.to {
                        Destination::AllReplicas => {
                            for j in 0..self.n() as u32 {
                                if j != me.0 {
                                    self.queue.push_back((me, ReplicaId(j), o.message.clone()));
                                }
                            }
                        }
                        Destination::Replica(r) => self.queue.push_back((me, r, o.message)),
                        Destination::Observers => self.to_observers.push(o.message),
                    }
                }
            }
        }
    }

    /// Deliver until quiet.
    pub fn run(&mut self) {
        self.drain();
        while let Some((from, to, m)) = self.queue.pop_front() {
            if self.isolated.contains(&from.0) || self.isolated.contains(&to.0) {
                continue;
            }
            if self.filter.as_ref().is_some_and(|f| f(from, to, &m)) {
                continue;
            }
            let _ = self.replicas[to.0 as usize].handle_message(self.now, from, m);
            self.drain();
        }
    }

    /// Let `ms` of time pass, firing timers, then deliver until quiet.
    pub fn advance(&mut self, ms: u64) {
        let end = Time(self.now.0 + ms);
        loop {
            let next = (0..self.n())
                .filter(|i| !self.isolated.contains(&(*i as u32)))
                .filter_map(|i| self.replicas[i].poll_timeout())
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = t.max(self.now);
                    for i in 0..self.n() {
                        if !self.isolated.contains(&(i as u32)) {
                            self.replicas[i].handle_timeout(self.now);
                        }
                    }
                    self.run();
                }
                _ => break,
            }
        }
        self.now = end;
        self.run();
    }

    pub fn executed(&self, i: usize) -> SeqNo {
        self.replicas[i].last_executed()
    }

    /// Every replica's committed digests agree position by position.
    pub fn assert_agreement(&self) {
        for a in 0..self.n() {
            for b in 0..self.n() {
                for ca in &self.committed[a] {
                    if let Some(cb) = self.committed[b].iter().find(|c| c.seq == ca.seq) {
                        assert_eq!(
                            ca.batch.digest(),
                            cb.batch.digest(),
                            "r{a} and r{b} disagree at {}",
                            ca.seq
                        );
                    }
                }
            }
        }
    }
}
