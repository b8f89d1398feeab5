//! One test per validation error: each bad record is refused with its own
//! typed error and leaves the store unchanged.

use carbon_provenance::example::{self, DAY_ONE, activity, agent, agent_key, data};
use carbon_provenance::{
    ActivityId, ActivityKind, AgentId, AgentKind, DataId, DecodeError, Error, HexBytes, Limits,
    MemoryStore, Param, ProvenanceLog, ProvenanceStore, Record, RecordBody, ValidationError,
    record::FORMAT_VERSION,
};

const LATE: u64 = DAY_ONE + 200 * 24 * 3_600_000;

fn log() -> ProvenanceLog<MemoryStore> {
    example::carbon_trading_history()
        .expect("sample builds")
        .replay()
        .expect("sample replays")
}

fn id(s: &str) -> DataId {
    DataId::new(s).expect("valid id")
}

/// A linked body by `acme-mrv` deriving `out` from `used`, starting at LATE.
fn body(log: &ProvenanceLog<MemoryStore>, used: &[&str], out: &str) -> RecordBody {
    let mut used: Vec<DataId> = used.iter().map(|s| id(s)).collect();
    used.sort();
    let names: Vec<String> = used.iter().map(|d| d.to_string()).collect();
    let derived: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut b = RecordBody {
        v: FORMAT_VERSION,
        activity: activity("late-1", ActivityKind::Derive, LATE, 1000).expect("valid"),
        agent: agent("acme-mrv", AgentKind::Software, Some("acme")).expect("valid"),
        used,
        generated: vec![data(out, "derived", 1, &derived).expect("valid")],
        chain: vec![],
    };
    log.link(&mut b).expect("memory store");
    b
}

fn sign(b: RecordBody) -> Record {
    let key = agent_key(b.agent.id.as_str());
    b.sign(&key).expect("agent's own key")
}

/// Appends and returns the validation error, checking nothing was stored.
fn refused(log: &mut ProvenanceLog<MemoryStore>, rec: Record) -> ValidationError {
    let before = log.store().len().expect("memory");
    let err = log.append(rec).expect_err("record must be refused");
    assert_eq!(log.store().len().expect("memory"), before, "store changed");
    match err {
        Error::Invalid(v) => v,
        other => panic!("expected a validation error, got {other}"),
    }
}

#[test]
fn accepts_a_well_formed_derivation() {
    let mut l = log();
    let rec = sign(body(&l, &["verification-2025"], "summary"));
    l.append(rec).expect("valid record");
}

#[test]
fn rejects_unsupported_version() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.v = 2;
    assert_eq!(
        refused(&mut l, sign(b)),
        ValidationError::UnsupportedVersion(2)
    );
}

#[test]
fn rejects_digest_of_wrong_length() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.generated[0].digest = HexBytes(vec![0; 31]);
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::WrongLength {
            field: "generated.digest",
            expected: 32,
            actual: 31
        }
    ));
}

#[test]
fn rejects_signature_of_wrong_length() {
    let mut l = log();
    let mut rec = sign(body(&l, &["verification-2025"], "summary"));
    rec.signature.0.pop();
    assert!(matches!(
        refused(&mut l, rec),
        ValidationError::WrongLength {
            field: "signature",
            ..
        }
    ));
}

#[test]
fn rejects_oversized_text() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.generated[0].label = "x".repeat(2000);
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::TextTooLong {
            field: "generated.label",
            len: 2000,
            ..
        }
    ));
}

#[test]
fn rejects_too_many_conditions() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    for i in 0..300 {
        b.activity.conditions.insert(format!("p{i}"), Param::Int(i));
    }
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::TooManyItems {
            field: "activity.conditions",
            len: 300,
            ..
        }
    ));
}

#[test]
fn rejects_integers_beyond_two_to_the_53() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    let mut rec = sign(b.clone());
    // Such a body cannot even be signed: canonical JSON refuses the number.
    b.generated[0].size = 1 << 53;
    assert!(matches!(
        b.sign(&agent_key("acme-mrv")),
        Err(Error::Encode(_))
    ));
    // Arriving from elsewhere, it is refused by validation.
    rec.body.generated[0].size = 1 << 53;
    assert!(matches!(
        refused(&mut l, rec),
        ValidationError::IntegerOutOfRange {
            field: "generated.size",
            ..
        }
    ));
}

#[test]
fn rejects_unsorted_sets() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025", "surrender-2025"], "summary");
    b.used.reverse();
    assert_eq!(
        refused(&mut l, sign(b)),
        ValidationError::Unsorted { field: "used" }
    );
}

#[test]
fn rejects_a_record_touching_no_data() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.used.clear();
    b.generated.clear();
    b.chain.clear();
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::NoData { .. }
    ));
}

#[test]
fn rejects_a_body_changed_after_signing() {
    let mut l = log();
    let mut rec = sign(body(&l, &["verification-2025"], "summary"));
    rec.body.generated[0].size += 1;
    assert!(matches!(
        refused(&mut l, rec),
        ValidationError::BadSignature { .. }
    ));
}

#[test]
fn rejects_a_known_agent_with_a_new_key() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    let mallory = agent_key("mallory");
    b.agent.public_key = HexBytes(mallory.verifying_key().to_bytes().to_vec());
    let rec = b.sign(&mallory).expect("self-consistent");
    assert!(matches!(
        refused(&mut l, rec),
        ValidationError::KeyMismatch { .. }
    ));
}

#[test]
fn rejects_sealed_attributes_that_do_not_match_their_digest() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.agent.attributes.ciphertext = Some(b"other bytes".to_vec());
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::AttributeDigestMismatch { .. }
    ));
}

