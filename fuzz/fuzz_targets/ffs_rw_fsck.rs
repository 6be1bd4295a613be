#![no_main]
//! See rumpjs_fuzz::harness::ffs_rw_fsck.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rumpjs_fuzz::harness::ffs_rw_fsck(data));
