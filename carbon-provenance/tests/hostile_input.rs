//! Hostile input never panics: random bytes and random edits of a valid
//! history either decode and validate, or fail with an error.

use carbon_provenance::export::import_prov_json;
use carbon_provenance::{History, Limits, decode_canonical_record};
use proptest::prelude::*;

fn sample_bytes() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/provenance-history.json"
    ))
    .expect("sample file is committed")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_are_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(History::from_json(&bytes, &Limits::HISTORY).is_err());
        prop_assert!(decode_canonical_record(&bytes, &Limits::RECORD).is_err());
        prop_assert!(import_prov_json(&bytes, &Limits::HISTORY).is_err());
    }

    /// Up to four byte edits of the sample: whatever still parses is
    /// validated, and an edit that changes any record's meaning is refused.
    #[test]
    fn edited_history_never_panics(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let original = sample_bytes();
        let mut bytes = original.clone();
        for (at, b) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *b;
        }
        if let Ok(h) = History::from_json(&bytes, &Limits::HISTORY) {
            let orig = History::from_json(&original, &Limits::HISTORY).expect("sample parses");
            // Only layout-preserving edits (e.g. whitespace) may replay.
            if h.replay().is_ok() {
                prop_assert_eq!(h, orig);
            }
        }
    }
}
