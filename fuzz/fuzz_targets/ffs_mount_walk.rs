#![no_main]
//! See rumpjs_fuzz::harness::ffs_mount_walk.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rumpjs_fuzz::harness::ffs_mount_walk(data));
