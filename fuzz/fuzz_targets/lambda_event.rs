//! Fuzz target `lambda_event`: see `scopegate_harness::lambda_event` for the input and the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scopegate_harness::lambda_event(data));