#[test]
fn rejects_an_agent_acting_on_behalf_of_itself() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.agent.on_behalf_of = Some(b.agent.id.clone());
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::SelfDelegation { .. }
    ));
}

#[test]
fn rejects_use_of_unknown_data() {
    let mut l = log();
    let rec = sign(body(&l, &["no-such-data"], "summary"));
    assert_eq!(
        refused(&mut l, rec),
        ValidationError::UnknownData(id("no-such-data"))
    );
}

#[test]
fn rejects_unknown_informant_activity() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.activity.informed_by = vec![ActivityId::new("no-such-activity").expect("valid")];
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::UnknownActivity(_)
    ));
}

#[test]
fn rejects_delegation_to_unknown_agent() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.agent = agent("new-bot", AgentKind::Software, Some("nobody")).expect("valid");
    assert_eq!(
        refused(&mut l, sign(b)),
        ValidationError::UnknownAgent(AgentId::new("nobody").expect("valid"))
    );
}

#[test]
fn rejects_a_recorded_activity_id() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.activity.id = ActivityId::new("verify-2025").expect("valid");
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::DuplicateActivity(_)
    ));
}

#[test]
fn rejects_end_before_start() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.activity.ended_at.0 = LATE - 1;
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::EndBeforeStart { .. }
    ));
}

#[test]
fn rejects_use_before_generation() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.activity.started_at.0 = DAY_ONE;
    b.activity.ended_at.0 = DAY_ONE + 1;
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::UseBeforeGeneration { .. }
    ));
}

#[test]
fn rejects_an_activity_starting_before_its_informant() {
    let mut l = log();
    let mut b = body(&l, &["allocation-acme-2025"], "summary");
    b.activity.started_at.0 = DAY_ONE + 1;
    b.activity.ended_at.0 = DAY_ONE + 2;
    b.activity.informed_by = vec![ActivityId::new("verify-2025").expect("valid")];
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::CauseAfterEffect { .. }
    ));
}

#[test]
fn rejects_derivation_from_data_not_used() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.generated[0].derived_from = vec![id("reading-2025-q1")];
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::DerivationWithoutUse { .. }
    ));
}

#[test]
fn rejects_a_derivation_cycle() {
    let mut l = log();
    // The reading's new version would derive from the report derived from it.
    let b = body(&l, &["emission-report-2025"], "reading-2025-q1");
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::DerivationCycle { .. }
    ));
}

#[test]
fn rejects_self_derivation() {
    let mut l = log();
    let b = body(&l, &["verification-2025"], "verification-2025");
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::DerivationCycle { .. }
    ));
}

#[test]
fn rejects_use_of_deleted_data() {
    let mut l = log();
    let mut del = body(&l, &["verification-2025"], "unused");
    del.activity.kind = ActivityKind::Delete;
    del.generated.clear();
    l.link(&mut del).expect("memory");
    l.append(sign(del)).expect("delete is valid");
    let mut b = body(&l, &["verification-2025"], "summary");
    b.activity.id = ActivityId::new("late-2").expect("valid");
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::DataDeleted { .. }
    ));
}

#[test]
fn rejects_chain_links_that_miss_a_touched_item() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.chain.pop();
    assert_eq!(
        refused(&mut l, sign(b)),
        ValidationError::ChainLinksMismatch
    );
}

#[test]
fn rejects_a_link_to_a_stale_record() {
    let mut l = log();
    let mut b = body(&l, &["emission-report-2025"], "summary");
    let history = l
        .store()
        .by_data(&id("emission-report-2025"))
        .expect("memory");
    b.chain[0].prev = Some(HexBytes::from(history[0]));
    assert!(matches!(
        refused(&mut l, sign(b)),
        ValidationError::BrokenChain { .. }
    ));
}

#[test]
fn rejects_oversized_and_deep_json_before_parsing() {
    let mut l = ProvenanceLog::with_limits(
        MemoryStore::new(),
        Limits {
            max_bytes: 100,
            ..Limits::RECORD
        },
    );
    let big = vec![b' '; 101];
    assert!(matches!(
        l.append_json(&big),
        Err(Error::Decode(DecodeError::TooLarge {
            size: 101,
            max: 100
        }))
    ));
    let deep = "[".repeat(50);
    assert!(matches!(
        l.append_json(deep.as_bytes()),
        Err(Error::Decode(DecodeError::TooDeep { .. }))
    ));
    assert!(matches!(
        l.append_json(b"{\"body\":1}"),
        Err(Error::Decode(DecodeError::Json { .. }))
    ));
}

#[test]
fn rejects_a_trigger_naming_unknown_data() {
    let mut l = log();
    let mut b = body(&l, &["verification-2025"], "summary");
    b.activity.trigger = Some(carbon_provenance::Trigger {
        starter: ActivityId::new("verify-2025").expect("valid"),
        data: Some(id("no-such-data")),
    });
    assert_eq!(
        refused(&mut l, sign(b)),
        ValidationError::UnknownData(id("no-such-data"))
    );
}

#[test]
fn history_files_are_bounded_and_tagged() {
    use carbon_provenance::History;
    let tiny = Limits {
        max_bytes: 10,
        ..Limits::HISTORY
    };
    assert!(matches!(
        History::from_json(b"{\"format\": \"x\", \"records\": []}", &tiny),
        Err(Error::Decode(DecodeError::TooLarge { .. }))
    ));
    assert!(matches!(
        History::from_json(b"{\"format\": \"x\", \"records\": []}", &Limits::HISTORY),
        Err(Error::Decode(DecodeError::Json { .. }))
    ));
    assert!(matches!(
        History::from_json(
            b"{\"format\": \"carbon-provenance-history/1\", \"records\": []} x",
            &Limits::HISTORY
        ),
        Err(Error::Decode(DecodeError::Json { .. }))
    ));
}
