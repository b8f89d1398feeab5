//! `cargo +nightly fuzz run prov_history`: see `carbon::fuzzing::prov_history`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::prov_history(data));
