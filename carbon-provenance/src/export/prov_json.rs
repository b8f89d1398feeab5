//! Export to (and lossless re-import from) W3C PROV-JSON, the layout of the
//! W3C Member Submission "PROV-JSON" (2013): top-level `prefix`, `entity`,
//! `activity`, `agent` and one object per relation kind, each a map from an
//! identifier to its attributes; typed literals as `{"$": …, "type": …}`;
//! qualified names as `prefix:local`.
//!
//! Mapping: a data item is one `entity` (attributes of its latest version;
//! every version's generation is its own `wasGeneratedBy`); an activity is
//! one `activity`; an executing agent is one `agent` (description from its
//! first record). Relation identifiers are blank nodes numbered in record
//! order, so the output is deterministic. Each activity also carries its
//! signed record (`carbon:record`, canonical JSON as a string) and hash, so
//! [`import_prov_json`] can rebuild and re-verify the exact history.

use serde_json::{Map, Value, json};

use crate::canonical::Limits;
use crate::error::{DecodeError, Error};
use crate::history::History;
use crate::ids::Timestamp;
use crate::model::{AgentKind, Data};
use crate::record::Record;
use crate::relations::Relation;

/// Namespace of this crate's attributes and types.
pub const CARBON_NS: &str = "urn:carbon:prov#";

fn qn(prefix: &str, local: &str) -> String {
    format!("{prefix}:{local}")
}

fn qname_literal(q: String) -> Value {
    json!({"$": q, "type": "prov:QUALIFIED_NAME"})
}

fn typed(v: impl ToString, ty: &str) -> Value {
    json!({"$": v.to_string(), "type": ty})
}

fn time(t: Timestamp) -> Value {
    Value::String(t.to_xsd_datetime())
}

fn entity(d: &Data) -> Value {
    json!({
        "prov:type": qname_literal(qn("carbon", &d.kind_local())),
        "prov:label": d.label,
        "carbon:ciphertextSha256": typed(hex::encode(&d.digest.0), "xsd:hexBinary"),
        "carbon:size": typed(d.size, "xsd:long"),
        "carbon:location": typed(&d.location, "xsd:anyURI"),
    })
}

