//! A walk through carbon-ledger: genesis from the sample file, a toy
//! executor over an `Overlay`, blocks appended durably, queries with proofs a
//! light client checks, the off-chain blob store, and a reopen.
//!
//! Run: `cargo run -p carbon-ledger --example ledger_tour [genesis.json]`

use carbon_ledger::{
    Block, ChainId, CommitCertificate, Event, GenesisConfig, Hash32, Height, Nonce, Overlay,
    Payload, PublicKey, Receipt, StateView, Store, StoreConfig, TimestampMs, Transaction, TxBody,
    TxStatus, View, WriteSet, verify_batch,
};
use ed25519_dalek::SigningKey;

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A toy executor: each anchor transaction must carry the sender's next
/// nonce; it records the digest and bumps the nonce. Failed transactions
/// keep their receipt but none of their writes.
fn execute(store: &Store, txs: &[Transaction]) -> AnyResult<(Vec<Receipt>, WriteSet)> {
    let mut block = Overlay::new(store);
    let mut receipts = Vec::new();
    for tx in txs {
        let nonce_key = [b"nonce/".as_slice(), &tx.sender_account().0].concat();
        let expected = match block.get(&nonce_key)? {
            Some(b) => u64::from_le_bytes(b.try_into().map_err(|_| "corrupt nonce")?),
            None => 0,
        };
        let mut receipt = Receipt::success(tx.hash());
        if tx.body.nonce != Nonce(expected) {
            receipt.status = TxStatus::Failed {
                code: 1,
                reason: format!("expected nonce {expected}"),
            };
        } else {
            let mut t = Overlay::new(&block);
            t.put(nonce_key, (expected + 1).to_le_bytes().to_vec());
            if let Payload::Anchor { digest, label } = &tx.body.payload {
                t.put(
                    [b"anchor/".as_slice(), &digest.0].concat(),
                    tx.hash().0.to_vec(),
                );
                receipt.events.push(Event {
                    source: "anchor".into(),
                    topics: vec![*digest],
                    data: label.as_bytes().to_vec(),
                });
            }
            let writes = t.into_writes();
            receipt.cost.keys_written = writes.len() as u32;
            block.absorb(writes);
        }
        receipts.push(receipt);
    }
    Ok((receipts, block.into_writes()))
}

fn anchor(
    chain: &ChainId,
    key: &SigningKey,
    nonce: u64,
    digest: Hash32,
    label: &str,
) -> Transaction {
    let body = TxBody {
        chain_id: chain.clone(),
        sender: PublicKey::ZERO, // set from the key by `sign`
        nonce: Nonce(nonce),
        payload: Payload::Anchor {
            digest,
            label: label.into(),
        },
    };
    Transaction::sign(body, key)
}

fn append(store: &Store, chain: &ChainId, txs: Vec<Transaction>, t: u64) -> AnyResult<Block> {
    verify_batch(&txs, chain)?;
    let (receipts, writes) = execute(store, &txs)?;
    let proposer = PublicKey::from(&SigningKey::from_bytes(&[1; 32]).verifying_key()).account();
    let header = store.next_header(TimestampMs(t), proposer, View(0), &txs, &receipts, &writes)?;
    let block = Block {
        header,
        transactions: txs,
        certificate: CommitCertificate(b"pbft commit certificate".to_vec()),
    };
    let head = store.commit(&block, &receipts, &writes)?;
    println!(
        "  committed block {} {} ({} txs, state root {})",
        head.height,
        head.hash,
        block.transactions.len(),
        head.state_root
    );
    Ok(block)
}

