//! Every input the fuzzers (fuzz/) found a crash, hang or memory blow-up with, committed under
//! tests/fixtures/fuzz/<target>/<name>, replayed through the very code the fuzz target runs
//! (fuzz/src/harness.rs is included here): none may panic, and none may take long.

use crate::harness;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Well above what any of them takes once fixed (they run in a debug build here).
const SLOW: Duration = Duration::from_secs(30);

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fuzz").join(target);
    let Ok(rd) = std::fs::read_dir(&dir) else { return 0 };
    let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let t = Instant::now();
        let r = std::panic::catch_unwind(|| run(&data));
        let took = t.elapsed();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if r.is_err() {
            failed.push(format!("{name}: panicked"));
        } else if took > SLOW {
            failed.push(format!("{name}: took {took:?}"));
        }
    }
    assert!(failed.is_empty(), "{target}: {failed:#?}");
    files.len()
}

#[test]
fn ffs_mount_walk() {
    replay("ffs_mount_walk", harness::ffs_mount_walk);
}

#[test]
fn partitions() {
    replay("partitions", harness::partitions);
}

#[test]
fn dir_block() {
    replay("dir_block", harness::dir_block);
}

/// The seeds' encoding round-trips a fixture: what the fuzzers start from is the fixture itself.
#[test]
fn sparse_images_decode() {
    let mut data = 8u32.to_le_bytes().to_vec();
    data.extend_from_slice(&2u32.to_le_bytes());
    data.extend_from_slice(&1u16.to_le_bytes());
    data.extend_from_slice(&[7u8; 512]);
    // A record past the end and a cut-short one are clipped, not errors.
    data.extend_from_slice(&100u32.to_le_bytes());
    data.extend_from_slice(&1u16.to_le_bytes());
    data.extend_from_slice(&[9u8; 512]);
    data.extend_from_slice(&7u32.to_le_bytes());
    data.extend_from_slice(&5u16.to_le_bytes());
    data.extend_from_slice(&[5u8; 10]);
    let (img, force) = harness::sparse_image(&data, harness::MAX_IMAGE).unwrap();
    assert!(!force);
    assert_eq!(img.len(), 8 * 512);
    assert!(img[1024..1536].iter().all(|&b| b == 7));
    assert!(img[7 * 512..7 * 512 + 10].iter().all(|&b| b == 5));
    assert_eq!(img.iter().filter(|&&b| b != 0).count(), 522);
    let huge = [0xffu8; 4];
    let (img, force) = harness::sparse_image(&huge, 1 << 20).unwrap();
    assert!(force && img.len() == 1 << 20);
}

#[test]
fn ffs_rw_fsck() {
    replay("ffs_rw_fsck", harness::ffs_rw_fsck);
}
