//! Canonical form, signatures, record hashes and hash chains.

use carbon_provenance::example::{self, agent_key};
use carbon_provenance::{
    DecodeError, Error, History, Limits, MemoryStore, ProvenanceLog, ProvenanceStore,
    ValidationError, decode_canonical_record,
};

fn sample() -> History {
    example::carbon_trading_history().expect("the sample history is valid")
}

#[test]
fn sample_history_replays_cleanly() {
    let h = sample();
    assert_eq!(h.records.len(), 9);
    let log = h.replay().expect("sample replays");
    assert_eq!(log.store().len().expect("memory store"), 9);
}

#[test]
fn canonical_record_round_trips_byte_for_byte() {
    for rec in sample().records {
        let bytes = rec.canonical_bytes().expect("serialises");
        let back = decode_canonical_record(&bytes, &Limits::RECORD).expect("decodes");
        assert_eq!(back, rec);
        assert_eq!(back.hash().expect("hashes"), rec.hash().expect("hashes"));
        back.verify_signature().expect("signature verifies");
    }
}

#[test]
fn history_file_round_trips_through_pretty_json() {
    let h = sample();
    let text = h.to_json_pretty().expect("serialises");
    let back = History::from_json(text.as_bytes(), &Limits::HISTORY).expect("parses");
    assert_eq!(back, h);
}

#[test]
fn canonical_form_is_sorted_and_compact() {
    let rec = &sample().records[2];
    let text = String::from_utf8(rec.canonical_bytes().expect("serialises")).expect("utf-8");
    assert!(text.starts_with("{\"body\":{\"activity\":{\"conditions\":{\"interval_s\":60,"));
    assert!(!text.contains(' ') || text.contains("\"label\""));
    assert!(!text.contains('\n'));
}

/// Changing any single byte of a signed canonical record gets it refused:
/// the decoder, the canonical-form check or the signature catches it.
#[test]
fn rejects_any_single_byte_change_of_a_signed_record() {
    for rec in sample().records.iter().take(4) {
        let bytes = rec.canonical_bytes().expect("serialises");
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x20] {
                let mut t = bytes.clone();
                t[i] ^= flip;
                let accepted = decode_canonical_record(&t, &Limits::RECORD)
                    .ok()
                    .filter(|r| r.verify_signature().is_ok());
                assert!(
                    accepted.is_none(),
                    "byte {i} ^ {flip:#x} accepted: {}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
    }
}

#[test]
fn rejects_non_canonical_spelling_of_a_valid_record() {
    let rec = &sample().records[0];
    let pretty = serde_json::to_vec_pretty(rec).expect("serialises");
    assert!(matches!(
        decode_canonical_record(&pretty, &Limits::RECORD),
        Err(Error::Decode(DecodeError::NonCanonical))
    ));
}

#[test]
fn rejects_signature_by_another_key() {
    let mut forged = sample().records[1].clone();
    let msg = forged.body.signing_message().expect("serialises");
    let sig = ed25519_dalek::Signer::sign(&agent_key("mallory"), &msg);
    forged.signature = carbon_provenance::HexBytes(sig.to_bytes().to_vec());
    assert!(matches!(
        forged.verify_signature(),
        Err(ValidationError::BadSignature { .. })
    ));
}

#[test]
fn refuses_to_sign_with_a_key_that_is_not_the_agents() {
    let body = sample().records[1].body.clone();
    assert!(matches!(
        body.sign(&agent_key("mallory")),
        Err(Error::Invalid(ValidationError::KeyMismatch { .. }))
    ));
}

#[test]
fn each_record_chains_to_the_previous_record_of_its_data() {
    let h = sample();
    let log = h.replay().expect("replays");
    let store = log.store();
    let id = carbon_provenance::DataId::new("emission-report-2025").expect("valid id");
    let chain = store.by_data(&id).expect("memory store");
    assert_eq!(chain.len(), 4, "derive, modify, policy-update, verify");
    let mut prev = None;
    for hash in &chain {
        let rec = store.get(hash).expect("memory").expect("stored");
        let link = rec
            .body
            .chain
            .iter()
            .find(|l| l.data == id)
            .expect("every record that touches the item links it");
        assert_eq!(link.prev.as_ref().map(|p| p.0.clone()), prev);
        prev = Some(hash.0.to_vec());
    }
}

#[test]
fn dropping_or_reordering_history_breaks_the_chain() {
    let h = sample();
    let mut dropped = h.clone();
    dropped.records.remove(4);
    let err = dropped.replay().expect_err("a dropped record is detected");
    assert_eq!(err.index, 4);
    assert!(matches!(
        err.source,
        Error::Invalid(ValidationError::BrokenChain { .. })
    ));

    let mut swapped = h.clone();
    swapped.records.swap(4, 5);
    let err = swapped.replay().expect_err("a reordering is detected");
    assert_eq!(err.index, 4);
    assert!(matches!(
        err.source,
        Error::Invalid(ValidationError::BrokenChain { .. })
    ));
}

#[test]
fn appending_the_same_record_twice_is_refused_and_changes_nothing() {
    let h = sample();
    let mut log = ProvenanceLog::new(MemoryStore::new());
    log.append(h.records[0].clone()).expect("first append");
    let err = log
        .append(h.records[0].clone())
        .expect_err("replay refused");
    assert!(matches!(
        err,
        Error::Invalid(ValidationError::DuplicateActivity(_))
    ));
    assert_eq!(log.store().len().expect("memory"), 1);
}

/// The committed sample file is exactly what the generator writes, and it
/// replays cleanly.
#[test]
fn committed_sample_file_matches_the_generator() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/provenance-history.json"
    );
    let text = std::fs::read_to_string(path).expect("sample file is committed");
    let mut expected = sample().to_json_pretty().expect("serialises");
    expected.push('\n');
    assert_eq!(text, expected, "regenerate with the write_history example");
    let h = History::from_json(text.as_bytes(), &Limits::HISTORY).expect("parses");
    h.replay().expect("replays");
}

