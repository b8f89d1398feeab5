//! Genesis files: the sample loads, invalid files give errors naming the
//! field, the genesis hash identifies the configuration.

use carbon_ledger::genesis::{KEY_REGULATOR, PREFIX_PARAM};
use carbon_ledger::{
    Error, GenesisConfig, GenesisError, NodeRole, ParamValue, Store, StoreConfig, StoreError,
};

const SAMPLE: &str = include_str!("../../examples/data/genesis.json");

fn field_of(json: &str) -> String {
    match GenesisConfig::from_json(json) {
        Err(GenesisError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid-field error, got {other:?}"),
    }
}

#[test]
fn sample_genesis_file_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/genesis.json");
    let g = GenesisConfig::load(path).unwrap();
    assert_eq!(g.chain_id.as_str(), "carbon-demo-1");
    assert_eq!(g.validators.len(), 4);
    assert!(g.validators.iter().all(|m| m.role == NodeRole::Consensus));
    assert_eq!(g.observers[0].role, NodeRole::Observer);
    assert_eq!(g.regulator, g.observers[0].account);
    assert_eq!(g.parameters["market.fee_bps"], ParamValue::Int(5));
    assert_eq!(g.parameters["evm.enabled"], ParamValue::Bool(true));
}

#[test]
fn genesis_hash_is_deterministic_and_changes_with_any_field() {
    let a = GenesisConfig::from_json(SAMPLE).unwrap();
    let b = GenesisConfig::from_json(SAMPLE).unwrap();
    assert_eq!(a.hash(), b.hash());
    let changed = SAMPLE.replace("\"market.fee_bps\": 5", "\"market.fee_bps\": 6");
    assert_ne!(GenesisConfig::from_json(&changed).unwrap().hash(), a.hash());
    let changed = SAMPLE.replace("127.0.0.1:7004", "127.0.0.1:7005");
    assert_ne!(GenesisConfig::from_json(&changed).unwrap().hash(), a.hash());
}

#[test]
fn store_initialised_from_genesis_holds_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    let g = GenesisConfig::from_json(SAMPLE).unwrap();
    let head = store.init_genesis(&g).unwrap();
    assert_eq!(head.hash, g.hash());
    assert_eq!(store.genesis_hash(), Some(g.hash()));
    assert_eq!(
        store.state_get(KEY_REGULATOR).unwrap(),
        Some(g.regulator.0.to_vec())
    );
    let params = store.state_prefix(PREFIX_PARAM, None, 100).unwrap();
    assert_eq!(params.items.len(), g.parameters.len());
    // Idempotent for the same genesis, refused for another.
    assert_eq!(store.init_genesis(&g).unwrap(), head);
    let other =
        GenesisConfig::from_json(&SAMPLE.replace("carbon-demo-1", "carbon-demo-2")).unwrap();
    assert!(matches!(
        store.init_genesis(&other),
        Err(Error::Store(StoreError::GenesisMismatch { .. }))
    ));
    store.verify_integrity().unwrap();
}

#[test]
fn rejects_bad_chain_id() {
    assert_eq!(
        field_of(&SAMPLE.replace("carbon-demo-1", "Carbon Demo")),
        "chain_id"
    );
}

#[test]
fn rejects_no_validators() {
    let mut v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    v["validators"] = serde_json::json!([]);
    assert_eq!(field_of(&v.to_string()), "validators");
}

#[test]
fn rejects_bad_key_duplicate_key_and_bad_address() {
    let mut v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    v["validators"][1]["public_key"] = serde_json::json!("zz");
    assert_eq!(field_of(&v.to_string()), "validators[1].public_key");
    let mut v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    v["validators"][2]["public_key"] = v["validators"][0]["public_key"].clone();
    assert_eq!(field_of(&v.to_string()), "validators[2].public_key");
    let mut v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    v["observers"][0]["address"] = serde_json::json!("no-port");
    assert_eq!(field_of(&v.to_string()), "observers[0].address");
    let mut v: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    v["validators"][3]["name"] = serde_json::json!("acme-steel");
    assert_eq!(field_of(&v.to_string()), "validators[3].name");
}

#[test]
fn rejects_regulator_that_is_not_an_observer() {
    assert_eq!(
        field_of(&SAMPLE.replace(
            "\"regulator\": \"regulator\"",
            "\"regulator\": \"acme-steel\""
        )),
        "regulator"
    );
}

#[test]
fn rejects_float_and_negative_parameters() {
    assert_eq!(
        field_of(&SAMPLE.replace("\"gwp.ch4\": 28", "\"gwp.ch4\": 28.5")),
        "parameters.gwp.ch4"
    );
    assert_eq!(
        field_of(&SAMPLE.replace("\"gwp.ch4\": 28", "\"gwp.ch4\": -1")),
        "parameters.gwp.ch4"
    );
    assert_eq!(
        field_of(&SAMPLE.replace("\"gwp.ch4\": 28", "\"Bad Name\": 1")),
        "parameters.Bad Name"
    );
}

#[test]
fn rejects_unknown_fields_and_malformed_json() {
    assert!(matches!(
        GenesisConfig::from_json(&SAMPLE.replace("\"timestamp_ms\"", "\"timestamp\"")),
        Err(GenesisError::Json(_))
    ));
    assert!(matches!(
        GenesisConfig::from_json("{"),
        Err(GenesisError::Json(_))
    ));
    assert!(matches!(
        GenesisConfig::load("/nonexistent/genesis.json"),
        Err(GenesisError::Io { .. })
    ));
}
