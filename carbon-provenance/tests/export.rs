//! PROV-JSON and DOT export, and re-import of the exported history.

use std::collections::BTreeSet;

use carbon_provenance::export::{import_prov_json, lineage_to_dot, records_to_dot, to_prov_json};
use carbon_provenance::lineage::ancestors;
use carbon_provenance::{Bounds, DataId, Error, History, Limits};
use serde_json::Value;

fn sample() -> History {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/provenance-history.json"
    );
    let bytes = std::fs::read(path).expect("sample file is committed");
    History::from_json(&bytes, &Limits::HISTORY).expect("sample parses")
}

const SECTIONS: [&str; 11] = [
    "prefix",
    "entity",
    "activity",
    "agent",
    "wasGeneratedBy",
    "used",
    "wasDerivedFrom",
    "wasAssociatedWith",
    "actedOnBehalfOf",
    "wasInformedBy",
    "wasStartedBy",
];

#[test]
fn prov_json_has_the_member_submission_sections() {
    let doc = to_prov_json(&sample().records).expect("exports");
    let obj = doc.as_object().expect("an object");
    for s in SECTIONS {
        assert!(
            obj.get(s).and_then(Value::as_object).is_some(),
            "missing {s}"
        );
    }
    assert_eq!(obj.len(), SECTIONS.len(), "no other top-level keys");
    assert_eq!(doc["entity"].as_object().map(|m| m.len()), Some(6));
    assert_eq!(doc["activity"].as_object().map(|m| m.len()), Some(9));
    assert_eq!(doc["agent"].as_object().map(|m| m.len()), Some(5));
}

#[test]
fn prov_json_uses_typed_literals_and_declared_prefixes() {
    let doc = to_prov_json(&sample().records).expect("exports");
    let report = &doc["entity"]["data:emission-report-2025"];
    assert_eq!(report["prov:type"]["type"], "prov:QUALIFIED_NAME");
    assert_eq!(report["prov:type"]["$"], "carbon:emission-report");
    assert_eq!(report["carbon:size"]["type"], "xsd:long");
    assert_eq!(report["carbon:ciphertextSha256"]["type"], "xsd:hexBinary");
    let act = &doc["activity"]["act:measure-2025-q1"];
    assert_eq!(act["prov:startTime"], "2025-04-02T00:00:00.000Z");
    let mut prefixes: BTreeSet<String> = doc["prefix"]
        .as_object()
        .expect("prefix map")
        .keys()
        .cloned()
        .collect();
    prefixes.extend(["prov".to_owned(), "xsd".to_owned(), "_".to_owned()]);
    // Every relation endpoint is a qualified name of a declared prefix and
    // names an element the document declares.
    let declared: BTreeSet<&str> = ["entity", "activity", "agent"]
        .iter()
        .flat_map(|s| doc[*s].as_object().expect("map").keys().map(String::as_str))
        .collect();
    for s in &SECTIONS[4..] {
        for (rid, rel) in doc[*s].as_object().expect("map") {
            assert!(rid.starts_with("_:"));
            for (k, v) in rel.as_object().expect("relation object") {
                let Some(v) = v.as_str() else { continue };
                if k == "prov:time" {
                    continue;
                }
                let prefix = v.split(':').next().expect("split yields one part");
                assert!(prefixes.contains(prefix), "{v} has an undeclared prefix");
                assert!(declared.contains(v), "{s} {k} = {v} is not declared");
            }
        }
    }
}

#[test]
fn prov_json_export_is_deterministic() {
    let h = sample();
    assert_eq!(
        to_prov_json(&h.records).expect("exports"),
        to_prov_json(&h.records).expect("exports")
    );
}

#[test]
fn exported_history_re_imports_and_re_verifies() {
    let h = sample();
    let text =
        serde_json::to_vec_pretty(&to_prov_json(&h.records).expect("exports")).expect("serialises");
    let back = import_prov_json(&text, &Limits::HISTORY).expect("imports");
    assert_eq!(back, h);
    let log = back.replay().expect("re-verifies");
    let up = ancestors(
        log.store(),
        &DataId::new("surrender-2025").expect("id"),
        Bounds::default(),
    )
    .expect("known");
    assert_eq!(up.nodes.len(), 4);
}

#[test]
fn edited_prov_json_fails_re_import_or_replay() {
    let h = sample();
    let doc = to_prov_json(&h.records).expect("exports");
    let text = serde_json::to_string(&doc).expect("serialises");
    // Change the reading's recorded size inside its signed record.
    let edited = text.replacen("\\\"size\\\":32", "\\\"size\\\":31", 1);
    assert_ne!(edited, text, "the sample has a size-32 item");
    let result = import_prov_json(edited.as_bytes(), &Limits::HISTORY)
        .map_err(|e| e.to_string())
        .and_then(|h| h.replay().map(|_| ()).map_err(|e| e.to_string()));
    assert!(result.is_err());
    // Relabelling an activity is caught at import.
    let relabelled = text.replacen("\"act:verify-2025\":{", "\"act:verify-2026\":{", 1);
    assert_ne!(relabelled, text);
    assert!(matches!(
        import_prov_json(relabelled.as_bytes(), &Limits::HISTORY),
        Err(Error::Decode(_))
    ));
}

#[test]
fn dot_export_draws_every_element_and_relation() {
    let h = sample();
    let dot = records_to_dot(&h.records);
    assert!(dot.starts_with("digraph provenance {"));
    assert!(dot.trim_end().ends_with('}'));
    for id in [
        "data:reading-2025-q1",
        "act:verify-2025",
        "agent:cqc-verifier",
    ] {
        assert!(dot.contains(&format!("\"{id}\" [")), "{id} not drawn");
    }
    for rel in [
        "used",
        "wasGeneratedBy",
        "wasDerivedFrom",
        "wasAssociatedWith",
        "actedOnBehalfOf",
        "wasInformedBy",
        "wasStartedBy",
    ] {
        assert!(
            dot.contains(&format!("[label=\"{rel}\"]")),
            "{rel} not drawn"
        );
    }
    assert_eq!(dot.matches('"').count() % 2, 0, "quotes balance");
}

#[test]
fn lineage_dot_has_one_edge_per_derivation() {
    let log = sample().replay().expect("replays");
    let up = ancestors(
        log.store(),
        &DataId::new("surrender-2025").expect("id"),
        Bounds::default(),
    )
    .expect("known");
    let dot = lineage_to_dot(&up);
    assert_eq!(dot.matches("wasDerivedFrom").count(), up.edges.len());
    assert!(dot.contains("\"data:reading-2025-q1\""));
}