mod properties {
    use carbon_provenance::example::{activity, agent, agent_key, data};
    use carbon_provenance::{
        ActivityKind, AgentKind, Limits, Param, RecordBody, decode_canonical_record,
        record::FORMAT_VERSION,
    };
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any text (control characters, quotes, non-BMP characters) and any
        /// safe integer survive canonicalisation, decoding and verification.
        #[test]
        fn canonical_records_round_trip_and_verify(
            label in "\\PC{0,40}",
            location in proptest::option::of("[\\x00-\\x7f\\u{80}-\\u{10ffff}]{0,20}"),
            params in proptest::collection::btree_map("\\PC{1,8}", prop_oneof![
                (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(Param::Int),
                "\\PC{0,12}".prop_map(Param::Text),
            ], 0..6),
            start in 0u64..(1 << 52),
            len in 0u64..1_000_000,
        ) {
            let mut act = activity("a1", ActivityKind::Create, start, len).expect("valid");
            act.location = location;
            act.conditions = params;
            let mut d = data("d1", "t", 1, &[]).expect("valid");
            d.label = label;
            let body = RecordBody {
                v: FORMAT_VERSION,
                activity: act,
                agent: agent("ag", AgentKind::Device, None).expect("valid"),
                used: vec![],
                generated: vec![d],
                chain: vec![carbon_provenance::ChainLink {
                    data: carbon_provenance::DataId::new("d1").expect("valid"),
                    prev: None,
                }],
            };
            let rec = body.sign(&agent_key("ag")).expect("own key");
            let bytes = rec.canonical_bytes().expect("serialises");
            let back = decode_canonical_record(&bytes, &Limits::RECORD).expect("decodes");
            prop_assert_eq!(&back, &rec);
            prop_assert!(back.verify_signature().is_ok());
            carbon_provenance::check_record(&back, &Limits::RECORD).expect("valid");
        }
    }
}

#[test]
fn signature_covers_the_context_and_the_sha256_of_the_canonical_body() {
    use sha2::Digest as _;
    for rec in sample().records {
        let body = rec.body.canonical_bytes().expect("serialises");
        let mut msg = carbon_provenance::record::SIGNING_CONTEXT.to_vec();
        msg.extend_from_slice(&sha2::Sha256::digest(&body));
        assert_eq!(msg, rec.body.signing_message().expect("serialises"));
        let key = ed25519_dalek::VerifyingKey::from_bytes(
            &rec.body.agent.public_key.as_array().expect("32 bytes"),
        )
        .expect("valid key");
        let sig = ed25519_dalek::Signature::from_bytes(&rec.signature.as_array().expect("64"));
        key.verify_strict(&msg, &sig)
            .expect("the record's signature is over context ‖ SHA-256(JCS(body))");
        // ...and not over the body itself.
        let mut whole = carbon_provenance::record::SIGNING_CONTEXT.to_vec();
        whole.extend_from_slice(&body);
        assert!(key.verify_strict(&whole, &sig).is_err());
    }
}
