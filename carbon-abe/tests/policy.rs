//! Policy language and span-program tests.

use ark_bls12_381::Fr;
use ark_ff::{One, Zero};
use carbon_abe::policy::{Node, limits};
use carbon_abe::{Attribute, Error, Policy, PolicyError, SpanProgram};
use proptest::prelude::*;

fn attr(s: &str) -> Attribute {
    Attribute::new(s).unwrap()
}

fn policy_err(text: &str) -> PolicyError {
    match Policy::parse(text) {
        Err(Error::Policy(e)) => e,
        other => panic!("expected a policy error for {text:?}, got {other:?}"),
    }
}

#[test]
fn parses_or_of_and_with_precedence() {
    let p = Policy::parse("regulator or org:acme and role:auditor").unwrap();
    assert_eq!(p.to_string(), "regulator or (org:acme and role:auditor)");
    assert!(p.is_satisfied_by(&[attr("regulator")]));
    assert!(p.is_satisfied_by(&[attr("org:acme"), attr("role:auditor")]));
    assert!(!p.is_satisfied_by(&[attr("org:acme")]));
}

#[test]
fn parses_threshold_quoted_and_nested() {
    let p = Policy::parse(r#"2 of (a, "b c", (d and "e \"f\""))"#).unwrap();
    assert_eq!(p.to_string(), r#"2 of (a, "b c", d and "e \"f\"")"#);
    assert_eq!(Policy::parse(&p.to_string()).unwrap(), p);
    assert!(p.is_satisfied_by(&[attr("a"), attr("b c")]));
    assert!(!p.is_satisfied_by(&[attr("a"), attr("d")]));
    assert!(p.is_satisfied_by(&[attr("a"), attr("d"), attr("e \"f\"")]));
}

#[test]
fn keywords_are_case_insensitive_and_quotable() {
    let p = Policy::parse(r#"A AND ("or" Or 2019)"#).unwrap();
    assert_eq!(p.to_string(), r#"A and ("or" or 2019)"#);
    assert_eq!(Policy::parse(&p.to_string()).unwrap(), p);
}

#[test]
fn trivial_thresholds_normalise_to_and_or() {
    let one = Policy::parse("1 of (a, b)").unwrap();
    assert_eq!(one, Policy::parse("a or b").unwrap());
    let all = Policy::parse("3 of (a, b, c)").unwrap();
    assert_eq!(all, Policy::parse("a and (b and c)").unwrap());
    assert!(matches!(all.root(), Node::And(c) if c.len() == 3));
}

#[test]
fn rejects_empty_policy() {
    assert_eq!(policy_err(""), PolicyError::Empty);
    assert_eq!(policy_err("  \n\t"), PolicyError::Empty);
}

#[test]
fn reports_byte_position_of_syntax_errors() {
    let cases = [
        ("a and", 5),
        ("a b", 2),
        ("(a or b", 7),
        ("a or )", 5),
        ("a & b", 2),
        ("\"open", 0),
        ("2 of a", 5),
        ("2 of (a, b", 10),
        ("and", 0),
    ];
    for (text, at) in cases {
        match policy_err(text) {
            PolicyError::Syntax { position, .. } => assert_eq!(position, at, "for {text:?}"),
            other => panic!("{text:?}: expected syntax error, got {other:?}"),
        }
    }
}

#[test]
fn rejects_repeated_attribute_with_position() {
    assert_eq!(
        policy_err("a and (b or a)"),
        PolicyError::DuplicateAttribute {
            attribute: "a".into(),
            position: 12
        }
    );
    assert!(matches!(
        policy_err(r#"x or "x""#),
        PolicyError::DuplicateAttribute { .. }
    ));
}

#[test]
fn rejects_threshold_outside_one_to_n() {
    assert_eq!(
        policy_err("0 of (a, b)"),
        PolicyError::ThresholdOutOfRange {
            k: 0,
            n: 2,
            position: 0
        }
    );
    assert!(matches!(
        policy_err("x and 3 of (a, b)"),
        PolicyError::ThresholdOutOfRange {
            k: 3,
            n: 2,
            position: 6
        }
    ));
    assert!(matches!(
        policy_err("99999999999999999999999 of (a, b)"),
        PolicyError::ThresholdOutOfRange { .. }
    ));
}

#[test]
fn rejects_policies_over_the_size_limits() {
    let many: Vec<String> = (0..=limits::MAX_ATTRIBUTES)
        .map(|i| format!("a{i}"))
        .collect();
    assert!(matches!(
        policy_err(&many.join(" or ")),
        PolicyError::TooLarge {
            what: "attributes",
            ..
        }
    ));
    let deep = format!(
        "{}a{}",
        "(".repeat(limits::MAX_DEPTH + 1),
        ")".repeat(limits::MAX_DEPTH + 1)
    );
    assert!(matches!(
        policy_err(&deep),
        PolicyError::TooLarge {
            what: "nesting depth",
            ..
        }
    ));
    let long = "x".repeat(limits::MAX_POLICY_BYTES + 1);
    assert!(matches!(policy_err(&long), PolicyError::TooLarge { .. }));
    let name = "y".repeat(limits::MAX_ATTRIBUTE_BYTES + 1);
    assert!(matches!(
        policy_err(&name),
        PolicyError::InvalidAttribute(_)
    ));
}

fn sum_rows(msp: &SpanProgram, gamma: &[(usize, Fr)]) -> Vec<Fr> {
    let mut acc = vec![Fr::zero(); msp.column_count()];
    for &(i, g) in gamma {
        for (a, m) in acc.iter_mut().zip(msp.dense_row(i)) {
            *a += g * m;
        }
    }
    acc
}

fn target(n: usize) -> Vec<Fr> {
    let mut t = vec![Fr::zero(); n];
    t[0] = Fr::one();
    t
}

#[test]
fn lewko_waters_and_has_entries_in_zero_one_minus_one() {
    let p = Policy::parse("a and b and c").unwrap();
    let msp = SpanProgram::compile(&p);
    assert_eq!((msp.row_count(), msp.column_count()), (3, 3));
    let m: Vec<Vec<Fr>> = (0..3).map(|i| msp.dense_row(i)).collect();
    let (o, z) = (Fr::one(), Fr::zero());
    assert_eq!(m, vec![vec![o, o, z], vec![z, -o, o], vec![z, z, -o]]);
}

#[test]
fn threshold_reconstructs_with_k_rows_and_not_fewer() {
    let p = Policy::parse("3 of (a, b, c, d, e)").unwrap();
    let msp = SpanProgram::compile(&p);
    let names = ["a", "b", "c", "d", "e"];
    for mask in 0u32..32 {
        let held: Vec<Attribute> = (0..5)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| attr(names[i]))
            .collect();
        let gamma = msp.reconstruct(&|x| held.contains(x));
        assert_eq!(gamma.is_some(), mask.count_ones() >= 3, "mask {mask:05b}");
        if let Some(g) = gamma {
            assert_eq!(sum_rows(&msp, &g), target(msp.column_count()));
        }
    }
}

fn arb_policy() -> impl Strategy<Value = String> {
    let leaf = (0u8..8).prop_map(|i| format!("x{i}"));
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            (
                prop::collection::vec(inner, 2..5),
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

/// Renames repeated leaves so the policy names each attribute once.
fn dedup(text: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    for (i, part) in text.split('x').enumerate() {
        if i > 0 {
            out.push_str(&format!("x{n}_"));
            n += 1;
        }
        out.push_str(part);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn span_program_authorises_exactly_the_satisfying_sets(text in arb_policy(), mask in any::<u16>()) {
        let p = Policy::parse(&dedup(&text)).unwrap();
        prop_assert_eq!(Policy::parse(&p.to_string()).unwrap(), p.clone());
        let msp = SpanProgram::compile(&p);
        let held: Vec<Attribute> =
            p.attributes().into_iter().enumerate().filter(|(i, _)| mask & (1 << (i % 16)) != 0).map(|(_, a)| a.clone()).collect();
        let has = |x: &Attribute| held.contains(x);
        let expected = p.is_satisfied_by(&held);
        let gauss = msp.reconstruct(&has);
        prop_assert_eq!(gauss.is_some(), expected);
        if let Some(g) = gauss {
            prop_assert_eq!(sum_rows(&msp, &g), target(msp.column_count()));
        }
        let chosen = msp.coefficients(&p, &has);
        prop_assert_eq!(chosen.is_some(), expected);
        if let Some(g) = chosen {
            prop_assert_eq!(sum_rows(&msp, &g), target(msp.column_count()));
        }
    }
}
