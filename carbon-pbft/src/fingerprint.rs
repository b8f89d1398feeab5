//! A deterministic digest of a replica's protocol state, for model checkers
//! and fuzzers that need to tell two replica states apart (or recognise
//! them as the same) without comparing them field by field.
//!
//! Everything that can change what the replica does next goes in, in a
//! fixed order, each part as its canonical BCS encoding (maps are `BTreeMap`s
//! and sets `BTreeSet`s, so no hash-map iteration order leaks in). Left
//! out: the statistics (counters only), the configuration (fixed for a
//! replica's life), and the absolute time: deadlines go in relative to the
//! replica's clock, since the replica only ever compares them with `now`,
//! so two states that differ only by a shift in time behave the same. The
//! pending [`Ready`](crate::Ready) goes in too (empty once the host drained it).

use crate::ids::Time;
use crate::output::{Destination, Ready};
use crate::replica::{Replica, Slot};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// A SHA-256 fed with length-prefixed BCS encodings.
struct Feed(Sha256);

impl Feed {
    fn put<T: Serialize + ?Sized>(&mut self, part: &T) {
        // Invariant: BCS encodes the crate's plain data types without failure.
        let bytes = bcs::to_bytes(part).expect("BCS encodes plain data");
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(&bytes);
    }
}

impl Replica {
    /// A SHA-256 digest of this replica's protocol state (see the module
    /// documentation of `fingerprint.rs` for what it covers). Equal states
    /// give equal digests in every process and on every platform; a state
    /// shifted in time gives the same digest.
    #[doc(hidden)]
    pub fn fingerprint(&self) -> [u8; 32] {
        // Destructured so that a new field is a compile error here until
        // someone decides whether it belongs in the fingerprint.
        let Replica {
            cfg: _,
            id,
            key,
            validators,
            member,
            pending_set,
            past_epochs,
            epoch_proofs,
            epoch_floor,
            now,
            view,
            view_active,
            timeout,
            view_changes,
            own_view_change,
            last_new_view,
            log,
            signed_votes,
            prepared,
            to_execute,
            next_seq,
            executed,
            low,
            stable,
            awaiting_digest,
            own_digests,
            own_votes,
            checkpoint_votes,
            fetching,
            diverged,
            clients,
            queue,
            queued,
            in_flight,
            batch_deadline,
            request_deadline,
            view_change_deadline,
            retransmit_deadline,
            out,
            stats: _,
        } = self;
        let rel = |t: Option<Time>| t.map(|d| d.0.saturating_sub(now.0));
        let mut f = Feed(Sha256::new());
        f.0.update(b"carbon-pbft/replica-fingerprint/v1");
        f.put(&(id, key.verifying_key(), member));
        f.put(&(validators, pending_set, past_epochs, epoch_proofs));
        f.put(epoch_floor);
        f.put(&(view, view_active, timeout));
        f.put(&(view_changes, own_view_change, last_new_view));
        f.put(&(log.len() as u64));
        for (seq, slot) in log {
            let Slot {
                pre_prepare,
                prepares,
                commits,
                prepared,
                committed,
            } = slot;
            f.put(&(seq, pre_prepare, prepares, commits, prepared, committed));
        }
        f.put(signed_votes);
        f.put(&(prepared, to_execute));
        f.put(&(next_seq, executed, low, stable));
        f.put(&(awaiting_digest, own_digests, own_votes));
        f.put(&(checkpoint_votes, fetching, diverged));
        f.put(&(clients, queue, queued, in_flight));
        f.put(&(
            rel(*batch_deadline),
            rel(*request_deadline),
            rel(*view_change_deadline),
            rel(Some(*retransmit_deadline)),
        ));
        let Ready {
            persist,
            messages,
            committed,
            fetch_state,
        } = out;
        f.put(persist);
        f.put(&(messages.len() as u64, committed.len() as u64));
        for o in messages {
            let to = match o.to {
                Destination::AllReplicas => (0u8, 0u32),
                Destination::Replica(r) => (1, r.0),
                Destination::Observers => (2, 0),
            };
            f.put(&(to, &o.message));
        }
        for c in committed {
            f.put(&(c.seq, &c.batch, &c.certificate));
        }
        f.put(&fetch_state.as_ref().map(|x| &x.proof));
        f.0.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ValidatorSet};
    use crate::ids::{ClientId, ReplicaId, RequestId, Time};
    use crate::messages::Request;
    use crate::replica::Replica;
    use ed25519_dalek::SigningKey;

    fn replica(now: Time) -> Replica {
        let keys: Vec<SigningKey> = (0..4u8)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
            .collect();
        let set = ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect()).unwrap();
        Replica::new(Config::default(), set, ReplicaId(1), keys[1].clone(), now).unwrap()
    }

    fn request() -> Request {
        Request {
            client: ClientId(1),
            id: RequestId(1),
            payload: b"tx".to_vec(),
        }
    }

    #[test]
    fn fingerprint_is_stable_and_ignores_a_shift_in_time() {
        let (mut a, mut b) = (replica(Time(0)), replica(Time(5000)));
        assert_eq!(a.fingerprint(), b.fingerprint());
        a.handle_request(Time(0), request()).unwrap();
        b.handle_request(Time(5000), request()).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
    }

    #[test]
    fn fingerprint_changes_with_protocol_state() {
        let mut a = replica(Time(0));
        let before = a.fingerprint();
        a.handle_request(Time(0), request()).unwrap();
        let queued = a.fingerprint();
        assert_ne!(before, queued);
        // A duplicate only moves the counters: the state is the same.
        assert!(a.handle_request(Time(0), request()).is_err());
        assert_eq!(a.fingerprint(), queued);
        // The request timer firing starts a view change.
        a.handle_timeout(Time(10_000));
        assert_ne!(a.fingerprint(), queued);
    }
}
