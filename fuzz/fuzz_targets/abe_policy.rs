//! `cargo +nightly fuzz run abe_policy`: see `carbon::fuzzing::abe_policy`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::abe_policy(data));
