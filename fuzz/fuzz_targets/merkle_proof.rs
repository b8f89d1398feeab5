//! `cargo +nightly fuzz run merkle_proof`: see `carbon::fuzzing::merkle_proof`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::merkle_proof(data));
