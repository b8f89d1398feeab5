//! `cargo +nightly fuzz run ledger_codec`: see `carbon::fuzzing::ledger_codec`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::ledger_codec(data));
