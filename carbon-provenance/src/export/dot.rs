//! Export to Graphviz DOT, in the PROV drawing convention: data items as
//! yellow ellipses, activities as blue boxes, agents as orange houses, edges
//! pointing from the later element to the earlier one and labelled with the
//! relation's name.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::lineage::Lineage;
use crate::record::Record;
use crate::relations::Relation;

/// Quotes a DOT identifier. Our ids are `[A-Za-z0-9._-]`, and labels are
/// free text, so every `"` and `\` is escaped and control characters are
/// replaced.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const HEADER: &str = "  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n";

fn data_node(out: &mut String, id: &str, label: &str) {
    let _ = writeln!(
        out,
        "  {} [shape=ellipse, style=filled, fillcolor=\"#fffc87\", label={}];",
        quote(&format!("data:{id}")),
        quote(label)
    );
}

fn edge(out: &mut String, from: String, to: String, label: &str) {
    let _ = writeln!(
        out,
        "  {} -> {} [label={}];",
        quote(&from),
        quote(&to),
        quote(label)
    );
}

/// The whole provenance graph of some records.
pub fn records_to_dot(records: &[Record]) -> String {
    let mut out = String::from("digraph provenance {\n");
    out.push_str(HEADER);
    let mut data_seen = BTreeSet::new();
    let mut agents_seen = BTreeSet::new();
    for rec in records {
        let b = &rec.body;
        let a = &b.activity;
        let _ = writeln!(
            out,
            "  {} [shape=box, style=filled, fillcolor=\"#9fb1fc\", label={}];",
            quote(&format!("act:{}", a.id)),
            quote(&format!("{}\n{}", a.id, a.kind.as_str()))
        );
        if agents_seen.insert(b.agent.id.clone()) {
            let _ = writeln!(
                out,
                "  {} [shape=house, style=filled, fillcolor=\"#fed37f\", label={}];",
                quote(&format!("agent:{}", b.agent.id)),
                quote(&format!("{}\n{}", b.agent.id, b.agent.kind.as_str()))
            );
        }
        for g in &b.generated {
            if data_seen.insert(g.id.clone()) {
                data_node(&mut out, g.id.as_str(), &format!("{}\n{}", g.id, g.kind));
            }
        }
        for rel in b.relations() {
            match rel {
                Relation::Used { activity, data, .. } => edge(
                    &mut out,
                    format!("act:{activity}"),
                    format!("data:{data}"),
                    "used",
                ),
                Relation::WasGeneratedBy { data, activity, .. } => edge(
                    &mut out,
                    format!("data:{data}"),
                    format!("act:{activity}"),
                    "wasGeneratedBy",
                ),
                Relation::WasDerivedFrom {
                    derived, source, ..
                } => edge(
                    &mut out,
                    format!("data:{derived}"),
                    format!("data:{source}"),
                    "wasDerivedFrom",
                ),
                Relation::WasAssociatedWith { activity, agent } => edge(
                    &mut out,
                    format!("act:{activity}"),
                    format!("agent:{agent}"),
                    "wasAssociatedWith",
                ),
                Relation::ActedOnBehalfOf {
                    delegate,
                    responsible,
                    ..
                } => edge(
                    &mut out,
                    format!("agent:{delegate}"),
                    format!("agent:{responsible}"),
                    "actedOnBehalfOf",
                ),
                Relation::WasInformedBy {
                    informed,
                    informant,
                } => edge(
                    &mut out,
                    format!("act:{informed}"),
                    format!("act:{informant}"),
                    "wasInformedBy",
                ),
                Relation::WasStartedBy {
                    activity, starter, ..
                } => edge(
                    &mut out,
                    format!("act:{activity}"),
                    format!("act:{starter}"),
                    "wasStartedBy",
                ),
            }
        }
    }
    out.push_str("}\n");
    out
}

/// The derivation graph of one lineage query.
pub fn lineage_to_dot(lineage: &Lineage) -> String {
    let mut out = String::from("digraph lineage {\n");
    out.push_str(HEADER);
    data_node(&mut out, lineage.root.as_str(), lineage.root.as_str());
    for n in &lineage.nodes {
        data_node(
            &mut out,
            n.data.as_str(),
            &format!("{}\ndepth {}", n.data, n.depth),
        );
    }
    for e in &lineage.edges {
        edge(
            &mut out,
            format!("data:{}", e.derived),
            format!("data:{}", e.source),
            "wasDerivedFrom",
        );
    }
    out.push_str("}\n");
    out
}
