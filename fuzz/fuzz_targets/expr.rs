//! Fuzz target `expr`: see `scopegate_harness::expr` for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scopegate_harness::expr(data));
