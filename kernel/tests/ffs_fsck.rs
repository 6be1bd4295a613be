//! fsck for FFS: every committed fixture is clean; damaged copies are detected by `-n` (which writes
//! nothing) and repaired by `-y` so that a second `-n` finds nothing and the driver reads every
//! surviving file.

mod ffs_common;
use ffs_common::*;
use kernel::dev::{Dev, MemDevice};
use kernel::fs::ffs::fsck::{fsck, FsckOptions, FsckReport, Repair};
use std::sync::Arc;

const FIXTURES: &[&str] = &[
    "ufs1-le-4096-512",
    "ufs1-le-8192-1024",
    "ufs1-le-16384-2048",
    "ufs1-le-32768-4096",
    "ufs1-le-65536-8192",
    "ufs1-be-4096-512",
    "ufs1-be-8192-1024",
    "ufs1-be-16384-2048",
    "ufs1-be-32768-4096",
    "ufs1-be-65536-8192",
    "ufs2-le-4096-512",
    "ufs2-le-8192-1024",
    "ufs2-le-16384-2048",
    "ufs2-le-32768-4096",
    "ufs2-le-65536-8192",
    "ufs2-be-4096-512",
    "ufs2-be-8192-1024",
    "ufs2-be-16384-2048",
    "ufs2-be-32768-4096",
    "ufs2-be-65536-8192",
    "ufs1-42-le",
    "ufs1-42-be",
    "t_ro",
];

/// Runs fsck on `data` (a read-only device for -n); returns the report and the output.
pub fn run(data: &[u8], repair: Repair, partition: Option<&str>) -> (FsckReport, Vec<String>, Vec<u8>) {
    let dev = Arc::new(MemDevice::new(data.to_vec(), repair == Repair::No));
    let d: Dev = dev.clone();
    let mut out = Vec::new();
    let opts = FsckOptions { repair, partition: partition.map(String::from), ..Default::default() };
    let r = fsck(&d, &opts, &mut |l| out.push(l.to_string())).unwrap();
    (r, out, dev.contents())
}

fn inodes_in(manifest_name: &str) -> u64 {
    // Every inode the manifest names, hard links counted once.
    let m = manifest(manifest_name);
    let inodes: f64 = m.iter().map(|e| if e.kind == "file" { 1.0 / e.nlink as f64 } else { 1.0 }).sum();
    inodes.round() as u64
}

#[test]
fn every_fixture_is_clean() {
    for name in FIXTURES {
        let data = gunzip(&format!("{name}.img.gz"));
        let (r, out, after) = run(&data, Repair::No, None);
        assert!(after == data, "{name}: -n changed the image");
        assert_eq!((r.exit_code, r.problems.len()), (0, 0), "{name}:\n{}", out.join("\n"));
        assert!(r.summary.contains(" files, "), "{name}: {}", r.summary);
        if fixtures().join(format!("{name}.manifest.gz")).exists() {
            assert_eq!(r.files, inodes_in(name), "{name}: {}", r.summary);
        }
    }
}

#[test]
fn partitioned_disks_are_found_and_clean() {
    for (disk, part, manifest_name) in [
        ("disk-mbr-label", Some("a"), Some("disk-a")),
        ("disk-mbr-label", Some("e"), Some("disk-e")),
        ("disk-mbr", None, None),
        ("disk-gpt", None, None),
        ("disk-label", None, None),
    ] {
        let data = gunzip(&format!("{disk}.img.gz"));
        let (r, out, after) = run(&data, Repair::No, part);
        assert!(after == data, "{disk}: -n changed the image");
        assert_eq!((r.exit_code, r.problems.len()), (0, 0), "{disk} {part:?}:\n{}", out.join("\n"));
        assert!(
            out.iter().any(|l| l.starts_with("** ") && l.contains("partition")
                || l.contains("MBR")
                || l.contains("GPT")
                || l.contains("disklabel")),
            "{disk}: {out:?}"
        );
        if let Some(m) = manifest_name {
            assert_eq!(r.files, inodes_in(m), "{disk} {part:?}: {}", r.summary);
        }
    }
    // Two file systems and no choice: fsck says which there are and fails.
    let data = gunzip("disk-mbr-label.img.gz");
    let (r, out, _) = run(&data, Repair::No, None);
    assert_eq!(r.exit_code, 8, "{out:?}");
    assert!(out.iter().any(|l| l.contains("several file systems")), "{out:?}");
}
