//! Hostile input never crashes the kernel, hangs it or makes it allocate without bound: bad syscall
//! arguments (badinput), images claiming absurd sizes (bounds, measured in child processes), read-only
//! images that must stay byte for byte as they were (readonly), inodes claiming impossible sizes
//! (sizes), every input the fuzzers found (fuzz_regressions, through the fuzz targets' own code), and a
//! host whose randomness fails (norandom).

#[path = "../common/mod.rs"]
mod common;
/// The fuzz targets' bodies (fuzz/src/harness.rs), shared with the fuzz crate.
#[path = "../../../fuzz/src/harness.rs"]
mod harness;

mod badinput;
mod bounds;
mod fuzz_regressions;
mod norandom;
mod readonly;
mod sizes;
