//! `cargo +nightly fuzz run pbft_signed`: see `carbon::fuzzing::pbft_signed`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::pbft_signed(data));
