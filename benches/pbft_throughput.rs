//! carbon-pbft: committed requests per second for 4 in-process replicas with
//! real ed25519 signatures (batch 1, 100, 1000; 256-byte requests), beside
//! the floor — the raw signatures, verifications and hashes one batch needs —
//! and the cost of verifying a commit certificate.

// criterion_group! generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

use carbon_pbft::messages::{OrderVote, Phase, Signed};
use carbon_pbft::{
    Batch, ClientId, CommitCertificate, Config, Destination, Digest, Replica, ReplicaId, Request,
    RequestId, SeqNo, Time, ValidatorSet, View,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey, Verifier};
use std::collections::VecDeque;
use std::time::Duration;

fn keys() -> Vec<SigningKey> {
    (0..4u8)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect()
}

struct Cluster {
    replicas: Vec<Replica>,
    next: u64,
    committed: u64,
}

impl Cluster {
    fn new(batch: usize) -> Cluster {
        let ks = keys();
        let set = ValidatorSet::new(ks.iter().map(|k| k.verifying_key()).collect()).unwrap();
        let cfg = Config {
            max_batch_requests: batch,
            checkpoint_interval: 128,
            watermark_window: 256,
            ..Config::default()
        };
        let replicas = (0..4)
            .map(|i| {
                Replica::new(
                    cfg.clone(),
                    set.clone(),
                    ReplicaId(i),
                    ks[i as usize].clone(),
                    Time(0),
                )
                .unwrap()
            })
            .collect();
        Cluster {
            replicas,
            next: 0,
            committed: 0,
        }
    }

    /// Give `n` fresh requests to the primary and run until all replicas commit them.
    fn round(&mut self, n: usize) {
        for _ in 0..n {
            self.next += 1;
            let req = Request {
                client: ClientId(self.next),
                id: RequestId(1),
                payload: vec![7u8; 256],
            };
            self.replicas[0].handle_request(Time(0), req).unwrap();
        }
        let mut queue = VecDeque::new();
        loop {
            for i in 0..4 {
                let ready = self.replicas[i].ready();
                for c in &ready.committed {
                    self.committed += c.batch.requests.len() as u64;
                    if c.needs_state_digest {
                        let _ = self.replicas[i].handle_state_digest(
                            Time(0),
                            c.seq,
                            Digest([c.seq.0 as u8; 32]),
                        );
                    }
                }
                for o in ready.messages {
                    match o.to {
                        Destination::AllReplicas => {
                            for j in 0..4 {
                                if j != i {
                                    queue.push_back((i, j, o.message.clone()));
                                }
                            }
                        }
                        Destination::Replica(r) => queue.push_back((i, r.0 as usize, o.message)),
                        Destination::Observers => {}
                    }
                }
            }
            let Some((from, to, m)) = queue.pop_front() else {
                if self.replicas.iter().all(|r| !r.has_ready()) {
                    break;
                }
                continue;
            };
            let _ = self.replicas[to].handle_message(Time(0), ReplicaId(from as u32), m);
        }
    }
}

/// The physical floor of one batch: 8 signatures (1 pre-prepare, 3
/// prepares, 4 commits), 24 verifications, and hashing the batch at 4 replicas.
fn floor(batch: &Batch, ks: &[SigningKey]) {
    let msg = [3u8; 96];
    let mut sigs = Vec::with_capacity(8);
    for i in 0..8 {
        sigs.push(ks[i % 4].sign(&msg));
    }
    for i in 0..24 {
        ks[i % 4]
            .verifying_key()
            .verify(&msg, &sigs[i % 8])
            .unwrap_or(());
    }
    for _ in 0..4 {
        std::hint::black_box(batch.digest());
    }
}

fn bench(c: &mut Criterion) {
    let ks = keys();
    let mut g = c.benchmark_group("pbft_commit");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for batch in [1usize, 100, 1000] {
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_with_input(
            BenchmarkId::new("4_replicas", batch),
            &batch,
            |b, &batch| {
                let mut cl = Cluster::new(batch);
                b.iter(|| cl.round(batch));
                assert!(cl.committed > 0);
            },
        );
        let reqs: Vec<Request> = (0..batch)
            .map(|i| Request {
                client: ClientId(i as u64),
                id: RequestId(1),
                payload: vec![7u8; 256],
            })
            .collect();
        let b1 = Batch::new(reqs);
        g.bench_with_input(BenchmarkId::new("floor_crypto", batch), &batch, |b, _| {
            b.iter(|| floor(&b1, &ks))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("pbft_certificate");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let set = ValidatorSet::new(ks.iter().map(|k| k.verifying_key()).collect()).unwrap();
    let vote = OrderVote {
        phase: Phase::Commit,
        view: View(0),
        seq: SeqNo(1),
        digest: Digest([9; 32]),
    };
    let signed: Vec<Signed<OrderVote>> = (0..3)
        .map(|i| Signed::sign(&set, &ks[i], ReplicaId(i as u32), vote))
        .collect();
    let cert = CommitCertificate {
        view: View(0),
        seq: SeqNo(1),
        digest: Digest([9; 32]),
        signatures: signed.iter().map(|s| (s.from, s.signature)).collect(),
    };
    g.bench_function("verify_batch_3_of_4", |b| {
        b.iter(|| cert.verify(&set).unwrap())
    });
    g.bench_function("verify_each_3_of_4", |b| {
        b.iter(|| signed.iter().for_each(|s| s.verify(&set).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
