//! Fuzz target `token`: see `scopegate_harness::token` for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scopegate_harness::token(data));