fn main() -> AnyResult<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/genesis.json").to_string()
    });
    let genesis = GenesisConfig::load(&path)?;
    println!("genesis {path}");
    println!(
        "  chain id {}, genesis hash {}",
        genesis.chain_id,
        genesis.hash()
    );
    for m in genesis.members() {
        println!(
            "  {:?} {:<14} {} account {}",
            m.role, m.name, m.address, m.account
        );
    }

    let dir = tempfile::tempdir()?;
    let store = Store::open(StoreConfig::new(dir.path()).cache_capacity(16 << 20))?;
    store.init_genesis(&genesis)?;
    let chain = genesis.chain_id.clone();

    println!("\nan enterprise keeps its encrypted report off chain and anchors its digest");
    let acme = SigningKey::from_bytes(&[1; 32]); // acme-steel in the sample genesis
    let report = b"(CP-ABE ciphertext of the 2026 emission report)";
    let digest = store.put_blob(report)?;
    println!("  blob {digest} stored");
    let t0 = genesis.timestamp.0;
    append(
        &store,
        &chain,
        vec![anchor(&chain, &acme, 0, digest, "emission-report/2026")],
        t0 + 1000,
    )?;

    println!("\nmore blocks, one with a replayed nonce that fails but keeps its receipt");
    let power = SigningKey::from_bytes(&[2; 32]);
    let mut middle = Vec::new();
    for i in 0..3u64 {
        let txs = vec![
            anchor(
                &chain,
                &power,
                i,
                Hash32::digest(format!("meter {i}").as_bytes()),
                "meter-reading",
            ),
            anchor(
                &chain,
                &acme,
                1 + i,
                Hash32::digest(format!("invoice {i}").as_bytes()),
                "invoice",
            ),
        ];
        middle.push(append(&store, &chain, txs, t0 + 2000 + i * 1000)?);
    }
    let replay = anchor(
        &chain,
        &power,
        0,
        Hash32::digest(b"again"),
        "replayed nonce",
    );
    let b5 = append(&store, &chain, vec![replay.clone()], t0 + 9000)?;
    let r = store.transaction(&replay.hash())?.ok_or("missing")?;
    println!("  receipt of the replay: {:?}", r.receipt.status);

    println!("\na light client holding only headers checks a transaction and its receipt");
    let tx = &middle[1].transactions[1];
    let inclusion = store.transaction_proof(&tx.hash())?.ok_or("missing")?;
    let header = store
        .header(inclusion.record.location.height)?
        .ok_or("missing")?;
    inclusion.verify(&header)?;
    println!(
        "  tx {} at {:?}: proof of {} hashes verified against header {}",
        tx.hash(),
        inclusion.record.location,
        inclusion.tx_proof.path.len(),
        header.hash()
    );
    let mut forged = inclusion.clone();
    forged.record.receipt.status = TxStatus::Failed {
        code: 9,
        reason: "forged".into(),
    };
    println!(
        "  a forged receipt is rejected: {}",
        forged.verify(&header).unwrap_err()
    );

    println!("\nbounded queries");
    let page = store.headers(Height(0), 3)?;
    println!(
        "  headers 0..3: {:?}, next page from {:?}",
        page.items.iter().map(|h| h.height.0).collect::<Vec<_>>(),
        page.next
    );
    let nonces = store.state_prefix(b"nonce/", None, 10)?;
    println!("  {} accounts have nonces", nonces.items.len());
    let anchored = store
        .state_get(&[b"anchor/".as_slice(), &digest.0].concat())?
        .ok_or("missing")?;
    println!("  digest {digest} anchored by tx {}", hex::encode(anchored));
    let blob = store.blob(&digest)?.ok_or("missing")?;
    assert_eq!(Hash32::digest(&blob), digest);
    println!(
        "  blob fetched by digest and re-hashed: {} bytes",
        blob.len()
    );

    println!("\nreopen: the head and its state survive");
    let head = store.head().ok_or("no head")?;
    drop(store);
    let store = Store::open(StoreConfig::new(dir.path()))?;
    assert_eq!(store.head().as_ref(), Some(&head));
    assert_eq!(store.block_by_hash(&b5.hash())?.as_ref(), Some(&b5));
    let report = store.verify_integrity()?;
    println!(
        "  head {} {}; integrity check re-derived {} blocks and {} state entries",
        head.height, head.hash, report.blocks, report.state_entries
    );
    Ok(())
}
