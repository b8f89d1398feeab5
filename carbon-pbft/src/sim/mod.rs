//! A deterministic simulator: n replicas, observers and clients on a seeded
//! virtual network and clock, with network faults, crashes and restarts,
//! and Byzantine replicas; invariants checked on every step.
//!
//! ```
//! use carbon_pbft::sim::{Fault, SimConfig, run};
//! let report = run(&SimConfig::small(4, 1, &[Fault::Loss, Fault::Equivocate]), 7);
//! assert!(report.safety_violations.is_empty());
//! assert!(report.liveness_ok);
//! ```

mod byzantine;
mod checker;
mod events;
mod fault;
mod host;
mod network;
mod run;

pub use byzantine::{Behaviour, other_batch, recipients};
pub use fault::Fault;
pub use network::{Event, LinkFaults, Network, Node, Payload, Twins};
pub use run::run;

use crate::config::Config;
use crate::ids::{ReplicaId, SeqNo, Time, View};
use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;
use std::time::Duration;

/// One simulation's parameters.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Voting replicas.
    pub replicas: usize,
    /// Byzantine replicas among them (at most f for the guarantees to hold).
    pub byzantine: usize,
    /// Observers.
    pub observers: u32,
    /// Fault classes enabled together.
    pub faults: Vec<Fault>,
    /// Clients; each sends its requests one after another.
    pub clients: u64,
    /// Requests per client.
    pub requests_per_client: u64,
    /// Payload size.
    pub payload_bytes: usize,
    /// Protocol tunables.
    pub protocol: Config,
    /// When network faults heal, crashed replicas are back, partitions end.
    pub heal_at: Time,
    /// After healing, every request must commit within this much virtual time.
    pub liveness_bound: Duration,
}

impl SimConfig {
    /// A short run: 3 clients x 2 requests, faults for 1.5 s of virtual time,
    /// liveness required within 20 s after healing.
    pub fn small(replicas: usize, byzantine: usize, faults: &[Fault]) -> SimConfig {
        SimConfig {
            replicas,
            byzantine,
            observers: 1,
            faults: faults.to_vec(),
            clients: 3,
            requests_per_client: 2,
            payload_bytes: 16,
            protocol: Config {
                checkpoint_interval: 2,
                watermark_window: 4,
                max_batch_requests: 2,
                max_batch_bytes: 1 << 16,
                batch_delay: Duration::from_millis(2),
                request_timeout: Duration::from_millis(300),
                max_view_change_timeout: Duration::from_millis(2400),
                max_message_bytes: 1 << 20,
                max_pending_requests: 1024,
                retransmit_interval: Duration::from_millis(100),
            },
            heal_at: Time(1500),
            liveness_bound: Duration::from_secs(20),
        }
    }
}

/// What one run observed.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// Broken safety invariants (agreement, certificates, order), if any.
    pub safety_violations: Vec<String>,
    /// Whether every request committed within the bound after healing.
    pub liveness_ok: bool,
    /// Requests executed (at f + 1 correct replicas).
    pub committed_requests: u64,
    /// Requests submitted.
    pub submitted_requests: u64,
    /// Messages put on the virtual wire.
    pub messages_sent: u64,
    /// Virtual milliseconds from first send to commit, per request.
    pub latencies_ms: Vec<u64>,
    /// View changes started, summed over correct replicas.
    pub view_changes: u64,
    /// State transfers requested, summed over correct replicas.
    pub state_transfers: u64,
    /// Times a correct replica found its state disagreeing with a stable
    /// checkpoint ([`Fault::Diverge`]).
    pub divergences: u64,
    /// Dropped messages by cause, summed over correct replicas.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Virtual time at the end.
    pub end_time: Time,
    /// Byzantine replicas and their behaviour.
    pub byzantine: Vec<(ReplicaId, Behaviour)>,
    /// Each replica at the end: (view, view active, last executed, low water mark), None if down.
    pub final_states: Vec<Option<(View, bool, SeqNo, SeqNo)>>,
}

/// The deterministic key of replica `i` in simulation `seed`.
pub fn sim_key(seed: u64, i: u32) -> SigningKey {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&seed.to_le_bytes());
    b[8..12].copy_from_slice(&i.to_le_bytes());
    b[31] = 0x5a;
    SigningKey::from_bytes(&b)
}
