//! End-to-end tests of `carbon abe ...` through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_carbon"))
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must fail; returns its one-line reason.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?} should fail");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "one line: {err:?}");
        assert!(err.starts_with("error: "), "{err:?}");
        err
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data/abe")
        .join(name)
}

fn sample_policies() -> Vec<String> {
    let text = std::fs::read_to_string(data("policies.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn encrypt_decrypt_update_policy_and_revoke_end_to_end() {
    let c = Cli::new();
    let auth = c.s("auth");
    c.ok(&["abe", "setup", "--dir", &auth]);
    for (user, attrs) in [
        ("alice", "org:acme,role:auditor"),
        ("bob", "org:acme,role:auditor"),
        ("carol", "regulator"),
    ] {
        c.ok(&[
            "abe",
            "keygen",
            "--dir",
            &auth,
            "--user",
            user,
            "--attrs",
            attrs,
            "--out",
            &c.s(&format!("{user}.key")),
        ]);
    }
    let report = data("report.txt");
    let original = std::fs::read(&report).unwrap();
    let public = c.s("auth/public.key");
    let ct = c.s("report.cpabe");
    c.ok(&[
        "abe",
        "encrypt",
        "--public",
        &public,
        "--policy",
        "org:acme and role:auditor",
        "--in",
        report.to_str().unwrap(),
        "--out",
        &ct,
    ]);

    c.ok(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("alice.key"),
        "--in",
        &ct,
        "--out",
        &c.s("alice.txt"),
    ]);
    assert_eq!(std::fs::read(c.path("alice.txt")).unwrap(), original);
    let err = c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("carol.key"),
        "--in",
        &ct,
        "--out",
        &c.s("carol.txt"),
    ]);
    assert!(err.contains("do not satisfy the policy"), "{err}");
    assert!(
        !c.path("carol.txt").exists(),
        "no plaintext written on failure"
    );

    // Policy update by the owner: the regulator may now read it.
    let out = c.ok(&[
        "--json",
        "abe",
        "update-policy",
        "--dir",
        &auth,
        "--key",
        &c.s("alice.key"),
        "--in",
        &ct,
        "--policy",
        &sample_policies()[0],
        "--out",
        &ct,
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["policy_version"], 1);
    c.ok(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("carol.key"),
        "--in",
        &ct,
        "--out",
        &c.s("carol.txt"),
    ]);
    assert_eq!(std::fs::read(c.path("carol.txt")).unwrap(), original);
    // Someone else's update is refused.
    let err = c.fails(&[
        "abe",
        "update-policy",
        "--dir",
        &auth,
        "--key",
        &c.s("carol.key"),
        "--in",
        &ct,
        "--policy",
        "regulator",
        "--out",
        &c.s("x.cpabe"),
    ]);
    assert!(err.contains("not the owner"), "{err}");

    // Revoke role:auditor from bob and re-encapsulate the report.
    c.ok(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("bob.key"),
        "--in",
        &ct,
        "--out",
        &c.s("bob.txt"),
    ]);
    let out = c.ok(&[
        "--json",
        "abe",
        "revoke",
        "--dir",
        &auth,
        "--user",
        "bob",
        "--attr",
        "role:auditor",
        "--reencrypt",
        &ct,
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reencrypted"].as_array().unwrap().len(), 1);
    std::fs::remove_file(c.path("bob.txt")).unwrap();
    let err = c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("bob.key"),
        "--in",
        &ct,
        "--out",
        &c.s("bob.txt"),
    ]);
    assert!(err.contains("do not satisfy"), "{err}");
    assert!(!c.path("bob.txt").exists());
    // Alice decrypts once she installs her re-issued component.
    c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("alice.key"),
        "--in",
        &ct,
        "--out",
        &c.s("alice2.txt"),
    ]);
    let update = v["updates"][0].as_str().unwrap().to_owned();
    c.ok(&[
        "abe",
        "apply-update",
        "--key",
        &c.s("alice.key"),
        "--update",
        &update,
    ]);
    c.ok(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("alice.key"),
        "--in",
        &ct,
        "--out",
        &c.s("alice2.txt"),
    ]);
    assert_eq!(std::fs::read(c.path("alice2.txt")).unwrap(), original);
    // The regulator is unaffected; bob's new key lacks role:auditor.
    c.ok(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("carol.key"),
        "--in",
        &ct,
        "--out",
        &c.s("carol2.txt"),
    ]);
    let new_key = v["new_key"].as_str().unwrap().to_owned();
    c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &new_key,
        "--in",
        &ct,
        "--out",
        &c.s("bob.txt"),
    ]);
    // New encryptions use the new epoch (read from auth/epochs.json).
    let later = c.s("later.cpabe");
    c.ok(&[
        "abe",
        "encrypt",
        "--public",
        &public,
        "--policy",
        "role:auditor",
        "--in",
        report.to_str().unwrap(),
        "--out",
        &later,
    ]);
    c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("bob.key"),
        "--in",
        &later,
        "--out",
        &c.s("bob.txt"),
    ]);
    c.ok(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("alice.key"),
        "--in",
        &later,
        "--out",
        &c.s("alice3.txt"),
    ]);
}

