//! `cargo +nightly fuzz run ledger_genesis`: see `carbon::fuzzing::ledger_genesis`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::ledger_genesis(data));
