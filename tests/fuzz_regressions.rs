//! Replays every fuzz target's seed corpus (`fuzz/corpus/<target>/`) and
//! every input a campaign found (`fuzz/regressions/<target>/`) through the
//! same entry points the targets call (`carbon::fuzzing`), on stable: a
//! decoder that panics again on a known input fails `cargo test`.
//!
//! The seed corpora are written by the ignored test `write_seed_corpora`
//! (`cargo test --test fuzz_regressions -- --ignored write_seed_corpora`)
//! from the crates' own artefacts and `examples/data/`.

use std::path::{Path, PathBuf};

use carbon::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    out
}

#[test]
fn every_seed_and_regression_input_is_handled_without_a_panic() {
    let mut total = 0;
    for (name, entry) in TARGETS {
        let mut seen = 0;
        for kind in ["corpus", "regressions"] {
            for file in files(&fuzz_dir().join(kind).join(name)) {
                let data = std::fs::read(&file).expect("readable corpus file");
                let outcome = std::panic::catch_unwind(|| entry(&data));
                assert!(outcome.is_ok(), "{name}: {} panicked", file.display());
                seen += 1;
            }
        }
        assert!(seen > 0, "{name} has no seed corpus");
        total += seen;
    }
    eprintln!("{total} inputs replayed");
}

#[test]
fn each_target_has_a_fuzz_binary() {
    for (name, _) in TARGETS {
        let path = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&path).expect("target source exists");
        assert!(text.contains(&format!("carbon::fuzzing::{name}")), "{name}");
    }
}

/// Writes the seed corpora from valid artefacts of every kind.
#[test]
#[ignore = "writes fuzz/corpus; run by hand when the formats change"]
fn write_seed_corpora() {
    use carbon_abe::{Artefact, Authority, Envelope, KeyRequest, ObjectVersion};
    use ed25519_dalek::SigningKey;
    let root = fuzz_dir().join("corpus");
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    // Policies, good and bad.
    for file in ["policies.txt", "bad-policies.txt"] {
        let text = std::fs::read_to_string(data.join("abe").join(file)).unwrap();
        for (i, line) in text.lines().filter(|l| !l.starts_with('#')).enumerate() {
            put("abe_policy", &format!("{file}-{i}"), line.as_bytes());
        }
    }
    // ABE artefacts, binary and JSON, behind their selector byte.
    let mut rng = rand::rngs::OsRng;
    let mut auth = Authority::setup(&mut rng);
    let id = SigningKey::from_bytes(&[9; 32]);
    auth.register_user(
        "alice".parse().unwrap(),
        id.verifying_key(),
        ["org:acme".parse().unwrap()].into(),
    )
    .unwrap();
    let req = KeyRequest::sign(&id, "alice".parse().unwrap(), 1);
    let key = auth.handle_key_request(&req, &mut rng).unwrap();
    let env = Envelope::seal(
        auth.public_key(),
        &"org:acme or regulator".parse().unwrap(),
        auth.epochs(),
        "r".parse().unwrap(),
        ObjectVersion(0),
        b"report",
        &mut rng,
    )
    .unwrap();
    let with = |sel: u8, bytes: Vec<u8>| [vec![sel], bytes].concat();
    put(
        "abe_artefacts",
        "public",
        &with(0, auth.public_key().to_bytes()),
    );
    put(
        "abe_artefacts",
        "public-json",
        &with(0, auth.public_key().to_json().into_bytes()),
    );
    put("abe_artefacts", "user-key", &with(1, key.to_bytes()));
    put("abe_artefacts", "header", &with(2, env.header.to_bytes()));
    put("abe_artefacts", "envelope", &with(3, env.to_bytes()));
    put(
        "abe_artefacts",
        "envelope-json",
        &with(3, env.to_json().into_bytes()),
    );
    put("abe_artefacts", "key-request", &with(4, req.to_bytes()));
    // PBFT messages and replica input streams.
    use carbon_pbft::messages::{CheckpointVote, OrderVote, Phase, Signed};
    use carbon_pbft::{Digest, Message, ReplicaId, SeqNo, ValidatorSet, View};
    let keys: Vec<SigningKey> = (0..4u8)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect();
    let set = ValidatorSet::new(keys.iter().map(|k| k.verifying_key()).collect()).unwrap();
    let vote = OrderVote {
        phase: Phase::Prepare,
        view: View(0),
        seq: SeqNo(1),
        digest: Digest([3; 32]),
    };
    let prepare = Message::Prepare(Signed::sign(&set, &keys[2], ReplicaId(2), vote));
    let cp = CheckpointVote {
        seq: SeqNo(2),
        digest: Digest([4; 32]),
    };
    let checkpoint = Message::Checkpoint(Signed::sign(&set, &keys[0], ReplicaId(0), cp));
    let request = Message::Request(carbon_pbft::Request {
        client: carbon_pbft::ClientId(1),
        id: carbon_pbft::RequestId(1),
        payload: b"tx".to_vec(),
    });
    for (n, m) in [
        ("prepare", &prepare),
        ("checkpoint", &checkpoint),
        ("request", &request),
    ] {
        put("pbft_message", n, &m.encode());
        let bytes = m.encode();
        let mut stream = vec![2u8 << 2, bytes.len().min(255) as u8]; // peer bytes from replica 2
        stream.extend_from_slice(&bytes[..bytes.len().min(255)]);
        stream.extend_from_slice(&[1, 3, b'a', b'b', b'c', 2, 0, 2, 0]);
        put("pbft_replica", n, &stream);
    }
    // Ledger codec and genesis, from the sample genesis.
    let genesis = std::fs::read(data.join("genesis.json")).unwrap();
    put("ledger_genesis", "sample", &genesis);
    let g =
        carbon_ledger::GenesisConfig::from_json(std::str::from_utf8(&genesis).unwrap()).unwrap();
    let body = carbon_ledger::TxBody {
        chain_id: g.chain_id.clone(),
        sender: carbon_ledger::PublicKey::ZERO,
        nonce: carbon_ledger::Nonce(0),
        payload: carbon_ledger::Payload::Anchor {
            digest: carbon_ledger::Hash32::digest(b"x"),
            label: "report".into(),
        },
    };
    let tx = carbon_ledger::Transaction::sign(body, &keys[0]);
    put("ledger_codec", "tx", &with(0, tx.to_bytes()));
    let receipt = carbon_ledger::Receipt::success(tx.hash());
    put("ledger_codec", "receipt", &with(2, receipt.to_bytes()));
    // Provenance: the sample history and each of its records.
    let history = std::fs::read(data.join("provenance-history.json")).unwrap();
    put("prov_history", "sample", &history);
    let h = carbon_provenance::History::from_json(&history, &carbon_provenance::Limits::HISTORY)
        .unwrap();
    for (i, r) in h.records.iter().enumerate() {
        put(
            "prov_history",
            &format!("record-{i}"),
            &r.canonical_bytes().unwrap(),
        );
    }
}
