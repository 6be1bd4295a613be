//! fsck for FFS: the committed images are clean, damaged copies are found by `-n` and mended by `-y`
//! and `-p` (repair), and images of a writer killed at random moments are brought back with every
//! fsync'd file intact (crash).

#[path = "../common/mod.rs"]
mod common;

mod crash;
mod repair;