#[test]
fn sample_policies_encrypt_and_bad_ones_fail_with_a_position() {
    let c = Cli::new();
    let auth = c.s("auth");
    c.ok(&["abe", "setup", "--dir", &auth]);
    let public = c.s("auth/public.key");
    let report = data("report.txt");
    for p in sample_policies() {
        c.ok(&[
            "abe",
            "encrypt",
            "--public",
            &public,
            "--policy",
            &p,
            "--in",
            report.to_str().unwrap(),
            "--out",
            &c.s("x.cpabe"),
        ]);
    }
    let bad = std::fs::read_to_string(data("bad-policies.txt")).unwrap();
    for line in bad.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (pos, policy) = line.split_once('\t').unwrap();
        let err = c.fails(&[
            "abe",
            "encrypt",
            "--public",
            &public,
            "--policy",
            policy,
            "--in",
            report.to_str().unwrap(),
            "--out",
            &c.s("bad.cpabe"),
        ]);
        if pos != "-" {
            assert!(err.contains(&format!("at byte {pos}")), "{policy}: {err}");
        }
    }
    assert!(!c.path("bad.cpabe").exists());
}

#[test]
fn tampered_or_malformed_inputs_fail_cleanly() {
    let c = Cli::new();
    let auth = c.s("auth");
    c.ok(&["abe", "setup", "--dir", &auth]);
    let err = c.fails(&["abe", "setup", "--dir", &auth]);
    assert!(err.contains("already holds an authority"));
    c.ok(&[
        "abe",
        "keygen",
        "--dir",
        &auth,
        "--user",
        "u",
        "--attrs",
        "a",
        "--out",
        &c.s("u.key"),
    ]);
    c.fails(&[
        "abe",
        "keygen",
        "--dir",
        &auth,
        "--user",
        "u",
        "--attrs",
        "a",
        "--out",
        &c.s("u2.key"),
    ]);
    let ct = c.s("m.cpabe");
    std::fs::write(c.path("m.txt"), b"hello").unwrap();
    c.ok(&[
        "abe",
        "encrypt",
        "--public",
        &c.s("auth/public.key"),
        "--policy",
        "a",
        "--in",
        &c.s("m.txt"),
        "--out",
        &ct,
    ]);
    let mut bytes = std::fs::read(&ct).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 1;
    std::fs::write(&ct, &bytes).unwrap();
    let err = c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("u.key"),
        "--in",
        &ct,
        "--out",
        &c.s("out.txt"),
    ]);
    assert!(err.contains("integrity"), "{err}");
    bytes.truncate(n / 2);
    std::fs::write(&ct, &bytes).unwrap();
    c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("u.key"),
        "--in",
        &ct,
        "--out",
        &c.s("out.txt"),
    ]);
    c.fails(&[
        "abe",
        "decrypt",
        "--key",
        &c.s("missing.key"),
        "--in",
        &ct,
        "--out",
        &c.s("out.txt"),
    ]);
    c.fails(&[
        "abe", "revoke", "--dir", &auth, "--user", "u", "--attr", "zzz",
    ]);
    assert!(!c.path("out.txt").exists());
}
