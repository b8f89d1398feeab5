//! `cargo +nightly fuzz run evm_bytecode`: see `carbon::fuzzing::evm_bytecode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::evm_bytecode(data));
