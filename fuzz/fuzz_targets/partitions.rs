#![no_main]
//! See rumpjs_fuzz::harness::partitions.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rumpjs_fuzz::harness::partitions(data));
