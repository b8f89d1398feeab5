//! The fault classes the simulator injects.

use super::byzantine::Behaviour;

/// A class of fault the simulator can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Delays of 1-60 ms: heavy reordering.
    Delay,
    /// 10% of messages lost.
    Loss,
    /// 10% of messages delivered twice.
    Duplicate,
    /// The replicas split in two groups until healed.
    Partition,
    /// One correct replica is cut off until healed (it must catch up by
    /// state transfer).
    Lagging,
    /// Correct replicas crash and restart from their persisted state.
    Crash,
    /// A Byzantine primary equivocates.
    Equivocate,
    /// Byzantine replicas sign conflicting votes.
    ConflictingVotes,
    /// Byzantine replicas replay old messages.
    Replay,
    /// Byzantine replicas send garbage bytes.
    Garbage,
    /// Byzantine replicas stay silent.
    Silent,
    /// Twins: a Byzantine replica runs as two instances with the same key,
    /// each talking to its own side of the others until the network heals
    /// (equivocation by construction, as in Diem's Twins).
    Twins,
    /// A correct replica's application state is corrupted once (a bug, a
    /// bad disk): its checkpoint digests disagree with the others' until it
    /// finds out, fetches the agreed state and goes on. Injected only where
    /// fewer than f replicas are Byzantine, since the corrupted one is one
    /// more fault.
    Diverge,
    /// Not a fault: while the others run, the application commits a
    /// validator-set change that adds a replica (started by its host with
    /// the new epoch's set, catching up by state transfer).
    Reconfigure,
}

impl Fault {
    /// Every fault class.
    pub const ALL: [Fault; 14] = [
        Fault::Delay,
        Fault::Loss,
        Fault::Duplicate,
        Fault::Partition,
        Fault::Lagging,
        Fault::Crash,
        Fault::Equivocate,
        Fault::ConflictingVotes,
        Fault::Replay,
        Fault::Garbage,
        Fault::Silent,
        Fault::Twins,
        Fault::Diverge,
        Fault::Reconfigure,
    ];

    /// The Byzantine behaviour this class stands for, if any.
    pub fn behaviour(self) -> Option<Behaviour> {
        match self {
            Fault::Equivocate => Some(Behaviour::Equivocate),
            Fault::ConflictingVotes => Some(Behaviour::ConflictingVotes),
            Fault::Replay => Some(Behaviour::Replay),
            Fault::Garbage => Some(Behaviour::Garbage),
            Fault::Silent => Some(Behaviour::Silent),
            Fault::Twins => Some(Behaviour::Twin),
            _ => None,
        }
    }

    /// Parse a command-line name (`loss`, `conflicting-votes`, ...).
    pub fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Delay => "delay",
            Fault::Loss => "loss",
            Fault::Duplicate => "duplicate",
            Fault::Partition => "partition",
            Fault::Lagging => "lagging",
            Fault::Crash => "crash",
            Fault::Equivocate => "equivocate",
            Fault::ConflictingVotes => "conflicting-votes",
            Fault::Replay => "replay",
            Fault::Garbage => "garbage",
            Fault::Silent => "silent",
            Fault::Twins => "twins",
            Fault::Diverge => "diverge",
            Fault::Reconfigure => "reconfigure",
        }
    }
}
