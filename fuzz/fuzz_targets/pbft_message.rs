//! `cargo +nightly fuzz run pbft_message`: see `carbon::fuzzing::pbft_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::pbft_message(data));
