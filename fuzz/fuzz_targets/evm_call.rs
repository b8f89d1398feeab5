//! `cargo +nightly fuzz run evm_call`: see `carbon::fuzzing::evm_call`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::evm_call(data));
