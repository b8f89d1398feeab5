//! Hybrid envelope: round trips, tampering, large policies, the property
//! "decrypt iff satisfied", collusion and linear-combination forgery.

use std::collections::BTreeSet;

use ark_bls12_381::{Fr, G1Affine, G1Projective};
use ark_ec::CurveGroup;
use carbon_abe::{
    AbeKem, Artefact, Attribute, Component, Envelope, Epoch, EpochTable, Error, Fame, KeyVersion,
    MasterKey, ObjectId, ObjectVersion, Policy, PublicKey, UserId, UserKey,
};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn set(names: &[&str]) -> BTreeSet<Attribute> {
    names.iter().map(|n| Attribute::new(*n).unwrap()).collect()
}

fn key(msk: &MasterKey, user: &str, names: &[&str], r: &mut ChaCha20Rng) -> UserKey {
    Fame::keygen(
        msk,
        UserId::new(user).unwrap(),
        KeyVersion(0),
        &set(names),
        &EpochTable::new(),
        r,
    )
    .unwrap()
}

fn seal(pk: &PublicKey, policy: &str, msg: &[u8], r: &mut ChaCha20Rng) -> Envelope {
    let p = Policy::parse(policy).unwrap();
    Envelope::seal(
        pk,
        &p,
        &EpochTable::new(),
        ObjectId::new("report-1").unwrap(),
        ObjectVersion(3),
        msg,
        r,
    )
    .unwrap()
}

#[test]
fn opens_with_a_satisfying_key_and_reports_unsatisfied_keys() {
    let mut r = rng(1);
    let (pk, msk) = Fame::setup(&mut r);
    let env = seal(
        &pk,
        "regulator or (org:acme and role:auditor)",
        b"emissions 2025: 1200 t",
        &mut r,
    );
    let auditor = key(&msk, "alice", &["org:acme", "role:auditor"], &mut r);
    assert_eq!(&env.open(&auditor).unwrap()[..], b"emissions 2025: 1200 t");
    let outsider = key(&msk, "bob", &["org:acme", "role:trader"], &mut r);
    assert!(matches!(
        env.open(&outsider),
        Err(Error::PolicyNotSatisfied)
    ));
}

