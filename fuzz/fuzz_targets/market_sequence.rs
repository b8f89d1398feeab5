//! `cargo +nightly fuzz run market_sequence`: see `carbon::fuzzing::market_sequence`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::market_sequence(data));
