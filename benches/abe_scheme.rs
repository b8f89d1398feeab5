#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items
//! carbon-abe (FAME on BLS12-381) beside rabe 0.4's AC17 and BSW07 CP-ABE
//! (on BN254, rabe's own curve) on the same policies, with the physical
//! floor of decryption: one 6-pair multi-pairing on BLS12-381.
//!
//! Run: `cargo bench --bench abe_scheme -- --warm-up-time 1 --measurement-time 3`
//!
//! Encrypt/decrypt are whole hybrid operations on both sides (KEM plus AEAD
//! over a 32-byte message). rabe has no threshold gate, so 3-of-5 is given
//! to it as the equivalent OR of the ten 3-subsets, and rabe's n-way ANDs
//! are written as nested binary ANDs. carbon-abe caches attribute and
//! column hashes (public, fixed per epoch); `fame-uncached` encrypts with
//! every attribute at a fresh epoch, so its hashes are computed anew.

use std::collections::BTreeSet;

use ark_bls12_381::{Bls12_381, Fr, G1Projective, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, PrimeGroup};
use ark_std::UniformRand;
use carbon_abe::{
    AbeKem, Attribute, Envelope, EpochTable, Fame, KeyVersion, ObjectId, ObjectVersion, Policy,
    UserId,
};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use rabe::schemes::{ac17, bsw};
use rabe::utils::policy::pest::PolicyLanguage;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const MSG: &[u8; 32] = b"benchmark payload of 32 bytes..!";

/// One benchmarked policy in both syntaxes, with a satisfying attribute set.
struct Case {
    name: String,
    ours: Policy,
    theirs: String,
    attrs: Vec<String>,
}

fn nested_and(names: &[String]) -> String {
    match names {
        [one] => format!("\"{one}\""),
        [first, rest @ ..] => format!("(\"{first}\" and {})", nested_and(rest)),
        [] => unreachable!("policies have at least one attribute"),
    }
}

fn cases() -> Vec<Case> {
    let names = |n: usize| (0..n).map(|i| format!("attr{i}")).collect::<Vec<_>>();
    let mut out = Vec::new();
    for n in [2, 10, 50] {
        let a = names(n);
        out.push(Case {
            name: format!("and{n}"),
            ours: Policy::parse(&a.join(" and ")).unwrap(),
            theirs: nested_and(&a),
            attrs: a,
        });
    }
    let a = names(10);
    let or = a
        .iter()
        .map(|x| format!("\"{x}\""))
        .collect::<Vec<_>>()
        .join(" or ");
    out.push(Case {
        name: "or10".into(),
        ours: Policy::parse(&a.join(" or ")).unwrap(),
        theirs: format!("({or})"),
        attrs: vec![a[9].clone()],
    });
    let a = names(5);
    let mut clauses = Vec::new();
    for i in 0..5 {
        for j in i + 1..5 {
            for k in j + 1..5 {
                clauses.push(nested_and(&[a[i].clone(), a[j].clone(), a[k].clone()]));
            }
        }
    }
    out.push(Case {
        name: "3of5".into(),
        ours: Policy::parse(&format!("3 of ({})", a.join(", "))).unwrap(),
        theirs: format!("({})", clauses.join(" or ")),
        attrs: a[2..].to_vec(),
    });
    out
}

