//! The whole platform in one run, until the node's network lands: an
//! enterprise encrypts its emission report under an access policy
//! (carbon-abe), records the operation in the signed provenance model
//! (carbon-provenance), anchors the ciphertext's digest in a transaction that
//! four PBFT replicas order (carbon-pbft, driven in process), and every
//! replica executes the block and commits it durably with its commit
//! certificate (carbon-ledger). The regulator then checks the certificate,
//! proves the transaction's inclusion against a header, fetches the
//! ciphertext by its digest and decrypts it.
//!
//! Run: `cargo run --release --example tour`

use std::collections::VecDeque;
use std::error::Error;

use carbon_abe::{Authority, Envelope, KeyRequest, ObjectVersion};
use carbon_ledger::{
    Block, CommitCertificate as LedgerCertificate, GenesisConfig, Hash32, Nonce, Payload,
    PublicKey, Store, StoreConfig, TimestampMs, Transaction, TxBody, View as LedgerView, exec,
};
use carbon_pbft::{
    ClientId, Config, Destination, Replica, ReplicaId, Request, RequestId, Time, ValidatorSet,
};
use carbon_provenance::example::{activity, agent, agent_key};
use carbon_provenance::{
    ActivityKind, AgentKind, Data, DataId, MemoryStore, ProvenanceLog, RecordBody, record, sha256,
};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;

/// What the tour returns: any error, printed by `main`.
pub type Result<T> = std::result::Result<T, Box<dyn Error>>;

const REPLICAS: usize = 4;

