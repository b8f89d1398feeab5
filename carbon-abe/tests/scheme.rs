//! FAME correctness and failure tests at the KEM level.

use std::collections::BTreeSet;

use carbon_abe::{AbeKem, Attribute, EpochTable, Error, Fame, KeyVersion, Policy, UserId, UserKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn attrs(names: &[&str]) -> BTreeSet<Attribute> {
    names.iter().map(|n| Attribute::new(*n).unwrap()).collect()
}

fn key(msk: &carbon_abe::MasterKey, names: &[&str], r: &mut ChaCha20Rng) -> UserKey {
    Fame::keygen(
        msk,
        UserId::new("u").unwrap(),
        KeyVersion(0),
        &attrs(names),
        &EpochTable::new(),
        r,
    )
    .unwrap()
}

fn roundtrip(policy: &str, names: &[&str]) -> Result<bool, Error> {
    let mut r = rng(7);
    let (pk, msk) = Fame::setup(&mut r);
    let p = Policy::parse(policy)?;
    let (k, header) = Fame::encapsulate(&pk, &p, &EpochTable::new(), &mut r)?;
    let sk = key(&msk, names, &mut r);
    Fame::decapsulate(&sk, &header).map(|k2| k2 == k)
}

#[test]
fn decapsulates_and_or_threshold_and_nested_policies() {
    let cases: &[(&str, &[&str])] = &[
        ("a", &["a"]),
        ("a and b", &["a", "b"]),
        ("a or b", &["b"]),
        (
            "regulator or (org:acme and role:auditor)",
            &["org:acme", "role:auditor"],
        ),
        ("2 of (a, b, c)", &["a", "c"]),
        ("3 of (a, b, c, d, e)", &["b", "d", "e", "x"]),
        ("x and (2 of (a, b and c, d or e))", &["x", "b", "c", "e"]),
        ("2 of (a, 2 of (b, c, d), e)", &["c", "d", "e"]),
    ];
    for (policy, held) in cases {
        assert!(roundtrip(policy, held).unwrap(), "{policy} with {held:?}");
    }
}

#[test]
fn unsatisfied_policy_is_reported_as_such() {
    let cases: &[(&str, &[&str])] = &[
        ("a and b", &["a"]),
        ("2 of (a, b, c)", &["c"]),
        (
            "regulator or (org:acme and role:auditor)",
            &["role:auditor"],
        ),
    ];
    for (policy, held) in cases {
        assert!(
            matches!(roundtrip(policy, held), Err(Error::PolicyNotSatisfied)),
            "{policy}"
        );
    }
}