impl Data {
    /// The data type as a PROV local name: characters outside
    /// `[A-Za-z0-9._-]` become `_`.
    fn kind_local(&self) -> String {
        self.kind
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

fn prov_agent_type(kind: AgentKind) -> &'static str {
    match kind {
        AgentKind::Device | AgentKind::Software => "prov:SoftwareAgent",
        _ => "prov:Organization",
    }
}

/// Exports records (in append order) as a PROV-JSON document.
pub fn to_prov_json(records: &[Record]) -> Result<Value, Error> {
    let mut doc: Map<String, Value> = Map::new();
    doc.insert(
        "prefix".into(),
        json!({
            "carbon": CARBON_NS,
            "data": "urn:carbon:data:",
            "act": "urn:carbon:activity:",
            "agent": "urn:carbon:agent:",
        }),
    );
    let mut sections: Map<String, Value> = Map::new();
    let mut n = 0usize;
    let mut put = |sections: &mut Map<String, Value>, kind: &str, v: Value| {
        n += 1;
        let section = sections
            .entry(kind.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = section {
            m.insert(format!("_:{kind}{n}"), v);
        }
    };
    let mut entities = Map::new();
    let mut activities = Map::new();
    let mut agents = Map::new();
    for (seq, rec) in records.iter().enumerate() {
        let b = &rec.body;
        let a = &b.activity;
        let mut attrs = Map::new();
        attrs.insert("prov:startTime".into(), time(a.started_at));
        attrs.insert("prov:endTime".into(), time(a.ended_at));
        attrs.insert(
            "prov:type".into(),
            qname_literal(qn("carbon", a.kind.as_str())),
        );
        if let Some(loc) = &a.location {
            attrs.insert("prov:location".into(), Value::String(loc.clone()));
        }
        if !a.conditions.is_empty() {
            let conds = crate::canonical::to_canonical_json(&a.conditions)?;
            attrs.insert(
                "carbon:conditions".into(),
                Value::String(String::from_utf8_lossy(&conds).into_owned()),
            );
        }
        let canonical = rec.canonical_bytes()?;
        attrs.insert("carbon:seq".into(), typed(seq, "xsd:long"));
        attrs.insert(
            "carbon:recordHash".into(),
            typed(rec.hash()?.to_hex(), "xsd:hexBinary"),
        );
        attrs.insert(
            "carbon:record".into(),
            Value::String(String::from_utf8_lossy(&canonical).into_owned()),
        );
        activities.insert(qn("act", a.id.as_str()), Value::Object(attrs));

        let ag = &b.agent;
        agents.entry(qn("agent", ag.id.as_str())).or_insert_with(|| {
            json!({
                "prov:type": [
                    qname_literal(prov_agent_type(ag.kind).to_owned()),
                    qname_literal(qn("carbon", ag.kind.as_str())),
                ],
                "carbon:publicKey": typed(hex::encode(&ag.public_key.0), "xsd:hexBinary"),
                "carbon:attributesSha256": typed(hex::encode(&ag.attributes.digest.0), "xsd:hexBinary"),
            })
        });
        if let Some(r) = &ag.on_behalf_of {
            agents
                .entry(qn("agent", r.as_str()))
                .or_insert_with(|| json!({}));
        }
        for g in &b.generated {
            entities.insert(qn("data", g.id.as_str()), entity(g));
        }
        for rel in b.relations() {
            let (kind, v) = match rel {
                Relation::Used {
                    activity,
                    data,
                    time: t,
                } => (
                    "used",
                    json!({
                        "prov:activity": qn("act", activity.as_str()),
                        "prov:entity": qn("data", data.as_str()),
                        "prov:time": time(t),
                    }),
                ),
                Relation::WasGeneratedBy {
                    data,
                    activity,
                    time: t,
                } => (
                    "wasGeneratedBy",
                    json!({
                        "prov:entity": qn("data", data.as_str()),
                        "prov:activity": qn("act", activity.as_str()),
                        "prov:time": time(t),
                    }),
                ),
                Relation::WasDerivedFrom {
                    derived,
                    source,
                    activity,
                } => (
                    "wasDerivedFrom",
                    json!({
                        "prov:generatedEntity": qn("data", derived.as_str()),
                        "prov:usedEntity": qn("data", source.as_str()),
                        "prov:activity": qn("act", activity.as_str()),
                    }),
                ),
                Relation::WasAssociatedWith { activity, agent } => (
                    "wasAssociatedWith",
                    json!({
                        "prov:activity": qn("act", activity.as_str()),
                        "prov:agent": qn("agent", agent.as_str()),
                    }),
                ),
                Relation::ActedOnBehalfOf {
                    delegate,
                    responsible,
                    activity,
                } => (
                    "actedOnBehalfOf",
                    json!({
                        "prov:delegate": qn("agent", delegate.as_str()),
                        "prov:responsible": qn("agent", responsible.as_str()),
                        "prov:activity": qn("act", activity.as_str()),
                    }),
                ),
                Relation::WasInformedBy {
                    informed,
                    informant,
                } => (
                    "wasInformedBy",
                    json!({
                        "prov:informed": qn("act", informed.as_str()),
                        "prov:informant": qn("act", informant.as_str()),
                    }),
                ),
                Relation::WasStartedBy {
                    activity,
                    trigger,
                    starter,
                    time: t,
                } => {
                    let mut m = json!({
                        "prov:activity": qn("act", activity.as_str()),
                        "prov:starter": qn("act", starter.as_str()),
                        "prov:time": time(t),
                    });
                    if let (Some(d), Value::Object(o)) = (trigger, &mut m) {
                        o.insert("prov:trigger".into(), Value::String(qn("data", d.as_str())));
                    }
                    ("wasStartedBy", m)
                }
            };
            put(&mut sections, kind, v);
        }
    }
    doc.insert("entity".into(), Value::Object(entities));
    doc.insert("activity".into(), Value::Object(activities));
    doc.insert("agent".into(), Value::Object(agents));
    doc.extend(sections);
    Ok(Value::Object(doc))
}

fn bad(message: String) -> Error {
    Error::Decode(DecodeError::Json {
        line: 0,
        column: 0,
        message,
    })
}

/// Rebuilds the history from a PROV-JSON document written by
/// [`to_prov_json`], from the signed records its activities carry, in
/// `carbon:seq` order. The caller should [`History::replay`] the result: the
/// records are re-verified from scratch, so an edited document is caught.
pub fn import_prov_json(bytes: &[u8], limits: &Limits) -> Result<History, Error> {
    let doc: Value = crate::canonical::parse_bounded(bytes, limits)?;
    let acts = doc
        .get("activity")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("no activity object".into()))?;
    let mut recs: Vec<(u64, Record)> = Vec::with_capacity(acts.len());
    for (id, a) in acts {
        let seq = a
            .pointer("/carbon:seq/$")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| bad(format!("activity {id}: no carbon:seq")))?;
        let text = a
            .get("carbon:record")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("activity {id}: no carbon:record")))?;
        let rec = crate::canonical::decode_canonical_record(text.as_bytes(), &Limits::RECORD)?;
        // The PROV description must be the record's own, not a relabelling.
        if *id != qn("act", rec.body.activity.id.as_str()) {
            return Err(bad(format!(
                "activity {id} carries the record of {}",
                rec.body.activity.id
            )));
        }
        let hash = a.pointer("/carbon:recordHash/$").and_then(Value::as_str);
        if hash != Some(rec.hash()?.to_hex().as_str()) {
            return Err(bad(format!(
                "activity {id}: carbon:recordHash does not match its record"
            )));
        }
        recs.push((seq, rec));
    }
    recs.sort_by_key(|(s, _)| *s);
    Ok(History::new(recs.into_iter().map(|(_, r)| r).collect()))
}
