//! The rumpjs fuzz targets' shared code (see harness.rs); each target in fuzz_targets/ is one call.
pub mod harness;
