//! Fuzz target `routes`: see `scopegate_harness::routes` for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scopegate_harness::routes(data));
