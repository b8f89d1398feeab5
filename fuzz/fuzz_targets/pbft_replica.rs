//! `cargo +nightly fuzz run pbft_replica`: see `carbon::fuzzing::pbft_replica`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::pbft_replica(data));
