//! `carbon prov ...` run as a real process on `examples/data/`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data/provenance-history.json")
}

fn carbon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carbon"))
        .args(args)
        .output()
        .expect("the carbon binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 output")
}

/// A failure: exit status 1 and exactly one `error:` line on stderr.
fn assert_one_line_failure(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("error: "), "stderr: {err}");
    err
}

#[test]
fn validate_accepts_the_sample_history() {
    let f = sample();
    let o = carbon(&["prov", "validate", f.to_str().expect("utf-8 path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("ok: 9 records, 6 data items, 5 agents"));
}

#[test]
fn validate_json_reports_counts() {
    let f = sample();
    let o = carbon(&[
        "--json",
        "prov",
        "validate",
        f.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON output");
    assert_eq!(v["valid"], true);
    assert_eq!(v["records"], 9);
    assert_eq!(v["last_record"].as_str().map(str::len), Some(64));
}

#[test]
fn validate_rejects_a_tampered_history_with_one_line() {
    let text = std::fs::read_to_string(sample()).expect("sample readable");
    let tampered = text.replacen("\"size\": 33", "\"size\": 34", 1);
    assert_ne!(tampered, text);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tampered.json");
    std::fs::write(&path, tampered).expect("write temp file");
    let o = carbon(&["prov", "validate", path.to_str().expect("utf-8 path")]);
    let err = assert_one_line_failure(&o);
    assert!(err.contains("does not verify"), "{err}");
}

#[test]
fn validate_rejects_a_missing_file_and_bad_json() {
    let o = carbon(&["prov", "validate", "/nonexistent/history.json"]);
    assert!(assert_one_line_failure(&o).contains("cannot open"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        "{\"format\": \"carbon-provenance-history/1\", \"records\": [",
    )
    .expect("write");
    let o = carbon(&["prov", "validate", path.to_str().expect("utf-8 path")]);
    assert!(assert_one_line_failure(&o).contains("not a provenance history"));
}

#[test]
fn export_prov_json_is_a_prov_document() {
    let f = sample();
    let o = carbon(&[
        "prov",
        "export",
        "--format",
        "prov-json",
        f.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON output");
    for key in ["prefix", "entity", "activity", "agent", "wasDerivedFrom"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn export_dot_writes_a_digraph_to_a_file() {
    let f = sample();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("graph.dot");
    let o = carbon(&[
        "prov",
        "export",
        "--format",
        "dot",
        "--output",
        out.to_str().expect("utf-8 path"),
        f.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dot = std::fs::read_to_string(out).expect("written");
    assert!(dot.starts_with("digraph provenance {"));
}

#[test]
fn lineage_json_lists_ancestors_and_descendants() {
    let f = sample();
    let o = carbon(&[
        "--json",
        "prov",
        "lineage",
        "--data",
        "emission-report-2025",
        f.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON output");
    assert_eq!(v["ancestors"]["nodes"][0]["data"], "reading-2025-q1");
    let down: Vec<&str> = v["descendants"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["data"].as_str())
        .collect();
    assert_eq!(down, ["verification-2025", "surrender-2025"]);
}

#[test]
fn lineage_of_unknown_data_fails_with_one_line() {
    let f = sample();
    let o = carbon(&[
        "prov",
        "lineage",
        "--data",
        "nope",
        f.to_str().expect("utf-8 path"),
    ]);
    assert!(assert_one_line_failure(&o).contains("not found"));
}

#[test]
fn history_lists_the_records_of_an_item() {
    let f = sample();
    let o = carbon(&[
        "--json",
        "prov",
        "history",
        "--data",
        "emission-report-2025",
        f.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON output");
    assert_eq!(v["history"].as_array().map(Vec::len), Some(4));
}

#[test]
fn lineage_text_and_dot_outputs() {
    let f = sample();
    let path = f.to_str().expect("utf-8 path");
    let o = carbon(&[
        "prov",
        "lineage",
        "--data",
        "surrender-2025",
        "--direction",
        "up",
        path,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("ancestors of surrender-2025:"));
    assert!(text.contains("  3  reading-2025-q1"), "{text}");
    assert!(!text.contains("descendants"));
    let o = carbon(&[
        "prov",
        "lineage",
        "--dot",
        "--data",
        "emission-report-2025",
        path,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph lineage {"));
    assert_eq!(dot.matches("wasDerivedFrom").count(), 3, "{dot}");
}

#[test]
fn lineage_depth_bound_is_reported() {
    let f = sample();
    let o = carbon(&[
        "--json",
        "prov",
        "lineage",
        "--data",
        "surrender-2025",
        "--direction",
        "up",
        "--depth",
        "1",
        f.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON output");
    assert_eq!(v["ancestors"]["truncated"], true);
    assert_eq!(v["ancestors"]["nodes"].as_array().map(Vec::len), Some(2));
    assert!(v["descendants"].is_null());
}
