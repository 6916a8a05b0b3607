//! Fuzz target `policy`: see `scopegate_harness::policy` for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scopegate_harness::policy(data));
