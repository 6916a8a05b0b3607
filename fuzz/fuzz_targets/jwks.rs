//! Fuzz target `jwks`: see `scopegate_harness::jwks` for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scopegate_harness::jwks(data));