fn set(attrs: &[String]) -> BTreeSet<Attribute> {
    attrs
        .iter()
        .map(|a| Attribute::new(a.as_str()).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (pk, msk) = Fame::setup(&mut rng);
    let (ac_pk, ac_msk) = ac17::setup();
    let (bsw_pk, bsw_msk) = bsw::setup();
    let epochs = EpochTable::new();
    let user = UserId::new("bench").unwrap();
    let oid = ObjectId::new("bench-object").unwrap();

    let mut g = c.benchmark_group("abe/setup");
    g.sample_size(10);
    g.bench_function("fame", |b| b.iter(|| Fame::setup(&mut rng)));
    g.bench_function("rabe-ac17", |b| b.iter(ac17::setup));
    g.bench_function("rabe-bsw07", |b| b.iter(bsw::setup));
    g.finish();

    for case in cases() {
        let attrs = set(&case.attrs);
        let refs: Vec<&str> = case.attrs.iter().map(String::as_str).collect();

        let mut g = c.benchmark_group(format!("abe/keygen/{}", case.name));
        g.sample_size(10);
        g.bench_function("fame", |b| {
            b.iter(|| {
                Fame::keygen(&msk, user.clone(), KeyVersion(0), &attrs, &epochs, &mut rng).unwrap()
            })
        });
        g.bench_function("rabe-ac17", |b| {
            b.iter(|| ac17::cp_keygen(&ac_msk, &refs).unwrap())
        });
        g.bench_function("rabe-bsw07", |b| {
            b.iter(|| bsw::keygen(&bsw_pk, &bsw_msk, &refs).unwrap())
        });
        g.finish();

        let seal = |rng: &mut ChaCha20Rng, epochs: &EpochTable| {
            Envelope::seal(
                &pk,
                &case.ours,
                epochs,
                oid.clone(),
                ObjectVersion(0),
                MSG,
                rng,
            )
            .unwrap()
        };
        let lang = PolicyLanguage::HumanPolicy;
        let mut g = c.benchmark_group(format!("abe/encrypt/{}", case.name));
        g.sample_size(10);
        g.bench_function("fame", |b| b.iter(|| seal(&mut rng, &epochs)));
        let mut fresh = EpochTable::new();
        g.bench_function("fame-uncached", |b| {
            b.iter_batched(
                || {
                    for a in &attrs {
                        fresh.bump(a).unwrap();
                    }
                    fresh.clone()
                },
                |e| seal(&mut rng, &e),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("rabe-ac17", |b| {
            b.iter(|| ac17::cp_encrypt(&ac_pk, &case.theirs, MSG, lang).unwrap())
        });
        g.bench_function("rabe-bsw07", |b| {
            b.iter(|| bsw::encrypt(&bsw_pk, &case.theirs, lang, MSG).unwrap())
        });
        g.finish();

        let key =
            Fame::keygen(&msk, user.clone(), KeyVersion(0), &attrs, &epochs, &mut rng).unwrap();
        let env = seal(&mut rng, &epochs);
        assert_eq!(&env.open(&key).unwrap()[..], MSG);
        // rabe cannot decrypt some of these policies (its AC17 fails on the
        // 3-of-5 DNF, which repeats attributes, and its BSW07 fails on it
        // intermittently): such cases are reported and skipped, not timed.
        let ac_key = ac17::cp_keygen(&ac_msk, &refs).unwrap();
        let ac_ct = ac17::cp_encrypt(&ac_pk, &case.theirs, MSG, lang).unwrap();
        let ac_ok = (0..20).all(|_| ac17::cp_decrypt(&ac_key, &ac_ct).is_ok_and(|m| m == MSG));
        let bsw_key = bsw::keygen(&bsw_pk, &bsw_msk, &refs).unwrap();
        let bsw_ct = bsw::encrypt(&bsw_pk, &case.theirs, lang, MSG).unwrap();
        let bsw_ok = (0..20).all(|_| bsw::decrypt(&bsw_key, &bsw_ct).is_ok_and(|m| m == MSG));
        // The 3-of-5 DNF also fails intermittently under BSW07 after passing
        // these checks, so rabe's decryption is not timed for it at all.
        let dnf = case.name == "3of5";
        let (ac_ok, bsw_ok) = (ac_ok && !dnf, bsw_ok && !dnf);
        for (name, ok) in [("rabe-ac17", ac_ok), ("rabe-bsw07", bsw_ok)] {
            if !ok {
                println!(
                    "abe/decrypt/{}/{name}: skipped, rabe fails to decrypt this policy",
                    case.name
                );
            }
        }
        let p: Vec<_> = (0..6)
            .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        let q: Vec<_> = (0..6)
            .map(|_| (G2Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();

        let mut g = c.benchmark_group(format!("abe/decrypt/{}", case.name));
        g.sample_size(20);
        g.bench_function("fame", |b| b.iter(|| env.open(&key).unwrap()));
        g.bench_function(BenchmarkId::new("floor", "6-pair multi-pairing"), |b| {
            b.iter(|| Bls12_381::multi_pairing(p.clone(), q.clone()))
        });
        if ac_ok {
            g.bench_function("rabe-ac17", |b| {
                b.iter(|| ac17::cp_decrypt(&ac_key, &ac_ct).unwrap())
            });
        }
        if bsw_ok {
            g.bench_function("rabe-bsw07", |b| {
                b.iter(|| bsw::decrypt(&bsw_key, &bsw_ct).unwrap())
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
