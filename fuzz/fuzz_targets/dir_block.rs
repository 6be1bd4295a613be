#![no_main]
//! See rumpjs_fuzz::harness::dir_block.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rumpjs_fuzz::harness::dir_block(data));
