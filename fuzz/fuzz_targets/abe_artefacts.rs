//! `cargo +nightly fuzz run abe_artefacts`: see `carbon::fuzzing::abe_artefacts`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| carbon::fuzzing::abe_artefacts(data));