#[test]
fn round_trips_a_100_attribute_and_policy_and_a_100_attribute_threshold() {
    let mut r = rng(2);
    let (pk, msk) = Fame::setup(&mut r);
    let names: Vec<String> = (0..100).map(|i| format!("attr{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let all = key(&msk, "u", &refs, &mut r);
    let and = seal(&pk, &names.join(" and "), b"big and", &mut r);
    assert_eq!(&and.open(&all).unwrap()[..], b"big and");
    let missing_one = key(&msk, "v", &refs[1..], &mut r);
    assert!(matches!(
        and.open(&missing_one),
        Err(Error::PolicyNotSatisfied)
    ));
    let threshold = seal(
        &pk,
        &format!("50 of ({})", names.join(", ")),
        b"big threshold",
        &mut r,
    );
    let fifty = key(&msk, "w", &refs[25..75], &mut r);
    assert_eq!(&threshold.open(&fifty).unwrap()[..], b"big threshold");
    let forty_nine = key(&msk, "x", &refs[..49], &mut r);
    assert!(matches!(
        threshold.open(&forty_nine),
        Err(Error::PolicyNotSatisfied)
    ));
}

/// Replaces one JSON field (by path) and re-decodes the envelope.
fn tamper_json(env: &Envelope, path: &[&str], value: serde_json::Value) -> Result<Envelope, Error> {
    let mut json: serde_json::Value = serde_json::from_str(&env.to_json()).unwrap();
    let mut slot = &mut json;
    for p in path {
        slot = match p.parse::<usize>() {
            Ok(i) => &mut slot[i],
            Err(_) => &mut slot[*p],
        };
    }
    *slot = value;
    Envelope::from_json(&json.to_string())
}

#[test]
fn tampering_with_any_field_gives_an_integrity_error() {
    let mut r = rng(3);
    let (pk, msk) = Fame::setup(&mut r);
    let env = seal(&pk, "a and (b or c)", b"secret payload", &mut r);
    let other = seal(&pk, "a and (b or c)", b"another payload", &mut r);
    let k = key(&msk, "u", &["a", "b", "c"], &mut r);
    let o: serde_json::Value = serde_json::from_str(&other.to_json()).unwrap();
    let swaps: Vec<(Vec<&str>, serde_json::Value)> = vec![
        (vec!["object_id"], "report-2".into()),
        (vec!["version"], 4.into()),
        (vec!["policy_version"], 1.into()),
        (vec!["header", "policy"], "a and (c or b)".into()),
        (vec!["header", "ct0", "0"], o["header"]["ct0"][0].clone()),
        (vec!["header", "ct0", "2"], o["header"]["ct0"][2].clone()),
        (
            vec!["header", "rows", "0", "1"],
            o["header"]["rows"][0][1].clone(),
        ),
        (vec!["header", "rows", "2"], o["header"]["rows"][2].clone()),
        (vec!["wrap_nonce"], o["wrap_nonce"].clone()),
        (vec!["wrapped_key"], o["wrapped_key"].clone()),
        (vec!["payload_nonce"], o["payload_nonce"].clone()),
        (vec!["payload"], o["payload"].clone()),
    ];
    for (path, value) in swaps {
        let tampered = tamper_json(&env, &path, value).unwrap();
        assert!(
            matches!(tampered.open(&k), Err(Error::Integrity)),
            "field {path:?}"
        );
    }
    assert_eq!(&env.open(&k).unwrap()[..], b"secret payload");
}

#[test]
fn flipping_any_byte_of_the_binary_envelope_never_yields_plaintext() {
    let mut r = rng(4);
    let (pk, msk) = Fame::setup(&mut r);
    let env = seal(&pk, "a or b", b"x", &mut r);
    let k = key(&msk, "u", &["a", "b"], &mut r);
    let bytes = env.to_bytes();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        let result = Envelope::from_bytes(&b).and_then(|e| e.open(&k).map(|p| p.to_vec()));
        assert!(
            matches!(
                result,
                Err(Error::Integrity | Error::Decode(_) | Error::Policy(_))
            ),
            "byte {i}: {result:?}"
        );
    }
}

#[test]
fn colluding_users_cannot_pool_components() {
    let mut r = rng(5);
    let (pk, msk) = Fame::setup(&mut r);
    let env = seal(&pk, "a and b", b"pooled?", &mut r);
    let mut alice = key(&msk, "alice", &["a"], &mut r);
    let bob = key(&msk, "bob", &["b"], &mut r);
    let b = Attribute::new("b").unwrap();
    alice.set_component(b.clone(), bob.component(&b).unwrap().clone());
    assert!(matches!(env.open(&alice), Err(Error::Integrity)));
}

fn combine(parts: &[(&Component, i64)]) -> Component {
    let mut acc = [G1Projective::default(); 3];
    for (c, coeff) in parts {
        let s = Fr::from(*coeff);
        for (a, p) in acc.iter_mut().zip(c.points()) {
            *a += p * s;
        }
    }
    let pts = G1Projective::normalize_batch(&acc);
    let k: [G1Affine; 3] = [pts[0], pts[1], pts[2]];
    Component::from_points(Epoch(0), k)
}

#[test]
fn holder_cannot_forge_a_component_by_linear_combination() {
    let mut r = rng(6);
    let (pk, msk) = Fame::setup(&mut r);
    let held = ["a", "b", "c", "d", "e", "f"];
    let env = seal(&pk, "target", b"forge me", &mut r);
    let mut k = key(&msk, "mallory", &held, &mut r);
    let comps: Vec<Component> = held
        .iter()
        .map(|n| k.component(&Attribute::new(*n).unwrap()).unwrap().clone())
        .collect();
    let target = Attribute::new("target").unwrap();
    // Control: splicing a key's own genuine component back in works, so
    // the failures below come from the forgery, not from the plumbing.
    let mut with_target = key(&msk, "mallory", &["a", "target"], &mut r);
    let own = with_target.remove_component(&target).unwrap();
    assert!(matches!(
        env.open(&with_target),
        Err(Error::PolicyNotSatisfied)
    ));
    with_target.set_component(target.clone(), own);
    assert_eq!(&env.open(&with_target).unwrap()[..], b"forge me");
    // Every combination with coefficients in -2..=2 over the six held
    // components (with g^H(x) hashing, a solvable 6x6 system gives one).
    let coeffs = [-2i64, -1, 0, 1, 2];
    let mut tried = 0;
    for mask in 0..coeffs.len().pow(3) {
        let (x, y, z) = (coeffs[mask % 5], coeffs[(mask / 5) % 5], coeffs[mask / 25]);
        for window in 0..4 {
            let parts = [
                (&comps[window], x),
                (&comps[window + 1], y),
                (&comps[window + 2], z),
            ];
            k.set_component(target.clone(), combine(&parts));
            assert!(env.open(&k).is_err(), "forged with {x},{y},{z} at {window}");
            tried += 1;
        }
    }
    assert_eq!(tried, 500);
}

fn arb_policy() -> impl Strategy<Value = String> {
    let leaf = (0u8..6).prop_map(|i| format!("x{i}"));
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            (
                prop::collection::vec(inner, 2..4),
                any::<prop::sample::Index>()
            )
                .prop_map(|(v, k)| format!(
                    "{} of ({})",
                    k.index(v.len()) + 1,
                    v.join(", ")
                )),
        ]
    })
}

fn unique_leaves(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('x').enumerate() {
        if i > 0 {
            out.push_str(&format!("y{i}_"));
        }
        out.push_str(part);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn decrypts_iff_the_attribute_set_satisfies_the_policy(text in arb_policy(), mask in any::<u16>(), seed in any::<u64>()) {
        let mut r = rng(seed);
        let (pk, msk) = Fame::setup(&mut r);
        let policy = Policy::parse(&unique_leaves(&text)).unwrap();
        let names: Vec<String> = policy
            .attributes()
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << (i % 16)) != 0)
            .map(|(_, a)| a.to_string())
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let k = key(&msk, "p", &refs, &mut r);
        let env = Envelope::seal(&pk, &policy, &EpochTable::new(), ObjectId::new("o").unwrap(), ObjectVersion(0), b"m", &mut r).unwrap();
        let satisfied = policy.is_satisfied_by(&set(&refs));
        match env.open(&k) {
            Ok(m) => { prop_assert!(satisfied); prop_assert_eq!(&m[..], b"m"); }
            Err(Error::PolicyNotSatisfied) => prop_assert!(!satisfied),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