/// Runs the tour (also called by `tests/tour.rs`).
pub fn main() -> Result<()> {
    let genesis_path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/genesis.json");
    let genesis = GenesisConfig::load(genesis_path)?;
    let chain = genesis.chain_id.clone();
    println!("network {} (genesis {})", chain, genesis.hash());

    // 1. The authority (the regulator's authorisation server) issues keys.
    let mut rng = OsRng;
    let mut authority = Authority::setup(&mut rng);
    let regulator_id = SigningKey::generate(&mut rng);
    authority.register_user(
        "regulator".parse()?,
        regulator_id.verifying_key(),
        ["regulator".parse()?].into(),
    )?;
    let regulator_key = authority.handle_key_request(
        &KeyRequest::sign(&regulator_id, "regulator".parse()?, 1),
        &mut rng,
    )?;
    println!("\n[abe] authority set up; the regulator holds a key for {{regulator}}");

    // 2. acme-steel encrypts its report; only the digest will go on chain.
    let report = b"2026 emission report, acme-steel: 1,204,310 t CO2e (stack 2: 812,004 t)";
    let policy = "regulator or (org:acme-steel and role:auditor)".parse()?;
    let envelope = Envelope::seal(
        authority.public_key(),
        &policy,
        authority.epochs(),
        "acme-steel/report/2026".parse()?,
        ObjectVersion(0),
        report,
        &mut rng,
    )?;
    let ciphertext = carbon_abe::Artefact::to_bytes(&envelope);
    println!(
        "[abe] report sealed under `{}`: {} bytes of ciphertext",
        envelope.policy(),
        ciphertext.len()
    );

    // 3. The encryption is a provenance record signed by acme's software agent.
    let mut prov = ProvenanceLog::new(MemoryStore::new());
    let digest = sha256(&ciphertext);
    let mut body = RecordBody {
        v: record::FORMAT_VERSION,
        activity: activity(
            "encrypt-report-2026",
            ActivityKind::Encrypt,
            genesis.timestamp.0,
            1_000,
        )?,
        agent: agent("acme-steel-mrv", AgentKind::Software, None)?,
        used: vec![],
        generated: vec![Data {
            id: DataId::new("acme-steel.report.2026")?,
            kind: "emission-report".into(),
            label: "2026 annual emission report".into(),
            digest: digest.clone(),
            size: ciphertext.len() as u64,
            location: format!("blob://{digest:?}"),
            derived_from: vec![],
        }],
        chain: vec![],
    };
    prov.link(&mut body)?;
    let signed = body.sign(&agent_key("acme-steel-mrv"))?;
    let record_hash = signed.hash()?;
    prov.append(signed)?;
    println!("[provenance] encrypt record {record_hash} signed and validated");

    // 4. Four validators, each with a durable store of its own.
    let dirs: Vec<tempfile::TempDir> = (0..REPLICAS)
        .map(|_| tempfile::tempdir())
        .collect::<std::io::Result<_>>()?;
    let stores: Vec<Store> = dirs
        .iter()
        .map(|d| -> Result<Store> {
            let store = Store::open(StoreConfig::new(d.path()).cache_capacity(8 << 20))?;
            store.init_genesis(&genesis)?;
            Ok(store)
        })
        .collect::<Result<_>>()?;
    for store in &stores {
        store.put_blob(&ciphertext)?; // acme's off-chain store, replicated here for the demo
    }
    let keys: Vec<SigningKey> = (0..REPLICAS)
        .map(|i| SigningKey::from_bytes(&[0x70 + i as u8; 32]))
        .collect();
    let validators = ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect())?;
    let mut replicas: Vec<Replica> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Replica::new(
                Config::default(),
                validators.clone(),
                ReplicaId(i as u32),
                k.clone(),
                Time(0),
            )
        })
        .collect::<std::result::Result<_, _>>()?;
    println!(
        "\n[pbft] {REPLICAS} replicas (f = {}), primary of view 0 is replica 0",
        validators.f()
    );

    // 5. acme anchors the ciphertext digest; the transaction is a client request.
    let acme = SigningKey::from_bytes(&[1; 32]); // acme-steel in the sample genesis
    let tx = Transaction::sign(
        TxBody {
            chain_id: chain.clone(),
            sender: PublicKey::ZERO, // set from the key by `sign`
            nonce: Nonce(0),
            payload: Payload::Anchor {
                digest: Hash32(digest.as_array().ok_or("digest is not 32 bytes")?),
                label: format!("emission-report/2026 provenance {record_hash}"),
            },
        },
        &acme,
    );
    let request = Request {
        client: ClientId(1),
        id: RequestId(1),
        payload: tx.to_bytes(),
    };
    let mut now = Time(0);
    for r in &mut replicas {
        r.handle_request(now, request.clone())?;
    }

    // 6. Drive the replicas: persist (here: in memory), send, apply.
    let mut wire: VecDeque<(ReplicaId, ReplicaId, carbon_pbft::Message)> = VecDeque::new();
    let mut applied = [0usize; REPLICAS];
    let mut messages = 0usize;
    while applied.contains(&0) {
        for i in 0..REPLICAS {
            let ready = replicas[i].ready();
            for out in ready.messages {
                let targets: Vec<usize> = match out.to {
                    Destination::AllReplicas => (0..REPLICAS).filter(|&j| j != i).collect(),
                    Destination::Replica(j) => vec![j.0 as usize],
                    Destination::Observers => vec![],
                };
                for j in targets {
                    wire.push_back((
                        ReplicaId(i as u32),
                        ReplicaId(j as u32),
                        out.message.clone(),
                    ));
                }
            }
            for committed in ready.committed {
                committed.certificate.verify(&validators)?;
                let txs = committed
                    .batch
                    .requests
                    .iter()
                    .map(|r| Transaction::from_bytes(&r.payload))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let store = &stores[i];
                let time = TimestampMs(genesis.timestamp.0 + 60_000);
                let outcome = exec::execute_block(store, &chain, time, &txs)?;
                let header = store.next_header(
                    time,
                    PublicKey::from(&keys[0].verifying_key()).account(),
                    LedgerView(committed.certificate.vote().view.0),
                    &txs,
                    &outcome.receipts,
                    &outcome.writes,
                )?;
                let block = Block {
                    header,
                    transactions: txs,
                    certificate: LedgerCertificate(carbon_ledger::codec::encode(
                        &committed.certificate,
                    )),
                };
                let head = store.commit(&block, &outcome.receipts, &outcome.writes)?;
                println!(
                    "[ledger] replica {i} committed block {} {} (seq {}, state root {})",
                    head.height, head.hash, committed.seq.0, head.state_root
                );
                applied[i] += 1;
            }
        }
        if let Some((from, to, msg)) = wire.pop_front() {
            messages += 1;
            replicas[to.0 as usize].handle_message(now, from, msg)?;
        } else {
            // Nothing in flight: let time pass to the earliest timer (the
            // primary's batch delay).
            let next = replicas
                .iter()
                .filter_map(Replica::poll_timeout)
                .min()
                .ok_or("no replica has a timer and nothing is in flight")?;
            now = now.max(next);
            for r in &mut replicas {
                r.handle_timeout(now);
            }
        }
    }
    println!(
        "[pbft] ordered in {messages} messages, {} ms of virtual time",
        now.0
    );

    // 7. Every replica holds the same chain.
    let heads: Vec<_> = stores.iter().map(Store::head).collect();
    let first = heads[0].as_ref().ok_or("no head")?;
    for h in &heads {
        let h = h.as_ref().ok_or("no head")?;
        if (h.hash, h.state_root) != (first.hash, first.state_root) {
            return Err("replicas diverged".into());
        }
    }
    println!(
        "\n[ledger] all {REPLICAS} replicas agree on head {} and its state root",
        first.hash
    );

    // 8. The regulator, trusting nothing but the validator set and a header:
    let store = &stores[3];
    let block = store
        .block_by_height(first.height)?
        .ok_or("head block missing")?;
    let cert: carbon_pbft::CommitCertificate =
        carbon_ledger::codec::decode(&block.certificate.0, 1 << 20, "commit certificate")?;
    cert.verify(&validators)?;
    println!("[regulator] the block's commit certificate carries 2f+1 valid signatures");
    let inclusion = store.transaction_proof(&tx.hash())?.ok_or("tx not found")?;
    inclusion.verify(&block.header)?;
    println!(
        "[regulator] the anchor transaction is in block {} (receipt {:?})",
        inclusion.record.location.height, inclusion.record.receipt.status
    );
    let fetched = store
        .blob(&Hash32(digest.as_array().ok_or("digest is not 32 bytes")?))?
        .ok_or("ciphertext missing from the blob store")?;
    let envelope: Envelope = carbon_abe::Artefact::from_bytes(&fetched)?;
    let plaintext = envelope.open(&regulator_key)?;
    println!(
        "[regulator] decrypted the report: \"{}\"",
        String::from_utf8_lossy(&plaintext)
    );
    println!(
        "[provenance] history of the report: {} record(s)",
        carbon_provenance::lineage::history(prov.store(), &DataId::new("acme-steel.report.2026")?)?
            .len()
    );
    Ok(())
}
