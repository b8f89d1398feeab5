//! Binary and JSON encodings: round trips and every kind of bad input.

use ark_bls12_381::{Fq, G1Affine};
use ark_ff::One;
use ark_serialize::CanonicalSerialize;
use base64::Engine;
use carbon_abe::{
    AbeKem, Artefact, DecodeError, EpochTable, Error, Fame, Header, KeyVersion, Policy, PublicKey,
    UserId, UserKey,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn fixtures() -> (PublicKey, UserKey, Header) {
    let mut r = ChaCha20Rng::seed_from_u64(9);
    let (pk, msk) = Fame::setup(&mut r);
    let attrs = ["a", "b"].iter().map(|a| a.parse().unwrap()).collect();
    let key = Fame::keygen(
        &msk,
        UserId::new("u").unwrap(),
        KeyVersion(2),
        &attrs,
        &EpochTable::new(),
        &mut r,
    )
    .unwrap();
    let policy = Policy::parse("a and 2 of (b, c, d)").unwrap();
    let header = Fame::encapsulate(&pk, &policy, &EpochTable::new(), &mut r)
        .unwrap()
        .1;
    (pk, key, header)
}

fn decode_err<T: Artefact + std::fmt::Debug>(bytes: &[u8]) -> DecodeError {
    match T::from_bytes(bytes) {
        Err(Error::Decode(e)) => e,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn artefacts_round_trip_in_binary_and_json() {
    let (pk, key, header) = fixtures();
    assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
    assert_eq!(PublicKey::from_json(&pk.to_json()).unwrap(), pk);
    assert_eq!(UserKey::from_bytes(&key.to_bytes()).unwrap(), key);
    assert_eq!(UserKey::from_json(&key.to_json()).unwrap(), key);
    assert_eq!(Header::from_bytes(&header.to_bytes()).unwrap(), header);
    assert_eq!(Header::from_json(&header.to_json()).unwrap(), header);
}

#[test]
fn rejects_truncated_trailing_wrong_kind_and_unknown_version() {
    let (pk, _, header) = fixtures();
    let bytes = header.to_bytes();
    for cut in [0, 3, 5, 6, 40, bytes.len() - 1] {
        let e = decode_err::<Header>(&bytes[..cut]);
        assert!(
            matches!(
                e,
                DecodeError::Truncated | DecodeError::Malformed(_) | DecodeError::InvalidPoint
            ),
            "cut {cut}: {e:?}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(decode_err::<Header>(&long), DecodeError::TrailingBytes);
    assert!(matches!(
        decode_err::<Header>(&pk.to_bytes()),
        DecodeError::WrongKind { .. }
    ));
    let mut v2 = bytes.clone();
    v2[5] = 2;
    assert_eq!(
        decode_err::<Header>(&v2),
        DecodeError::UnsupportedVersion(2)
    );
}

#[test]
fn rejects_oversized_input_before_parsing() {
    let big = vec![0u8; carbon_abe::encoding::MAX_ARTEFACT_BYTES + 1];
    assert!(matches!(
        decode_err::<Header>(&big),
        DecodeError::TooLarge { .. }
    ));
}

/// A point on the curve y² = x³ + 4 that is not in the prime-order subgroup.
fn off_subgroup_point() -> G1Affine {
    let mut x = Fq::one();
    loop {
        if let Some(p) = G1Affine::get_point_from_x_unchecked(x, false)
            && !p.is_in_correct_subgroup_assuming_on_curve()
        {
            return p;
        }
        x += Fq::one();
    }
}

#[test]
fn rejects_points_off_the_curve_or_outside_the_subgroup() {
    let (_, _, header) = fixtures();
    let mut json: serde_json::Value = serde_json::from_str(&header.to_json()).unwrap();
    let mut bytes = Vec::new();
    off_subgroup_point()
        .serialize_compressed(&mut bytes)
        .unwrap();
    json["rows"][0][0] = base64::engine::general_purpose::STANDARD
        .encode(&bytes)
        .into();
    assert!(matches!(
        Header::from_json(&json.to_string()),
        Err(Error::Decode(DecodeError::InvalidPoint))
    ));
    // Not a valid x coordinate at all: flip bytes until off the curve.
    let mut json: serde_json::Value = serde_json::from_str(&header.to_json()).unwrap();
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(json["rows"][1][2].as_str().unwrap())
        .unwrap();
    raw[47] ^= 0xff;
    raw[20] ^= 0x55;
    json["rows"][1][2] = base64::engine::general_purpose::STANDARD
        .encode(&raw)
        .into();
    assert!(matches!(
        Header::from_json(&json.to_string()),
        Err(Error::Decode(DecodeError::InvalidPoint))
    ));
}

#[test]
fn rejects_headers_whose_rows_do_not_match_the_policy() {
    let (_, _, header) = fixtures();
    let mut json: serde_json::Value = serde_json::from_str(&header.to_json()).unwrap();
    json["policy"] = "a and b".into();
    assert!(matches!(
        Header::from_json(&json.to_string()),
        Err(Error::Decode(DecodeError::Json(_)))
    ));
    let mut json: serde_json::Value = serde_json::from_str(&header.to_json()).unwrap();
    json["policy"] = "a and and".into();
    assert!(Header::from_json(&json.to_string()).is_err());
}
